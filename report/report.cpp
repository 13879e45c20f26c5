#include "report.h"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "arch/arch_io.h"
#include "common/error.h"
#include "cost/cost_model.h"
#include "network/network_io.h"
#include "schedule/program_io.h"

namespace fusim {

namespace {

std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (const char ch : s) {
    switch (ch) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        if (static_cast<unsigned char>(ch) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned char>(ch));
          out += buf;
        } else {
          out += ch;
        }
    }
  }
  return out + "\"";
}

// Fixed formatting so that output bytes do not depend on the locale or the platform.
std::string num(double v, int decimals = 3) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

// A double for JSON: significant digits rather than fixed decimals, so that a small value (the
// seconds of a short run at a fast clock, a tiny utilisation) is not printed as 0; never nan or
// inf, which JSON cannot hold (callers avoid them; 0 is written should one slip through).
std::string json_num(double v) {
  if (!std::isfinite(v)) return "0";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.10g", v);
  return buf;
}

// Network MACs over cycles times the peak MACs per cycle; 0 for a run of 0 cycles (a network of
// concats alone does no work).
double utilisation(std::int64_t macs, std::int64_t cycles, double peak_per_cycle) {
  if (cycles <= 0 || peak_per_cycle <= 0) return 0;
  return static_cast<double>(macs) / (static_cast<double>(cycles) * peak_per_cycle);
}

std::int64_t whole_cycles(double c) {
  return static_cast<std::int64_t>(std::ceil(c - 1e-9));
}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char ch : s) out += ch == '"' ? std::string("\"\"") : std::string(1, ch);
  return out + "\"";
}

std::string group_name(const RunResult& r, std::size_t g) {
  const Group& grp = r.program->schedule.groups[g];
  std::string s = r.net->layer(grp.layers.front()).name;
  if (grp.layers.size() > 1) s += "..+" + std::to_string(grp.layers.size() - 1);
  return s;
}

double peak_macs_per_cycle(const Arch& a) {
  return static_cast<double>(a.core_count) * static_cast<double>(a.core.pe_array.rows) *
         static_cast<double>(a.core.pe_array.cols);
}

std::string with_commas(std::int64_t v) {
  std::string s = std::to_string(v);
  for (int i = static_cast<int>(s.size()) - 3; i > (v < 0 ? 1 : 0); i -= 3)
    s.insert(static_cast<std::size_t>(i), ",");
  return s;
}

// DRAM row-hit rate of a group, or -1 when the model does not classify requests (simple).
double row_hit_rate(const GroupStats& g) {
  const std::int64_t n = g.dram_row_hits + g.dram_row_misses + g.dram_row_conflicts;
  return n > 0 ? static_cast<double>(g.dram_row_hits) / static_cast<double>(n) : -1.0;
}

// Off-chip bytes per second achieved over the group's time, in GB/s.
double group_gbytes_per_s(const GroupStats& g, double clock_mhz) {
  const double cycles = g.end - g.start;
  const double bytes = static_cast<double>(g.traffic.read() + g.traffic.ofmap_write);
  return cycles > 0 ? bytes / cycles * clock_mhz * 1e6 / 1e9 : 0.0;
}

}  // namespace

