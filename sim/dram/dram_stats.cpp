#include "dram/dram_stats.h"

namespace fusim {

const StatSchema<ChannelStats>& ChannelStats::schema() {
  static const StatSchema<ChannelStats> s = [] {
    using C = ChannelStats;
    StatSchema<C> r;
    r.add("bytes_read", &C::bytes_read, "bytes", "bytes read from this channel");
    r.add("bytes_written", &C::bytes_written, "bytes", "bytes written to this channel");
    r.add("busy_cycles", &C::busy_cycles, decimals(3), "cycles",
          "accelerator cycles the channel's data bus moved data");
    r.add("reads", &C::reads, "bursts",
          "read bursts served (detailed model; 0 with the simple one)");
    r.add("writes", &C::writes, "bursts", "write bursts served (detailed model)");
    r.add("row_hits", &C::row_hits, "requests",
          "bursts whose first command was a column access to the open row (detailed model)");
    r.add("row_misses", &C::row_misses, "requests",
          "bursts that found their bank closed and needed an activate (detailed model)");
    r.add("row_conflicts", &C::row_conflicts, "requests",
          "bursts that found another row open and needed a precharge (detailed model)");
    r.add("activates", &C::activates, "commands", "ACT commands issued (detailed model)");
    r.add("precharges", &C::precharges, "commands",
          "precharges issued, refresh precharges included (detailed model)");
    r.add("refreshes", &C::refreshes, "commands",
          "all-bank refreshes up to the end of the run (detailed model)");
    r.add("read_latency_mean", &C::read_latency_mean, decimals(3), "cycles",
          "mean read latency, from a read burst's entry into the controller's read queue to the "
          "end of its data (detailed model)");
    r.add("read_latency_p50", &C::read_latency_p50, decimals(3), "cycles",
          "median read latency (nearest rank; detailed model)");
    r.add("read_latency_p95", &C::read_latency_p95, decimals(3), "cycles",
          "95th percentile of the read latency (nearest rank; detailed model)");
    r.add("read_latency_p99", &C::read_latency_p99, decimals(3), "cycles",
          "99th percentile of the read latency (nearest rank; detailed model)");
    r.integers("epoch_bytes", "bytes",
               "bytes whose data moved in each epoch of dram_epoch_cycles (detailed model)",
               [](const C& c) { return c.epoch_bytes; });
    return r;
  }();
  return s;
}

const StatSchema<DramGroupCounters>& DramGroupCounters::schema() {
  static const StatSchema<DramGroupCounters> s = [] {
    using D = DramGroupCounters;
    StatSchema<D> r;
    r.add("dram_row_hits", &D::row_hits, "requests",
          "the group's DRAM bursts that hit the open row (detailed model; 0 with the simple one)");
    r.add("dram_row_misses", &D::row_misses, "requests",
          "the group's DRAM bursts that found their bank closed (detailed model)");
    r.add("dram_row_conflicts", &D::row_conflicts, "requests",
          "the group's DRAM bursts that found another row open (detailed model)");
    return r;
  }();
  return s;
}

}  // namespace fusim
