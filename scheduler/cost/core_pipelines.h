// The cores' pipelines of one group put together (GroupCost::pipeline_cycles): when a group on
// several cores ends, given each core's three legs. Pure function; the cost model fills the
// legs (cost_model.cpp).
#pragma once

#include <array>
#include <cstdint>
#include <vector>

namespace fusim {

// One core's pipeline in three legs: its first loads, what it does between them and its last
// stores (at its own DMA speed: `mid`), its last stores. `lead` and `tail` are the time those
// bytes hold the phase's bottleneck (the DRAM or the shared buffer, and the link); `lead_alone`
// and `tail_alone` the time the core's own engines need for them.
struct CoreLeg {
  double lead = 0, lead_alone = 0, mid = 0, tail = 0, tail_alone = 0;
  // When its first store can start in its own pipeline (-1: it stores nothing), and the time
  // all its stores hold the bottleneck.
  double first_store = -1, stores = 0;
  // The time all it moves before its drain holds the bottleneck (its loads, and the stores that
  // start while loads are under way, sharing it with them: CostSink::dram_stores_before_loads),
  // and its drain: what it has left once the last load is in (its last compute and the stores
  // after it, CostSink::drain).
  double before_drain = 0, drain = 0;
  // The time its loads alone hold the bottleneck (0 for a core that receives all it computes
  // on by multicast: its grid column's or row's leader loads for it).
  double loads = 0;
  // The cores (their places in the legs) whose first loads it receives by multicast
  // (-1: none), and the time its own engines take for those: its data comes as its leaders'
  // loads end, so it is ready no sooner than their leads are in and it has done what follows
  // its receipt (a row band's second channel slice waits for the first's contended loads;
  // counted as if alone, it stored early and its stores left the group's end).
  std::array<std::int64_t, 2> leaders{-1, -1};
  double received = 0;
  // The part of `lead` that its loads from the shared buffer hold the bottleneck (the rest from
  // DRAM), and whether its last first load comes from DRAM (core_pipelines_end's `window`: the
  // DRAM then serves the rest after the shared buffer's part).
  double lead_shared = 0;
  bool lead_dram_last = false;
  // Its last stores all go to the shared buffer.
  bool tail_to_shared = false;
};

// The drain bound of core_pipelines_end, as the prefetch engines see it (finish in
// cost_model.cpp): when the bytes before the drains are through (those of the core whose drain
// ends last), that core's drain, and how many loads hold the bottleneck at once:
// (sum l)^2 / sum l^2 over the cores' load times l (all of them when alike; a multicast group's
// few leaders). A core's stores, short and many, are not counted: the engines' long copies
// share the bottleneck with the loads that last.
struct DrainBound {
  double before = 0, drain = 0, load_streams = 0;
};

// The cores start together; their first loads share the bottleneck fairly (processor sharing: a
// core with less to load is done sooner), or, where every core's come from DRAM and `window` is
// positive, in turn: each core issues a window of bursts (`window`: the time one window holds the
// bottleneck), and another as each one returns; the DRAM admits the requests beyond its queues
// first come first served, so it serves every core's first window in the cores' order, then every
// core's second, and so on (a core loading at most one window is done before the next core's loads
// begin: MobileNetV1's conv1 on 64 cores, its cores' loads ending one after another over 2,000
// cycles); where a core's first loads from the shared buffer all come before those from DRAM
// (`lead_dram_last`), the cores take the shared buffer fairly first, then the DRAM in windows (an
// element-wise layer with one operand in the shared buffer and the other in DRAM: ShuffleNet's
// residual adds). Each then runs its middle leg alone; its last stores queue for the bottleneck
// once every first load is in, first come first served, or, where the DRAM serves the leads last
// and every core stores to the shared buffer only (`tail_to_shared`), once the shared buffer's part
// of the leads is: those stores then run beside the later cores' DRAM loads. Cores of unequal
// shares (14 rows over 32 cores) so finish apart, and the early ones' stores run while the others
// still compute; alike cores take the lead, their middle leg and the tail one after the other. And
// no store starts before the first core is ready to store (its lead in, its first compute done),
// after which every core's stores take the bottleneck one after another: the groups that store much
// more than they load (a 1x1 conv expanding a map into the shared buffer) are bound by that. And no
// core ends before all it moves before its drain is through, the cores sharing the bottleneck
// fairly from the start, and its drain done: a group bound by the DRAM ends a last compute and its
// stores after it (an fc on 4 cores loading its 2 MB of weights in two chunks each, the second
// chunk's compute after the DRAM is done; a layer on one core whose earlier chunks' stores slow its
// last chunk's loads). Sets `*bound` (when given) to the drain bound's parts.
double core_pipelines_end(const std::vector<CoreLeg>& legs, DrainBound* bound = nullptr,
                          double window = 0);

}  // namespace fusim
