#include "cost/cost_model.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <map>
#include <optional>
#include <set>
#include <tuple>

#include "common/checked.h"
#include "common/error.h"
#include "cost/concat_copy.h"
#include "cost/core_pipelines.h"
#include "cost/fused_plan.h"
#include "cost/layer_walk.h"
#include "cost/tile_sink.h"
#include "engines/engines.h"

namespace fusim {

namespace {

// The share of time the detailed DRAM can serve: every tREFI each rank stops for an all-bank
// refresh of tRFC, so a DRAM kept busy moves at most 1 - tRFC / tREFI of its peak (docs/dram.md,
// the random-reads check). 1 for the simple model or with refresh off.
double refresh_share(const Arch& arch) {
  const DramTiming& t = arch.dram.timing;
  if (arch.dram.model != DramModel::Detailed || t.tREFI <= 0) return 1.0;
  return std::clamp(1.0 - static_cast<double>(t.tRFC) / static_cast<double>(t.tREFI), 0.0, 1.0);
}

// The paths to memory a group's transfers share: the DRAM at its peak (`refreshed`: less its
// refreshes), the shared buffer at its ports, and all of them over the one interconnect link.
struct MemoryPaths {
  double peak = 1, link = 1, shared_port = 1;  // bytes per cycle
  explicit MemoryPaths(const Arch& arch, bool refreshed = false)
      : peak(std::max(1e-9,
                      arch.dram_peak_bytes_per_cycle() * (refreshed ? refresh_share(arch) : 1.0))),
        link(std::max(1e-9, arch.interconnect.bytes_per_cycle)),
        shared_port(arch.shared_buffer ? std::max(1e-9, arch.shared_buffer->bytes_per_cycle)
                                       : 1.0) {}
  // The time `dram` off-chip bytes and `shared` shared-buffer bytes take together.
  double time(std::int64_t dram, std::int64_t shared) const {
    return std::max({static_cast<double>(dram) / peak, static_cast<double>(shared) / shared_port,
                     static_cast<double>(dram + shared) / link});
  }
  // The time one byte of either holds its path (time(b, 0) = b x dram_byte(), ...).
  double dram_byte() const { return std::max(1.0 / peak, 1.0 / link); }
  double shared_byte() const { return std::max(1.0 / shared_port, 1.0 / link); }
};

// The cores' pipelines together (GroupCost::pipeline_cycles; core_pipelines_end): each core's
// legs from its sink, timed on the arch's memory paths.
class CorePipelines {
 public:
  CorePipelines(const Arch& arch, std::int64_t cores) {
    const MemoryPaths paths(arch);
    dram_ = paths.dram_byte();
    shared_ = paths.shared_byte();
    // The detailed DRAM model queues the bursts beyond its queues first come first served.
    if (arch.dram.model == DramModel::Detailed) {
      window_ = static_cast<double>(arch.core.dma.outstanding_bursts) *
                static_cast<double>(arch.dram.burst_bytes_detailed()) * dram_;
    }
    legs_.reserve(static_cast<std::size_t>(cores));
  }

  void add(const CostSink& core, double lead_alone, double tail_alone) {
    CoreLeg l;
    l.lead = static_cast<double>(core.lead_bytes) * dram_ +
             static_cast<double>(core.lead_shared_bytes) * shared_;
    l.tail = static_cast<double>(core.tail_bytes) * dram_ +
             static_cast<double>(core.tail_shared_bytes) * shared_;
    l.lead_alone = lead_alone;
    l.tail_alone = tail_alone;
    l.mid = std::max(0.0, core.pipeline_cycles() - lead_alone - tail_alone);
    l.first_store = core.first_store_at;
    l.leaders = core.lead_from;
    l.received = core.lead_received;
    l.lead_dram_last = core.lead_dram_last;
    l.lead_shared = static_cast<double>(core.lead_shared_bytes) * shared_;
    l.tail_to_shared = core.tail_bytes == 0 && core.tail_shared_bytes > 0;
    l.before_drain =
        (static_cast<double>(core.loaded_dram_bytes) + core.dram_stores_before_loads) * dram_ +
        (static_cast<double>(core.shared_read) + core.shared_stores_before_loads) * shared_;
    l.drain = core.drain();
    l.loads = static_cast<double>(core.loaded_dram_bytes) * dram_ +
              static_cast<double>(core.shared_read) * shared_;
    l.stores = static_cast<double>(core.traffic.ofmap + core.traffic.psum_write) * dram_ +
               static_cast<double>(core.shared_write) * shared_;
    legs_.push_back(l);
  }

