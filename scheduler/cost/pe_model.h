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

// Cycles of a GEMM on an R x C systolic array, following SCALE-Sim's method
// (Samajdar et al., "SCALE-Sim", arXiv:1811.02883): the operand matrices are folded onto the
// array, and each fold costs its streaming length plus fill and drain, 2R + C - 2 cycles.
//   output stationary: Sr = m, Sc = n, T = k: ceil(m/R) * ceil(n/C) folds of (2R + C + k - 2)
//   weight stationary: Sr = k, Sc = n, T = m: ceil(k/R) * ceil(n/C) folds of (2R + C + m - 2)
//   input stationary:  Sr = k, Sc = m, T = n: ceil(k/R) * ceil(m/C) folds of (2R + C + n - 2)
std::int64_t systolic_cycles(const PeArrayParams& pe, std::int64_t m, std::int64_t n,
                             std::int64_t k);

// Cycles of `ops` element operations: ceil(ops / lanes) + latency.
std::int64_t vector_cycles(const VectorUnitParams& v, std::int64_t ops);

std::int64_t compute_cycles(const CoreParams& core, const TileWork& w);

}  // namespace fusim
