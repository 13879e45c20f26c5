#include "cost/cost_model.h"

#include <algorithm>

#include "common/checked.h"
#include "common/error.h"
#include "cost/concat_copy.h"
#include "cost/fused_plan.h"
#include "cost/layer_walk.h"
#include "cost/tile_sink.h"
#include "engines/engines.h"

namespace fusim {

namespace {

void finish(const Arch& arch, GroupCost& c) {
  const double dram =
      static_cast<double>(c.traffic.total()) / std::max(1e-9, arch.dram_peak_bytes_per_cycle());
  c.est_cycles =
      std::max(c.compute_cycles, static_cast<std::int64_t>(dram)) + arch.kernel_launch_cycles;
}

// Adds one core's sums; the group takes as long as its busiest core.
void add_core(GroupCost& c, const CostSink& core) {
  c.traffic += core.traffic;
  c.macs += core.macs;
  c.buffer_reads += core.buffer_reads;
  c.buffer_writes += core.buffer_writes;
  c.compute_cycles = std::max(c.compute_cycles, core.cycles);
}

// One layer split across cores by output channels, as the layer-by-layer schedule runs it.
GroupCost single_layer(const Network& net, const Arch& arch, int li, std::int64_t cores) {
  GroupCost c;
  c.cores = cores;
  c.feasible = true;
  const Layer& l = net.layer(li);
  // Assembled in place by its producers: no kernel at all, unless it copies foreign operands.
  if (l.type == LayerType::Concat && !concat_copies(net, li)) return c;
  for (std::int64_t k = 0; k < cores; ++k) {
    CostSink sink(&arch.core);
    try {
      walk_layer_core(net, arch, li, cores, k, sink);
    } catch (const InputError& e) {
      c.feasible = false;
      c.why = e.message();
      c.why_key = e.key();
      return c;
    }
    add_core(c, sink);
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
    CostSink sink(&arch.core);
    const Footprint f = fg.walk(p, tiles, cores, k, sink);
    if (!fg.fits(f)) {
      c.feasible = false;
      c.why = "its footprint (input " + std::to_string(f.input) + ", weight " +
              std::to_string(f.weight) + ", output " + std::to_string(f.output) +
              " bytes per core) does not fit the core's buffers";
      return c;
    }
    add_core(c, sink);
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
