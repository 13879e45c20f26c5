// A sparse PE array: the dense baseline's PEs, each skipping the multiplications whose weight
// was pruned or whose input activation is zero (the sparse baseline of the ARCHON study:
// Olyaiy, Ng and Lis, ICS 2021; their compstruct/fusion-timeloop-model sparse_baseline counts,
// per pass, the slowest PE's non-zero MACs of the pruned model).
//
// A Gemm tile of `count` GEMMs (m x k) x (k x n) assigns its m n count outputs to the PEs, one
// per PE per pass: ceil(m n count / PEs) passes. In a pass each PE runs the k MACs of its output
// whose weight and activation are both non-zero, each non-zero with probability d (the tile's
// `density`: the layer's weight density times its input's activation density, independent),
// so a PE's count is Binomial(k, d), and the pass lasts as long as its slowest PE:
//
//     pass cycles = min(k, ceil(k d + sqrt(2 ln P) sqrt(k d (1 - d))))    (P = rows x cols)
//
// the expected maximum of P such counts in the Gaussian approximation (the load imbalance of
// the pruned model: the more PEs and the sparser and shorter their work, the further the
// slowest PE lies above the mean). Cycles = passes x pass cycles + rows + cols - 2 (filling and
// draining the array once per tile). At d = 1 a pass is k cycles; as d falls the cycles fall
// with k d until the imbalance term dominates (it shrinks only as sqrt(d)).
#pragma once

#include <cstdint>

#include "common/params.h"
#include "engines/engine.h"

namespace fusim {

struct SparsePeArrayParams {
  std::int64_t rows = 0;
  std::int64_t cols = 0;
};

// A pass's cycles: the slowest of `pes` PEs over k MACs each non-zero with probability d.
std::int64_t sparse_pass_cycles(std::int64_t k, double density, std::int64_t pes);

struct SparsePeArray {
  using Params = SparsePeArrayParams;
  static constexpr const char* kName = "sparse_pe_array";
  static constexpr const char* kDescription =
      "a PE array that skips pruned weights and zero activations (docs/archon.md)";
  static constexpr bool kDefault = false;
  static bool runs(WorkKind k) { return k == WorkKind::Gemm; }
  // Each tile's passes on their own: a tile of two outputs takes a whole pass.
  static constexpr bool kSharesStreams = false;
  static const ParamTable& params();
  static std::int64_t cycles(const Params& p, const TileWork& w);
  // The non-zero MACs (m n k count d, rounded up): what the PEs multiply; one input and one
  // weight read per MAC, a partial sum per output.
  static EngineActions actions(const Params& p, const TileWork& w);
};

}  // namespace fusim
