#include "controller/group_stats.h"

#include "stats/derived.h"

namespace fusim {

const StatSchema<GroupStats>& GroupStats::schema() {
  static const StatSchema<GroupStats> s = [] {
    using G = GroupStats;
    StatSchema<G> r;
    r.integer("cycles", "cycles",
              "the group's time, kernel launch included: its end minus its start, each rounded "
              "up to whole cycles",
              [](const G& g) { return whole_cycles(g.end) - whole_cycles(g.start); });
    r.integer("offchip_read_bytes", "bytes", "bytes the group read from DRAM",
              [](const G& g) { return g.traffic.read(); });
    r.integer("offchip_write_bytes", "bytes",
              "bytes the group wrote to DRAM (output fmaps, and partial sums it spilled)",
              [](const G& g) { return g.traffic.write(); });
    r.integer("shared_read_bytes", "bytes",
              "bytes the group loaded from the shared buffer (on chip): feature maps, and "
              "weights earlier groups prefetched there",
              [](const G& g) { return g.actions.shared_buffer.read; });
    r.integer("shared_write_bytes", "bytes",
              "bytes the group wrote to the shared buffer (on chip): feature maps it stored, "
              "and the weights it prefetched",
              [](const G& g) { return g.actions.shared_buffer.write; });
    r.integer(
        "weight_read_bytes", "bytes", "weight bytes the group read from DRAM",
        [](const G& g) { return g.traffic.weight_read; }, kCsv);
    r.integer(
        "weight_prefetch_bytes", "bytes",
        "of weight_read_bytes, the later groups' weights the group prefetched into the shared "
        "buffer",
        [](const G& g) { return g.traffic.weight_prefetch; }, kCsv);
    r.integer(
        "ifmap_read_bytes", "bytes", "input feature-map bytes the group read from DRAM",
        [](const G& g) { return g.traffic.ifmap_read; }, kCsv);
    r.integer(
        "psum_read_bytes", "bytes", "of offchip_read_bytes, spilled partial sums read back",
        [](const G& g) { return g.traffic.psum_read; }, kCsv);
    r.integer(
        "psum_write_bytes", "bytes", "of offchip_write_bytes, partial sums spilled",
        [](const G& g) { return g.traffic.psum_write; }, kCsv);
    r.include(DramGroupCounters::schema(),
              [](const G& g) -> const DramGroupCounters& { return g.dram; });
    r.add("memory_stall_cycles", &G::memory_stall_cycles, decimals(3), "cycles",
          "the most any core's compute engine waited in this group for its loads or for output "
          "buffer space");
    r.add("energy_pj", &G::energy_pj, significant(10), "pJ",
          "the group's energy: its cores' actions, DRAM energy in proportion to its DRAM bytes, "
          "and leakage over its duration");
    return r;
  }();
  return s;
}

}  // namespace fusim
