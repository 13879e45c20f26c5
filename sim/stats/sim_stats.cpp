#include "stats/sim_stats.h"

#include "stats/derived.h"

namespace fusim {

namespace {

// A DRAM channel with the run's length, for its utilisation.
struct ChannelView {
  const ChannelStats* stats = nullptr;
  std::int64_t run_cycles = 0;
};

const StatSchema<ChannelView>& channel_view_schema() {
  static const StatSchema<ChannelView> s = [] {
    StatSchema<ChannelView> r;
    r.include(ChannelStats::schema(),
              [](const ChannelView& v) -> const ChannelStats& { return *v.stats; });
    r.after("busy_cycles")
        .real(
            "utilisation", decimals(6), "fraction", "busy_cycles over the run's cycles",
            [](const ChannelView& v) { return busy_fraction(v.stats->busy_cycles, v.run_cycles); });
    return r;
  }();
  return s;
}

}  // namespace

const StatSchema<SimResult>& SimResult::schema() {
  static const StatSchema<SimResult> s = [] {
    using S = SimResult;
    StatSchema<S> r;
    r.integer("cycles", "cycles", "the whole run: the end of the last group, rounded up",
              [](const S& x) { return whole_cycles(x.cycles); });
    r.integer("offchip_read_bytes", "bytes", "bytes read from DRAM",
              [](const S& x) { return x.traffic.read(); });
    r.integer("offchip_write_bytes", "bytes", "bytes written to DRAM",
              [](const S& x) { return x.traffic.write(); });
    r.integer("offchip_weight_read_bytes", "bytes", "weight bytes read from DRAM",
              [](const S& x) { return x.traffic.weight_read; });
    r.integer("offchip_ifmap_read_bytes", "bytes", "input feature-map bytes read from DRAM",
              [](const S& x) { return x.traffic.ifmap_read; });
    r.integer("offchip_ofmap_write_bytes", "bytes", "output feature-map bytes written to DRAM",
              [](const S& x) { return x.traffic.ofmap_write; });
    r.integer("offchip_psum_read_bytes", "bytes",
              "partial sums read back from DRAM (input-centric groups whose partial sums spill)",
              [](const S& x) { return x.traffic.psum_read; });
    r.integer("offchip_psum_write_bytes", "bytes",
              "partial sums written to DRAM before they were complete (spilled)",
              [](const S& x) { return x.traffic.psum_write; });
    r.list("cores", "one entry per core, by index", CoreStats::schema(),
           [](const S& x) -> const std::vector<CoreStats>& { return x.cores; });
    r.text("dram_model", "the DRAM model that ran: simple or detailed",
           [](const S& x) { return x.dram_model; });
    r.add("dram_epoch_cycles", &S::dram_epoch_cycles, "cycles",
          "length of one epoch of dram_channels[].epoch_bytes (detailed model; 0 otherwise)");
    r.list("dram_channels", "one entry per DRAM channel, by index", channel_view_schema(),
           [](const S& x) {
             std::vector<ChannelView> v;
             for (const ChannelStats& c : x.dram_channels)
               v.push_back(ChannelView{&c, whole_cycles(x.cycles)});
             return v;
           });
    r.add("interconnect_busy_cycles", &S::interconnect_busy_cycles, decimals(3), "cycles",
          "cycles the core-memory link moved data (overlapping transfers count once)");
    r.object("energy", "the run's energy by component (docs/energy.md)", EnergyStats::schema(),
             [](const S& x) -> const EnergyStats* { return &x.energy; });
    r.object("shared_buffer", "the shared on-chip buffer; null when the arch has none",
             SharedBufferStats::schema(), [](const S& x) -> const SharedBufferStats* {
               return x.shared_buffer ? &*x.shared_buffer : nullptr;
             });
    return r;
  }();
  return s;
}

}  // namespace fusim
