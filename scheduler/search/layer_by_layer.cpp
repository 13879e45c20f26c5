#include "search/layer_by_layer.h"

namespace fusim {

Schedule schedule_layer_by_layer(const Network& net, const Arch& arch) {
  Schedule s;
  s.algorithm = "none";
  for (int i = 0; i < static_cast<int>(net.layers().size()); ++i) {
    s.groups.push_back(Group{{i}, arch.core_count});
  }
  return s;
}

}  // namespace fusim
