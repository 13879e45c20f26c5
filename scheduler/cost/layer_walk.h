// The tile loop of a single-layer group: one core's channel slice of a layer under its
// LayerTiling (cost/tiling.h), in the order the core runs it. Loop orders:
//   gemm with an activation B operand: per batch item, per channel chunk: load B, then per row
//     tile: load A, compute, store;
//   weights outer: per channel chunk: load its weights, then per item and row tile: load the
//     inputs (or each input-channel piece, with a compute per piece accumulating into the first
//     piece's output), compute, store;
//   inputs outer: per item and row tile: load the inputs of the whole slice, then per channel
//     chunk: load its weights, compute, store.
// The cost model counts every loaded byte as read once from its buffer, by the first compute that
// uses it (unlike a fused group, whose computes read their operands and weights every time).
// Every PE-array compute carries the slice's whole GEMM as its stream (engine.h), so the array's
// cycles for the slice are the whole GEMM's, however the tiles cut it.
#pragma once

#include <cstdint>

#include "arch/arch.h"
#include "cost/tile_sink.h"
#include "cost/tiling.h"
#include "network/network.h"

namespace fusim {

// Walks slice `s` of layer `layer_index` (geometry `g`) under `t` for `batch` items into `sink`;
// its loads into the weight buffer come from core `from.weights` by multicast, its input loads
// from core `from.inputs` (-1: from DRAM).
void walk_layer(const LayerGeometry& g, int layer_index, const LayerTiling& t, LayerSlice s,
                std::int64_t batch, TileSink& sink, LoadSources from = {});

// Off-chip bytes of slice `s` under `t` (what walk_layer loads and stores). A gemm's activation
// B operand counts as ifmap.
Traffic slice_traffic(const LayerGeometry& g, const LayerTiling& t, LayerSlice s,
                      std::int64_t batch);

// Core `core` of `cores` running layer `layer_index` as a single-layer group (split into a grid
// of row bands and channel slices, split_layer): plans its slice's tiling and walks it into
// `sink`. Nothing for a core without
// channels. A concat's producers assemble it in place: its walk is the copy of its foreign
// operands (cost/concat_copy.h), nothing when it has none. Throws InputError naming the
// arch key when no tile of the slice fits the core's buffers.
void walk_layer_core(const Network& net, const Arch& arch, int layer_index, std::int64_t cores,
                     std::int64_t core, TileSink& sink);

// The same for every core of the group, the grid and the tiling planned once (they are the
// same for every core: split_layer and plan_layer_tiling were a quarter of the main command's
// instructions when each core planned its own). The constructor throws InputError as
// walk_layer_core does; `net` and `arch` must outlive it.
class LayerOnCores {
 public:
  LayerOnCores(const Network& net, const Arch& arch, int layer_index, std::int64_t cores);
  // walk_layer_core(net, arch, layer_index, cores, core, sink).
  void walk(std::int64_t core, TileSink& sink) const;

 private:
  const Network& net_;
  const Arch& arch_;
  int layer_;
  std::int64_t cores_;
  // Concats and views walk apart (walk_concat_copy, nothing); the rest by their plan.
  bool planned_ = false;
  LayerGeometry g_;
  LayerSplit split_;
  LayerTiling tiling_;
};

}  // namespace fusim
