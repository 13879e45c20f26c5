#include <cmath>
#include <fstream>
#include <set>
#include <sstream>

#include "arch/arch.h"
#include "common/error.h"
#include "common/limits.h"
#include "common/yaml_reader.h"

namespace fusim {

const char* to_string(Dataflow d) {
  switch (d) {
    case Dataflow::WeightStationary:
      return "weight_stationary";
    case Dataflow::OutputStationary:
      return "output_stationary";
    case Dataflow::InputStationary:
      return "input_stationary";
  }
  return "?";
}

namespace {

constexpr std::int64_t kMaxCount = 1 << 16;  // cores, rows, cols, lanes, channels, banks
// Any buffer capacity: one tile moves as one TLM transaction, whose length is 32 bits.
constexpr std::int64_t kMaxBytes = (std::int64_t{1} << 32) - 1;
constexpr std::int64_t kMaxCycles = std::int64_t{1} << 32;
constexpr double kMaxRate = 1 << 20;  // bytes per cycle

// Simple-model DRAM presets: per-channel peak bandwidth and the device's closed-page read
// latency (tRCD + CL). Sources: JESD79-4 (DDR4-3200AA: 64-bit channel, 22-22-22 at 1600 MHz,
// tRCD = CL = 13.75 ns), JESD209-4 (LPDDR4-3200: 16-bit channel, RL 28 nCK at 1600 MHz = 17.5 ns,
// tRCD 18 ns), JESD235 (HBM2 2 Gb/s/pin, 128-bit channel, tRCD = CL = 14 ns). Controller and PHY
// delay are not in these numbers: add them with latency_cycles if your controller has them.
struct DramPreset {
  const char* name;
  double gbytes_per_s_per_channel;
  double latency_ns;
};
constexpr DramPreset kDramPresets[] = {
    {"DDR4-3200", 25.6, 27.5},
    {"LPDDR4-3200", 6.4, 35.5},
    {"HBM2", 32.0, 28.0},
};

// A copy of `n` without source positions: a -p value is not a file, so errors in it must not
// point at "line 1" of it.
// `budget` counts the nodes copied: aliases make a short value a DAG whose tree copy can be
// exponentially large (`[&a [1, 1], *a, *a]` nested a few times).
YAML::Node without_marks(const YAML::Node& n, int& budget, const std::string& origin) {
  if (--budget < 0) {
    throw InputError(origin, 0, "",
                     "the value has more than " + std::to_string(limits::kMaxOverrideNodes) +
                         " elements (counting each use of an alias)");
  }
  if (n.IsScalar()) return YAML::Node(n.Scalar());
  if (n.IsSequence()) {
    YAML::Node out(YAML::NodeType::Sequence);
    for (const auto& e : n) out.push_back(without_marks(e, budget, origin));
    return out;
  }
  if (n.IsMap()) {
    YAML::Node out(YAML::NodeType::Map);
    for (const auto& kv : n) {
      out.force_insert(without_marks(kv.first, budget, origin),
                       without_marks(kv.second, budget, origin));
    }
    return out;
  }
  return YAML::Node(YAML::NodeType::Null);
}

struct ArchBuilder {
  Arch arch;
  std::set<std::string> seen;  // key paths set explicitly by some file or override
  std::string top_file;

  void mark(const YamlMap& m, const std::string& key) { seen.insert(m.path_of(key)); }

  template <class F>
  void maybe(YamlMap& m, const std::string& key, F set) {
    if (m.has(key)) {
      set();
      mark(m, key);
    } else {
      m.raw(key);
    }
  }

  void buffer(YamlMap& parent, const std::string& key, BufferParams& b) {
    if (!parent.has(key)) {
      parent.raw(key);
      return;
    }
    YamlMap m = parent.get_map(key);
    maybe(m, "capacity_bytes",
          [&] { b.capacity_bytes = m.get_int("capacity_bytes", 1, kMaxBytes); });
    maybe(m, "banks", [&] { b.banks = m.get_int("banks", 1, kMaxCount); });
    maybe(m, "bytes_per_cycle",
          [&] { b.bytes_per_cycle = m.get_double("bytes_per_cycle", 1e-3, kMaxRate); });
    m.finish();
  }

