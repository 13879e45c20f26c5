// The cores' pipelines of a group put together (cost/core_pipelines.h) against hand-derived
// finish times.
#include <catch2/catch.hpp>

#include "cost/core_pipelines.h"

namespace {

fusim::CoreLeg leg(double lead, double mid, double tail, double lead_alone = 0,
                   double tail_alone = 0) {
  return fusim::CoreLeg{lead, lead_alone, mid, tail, tail_alone};
}

}  // namespace

TEST_CASE(
    "one core's pipeline is its three legs, each at the slower of its engines and the "
    "bottleneck",
    "[cost]") {
  // First loads: 5 cycles of the bottleneck, 8 at the core's own engines; stores: 3 and 2.
  std::vector<fusim::CoreLeg> legs{leg(5, 10, 3, 8, 2)};
  CHECK(fusim::core_pipelines_end(legs) == Approx(8 + 10 + 3));
  std::vector<fusim::CoreLeg> none;
  CHECK(fusim::core_pipelines_end(none) == 0);
}

TEST_CASE(
    "alike cores take their first loads, their middles and their last stores one after "
    "the other",
    "[cost]") {
  // Four cores, each 2 cycles of the bottleneck to load and 1 to store: the loads share it
  // (8), the middles overlap (10), the stores queue (4).
  std::vector<fusim::CoreLeg> legs(4, leg(2, 10, 1));
  CHECK(fusim::core_pipelines_end(legs) == Approx(4 * 2 + 10 + 4 * 1));
}

TEST_CASE(
    "first loads from the shared buffer, then from DRAM: the shared part fairly, the DRAM's in "
    "windows, and stores to the shared buffer beside the later cores' DRAM loads",
    "[cost]") {
  // Four alike cores, each 1 cycle of the shared buffer then one window (2 cycles) of DRAM to
  // load, nothing between, 1 to store into the shared buffer. The shared parts share it (in at
  // 4), the DRAM serves one window per core in turn (in at 6, 8, 10, 12), and each core's store
  // goes as it is ready: 7, 9, 11, 13.
  std::vector<fusim::CoreLeg> legs(4, leg(3, 0, 1));
  for (fusim::CoreLeg& l : legs) {
    l.lead_shared = 1;
    l.lead_dram_last = true;
    l.tail_to_shared = true;
  }
  CHECK(fusim::core_pipelines_end(legs, nullptr, 2) == Approx(13));
  // Stores to DRAM queue behind every lead (in at 12): 13, 14, 15, 16.
  for (fusim::CoreLeg& l : legs) l.tail_to_shared = false;
  CHECK(fusim::core_pipelines_end(legs, nullptr, 2) == Approx(16));
  // The shared buffer's part last: the leads share the bottleneck fairly, all in at 12.
  for (fusim::CoreLeg& l : legs) {
    l.lead_dram_last = false;
    l.tail_to_shared = true;
  }
  CHECK(fusim::core_pipelines_end(legs, nullptr, 2) == Approx(16));
}

TEST_CASE(
    "where every core's first loads come from DRAM, the DRAM serves them a window of bursts "
    "at a time, in the cores' order",
    "[cost]") {
  // The four alike cores above, their loads from DRAM, each core's window of bursts 2 cycles
  // of the bottleneck: each loads one window, so core k's are in at 2 (k + 1) = 2, 4, 6, 8; it is
  // ready to store 10 later (12, 14, 16, 18), and the stores queue from 8: 13, 15, 17, 19.
  std::vector<fusim::CoreLeg> legs(4, leg(2, 10, 1));
  for (fusim::CoreLeg& l : legs) l.lead_dram_last = true;
  CHECK(fusim::core_pipelines_end(legs, nullptr, 2) == Approx(19));
  // A window of 1: every core's first window (in at 1, 2, 3, 4), then every core's second (5, 6,
  // 7, 8); ready at 15-18, stored by 19.
  CHECK(fusim::core_pipelines_end(legs, nullptr, 1) == Approx(19));
  // One window each, the legs' order kept: the first core loading 6, its loads are in at 6, the
  // others' at 8, 10 and 12; ready at 16, 18, 20 and 22, the stores from 12 end at 23.
  legs[0].lead = 6;
  CHECK(fusim::core_pipelines_end(legs, nullptr, 8) == Approx(23));
  // Within a round the cores go in their order, whichever ends there: with a window of 2, a
  // first core loading 3 (two windows) and a second loading 2 (one), round 0 serves the first
  // core's first window, then the second core's (in at 4), round 1 the first core's rest (in at
  // 5). Ready to store at 14 (the second, storing 5) and 15 (the first, storing 1), their stores
  // from 5 end at 19 and 20 (had the second core gone first, in at 2, they would end at 17 and 18).
  std::vector<fusim::CoreLeg> two{leg(3, 10, 1), leg(2, 10, 5)};
  for (fusim::CoreLeg& l : two) l.lead_dram_last = true;
  CHECK(fusim::core_pipelines_end(two, nullptr, 2) == Approx(20));
  // Without a window, or with a core loading from the shared buffer, the loads of the four alike
  // cores share the bottleneck fairly: all in at 8, ready at 18, their stores done at 22.
  legs[0].lead = 2;
  CHECK(fusim::core_pipelines_end(legs) == Approx(4 * 2 + 10 + 4 * 1));
  legs[1].lead_shared = legs[1].lead;  // all from the shared buffer
  legs[1].lead_dram_last = false;
  CHECK(fusim::core_pipelines_end(legs, nullptr, 2) == Approx(4 * 2 + 10 + 4 * 1));
}