  // Sets c's pipeline_cycles and drain_bound.
  void end(GroupCost& c) { c.pipeline_cycles = core_pipelines_end(legs_, &c.drain_bound, window_); }

 private:
  double dram_ = 0, shared_ = 0;  // the bottleneck's time per byte
  double window_ = 0;             // a core's window of DRAM bursts, at dram_ a byte
  std::vector<CoreLeg> legs_;
};

void finish(const Arch& arch, GroupCost& c) {
  // The group's bytes through their paths: a bound over the whole group, long enough for the
  // DRAM's refreshes to fall in it (`busy`), where its phases below are not (`paths`).
  const MemoryPaths paths(arch), busy(arch, true);
  const double memory = busy.time(c.dram_bytes, c.shared_read_bytes + c.shared_write_bytes);
  // The group's own time, without its prefetches: the cores' pipelines together
  // (CorePipelines), whose first loads and last stores share the DRAM, the shared buffer and
  // the link. A core's load (store) engine moves one transfer at a time, and the cores issue
  // alike transfers in the same order, so in those phases the cores read (write) the DRAM
  // together, then the shared buffer together, or the other way round: the two take their
  // times one after the other, not beside each other (DenseNet-121's block 2 groups on 28
  // cores, whose first tiles read the block's maps from both, simulated up to 1.21x an
  // estimate that overlapped them).
  double own = c.serial_cycles;
  if (c.mapping != GroupMapping::Layerwise) {
    const double lead = paths.time(c.lead_bytes, 0) + paths.time(0, c.lead_shared_bytes);
    const double tail = paths.time(c.tail_bytes, 0) + paths.time(0, c.tail_shared_bytes);
    // In those phases k transfers and the e engines share the phase's bottleneck (the link, the
    // DRAM's queues; C bytes per cycle) fairly. An engine moves at its own pace (DmaTiming::
    // prefetch_read_bytes_per_cycle) where the cores leave room, else at its fair share C /
    // (k + e), and loses the rest of its pace; what the engines move, the cores do not.
    const double engines = static_cast<double>(arch.prefetch_engine_count());
    c.held_cycles = c.crowded_cycles = 0;  // finish may run again (add_prefetch)
    if (engines > 0) {
      const double pace = dma_timing(arch).prefetch_read_bytes_per_cycle;
      auto phase = [&](double t, double alone, std::int64_t bytes, double square) {
        if (t <= 0 || square <= 0) return;
        const double b = static_cast<double>(bytes);
        const double k = b * b / square;
        const double capacity = b / t, before = std::max(t, alone);
        const double room = (capacity - b / before) / engines;
        const double used = std::min(pace, std::max(capacity / (k + engines), room));
        const double after = std::max(before, b / (capacity - engines * used));
        c.held_cycles += after * (1.0 - used / pace);
        c.crowded_cycles += after - before;
      };
      phase(lead, c.lead_cycles, c.lead_bytes + c.lead_shared_bytes, c.lead_square);
      phase(tail, c.tail_cycles, c.tail_bytes + c.tail_shared_bytes, c.tail_square);
    }
    own = std::max(static_cast<double>(c.compute_cycles), c.pipeline_cycles);
  }
  // The prefetch engines share the link and the DRAM's queues with the group's own transfers,
  // fairly per transfer: while the cores load their first tiles, or store their last, the
  // engines move little (held_cycles), so their copies take their own time beside those phases.
  // And the cores' phases take longer by what the engines move in them (crowded_cycles), for
  // the part of the group the engines run.
  double prefetch = 0;
  if (c.prefetch_bytes > 0) {
    prefetch = c.prefetch_cycles + c.held_cycles;
    const double alone = own;
    if (own > 0) own += c.crowded_cycles * std::min(1.0, prefetch / own);
    // And while a kernel's loads before its drain run, the e engines take their fair share
    // e / (k + e) of the bottleneck beside its k load streams (a multicast grid's few leaders:
    // ResNet-50's layer3 1 x 1 convs, four weight streams from the shared buffer, simulated
    // 1.13x an estimate without it), until they have moved what they add to its time
    // (`memory` with and without their bytes); the rest they move beside the kernel's drain
    // and the remainder of its time, or the next member's loads.
    const double engines = static_cast<double>(arch.prefetch_engine_count());
    double left = memory - busy.time(c.dram_bytes - c.prefetch_bytes,
                                     c.shared_read_bytes + c.shared_write_bytes - c.prefetch_bytes);
    // A kernel's time `kernel` with the engines beside it; what they move comes off `left`.
    const auto beside = [&](double kernel, const DrainBound& d) {
      if (left <= 0 || engines <= 0) return kernel;
      const double share = engines / (d.load_streams + engines);
      const double loads =
          share < 1 ? std::min(d.before + left, d.before / (1 - share)) : d.before + left;
      const double end = std::max(kernel, loads + d.drain);
      left -= end - d.before;
      return end;
    };
    double with_engines = 0;
    if (c.mapping == GroupMapping::Layerwise) {
      with_engines = static_cast<double>(c.barriers * arch.barrier_cycles);
      for (const GroupCost::Member& m : c.members) with_engines += beside(m.own, m.bound);
    } else {
      with_engines = beside(alone, c.drain_bound);
    }
    own = std::max(own, with_engines);
  }
  c.est_cycles = static_cast<std::int64_t>(std::ceil(std::max({own, memory, prefetch}))) +
                 arch.kernel_launch_cycles;
}

// Adds one core's sums, and its pipeline to the group's.
// Partial sums accumulated into (CostSink::psum_elements) are read and written back: buffer
// traffic of `elem` bytes each.
void add_core(GroupCost& c, const CostSink& core, const DmaTiming& dma, std::int64_t elem,
              CorePipelines& pipelines) {
  c.traffic += core.traffic;
  c.dram_bytes += core.dram_bytes;
  c.multicast_bytes += core.multicast;
  c.shared_read_bytes += core.shared_read;
  c.shared_write_bytes += core.shared_write;
  c.macs += core.macs;
  const std::int64_t psum = mul_checked(core.psum_elements, elem);
  c.psum_bytes += psum;
  c.buffer_reads += core.buffer_reads + psum;
  c.buffer_writes += core.buffer_writes + psum;
  c.compute_cycles = std::max(c.compute_cycles, core.cycles);
  c.lead_bytes += core.lead_bytes;
  c.tail_bytes += core.tail_bytes;
  c.lead_shared_bytes += core.lead_shared_bytes;
  c.tail_shared_bytes += core.tail_shared_bytes;
  const auto square = [](std::int64_t b) {
    return static_cast<double>(b) * static_cast<double>(b);
  };
  c.lead_square += square(core.lead_bytes + core.lead_shared_bytes);
  c.tail_square += square(core.tail_bytes + core.tail_shared_bytes);
  auto alone = [&](std::int64_t dram, std::int64_t shared) {
    return static_cast<double>(dram) / std::max(1e-9, dma.input_bytes_per_cycle) +
           (shared > 0 ? static_cast<double>(shared) / dma.shared_input_bytes_per_cycle : 0.0);
  };
  const double lead = alone(core.lead_bytes, core.lead_shared_bytes);
  const double tail = alone(core.tail_bytes, core.tail_shared_bytes);
  c.lead_cycles = std::max(c.lead_cycles, lead);
  c.tail_cycles = std::max(c.tail_cycles, tail);
  pipelines.add(core, lead, tail);
}

}  // namespace

DmaTiming dma_timing(const Arch& arch) {
  // A core alone streams at the DRAM peak, the interconnect or the buffer port it fills or
  // drains, whichever is slowest. Contention between the cores is left to the group's DRAM
  // term (all its bytes at the peak), so the estimate stays a bound from below.
  const double share =
      std::min(arch.dram_peak_bytes_per_cycle(), arch.interconnect.bytes_per_cycle);
  DmaTiming t;
  t.input_bytes_per_cycle = std::min(share, arch.core.input_buffer.bytes_per_cycle);
  t.weight_bytes_per_cycle = std::min(share, arch.core.weight_buffer.bytes_per_cycle);
  t.output_bytes_per_cycle = std::min(share, arch.core.output_buffer.bytes_per_cycle);
  // The interconnect both ways and the DRAM's read latency (a row hit).
  double dram = static_cast<double>(arch.dram.latency_cycles);
  if (arch.dram.model == DramModel::Detailed)
    dram = static_cast<double>(arch.dram.timing.tCL + arch.dram.burst_length / 2) *
           arch.dram.tck_ps * arch.clock_mhz * 1e-6;
  t.latency_cycles = 2.0 * static_cast<double>(arch.interconnect.latency_cycles) + dram;
  t.stream_bytes_per_cycle = share;
  t.in_turn = arch.dram.model == DramModel::Simple;
  if (arch.dram.model == DramModel::Detailed) {
    t.burst_bytes = arch.dram.burst_bytes_detailed();
    t.stream_bytes_per_cycle =
        std::min(share, static_cast<double>(arch.core.dma.outstanding_bursts * t.burst_bytes) /
                            std::max(1.0, t.latency_cycles));
  }
  t.prefetch_read_bytes_per_cycle =
      std::min(t.stream_bytes_per_cycle, arch.dram_peak_bytes_per_cycle() /
                                             static_cast<double>(arch.prefetch_engine_count()));
  // From or to the shared buffer: its ports, the interconnect and the core's buffer port, and
  // the interconnect's latency both ways.
  if (arch.shared_buffer) {
    const double on_chip =
        std::min(arch.shared_buffer->bytes_per_cycle, arch.interconnect.bytes_per_cycle);
    t.shared_input_bytes_per_cycle = std::min(on_chip, arch.core.input_buffer.bytes_per_cycle);
    t.shared_weight_bytes_per_cycle = std::min(on_chip, arch.core.weight_buffer.bytes_per_cycle);
    t.shared_output_bytes_per_cycle = std::min(on_chip, arch.core.output_buffer.bytes_per_cycle);
    t.shared_latency_cycles = 2.0 * static_cast<double>(arch.interconnect.latency_cycles);
    t.shared_write_bytes_per_cycle = on_chip;
  }
  return t;
}

bool layer_has_kernel(const Network& net, int layer) {
  const Layer& l = net.layer(layer);
  // Assembled in place by its producers: no kernel at all, unless it copies foreign operands.
  if (l.type == LayerType::Concat && !concat_copies(net, layer)) return false;
  return !l.is_view();  // a view: its consumers read its input's tensor
}

GroupCost layerwise_cost(const Network& net, const Arch& arch, const std::vector<int>& layers,
                         const std::function<const GroupCost&(int layer)>& member) {
  GroupCost c;
  c.mapping = GroupMapping::Layerwise;
  c.feasible = true;
  bool any = false;
  for (int li : layers) {
    const GroupCost& x = member(li);
    c.cores = x.cores;
    if (!x.feasible) {
      c.feasible = false;
      c.why = "its member " + net.layer(li).name + " " + x.why;
      c.why_key = x.why_key;
      return c;
    }
    c.traffic += x.traffic;
    c.dram_bytes += x.dram_bytes;
    c.multicast_bytes += x.multicast_bytes;
    c.shared_read_bytes += x.shared_read_bytes;
    c.shared_write_bytes += x.shared_write_bytes;
    c.macs += x.macs;
    c.buffer_reads += x.buffer_reads;
    c.buffer_writes += x.buffer_writes;
    c.compute_cycles += x.compute_cycles;
    c.pipeline_cycles += x.pipeline_cycles;
    c.held_cycles += x.held_cycles;
    c.crowded_cycles += x.crowded_cycles;
    if (!layer_has_kernel(net, li)) continue;
    if (any) ++c.barriers;
    any = true;
    c.serial_cycles += static_cast<double>(x.est_cycles - arch.kernel_launch_cycles);
    c.members.push_back(
        {static_cast<double>(x.est_cycles - arch.kernel_launch_cycles), x.drain_bound});
  }
  c.serial_cycles += static_cast<double>(c.barriers * arch.barrier_cycles);
  if (any) finish(arch, c);
  return c;
}

namespace {

// One layer split across cores into a grid of row bands and channel slices (split_layer), as
// the layer-by-layer schedule runs it.
GroupCost single_layer(const Network& net, const Arch& arch, int li, std::int64_t cores,
                       const std::vector<std::int64_t>* shared_fmaps,
                       const SharedWeights* shared_weights) {
  GroupCost c;
  c.cores = cores;
  c.feasible = true;
  if (!layer_has_kernel(net, li)) return c;
  const DmaTiming dma = dma_timing(arch);
  CorePipelines pipelines(arch, cores);
  std::optional<LayerOnCores> layer;
  try {
    layer.emplace(net, arch, li, cores);
  } catch (const InputError& e) {
    c.feasible = false;
    c.why = e.message();
    c.why_key = e.key();
    return c;
  }
  for (std::int64_t k = 0; k < cores; ++k) {
    CostSink sink(&arch.core, true, &dma, shared_fmaps, shared_weights);
    layer->walk(k, sink);
    add_core(c, sink, dma, arch.element_bytes(), pipelines);
  }
  pipelines.end(c);
  finish(arch, c);
  return c;
}

// Walks every core of a fused plan of `tiles` tiles, whose FusedGroup::progress is `p`;
// feasible when every core's footprint fits. Without `explain`, a core's walk stops where its
// footprint stops fitting, and the reason gives the footprint up to there.
GroupCost fused_with_tiles(const FusedGroup& fg, const Arch& arch, std::int64_t cores,
                           std::int64_t tiles, const std::vector<std::int64_t>& p,
                           const std::vector<std::int64_t>* shared_fmaps,
                           const SharedWeights* shared_weights, bool explain) {
  GroupCost c;
  c.cores = cores;
  c.tiles = tiles;
  c.feasible = true;
  if (fg.input_centric()) c.mapping = GroupMapping::InputCentric;
  const DmaTiming dma = dma_timing(arch);
  CorePipelines pipelines(arch, cores);
  // The sums of the last few cores: a band that repeats one of theirs, rows shifted, sums the
  // same (and fits: that one did). Progress that advances unevenly (28 rows in 8 tiles: 3, 4,
  // 3, 4, ...) repeats every few bands.
  constexpr std::int64_t kRecent = 4;
  // Which of the sinks holds each of the last few cores' sums (a core whose band repeats an
  // earlier one's shares its sink: no copy); a core walked anew takes a sink none of the others
  // holds.
  std::array<CostSink, kRecent + 1> sinks{CostSink(&arch.core), CostSink(&arch.core),
                                          CostSink(&arch.core), CostSink(&arch.core),
                                          CostSink(&arch.core)};
  std::array<std::size_t, kRecent> held{};
  auto slot = [&](std::int64_t k) -> std::size_t& {
    return held[static_cast<std::size_t>(k % kRecent)];
  };
  for (std::int64_t k = 0; k < cores; ++k) {
    bool alike = false;
    for (std::int64_t d = 1; d <= kRecent && !alike; ++d) {
      if (!fg.band_like(p, tiles, cores, k, k - d)) continue;
      slot(k) = slot(k - d);
      alike = true;
    }
    if (alike) {
      add_core(c, sinks[slot(k)], dma, arch.element_bytes(), pipelines);
      continue;
    }
    std::size_t free = 0;
    const auto taken = [&](std::size_t i) {
      for (std::int64_t d = 1; d < kRecent && k - d >= 0; ++d) {
        if (slot(k - d) == i) return true;
      }
      return false;
    };
    while (taken(free)) ++free;
    CostSink& sink = sinks[free];
    sink = CostSink(&arch.core, true, &dma, shared_fmaps, shared_weights);
    const Footprint f = fg.walk(p, tiles, cores, k, sink, !explain);
    if (!fg.fits(f)) {
      c.feasible = false;
      c.why = "its footprint (input " + std::to_string(f.input) + ", weight " +
              std::to_string(f.weight) + ", output " + std::to_string(f.output) +
              " bytes per core) does not fit the core's buffers";
      return c;
    }
    add_core(c, sink, dma, arch.element_bytes(), pipelines);
    slot(k) = free;
  }
  pipelines.end(c);
  finish(arch, c);
  return c;
}

}  // namespace

GroupCoster::GroupCoster(const Network& net, const Arch& arch, std::vector<int> layers,
                         const std::vector<std::int64_t>* shared_fmaps,
                         const SharedWeights* shared_weights, bool input_centric, bool spill)
    : net_(net),
      arch_(arch),
      layers_(std::move(layers)),
      shared_fmaps_(shared_fmaps),
      shared_weights_(shared_weights) {
  if (layers_.size() > 1)
    fused_ = std::make_unique<FusedGroup>(net, arch, layers_, input_centric, spill);
}

GroupCoster::~GroupCoster() = default;

bool GroupCoster::fused_ok() const {
  return fused_ && fused_->unfusable_reason().empty();
}

std::int64_t GroupCoster::max_tiles() const {
  return fused_ ? fused_->max_tiles() : 0;
}

std::int64_t GroupCoster::weight_bytes() const {
  std::int64_t w = 0;
  for (int li : layers_) w += mul_checked(net_.layer(li).params(), arch_.element_bytes());
  return w;
}

std::int64_t GroupCoster::cycles_floor(std::int64_t cores) const {
  if (!fused_) return 0;
  if (compute_floor_ < 0) compute_floor_ = mul_checked(fused_->compute_floor(), net_.batch());
  return ceil_div(compute_floor_, std::max<std::int64_t>(1, cores)) + arch_.kernel_launch_cycles;
}

GroupCost GroupCoster::cost(std::int64_t cores, std::int64_t tiles, std::int64_t min_tiles,
                            std::int64_t guess, std::int64_t at_most) const {
  if (!fused_)
    return single_layer(net_, arch_, layers_.front(), cores, shared_fmaps_, shared_weights_);
  const FusedGroup& fg = *fused_;
  // A plan that does not fit is returned, with its footprint as the reason, for given tiles or
  // at the most tiles; the search's other probes that do not fit are dropped, so their walks
  // stop where they stop fitting.
  auto with_tiles = [&](std::int64_t t) {
    auto it = progress_.find(t);
    if (it == progress_.end()) it = progress_.emplace(t, fg.progress(t)).first;
    const bool explain = tiles > 0 || t == fg.max_tiles();
    return fused_with_tiles(fg, arch_, cores, t, it->second, shared_fmaps_, shared_weights_,
                            explain);
  };
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
    return with_tiles(tiles);
  }
  // The fewest tiles that fit (the footprint shrinks as tiles get smaller). A walk costs time
  // in proportion to its tiles, so the search starts from a guess (or the smallest count) and
  // steps away from it by doubling steps until it crosses the boundary, then bisects between
  // the last count that did not fit and the first that did. Without a guess the steps double
  // the count (1, 2, 4, ...).
  const std::int64_t top = at_most > 0 ? std::min(at_most, fg.max_tiles()) : fg.max_tiles();
  std::int64_t lo = std::min(std::max(cores, min_tiles), top);
  if (lo < cores) {
    c.why = "no plan of " + std::to_string(cores) + " to " + std::to_string(top) + " tiles";
    return c;
  }
  const bool guessed = guess > lo;
  std::int64_t hi = guessed ? std::min(guess, top) : lo;
  GroupCost best = with_tiles(hi);
  std::int64_t step = guessed ? 1 : hi;
  if (best.feasible) {
    while (hi > lo) {  // down from the guess: the count below may fit too
      const std::int64_t probe = std::max(lo, hi - step);
      GroupCost c2 = with_tiles(probe);
      if (!c2.feasible) {
        lo = probe + 1;
        break;
      }
      hi = probe;
      best = std::move(c2);
      step *= 2;
    }
  }
  while (!best.feasible) {
    if (hi == top) return best;
    lo = hi + 1;
    hi = std::min(top, hi + step);
    step *= 2;
    best = with_tiles(hi);
  }
  while (lo < hi) {
    const std::int64_t mid = lo + (hi - lo) / 2;
    GroupCost c2 = with_tiles(mid);
    if (c2.feasible) {
      hi = mid;
      best = std::move(c2);
    } else {
      lo = mid + 1;
    }
  }
  return best;
}

