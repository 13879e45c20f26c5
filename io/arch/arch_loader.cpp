// The arch loader and writer, driven by the parameter tables of model/arch (arch_params() and the
// tables below it): this file knows YAML and the rules between keys, the tables know the keys.
#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>

#include "arch/arch_io.h"
#include "arch/energy_tables.h"
#include "common/error.h"
#include "common/limits.h"
#include "common/yaml_reader.h"
#include "stats/stats.h"

namespace fusim {

namespace {

constexpr const char* kBase = kArchBaseKey;

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

std::string join_names(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

// The field's value copied from `src` to `dst` (both the owner of `p`'s table).
void copy_field(const Param& p, void* dst, const void* src) {
  switch (p.type) {
    case ParamType::Int:
      *static_cast<std::int64_t*>(p.field(dst)) = *static_cast<const std::int64_t*>(p.cfield(src));
      break;
    case ParamType::Real:
      *static_cast<double*>(p.field(dst)) = *static_cast<const double*>(p.cfield(src));
      break;
    case ParamType::Text:
      *static_cast<std::string*>(p.field(dst)) = *static_cast<const std::string*>(p.cfield(src));
      break;
    case ParamType::Choice:
      p.set_choice(dst, p.get_choice(src));
      break;
    case ParamType::Names:
      *static_cast<std::uint32_t*>(p.field(dst)) =
          *static_cast<const std::uint32_t*>(p.cfield(src));
      break;
    case ParamType::Map:
    case ParamType::OptionalMap:
      break;
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

  std::string path_of(const void* field) const { return param_path(arch_params(), &arch, field); }
  // The path of the map holding `field`, with its trailing dot ("dram.").
  std::string prefix_of(const void* field) const {
    const std::string p = path_of(field);
    return p.substr(0, p.rfind('.') + 1);
  }
  bool was_set(const void* field) const { return seen.count(path_of(field)) != 0; }

  // Reads the keys of table `t` from `m` into `owner`.
  void read(YamlMap& m, const ParamTable& t, void* owner) {
    for (const Param& p : t.params) {
      if (!m.has(p.key)) {
        m.allow(p.key);
        continue;
      }
      switch (p.type) {
        case ParamType::Int:
          *static_cast<std::int64_t*>(p.field(owner)) =
              m.get_int(p.key, static_cast<std::int64_t>(p.min), static_cast<std::int64_t>(p.max));
          break;
        case ParamType::Real:
          *static_cast<double*>(p.field(owner)) = m.get_double(p.key, p.min, p.max);
          break;
        case ParamType::Text:
          *static_cast<std::string*>(p.field(owner)) =
              p.choices.empty() ? m.get_string(p.key) : m.get_choice(p.key, p.choices);
          break;
        case ParamType::Choice: {
          const std::string v = m.get_choice(p.key, p.choices);
          for (std::size_t i = 0; i < p.choices.size(); ++i) {
            if (p.choices[i] == v) p.set_choice(owner, static_cast<int>(i));
          }
          break;
        }
        case ParamType::Names: {
          std::uint32_t set = 0;
          for (const std::string& name : m.get_string_list(p.key)) {
            std::size_t i = 0;
            while (i < p.choices.size() && p.choices[i] != name) ++i;
            if (i == p.choices.size()) {
              m.fail(p.key, "unknown name '" + name +
                                "' (expected some of: " + join_names(p.choices) + ")");
            }
            if (set >> i & 1u) m.fail(p.key, "lists '" + name + "' twice");
            set |= 1u << i;
          }
          *static_cast<std::uint32_t*>(p.field(owner)) = set;
          break;
        }
        case ParamType::Map:
        case ParamType::OptionalMap: {
          YamlMap sub = m.get_map(p.key);
          read(sub, p.table(), p.type == ParamType::Map ? p.field(owner) : p.emplace(owner));
          sub.finish();
          continue;  // maps are not marked: their keys are
        }
      }
      if (p.check) {
        const std::string why = p.check(owner);
        if (!why.empty()) m.fail(p.key, why);
      }
      seen[m.path_of(p.key)] = Origin{m.file(), m.line_of(p.key)};
    }
  }

  void load_file(const std::string& path, int depth) {
    if (depth > 16) throw InputError(path, 0, kBase, "too many nested base files (a loop?)");
    YamlMap root(load_yaml_file(path), path, "");
    if (root.has(kBase)) {
      const std::string base = root.get_string(kBase);
      const std::size_t slash = path.find_last_of('/');
      const std::string dir = slash == std::string::npos ? "" : path.substr(0, slash + 1);
      const std::string base_path = !base.empty() && base[0] == '/' ? base : dir + base;
      // Name the file and line that refer to a missing base, not just the missing path.
      errno = 0;
      if (!std::ifstream(base_path)) {
        const int err = errno;
        root.fail(kBase, "cannot open base file '" + base_path + "'" +
                             (err != 0 ? ": " + std::string(std::strerror(err)) : ""));
      }
      load_file(base_path, depth + 1);
    } else {
      root.raw(kBase);
    }
    read(root, arch_params(), &arch);
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
    // getline drops the empty part after a trailing dot.
    if (path.back() == '.') throw InputError(origin, 0, path, "empty key in the path");
    // Arch keys are at most 4 deep; yaml-cpp's nested assignment below is quadratic in the depth
    // (a 50,000-part path took minutes).
    if (parts.size() > 8) throw InputError(origin, 0, "", "no arch key is that deeply nested");
    YAML::Node node = value;
    for (auto it = parts.rbegin(); it != parts.rend(); ++it) {
      YAML::Node parent(YAML::NodeType::Map);
      parent[*it] = node;
      node = parent;
    }
    if (parts.front() == kBase) {
      throw InputError(origin, 0, kBase, std::string(kBase) + " cannot be overridden");
    }
    YamlMap root(node, origin, "");
    root.raw(kBase);
    read(root, arch_params(), &arch);
    root.finish();
  }

  void require(const std::string& key) {
    if (!seen.count(key)) throw InputError(top_file, 0, key, "missing required key");
  }

  [[noreturn]] void fail_at(const std::pair<const std::string, Origin>& key,
                            const std::string& message) const {
    throw InputError(key.second.file, key.second.line, key.first, message);
  }
  // Fails on the key of `field`: where it was set, else (a preset's or a default value) the top
  // file.
  [[noreturn]] void fail_field(const void* field, const std::string& message) const {
    const std::string key = path_of(field);
    const auto it = seen.find(key);
    if (it != seen.end()) fail_at(*it, message);
    throw InputError(top_file, 0, key, message);
  }

  // Keys the preset gives that were not set.
  void fill(const ParamTable& t, void* dst, const void* src, const std::string& prefix) {
    for (const Param& p : t.params) {
      const std::string path = prefix + p.key;
      if (p.type == ParamType::Map) {
        fill(p.table(), p.field(dst), p.cfield(src), path + ".");
      } else if (p.from_preset && !seen.count(path)) {
        copy_field(p, dst, src);
      }
    }
  }

  // Refuses a key that was set but does not apply (a detailed-model key with the simple model,
  // the parameters of an engine the core does not have).
  void refuse_inapplicable(const ParamTable& t, void* owner, const std::string& prefix) {
    for (const Param& p : t.params) {
      const std::string path = prefix + p.key;
      if (!param_applies(t, p, owner)) {
        // The key itself, or for a map any key under it.
        const auto it = seen.lower_bound(path);
        if (it != seen.end() && (it->first == path || it->first.rfind(path + ".", 0) == 0))
          fail_at(*it, p.only_error);
      } else if (p.is_map()) {
        void* sub = p.type == ParamType::Map ? p.field(owner) : p.present(owner);
        if (sub) refuse_inapplicable(p.table(), sub, path + ".");
      }
    }
  }

  void require_all(const ParamTable& t, void* owner, const std::string& prefix, bool preset) {
    for (const Param& p : t.params) {
      if (p.names_preset && !static_cast<const std::string*>(p.cfield(owner))->empty())
        preset = true;
    }
    for (const Param& p : t.params) {
      if (!param_applies(t, p, owner)) continue;
      const std::string path = prefix + p.key;
      if (p.is_map()) {
        void* sub = p.type == ParamType::Map ? p.field(owner) : p.present(owner);
        if (sub) require_all(p.table(), sub, path + ".", preset);
      } else if (p.need == Need::Required || (p.need == Need::RequiredWithoutPreset && !preset)) {
        require(path);
      }
    }
  }

  // A core has at most one engine per kind of work, and one for every kind a default engine
  // runs (the kinds every network is cut into; a kind only an optional engine runs, such as a
  // fused block, may have none).
  void check_engines() {
    const EngineSet set = arch.core.engines;
    for (int k = 0; k < kWorkKinds; ++k) {
      const auto kind = static_cast<WorkKind>(k);
      std::vector<std::string> runners, declared;
      bool needed = false;
      Engines::for_each([&](auto slot, int i) {
        using E = typename decltype(slot)::Engine;
        if (!E::runs(kind)) return;
        runners.push_back(E::kName);
        needed |= E::kDefault;
        if (set >> i & 1u) declared.push_back(E::kName);
      });
      if (declared.size() == 1 || (declared.empty() && !needed)) continue;
      const std::string key = path_of(&arch.core.engines);
      const std::string msg = declared.empty()
                                  ? "no engine for " + std::string(to_string(kind)) + " work (" +
                                        join_names(runners) + " can run it)"
                                  : join_names(declared) + " all run " + to_string(kind) +
                                        " work; a core has one engine per kind of work";
      const auto it = seen.find(key);
      if (it != seen.end()) fail_at(*it, msg);
      throw InputError(top_file, 0, key, msg);
    }
  }

  // The energy table fills the entries not set: its figures at the data width, and each
  // buffer's from the buffer's capacity (the table's SRAM rule).
  void resolve_energy() {
    EnergyParams& e = arch.energy;
    const EnergyTable* table = find_energy_table(e.table);  // the key's choices are the tables
    const EnergyParams base = table_entries(*table, arch.data_width_bits);
    for (double EnergyParams::*entry :
         {&EnergyParams::mac_pj, &EnergyParams::add_pj, &EnergyParams::mask_pj,
          &EnergyParams::vector_op_pj, &EnergyParams::register_pj_per_byte,
          &EnergyParams::interconnect_pj_per_byte, &EnergyParams::dram_pj_per_bit,
          &EnergyParams::core_leakage_mw}) {
      if (!was_set(&(e.*entry))) e.*entry = base.*entry;
    }
    const auto sram = [&](double& entry, std::int64_t capacity) {
      if (!was_set(&entry)) entry = sram_pj_per_byte(*table, capacity);
    };
    sram(e.input_buffer_pj_per_byte, arch.core.input_buffer.capacity_bytes);
    sram(e.weight_buffer_pj_per_byte, arch.core.weight_buffer.capacity_bytes);
    sram(e.output_buffer_pj_per_byte, arch.core.output_buffer.capacity_bytes);
    if (arch.shared_buffer) sram(e.shared_buffer_pj_per_byte, arch.shared_buffer->capacity_bytes);
  }

  // dram.power: all of it or none (a part would price commands at 0 mA), and currents that give
  // no negative energy (each burst and refresh current above the active standby one, and an
  // activate's IDD0 x tRC above the standby it replaces).
  void check_power(const DramParams& d) {
    const DramPower& p = d.power;
    const auto fail = [&](const void* field, const std::string& msg) { fail_field(field, msg); };
    const std::vector<std::pair<const void*, double>> all = {
        {&p.vdd, p.vdd},     {&p.idd0, p.idd0},
        {&p.idd2n, p.idd2n}, {&p.idd3n, p.idd3n},
        {&p.idd4r, p.idd4r}, {&p.idd4w, p.idd4w},
        {&p.idd5b, p.idd5b}, {&p.devices, static_cast<double>(p.devices)}};
    const bool any =
        std::any_of(all.begin(), all.end(), [](const auto& f) { return f.second > 0; });
    if (!any) return;
    for (const auto& [field, value] : all) {
      if (value <= 0)
        fail(field,
             "is needed with the rest of dram.power (give all of vdd, idd0, idd2n, idd3n, "
             "idd4r, idd4w, idd5b and devices, or none)");
    }
    for (const auto* f : {&p.idd4r, &p.idd4w, &p.idd5b}) {
      if (*f < p.idd3n)
        fail(f, "is below idd3n (" + format_real(p.idd3n, significant(6)) +
                    " mA): a burst or refresh current includes the active standby current");
    }
    const DramTiming& t = d.timing;
    if (p.idd0 * static_cast<double>(t.tRC) <
        p.idd3n * static_cast<double>(t.tRAS) + p.idd2n * static_cast<double>(t.tRP)) {
      fail(&p.idd0,
           "x tRC is below idd3n x tRAS + idd2n x tRP: an activate would cost negative "
           "energy");
    }
  }

  void resolve() {
    check_engines();
    DramParams& d = arch.dram;
    // A preset makes the detailed model the default; `model: simple` keeps the stream model.
    if (!was_set(&d.model)) d.model = d.preset.empty() ? DramModel::Simple : DramModel::Detailed;
    const DramPreset* preset = find_dram_preset(d.preset);
    if (preset) fill(dram_params(), &d, &preset->params, prefix_of(&d.channels));
    refuse_inapplicable(arch_params(), &arch, "");
    require_all(arch_params(), &arch, "", false);
    resolve_energy();
    if (d.model == DramModel::Simple) {
      if (preset) {
        // Peak bandwidth and closed-page read latency (tRCD + tCL) of the preset's device.
        const DramParams& p = preset->params;
        if (!was_set(&d.bytes_per_cycle_per_channel)) {
          d.bytes_per_cycle_per_channel =
              static_cast<double>(p.bus_bytes) * 2.0 / p.tck_ps * 1e6 / arch.clock_mhz;
        }
        if (!was_set(&d.latency_cycles)) {
          const double ns = static_cast<double>(p.timing.tRCD + p.timing.tCL) * p.tck_ps / 1000.0;
          d.latency_cycles =
              static_cast<std::int64_t>(std::ceil(ns * arch.clock_mhz / 1000.0 - 1e-9));
        }
      }
      return;
    }
    check_power(d);
    const std::int64_t burst = d.burst_bytes_detailed();
    if (d.row_bytes % burst != 0) {
      fail_field(&d.row_bytes, "row_bytes " + std::to_string(d.row_bytes) +
                                   " is not a multiple of the burst (bus_bytes x burst_length = " +
                                   std::to_string(burst) + " bytes)");
    }
    // A refresh every tREFI that lasts tRFC: 0 turns it off; an interval no longer than the
    // refresh would leave the ranks refreshing for ever.
    if (d.timing.tREFI != 0 && d.timing.tREFI <= d.timing.tRFC) {
      fail_field(&d.timing.tREFI, "tREFI " + std::to_string(d.timing.tREFI) +
                                      " must be 0 (no refresh) or more than tRFC (" +
                                      std::to_string(d.timing.tRFC) + ")");
    }
    d.bytes_per_cycle_per_channel =
        static_cast<double>(d.bus_bytes) * 2.0 / d.tck_ps * 1e6 / arch.clock_mhz;
  }
};

void emit(YAML::Emitter& out, const ParamTable& t, const void* owner) {
  for (const Param& p : t.params) {
    if (!p.written || !param_applies(t, p, owner)) continue;
    switch (p.type) {
      case ParamType::Int:
        out << YAML::Key << p.key << YAML::Value
            << *static_cast<const std::int64_t*>(p.cfield(owner));
        break;
      case ParamType::Real:
        out << YAML::Key << p.key << YAML::Value << *static_cast<const double*>(p.cfield(owner));
        break;
      case ParamType::Text:
        out << YAML::Key << p.key << YAML::Value
            << *static_cast<const std::string*>(p.cfield(owner));
        break;
      case ParamType::Choice:
        out << YAML::Key << p.key << YAML::Value
            << p.choices[static_cast<std::size_t>(p.get_choice(owner))];
        break;
      case ParamType::Names: {
        const auto set = *static_cast<const std::uint32_t*>(p.cfield(owner));
        out << YAML::Key << p.key << YAML::Value << YAML::Flow << YAML::BeginSeq;
        for (std::size_t i = 0; i < p.choices.size(); ++i) {
          if (set >> i & 1u) out << p.choices[i];
        }
        out << YAML::EndSeq;
        break;
      }
      case ParamType::Map:
      case ParamType::OptionalMap: {
        const void* sub =
            p.type == ParamType::Map ? p.cfield(owner) : p.present(const_cast<void*>(owner));
        if (!sub) break;
        out << YAML::Key << p.key << YAML::Value << YAML::BeginMap;
        emit(out, p.table(), sub);
        out << YAML::EndMap;
        break;
      }
    }
  }
}

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
  out << YAML::BeginMap;
  emit(out, arch_params(), &a);
  out << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

}  // namespace fusim
