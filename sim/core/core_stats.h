// What a core counts: its engines' work, its traffic, and per layer and per group the figures the
// simulation aggregates over cores (simulate.cpp). Registered in core_stats.cpp.
#pragma once

#include <cstdint>

#include "stats/stats.h"

namespace fusim {

// Off-chip bytes by tensor kind.
struct TrafficCounters {
  std::int64_t weight_read = 0, ifmap_read = 0, ofmap_write = 0;
  // Of weight_read: the bytes prefetched to the shared buffer for later groups.
  std::int64_t weight_prefetch = 0;
  // Partial sums spilled (TensorKind::Psum): stored before they are complete, loaded back.
  std::int64_t psum_read = 0, psum_write = 0;
  std::int64_t read() const { return weight_read + ifmap_read + psum_read; }
  std::int64_t write() const { return ofmap_write + psum_write; }
  TrafficCounters& operator+=(const TrafficCounters& o) {
    weight_read += o.weight_read;
    weight_prefetch += o.weight_prefetch;
    ifmap_read += o.ifmap_read;
    ofmap_write += o.ofmap_write;
    psum_read += o.psum_read;
    psum_write += o.psum_write;
    return *this;
  }
};

// What a core's components did, for the energy model (sim/stats/energy.h): its engines'
// arithmetic, its buffers' traffic in bytes (the engines' operand reads and writes, from
// EngineActions, and the DMA's fills and drains), the bytes it moved over the interconnect (a
// multicast once, by the core that reads it) and its DRAM and shared-buffer bytes.
struct BufferBytes {
  std::int64_t read = 0, write = 0;
  std::int64_t total() const { return read + write; }
  BufferBytes& operator+=(const BufferBytes& o) {
    read += o.read;
    write += o.write;
    return *this;
  }
};

struct ActionCounts {
  std::int64_t macs = 0, adds = 0, vector_ops = 0, mask_ops = 0;
  BufferBytes input_buffer, weight_buffer, output_buffer;
  BufferBytes registers;  // the PEs' registers (EngineActions::registers)
  std::int64_t interconnect_bytes = 0;
  std::int64_t dram_bytes = 0;  // requested bytes read and written
  BufferBytes shared_buffer;
  ActionCounts& operator+=(const ActionCounts& o) {
    macs += o.macs;
    adds += o.adds;
    vector_ops += o.vector_ops;
    mask_ops += o.mask_ops;
    input_buffer += o.input_buffer;
    weight_buffer += o.weight_buffer;
    output_buffer += o.output_buffer;
    registers += o.registers;
    interconnect_bytes += o.interconnect_bytes;
    dram_bytes += o.dram_bytes;
    shared_buffer += o.shared_buffer;
    return *this;
  }

  static const StatSchema<ActionCounts>& schema();
};

struct LayerStats {
  // MACs of the layer's compute commands (all cores). Not an output (the report shows the
  // network's MACs); the end-to-end test holds the two equal.
  std::int64_t macs = 0;
  std::int64_t compute_cycles = 0;  // busiest core's compute-unit busy cycles for this layer
  // A fused block's compute cycles by phase (engines/fused_bottleneck/), all cores.
  std::int64_t predict_expand_cycles = 0, predict_depthwise_cycles = 0, fused_main_cycles = 0;
  ActionCounts actions;                    // all cores
  double energy_pj = 0;                    // set from `actions` by the energy model
  double first_start = -1, last_end = -1;  // cycles; -1: no command of the layer ran
  std::int64_t cycles() const {
    return first_start < 0 ? 0 : static_cast<std::int64_t>(last_end - first_start + 0.999999);
  }

  static const StatSchema<LayerStats>& schema();
};

struct CoreStats {
  std::int64_t compute_busy_cycles = 0;
  std::int64_t loads = 0, computes = 0, stores = 0, prefetches = 0;
  std::int64_t bytes_loaded = 0, bytes_stored = 0;                // from and to DRAM
  std::int64_t shared_bytes_loaded = 0, shared_bytes_stored = 0;  // the shared buffer
  std::int64_t multicast_bytes_received = 0;  // loads another core read from DRAM
  ActionCounts actions;

  static const StatSchema<CoreStats>& schema();
};

}  // namespace fusim