namespace {

// The rows (or columns) of an operand `extent` long that a sliding window reads: taps
// i * stride - pad + t * dilation for outputs i < out and taps t < kernel, inside the operand.
// In time out + extent: each output's taps are marked as a run of step `dilation` in a
// difference array, summed along each step.
std::vector<char> window_reads(std::int64_t extent, std::int64_t out, std::int64_t kernel,
                               std::int64_t stride, std::int64_t pad, std::int64_t dilation) {
  const std::int64_t d = std::max<std::int64_t>(1, dilation);
  std::vector<std::int64_t> diff(static_cast<std::size_t>(extent), 0);
  for (std::int64_t i = 0; i < out; ++i) {
    std::int64_t first = i * stride - pad, taps = kernel;
    if (first < 0) {  // skip the taps in the padding above
      const std::int64_t skip = (-first + d - 1) / d;
      first += skip * d;
      taps -= skip;
    }
    if (taps <= 0 || first >= extent) continue;
    ++diff[static_cast<std::size_t>(first)];
    const std::int64_t end = first + taps * d;
    if (end < extent) --diff[static_cast<std::size_t>(end)];
  }
  std::vector<char> read(static_cast<std::size_t>(extent), 0);
  for (std::int64_t r = 0; r < extent; ++r) {
    const auto ri = static_cast<std::size_t>(r);
    if (r >= d) diff[ri] += diff[ri - static_cast<std::size_t>(d)];
    read[ri] = diff[ri] > 0 ? 1 : 0;
  }
  return read;
}

// What one layer reads of one operand (every channel of it): rows x columns.
struct RowsCols {
  std::vector<char> rows, cols;
  bool operator<(const RowsCols& o) const { return rows != o.rows ? rows < o.rows : cols < o.cols; }
  bool operator==(const RowsCols& o) const { return rows == o.rows && cols == o.cols; }
};

// The elements of network input `input` (per batch item) that some layer reads. A concat is a
// view: what it reads is what its readers read of it, or all of it when it is a network output
// (it is written, so read whole). A slice is a view of some of its operand's channels, and a
// shuffle read by dense convs a view of all of them: what their readers read. Every other
// layer reads every channel of its operands.
std::int64_t input_elements_read(const Network& net, int input) {
  const Shape& s = net.inputs()[static_cast<std::size_t>(input)].shape;
  const std::size_t H = static_cast<std::size_t>(s.h), W = static_cast<std::size_t>(s.w);
  const RowsCols all{std::vector<char>(H, 1), std::vector<char>(W, 1)};
  // A read of the input's channels [lo, hi).
  struct Read {
    RowsCols rc;
    std::int64_t lo = 0, hi = 0;
  };
  std::vector<Read> reads;
  // The layers to visit, each with where the tensor it reads lies in the input's channels: its
  // channel x is the input's channel base + x, and it sees the input's channels [lo, hi).
  struct Visit {
    int layer;
    std::int64_t base, lo, hi;
  };
  std::vector<Visit> stack;
  auto readers_of = [&](bool network_input, int index, std::int64_t base, std::int64_t lo,
                        std::int64_t hi) {
    for (int li = 0; li < static_cast<int>(net.layers().size()); ++li) {
      const Layer& l = net.layer(li);
      std::int64_t offset = 0;  // a concat's operand: its channels' place in the concat
      for (std::size_t j = 0; j < l.inputs.size(); ++j) {
        const Operand& op = l.inputs[j];
        if (op.from_network_input == network_input && op.index == index) {
          stack.push_back({li, base - offset, lo, hi});
          if (l.type != LayerType::Concat) break;
        }
        offset += l.in_shapes[j].c;
      }
    }
  };
  readers_of(true, input, 0, 0, s.c);
  std::set<std::tuple<int, std::int64_t, std::int64_t, std::int64_t>> seen;
  while (!stack.empty()) {
    const Visit v = stack.back();
    stack.pop_back();
    const Layer& l = net.layer(v.layer);
    if (l.type == LayerType::Concat || l.is_view()) {
      std::int64_t base = v.base, lo = v.lo, hi = v.hi;
      if (l.type == LayerType::Slice) {
        base = v.base + l.slice_begin;
        lo = std::max(v.lo, base);
        hi = std::min(v.hi, v.base + l.slice_end);
        if (lo >= hi) continue;  // none of the input's channels
      }
      if (l.type == LayerType::Concat && net.consumers(v.layer).empty()) {
        reads.push_back({all, lo, hi});
      } else if (seen.insert({v.layer, base, lo, hi}).second) {
        readers_of(false, v.layer, base, lo, hi);
      }
    } else if ((l.type == LayerType::Conv || l.type == LayerType::Pool) && !l.global_pool) {
      reads.push_back(
          {{window_reads(s.h, l.out_shape.h, l.kernel_h, l.stride_h, l.pad_h, l.dilation),
            window_reads(s.w, l.out_shape.w, l.kernel_w, l.stride_w, l.pad_w, l.dilation)},
           v.lo,
           v.hi});
    } else {
      reads.push_back({all, v.lo, v.hi});
    }
  }
  // The pixels (row, column) some of `rcs` reads.
  auto pixels_read = [&](std::vector<RowsCols> rcs) -> std::int64_t {
    if (rcs.empty()) return 0;
    // Some layer reads it whole (the usual case): no need to look row by row.
    for (const RowsCols& rc : rcs) {
      if (rc == all) return s.h * s.w;
    }
    std::sort(rcs.begin(), rcs.end());
    rcs.erase(std::unique(rcs.begin(), rcs.end()), rcs.end());
    // Row by row: the columns any read of that row takes; rows read by the same reads alike.
    std::map<std::vector<char>, std::int64_t> columns_of;  // by which reads take the row
    std::int64_t pixels = 0;
    for (std::size_t r = 0; r < H; ++r) {
      std::vector<char> who(rcs.size(), 0);
      bool any = false;
      for (std::size_t k = 0; k < rcs.size(); ++k) {
        who[k] = rcs[k].rows[r];
        if (who[k] != 0) any = true;
      }
      if (!any) continue;
      auto it = columns_of.find(who);
      if (it == columns_of.end()) {
        std::vector<char> cols(W, 0);
        for (std::size_t k = 0; k < rcs.size(); ++k) {
          if (!who[k]) continue;
          for (std::size_t c = 0; c < W; ++c) cols[c] |= rcs[k].cols[c];
        }
        it = columns_of.emplace(who, std::count(cols.begin(), cols.end(), 1)).first;
      }
      pixels += it->second;
    }
    return pixels;
  };
  // Channel by channel range: between two consecutive bounds of the reads' ranges, the same
  // reads take every channel.
  std::vector<std::int64_t> bounds{0, s.c};
  for (const Read& r : reads) bounds.push_back(r.lo), bounds.push_back(r.hi);
  std::sort(bounds.begin(), bounds.end());
  bounds.erase(std::unique(bounds.begin(), bounds.end()), bounds.end());
  std::int64_t elements = 0;
  for (std::size_t b = 0; b + 1 < bounds.size(); ++b) {
    std::vector<RowsCols> rcs;
    for (const Read& r : reads)
      if (r.lo <= bounds[b] && bounds[b + 1] <= r.hi) rcs.push_back(r.rc);
    elements = add_checked(elements, mul_checked(pixels_read(rcs), bounds[b + 1] - bounds[b]));
  }
  return elements;
}

}  // namespace

