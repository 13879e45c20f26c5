// The memory cost model of a schedule group (Optimus): predicted off-chip bytes by kind, on-chip
// buffer traffic, MACs and a cycle estimate, from the tiling alone (no commands, no simulation).
// The simulator must move exactly these bytes.
//
// A single-layer group is split across its cores by output channels (the layer-by-layer
// tiling, cost/tiling.h, walked by cost/layer_walk.h). A group of several layers is fused
// (cost/fused_plan.h): split across cores by bands of row tiles. Both walks sum into a CostSink
// (cost/tile_sink.h), the lowering's walks emit the same steps as commands.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "arch/arch.h"
#include "cost/core_pipelines.h"
#include "cost/tile_sink.h"
#include "cost/tiling.h"
#include "network/network.h"
#include "schedule/schedule.h"

namespace fusim {

struct GroupCost {
  bool feasible = false;
  std::string why;      // when not feasible
  std::string why_key;  // the arch key that refused, when one did
  std::int64_t cores = 1;
  std::int64_t tiles = 0;  // fused groups: row tiles of the group's output
  Traffic traffic;
  // The off-chip bytes as the DRAM moves them: traffic.total(), but the whole bursts of the
  // pieces of reads through a slice under the detailed DRAM model (DmaTiming::dram_bytes).
  std::int64_t dram_bytes = 0;
  std::int64_t multicast_bytes = 0;  // bytes cores received by multicast (not off chip)
  // Bytes loaded from and stored to the shared buffer (not off chip): feature maps, weights
  // prefetched there, and the prefetches' writes.
  std::int64_t shared_read_bytes = 0, shared_write_bytes = 0;
  // Later groups' weights this group copies from DRAM to the shared buffer (add_prefetch);
  // counted in traffic.weight and dram_bytes too.
  std::int64_t prefetch_bytes = 0;
  // The busiest prefetch engine's time for them (prefetch_cycles_by_group): the group lasts at
  // least its launch and this.
  double prefetch_cycles = 0;
  std::int64_t macs = 0;  // PE-array MACs, halo recompute included
  std::int64_t buffer_reads = 0, buffer_writes = 0;
  // Partial sums read and written back by the computes that accumulate (an input-centric
  // consumer's scatter, an input-channel piece after the first; counted in buffer_reads and
  // buffer_writes too).
  std::int64_t psum_bytes = 0;
  std::int64_t compute_cycles = 0;  // the busiest core's compute time
  // The cores' pipelines (CostSink::pipeline_cycles) together, their first loads and last
  // stores sharing the path to memory (CorePipelines in cost_model.cpp).
  double pipeline_cycles = 0;
  // The drain bound of the group's cores (DrainBound, core_pipelines_end); for a layerwise group,
  // each member's that runs a kernel, with its estimate less the launch. The prefetch engines
  // take their share of the bottleneck while the loads before a drain run (finish in
  // cost_model.cpp).
  DrainBound drain_bound;
  struct Member {
    double own = 0;
    DrainBound bound;
  };
  std::vector<Member> members;
  // All cores' bytes loaded before their first compute and stored after their last, and the
  // longest time one core takes for its own at its DMA speed.
  std::int64_t lead_bytes = 0, tail_bytes = 0;
  std::int64_t lead_shared_bytes = 0, tail_shared_bytes = 0;  // those of the shared buffer
  double lead_cycles = 0, tail_cycles = 0;
  // The sums of the squares of each core's such bytes: the cores of a phase move
  // (sum b)^2 / sum b^2 transfers at once, on average (all of them when alike, one when one core
  // moves most).
  double lead_square = 0, tail_square = 0;
  // Those phases against the prefetch engines, which share their bottleneck fairly per
  // transfer (finish in cost_model.cpp): the time the engines lose in them, and how much longer
  // the phases take for what the engines move (a layerwise group: its members', summed).
  double held_cycles = 0;
  double crowded_cycles = 0;
  // max(compute, pipeline, off-chip bytes at the DRAM peak, shared-buffer bytes at its
  // bandwidth, prefetch) + kernel launch: the search's cycle figure. For a layerwise group:
  // max(its serial cycles, all its bytes at those bandwidths, prefetch) + kernel launch.
  std::int64_t est_cycles = 0;
  GroupMapping mapping = GroupMapping::Tiled;
  // Layerwise groups: the members' estimates without the launch, one after another, and the
  // barriers between the members that run a kernel (layer_has_kernel).
  double serial_cycles = 0;
  std::int64_t barriers = 0;
};

// False for a layer that runs no kernel of its own: a view (slice, shuffle read as a view) and a
// concat its producers assemble in place (no foreign operand to copy).
bool layer_has_kernel(const Network& net, int layer);

// A layerwise group (Group::mapping): its members one after another in one kernel, each split
// over `cores` cores as the single-layer group would be (`member(layer)`: evaluate_group of that
// member alone on those cores, with the same shared maps and weights),
// a barrier (Arch::barrier_cycles) between consecutive members that run a kernel, and one
// launch. Feasible when every member is.
GroupCost layerwise_cost(const Network& net, const Arch& arch, const std::vector<int>& layers,
                         const std::function<const GroupCost&(int layer)>& member);

// The cost of `layers` (topological order, convex) on `cores` cores. Fused groups use `tiles`
// row tiles, or when `tiles` is 0 the fewest tiles that fit. Infeasible groups come back with
// feasible = false and the reason; nothing throws for a group that does not fit. The feature
// maps `shared_fmaps` places (Schedule::shared_fmaps; null: none) move to and from the shared
// buffer instead of DRAM, and the weights `shared_weights` places (Schedule::shared_weights)
// are loaded from it.
// `input_centric`: a fused group's pairs of complex operators run input-centric
// (GroupMapping::InputCentric; FusedGroup).
GroupCost evaluate_group(const Network& net, const Arch& arch, const std::vector<int>& layers,
                         std::int64_t cores, std::int64_t tiles = 0,
                         const std::vector<std::int64_t>* shared_fmaps = nullptr,
                         const SharedWeights* shared_weights = nullptr, bool input_centric = false);

// Adds to `c` the prefetch of `bytes` of later groups' weights during its group
// (cost/prefetch.h), which its busiest prefetch engine takes `cycles` to copy: read from DRAM
// and written to the shared buffer beside the group's own traffic, so they count in its
// off-chip bytes and in its memory time, and the group lasts at least its launch and `cycles`.
void add_prefetch(const Arch& arch, std::int64_t bytes, double cycles, GroupCost& c);

// The compulsory off-chip traffic of a network, the bytes that must move: every layer's
// weights read once; the elements of each network input that some layer reads, read once (a
// window whose stride exceeds its kernel skips rows and columns; an unused input reads nothing;
// a concat is a view, read as its readers read it, or whole when it is a network output; a slice
// a view of some channels, read as its readers read it); every
// network output written once (a concat of network inputs too: it is copied). No schedule
// moves less.
Traffic compulsory_traffic(const Network& net, const Arch& arch);

class FusedGroup;

// How fast one core's DMA engines move bytes (cost/tile_sink.h), for the pipeline estimate.
DmaTiming dma_timing(const Arch& arch);

// The costs of one candidate group for several core counts, sharing the group's analysis.
class GroupCoster {
 public:
  // `spill`: FusedGroup's; the searches cost input-centric plans without it (below).
  GroupCoster(const Network& net, const Arch& arch, std::vector<int> layers,
              const std::vector<std::int64_t>* shared_fmaps = nullptr,
              const SharedWeights* shared_weights = nullptr, bool input_centric = false,
              bool spill = true);
  ~GroupCoster();
  bool fused() const { return fused_ != nullptr; }
  // A fused group that can be fused (FusedGroup::unfusable_reason empty).
  bool fused_ok() const;
  // A fused group's most row tiles (its output's rows): at most one band per core.
  std::int64_t max_tiles() const;
  std::int64_t weight_bytes() const;
  // A fused group's estimate on `cores` cores is at least this: the launch and the compute
  // floor of its batch (FusedGroup::compute_floor) shared evenly by the cores. 0 when not fused.
  std::int64_t cycles_floor(std::int64_t cores) const;
  // As evaluate_group; with tiles = 0 the fewest tiles that fit, at least `min_tiles`, searched
  // from `guess` when it is larger (the answer does not depend on the guess, only the walks
  // it takes do, as long as a plan that fits still fits with more tiles), and at most
  // `at_most` when that is positive (infeasible when none of those fits).
  GroupCost cost(std::int64_t cores, std::int64_t tiles = 0, std::int64_t min_tiles = 0,
                 std::int64_t guess = 0, std::int64_t at_most = 0) const;

 private:
  const Network& net_;
  const Arch& arch_;
  std::vector<int> layers_;
  const std::vector<std::int64_t>* shared_fmaps_;
  const SharedWeights* shared_weights_;
  std::unique_ptr<FusedGroup> fused_;
  // FusedGroup::progress by tile count: the same for every core count, and a search probes a
  // count again on more cores (it starts from the tiles the fewer cores needed).
  mutable std::map<std::int64_t, std::vector<std::int64_t>> progress_;
  mutable std::int64_t compute_floor_ = -1;  // of the batch; -1 until asked for
};

// The cost of a scheduled group, tiled (evaluate_group with its tiles) or layerwise
// (layerwise_cost of its members); infeasible groups come back with the reason.
GroupCost evaluate_scheduled(const Network& net, const Arch& arch, const Group& group,
                             const std::vector<std::int64_t>* shared_fmaps = nullptr,
                             const SharedWeights* shared_weights = nullptr);

// The same; throws InputError when the group does not fit.
GroupCost group_cost(const Network& net, const Arch& arch, const Group& group,
                     const std::vector<std::int64_t>* shared_fmaps = nullptr,
                     const SharedWeights* shared_weights = nullptr);

}  // namespace fusim