std::string summary_text(const RunResult& r) {
  const Arch& a = *r.arch;
  const Network& net = *r.net;
  const SimResult& s = r.sim;
  const std::int64_t cycles = whole_cycles(s.cycles);
  const double seconds = static_cast<double>(cycles) / (a.clock_mhz * 1e6);
  const std::int64_t macs = net.total_macs();
  std::ostringstream os;
  os << "fusim: " << net.name() << " (batch " << net.batch() << ") on " << a.name << ", "
     << a.core_count << " cores at " << json_num(a.clock_mhz) << " MHz, schedule '"
     << r.program->schedule.algorithm << "'\n";
  os << "  cycles            " << with_commas(cycles) << "\n";
  // Milliseconds to 3 decimals, or to 10 significant digits when that would show 0.000.
  os << "  time              "
     << (seconds > 0 && seconds < 1e-6 ? json_num(seconds * 1e3) : num(seconds * 1e3, 3))
     << " ms\n";
  os << "  MACs              " << with_commas(macs) << "\n";
  os << "  MAC utilisation   " << num(100.0 * utilisation(macs, cycles, peak_macs_per_cycle(a)), 2)
     << " % of " << with_commas(static_cast<std::int64_t>(peak_macs_per_cycle(a)))
     << " MACs/cycle\n";
  os << "  off-chip read     " << with_commas(s.traffic.read()) << " B  (weights "
     << with_commas(s.traffic.weight_read) << ", input fmaps " << with_commas(s.traffic.ifmap_read)
     << ")\n";
  os << "  off-chip write    " << with_commas(s.traffic.ofmap_write) << " B  (output fmaps "
     << with_commas(s.traffic.ofmap_write) << ")\n";
  os << "  off-chip floor    " << with_commas(compulsory_traffic(net, a).total())
     << " B  (weights, network inputs and outputs, each once)\n";
  {
    std::int64_t hits = 0, all = 0;
    for (const ChannelStats& c : s.dram_channels) {
      hits += c.row_hits;
      all += c.row_hits + c.row_misses + c.row_conflicts;
    }
    const double bytes = static_cast<double>(s.traffic.read() + s.traffic.ofmap_write);
    os << "  DRAM              " << s.dram_model << " model, "
       << num(cycles > 0 ? bytes / static_cast<double>(cycles) * a.clock_mhz * 1e6 / 1e9 : 0.0, 2)
       << " GB/s achieved of " << num(a.dram_peak_bytes_per_cycle() * a.clock_mhz * 1e6 / 1e9, 2)
       << " GB/s peak";
    if (all > 0)
      os << ", row-hit rate "
         << num(100.0 * static_cast<double>(hits) / static_cast<double>(all), 1) << " %";
    os << "\n";
  }
  if (const auto& sb = s.shared_buffer; sb && sb->reads + sb->writes > 0) {
    os << "  shared buffer     " << with_commas(sb->bytes_read) << " B read, "
       << with_commas(sb->bytes_written) << " B written, "
       << with_commas(std::llround(sb->bank_conflict_cycles)) << " bank-cycles in conflict\n";
  }
  os << "  groups            " << r.program->schedule.groups.size();
  if (r.program->schedule.groups_evaluated > 0) {
    os << "  (search: " << with_commas(r.program->schedule.groups_evaluated)
       << " candidate groups evaluated in " << num(r.program->schedule.search_seconds, 3) << " s)";
  }
  os << "\n";
  char line[256];
  std::snprintf(line, sizeof line, "  %-4s %-28s %6s %12s %14s %14s %7s %8s %11s\n", "#", "group",
                "cores", "cycles", "read B", "write B", "hit %", "GB/s", "mem stall");
  os << line;
  for (std::size_t g = 0; g < s.groups.size(); ++g) {
    const GroupStats& gs = s.groups[g];
    const double hit = row_hit_rate(gs);
    std::snprintf(line, sizeof line, "  %-4zu %-28s %6lld %12lld %14lld %14lld %7s %8.2f %11lld\n",
                  g, group_name(r, g).substr(0, 28).c_str(),
                  static_cast<long long>(r.program->schedule.groups[g].cores),
                  static_cast<long long>(whole_cycles(gs.end) - whole_cycles(gs.start)),
                  static_cast<long long>(gs.traffic.read()),
                  static_cast<long long>(gs.traffic.ofmap_write),
                  hit < 0 ? "-" : num(100.0 * hit, 1).c_str(), group_gbytes_per_s(gs, a.clock_mhz),
                  static_cast<long long>(whole_cycles(gs.memory_stall_cycles)));
    os << line;
  }
  return os.str();
}