Traffic compulsory_traffic(const Network& net, const Arch& arch) {
  const std::int64_t elem = arch.element_bytes(), batch = net.batch();
  Traffic t;
  for (int i = 0; i < static_cast<int>(net.inputs().size()); ++i)
    t.ifmap += mul_checked(mul_checked(input_elements_read(net, i), batch), elem);
  for (int i = 0; i < static_cast<int>(net.layers().size()); ++i) {
    const Layer& l = net.layer(i);
    t.weight += mul_checked(l.params(), elem);
    if (net.consumers(i).empty())
      t.ofmap += mul_checked(mul_checked(l.out_shape.elements(), batch), elem);
  }
  return t;
}

GroupCost evaluate_group(const Network& net, const Arch& arch, const std::vector<int>& layers,
                         std::int64_t cores, std::int64_t tiles,
                         const std::vector<std::int64_t>* shared_fmaps,
                         const SharedWeights* shared_weights, bool input_centric) {
  // Tiles left to the cost model: the fewest that keep the partial sums on chip, else the
  // fewest with them spilled. (With the tiles given the two plans are the same where the first
  // fits: sums spill only where they do not fit.)
  if (input_centric && tiles == 0) {
    GroupCost c = GroupCoster(net, arch, layers, shared_fmaps, shared_weights, true, false)
                      .cost(cores, tiles);
    if (c.feasible) return c;
  }
  return GroupCoster(net, arch, layers, shared_fmaps, shared_weights, input_centric)
      .cost(cores, tiles);
}

