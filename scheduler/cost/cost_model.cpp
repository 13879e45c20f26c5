#include "cost/cost_model.h"

#include "common/error.h"

namespace fusim {

Traffic predict_group_traffic(const Network& net, const Arch& arch, const Group& group) {
  Traffic total;
  for (int li : group.layers) {
    const Layer& l = net.layer(li);
    if (l.type == LayerType::Concat) continue;  // assembled in place by its producers
    const LayerGeometry g(l, arch.element_bytes());
    for (std::int64_t c = 0; c < group.cores; ++c) {
      const ChannelSlice s = channel_slice(g.channels(), group.cores, c);
      if (s.end <= s.begin) continue;
      const LayerTiling t = plan_layer_tiling(l, arch, s.end - s.begin, net.batch());
      total += slice_traffic(g, t, s, net.batch());
    }
  }
  return total;
}

}  // namespace fusim
