#include <algorithm>
#include <cmath>
#include <fstream>
#include <iterator>
#include <map>
#include <set>
#include <sstream>

#include "arch/arch_io.h"
#include "common/error.h"
#include "common/limits.h"
#include "common/yaml_reader.h"

namespace fusim {

namespace {

constexpr std::int64_t kMaxCount = 1 << 16;  // rows, cols, lanes, channels, banks
// Each core is three SystemC threads with their own stacks. A sanitizer build runs out of memory
// mappings (vm.max_map_count, 65,530 by default) between 8,192 and 12,000 cores; 4,096 keeps a
// factor of two, and is a hundred times the core counts of the accelerators fusim models.
constexpr std::int64_t kMaxCores = 1 << 12;
// Any buffer capacity: one tile moves as one TLM transaction, whose length is 32 bits.
constexpr std::int64_t kMaxBytes = (std::int64_t{1} << 32) - 1;
constexpr std::int64_t kMaxCycles = std::int64_t{1} << 32;
constexpr double kMaxRate = 1 << 20;  // bytes per cycle

// DRAM presets: one channel's device, organisation and JEDEC timing (in nCK). The simple model
// takes from them the channel's peak bandwidth (bus_bytes * 2 per tCK) and the closed-page read
// latency (tRCD + tCL). Controller and PHY delay are not in these numbers.
struct DramPreset {
  const char* name;
  double tck_ps;
  std::int64_t bus_bytes, burst_length, bank_groups, banks_per_group, rows, row_bytes;
  DramTiming t;
};
constexpr DramPreset kDramPresets[] = {
    // DDR4-3200, speed bin DDR4-3200AA (22-22-22), JESD79-4B table "DDR4-3200 speed bins";
    // a 64-bit channel of one rank of 8 x8 devices, 8 Gb (Micron MT40A1G8, 16 banks in 4 bank
    // groups, 64 K rows, 1 KB page per device -> 8 KB per rank). tCK 0.625 ns; tRAS 32 ns,
    // tRC 46.25 ns, tRRD_S 2.5 ns / tRRD_L 4.9 ns (>= 4 nCK), tFAW 21 ns (1 KB page), tWR 15 ns,
    // tWTR_S 2.5 ns / tWTR_L 7.5 ns, tRTP 7.5 ns, tCCD_L 5 ns, tREFI 7.8 us, tRFC 350 ns (8 Gb),
    // CWL 16 (1st set). The same numbers are in DRAMSim3's configs/DDR4_8Gb_x8_3200.ini.
    {"DDR4-3200",
     625,
     8,
     8,
     4,
     4,
     65536,
     8192,
     {22, 22, 16, 22, 52, 74, 4, 8, 4, 8, 34, 24, 4, 12, 12, 12480, 560}},
    // LPDDR4-3200, JESD209-4B: one 16-bit channel of an 8 Gb x16 die (8 banks, no bank groups,
    // 32 K rows, 2 KB page), BL16, tCK 0.625 ns; RL 28 and WL 14 (set A, DBI off), tRCD 18 ns,
    // tRPpb 18 ns, tRAS 42 ns, tRC = tRAS + tRPab (42 + 21 ns), tCCD 8 nCK (BL16), tRRD 10 ns,
    // tFAW 40 ns, tWR 18 ns, tWTR 10 ns, tRTP 7.5 ns, tREFI 3.904 us, tRFCab 280 ns (8 Gb). No
    // bank groups: tCCD_S = tCCD_L, tRRD_S = tRRD_L, tWTR_S = tWTR_L. (Ramulator's LPDDR4.h
    // speed table has the same core timings.)
    {"LPDDR4-3200",
     625,
     2,
     16,
     1,
     8,
     32768,
     2048,
     {29, 28, 14, 29, 68, 102, 8, 8, 16, 16, 64, 29, 16, 16, 12, 6246, 448}},
    // HBM2, JESD235A: one 128-bit legacy-mode channel at 2 Gb/s per pin (tCK 1 ns), BL4 (64 B
    // bursts), 8 Gb per channel: 16 banks in 4 bank groups, 32 K rows, 1 KB page; CL 14, CWL 4,
    // tRCD 14, tRP 14, tRAS 34, tRC 48, tRRD_S 4 / tRRD_L 6, tFAW 30, tWR 16, tWTR_S 6 /
    // tWTR_L 8, tRTP 4, tREFI 3.9 us, tRFC 260 ns (DRAMSim3's configs/HBM2_8Gb_x128.ini).
    // tCCD_S is 2 nCK, the time a BL4 burst holds the bus; tCCD_L 4 nCK is an assumption
    // (twice tCCD_S, as in DDR4-3200).
    {"HBM2",
     1000,
     16,
     4,
     4,
     4,
     32768,
     1024,
     {14, 14, 4, 14, 34, 48, 2, 4, 4, 6, 30, 16, 6, 8, 4, 3900, 260}},
};

struct TimingKey {
  const char* name;
  std::int64_t DramTiming::*field;
};
constexpr TimingKey kTimingKeys[] = {
    {"tRCD", &DramTiming::tRCD},     {"tCL", &DramTiming::tCL},
    {"tCWL", &DramTiming::tCWL},     {"tRP", &DramTiming::tRP},
    {"tRAS", &DramTiming::tRAS},     {"tRC", &DramTiming::tRC},
    {"tCCD_S", &DramTiming::tCCD_S}, {"tCCD_L", &DramTiming::tCCD_L},
    {"tRRD_S", &DramTiming::tRRD_S}, {"tRRD_L", &DramTiming::tRRD_L},
    {"tFAW", &DramTiming::tFAW},     {"tWR", &DramTiming::tWR},
    {"tWTR_S", &DramTiming::tWTR_S}, {"tWTR_L", &DramTiming::tWTR_L},
    {"tRTP", &DramTiming::tRTP},     {"tREFI", &DramTiming::tREFI},
    {"tRFC", &DramTiming::tRFC},
};

// Keys of the dram map that belong to one model only.
constexpr const char* kSimpleOnlyKeys[] = {"bytes_per_cycle_per_channel", "latency_cycles",
                                           "burst_bytes"};
constexpr const char* kDetailedOnlyKeys[] = {
    "tck_ps",       "bus_bytes",       "burst_length", "ranks",
    "bank_groups",  "banks_per_group", "rows",         "row_bytes",
    "page_policy",  "address_mapping", "queue_depth",  "lookahead_cycles",
    "epoch_cycles", "timing_ck"};

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

const char* const kMappingFields[] = {"row", "rank", "bankgroup", "bank", "column", "channel"};

void check_mapping(const YamlMap& m, const std::string& text) {
  std::vector<std::string> parts;
  std::stringstream ss(text);
  for (std::string part; std::getline(ss, part, ':');) parts.push_back(part);
  for (const char* f : kMappingFields) {
    if (std::count(parts.begin(), parts.end(), f) != 1) {
      m.fail("address_mapping", "'" + text +
                                    "' must name each of row, rank, bankgroup, bank, "
                                    "column, channel exactly once, separated by ':'");
    }
  }
  if (parts.size() != std::size(kMappingFields)) {
    m.fail("address_mapping", "'" + text +
                                  "' has an unknown field; the fields are row, rank, "
                                  "bankgroup, bank, column, channel");
  }
}

struct ArchBuilder {
  Arch arch;
  struct Origin {
    std::string file;
    int line = 0;
  };
  std::map<std::string, Origin> seen;  // key paths set explicitly by some file or override
  std::string top_file;

