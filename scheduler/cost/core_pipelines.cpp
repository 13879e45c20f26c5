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
  double first_store = -1, stores = 0;
  for (const CoreLeg& l : legs) {
    t += active * (l.lead - before);
    before = l.lead;
    active -= 1;
    const double lead_end = std::max(t, l.lead_alone);
    ready.emplace_back(lead_end + l.mid, l.tail, l.tail_alone);
    if (l.first_store >= 0) {
      const double at = lead_end + std::max(0.0, l.first_store - l.lead_alone);
      first_store = first_store < 0 ? at : std::min(first_store, at);
      stores += l.stores;
    }
  }
  std::sort(ready.begin(), ready.end());
  double queue = t, last = 0;  // the tails start once every lead is in (t: all of them)
  for (const auto& [at, tail, alone] : ready) {
    queue = std::max(queue, at) + tail;
    last = std::max(last, at + alone);
  }
  // All the loads through the bottleneck, processor sharing again, then each core's drain.
  std::sort(legs.begin(), legs.end(),
            [](const CoreLeg& a, const CoreLeg& b) { return a.loads < b.loads; });
  double loaded = 0, drained = 0;
  before = 0;
  active = static_cast<double>(legs.size());
  for (const CoreLeg& l : legs) {
    loaded += active * (l.loads - before);
    before = l.loads;
    active -= 1;
    drained = std::max(drained, loaded + l.drain);
  }
  return std::max({queue, last, first_store + stores, drained});
}

}  // namespace fusim