std::string report_json(const RunResult& r) {
  const Arch& a = *r.arch;
  const Network& net = *r.net;
  const SimResult& s = r.sim;
  const std::int64_t cycles = whole_cycles(s.cycles);
  std::ostringstream os;
  os << "{\n";
  os << "  \"fusim_version\": " << json_string(FUSIM_VERSION) << ",\n";
  os << "  \"network\": " << json_string(net.name()) << ",\n";
  os << "  \"arch\": " << json_string(a.name) << ",\n";
  os << "  \"batch\": " << net.batch() << ",\n";
  os << "  \"algorithm\": " << json_string(r.program->schedule.algorithm) << ",\n";
  // The search's wall time is on stdout only: this file is byte-identical across runs.
  os << "  \"search_groups_evaluated\": " << r.program->schedule.groups_evaluated << ",\n";
  os << "  \"clock_mhz\": " << json_num(a.clock_mhz) << ",\n";
  os << "  \"cycles\": " << cycles << ",\n";
  os << "  \"seconds\": " << json_num(static_cast<double>(cycles) / (a.clock_mhz * 1e6)) << ",\n";
  os << "  \"macs\": " << net.total_macs() << ",\n";
  os << "  \"params\": " << net.total_params() << ",\n";
  os << "  \"mac_utilisation\": "
     << json_num(utilisation(net.total_macs(), cycles, peak_macs_per_cycle(a))) << ",\n";
  os << "  \"offchip_read_bytes\": " << s.traffic.read() << ",\n";
  os << "  \"offchip_write_bytes\": " << s.traffic.ofmap_write << ",\n";
  os << "  \"offchip_weight_read_bytes\": " << s.traffic.weight_read << ",\n";
  os << "  \"offchip_ifmap_read_bytes\": " << s.traffic.ifmap_read << ",\n";
  os << "  \"compulsory_offchip_bytes\": " << compulsory_traffic(net, a).total() << ",\n";
  os << "  \"offchip_ofmap_write_bytes\": " << s.traffic.ofmap_write << ",\n";
  os << "  \"layers\": [\n";
  for (std::size_t i = 0; i < net.layers().size(); ++i) {
    const Layer& l = net.layers()[i];
    const LayerStats& ls = s.layers[i];
    os << "    {\"name\": " << json_string(l.name)
       << ", \"type\": " << json_string(to_string(l.type)) << ", \"output_shape\": ["
       << l.out_shape.c << ", " << l.out_shape.h << ", " << l.out_shape.w
       << "], \"macs\": " << l.macs_per_item() * net.batch() << ", \"params\": " << l.params()
       << ", \"unit\": "
       << json_string(l.type == LayerType::Concat ? "none"
                      : l.runs_on_pe_array()      ? "pe_array"
                                                  : "vector")
       << ", \"compute_cycles\": " << ls.compute_cycles << ", \"cycles\": " << ls.cycles() << "}"
       << (i + 1 < net.layers().size() ? "," : "") << "\n";
  }
  os << "  ],\n  \"groups\": [\n";
  for (std::size_t g = 0; g < s.groups.size(); ++g) {
    const Group& grp = r.program->schedule.groups[g];
    const GroupStats& gs = s.groups[g];
    os << "    {\"layers\": [";
    for (std::size_t j = 0; j < grp.layers.size(); ++j)
      os << (j ? ", " : "") << json_string(net.layer(grp.layers[j]).name);
    os << "], \"cores\": " << grp.cores << ", \"tiles\": " << grp.tiles
       << ", \"cycles\": " << whole_cycles(gs.end) - whole_cycles(gs.start)
       << ", \"offchip_read_bytes\": " << gs.traffic.read()
       << ", \"offchip_write_bytes\": " << gs.traffic.ofmap_write
       << ", \"predicted_offchip_read_bytes\": " << r.predicted[g].read()
       << ", \"predicted_offchip_write_bytes\": " << r.predicted[g].ofmap
       << ", \"predicted_macs\": " << r.predicted_costs[g].macs
       << ", \"predicted_buffer_read_bytes\": " << r.predicted_costs[g].buffer_reads
       << ", \"predicted_buffer_write_bytes\": " << r.predicted_costs[g].buffer_writes
       << ", \"predicted_cycles\": " << r.predicted_costs[g].est_cycles
       << ", \"dram_row_hits\": " << gs.dram_row_hits
       << ", \"dram_row_misses\": " << gs.dram_row_misses
       << ", \"dram_row_conflicts\": " << gs.dram_row_conflicts
       << ", \"dram_gbytes_per_s\": " << num(group_gbytes_per_s(gs, a.clock_mhz), 3)
       << ", \"memory_stall_cycles\": " << num(gs.memory_stall_cycles) << "}"
       << (g + 1 < s.groups.size() ? "," : "") << "\n";
  }
  os << "  ],\n  \"cores\": [\n";
  for (std::size_t c = 0; c < s.cores.size(); ++c) {
    const CoreStats& cs = s.cores[c];
    os << "    {\"compute_busy_cycles\": " << cs.compute_busy_cycles << ", \"loads\": " << cs.loads
       << ", \"computes\": " << cs.computes << ", \"stores\": " << cs.stores
       << ", \"bytes_loaded\": " << cs.bytes_loaded << ", \"bytes_stored\": " << cs.bytes_stored
       << ", \"shared_bytes_loaded\": " << cs.shared_bytes_loaded
       << ", \"shared_bytes_stored\": " << cs.shared_bytes_stored << "}"
       << (c + 1 < s.cores.size() ? "," : "") << "\n";
  }
  os << "  ],\n  \"dram_model\": " << json_string(s.dram_model) << ",\n";
  os << "  \"dram_epoch_cycles\": " << s.dram_epoch_cycles << ",\n";
  os << "  \"dram_channels\": [\n";
  for (std::size_t c = 0; c < s.dram_channels.size(); ++c) {
    const ChannelStats& ch = s.dram_channels[c];
    os << "    {\"bytes_read\": " << ch.bytes_read << ", \"bytes_written\": " << ch.bytes_written
       << ", \"busy_cycles\": " << num(ch.busy_cycles) << ", \"utilisation\": "
       << num(cycles > 0 ? ch.busy_cycles / static_cast<double>(cycles) : 0.0, 6)
       << ", \"reads\": " << ch.reads << ", \"writes\": " << ch.writes
       << ", \"row_hits\": " << ch.row_hits << ", \"row_misses\": " << ch.row_misses
       << ", \"row_conflicts\": " << ch.row_conflicts << ", \"activates\": " << ch.activates
       << ", \"precharges\": " << ch.precharges << ", \"refreshes\": " << ch.refreshes
       << ", \"epoch_bytes\": [";
    for (std::size_t e = 0; e < ch.epoch_bytes.size(); ++e)
      os << (e ? ", " : "") << ch.epoch_bytes[e];
    os << "]}" << (c + 1 < s.dram_channels.size() ? "," : "") << "\n";
  }
  os << "  ],\n  \"interconnect_busy_cycles\": " << num(s.interconnect_busy_cycles) << ",\n";
  os << "  \"shared_buffer\": ";
  if (const auto& sb = s.shared_buffer) {
    os << "{\"banks\": " << sb->banks << ", \"word_bytes\": " << sb->word_bytes
       << ", \"reads\": " << sb->reads << ", \"writes\": " << sb->writes
       << ", \"bytes_read\": " << sb->bytes_read << ", \"bytes_written\": " << sb->bytes_written
       << ", \"bank_busy_cycles\": " << num(sb->bank_busy_cycles)
       << ", \"bank_conflict_cycles\": " << num(sb->bank_conflict_cycles) << "}\n}\n";
  } else {
    os << "null\n}\n";
  }
  return os.str();
}

