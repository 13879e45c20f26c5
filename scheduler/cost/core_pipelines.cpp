#include "cost/core_pipelines.h"

#include <algorithm>
#include <tuple>

namespace fusim {

double core_pipelines_end(std::vector<CoreLeg>& legs) {
  if (legs.empty()) return 0;
  std::sort(legs.begin(), legs.end(),
            [](const CoreLeg& a, const CoreLeg& b) { return a.lead < b.lead; });
  // Processor sharing: the k-th smallest lead is done when every core has had that much.
  double t = 0, before = 0;
  auto active = static_cast<double>(legs.size());
  std::vector<std::tuple<double, double, double>> ready;  // when a core's tail may start
  ready.reserve(legs.size());
  for (const CoreLeg& l : legs) {
    t += active * (l.lead - before);
    before = l.lead;
    active -= 1;
    ready.emplace_back(std::max(t, l.lead_alone) + l.mid, l.tail, l.tail_alone);
  }
  std::sort(ready.begin(), ready.end());
  double queue = t, last = 0;  // the tails start once every lead is in (t: all of them)
  for (const auto& [at, tail, alone] : ready) {
    queue = std::max(queue, at) + tail;
    last = std::max(last, at + alone);
  }
  return std::max(queue, last);
}

}  // namespace fusim
