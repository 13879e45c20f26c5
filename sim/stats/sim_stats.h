// What a simulation returns: the stats structs of every module (each declared and registered
// next to its module), aggregated over cores where the report needs one figure, as plain data
// that outlives the SystemC modules. SimResult::schema() says where each module's stats sit in
// the tree; derived figures come from stats/derived.h.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "buffer/shared_buffer_stats.h"
#include "controller/group_stats.h"
#include "core/core_stats.h"
#include "dram/dram_stats.h"
#include "stats/energy.h"
#include "stats/stats.h"
#include "trace/trace.h"

namespace fusim {

struct SimResult {
  double cycles = 0;  // end of the last group
  TrafficCounters traffic;
  std::vector<LayerStats> layers;  // by network layer index, aggregated over the cores
  std::vector<GroupStats> groups;
  std::vector<CoreStats> cores;
  std::vector<ChannelStats> dram_channels;
  std::string dram_model;  // "simple" or "detailed"
  std::int64_t dram_epoch_cycles = 0;
  double interconnect_busy_cycles = 0;
  std::optional<SharedBufferStats> shared_buffer;
  EnergyStats energy;                     // compute_energy (stats/energy.h)
  std::shared_ptr<const SimTrace> trace;  // simulate(..., trace = true) only

  // The run-level figures, cores, DRAM channels, interconnect and shared buffer. Layers and
  // groups are placed by the report, which joins them with the network and the schedule.
  static const StatSchema<SimResult>& schema();
};

}  // namespace fusim
