#include "trace.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <sstream>
#include <stdexcept>

#include <nlohmann/json.hpp>

namespace fusim {

namespace {

// Process ids of the trace's sections; within the cores, a thread per core engine.
constexpr int kGroupsPid = 1, kCoresPid = 2, kDramPid = 3, kInterconnectPid = 4;
const char* const kEngines[] = {"load", "compute", "store", "prefetch"};

std::string quoted(const std::string& s) {
  return nlohmann::json(s).dump();
}

// Microseconds to nanoseconds (at 1 GHz, a cycle), as a whole number of nanoseconds, so that a
// span's end (ts + dur) is exactly where it was rounded to and spans that touch stay touching.
std::int64_t nanos(double cycles, double clock_mhz) {
  return std::llround(cycles / clock_mhz * 1000.0);
}
std::string micros(std::int64_t ns) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%lld.%03lld", static_cast<long long>(ns / 1000),
                static_cast<long long>(ns % 1000));
  return buf;
}

class Writer {
 public:
  explicit Writer(double clock_mhz) : mhz_(clock_mhz) {}
  void raw(const std::string& event) {
    os_ << (first_ ? "\n" : ",\n") << event;
    first_ = false;
  }
  void name(int pid, int tid, const std::string& what, const std::string& name, int order) {
    raw("{\"ph\":\"M\",\"pid\":" + std::to_string(pid) + ",\"tid\":" + std::to_string(tid) +
        ",\"name\":\"" + what + "\",\"args\":{\"name\":" + quoted(name) + "}}");
    raw("{\"ph\":\"M\",\"pid\":" + std::to_string(pid) + ",\"tid\":" + std::to_string(tid) +
        ",\"name\":\"" + (what == "process_name" ? "process" : "thread") +
        "_sort_index\",\"args\":{\"sort_index\":" + std::to_string(order) + "}}");
  }
  void span(int pid, int tid, double start, double end, const std::string& name,
            const std::string& args) {
    const std::int64_t s = nanos(start, mhz_), e = std::max(s, nanos(end, mhz_));
    raw("{\"ph\":\"X\",\"pid\":" + std::to_string(pid) + ",\"tid\":" + std::to_string(tid) +
        ",\"ts\":" + micros(s) + ",\"dur\":" + micros(e - s) + ",\"name\":" + quoted(name) +
        ",\"args\":{" + args + "}}");
  }
  void counter(int pid, double at, const std::string& name, const std::string& series,
               double value) {
    char v[64];
    std::snprintf(v, sizeof v, "%.6g", value);
    raw("{\"ph\":\"C\",\"pid\":" + std::to_string(pid) +
        ",\"tid\":0,\"ts\":" + micros(nanos(at, mhz_)) + ",\"name\":" + quoted(name) +
        ",\"args\":{" + quoted(series) + ":" + v + "}}");
  }
  std::string text(const std::string& metadata) const {
    return "{\"displayTimeUnit\":\"ns\",\"otherData\":" + metadata + ",\"traceEvents\":[" +
           os_.str() + "\n]}\n";
  }

 private:
  double mhz_;
  std::ostringstream os_;
  bool first_ = true;
};

}  // namespace