  void apply(YamlMap& root) {
    maybe(root, "name", [&] { arch.name = root.get_string("name"); });
    maybe(root, "clock_mhz", [&] { arch.clock_mhz = root.get_double("clock_mhz", 1e-3, 1e6); });
    maybe(root, "data_width_bits", [&] {
      arch.data_width_bits = root.get_int("data_width_bits", 8, 64);
      if (arch.data_width_bits % 8 != 0) root.fail("data_width_bits", "must be a multiple of 8");
    });
    maybe(root, "kernel_launch_cycles",
          [&] { arch.kernel_launch_cycles = root.get_int("kernel_launch_cycles", 0, kMaxCycles); });
    if (root.has("cores")) {
      YamlMap c = root.get_map("cores");
      maybe(c, "count", [&] { arch.core_count = c.get_int("count", 1, kMaxCount); });
      if (c.has("pe_array")) {
        YamlMap p = c.get_map("pe_array");
        maybe(p, "rows", [&] { arch.core.pe_array.rows = p.get_int("rows", 1, kMaxCount); });
        maybe(p, "cols", [&] { arch.core.pe_array.cols = p.get_int("cols", 1, kMaxCount); });
        maybe(p, "dataflow", [&] {
          const std::string d = p.get_choice(
              "dataflow", {"weight_stationary", "output_stationary", "input_stationary"});
          arch.core.pe_array.dataflow = d == "weight_stationary"  ? Dataflow::WeightStationary
                                        : d == "input_stationary" ? Dataflow::InputStationary
                                                                  : Dataflow::OutputStationary;
        });
        p.finish();
      } else {
        c.raw("pe_array");
      }
      if (c.has("vector_unit")) {
        YamlMap v = c.get_map("vector_unit");
        maybe(v, "lanes", [&] { arch.core.vector_unit.lanes = v.get_int("lanes", 1, kMaxCount); });
        maybe(v, "latency_cycles", [&] {
          arch.core.vector_unit.latency_cycles = v.get_int("latency_cycles", 0, kMaxCycles);
        });
        v.finish();
      } else {
        c.raw("vector_unit");
      }
      if (c.has("buffers")) {
        YamlMap b = c.get_map("buffers");
        buffer(b, "input", arch.core.input_buffer);
        buffer(b, "weight", arch.core.weight_buffer);
        buffer(b, "output", arch.core.output_buffer);
        b.finish();
      } else {
        c.raw("buffers");
      }
      c.finish();
    } else {
      root.raw("cores");
    }
    if (root.has("shared_buffer")) {
      if (!arch.shared_buffer) arch.shared_buffer = BufferParams{};
      buffer(root, "shared_buffer", *arch.shared_buffer);
    } else {
      root.raw("shared_buffer");
    }
    if (root.has("interconnect")) {
      YamlMap n = root.get_map("interconnect");
      maybe(n, "bytes_per_cycle", [&] {
        arch.interconnect.bytes_per_cycle = n.get_double("bytes_per_cycle", 1e-3, kMaxRate);
      });
      maybe(n, "latency_cycles",
            [&] { arch.interconnect.latency_cycles = n.get_int("latency_cycles", 0, kMaxCycles); });
      n.finish();
    } else {
      root.raw("interconnect");
    }
    if (root.has("dram")) {
      YamlMap d = root.get_map("dram");
      maybe(d, "preset", [&] {
        std::vector<std::string> names;
        for (const auto& p : kDramPresets) names.push_back(p.name);
        arch.dram.preset = d.get_choice("preset", names);
      });
      maybe(d, "channels", [&] { arch.dram.channels = d.get_int("channels", 1, kMaxCount); });
      maybe(d, "bytes_per_cycle_per_channel", [&] {
        arch.dram.bytes_per_cycle_per_channel =
            d.get_double("bytes_per_cycle_per_channel", 1e-3, kMaxRate);
      });
      maybe(d, "latency_cycles",
            [&] { arch.dram.latency_cycles = d.get_int("latency_cycles", 0, kMaxCycles); });
      maybe(d, "burst_bytes",
            [&] { arch.dram.burst_bytes = d.get_int("burst_bytes", 1, 1 << 16); });
      d.finish();
    } else {
      root.raw("dram");
    }
  }

  void load_file(const std::string& path, int depth) {
    if (depth > 16) throw InputError(path, 0, "base", "too many nested base files (a loop?)");
    YamlMap root(load_yaml_file(path), path, "");
    if (root.has("base")) {
      const std::string base = root.get_string("base");
      const std::size_t slash = path.find_last_of('/');
      const std::string dir = slash == std::string::npos ? "" : path.substr(0, slash + 1);
      const std::string base_path = !base.empty() && base[0] == '/' ? base : dir + base;
      // Name the file and line that refer to a missing base, not just the missing path.
      if (!std::ifstream(base_path)) root.fail("base", "cannot open base file '" + base_path + "'");
      load_file(base_path, depth + 1);
    } else {
      root.raw("base");
    }
    apply(root);
    root.finish();
  }

  void apply_override(const std::string& spec) {
    const std::string origin = "-p " + spec;
    const std::size_t eq = spec.find('=');
    if (eq == std::string::npos || eq == 0) {
      throw InputError(origin, 0, "", "expected -p key.path=value");
    }
    const std::string path = spec.substr(0, eq);
    int budget = limits::kMaxOverrideNodes;
    YAML::Node value = without_marks(load_yaml_string(spec.substr(eq + 1), origin), budget, origin);
    // Build {a: {b: {c: value}}} from "a.b.c" and apply it like a file.
    std::vector<std::string> parts;
    std::stringstream ss(path);
    for (std::string part; std::getline(ss, part, '.');) {
      if (part.empty()) throw InputError(origin, 0, path, "empty key in the path");
      parts.push_back(part);
    }
    // Arch keys are at most 4 deep; yaml-cpp's nested assignment below is quadratic in the depth
    // (a 50,000-part path took minutes).
    if (parts.size() > 8) throw InputError(origin, 0, "", "no arch key is that deeply nested");
    YAML::Node node = value;
    for (auto it = parts.rbegin(); it != parts.rend(); ++it) {
      YAML::Node parent(YAML::NodeType::Map);
      parent[*it] = node;
      node = parent;
    }
    if (parts.front() == "base") throw InputError(origin, 0, "base", "base cannot be overridden");
    YamlMap root(node, origin, "");
    root.raw("base");
    apply(root);
    root.finish();
  }

