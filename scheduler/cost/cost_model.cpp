#include "cost/cost_model.h"

#include <algorithm>

#include "common/checked.h"
#include "common/error.h"
#include "cost/fused_plan.h"
#include "engines/engines.h"

namespace fusim {

namespace {

// Sums what a walk moves and computes.
class CostSink : public PlanSink {
 public:
  explicit CostSink(const CoreParams& core) : core_(core) {}
  bool wants_dependencies() const override { return false; }

  std::uint32_t load(TensorKind kind, BufferRole, int, ValueRef, std::int64_t, std::int64_t,
                     std::int64_t bytes) override {
    (kind == TensorKind::Weight ? traffic.weight : traffic.ifmap) += bytes;
    buffer_writes += bytes;
    return next_++;
  }
  std::uint32_t compute(int, std::int64_t out_bytes, const TileWork& work, std::int64_t read_bytes,
                        const std::vector<std::uint32_t>&) override {
    macs += work.macs();
    cycles += compute_cycles(core_, work);
    buffer_writes += out_bytes;
    buffer_reads += read_bytes;
    return next_++;
  }
  void store(int, std::int64_t, std::int64_t, std::int64_t bytes, std::uint32_t,
             std::uint32_t) override {
    traffic.ofmap += bytes;
    buffer_reads += bytes;
  }
  void add_frees(std::uint32_t, const std::vector<std::uint32_t>&) override {}

  Traffic traffic;
  std::int64_t macs = 0, cycles = 0, buffer_reads = 0, buffer_writes = 0;

