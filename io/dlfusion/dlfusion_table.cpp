#include "dlfusion/dlfusion_table.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>

#include "common/error.h"
#include "common/yaml_reader.h"

namespace fusim {

namespace {

// A list of integers in [min, max]; a null element (not measured) reads as 0 when `nulls`.
std::vector<std::int64_t> int_list(YamlMap& m, const std::string& key, std::int64_t min,
                                   std::int64_t max, bool nulls) {
  if (!m.has(key)) m.fail_missing(key);
  const YAML::Node v = m.raw(key);
  if (!v.IsSequence()) m.fail(key, "expected a list of integers");
  std::vector<std::int64_t> out;
  for (const auto& e : v) {
    if (nulls && e.IsNull()) {
      out.push_back(0);
      continue;
    }
    std::int64_t x = 0;
    if (!e.IsScalar() || !YAML::convert<std::int64_t>::decode(e, x) || x < min || x > max) {
      m.fail(key, "expected integers from " + std::to_string(min) + " to " + std::to_string(max) +
                      (nulls ? " or null" : ""));
    }
    out.push_back(x);
  }
  return out;
}

void check_ascending(YamlMap& m, const std::string& key, const std::vector<std::int64_t>& v) {
  if (v.empty()) m.fail(key, "expected a non-empty list");
  for (std::size_t i = 1; i < v.size(); ++i)
    if (v[i] <= v[i - 1]) m.fail(key, "expected strictly ascending values");
}

std::vector<DlfusionCell> cells(YamlMap& root, const std::string& key, const DlfusionTable& t,
                                bool chain) {
  std::vector<DlfusionCell> out;
  const std::int64_t most = 1LL << 62;
  for (YamlMap& m : root.get_map_list(key)) {
    DlfusionCell c;
    c.macs_bucket = static_cast<int>(
        m.get_int("macs_bucket", 0, static_cast<std::int64_t>(t.macs_edges.size()) - 1));
    c.channels_bucket = static_cast<int>(
        m.get_int("channels_bucket", 0, static_cast<std::int64_t>(t.channels_edges.size()) - 1));
    if (chain) {
      const YAML::Node b = m.has("best_cores") ? m.raw("best_cores") : YAML::Node();
      if (!m.has("best_cores")) m.fail_missing("best_cores");
      if (!b.IsNull()) {
        std::int64_t x = 0;
        if (!b.IsScalar() || !YAML::convert<std::int64_t>::decode(b, x) ||
            std::find(t.core_counts.begin(), t.core_counts.end(), x) == t.core_counts.end())
          m.fail("best_cores", "expected one of core_counts or null");
        c.best_cores = x;
      }
      c.unfused_cycles = m.get_int("unfused_cycles", 1, most);
      c.cycles = int_list(m, "fused_cycles", 1, most, true);
      c.fuse = m.get_bool("fuse", false);
      if (c.fuse && c.best_cores == 0) m.fail("fuse", "true needs a best_cores");
    } else {
      c.best_cores = m.get_int("best_cores", 1, most);
      if (std::find(t.core_counts.begin(), t.core_counts.end(), c.best_cores) ==
          t.core_counts.end())
        m.fail("best_cores", "expected one of core_counts");
      c.cycles = int_list(m, "cycles", 1, most, true);
    }
    if (c.cycles.size() != t.core_counts.size())
      m.fail(chain ? "fused_cycles" : "cycles", "expected one entry per core_counts entry");
    m.finish();
    out.push_back(std::move(c));
  }
  return out;
}

int bucket(const std::vector<std::int64_t>& edges, std::int64_t x) {
  const auto it = std::upper_bound(edges.begin(), edges.end(), x);
  return std::max(0, static_cast<int>(it - edges.begin()) - 1);
}

}  // namespace

int DlfusionTable::macs_bucket(std::int64_t macs) const {
  return bucket(macs_edges, macs);
}

int DlfusionTable::channels_bucket(std::int64_t channels) const {
  return bucket(channels_edges, channels);
}

const DlfusionCell* DlfusionTable::find(const std::vector<DlfusionCell>& cells, int m, int c) {
  const DlfusionCell* best = nullptr;
  for (const DlfusionCell& cell : cells) {
    if (cell.channels_bucket != c) continue;
    const int d = std::abs(cell.macs_bucket - m);
    if (!best || d < std::abs(best->macs_bucket - m) ||
        (d == std::abs(best->macs_bucket - m) && cell.macs_bucket < best->macs_bucket))
      best = &cell;
  }
  return best;
}

std::string dlfusion_table_path(const std::string& arch_file, const std::string& arch_name) {
  const std::filesystem::path dir = std::filesystem::path(arch_file).parent_path();
  return (dir / "dlfusion" / (arch_name + ".yaml")).string();
}

DlfusionTable load_dlfusion_table(const std::string& path, const std::string& arch_file) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    throw InputError(path, 0, "--fusion",
                     "dlfusion needs this calibration file, which does not exist; generate it with "
                     "/usr/bin/python3 scripts/dlfusion_calibrate.py --fusim build/app/fusim "
                     "--arch " +
                         arch_file + " -o " + path);
  }
  YamlMap root(load_yaml_file(path), path, "");
  DlfusionTable t;
  t.file = path;
  t.arch = root.get_string("arch");
  t.core_counts = int_list(root, "core_counts", 1, 1 << 20, false);
  check_ascending(root, "core_counts", t.core_counts);
  t.macs_edges = int_list(root, "macs_edges", 1, 1LL << 62, false);
  check_ascending(root, "macs_edges", t.macs_edges);
  t.channels_edges = int_list(root, "channels_edges", 1, 1LL << 40, false);
  check_ascending(root, "channels_edges", t.channels_edges);
  t.layer = cells(root, "layer", t, false);
  t.depthwise = cells(root, "depthwise", t, false);
  t.pool = cells(root, "pool", t, false);
  t.eltwise = cells(root, "eltwise", t, false);
  t.conv_conv = cells(root, "conv_conv", t, true);
  t.bottleneck = cells(root, "bottleneck", t, true);
  root.finish();
  return t;
}

}  // namespace fusim
