// The DLFusion tuner (after Liu, Leng, Guo et al., 2020; docs/dlfusion.md): a fusion scheme and a
// core count per fused kernel chosen from two features of each layer, its operation count and
// its output channel count, looked up in a calibration table that fusim measured on synthesised
// layers (scripts/dlfusion_calibrate.py). The cost model is asked only whether a group fits.
#include <algorithm>
#include <chrono>
#include <memory>

#include "common/error.h"
#include "cost/cost_model.h"
#include "dlfusion/dlfusion_table.h"
#include "search/dag_search.h"
#include "search/registry.h"

namespace fusim {

namespace {

class Tuner {
 public:
  Tuner(const Network& net, const Arch& arch, const DlfusionTable& table, const SearchOptions& o)
      : net_(net), arch_(arch), table_(table), o_(o), dag_(net) {
    if (o.cores > 0) {
      allowed_.push_back(std::min(o.cores, arch.core_count));
    } else {
      for (std::int64_t c : table.core_counts)
        if (c <= arch.core_count) allowed_.push_back(c);
      if (allowed_.empty() || allowed_.back() != arch.core_count)
        allowed_.push_back(arch.core_count);
    }
  }

  std::vector<Group> run() {
    const int n = static_cast<int>(net_.layers().size());
    std::vector<Group> groups;
    if (n == 0) return groups;
    Group cur = single(0);
    for (int j = 1; j < n; ++j) {
      std::vector<int> cand = cur.layers;
      cand.push_back(j);
      if (static_cast<int>(cand.size()) <= o_.max_group_layers && pays(j) && dag_.connected(cand)) {
        Group g;
        g.layers = cand;
        if (fit(g, cores_of_group(cand))) {
          cur = std::move(g);
          continue;
        }
      }
      groups.push_back(std::move(cur));
      cur = single(j);
    }
    groups.push_back(std::move(cur));
    return groups;
  }

  std::int64_t evaluated() const { return evaluated_; }

 private:
  // A layer's operation count: PE-array MACs, or vector-unit operations (depthwise, pooling,
  // element-wise) for the layers that have none.
  std::int64_t ops(int i) const {
    const Layer& l = net_.layer(i);
    return std::max(l.macs_per_item(), l.vector_ops_per_item());
  }
  std::int64_t channels(int i) const { return net_.layer(i).out_shape.c; }

  // The allowed core counts, fewest measured cycles of `cycles` first; unmeasured ones last,
  // more cores first.
  std::vector<std::int64_t> order(const std::vector<std::int64_t>* cycles) const {
    auto measured = [&](std::int64_t c) -> std::int64_t {
      if (!cycles) return 0;
      const auto it = std::find(table_.core_counts.begin(), table_.core_counts.end(), c);
      if (it == table_.core_counts.end()) return 0;
      return (*cycles)[static_cast<std::size_t>(it - table_.core_counts.begin())];
    };
    std::vector<std::int64_t> out = allowed_;
    std::stable_sort(out.begin(), out.end(), [&](std::int64_t a, std::int64_t b) {
      const std::int64_t ma = measured(a), mb = measured(b);
      if ((ma > 0) != (mb > 0)) return ma > 0;
      if (ma > 0) return ma < mb;
      return a > b;
    });
    return out;
  }

  // The chain table that describes fusing layer i onto what precedes it: the inverted
  // bottleneck's for 1x1 and depthwise convs, the conv->conv one otherwise.
  const std::vector<DlfusionCell>& chain_cells(int i) const {
    const Layer& l = net_.layer(i);
    const bool pointwise = l.type == LayerType::Conv && l.kernel_h == 1 && l.kernel_w == 1;
    return l.is_depthwise() || pointwise ? table_.bottleneck : table_.conv_conv;
  }

  // Fusing layer j onto the group before it pays when the calibrated chain of j's operation
  // count and channel count ran faster fused than layer by layer.
  bool pays(int j) const {
    const DlfusionCell* c = DlfusionTable::find(chain_cells(j), table_.macs_bucket(ops(j)),
                                                table_.channels_bucket(channels(j)));
    return c && c->fuse;
  }

