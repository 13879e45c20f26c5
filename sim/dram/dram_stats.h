// What the DRAM models count, per channel and (detailed model) per program group. Both models
// count into ChannelStats; the fields only the detailed model fills stay 0 with the simple one.
#pragma once

#include <cstdint>
#include <vector>

#include "stats/stats.h"

namespace fusim {

struct ChannelStats {
  std::int64_t bytes_read = 0, bytes_written = 0;  // requested bytes
  double busy_cycles = 0;                          // data moving, accelerator cycles
  // Detailed model only.
  std::int64_t reads = 0, writes = 0;                            // bursts
  std::int64_t row_hits = 0, row_misses = 0, row_conflicts = 0;  // by the request's first command
  std::int64_t activates = 0, precharges = 0, refreshes = 0;
  // Read latency, accelerator cycles, from a read burst's entry into the read queue to the end
  // of its data: mean and nearest-rank percentiles.
  double read_latency_mean = 0, read_latency_p50 = 0, read_latency_p95 = 0, read_latency_p99 = 0;
  std::vector<std::int64_t> epoch_bytes;  // bytes whose data moved in each epoch
  // Detailed model: the data bus's busy time in DRAM clock ticks, as counted; busy_cycles is
  // set from it when the run ends (DetailedDram::stats). Not an output itself.
  std::int64_t busy_ticks = 0;
  // Detailed model: DRAM clock ticks during which a rank had a bank open (active standby),
  // summed over the channel's ranks; and the run's length in ticks. For the energy model.
  std::int64_t active_ticks = 0;
  std::int64_t run_ticks = 0;

  static const StatSchema<ChannelStats>& schema();
};

// Detailed model: requests of one program group by their first DRAM command.
struct DramGroupCounters {
  std::int64_t row_hits = 0, row_misses = 0, row_conflicts = 0;

  static const StatSchema<DramGroupCounters>& schema();
};

}  // namespace fusim
