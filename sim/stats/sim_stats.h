// What a simulation counts. Plain counters, filled by the modules as they run; derived figures
// (utilisation, bandwidth) are computed by the report when stats are dumped.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace fusim {

struct TrafficCounters {
  std::int64_t weight_read = 0, ifmap_read = 0, ofmap_write = 0;
  std::int64_t read() const { return weight_read + ifmap_read; }
};

struct LayerStats {
  std::int64_t macs = 0;                   // MACs of the layer's compute commands (all cores)
  std::int64_t compute_cycles = 0;         // busiest core's compute-unit busy cycles for this layer
  double first_start = -1, last_end = -1;  // cycles
  std::int64_t cycles() const {
    return first_start < 0 ? 0 : static_cast<std::int64_t>(last_end - first_start + 0.999999);
  }
};

struct GroupStats {
  double start = 0, end = 0;  // cycles, launch overhead included
  TrafficCounters traffic;
  // Detailed DRAM model only (0 with the simple one): requests by their first DRAM command.
  std::int64_t dram_row_hits = 0, dram_row_misses = 0, dram_row_conflicts = 0;
  // The most any core's compute engine waited in this group for its loads to arrive or for
  // output buffer space that stores had to free.
  double memory_stall_cycles = 0;
};

struct CoreStats {
  std::int64_t compute_busy_cycles = 0;
  std::int64_t loads = 0, computes = 0, stores = 0;
  std::int64_t bytes_loaded = 0, bytes_stored = 0;                // from and to DRAM
  std::int64_t shared_bytes_loaded = 0, shared_bytes_stored = 0;  // the shared buffer
};

struct ChannelStats {
  std::int64_t bytes_read = 0, bytes_written = 0;
  double busy_cycles = 0;  // data moving (accelerator cycles)
  // Detailed DRAM model only (0 with the simple one).
  std::int64_t reads = 0, writes = 0;  // bursts
  std::int64_t row_hits = 0, row_misses = 0, row_conflicts = 0;
  std::int64_t activates = 0, precharges = 0, refreshes = 0;
  std::vector<std::int64_t> epoch_bytes;  // bytes moved per epoch of SimResult::dram_epoch_cycles
};

// The shared on-chip buffer (present when the arch has one).
struct SharedBufferStats {
  std::int64_t banks = 0, word_bytes = 0;
  std::int64_t reads = 0, writes = 0;  // transfers
  std::int64_t bytes_read = 0, bytes_written = 0;
  double bank_busy_cycles = 0;      // summed over the banks: cycles a bank's port moved data
  double bank_conflict_cycles = 0;  // summed over the banks: cycles two or more transfers shared it
};

struct SimResult {
  double cycles = 0;  // end of the last group
  TrafficCounters traffic;
  std::vector<LayerStats> layers;  // by network layer index
  std::vector<GroupStats> groups;
  std::vector<CoreStats> cores;
  std::vector<ChannelStats> dram_channels;
  std::string dram_model;  // "simple" or "detailed"
  std::int64_t dram_epoch_cycles = 0;
  double interconnect_busy_cycles = 0;
  std::optional<SharedBufferStats> shared_buffer;
};

}  // namespace fusim