std::string layers_csv(const RunResult& r) {
  std::ostringstream os;
  os << "index,name,type,out_c,out_h,out_w,macs,params,unit,compute_cycles,cycles,start_cycle,end_"
        "cycle\n";
  for (std::size_t i = 0; i < r.net->layers().size(); ++i) {
    const Layer& l = r.net->layers()[i];
    const LayerStats& ls = r.sim.layers[i];
    os << i << "," << csv_field(l.name) << "," << to_string(l.type) << "," << l.out_shape.c << ","
       << l.out_shape.h << "," << l.out_shape.w << "," << l.macs_per_item() * r.net->batch() << ","
       << l.params() << ","
       << (l.type == LayerType::Concat ? "none"
           : l.runs_on_pe_array()      ? "pe_array"
                                       : "vector")
       << "," << ls.compute_cycles << "," << ls.cycles() << ","
       << num(std::max(0.0, ls.first_start)) << "," << num(std::max(0.0, ls.last_end)) << "\n";
  }
  return os.str();
}

std::string groups_csv(const RunResult& r) {
  std::ostringstream os;
  os << "index,layers,cores,cycles,offchip_read_bytes,offchip_write_bytes,"
        "predicted_offchip_read_bytes,predicted_offchip_write_bytes,weight_read_bytes,"
        "ifmap_read_bytes,dram_row_hits,dram_row_misses,dram_row_conflicts,dram_gbytes_per_s,"
        "memory_stall_cycles\n";
  for (std::size_t g = 0; g < r.sim.groups.size(); ++g) {
    const Group& grp = r.program->schedule.groups[g];
    const GroupStats& gs = r.sim.groups[g];
    std::string names;
    for (int li : grp.layers) names += (names.empty() ? "" : " ") + r.net->layer(li).name;
    os << g << "," << csv_field(names) << "," << grp.cores << ","
       << whole_cycles(gs.end) - whole_cycles(gs.start) << "," << gs.traffic.read() << ","
       << gs.traffic.ofmap_write << "," << r.predicted[g].read() << "," << r.predicted[g].ofmap
       << "," << gs.traffic.weight_read << "," << gs.traffic.ifmap_read << "," << gs.dram_row_hits
       << "," << gs.dram_row_misses << "," << gs.dram_row_conflicts << ","
       << num(group_gbytes_per_s(gs, r.arch->clock_mhz), 3) << "," << num(gs.memory_stall_cycles)
       << "\n";
  }
  return os.str();
}

void write_outputs(const RunResult& r, const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw InputError(dir, 0, "--out", "cannot create the output directory: " + ec.message());
  auto write = [&](const std::string& name, const std::string& text) {
    const std::string path = dir + "/" + name;
    std::ofstream f(path, std::ios::binary);
    f << text;
    if (!f) throw InputError(path, 0, "--out", "cannot write the file");
  };
  write("report.json", report_json(r));
  write("layers.csv", layers_csv(r));
  write("groups.csv", groups_csv(r));
  write("arch.yaml", arch_to_yaml(*r.arch));
  write("network.yaml", network_to_yaml(*r.net));
  write("schedule.yaml", program_to_yaml(*r.program, *r.net));
}

}  // namespace fusim
