#include "dlfusion/dlfusion_table.h"

#include <algorithm>
#include <cmath>
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

std::vector<DlfusionCell> cells(YamlMap& root, const std::string& key, const DlfusionTable& t) {
  std::vector<DlfusionCell> out;
  const std::int64_t most = 1LL << 62;
  for (YamlMap& m : root.get_map_list(key)) {
    DlfusionCell c;
    c.macs_bucket = static_cast<int>(
        m.get_int("macs_bucket", 0, static_cast<std::int64_t>(t.macs_edges.size()) - 1));
    c.channels_bucket = static_cast<int>(
        m.get_int("channels_bucket", 0, static_cast<std::int64_t>(t.channels_edges.size()) - 1));
    c.ops = m.get_int("ops", 1, most);
    c.best_cores = m.get_int("best_cores", 1, most);
    const auto best = std::find(t.core_counts.begin(), t.core_counts.end(), c.best_cores);
    if (best == t.core_counts.end()) m.fail("best_cores", "expected one of core_counts");
    c.cycles = int_list(m, "cycles", 1, most, true);
    if (c.cycles.size() != t.core_counts.size())
      m.fail("cycles", "expected one entry per core_counts entry");
    if (c.cycles[static_cast<std::size_t>(best - t.core_counts.begin())] == 0)
      m.fail("best_cores", "expected a core count with measured cycles");
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

const char* dlfusion_kind_key(DlfusionKind k) {
  switch (k) {
    case DlfusionKind::Layer:
      return "layer";
    case DlfusionKind::Pointwise:
      return "pointwise";
    case DlfusionKind::Depthwise:
      return "depthwise";
    case DlfusionKind::Pool:
      return "pool";
    case DlfusionKind::Eltwise:
      return "eltwise";
    case DlfusionKind::Fc:
      return "fc";
  }
  return "layer";
}

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

namespace {

// Cycles of the cells of channel bucket c on core count index k at `ops`; negative when none
// of them was measured there.
double bucket_cycles(const std::vector<DlfusionCell>& cells, int c, std::size_t k, double ops,
                     double floor, bool scale_below) {
  const DlfusionCell *below = nullptr, *above = nullptr;
  for (const DlfusionCell& cell : cells) {
    if (cell.channels_bucket != c || cell.cycles[k] == 0) continue;
    const double x = static_cast<double>(cell.ops);
    if (x <= ops && (!below || x > static_cast<double>(below->ops))) below = &cell;
    if (x >= ops && (!above || x < static_cast<double>(above->ops))) above = &cell;
  }
  if (below && above) {
    const double x0 = static_cast<double>(below->ops), x1 = static_cast<double>(above->ops);
    const double y0 = static_cast<double>(below->cycles[k]);
    const double y1 = static_cast<double>(above->cycles[k]);
    return x1 > x0 ? y0 + (y1 - y0) * (ops - x0) / (x1 - x0) : y0;
  }
  if (above && scale_below) {
    const double y = static_cast<double>(above->cycles[k]);
    return floor + std::max(0.0, y - floor) * ops / static_cast<double>(above->ops);
  }
  if (above) return static_cast<double>(above->cycles[k]);
  if (below) {
    const double y = static_cast<double>(below->cycles[k]);
    return floor + std::max(0.0, y - floor) * ops / static_cast<double>(below->ops);
  }
  return -1;
}

}  // namespace

double DlfusionTable::cycles_at(const std::vector<DlfusionCell>& cells, std::int64_t cores,
                                double ops, double channels, double floor, bool scale_below) const {
  const auto it = std::find(core_counts.begin(), core_counts.end(), cores);
  if (it == core_counts.end() || channels_edges.empty()) return -1;
  const auto k = static_cast<std::size_t>(it - core_counts.begin());
  const int n = static_cast<int>(channels_edges.size());
  const int b = channels_bucket(static_cast<std::int64_t>(channels));
  // The position of `channels` between the edges of bucket b and b + 1, in log2.
  double t = 0;
  if (b + 1 < n && channels > static_cast<double>(channels_edges[b])) {
    t = std::log2(channels / static_cast<double>(channels_edges[b])) /
        std::log2(static_cast<double>(channels_edges[b + 1]) /
                  static_cast<double>(channels_edges[b]));
  }
  const double lo = bucket_cycles(cells, b, k, ops, floor, scale_below);
  const double hi =
      b + 1 < n && t > 0 ? bucket_cycles(cells, b + 1, k, ops, floor, scale_below) : -1;
  if (lo >= 0 && hi >= 0) return (1 - t) * lo + t * hi;
  if (lo >= 0) return lo;
  if (hi >= 0) return hi;
  // The nearest bucket measured on this count, the lower on a tie.
  for (int d = 1; d < n; ++d) {
    for (int c : {b - d, b + 1 + d}) {
      if (c < 0 || c >= n) continue;
      const double y = bucket_cycles(cells, c, k, ops, floor, scale_below);
      if (y >= 0) return y;
    }
  }
  return -1;
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
  t.chain_layers = root.get_int("chain_layers", 1, 1 << 20);
  t.bottleneck_ratio = root.get_int("bottleneck_ratio", 1, 1 << 20);
  for (int k = 0; k < kDlfusionKinds; ++k) {
    const std::string key = dlfusion_kind_key(static_cast<DlfusionKind>(k));
    t.single[static_cast<std::size_t>(k)] = cells(root, key, t);
    if (static_cast<DlfusionKind>(k) != DlfusionKind::Fc)
      t.fused[static_cast<std::size_t>(k)] = cells(root, "fused_" + key, t);
  }
  root.finish();
  return t;
}

}  // namespace fusim