void add_prefetch(const Arch& arch, std::int64_t bytes, double cycles, GroupCost& c) {
  if (bytes <= 0) return;
  c.prefetch_bytes += bytes;
  c.prefetch_cycles += cycles;
  c.traffic.weight += bytes;
  c.dram_bytes += bytes;
  c.shared_write_bytes += bytes;
  finish(arch, c);
}

GroupCost evaluate_scheduled(const Network& net, const Arch& arch, const Group& group,
                             const std::vector<std::int64_t>* shared_fmaps,
                             const SharedWeights* shared_weights) {
  if (!group.layerwise()) {
    return evaluate_group(net, arch, group.layers, group.cores, group.tiles, shared_fmaps,
                          shared_weights, group.mapping == GroupMapping::InputCentric);
  }
  GroupCost m;
  return layerwise_cost(net, arch, group.layers, [&](int li) -> const GroupCost& {
    m = evaluate_group(net, arch, {li}, group.cores, 0, shared_fmaps, shared_weights);
    return m;
  });
}

GroupCost group_cost(const Network& net, const Arch& arch, const Group& group,
                     const std::vector<std::int64_t>* shared_fmaps,
                     const SharedWeights* shared_weights) {
  GroupCost c = evaluate_scheduled(net, arch, group, shared_fmaps, shared_weights);
  if (!c.feasible) {
    std::string names;
    for (int li : group.layers) names += (names.empty() ? "" : ", ") + net.layer(li).name;
    throw InputError(arch.file, 0, "groups",
                     "the group [" + names + "] cannot run on this arch: " + c.why);
  }
  return c;
}

}  // namespace fusim
