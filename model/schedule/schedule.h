// A schedule: the network partitioned into groups (kernels), each run on some number of cores.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace fusim {

// How a group of several layers runs on its cores in its one kernel:
//  - Tiled: fused (Optimus): the group's output rows cut into tiles, each core a band of them,
//    every member computing the rows its consumers need; intermediates stay in the core.
//  - Layerwise: one member after another, each split over the cores as a single-layer group is
//    (its grid of row bands by channel slices), its output stored to the shared buffer (or
//    DRAM) and loaded by the members after it, with a barrier between members instead of a
//    kernel launch (DLFusion's fused kernels on the MLU).
//  - InputCentric: tiled, but each chain of two complex operators in it runs input-centric
//    (CORF): the producer's tile computed a chunk of channels at a time, each chunk scattered
//    into the consumer's partial sums and dropped (cost/fused_plan.h).
enum class GroupMapping : std::uint8_t { Tiled, Layerwise, InputCentric };
const char* to_string(GroupMapping m);

struct Group {
  std::vector<int> layers;  // network layer indices, in topological order
  std::int64_t cores = 1;   // cores the group is split across
  // Tiled groups of several layers: row tiles of the group's output, split into one band of
  // consecutive tiles per core. 0 for a single layer (tiled by cost/tiling.h) and for a
  // layerwise group (each member tiled alone).
  std::int64_t tiles = 0;
  GroupMapping mapping = GroupMapping::Tiled;
  bool layerwise() const { return mapping == GroupMapping::Layerwise && layers.size() > 1; }
  bool input_centric() const { return mapping == GroupMapping::InputCentric && layers.size() > 1; }
};

// Weights in the shared buffer: per layer, the byte address there of the first `bytes` bytes of
// its weights (all of them, or a prefix: the loads of the rest read DRAM), or -1 (and 0 bytes)
// for DRAM. Empty: every weight in DRAM, loaded by its own group.
struct SharedWeights {
  std::vector<std::int64_t> at, bytes;
  bool empty() const { return at.empty(); }
  bool operator==(const SharedWeights& o) const { return at == o.at && bytes == o.bytes; }
  void clear() {
    at.clear();
    bytes.clear();
  }
};

struct Schedule {
  std::string algorithm;  // which search produced it ("none" = layer by layer)
  std::vector<Group> groups;
  // Where each layer's output lives between the groups: its byte address in the shared on-chip
  // buffer, where its producer stores it and its consumers load it, or -1 for DRAM. Empty: every
  // feature map in DRAM. Network inputs are always in DRAM. Chosen after the search
  // (cost/shared_fmaps.h); a program read back takes it from its stores.
  std::vector<std::int64_t> shared_fmaps;
  // Weights prefetched into the shared buffer (cost/prefetch.h; SharedWeights), and the
  // prefetches that copy them, each a range of one layer's weights copied during an earlier
  // group than the layer's own. A program read back takes them from its prefetch commands.
  SharedWeights shared_weights;
  struct Prefetch {
    int layer = 0;
    int group = 0;            // the group during which the bytes are copied
    std::int64_t offset = 0;  // bytes into the layer's weights
    std::int64_t bytes = 0;
  };
  std::vector<Prefetch> prefetches;
  // What the search did (not part of the schedule's meaning; not saved with the program).
  std::int64_t groups_evaluated = 0;
  std::int64_t partitions_evaluated = 0;  // oracle only: the complete partitions it scored
  // What scored the candidate groups: "cost" (the cost model), "simulation" (--judge
  // simulation), or "none" (nothing was scored: a program read back, --fusion none).
  std::string judge = "none";
  double search_seconds = 0;
};

}  // namespace fusim