  // A fused group's core counts to try: those on which the calibrated chain, at the group's
  // operation count per layer and its widest output, ran fused faster than layer by layer,
  // fewest fused cycles first (under --cores N, N alone). Empty when fusing pays on none: a
  // group that fits only on a count where fusing loses is not made.
  std::vector<std::int64_t> cores_of_group(const std::vector<int>& layers) const {
    std::int64_t total = 0, widest = 0;
    bool depthwise = false;
    for (int i : layers) {
      total += ops(i);
      widest = std::max(widest, channels(i));
      depthwise = depthwise || net_.layer(i).is_depthwise();
    }
    const DlfusionCell* c =
        DlfusionTable::find(depthwise ? table_.bottleneck : table_.conv_conv,
                            table_.macs_bucket(total / static_cast<std::int64_t>(layers.size())),
                            table_.channels_bucket(widest));
    if (o_.cores > 0) return allowed_;
    if (!c || c->best_cores == 0) return {};
    std::vector<std::int64_t> out;
    for (std::int64_t n : order(&c->cycles)) {
      const auto it = std::find(table_.core_counts.begin(), table_.core_counts.end(), n);
      if (it == table_.core_counts.end()) continue;
      const std::int64_t cy = c->cycles[static_cast<std::size_t>(it - table_.core_counts.begin())];
      if (cy > 0 && cy < c->unfused_cycles) out.push_back(n);
    }
    return out;
  }

  // The first of `cores` on which the group fits; false when it fits on none.
  bool fit(Group& g, const std::vector<std::int64_t>& cores) {
    const GroupCoster coster(net_, arch_, g.layers);
    for (std::int64_t c : cores) {
      ++evaluated_;
      const GroupCost cost = coster.cost(c);
      if (!cost.feasible) continue;
      g.cores = c;
      g.tiles = coster.fused() ? cost.tiles : 0;
      return true;
    }
    return false;
  }

  // The single-layer table of layer i's kind: depthwise convs, pooling and element-wise adds
  // have their own; dense convs and the rest use `layer`.
  const std::vector<DlfusionCell>& layer_cells(int i) const {
    const Layer& l = net_.layer(i);
    if (l.is_depthwise()) return table_.depthwise;
    if (l.type == LayerType::Pool) return table_.pool;
    if (l.type == LayerType::Add) return table_.eltwise;
    return table_.layer;
  }

  Group single(int i) {
    Group g;
    g.layers = {i};
    const int m = table_.macs_bucket(ops(i)), ch = table_.channels_bucket(channels(i));
    const DlfusionCell* c = DlfusionTable::find(layer_cells(i), m, ch);
    if (!c) c = DlfusionTable::find(table_.layer, m, ch);  // no cell of its kind at ch
    if (!fit(g, order(c ? &c->cycles : nullptr))) {
      const GroupCost cost = evaluate_group(net_, arch_, {i}, arch_.core_count);
      throw InputError(arch_.file, 0, cost.why_key.empty() ? "cores.buffers" : cost.why_key,
                       cost.why);
    }
    return g;
  }

  const Network& net_;
  const Arch& arch_;
  const DlfusionTable& table_;
  const SearchOptions& o_;
  DagIndex dag_;
  std::vector<std::int64_t> allowed_;
  std::int64_t evaluated_ = 0;
};

}  // namespace

Schedule dlfusion_schedule(const Network& net, const Arch& arch, const SearchOptions& o) {
  const auto start = std::chrono::steady_clock::now();
  const std::string path =
      o.dlfusion_table.empty() ? dlfusion_table_path(arch.file, arch.name) : o.dlfusion_table;
  const DlfusionTable table = load_dlfusion_table(path, arch.file);
  Tuner tuner(net, arch, table, o);
  Schedule s;
  s.groups = tuner.run();
  s.groups_evaluated = tuner.evaluated();
  s.search_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return s;
}

}  // namespace fusim
