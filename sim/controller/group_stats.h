// What the simulation records per program group: its time (the controller), its off-chip
// traffic (summed over the cores), its DRAM row outcomes (the detailed DRAM model) and its
// memory stalls (the most any core waited). Registered in group_stats.cpp.
#pragma once

#include "core/core_stats.h"
#include "dram/dram_stats.h"
#include "stats/stats.h"

namespace fusim {

struct GroupStats {
  double start = 0, end = 0;  // cycles, launch overhead included
  TrafficCounters traffic;
  DramGroupCounters dram;  // detailed DRAM model only (0 with the simple one)
  // The most any core's compute engine waited in this group for its loads to arrive or for
  // output buffer space that stores had to free.
  double memory_stall_cycles = 0;
  ActionCounts actions;  // all cores
  double energy_pj = 0;  // set from `actions` by the energy model

  static const StatSchema<GroupStats>& schema();
};

}  // namespace fusim
