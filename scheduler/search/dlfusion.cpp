// The DLFusion tuner (after Liu, Leng, Guo et al., 2020; docs/dlfusion.md): a fusion scheme and a
// core count per fused kernel chosen from two features of each layer, its operation count and
// its output channel count, looked up in a calibration table that fusim measured on synthesised
// layers and fused chains (scripts/dlfusion_calibrate.py). The cost model is asked only whether
// a group fits.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <memory>
#include <tuple>

#include "common/error.h"
#include "cost/cost_model.h"
#include "cost/shared_fmaps.h"
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
    launch_ = static_cast<double>(arch.kernel_launch_cycles);
    if (o.shared_fmaps) shared_candidates_ = shared_fmap_candidates(net, arch);
    const std::size_t n = net.layers().size(), a = allowed_.size();
    single_.assign(n, std::vector<double>(a));
    member_.assign(n, std::vector<double>(a));
    calibrated_.assign(n, std::vector<double>(a));
    out_io_.assign(n, std::vector<double>(a));
    last_use_.assign(n, -1);
    for (std::size_t i = 0; i < n; ++i) {
      const Shape& out = net.layer(static_cast<int>(i)).out_shape;
      for (std::size_t k = 0; k < a; ++k) {
        // A concat or a view has no operations: it costs nothing, alone or fused (fusim places
        // a concat's inputs side by side; a view's consumers read the tensor it views).
        const Layer& layer = net.layer(static_cast<int>(i));
        const bool concat = layer.type == LayerType::Concat || layer.is_view();
        single_[i][k] = concat ? 0 : single_cycles(static_cast<int>(i), allowed_[k]);
        calibrated_[i][k] =
            concat ? 0 : member_cycles(static_cast<int>(i), allowed_[k], single_[i][k]);
        out_io_[i][k] =
            io_cycles(static_cast<double>(out.elements()), static_cast<double>(out.c), allowed_[k]);
      }
      for (std::size_t k = 0; k < a; ++k)
        member_[i][k] = share_on(static_cast<int>(i), allowed_[k], k);
      for (int c : net.consumers(static_cast<int>(i))) last_use_[i] = std::max(last_use_[i], c);
      if (last_use_[i] < 0) last_use_[i] = static_cast<int>(n);  // a network output
    }
    for (std::size_t x = 0; x < net.inputs().size(); ++x) {
      const Shape& s = net.inputs()[x].shape;
      std::vector<double> io(a);
      for (std::size_t k = 0; k < a; ++k)
        io[k] = io_cycles(static_cast<double>(s.elements()), static_cast<double>(s.c), allowed_[k]);
      input_io_.push_back(io);
    }
  }

  // Over the layers in topological order, the split into runs of consecutive layers (each
  // connected, within --max-group-layers, fitting on some core count, a fused run's weights
  // within a core's weight buffer) and the core count per run with the fewest calibrated
  // cycles in all: a run's cycles on n cores are one launch plus each member's share of a
  // fused group on n cores (times its halo factor) plus the DRAM time of the tensors it reads
  // from outside and leaves for later (a single layer: its kind's calibrated cycles on n); or,
  // run layerwise, one launch plus its members' calibrated cycles alone on n less their
  // launches, plus the barriers. Runs are tried cheapest first and asked to fit only while they
  // could still beat the best split found.
  std::vector<Group> run() {
    const int n = static_cast<int>(net_.layers().size());
    const double inf = std::numeric_limits<double>::infinity();
    std::vector<double> best(static_cast<std::size_t>(n) + 1, inf);
    std::vector<Group> last(static_cast<std::size_t>(n) + 1);
    std::vector<int> from(static_cast<std::size_t>(n) + 1, -1);
    best[0] = 0;
    const std::size_t a = allowed_.size();
    for (int j = 0; j < n; ++j) {
      std::vector<double> sum(a, 0.0);
      // The run layerwise (docs/multicore.md): its members alone, less their launches, with a
      // barrier between each two that run a kernel.
      std::vector<double> serial(a, 0.0);
      int kernels = 0;
      double weight_bytes = 0;
      bool tiled = true;  // the run may be a fused (tiled) group
      const int first = std::max(0, j + 1 - std::max(1, o_.max_group_layers));
      const std::vector<std::int64_t> halo_below = dlfusion_halo_below(net_, first, j);
      // The run fused on as many cores as its last layer has output rows (one band each), a
      // count between two allowed ones kx and kx + 1 (row_cores): its members' shares there.
      const std::int64_t nx = row_cores(j);
      std::size_t kx = 0;
      while (kx + 1 < a && allowed_[kx + 1] < nx) ++kx;
      double sum_x = 0;
      for (int i = j; i >= first; --i) {
        const Layer& layer = net_.layer(i);
        // A fused group keeps its weights in each core's weight buffer: a longer run would
        // reload them per tile, which no calibrated cell measured.
        weight_bytes += static_cast<double>(layer.params() * arch_.element_bytes());
        // (A layerwise run loads each member's weights alone: longer runs stay candidates.)
        if (i < j && weight_bytes > static_cast<double>(arch_.core.weight_buffer.capacity_bytes))
          tiled = false;
        const bool kernel = layer_has_kernel(net_, i);
        if (kernel) ++kernels;
        const std::int64_t halo = halo_below[static_cast<std::size_t>(i - first)];
        for (std::size_t k = 0; k < a; ++k) {
          sum[k] += member_[static_cast<std::size_t>(i)][k] * halo_factor(i, halo, allowed_[k]);
          if (kernel) serial[k] += single_[static_cast<std::size_t>(i)][k] - launch_;
        }
        if (nx > 0) sum_x += share_on(i, nx, kx) * halo_factor(i, halo, nx);
        if (best[static_cast<std::size_t>(i)] == inf) continue;
        std::vector<int> layers(static_cast<std::size_t>(j - i + 1));
        for (int x = i; x <= j; ++x) layers[static_cast<std::size_t>(x - i)] = x;
        if (layers.size() > 1 && !dag_.connected(layers)) continue;
        if (!policy_allows(net_, o_.fusion_policy, layers)) continue;
        // (cycles, core count: its index in allowed_, or a for nx; layerwise)
        std::vector<std::tuple<double, std::size_t, bool>> est;
        std::vector<double> io(a, 0.0);
        if (i < j) boundary_io(i, j, io);
        if (tiled && i < j && nx > 0) est.emplace_back(launch_ + sum_x + io[kx], a, false);
        const bool on_chip = maps_stay_on_chip(net_, arch_, layers, shared_candidates_);
        for (std::size_t k = 0; k < a; ++k) {
          if (tiled) {
            est.emplace_back(
                i == j ? single_[static_cast<std::size_t>(i)][k] : launch_ + sum[k] + io[k], k,
                false);
          }
          if (i < j && kernels > 0 && on_chip) {
            est.emplace_back(
                launch_ + serial[k] + static_cast<double>((kernels - 1) * arch_.barrier_cycles), k,
                true);
          }
        }
        std::sort(est.begin(), est.end());
        std::unique_ptr<GroupCoster> coster;
        for (const auto& [cy, k, layerwise] : est) {
          const double total = best[static_cast<std::size_t>(i)] + cy;
          if (total >= best[static_cast<std::size_t>(j) + 1]) break;
          Group g;
          g.layers = layers;
          g.cores = k < a ? allowed_[k] : nx;
          if (layerwise) {
            g.mapping = GroupMapping::Layerwise;
            if (!members_fit(layers, k)) continue;
          } else {
            if (!coster) {
              coster = std::make_unique<GroupCoster>(net_, arch_, layers);
              ++evaluated_;
            }
            const GroupCost cost = coster->cost(g.cores);
            if (!cost.feasible) continue;
            g.tiles = coster->fused() ? cost.tiles : 0;
          }
          best[static_cast<std::size_t>(j) + 1] = total;
          from[static_cast<std::size_t>(j) + 1] = i;
          last[static_cast<std::size_t>(j) + 1] = std::move(g);
          break;
        }
      }
      if (best[static_cast<std::size_t>(j) + 1] == inf) {  // nothing ending at j fits
        const GroupCost cost = evaluate_group(net_, arch_, {j}, arch_.core_count);
        throw InputError(arch_.file, 0, cost.why_key.empty() ? "cores.buffers" : cost.why_key,
                         cost.why);
      }
    }
    priced_ = best[static_cast<std::size_t>(n)];
    std::vector<Group> groups;
    for (int j = n; j > 0; j = from[static_cast<std::size_t>(j)])
      groups.push_back(last[static_cast<std::size_t>(j)]);
    std::reverse(groups.begin(), groups.end());
    return groups;
  }

  std::int64_t evaluated() const { return evaluated_; }
  double priced() const { return priced_; }  // the split run() found, at the tuner's prices

 private:
  // The core count of a fused run ending at layer j with one band of its output rows per core
  // (a 28-row map on 28 cores; the calibrated counts are powers of two, and a fused group has no
  // more cores than its output has rows), when that count lies between two allowed ones; 0
  // otherwise, and with --cores N.
  std::int64_t row_cores(int j) const {
    const std::int64_t rows = net_.layer(j).out_shape.h;
    if (o_.cores > 0 || rows <= allowed_.front() || rows >= allowed_.back()) return 0;
    if (std::find(allowed_.begin(), allowed_.end(), rows) != allowed_.end()) return 0;
    return rows;
  }

  // Layer i's share of a fused group on n cores, allowed_[k] <= n < allowed_[k + 1], from its
  // calibrated shares m on the allowed counts c. The calibrated cells split their maps' rows
  // evenly; layer i's rows r may not (27 rows on 16 cores: two rows on 11 cores, one on 5), and
  // its busiest core works as if on e = r / ceil(r / n) cores. So its share is F + V / e, with F
  // (what does not split over cores: its weights, each core's fixed costs) and V (what does)
  // through its shares on allowed_[k - 1] and allowed_[k] (F = 0 if they fall faster than 1 / c;
  // V = 0 if they rise). Where either is not measured (it did not fuse there), the calibrated
  // share on allowed_[k], or, for n above allowed_[k], linear in log2 of the count up to the
  // share on allowed_[k + 1].
  double share_on(int i, std::int64_t n, std::size_t k) const {
    const auto& m = calibrated_[static_cast<std::size_t>(i)];
    const double cn = static_cast<double>(n), ck = static_cast<double>(allowed_[k]);
    if (k > 0 && std::isfinite(m[k - 1]) && std::isfinite(m[k])) {
      const double c0 = static_cast<double>(allowed_[k - 1]);
      double v = std::max(0.0, (m[k - 1] - m[k]) / (1 / c0 - 1 / ck));
      double f = m[k] - v / ck;
      if (f < 0) f = 0, v = m[k] * ck;
      const double r = static_cast<double>(std::max<std::int64_t>(1, net_.layer(i).out_shape.h));
      return f + v / std::min(cn, r / std::ceil(r / cn));
    }
    if (allowed_[k] == n || k + 1 >= m.size() || !std::isfinite(m[k + 1])) return m[k];
    const double t = std::log2(cn / ck) / std::log2(static_cast<double>(allowed_[k + 1]) / ck);
    return m[k] + t * (m[k + 1] - m[k]);
  }

  // Whether every one of `layers` fits alone on allowed_[k] cores (a layerwise run), memoised.
  bool members_fit(const std::vector<int>& layers, std::size_t k) {
    if (fits_alone_.empty())
      fits_alone_.assign(net_.layers().size(), std::vector<signed char>(allowed_.size(), -1));
    for (int x : layers) {
      signed char& f = fits_alone_[static_cast<std::size_t>(x)][k];
      if (f < 0) {
        ++evaluated_;
        f = evaluate_group(net_, arch_, {x}, allowed_[k]).feasible ? 1 : 0;
      }
      if (f == 0) return false;
    }
    return true;
  }

  // The factor on layer i's share in a fused group on n cores when the layers after it on a
  // path through the group read `halo` rows beyond their bands (dlfusion_halo_below): layer i
  // computes them beside the band of output rows each core computes (its rows over n). The
  // calibrated shares hold no such rows (a window layer's is measured leading its group, a 1x1
  // conv's and an element-wise layer's in chains of their own kind).
  double halo_factor(int i, std::int64_t halo, std::int64_t n) const {
    if (halo == 0) return 1;
    const double rows = static_cast<double>(std::max<std::int64_t>(1, net_.layer(i).out_shape.h));
    return 1 + static_cast<double>(halo) / std::max(1.0, rows / static_cast<double>(n));
  }

  // A layer's kind in the calibration.
  DlfusionKind kind(int i) const {
    const Layer& l = net_.layer(i);
    switch (l.type) {
      case LayerType::Conv:
        if (l.is_depthwise()) return DlfusionKind::Depthwise;
        return l.kernel_h == 1 && l.kernel_w == 1 ? DlfusionKind::Pointwise : DlfusionKind::Layer;
      case LayerType::Gemm:
        // A gemm of m rows is a 1x1 conv over m pixels (k channels in, n out); priced as an fc,
        // whose calibration is one weight-bound row, BERT's projections went on 4 cores.
        if (l.m > 1) return DlfusionKind::Pointwise;
        return DlfusionKind::Fc;
      case LayerType::Fc:
        return DlfusionKind::Fc;
      case LayerType::Pool:
        return DlfusionKind::Pool;
      default:  // element-wise and activation layers; concat, which costs nothing (see the
                // constructor)
        return DlfusionKind::Eltwise;
    }
    return DlfusionKind::Layer;
  }

  double ops(int i) const { return dlfusion_ops(net_.layer(i)); }
  double ops_alone(int i) const { return dlfusion_ops_alone(net_.layer(i)); }
  double ops_fused(int i) const { return dlfusion_ops_fused(net_.layer(i)); }
  // A layer's channel count: a dense conv's the geometric mean of its input and output
  // channels (so that its weights, and its MACs per pixel, are those of the synthesised C->C
  // conv of the calibration), a gemm of many rows' that of k and n (a 1x1 conv, kind());
  // any other layer's, its output channels.
  double channels(int i) const {
    const Layer& l = net_.layer(i);
    const double out = static_cast<double>(l.out_shape.c);
    if (l.type == LayerType::Gemm && l.m > 1)
      return std::sqrt(static_cast<double>(l.k) * static_cast<double>(l.n));
    if (l.type != LayerType::Conv || l.is_depthwise() || l.in_shapes.empty()) return out;
    return std::sqrt(static_cast<double>(l.in_shapes[0].c) * out);
  }

  // Layer i alone on n cores: its kind's calibrated cycles (a dense conv's when its kind has
  // none measured on n); below the smallest cell measured, one launch plus that cell's cycles
  // beyond it scaled down with the operation count (a 12,544-element add is not priced as the
  // 131,072-element one, which in a layerwise run cost as much as a 1x1 conv).
  double single_cycles(int i, std::int64_t n) const {
    const auto k = static_cast<std::size_t>(kind(i));
    double cy = table_.cycles_at(table_.single[k], n, ops_alone(i), channels(i), launch_, true);
    if (cy < 0) {
      cy = table_.cycles_at(table_.single[static_cast<std::size_t>(DlfusionKind::Layer)], n, ops(i),
                            channels(i), launch_, true);
    }
    return cy < 0 ? 1e15 : cy;  // nothing measured: the last resort
  }

  // Moving a tensor of `elements` elements of `channels` channels to or from DRAM on n cores:
  // a third of the calibrated element-wise add of that many elements (two such inputs read,
  // one output written), less its launch; below the smallest add measured, scaled down with
  // the elements.
  double io_cycles(double elements, double channels, std::int64_t n) const {
    const double cy =
        table_.cycles_at(table_.single[static_cast<std::size_t>(DlfusionKind::Eltwise)], n,
                         elements, channels, launch_, true);
    return cy < 0 ? 0.0 : std::max(0.0, cy - launch_) / 3;
  }

  // The tensors run [i, j] reads from outside it (each once) and those it leaves for later
  // layers or as the network's outputs: their DRAM cycles per allowed core count, added to io.
  void boundary_io(int i, int j, std::vector<double>& io) const {
    std::vector<int> seen_layers, seen_inputs;
    for (int x = i; x <= j; ++x) {
      for (const Operand& op : net_.layer(x).inputs) {
        if (op.from_network_input) {
          if (std::find(seen_inputs.begin(), seen_inputs.end(), op.index) != seen_inputs.end())
            continue;
          seen_inputs.push_back(op.index);
          const auto& v = input_io_[static_cast<std::size_t>(op.index)];
          for (std::size_t k = 0; k < io.size(); ++k) io[k] += v[k];
        } else if (op.index < i) {
          if (std::find(seen_layers.begin(), seen_layers.end(), op.index) != seen_layers.end())
            continue;
          seen_layers.push_back(op.index);
          const auto& v = out_io_[static_cast<std::size_t>(op.index)];
          for (std::size_t k = 0; k < io.size(); ++k) io[k] += v[k];
        }
      }
      if (last_use_[static_cast<std::size_t>(x)] > j) {
        const auto& v = out_io_[static_cast<std::size_t>(x)];
        for (std::size_t k = 0; k < io.size(); ++k) io[k] += v[k];
      }
    }
  }

  // The elements of the input (and of the output) of one layer of the calibrated chain of
  // layer i's kind (1x1 convs and element-wise layers), at layer i's operation count and
  // channels.
  double chain_elements(int i) const {
    return kind(i) == DlfusionKind::Pointwise ? ops(i) / std::max(1.0, channels(i)) : ops(i);
  }

  // Layer i's share of a fused group on n cores, from its kind's fused cells on n cores: for a
  // layer with a 3x3 window, its marginal cycles leading a group before a 1x1 conv, as
  // measured; for a 1x1 conv or an element-wise layer, its kind's chain less the launch and
  // less the chain's own input and output (which a group pays at its boundary), over the
  // chain's layers; for fc, which has no fused cells, the layer alone less the launch. Below the
  // smallest measured cell, scaled down with the operation count (a 12,544-element add is not a
  // 131,072-element one). Infinite (layer i joins no group on n) when, in both channel buckets
  // around the layer's channels, the cell nearest to the layer's operation count did not run
  // fused on n: the calibration says such a layer does not fuse there (it did not fit, or the
  // cost model's search split it).
  double member_cycles(int i, std::int64_t n, double alone) const {
    const DlfusionKind kd = kind(i);
    const auto k = static_cast<std::size_t>(kd);
    if (kd == DlfusionKind::Fc) return std::max(0.0, alone - launch_);
    const double inf = std::numeric_limits<double>::infinity();
    const auto at = std::find(table_.core_counts.begin(), table_.core_counts.end(), n);
    if (at == table_.core_counts.end()) return inf;
    const auto ki = static_cast<std::size_t>(at - table_.core_counts.begin());
    const int m = table_.macs_bucket(static_cast<std::int64_t>(ops_fused(i)));
    const int b = table_.channels_bucket(static_cast<std::int64_t>(channels(i)));
    bool fused = false;
    for (int c : {b, b + 1}) {
      const DlfusionCell* cell = DlfusionTable::find(table_.fused[k], m, c);
      fused = fused || (cell && cell->cycles[ki] > 0);
    }
    if (!fused) return inf;
    double share = 0;
    if (DlfusionTable::fused_marginal(kd)) {
      const double cy = table_.cycles_at(table_.fused[k], n, ops_fused(i), channels(i), 0, true);
      if (cy < 0) return inf;
      share = cy;
    } else {
      const double cy =
          table_.cycles_at(table_.fused[k], n, ops_fused(i), channels(i), launch_, true);
      if (cy < 0) return inf;
      const double io = 2 * io_cycles(chain_elements(i), channels(i), n);
      share = std::max(0.0, cy - launch_ - io) / static_cast<double>(table_.chain_layers);
    }
    // One of the two channel buckets around the layer's channels did not run fused on n: the
    // share moves toward the layer's cycles alone (no gain from fusing) as the channels near
    // that bucket.
    if (b + 1 < static_cast<int>(table_.channels_edges.size())) {
      const double e0 = static_cast<double>(table_.channels_edges[static_cast<std::size_t>(b)]);
      const double e1 = static_cast<double>(table_.channels_edges[static_cast<std::size_t>(b) + 1]);
      const double t = std::clamp(std::log2(channels(i) / e0) / std::log2(e1 / e0), 0.0, 1.0);
      const DlfusionCell* lo = DlfusionTable::find(table_.fused[k], m, b);
      const DlfusionCell* hi = DlfusionTable::find(table_.fused[k], m, b + 1);
      const double w = lo && lo->cycles[ki] == 0 ? 1 - t : hi && hi->cycles[ki] == 0 ? t : 0;
      share = (1 - w) * share + w * std::max(share, alone - launch_);
    }
    return share;
  }

  const Network& net_;
  const Arch& arch_;
  const DlfusionTable& table_;
  const SearchOptions& o_;
  DagIndex dag_;
  std::vector<std::int64_t> allowed_;
  double launch_ = 0;
  // Per layer, per allowed core count: alone, as a member of a fused group (its boundary
  // tensors apart; share_on), and moving its output to or from DRAM; and its calibrated share
  // as a member (member_cycles).
  std::vector<std::vector<double>> single_, member_, out_io_, calibrated_;
  // Per layer and core count, whether it fits alone (members_fit): 1, 0, or -1 not known yet.
  std::vector<std::vector<signed char>> fits_alone_;
  std::vector<std::int64_t> shared_candidates_;  // shared_fmap_candidates, for layerwise runs
  std::vector<std::vector<double>> input_io_;    // per network input, per allowed core count
  std::vector<int> last_use_;   // per layer, its last consumer (the layer count: an output)
  std::int64_t evaluated_ = 0;  // the groups asked whether they fit
  double priced_ = 0;           // run()'s split at the tuner's prices
};

}  // namespace

