#include "cost/group_walk.h"

#include <vector>

#include "cost/cost_model.h"
#include "cost/fused_plan.h"
#include "cost/layer_walk.h"

namespace fusim {

void walk_group(const Network& net, const Arch& arch, const Group& group,
                const std::function<TileSink&(std::int64_t)>& sink_for,
                const std::function<void()>& barrier) {
  if (group.layerwise()) {
    bool any = false;
    for (int li : group.layers) {
      if (!layer_has_kernel(net, li)) continue;
      if (any && barrier) barrier();
      any = true;
      const LayerOnCores layer(net, arch, li, group.cores);
      for (std::int64_t c = 0; c < group.cores; ++c) layer.walk(c, sink_for(c));
    }
    return;
  }
  if (group.layers.size() > 1) {
    const FusedGroup fg(net, arch, group.layers, group.input_centric());
    const std::vector<std::int64_t> progress = fg.progress(group.tiles);
    for (std::int64_t c = 0; c < group.cores; ++c)
      fg.walk(progress, group.tiles, group.cores, c, sink_for(c));
    return;
  }
  const LayerOnCores layer(net, arch, group.layers.front(), group.cores);
  for (std::int64_t c = 0; c < group.cores; ++c) layer.walk(c, sink_for(c));
}

}  // namespace fusim
