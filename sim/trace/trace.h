// What `--trace FILE` shows (report/trace.h writes it as Chrome trace-event JSON): each core
// engine's commands as spans, each DRAM channel's busy periods (detailed model), the
// interconnect's bytes per epoch; the groups' spans come from GroupStats. Recorded only when
// asked for, and bounded: a track of more than kMaxSpansPerTrack commands records runs of
// consecutive commands as one span each, and DRAM busy periods closer than a gap that doubles
// as they fill their bound are merged. The trace says where it aggregated.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace fusim {

constexpr std::int64_t kMaxSpansPerTrack = 5000;
constexpr std::int64_t kMaxBusyPeriods = 20000;

struct TraceSpan {
  double start = 0, end = 0;  // cycles
  std::int32_t first_layer = -1, last_layer = -1, group = -1;
  std::int64_t commands = 0, bytes = 0;
};

// One engine of one core (op: 0 load, 1 compute, 2 store, 3 prefetch): consecutive commands,
// `per_span` to a span.
struct TraceTrack {
  int core = 0;
  int op = 0;
  std::int64_t per_span = 1;
  std::vector<TraceSpan> spans;
  void add(double start, double end, std::int32_t layer, std::int32_t group, std::int64_t bytes);
};

// Busy periods of one DRAM channel's data bus, in DRAM ticks.
struct BusyPeriods {
  std::int64_t merge_gap = 0;  // periods closer than this are one (0: only touching ones)
  std::vector<std::pair<std::int64_t, std::int64_t>> periods;
  void add(std::int64_t start, std::int64_t end);
};

struct SimTrace {
  std::vector<TraceTrack> tracks;  // kEnginesPerCore per core: load, compute, store, prefetch
  std::vector<BusyPeriods> dram;   // per channel; empty with the simple model
  double dram_ticks_per_cycle = 1;
  std::int64_t epoch_cycles = 10000;
  std::vector<std::int64_t> interconnect_epoch_bytes;  // bytes whose transfer ended in the epoch
  static constexpr int kEnginesPerCore = 4;
  TraceTrack& track(int core, int op) {
    return tracks[static_cast<std::size_t>(core * kEnginesPerCore + op)];
  }
};

}  // namespace fusim