std::string trace_json(const RunResult& r) {
  if (!r.sim.trace) throw std::logic_error("trace_json: the run recorded no trace");
  const SimTrace& t = *r.sim.trace;
  const Network& net = *r.net;
  const Arch& arch = *r.arch;
  Writer w(arch.clock_mhz);
  const auto layer_name = [&](int li) { return net.layer(li).name; };

  // Groups: one span each, on one track.
  w.name(kGroupsPid, 0, "process_name", "groups", 0);
  w.name(kGroupsPid, 0, "thread_name", "groups", 0);
  const auto& groups = r.program->schedule.groups;
  for (std::size_t g = 0; g < r.sim.groups.size() && g < groups.size(); ++g) {
    const Group& grp = groups[g];
    const std::string name =
        layer_name(grp.layers.front()) +
        (grp.layers.size() > 1 ? "..+" + std::to_string(grp.layers.size() - 1) : "");
    w.span(kGroupsPid, 0, r.sim.groups[g].start, r.sim.groups[g].end,
           "group " + std::to_string(g) + " " + name,
           "\"group\":" + std::to_string(g) + ",\"cores\":" + std::to_string(grp.cores) +
               ",\"layers\":" + std::to_string(grp.layers.size()));
  }

  // Cores: a track per engine, a span per command (or per run of commands).
  w.name(kCoresPid, 0, "process_name", "cores", 1);
  bool aggregated = false;
  for (const TraceTrack& track : t.tracks) {
    if (track.op == 3 && track.spans.empty()) continue;  // a core without prefetches
    const int tid = track.core * SimTrace::kEnginesPerCore + track.op;
    w.name(kCoresPid, tid, "thread_name",
           "core " + std::to_string(track.core) + " " + kEngines[track.op], tid);
    aggregated = aggregated || track.per_span > 1;
    for (const TraceSpan& s : track.spans) {
      std::string name = layer_name(s.first_layer);
      if (s.last_layer != s.first_layer) name += ".." + layer_name(s.last_layer);
      std::string args =
          "\"group\":" + std::to_string(s.group) + ",\"commands\":" + std::to_string(s.commands);
      if (track.op != 1) args += ",\"bytes\":" + std::to_string(s.bytes);
      w.span(kCoresPid, tid, s.start, s.end, std::string(kEngines[track.op]) + " " + name, args);
    }
  }

  // DRAM: each channel's busy periods, and its bandwidth per epoch as a counter.
  bool merged = false;
  if (!t.dram.empty()) {
    w.name(kDramPid, 0, "process_name", "DRAM", 2);
    for (std::size_t c = 0; c < t.dram.size(); ++c) {
      const BusyPeriods& b = t.dram[c];
      merged = merged || b.merge_gap > 0;
      const int tid = static_cast<int>(c) + 1;
      w.name(kDramPid, tid, "thread_name", "channel " + std::to_string(c) + " data bus", tid);
      for (const auto& [s, e] : b.periods) {
        w.span(kDramPid, tid, static_cast<double>(s) / t.dram_ticks_per_cycle,
               static_cast<double>(e) / t.dram_ticks_per_cycle, "busy", "");
      }
    }
  }
  const double epoch = static_cast<double>(t.epoch_cycles);
  const double gbps = arch.clock_mhz * 1e6 / epoch / 1e9;  // bytes per epoch -> GB/s
  for (std::size_t c = 0; c < r.sim.dram_channels.size(); ++c) {
    const auto& bytes = r.sim.dram_channels[c].epoch_bytes;
    for (std::size_t e = 0; e < bytes.size(); ++e) {
      w.counter(kDramPid, static_cast<double>(e) * epoch, "channel " + std::to_string(c) + " GB/s",
                "GB/s", static_cast<double>(bytes[e]) * gbps);
    }
  }
  // The interconnect: bytes of the transfers that ended in each epoch, as GB/s.
  w.name(kInterconnectPid, 0, "process_name", "interconnect", 3);
  for (std::size_t e = 0; e < t.interconnect_epoch_bytes.size(); ++e) {
    w.counter(kInterconnectPid, static_cast<double>(e) * epoch, "interconnect GB/s", "GB/s",
              static_cast<double>(t.interconnect_epoch_bytes[e]) * gbps);
  }

  nlohmann::json meta = {
      {"generator", "fusim"},
      {"network", net.name()},
      {"arch", arch.name},
      {"clock_mhz", arch.clock_mhz},
      {"time_unit", "microseconds at the arch's clock"},
      {"epoch_cycles", t.epoch_cycles},
      {"commands_aggregated", aggregated},
      {"dram_periods_merged", merged},
      {"note", std::string("a core engine track with more than ") +
                   std::to_string(kMaxSpansPerTrack) +
                   " commands shows runs of consecutive commands of a group as one span "
                   "(args.commands); DRAM busy periods are merged when closer than a gap that "
                   "grows once a channel has " +
                   std::to_string(kMaxBusyPeriods) + " of them"}};
  return w.text(meta.dump());
}

}  // namespace fusim
