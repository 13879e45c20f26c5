// The systolic PE array: GEMM work on R x C processing elements, output-, weight- or
// input-stationary.
#pragma once

#include <cstdint>

#include "common/params.h"
#include "engines/engine.h"

namespace fusim {

enum class Dataflow { WeightStationary, OutputStationary, InputStationary };
const char* to_string(Dataflow d);  // its key value: "weight_stationary", ...

struct PeArrayParams {
  std::int64_t rows = 0;
  std::int64_t cols = 0;
  Dataflow dataflow = Dataflow::OutputStationary;
};

// Cycles of a GEMM on an R x C systolic array, counted as SCALE-Sim v2 counts them
// (scalesim/compute/systolic_compute_{os,ws,is}.py). The operand matrices are folded onto the
// array, ceil(Sr/R) * ceil(Sc/C) folds run one after the other, and each fold drains completely
// before the next starts. SCALE-Sim builds one demand matrix per fold (one row per cycle) and,
// with no memory stalls, reports the total number of rows as the layer's cycles
// (memory/double_buffered_scratchpad_mem.py: the last OFMAP row's service cycle); nothing is
// added for a final drain beyond the last fold's own. Rows per fold:
//   output stationary: Sr = m, Sc = n, T = k. The IFMAP demand is T rows plus C - 1 rows for the
//     outputs to drain, skewed over the R rows (+ R - 1): R + C + T - 2 cycles per fold (the
//     FILTER demand, T + R - 1 skewed over C, and the OFMAP demand, T - 1 + R skewed over C,
//     give the same). There is no separate R-cycle preload: the operands meet as they stream.
//   weight stationary: Sr = k, Sc = n, T = m. R rows to load the weights, T rows of inputs,
//     C - 1 to drain, skewed over R: 2R + C + T - 2 per fold.
//   input stationary:  Sr = k, Sc = m, T = n. As weight stationary with the inputs held:
//     2R + C + T - 2 per fold.
// (The SCALE-Sim paper, arXiv:1811.02883, gives 2R + C + T - 2 for every dataflow; v2's output
// stationary has no preload and is R cycles shorter per fold.)
std::int64_t systolic_cycles(const PeArrayParams& pe, std::int64_t m, std::int64_t n,
                             std::int64_t k);

// `groups` independent GEMMs of one shape (a grouped convolution's groups), packed side by side
// on the array with block-diagonal operands, p groups per fold:
//   output stationary: p = floor(C / n) groups in the columns; their inputs stream one group
//     after the other: ceil(m / R) folds of R + C + p k - 2 per p groups (the last fold holds
//     the q = groups mod p left over, R + C + q k - 2);
//   weight stationary: p = min(floor(R / k), floor(C / n)) weight blocks on the diagonal, every
//     group's inputs streaming at once: ceil(groups / p) folds of 2R + C + m - 2;
//   input stationary: p = floor(R / k) input blocks in the rows; their filters stream one group
//     after the other: ceil(m / C) folds of 2R + C + p n - 2 per p groups (the last, q left
//     over: 2R + C + q n - 2);
// (p = 1: the groups one after the other, groups x systolic_cycles), or as the dense GEMM
// (m, groups n, groups k) whose operand holds the blocks and zeros elsewhere, whichever is
// fewer: a grouped conv is never slower than the dense conv of its shape. 1 group: the GEMM.
std::int64_t grouped_systolic_cycles(const PeArrayParams& pe, std::int64_t m, std::int64_t n,
                                     std::int64_t k, std::int64_t groups);

// SCALE-Sim's per-fold averages for one GEMM (its COMPUTE_REPORT.csv columns, as fractions):
//   mapping efficiency: the mean over folds of the PEs a fold uses / (R C): Sr Sc / (folds R C);
//   compute utilisation: the mean over folds of (PEs used x T) / (R C x the fold's span), with
//     SCALE-Sim's span: its demand matrix's rows plus its columns less one, R + C + T - 2 for
//     output stationary and 2R + 2C + T - 3 for weight and input stationary (one C - 1 more
//     than the fold's cycles, as compute/systolic_compute_{ws,is}.py count it).
struct SystolicFoldStats {
  double mapping_efficiency = 0;
  double compute_utilization = 0;
};
SystolicFoldStats systolic_fold_stats(const PeArrayParams& pe, std::int64_t m, std::int64_t n,
                                      std::int64_t k);

// Actions of one GEMM on the array, in elements, folded as systolic_cycles folds it. Every MAC
// reads its operands from the PE's neighbour, so buffer reads count what enters the array:
//   output stationary: each fold streams its rows of A (m x k) and columns of B (k x n) in once;
//     A is re-read for each of ceil(n/C) column folds and B for each of ceil(m/R) row folds:
//     input reads m k ceil(n/C), weight reads n k ceil(m/R), output writes m n.
//   weight stationary: the weights are loaded once (k n reads); the inputs stream once per
//     column fold (m k ceil(n/C)); each of the ceil(k/R) reduction folds writes m n partial
//     sums, and every fold after the first reads the previous sums back and adds to them:
//     output writes m n ceil(k/R), output reads and additions m n (ceil(k/R) - 1).
//   input stationary: as weight stationary with A and B swapped: input reads m k, weight reads
//     n k ceil(m/C), the same partial-sum traffic.
// MACs are m n k in every dataflow.
EngineActions systolic_actions(const PeArrayParams& pe, std::int64_t m, std::int64_t n,
                               std::int64_t k);

// A stream (engine.h: a core's slice of a layer run alone) costs what its whole GEMM set costs
// as one piece of work, systolic_cycles of the slice: the array runs the slice's folds one after
// the other, as SCALE-Sim runs a layer's, and a fold whose operands arrive in several tiles
// streams across their boundary instead of paying its fill and drain once per tile. The tiles
// only decide what is on chip when; the array stalls while a tile's operands are not there.
// Each tile costs its share of the stream's cycles by MACs: with S the stream's cycles and W its
// MACs, the MACs in [0, x) of the stream cost floor(x S / W), so a tile at `done` with w MACs
// costs floor((done + w) S / W) - floor(done S / W) and the tiles of a stream sum to S exactly,
// in any order and however they are cut. (Counting continues past W for a stream run several
// times: x = q W + r costs q S + floor(r S / W).)
std::int64_t stream_cycles(const PeArrayParams& pe, const GemmStream& s, std::int64_t done,
                           std::int64_t macs);

struct PeArray {
  using Params = PeArrayParams;
  static constexpr const char* kName = "pe_array";
  static constexpr const char* kDescription =
      "systolic PE array: convolution, fully connected and GEMM work";
  static constexpr bool kDefault = true;
  static bool runs(WorkKind k) { return k == WorkKind::Gemm; }
  static constexpr bool kSharesStreams = true;
  static const ParamTable& params();
  // `count` GEMMs of one shape, packed (grouped_systolic_cycles), or the tile's share of its
  // stream.
  static std::int64_t cycles(const Params& p, const TileWork& w);
  static EngineActions actions(const Params& p, const TileWork& w);
};

}  // namespace fusim