  void require(const std::string& key) {
    if (!seen.count(key)) throw InputError(top_file, 0, key, "missing required key");
  }

  void resolve() {
    for (const char* k :
         {"name", "clock_mhz", "cores.count", "cores.pe_array.rows", "cores.pe_array.cols",
          "cores.vector_unit.lanes", "cores.buffers.input.capacity_bytes",
          "cores.buffers.weight.capacity_bytes", "cores.buffers.output.capacity_bytes",
          "cores.buffers.input.bytes_per_cycle", "cores.buffers.weight.bytes_per_cycle",
          "cores.buffers.output.bytes_per_cycle", "interconnect.bytes_per_cycle",
          "dram.channels"}) {
      require(k);
    }
    if (arch.shared_buffer) {
      require("shared_buffer.capacity_bytes");
      require("shared_buffer.bytes_per_cycle");
    }
    DramParams& d = arch.dram;
    if (!d.preset.empty()) {
      for (const auto& p : kDramPresets) {
        if (d.preset != p.name) continue;
        if (!seen.count("dram.bytes_per_cycle_per_channel")) {
          d.bytes_per_cycle_per_channel = p.gbytes_per_s_per_channel * 1000.0 / arch.clock_mhz;
        }
        if (!seen.count("dram.latency_cycles")) {
          d.latency_cycles =
              static_cast<std::int64_t>(std::ceil(p.latency_ns * arch.clock_mhz / 1000.0));
        }
      }
    } else {
      require("dram.bytes_per_cycle_per_channel");
    }
  }
};

}  // namespace

Arch load_arch(const std::string& path, const std::vector<std::string>& overrides) {
  ArchBuilder b;
  b.top_file = path;
  b.load_file(path, 0);
  for (const std::string& o : overrides) b.apply_override(o);
  b.resolve();
  b.arch.file = path;
  return b.arch;
}

std::string arch_to_yaml(const Arch& a) {
  YAML::Emitter out;
  auto buffer = [&](const char* key, const BufferParams& b) {
    out << YAML::Key << key << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "capacity_bytes" << YAML::Value << b.capacity_bytes;
    out << YAML::Key << "banks" << YAML::Value << b.banks;
    out << YAML::Key << "bytes_per_cycle" << YAML::Value << b.bytes_per_cycle;
    out << YAML::EndMap;
  };
  out << YAML::BeginMap;
  out << YAML::Key << "name" << YAML::Value << a.name;
  out << YAML::Key << "clock_mhz" << YAML::Value << a.clock_mhz;
  out << YAML::Key << "data_width_bits" << YAML::Value << a.data_width_bits;
  out << YAML::Key << "kernel_launch_cycles" << YAML::Value << a.kernel_launch_cycles;
  out << YAML::Key << "cores" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "count" << YAML::Value << a.core_count;
  out << YAML::Key << "pe_array" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "rows" << YAML::Value << a.core.pe_array.rows;
  out << YAML::Key << "cols" << YAML::Value << a.core.pe_array.cols;
  out << YAML::Key << "dataflow" << YAML::Value << to_string(a.core.pe_array.dataflow);
  out << YAML::EndMap;
  out << YAML::Key << "vector_unit" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "lanes" << YAML::Value << a.core.vector_unit.lanes;
  out << YAML::Key << "latency_cycles" << YAML::Value << a.core.vector_unit.latency_cycles;
  out << YAML::EndMap;
  out << YAML::Key << "buffers" << YAML::Value << YAML::BeginMap;
  buffer("input", a.core.input_buffer);
  buffer("weight", a.core.weight_buffer);
  buffer("output", a.core.output_buffer);
  out << YAML::EndMap << YAML::EndMap;
  if (a.shared_buffer) buffer("shared_buffer", *a.shared_buffer);
  out << YAML::Key << "interconnect" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "bytes_per_cycle" << YAML::Value << a.interconnect.bytes_per_cycle;
  out << YAML::Key << "latency_cycles" << YAML::Value << a.interconnect.latency_cycles;
  out << YAML::EndMap;
  out << YAML::Key << "dram" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "channels" << YAML::Value << a.dram.channels;
  out << YAML::Key << "bytes_per_cycle_per_channel" << YAML::Value
      << a.dram.bytes_per_cycle_per_channel;
  out << YAML::Key << "latency_cycles" << YAML::Value << a.dram.latency_cycles;
  out << YAML::Key << "burst_bytes" << YAML::Value << a.dram.burst_bytes;
  out << YAML::EndMap << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

}  // namespace fusim