double dlfusion_ops(const Layer& l) {
  return static_cast<double>(std::max(l.macs_per_item(), l.vector_ops_per_item()));
}

namespace {

// The elements a layer reads of its first input and writes.
double elements_moved(const Layer& l) {
  return static_cast<double>(l.in_shapes[0].elements() + l.out_shape.elements());
}

}  // namespace

// A pool alone moves far more bytes than it computes, and the calibration's pool alone has
// stride 2 (an input four times its output, 9 operations per output element): a pool alone is
// priced at the count of the calibrated pool that reads and writes as many elements, so that an
// inception module's stride-1 pool is not priced as the stride-2 pool of its operations, which
// reads four times its input (GoogLeNet's inc3a_pool, simulated alone on 32 cores in 4,315
// cycles, was priced at 10,858).
double dlfusion_ops_alone(const Layer& l) {
  if (l.type != LayerType::Pool || l.in_shapes.empty()) return dlfusion_ops(l);
  return 9 * elements_moved(l) / 5;
}

// In a fused group a window pool reads its input from the tile before it: its share is its
// operations' (the calibrated share is a 3x3 pool's leading a group, beside a 1x1 conv reading
// the same input). A global pool (a squeeze-excitation's) is no window over a band: every core's
// band adds to each output element, and the share is priced as the calibrated fused pool that
// reads and writes as many elements, 9 (in + out) / 2, 4.5 times its operations (priced by its
// operations, SE pools joined groups that simulate slower: MobileNetV3-Large's tuner is 9.7 %
// faster with it). Pricing every pool's share by its elements moved the stride-2 ones out of
// groups on the one-core configs (SqueezeNet on systolic32 13 % slower).
double dlfusion_ops_fused(const Layer& l) {
  if (l.type != LayerType::Pool || l.in_shapes.empty() || l.out_shape.h > 1 || l.out_shape.w > 1)
    return dlfusion_ops(l);
  return 9 * elements_moved(l) / 2;
}

