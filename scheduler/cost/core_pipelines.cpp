#include "cost/core_pipelines.h"

#include <algorithm>
#include <cmath>
#include <tuple>

namespace fusim {

namespace {

// Processor sharing of the bottleneck over the cores, each needing its `work` of it: sorts
// `order` (indices into `legs`) by it and calls done(i, t) in that order, t when leg i's work is
// done (the k-th smallest is done when every core has had that much). Returns when the last is
// done.
template <class Done>
double shared_fairly(const std::vector<CoreLeg>& legs, std::vector<std::size_t>& order,
                     double CoreLeg::*work, Done done) {
  std::sort(order.begin(), order.end(),
            [&](std::size_t a, std::size_t b) { return legs[a].*work < legs[b].*work; });
  double t = 0, before = 0;
  auto active = static_cast<double>(legs.size());
  for (const std::size_t i : order) {
    t += active * (legs[i].*work - before);
    before = legs[i].*work;
    active -= 1;
    done(i, t);
  }
  return t;
}

// The DRAM serving the cores' first loads in windows (core_pipelines_end): every core's first
// window in the legs' order, then every core's second, ...; calls done(i, t), t when leg i's
// last window is served. Returns when the last is. Rounds where no core ends are counted whole.
// `lead(i)` is the time leg i's loads hold the DRAM.
template <class Lead, class Done>
double in_windows(const std::vector<CoreLeg>& legs, double window, Lead lead, Done done) {
  // Each leg's last round (the window it ends in), and the distinct ones in order: the rounds
  // to stop at.
  std::vector<double> last_round(legs.size(), 0.0), stops;
  std::vector<std::size_t> active, next;  // the legs still loading, in the legs' order
  for (std::size_t i = 0; i < legs.size(); ++i) {
    if (lead(i) <= 0) continue;
    last_round[i] = std::max(0.0, std::ceil(lead(i) / window) - 1);
    active.push_back(i);
    stops.push_back(last_round[i]);
  }
  std::sort(stops.begin(), stops.end());
  stops.erase(std::unique(stops.begin(), stops.end()), stops.end());
  double t = 0, round = 0;  // the rounds served whole so far
  for (const double r : stops) {
    t += static_cast<double>(active.size()) * window * (r - round);
    next.clear();
    for (const std::size_t i : active) {  // round r, in the legs' order
      if (last_round[i] > r) {
        t += window;
        next.push_back(i);
      } else {
        t += lead(i) - r * window;
        done(i, t);
      }
    }
    active.swap(next);
    round = r + 1;
  }
  for (std::size_t i = 0; i < legs.size(); ++i)
    if (lead(i) <= 0) done(i, 0.0);
  return t;
}

}  // namespace

double core_pipelines_end(const std::vector<CoreLeg>& legs, DrainBound* bound, double window) {
  if (legs.empty()) return 0;
  std::vector<std::size_t> order(legs.size());
  for (std::size_t i = 0; i < legs.size(); ++i) order[i] = i;
  // When each core's lead is in: its own loads shared fairly, then no sooner than its leaders'
  // leads, less the time it takes to receive their data once there (a leader may receive from
  // another: a grid's cores take their inputs from their row's first core and their weights from
  // their column's, so at most a few rounds).
  // In windows where the DRAM serves every core's leads, or their part after the shared
  // buffer's (which the cores take fairly first).
  std::vector<double> lead_end(legs.size(), 0.0);
  bool received = false, dram = window > 0;
  for (const CoreLeg& l : legs)
    dram = dram && (l.lead <= 0 || (l.lead_dram_last && l.lead > l.lead_shared));
  const auto lead_in = [&](std::size_t i, double t) {
    lead_end[i] = std::max(t, legs[i].lead_alone);
    received = received || legs[i].leaders[0] >= 0;
  };
  double shared_phase = 0;
  if (dram)
    shared_phase = shared_fairly(legs, order, &CoreLeg::lead_shared, [](std::size_t, double) {});
  const double leads =
      dram ? shared_phase + in_windows(
                                legs, window,
                                [&](std::size_t i) { return legs[i].lead - legs[i].lead_shared; },
                                [&](std::size_t i, double t) { lead_in(i, shared_phase + t); })
           : shared_fairly(legs, order, &CoreLeg::lead, lead_in);
  const auto n = static_cast<std::int64_t>(legs.size());
  for (bool moved = received; moved;) {
    moved = false;
    for (std::size_t i = 0; i < legs.size(); ++i) {
      for (const std::int64_t from : legs[i].leaders) {
        if (from < 0 || from >= n || static_cast<std::size_t>(from) == i) continue;
        const double after = lead_end[static_cast<std::size_t>(from)] - legs[i].received;
        if (after > lead_end[i] + 1e-9) {
          lead_end[i] = after;
          moved = true;
        }
      }
    }
  }
  std::vector<std::tuple<double, double, double>> ready;  // when a core's tail may start
  ready.reserve(legs.size());
  double first_store = -1, stores = 0;
  for (std::size_t i = 0; i < legs.size(); ++i) {
    const CoreLeg& l = legs[i];
    const double end = lead_end[i];
    ready.emplace_back(end + l.mid, l.tail, l.tail_alone);
    if (l.first_store >= 0) {
      const double at = end + std::max(0.0, l.first_store - l.lead_alone);
      first_store = first_store < 0 ? at : std::min(first_store, at);
      stores += l.stores;
    }
  }
  std::sort(ready.begin(), ready.end());
  // The tails start once every lead is in; where the last leads hold the DRAM and every tail
  // goes to the shared buffer, once the leads' shared phase is through.
  bool to_shared = dram;
  for (const CoreLeg& l : legs) to_shared = to_shared && (l.tail <= 0 || l.tail_to_shared);
  double queue = to_shared ? shared_phase : leads, last = 0;
  for (const auto& [at, tail, alone] : ready) {
    queue = std::max(queue, at) + tail;
    last = std::max(last, at + alone);
  }
  // All but the drains through the bottleneck, shared the same way, then each core's drain.
  double drained = 0;
  DrainBound d;
  shared_fairly(legs, order, &CoreLeg::before_drain, [&](std::size_t i, double t) {
    if (t + legs[i].drain < drained) return;
    drained = t + legs[i].drain;
    d.before = t;
    d.drain = legs[i].drain;
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
