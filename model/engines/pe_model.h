// Compute time of one tile on a core: the systolic PE array for convolution and GEMM, the
// vector unit for depthwise, pooling and element-wise work. Pure functions; the simulator calls
// them for every compute command, the scheduler for its estimates.
#pragma once

#include <cstdint>

#include "arch/arch.h"

namespace fusim {

// Work of one compute command, already in matrix form.
//   PE array: `count` independent GEMMs of (m x k) * (k x n): m output pixels (rows of the
//             output matrix), n filters, k = reduction (in channels per group x kernel area).
//   Vector:   `ops` element operations.
struct TileWork {
  bool on_pe_array = true;
  std::int64_t m = 0, n = 0, k = 0, count = 1;
  std::int64_t ops = 0;

  std::int64_t macs() const { return on_pe_array ? m * n * k * count : 0; }
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

// Cycles of `ops` element operations: ceil(ops / lanes) + latency.
std::int64_t vector_cycles(const VectorUnitParams& v, std::int64_t ops);

std::int64_t compute_cycles(const CoreParams& core, const TileWork& w);

}  // namespace fusim