TEST_CASE(
    "a core with less to load starts its middle sooner, and its stores run while the "
    "others compute",
    "[cost]") {
  // Core A loads 1 cycle's worth, core B 3; both compute 10 and store 2. Shared fairly, A's
  // load is in at 2 (both moving at half speed), B's at 4 (alone after 2). A is ready to store
  // at 12, B at 14; the stores queue from 4: A's 12-14, B's 14-16.
  std::vector<fusim::CoreLeg> legs{leg(3, 10, 2), leg(1, 10, 2)};
  CHECK(fusim::core_pipelines_end(legs) == Approx(16));
  // Adding every core's transfers to the slowest core's pipeline would give 4 + 10 + 4 = 18.
  // A core whose own engines are slower than its fair share is held by them: B's loads at its
  // own engines take 9, so it is ready at 19 and done at 21.
  std::vector<fusim::CoreLeg> slow{leg(1, 10, 2), leg(3, 10, 2, 9)};
  CHECK(fusim::core_pipelines_end(slow) == Approx(21));
}

TEST_CASE(
    "no store starts before the first core is ready to store, and then every core's "
    "stores take the bottleneck in turn",
    "[cost]") {
  // Two cores, each loading 1 cycle's worth (both in at 2), ready to store 3 cycles into its
  // own pipeline (at 2 + 3 = 5), and storing 10 cycles' worth in all, 1 of it after its last
  // compute: the stores end at 5 + 2 x 10 = 25, not at the 8 of the legs alone.
  std::vector<fusim::CoreLeg> legs(2, leg(1, 4, 1));
  CHECK(fusim::core_pipelines_end(legs) == Approx(8));
  for (fusim::CoreLeg& l : legs) {
    l.first_store = 3;
    l.stores = 10;
  }
  CHECK(fusim::core_pipelines_end(legs) == Approx(25));
}

TEST_CASE(
    "a group bound by its loads ends when every load is in and its last compute and stores "
    "are done",
    "[cost]") {
  // Four cores, each moving 10 cycles' worth of the bottleneck before its drain (its loads, 1 of
  // them first, and its earlier stores) and, once its last load is in, computing 4 more and
  // storing 1 (its drain, 5). The legs alone say 4 x 1 + 6 + 4 x 1 = 14; the bytes before the
  // drains need 40 of the bottleneck, then the drain: 45.
  std::vector<fusim::CoreLeg> legs(4, leg(1, 6, 1));
  CHECK(fusim::core_pipelines_end(legs) == Approx(14));
  for (fusim::CoreLeg& l : legs) {
    l.before_drain = 10;
    l.drain = 5;
  }
  CHECK(fusim::core_pipelines_end(legs) == Approx(45));
  // Unequal loads share the bottleneck fairly: a core loading 2 is in at 8 (four at a time)
  // and done at 8 + 30; the others' loads are in at 8 + 3 x 8 = 32, then their drain of 5.
  legs[0].before_drain = 2;
  legs[0].drain = 30;
  CHECK(fusim::core_pipelines_end(legs) == Approx(38));
}

TEST_CASE(
    "a core that receives its first loads by multicast is ready no sooner than its leader's "
    "loads are in",
    "[cost]") {
  // Two leaders, each loading 4 cycles' worth of the bottleneck (both in at 8), computing 10
  // and storing 3. Each has a receiver that loads nothing itself (its lead 0) but takes 4 cycles
  // at its own engines to receive the leader's data, then computes 10 (its middle 4 + 10) and
  // stores 3. Counted as if alone, the receivers are ready at 14 and store 14-20 while the
  // leaders compute; the leaders, ready at 18, store 20-26.
  std::vector<fusim::CoreLeg> legs{leg(4, 10, 3, 4), leg(0, 14, 3), leg(4, 10, 3, 4),
                                   leg(0, 14, 3)};
  std::vector<fusim::CoreLeg> alone = legs;
  CHECK(fusim::core_pipelines_end(alone) == Approx(26));
  // Their data comes as the leaders' loads end, at 8: they are ready at 8 - 4 + 14 = 18 with the
  // leaders, and the four stores queue from 18: 18 + 4 x 3 = 30.
  legs[1].leaders = {0, -1};
  legs[3].leaders = {2, -1};
  legs[1].received = legs[3].received = 4;
  CHECK(fusim::core_pipelines_end(legs) == Approx(30));
  // A core may receive from two (a grid's inputs from its row's first core, its weights from its
  // column's), one of which receives from another: it waits for the later of them.
  std::vector<fusim::CoreLeg> grid{leg(4, 10, 3, 4), leg(1, 14, 3, 1), leg(0, 14, 3)};
  grid[1].leaders = {0, -1};
  grid[1].received = 4;
  grid[2].leaders = {1, 0};
  grid[2].received = 4;
  // Leads: core 2 has none; cores 0 and 1 share the bottleneck, core 1's in at 2, core 0's at
  // 5. Core 1 waits for core 0 (5 - 4 = 1 < 2: not held); core 2 for both (5 - 4 = 1). Ready at
  // 5 + 10 = 15, 2 + 14 = 16 and 1 + 14 = 15; stores queue from 15: 15 + 3 + 3 + 3 = 24.
  CHECK(fusim::core_pipelines_end(grid) == Approx(24));
}
