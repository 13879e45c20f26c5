// ARCHON's fused-bottleneck engine (Olyaiy, Ng and Lis, ICS 2021): an inverted-bottleneck block
// (1x1 expand with ReLU, k x k depthwise with ReLU, linear 1x1 project, in `groups` groups) run
// as one pixel-dependent k x k convolution of the block's input, whose effective weights each PE
// builds from pruned fused weights broadcast to all PEs, keeping the entries whose two predicted
// ReLU mask bits are set (docs/archon.md has the identity).
//
// A tile runs in three phases, one after the other (the authors' model sums them per block,
// compstruct/fusion-timeloop-model, fusionet/cifar10/bottlenecks/ResMaker/fusion.py):
//   1. predict the expand masks: a ternary 1x1 conv on 4-bit inputs, additions only, spread over
//      the PEs by expansion channel: ceil(E_ch x C_g x in_pixels / (PEs x prediction_adds));
//   2. predict the depthwise masks the same way: ceil(E_ch x taps x out_pixels / (PEs x adds));
//   3. the main phase: each PE owns one output pixel of a pe_rows x pe_cols tile of the output
//      and does one multiply-accumulate per cycle; a pass over a tile takes the larger of its
//      multiplications per pixel (taps x C_g x channels) and the time to build the effective
//      weights (the surviving entries over `fusion_adders`, and the broadcast of every entry at
//      `broadcast_bits_per_cycle`); ceil(rows / pe_rows) x ceil(cols / pe_cols) passes.
// E_ch is the expansion channels of the groups the tile's output channels span, C_g the input
// channels per group. With the broadcast and the additions hidden under the multiplications (as
// on every FusioNet block), phase 3 is the authors' Timeloop count; phases 1 and 2 their
// prediction cycles (Timeloop's perfect mappings over 64 PEs, divided by their ADDERS = 6 x 4).
#pragma once

#include <cstdint>

#include "common/params.h"
#include "engines/engine.h"

namespace fusim {

struct FusedBottleneckParams {
  std::int64_t pe_rows = 8, pe_cols = 8;
  std::int64_t prediction_adds = 24;
  std::int64_t fusion_adders = 6;
  std::int64_t broadcast_bits_per_cycle = 512;
  std::int64_t index_bits = 10;
};

// The three phases of a FusedBottleneck tile, in cycles (their sum is the tile's).
struct FusedPhases {
  std::int64_t predict_expand = 0, predict_depthwise = 0, main = 0;
  std::int64_t total() const { return predict_expand + predict_depthwise + main; }
};
FusedPhases fused_phases(const FusedBottleneckParams& p, const TileWork& w);

struct FusedBottleneck {
  using Params = FusedBottleneckParams;
  static constexpr const char* kName = "fused_bottleneck";
  static constexpr const char* kDescription =
      "ARCHON's predictive fused inverted-bottleneck engine (docs/archon.md)";
  static constexpr bool kDefault = false;
  static bool runs(WorkKind k) { return k == WorkKind::FusedBottleneck; }
  static constexpr bool kSharesStreams = false;
  static const ParamTable& params();
  static std::int64_t cycles(const Params& p, const TileWork& w) {
    return fused_phases(p, w).total();
  }
  // Main phase: a MAC per multiplication (macs), its effective-weight additions (adds, one per
  // surviving entry per pixel) and a mask test per broadcast entry per pixel (mask_ops); the
  // predictions' additions (adds). Buffer reads in data elements: the fused weights once per
  // pass (weight: their value and index bits in data elements), the inputs once for the expand
  // prediction and each PE's window once per pass
  // (input); the outputs written once (output).
  static EngineActions actions(const Params& p, const TileWork& w);
};

}  // namespace fusim