 private:
  const CoreParams& core_;
  std::uint32_t next_ = 0;
};

void finish(const Arch& arch, GroupCost& c) {
  const double dram =
      static_cast<double>(c.traffic.total()) / std::max(1e-9, arch.dram_peak_bytes_per_cycle());
  c.est_cycles =
      std::max(c.compute_cycles, static_cast<std::int64_t>(dram)) + arch.kernel_launch_cycles;
}

// One layer split across cores by output channels, as the layer-by-layer schedule runs it.
GroupCost single_layer(const Network& net, const Arch& arch, int li, std::int64_t cores) {
  GroupCost c;
  c.cores = cores;
  c.feasible = true;
  const Layer& l = net.layer(li);
  if (l.type == LayerType::Concat) {  // assembled in place by its producers: no kernel at all
    return c;
  }
  const LayerGeometry g(l, arch.element_bytes());
  const std::int64_t batch = net.batch();
  for (std::int64_t k = 0; k < cores; ++k) {
    const ChannelSlice s = channel_slice(g.channels(), cores, k);
    if (s.end <= s.begin) continue;
    LayerTiling t;
    try {
      t = plan_layer_tiling(l, arch, s.end - s.begin, batch);
    } catch (const InputError& e) {
      c.feasible = false;
      c.why = e.message();
      c.why_key = e.key();
      return c;
    }
    const Traffic tr = slice_traffic(g, t, s, batch);
    c.traffic += tr;
    // Compute: every tile of the slice, as the lowering cuts it. A tile's work depends on its
    // rows only through their count, so the full row tiles are counted at once.
    std::int64_t cycles = 0;
    const std::int64_t cin = g.input_channel_count();
    const std::int64_t h = t.rows_per_tile, full_rows = g.rows() / h, rest = g.rows() % h;
    auto add = [&](const TileWork& w, std::int64_t times) {
      cycles += mul_checked(compute_cycles(arch.core, w), times);
      c.macs += mul_checked(mul_checked(w.macs(), batch), times);
    };
    for (std::int64_t k0 = s.begin; k0 < s.end; k0 += t.channels_per_tile) {
      const std::int64_t k1 = std::min(k0 + t.channels_per_tile, s.end);
      for (const auto& [rows, times] :
           {std::pair{h, full_rows}, std::pair{rest, std::int64_t{1}}}) {
        if (rows == 0 || times == 0) continue;
        if (t.in_channels_per_tile > 0) {
          for (std::int64_t c0 = 0; c0 < cin; c0 += t.in_channels_per_tile)
            add(g.work(0, rows, k0, k1, std::min(t.in_channels_per_tile, cin - c0)), times);
        } else {
          add(g.work(0, rows, k0, k1), times);
        }
      }
    }
    c.compute_cycles = std::max(c.compute_cycles, cycles * batch);
    c.buffer_writes += tr.read() + g.output_bytes(0, g.rows(), s.begin, s.end) * batch;
    c.buffer_reads += tr.read() + tr.ofmap;
  }
  finish(arch, c);
  return c;
}

// Walks every core of a fused plan; feasible when every core's footprint fits.
GroupCost fused_with_tiles(const FusedGroup& fg, const Arch& arch, std::int64_t cores,
                           std::int64_t tiles) {
  GroupCost c;
  c.cores = cores;
  c.tiles = tiles;
  const std::vector<std::int64_t> p = fg.progress(tiles);
  c.feasible = true;
  for (std::int64_t k = 0; k < cores; ++k) {
    CostSink sink(arch.core);
    const Footprint f = fg.walk(p, tiles, cores, k, sink);
    if (!fg.fits(f)) {
      c.feasible = false;
      c.why = "its footprint (input " + std::to_string(f.input) + ", weight " +
              std::to_string(f.weight) + ", output " + std::to_string(f.output) +
              " bytes per core) does not fit the core's buffers";
      return c;
    }
    c.traffic += sink.traffic;
    c.macs += sink.macs;
    c.buffer_reads += sink.buffer_reads;
    c.buffer_writes += sink.buffer_writes;
    c.compute_cycles = std::max(c.compute_cycles, sink.cycles);
  }
  finish(arch, c);
  return c;
}

}  // namespace

GroupCoster::GroupCoster(const Network& net, const Arch& arch, std::vector<int> layers)
    : net_(net), arch_(arch), layers_(std::move(layers)) {
  if (layers_.size() > 1) fused_ = std::make_unique<FusedGroup>(net, arch, layers_);
}

GroupCoster::~GroupCoster() = default;

std::int64_t GroupCoster::weight_bytes() const {
  std::int64_t w = 0;
  for (int li : layers_) w += mul_checked(net_.layer(li).params(), arch_.element_bytes());
  return w;
}

GroupCost GroupCoster::cost(std::int64_t cores, std::int64_t tiles, std::int64_t min_tiles) const {
  if (!fused_) return single_layer(net_, arch_, layers_.front(), cores);
  const FusedGroup& fg = *fused_;
  GroupCost c;
  c.cores = cores;
  if (!fg.unfusable_reason().empty()) {
    c.why = fg.unfusable_reason();
    return c;
  }
  if (cores > fg.max_tiles()) {
    c.why = "its output has " + std::to_string(fg.max_tiles()) + " rows, fewer than its " +
            std::to_string(cores) + " cores";
    return c;
  }
  if (tiles > 0) {
    if (tiles < cores || tiles > fg.max_tiles()) {
      c.why = "tiles must be between the cores (" + std::to_string(cores) +
              ") and the output rows (" + std::to_string(fg.max_tiles()) + ")";
      return c;
    }
    return fused_with_tiles(fg, arch_, cores, tiles);
  }
  // The fewest tiles that fit (the footprint shrinks as tiles get smaller). A walk costs time
  // in proportion to its tiles, so the count doubles from the smallest until one fits, then
  // bisects between the last that did not and the first that did.
  std::int64_t lo = std::min(std::max(cores, min_tiles), fg.max_tiles());
  GroupCost best = fused_with_tiles(fg, arch_, cores, lo);
  std::int64_t hi = lo;
  while (!best.feasible) {
    if (hi == fg.max_tiles()) return best;
    lo = hi + 1;
    hi = std::min(fg.max_tiles(), hi * 2);
    best = fused_with_tiles(fg, arch_, cores, hi);
  }
  while (lo < hi) {
    const std::int64_t mid = lo + (hi - lo) / 2;
    GroupCost c2 = fused_with_tiles(fg, arch_, cores, mid);
    if (c2.feasible) {
      hi = mid;
      best = std::move(c2);
    } else {
      lo = mid + 1;
    }
  }
  return best;
}

Traffic compulsory_traffic(const Network& net, const Arch& arch) {
  const std::int64_t elem = arch.element_bytes(), batch = net.batch();
  Traffic t;
  for (const NetworkInput& in : net.inputs())
    t.ifmap += mul_checked(mul_checked(in.shape.elements(), batch), elem);
  for (int i = 0; i < static_cast<int>(net.layers().size()); ++i) {
    const Layer& l = net.layer(i);
    t.weight += mul_checked(l.params(), elem);
    if (net.consumers(i).empty())
      t.ofmap += mul_checked(mul_checked(l.out_shape.elements(), batch), elem);
  }
  return t;
}

GroupCost evaluate_group(const Network& net, const Arch& arch, const std::vector<int>& layers,
                         std::int64_t cores, std::int64_t tiles) {
  return GroupCoster(net, arch, layers).cost(cores, tiles);
}

GroupCost group_cost(const Network& net, const Arch& arch, const Group& group) {
  GroupCost c = evaluate_group(net, arch, group.layers, group.cores, group.tiles);
  if (!c.feasible) {
    std::string names;
    for (int li : group.layers) names += (names.empty() ? "" : ", ") + net.layer(li).name;
    throw InputError(arch.file, 0, "groups",
                     "the group [" + names + "] cannot run on this arch: " + c.why);
  }
  return c;
}

}  // namespace fusim