std::int64_t dlfusion_halo_rows(const Layer& l) {
  if (l.type != LayerType::Conv && l.type != LayerType::Pool) return 0;
  return 2 * (l.dilation * (l.kernel_h - 1) / 2);
}

std::vector<std::int64_t> dlfusion_halo_below(const Network& net, int first, int last) {
  std::vector<std::int64_t> below(static_cast<std::size_t>(last - first + 1), 0);
  for (int x = last; x >= first; --x) {
    std::int64_t& h = below[static_cast<std::size_t>(x - first)];
    for (int c : net.consumers(x)) {
      if (c <= last)  // consumers come after x in the topological order
        h = std::max(h,
                     below[static_cast<std::size_t>(c - first)] + dlfusion_halo_rows(net.layer(c)));
    }
  }
  return below;
}

std::vector<int> dlfusion_level_order(const Network& net) {
  const int n = static_cast<int>(net.layers().size());
  std::vector<int> level(static_cast<std::size_t>(n), 0);
  for (int i = 0; i < n; ++i) {  // the layers' order is topological: a producer's level is final
    for (int c : net.consumers(i)) {
      int& l = level[static_cast<std::size_t>(c)];
      l = std::max(l, level[static_cast<std::size_t>(i)] + 1);
    }
  }
  std::vector<int> order(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) order[static_cast<std::size_t>(i)] = i;
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) {
    return level[static_cast<std::size_t>(a)] < level[static_cast<std::size_t>(b)];
  });
  return order;
}

