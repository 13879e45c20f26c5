#include "core/core_stats.h"

#include <algorithm>

namespace fusim {

const StatSchema<LayerStats>& LayerStats::schema() {
  static const StatSchema<LayerStats> s = [] {
    using L = LayerStats;
    StatSchema<L> r;
    r.add("compute_cycles", &L::compute_cycles, "cycles",
          "the busiest core's compute-engine busy cycles for this layer");
    r.integer("cycles", "cycles",
              "from the start of the layer's first command to the end of its last, rounded up "
              "(0 when none ran)",
              [](const L& l) { return l.cycles(); });
    r.add("predict_expand_cycles", &L::predict_expand_cycles, "cycles",
          "a fused block's cycles predicting its expand masks (all cores; 0 for other layers)");
    r.add("predict_depthwise_cycles", &L::predict_depthwise_cycles, "cycles",
          "a fused block's cycles predicting its depthwise masks (all cores)");
    r.add("fused_main_cycles", &L::fused_main_cycles, "cycles",
          "a fused block's main-phase cycles (all cores)");
    r.real(
        "start_cycle", decimals(3), "cycles", "when the layer's first command started",
        [](const L& l) { return std::max(0.0, l.first_start); }, kCsv);
    r.real(
        "end_cycle", decimals(3), "cycles", "when the layer's last command ended",
        [](const L& l) { return std::max(0.0, l.last_end); }, kCsv);
    r.add("energy_pj", &L::energy_pj, significant(10), "pJ",
          "the layer's energy: its cores' actions and DRAM energy in proportion to its DRAM "
          "bytes (leakage is counted with the groups, not the layers)");
    return r;
  }();
  return s;
}

const StatSchema<ActionCounts>& ActionCounts::schema() {
  static const StatSchema<ActionCounts> s = [] {
    using A = ActionCounts;
    StatSchema<A> r;
    r.add("macs", &A::macs, "MACs",
          "multiply-accumulates of the PE array and of the fused-bottleneck engine", kJson);
    r.add("adds", &A::adds, "additions",
          "additions outside a MAC: partial sums across folds; the fused-bottleneck engine's "
          "mask predictions and effective weights",
          kJson);
    r.add("vector_ops", &A::vector_ops, "operations", "vector-unit element operations", kJson);
    r.add("mask_ops", &A::mask_ops, "tests",
          "the fused-bottleneck engine's mask tests (one per fused weight per pixel)", kJson);
    const auto buffer = [&r](const char* read, const char* write, BufferBytes A::*m,
                             const char* what) {
      r.integer(
          read, "bytes", (std::string("bytes read from ") + what).c_str(),
          [m](const A& x) { return (x.*m).read; }, kJson);
      r.integer(
          write, "bytes", (std::string("bytes written to ") + what).c_str(),
          [m](const A& x) { return (x.*m).write; }, kJson);
    };
    buffer("input_buffer_read_bytes", "input_buffer_write_bytes", &A::input_buffer,
           "the input buffer (engine operands; loads write, stores read)");
    buffer("weight_buffer_read_bytes", "weight_buffer_write_bytes", &A::weight_buffer,
           "the weight buffer");
    buffer("output_buffer_read_bytes", "output_buffer_write_bytes", &A::output_buffer,
           "the output buffer");
    buffer("register_read_bytes", "register_write_bytes", &A::registers,
           "the PEs' registers (operands passed between PEs, stationary operands, partial sums)");
    r.add("interconnect_bytes", &A::interconnect_bytes, "bytes",
          "bytes the core moved over the interconnect (a multicast once)", kJson);
    r.add("dram_bytes", &A::dram_bytes, "bytes", "bytes the core read from and wrote to DRAM",
          kJson);
    buffer("shared_buffer_read_bytes", "shared_buffer_write_bytes", &A::shared_buffer,
           "the shared buffer by the core's loads and stores");
    return r;
  }();
  return s;
}

const StatSchema<CoreStats>& CoreStats::schema() {
  static const StatSchema<CoreStats> s = [] {
    using C = CoreStats;
    StatSchema<C> r;
    r.add("compute_busy_cycles", &C::compute_busy_cycles, "cycles",
          "cycles the core's compute engine (PE array or vector unit) was busy");
    r.add("loads", &C::loads, "commands", "load commands from DRAM the core completed");
    r.add("computes", &C::computes, "commands", "compute commands the core completed");
    r.add("stores", &C::stores, "commands", "store commands to DRAM the core completed");
    r.add("bytes_loaded", &C::bytes_loaded, "bytes", "bytes the core loaded from DRAM");
    r.add("bytes_stored", &C::bytes_stored, "bytes", "bytes the core stored to DRAM");
    r.add("shared_bytes_loaded", &C::shared_bytes_loaded, "bytes",
          "bytes the core loaded from the shared on-chip buffer");
    r.add("shared_bytes_stored", &C::shared_bytes_stored, "bytes",
          "bytes the core stored to the shared on-chip buffer");
    r.add("multicast_bytes_received", &C::multicast_bytes_received, "bytes",
          "bytes the core received by multicast: loads another core of its group read from "
          "DRAM once for both");
    r.object("actions", "what the core's components did, for the energy model",
             ActionCounts::schema(), [](const C& c) -> const ActionCounts* { return &c.actions; });
    return r;
  }();
  return s;
}

}  // namespace fusim
