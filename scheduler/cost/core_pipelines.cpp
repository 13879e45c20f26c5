#include "cost/core_pipelines.h"

#include <algorithm>
#include <tuple>

namespace fusim {

namespace {

// Processor sharing of the bottleneck over the cores, each needing its `work` of it: sorts
// `legs` by it and calls done(leg, t) in that order, t when the leg's work is done (the k-th
// smallest is done when every core has had that much). Returns when the last is done.
template <class Done>
double shared_fairly(std::vector<CoreLeg>& legs, double CoreLeg::*work, Done done) {
  std::sort(legs.begin(), legs.end(),
            [work](const CoreLeg& a, const CoreLeg& b) { return a.*work < b.*work; });
  double t = 0, before = 0;
  auto active = static_cast<double>(legs.size());
  for (const CoreLeg& l : legs) {
    t += active * (l.*work - before);
    before = l.*work;
    active -= 1;
    done(l, t);
  }
  return t;
}

}  // namespace

double core_pipelines_end(std::vector<CoreLeg>& legs, DrainBound* bound) {
  if (legs.empty()) return 0;
  // When each core's lead is in (by CoreLeg::id): its own loads shared fairly, then no sooner
  // than its leaders' leads, less the time it takes to receive their data once there (a leader
  // may receive from another: a grid's cores take their inputs from their row's first core and
  // their weights from their column's, so at most a few rounds).
  for (std::size_t i = 0; i < legs.size(); ++i) legs[i].id = static_cast<std::int64_t>(i);
  std::vector<double> lead_end(legs.size(), 0.0);
  bool received = false;
  const double leads = shared_fairly(legs, &CoreLeg::lead, [&](const CoreLeg& l, double t) {
    lead_end[static_cast<std::size_t>(l.id)] = std::max(t, l.lead_alone);
    received = received || l.leaders[0] >= 0;
  });
  for (bool moved = received; moved;) {
    moved = false;
    for (const CoreLeg& l : legs) {
      double& end = lead_end[static_cast<std::size_t>(l.id)];
      for (const std::int64_t from : l.leaders) {
        if (from < 0 || from == l.id || from >= static_cast<std::int64_t>(legs.size())) continue;
        const double after = lead_end[static_cast<std::size_t>(from)] - l.received;
        if (after > end + 1e-9) {
          end = after;
          moved = true;
        }
      }
    }
  }
  std::vector<std::tuple<double, double, double>> ready;  // when a core's tail may start
  ready.reserve(legs.size());
  double first_store = -1, stores = 0;
  for (const CoreLeg& l : legs) {
    const double end = lead_end[static_cast<std::size_t>(l.id)];
    ready.emplace_back(end + l.mid, l.tail, l.tail_alone);
    if (l.first_store >= 0) {
      const double at = end + std::max(0.0, l.first_store - l.lead_alone);
      first_store = first_store < 0 ? at : std::min(first_store, at);
      stores += l.stores;
    }
  }
  std::sort(ready.begin(), ready.end());
  double queue = leads, last = 0;  // the tails start once every lead is in
  for (const auto& [at, tail, alone] : ready) {
    queue = std::max(queue, at) + tail;
    last = std::max(last, at + alone);
  }
  // All but the drains through the bottleneck, shared the same way, then each core's drain.
  double drained = 0;
  DrainBound d;
  shared_fairly(legs, &CoreLeg::before_drain, [&](const CoreLeg& l, double t) {
    if (t + l.drain < drained) return;
    drained = t + l.drain;
    d.before = t;
    d.drain = l.drain;
  });
  if (bound) {
    double sum = 0, squares = 0;
    for (const CoreLeg& l : legs) {
      sum += l.loads;
      squares += l.loads * l.loads;
    }
    d.load_streams = squares > 0 ? sum * sum / squares : 0;
    *bound = d;
  }
  return std::max({queue, last, first_store + stores, drained});
}

}  // namespace fusim