  void mark(const YamlMap& m, const std::string& key) {
    seen[m.path_of(key)] = Origin{m.file(), m.line_of(key)};
  }
  // The first explicitly set key among `keys` under `prefix`, or null.
  const std::pair<const std::string, Origin>* first_seen(const std::string& prefix,
                                                         const char* const* begin,
                                                         const char* const* end) const {
    for (auto k = begin; k != end; ++k) {
      const std::string path = prefix + *k;
      // The key itself, or for a map (timing_ck) any key under it.
      const auto it = seen.lower_bound(path);
      if (it != seen.end() && (it->first == path || it->first.rfind(path + ".", 0) == 0))
        return &*it;
    }
    return nullptr;
  }

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
      maybe(c, "count", [&] { arch.core_count = c.get_int("count", 1, kMaxCores); });
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
      if (c.has("dma")) {
        YamlMap m = c.get_map("dma");
        maybe(m, "outstanding_bursts", [&] {
          arch.core.dma.outstanding_bursts = m.get_int("outstanding_bursts", 1, 1 << 16);
        });
        m.finish();
      } else {
        c.raw("dma");
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
      maybe(d, "model", [&] {
        arch.dram.model = d.get_choice("model", {"simple", "detailed"}) == "simple"
                              ? DramModel::Simple
                              : DramModel::Detailed;
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
      DramParams& p = arch.dram;
      maybe(d, "tck_ps", [&] { p.tck_ps = d.get_double("tck_ps", 1, 1e6); });
      maybe(d, "bus_bytes", [&] { p.bus_bytes = d.get_int("bus_bytes", 1, 1 << 12); });
      maybe(d, "burst_length", [&] { p.burst_length = d.get_int("burst_length", 1, 64); });
      maybe(d, "ranks", [&] { p.ranks = d.get_int("ranks", 1, 64); });
      maybe(d, "bank_groups", [&] { p.bank_groups = d.get_int("bank_groups", 1, 64); });
      maybe(d, "banks_per_group",
            [&] { p.banks_per_group = d.get_int("banks_per_group", 1, 256); });
      maybe(d, "rows", [&] { p.rows = d.get_int("rows", 1, std::int64_t{1} << 32); });
      maybe(d, "row_bytes", [&] { p.row_bytes = d.get_int("row_bytes", 1, 1 << 24); });
      maybe(d, "page_policy", [&] {
        p.page_policy = d.get_choice("page_policy", {"open", "closed"}) == "open"
                            ? PagePolicy::Open
                            : PagePolicy::Closed;
      });
      maybe(d, "address_mapping", [&] {
        p.address_mapping = d.get_string("address_mapping");
        check_mapping(d, p.address_mapping);
      });
      maybe(d, "queue_depth", [&] { p.queue_depth = d.get_int("queue_depth", 1, 1 << 16); });
      maybe(d, "lookahead_cycles",
            [&] { p.lookahead_cycles = d.get_int("lookahead_cycles", 1, kMaxCycles); });
      maybe(d, "epoch_cycles", [&] { p.epoch_cycles = d.get_int("epoch_cycles", 1, kMaxCycles); });
      if (d.has("timing_ck")) {
        YamlMap t = d.get_map("timing_ck");
        for (const TimingKey& k : kTimingKeys) {
          maybe(t, k.name, [&] { p.timing.*k.field = t.get_int(k.name, 0, 1 << 24); });
        }
        t.finish();
      } else {
        d.raw("timing_ck");
      }
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

  [[noreturn]] void fail_at(const std::pair<const std::string, Origin>& key,
                            const std::string& message) const {
    throw InputError(key.second.file, key.second.line, key.first, message);
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
    // A preset makes the detailed model the default; `model: simple` keeps the stream model.
    if (!seen.count("dram.model"))
      d.model = d.preset.empty() ? DramModel::Simple : DramModel::Detailed;
    const DramPreset* preset = nullptr;
    for (const auto& p : kDramPresets) {
      if (d.preset == p.name) preset = &p;
    }
    if (preset) {
      auto fill = [&](const char* key, auto& field, auto value) {
        if (!seen.count(std::string("dram.") + key)) field = value;
      };
      fill("tck_ps", d.tck_ps, preset->tck_ps);
      fill("bus_bytes", d.bus_bytes, preset->bus_bytes);
      fill("burst_length", d.burst_length, preset->burst_length);
      fill("bank_groups", d.bank_groups, preset->bank_groups);
      fill("banks_per_group", d.banks_per_group, preset->banks_per_group);
      fill("rows", d.rows, preset->rows);
      fill("row_bytes", d.row_bytes, preset->row_bytes);
      for (const TimingKey& k : kTimingKeys) {
        fill((std::string("timing_ck.") + k.name).c_str(), d.timing.*k.field, preset->t.*k.field);
      }
    }
    if (d.model == DramModel::Simple) {
      if (const auto* k =
              first_seen("dram.", std::begin(kDetailedOnlyKeys), std::end(kDetailedOnlyKeys))) {
        fail_at(*k, "applies to the detailed DRAM model only (dram.model is simple)");
      }
      if (preset) {
        // Peak bandwidth and closed-page read latency (tRCD + tCL) of the preset's device.
        if (!seen.count("dram.bytes_per_cycle_per_channel")) {
          d.bytes_per_cycle_per_channel =
              static_cast<double>(preset->bus_bytes) * 2.0 / preset->tck_ps * 1e6 / arch.clock_mhz;
        }
        if (!seen.count("dram.latency_cycles")) {
          const double ns =
              static_cast<double>(preset->t.tRCD + preset->t.tCL) * preset->tck_ps / 1000.0;
          d.latency_cycles =
              static_cast<std::int64_t>(std::ceil(ns * arch.clock_mhz / 1000.0 - 1e-9));
        }
      } else {
        require("dram.bytes_per_cycle_per_channel");
      }
      return;
    }
    if (const auto* k =
            first_seen("dram.", std::begin(kSimpleOnlyKeys), std::end(kSimpleOnlyKeys))) {
      fail_at(*k,
              "applies to the simple DRAM model only (dram.model is detailed, which derives "
              "bandwidth and latency from the device timing; set dram.model: simple to use it)");
    }
    if (!preset) {
      for (const char* k : {"dram.tck_ps", "dram.bus_bytes", "dram.burst_length",
                            "dram.banks_per_group", "dram.rows", "dram.row_bytes"}) {
        require(k);
      }
      for (const TimingKey& k : kTimingKeys) require(std::string("dram.timing_ck.") + k.name);
    }
    const std::int64_t burst = d.burst_bytes_detailed();
    if (d.row_bytes % burst != 0) {
      const auto it = seen.find("dram.row_bytes");
      const std::string msg =
          "row_bytes " + std::to_string(d.row_bytes) +
          " is not a multiple of the burst (bus_bytes x burst_length = " + std::to_string(burst) +
          " bytes)";
      if (it != seen.end()) fail_at(*it, msg);
      throw InputError(top_file, 0, "dram.row_bytes", msg);
    }
    d.bytes_per_cycle_per_channel =
        static_cast<double>(d.bus_bytes) * 2.0 / d.tck_ps * 1e6 / arch.clock_mhz;
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
  out << YAML::Key << "dma" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "outstanding_bursts" << YAML::Value << a.core.dma.outstanding_bursts;
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
  const DramParams& d = a.dram;
  out << YAML::Key << "dram" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "model" << YAML::Value << to_string(d.model);
  out << YAML::Key << "channels" << YAML::Value << d.channels;
  if (d.model == DramModel::Simple) {
    out << YAML::Key << "bytes_per_cycle_per_channel" << YAML::Value
        << d.bytes_per_cycle_per_channel;
    out << YAML::Key << "latency_cycles" << YAML::Value << d.latency_cycles;
    out << YAML::Key << "burst_bytes" << YAML::Value << d.burst_bytes;
  } else {
    out << YAML::Key << "tck_ps" << YAML::Value << d.tck_ps;
    out << YAML::Key << "bus_bytes" << YAML::Value << d.bus_bytes;
    out << YAML::Key << "burst_length" << YAML::Value << d.burst_length;
    out << YAML::Key << "ranks" << YAML::Value << d.ranks;
    out << YAML::Key << "bank_groups" << YAML::Value << d.bank_groups;
    out << YAML::Key << "banks_per_group" << YAML::Value << d.banks_per_group;
    out << YAML::Key << "rows" << YAML::Value << d.rows;
    out << YAML::Key << "row_bytes" << YAML::Value << d.row_bytes;
    out << YAML::Key << "page_policy" << YAML::Value << to_string(d.page_policy);
    out << YAML::Key << "address_mapping" << YAML::Value << d.address_mapping;
    out << YAML::Key << "queue_depth" << YAML::Value << d.queue_depth;
    out << YAML::Key << "lookahead_cycles" << YAML::Value << d.lookahead_cycles;
    out << YAML::Key << "epoch_cycles" << YAML::Value << d.epoch_cycles;
    out << YAML::Key << "timing_ck" << YAML::Value << YAML::BeginMap;
    for (const TimingKey& k : kTimingKeys)
      out << YAML::Key << k.name << YAML::Value << d.timing.*k.field;
    out << YAML::EndMap;
  }
  out << YAML::EndMap << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

}  // namespace fusim
