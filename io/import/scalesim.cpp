#include "import/scalesim.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <set>
#include <sstream>
#include <vector>

#include "common/error.h"
#include "common/limits.h"
#include "common/yaml_reader.h"

namespace fusim {

namespace {

// The limits of the network and arch loaders (docs/limits-and-fuzzing.md).
using limits::kMaxChannels;
using limits::kMaxElements;
using limits::kMaxExtent;
using limits::kMaxLayerMacs;
constexpr std::int64_t kMaxCount = 1 << 16;  // array rows and columns, banks
// SRAM sizes in KiB: the arch's largest buffer, so that the converted arch loads.
constexpr std::int64_t kMaxKib = limits::kMaxBufferBytes / 1024;
constexpr std::int64_t kMaxRate = 1 << 20;          // bandwidth, words per cycle
constexpr std::int64_t kCalcDefaultBandwidth = 10;  // single_layer_sim.py, CALC mode

std::string trim(const std::string& s) {
  std::size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return s.substr(b, e - b);
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// A decimal integer in [min, max]; anything else is an InputError naming file, line and key.
std::int64_t parse_int(const std::string& text, std::int64_t min, std::int64_t max,
                       const std::string& file, int line, const std::string& key) {
  const std::string t = trim(text);
  bool ok = !t.empty() && t.size() <= 12;
  for (char c : t) ok = ok && std::isdigit(static_cast<unsigned char>(c));
  if (!ok) throw InputError(file, line, key, "expected a whole number, got '" + t + "'");
  const std::int64_t v = std::stoll(t);
  if (v < min || v > max) {
    throw InputError(file, line, key,
                     "value " + t + " is out of range [" + std::to_string(min) + ", " +
                         std::to_string(max) + "]");
  }
  return v;
}

// Comma-separated fields, trimmed; one trailing empty field (SCALE-Sim rows end with a comma)
// is dropped. SCALE-Sim itself always drops the last field (row.split(',')[:-1]), so it needs the
// trailing comma; fusim accepts rows with and without it.
std::vector<std::string> split_row(const std::string& row) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (true) {
    const std::size_t comma = row.find(',', start);
    out.push_back(
        trim(row.substr(start, comma == std::string::npos ? std::string::npos : comma - start)));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  if (out.size() > 1 && out.back().empty()) out.pop_back();
  return out;
}

std::string file_stem(const std::string& path) {
  const std::size_t slash = path.find_last_of('/');
  std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
  const std::size_t dot = name.find_last_of('.');
  if (dot != std::string::npos && dot > 0) name = name.substr(0, dot);
  return name;
}

std::vector<std::string> read_lines(const std::string& path) {
  std::istringstream f(read_input_file(path));  // checks the size limit
  std::vector<std::string> lines;
  for (std::string line; std::getline(f, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    lines.push_back(line);
  }
  return lines;
}

void check_size(const std::string& file, int line, const std::string& name, long double in_elems,
                long double out_elems, long double weights, long double macs) {
  const char* what = nullptr;
  if (in_elems > static_cast<long double>(kMaxElements) ||
      out_elems > static_cast<long double>(kMaxElements))
    what = "a tensor";
  else if (weights > static_cast<long double>(kMaxElements))
    what = "the weight tensor";
  else if (macs > static_cast<long double>(kMaxLayerMacs))
    what = "the MAC count";
  if (what) {
    throw InputError(
        file, line, name,
        std::string(what) + " is beyond fusim's size limits (see docs/limits-and-fuzzing.md)");
  }
}

}  // namespace

Network load_scalesim_topology(const std::string& path, bool true_depthwise) {
  const std::vector<std::string> lines = read_lines(path);
  std::size_t first = 0;  // the header: the first non-blank line
  while (first < lines.size() && trim(lines[first]).empty()) ++first;
  if (first == lines.size()) throw InputError(path, 0, "", "the file is empty");
  const int header_line = static_cast<int>(first) + 1;
  const std::vector<std::string> header = split_row(lines[first]);
  // SCALE-Sim is told the form on its command line (-i conv | gemm); fusim reads it from the
  // header: "Layer, M, N, K" is the GEMM form.
  const bool gemm = header.size() == 4 && lower(header[1]) == "m" && lower(header[2]) == "n" &&
                    lower(header[3]) == "k";
  const std::size_t needed = gemm ? 4 : 8;
  if (!gemm && header.size() < needed) {
    throw InputError(path, header_line, "header",
                     "expected the columns 'Layer name, IFMAP Height, IFMAP Width, Filter Height, "
                     "Filter Width, Channels, Num Filter, Strides' or 'Layer, M, N, K'");
  }
  auto column = [&](std::size_t i) {
    return i < header.size() && !header[i].empty() ? header[i] : "column " + std::to_string(i + 1);
  };

  std::vector<NetworkInput> inputs;
  std::vector<Layer> layers;
  std::set<std::string> names;
  auto add = [&](const std::string& name, int line, Shape in, Layer l) {
    if (!names.insert(name).second || !names.insert(name + "_ifmap").second) {
      throw InputError(path, line, column(0), "duplicate layer name '" + name + "'");
    }
    if (layers.size() >= limits::kMaxLayers) {
      throw InputError(path, line, "",
                       "too many layers (limit " + std::to_string(limits::kMaxLayers) + ")");
    }
    l.name = name;
    l.source_line = line;
    l.inputs.push_back(Operand{true, static_cast<int>(inputs.size())});
    inputs.push_back(NetworkInput{name + "_ifmap", in});
    layers.push_back(std::move(l));
  };

  for (std::size_t i = first + 1; i < lines.size(); ++i) {
    if (trim(lines[i]).empty()) continue;
    const int line = static_cast<int>(i) + 1;
    const std::vector<std::string> f = split_row(lines[i]);
    if (f.size() < needed) {
      throw InputError(path, line, column(f.size()),
                       "missing column (a row needs " + std::to_string(needed) + " values)");
    }
    const std::string& name = f[0];
    if (name.empty()) throw InputError(path, line, column(0), "empty layer name");
    if (!is_valid_utf8(name))
      throw InputError(path, line, column(0), "the layer name is not valid UTF-8");
    auto num = [&](std::size_t c, std::int64_t max) {
      return parse_int(f[c], 1, max, path, line, column(c));
    };

    if (gemm) {
      if (f.size() > 5) throw InputError(path, line, column(5), "unexpected extra column");
      // SCALE-Sim (topology_utils.py, load_arrays_gemm) turns "M, N, K" into a convolution with
      // an M x K IFMAP of one channel, a 1 x K filter and N filters: M output pixels, N filters,
      // a window of K. That is fusim's gemm: A (m x k) times B (k x n).
      Layer l;
      l.type = LayerType::Gemm;
      l.m = num(1, kMaxChannels);
      l.n = num(2, kMaxChannels);
      l.k = num(3, kMaxChannels);
      if (f.size() == 5) {  // newer SCALE-Sim: an N:M sparsity ratio
        const std::size_t colon = f[4].find(':');
        if (colon == std::string::npos ||
            parse_int(f[4].substr(0, colon), 1, kMaxCount, path, line, column(4)) !=
                parse_int(f[4].substr(colon + 1), 1, kMaxCount, path, line, column(4))) {
          throw InputError(path, line, column(4),
                           "only a dense sparsity ratio (N:N) is supported, got '" + f[4] + "'");
        }
      }
      using LD = long double;
      check_size(path, line, name, LD(l.m) * LD(l.k), LD(l.m) * LD(l.n), LD(l.k) * LD(l.n),
                 LD(l.m) * LD(l.n) * LD(l.k));
      add(name, line, Shape{l.k, l.m, 1}, std::move(l));
      continue;
    }

    if (f.size() > 9) throw InputError(path, line, column(9), "unexpected extra column");
    const std::int64_t h = num(1, kMaxExtent), w = num(2, kMaxExtent);
    const std::int64_t fh = num(3, kMaxExtent), fw = num(4, kMaxExtent);
    const std::int64_t c = num(5, kMaxChannels), nf = num(6, kMaxChannels);
    const std::int64_t sh = num(7, kMaxExtent);
    std::int64_t sw = sh;  // one Strides column: the same stride in both directions
    if (f.size() == 9) {
      if (f[8].find(':') != std::string::npos) {  // newer SCALE-Sim: an N:M sparsity ratio
        const std::size_t colon = f[8].find(':');
        if (parse_int(f[8].substr(0, colon), 1, kMaxCount, path, line, column(8)) !=
            parse_int(f[8].substr(colon + 1), 1, kMaxCount, path, line, column(8))) {
          throw InputError(path, line, column(8),
                           "only a dense sparsity ratio (N:N) is supported, got '" + f[8] + "'");
        }
      } else {  // the older two-stride form (Stride height, Stride width)
        sw = num(8, kMaxExtent);
      }
    }
    if (fh > h) throw InputError(path, line, column(3), "filter height is larger than the IFMAP");
    if (fw > w) throw InputError(path, line, column(4), "filter width is larger than the IFMAP");

    // SCALE-Sim (topology_utils.py, topo_calc_hyperparams): OFMAP = ceil((H - F + S) / S),
    // which fusim's conv gives with ceil_mode and padding 0.
    const std::int64_t oh = (h - fh + sh - 1) / sh + 1, ow = (w - fw + sw - 1) / sw + 1;
    auto conv = [&](std::int64_t channels, std::int64_t filters, bool depthwise) {
      Layer l;
      l.type = LayerType::Conv;
      l.out_channels = depthwise ? channels : filters;
      l.groups = depthwise ? channels : 1;
      l.kernel_h = fh;
      l.kernel_w = fw;
      l.stride_h = sh;
      l.stride_w = sw;
      l.ceil_mode = true;
      using LD = long double;
      check_size(path, line, name, LD(channels) * LD(h) * LD(w),
                 LD(l.out_channels) * LD(oh) * LD(ow), LD(filters) * LD(channels) * LD(fh * fw),
                 LD(oh) * LD(ow) * LD(fh * fw) * LD(filters) * LD(channels));
      return l;
    };
    if (name.find("DP") != std::string::npos) {
      if (layers.size() + static_cast<std::size_t>(c) > limits::kMaxLayers) {
        throw InputError(path, line, column(5),
                         "a DP row becomes one layer per channel: " + std::to_string(c) +
                             " channels exceed fusim's limit of " +
                             std::to_string(limits::kMaxLayers) + " layers");
      }
      // SCALE-Sim (load_arrays_conv) runs a row named "...DP..." as one layer per channel,
      // "<name>Channel_<i>", each over one channel with all Num Filter filters.
      for (std::int64_t ch = 0; ch < c; ++ch) {
        add(name + "Channel_" + std::to_string(ch), line, Shape{1, h, w}, conv(1, nf, false));
      }
    } else {
      add(name, line, Shape{c, h, w}, conv(c, nf, true_depthwise && nf == 1 && c > 1));
    }
  }
  if (layers.empty()) throw InputError(path, header_line, "", "the topology has no layers");
  const std::string net_name = file_stem(path);
  if (!is_valid_utf8(net_name))
    throw InputError(path, 0, "", "the file name (the network's name) is not valid UTF-8");
  return Network(net_name, 1, std::move(inputs), std::move(layers), path);
}

namespace {

struct CfgValue {
  std::string key;  // as written
  std::string value;
  int line = 0;
};

}  // namespace

Arch load_scalesim_config(const std::string& path) {
  // The keys SCALE-Sim v2 reads (scale_config.py), by section; configparser matches keys
  // case-insensitively and sections exactly.
  const std::map<std::string, std::vector<std::string>> known = {
      {"general", {"run_name"}},
      {"architecture_presets",
       {"ArrayHeight", "ArrayWidth", "IfmapSramSzkB", "FilterSramSzkB", "OfmapSramSzkB",
        "IfmapOffset", "FilterOffset", "OfmapOffset", "Bandwidth", "Dataflow", "MemoryBanks"}},
      {"run_presets", {"InterfaceBandwidth"}},
      {"network_presets", {"TopologyCsvLoc"}},
  };
  std::map<std::string, std::string> canonical;  // "section.lowercase key" -> "section.Key"
  for (const auto& [section, keys] : known) {
    for (const std::string& k : keys) canonical[section + "." + lower(k)] = section + "." + k;
  }

  std::map<std::string, CfgValue> values;  // by canonical "section.Key"
  std::map<std::string, int> section_lines;
  std::string section;
  const std::vector<std::string> lines = read_lines(path);
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const int line = static_cast<int>(i) + 1;
    const std::string t = trim(lines[i]);
    if (t.empty() || t[0] == '#' || t[0] == ';') continue;
    if (t[0] == '[') {
      if (t.back() != ']') throw InputError(path, line, "", "expected [section]");
      section = t.substr(1, t.size() - 2);
      if (!known.count(section)) {
        throw InputError(path, line, section,
                         "unknown section (SCALE-Sim v2 reads general, architecture_presets, "
                         "run_presets, network_presets)");
      }
      if (!section_lines.emplace(section, line).second) {
        throw InputError(path, line, section, "duplicate section");
      }
      continue;
    }
    const std::size_t sep = t.find_first_of(":=");
    if (sep == std::string::npos) throw InputError(path, line, "", "expected 'key: value'");
    const std::string key = trim(t.substr(0, sep));
    if (section.empty()) throw InputError(path, line, key, "key before the first [section]");
    const auto it = canonical.find(section + "." + lower(key));
    if (it == canonical.end()) throw InputError(path, line, section + "." + key, "unknown key");
    if (values.count(it->second)) {
      throw InputError(path, line, section + "." + key, "duplicate key");
    }
    values[it->second] = CfgValue{section + "." + key, trim(t.substr(sep + 1)), line};
  }

  auto get = [&](const std::string& key, bool required) -> const CfgValue* {
    const auto it = values.find(key);
    if (it != values.end()) return &it->second;
    if (!required) return nullptr;
    const std::string section_name = key.substr(0, key.find('.'));
    const auto s = section_lines.find(section_name);
    throw InputError(path, s == section_lines.end() ? 0 : s->second, key, "missing required key");
  };
  auto get_int = [&](const std::string& key, std::int64_t min, std::int64_t max) {
    const CfgValue* v = get(key, true);
    return parse_int(v->value, min, max, path, v->line, v->key);
  };

  Arch a;
  a.file = path;
  a.name = get("general.run_name", true)->value;
  if (!is_valid_utf8(a.name)) {
    const CfgValue* v = get("general.run_name", true);
    throw InputError(path, v->line, v->key, "the run name is not valid UTF-8");
  }
  if (a.name.empty()) {
    const CfgValue* v = get("general.run_name", true);
    throw InputError(path, v->line, v->key, "empty run name");
  }
  // Assumptions (SCALE-Sim has no clock and no vector unit): 1 GHz, a 32-lane vector unit for
  // true depthwise layers, no launch overhead, no DRAM latency (SCALE-Sim models none).
  a.clock_mhz = 1000;
  a.data_width_bits = 8;  // SCALE-Sim's word is one byte (single_layer_sim.py: word_size = 1)
  a.kernel_launch_cycles = 0;
  a.core_count = 1;
  PeArrayParams& pe = a.core.pe_array;
  pe.rows = get_int("architecture_presets.ArrayHeight", 1, kMaxCount);
  pe.cols = get_int("architecture_presets.ArrayWidth", 1, kMaxCount);
  {
    const CfgValue* v = get("architecture_presets.Dataflow", true);
    if (v->value == "os")
      pe.dataflow = Dataflow::OutputStationary;
    else if (v->value == "ws")
      pe.dataflow = Dataflow::WeightStationary;
    else if (v->value == "is")
      pe.dataflow = Dataflow::InputStationary;
    else
      throw InputError(path, v->line, v->key,
                       "unknown dataflow '" + v->value + "' (expected os, ws or is)");
  }
  a.core.vector_unit = {32, 0};
  const std::int64_t banks = get("architecture_presets.MemoryBanks", false)
                                 ? get_int("architecture_presets.MemoryBanks", 1, kMaxCount)
                                 : 1;
  // SRAM ports: one array edge of words per cycle, so that they never limit the DMA.
  const double port = static_cast<double>(std::max(pe.rows, pe.cols));
  auto buffer = [&](const std::string& key) {
    BufferParams b;
    b.capacity_bytes = get_int(key, 1, kMaxKib) * 1024;
    b.banks = banks;
    b.bytes_per_cycle = port;
    return b;
  };
  a.core.input_buffer = buffer("architecture_presets.IfmapSramSzkB");
  a.core.weight_buffer = buffer("architecture_presets.FilterSramSzkB");
  a.core.output_buffer = buffer("architecture_presets.OfmapSramSzkB");
  // DRAM addresses of SCALE-Sim's traces: checked, not used (fusim lays out its own tensors).
  for (const char* k : {"architecture_presets.IfmapOffset", "architecture_presets.FilterOffset",
                        "architecture_presets.OfmapOffset"}) {
    if (const CfgValue* v = get(k, false))
      parse_int(v->value, 0, kMaxElements, path, v->line, v->key);
  }

  // Bandwidth, in words (bytes) per cycle. USER: SCALE-Sim gives each of its three SRAMs a
  // DRAM port of the first listed bandwidth; fusim has one DRAM channel of that bandwidth,
  // shared by the three. CALC: SCALE-Sim estimates the bandwidth that would avoid stalls and
  // ignores Bandwidth; fusim has no such mode and uses Bandwidth as given (10 when absent,
  // SCALE-Sim's own nominal 10 words per cycle in CALC mode).
  const CfgValue* mode = get("run_presets.InterfaceBandwidth", true);
  if (mode->value != "USER" && mode->value != "CALC") {
    throw InputError(path, mode->line, mode->key,
                     "expected USER or CALC, got '" + mode->value + "'");
  }
  std::int64_t bandwidth = kCalcDefaultBandwidth;
  if (const CfgValue* v = get("architecture_presets.Bandwidth", mode->value == "USER")) {
    std::vector<std::int64_t> list;
    for (const std::string& part : split_row(v->value + ",")) {
      list.push_back(parse_int(part, 1, kMaxRate, path, v->line, v->key));
    }
    if (mode->value == "USER" && static_cast<std::int64_t>(list.size()) != banks) {
      throw InputError(path, v->line, v->key,
                       "USER mode needs one bandwidth per memory bank (MemoryBanks = " +
                           std::to_string(banks) + ")");
    }
    bandwidth = list.front();
  }
  a.interconnect = {static_cast<double>(bandwidth), 0};
  a.dram.channels = 1;
  a.dram.bytes_per_cycle_per_channel = static_cast<double>(bandwidth);
  a.dram.latency_cycles = 0;
  a.dram.burst_bytes = 64;
  return a;
}

}  // namespace fusim