namespace {

// `net` with its layers in `order` (a topological order of net's layer indices): Network keeps
// a given topological order.
Network reordered(const Network& net, const std::vector<int>& order) {
  std::vector<int> at(order.size());
  for (std::size_t i = 0; i < order.size(); ++i)
    at[static_cast<std::size_t>(order[i])] = static_cast<int>(i);
  std::vector<Layer> layers;
  layers.reserve(order.size());
  for (int old : order) {
    Layer l = net.layer(old);
    for (Operand& op : l.inputs) {
      if (!op.from_network_input) op.index = at[static_cast<std::size_t>(op.index)];
    }
    layers.push_back(std::move(l));
  }
  return Network(net.name(), net.batch(), net.inputs(), std::move(layers), "");
}

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
  // The tuner's runs are ranges of one topological order, and a branchy network's file order
  // puts each branch's layers together: an inception module's 1 x 1 reduces and its pool sit
  // apart, so no run holds them with the layer they all read. The split is run again on the
  // layers by level (dlfusion_level_order), where they sit side by side, and the split its own
  // prices find cheaper is kept (the file order's on a tie): GoogLeNet on mlu.yaml 213,960 ->
  // 211,547 cycles, 4.5 % over the oracle (5.7 %); the other shipped networks there the same
  // or within 0.01 %; on the one-core configs ShuffleNetV2 on eyeriss.yaml 2.97 % slower,
  // GoogLeNet and ShuffleNet (CIFAR) on systolic32.yaml 0.41 % and 0.26 % (docs/dlfusion.md).
  const std::vector<int> order = dlfusion_level_order(net);
  if (!std::is_sorted(order.begin(), order.end())) {
    const Network by_level = reordered(net, order);
    Tuner second(by_level, arch, table, o);
    std::vector<Group> groups = second.run();
    s.groups_evaluated += second.evaluated();
    if (second.priced() < tuner.priced()) {
      for (Group& g : groups) {
        for (int& li : g.layers) li = order[static_cast<std::size_t>(li)];
        std::sort(g.layers.begin(), g.layers.end());
      }
      s.groups = std::move(groups);
    }
  }
  s.search_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return s;
}

}  // namespace fusim
