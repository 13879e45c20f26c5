#include "report.h"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/error.h"

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
  os << "  groups            " << r.program->schedule.groups.size() << "\n";
  char line[256];
  std::snprintf(line, sizeof line, "  %-4s %-28s %6s %12s %14s %14s\n", "#", "group", "cores",
                "cycles", "read B", "write B");
  os << line;
  for (std::size_t g = 0; g < s.groups.size(); ++g) {
    const GroupStats& gs = s.groups[g];
    std::snprintf(line, sizeof line, "  %-4zu %-28s %6lld %12lld %14lld %14lld\n", g,
                  group_name(r, g).substr(0, 28).c_str(),
                  static_cast<long long>(r.program->schedule.groups[g].cores),
                  static_cast<long long>(whole_cycles(gs.end) - whole_cycles(gs.start)),
                  static_cast<long long>(gs.traffic.read()),
                  static_cast<long long>(gs.traffic.ofmap_write));
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
    os << "], \"cores\": " << grp.cores
       << ", \"cycles\": " << whole_cycles(gs.end) - whole_cycles(gs.start)
       << ", \"offchip_read_bytes\": " << gs.traffic.read()
       << ", \"offchip_write_bytes\": " << gs.traffic.ofmap_write
       << ", \"predicted_offchip_read_bytes\": " << r.predicted[g].read()
       << ", \"predicted_offchip_write_bytes\": " << r.predicted[g].ofmap << "}"
       << (g + 1 < s.groups.size() ? "," : "") << "\n";
  }
  os << "  ],\n  \"cores\": [\n";
  for (std::size_t c = 0; c < s.cores.size(); ++c) {
    const CoreStats& cs = s.cores[c];
    os << "    {\"compute_busy_cycles\": " << cs.compute_busy_cycles << ", \"loads\": " << cs.loads
       << ", \"computes\": " << cs.computes << ", \"stores\": " << cs.stores
       << ", \"bytes_loaded\": " << cs.bytes_loaded << ", \"bytes_stored\": " << cs.bytes_stored
       << "}" << (c + 1 < s.cores.size() ? "," : "") << "\n";
  }
  os << "  ],\n  \"dram_channels\": [\n";
  for (std::size_t c = 0; c < s.dram_channels.size(); ++c) {
    const ChannelStats& ch = s.dram_channels[c];
    os << "    {\"bytes_read\": " << ch.bytes_read << ", \"bytes_written\": " << ch.bytes_written
       << ", \"busy_cycles\": " << num(ch.busy_cycles) << ", \"utilisation\": "
       << num(cycles > 0 ? ch.busy_cycles / static_cast<double>(cycles) : 0.0, 6) << "}"
       << (c + 1 < s.dram_channels.size() ? "," : "") << "\n";
  }
  os << "  ],\n  \"interconnect_busy_cycles\": " << num(s.interconnect_busy_cycles) << "\n}\n";
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
        "ifmap_read_bytes\n";
  for (std::size_t g = 0; g < r.sim.groups.size(); ++g) {
    const Group& grp = r.program->schedule.groups[g];
    const GroupStats& gs = r.sim.groups[g];
    std::string names;
    for (int li : grp.layers) names += (names.empty() ? "" : " ") + r.net->layer(li).name;
    os << g << "," << csv_field(names) << "," << grp.cores << ","
       << whole_cycles(gs.end) - whole_cycles(gs.start) << "," << gs.traffic.read() << ","
       << gs.traffic.ofmap_write << "," << r.predicted[g].read() << "," << r.predicted[g].ofmap
       << "," << gs.traffic.weight_read << "," << gs.traffic.ifmap_read << "\n";
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
