#include "engines/pe_model.h"

#include "common/checked.h"

namespace fusim {

std::int64_t systolic_cycles(const PeArrayParams& pe, std::int64_t m, std::int64_t n,
                             std::int64_t k) {
  if (m <= 0 || n <= 0 || k <= 0) return 0;
  const std::int64_t R = pe.rows, C = pe.cols;
  std::int64_t sr = 0, sc = 0, t = 0;
  std::int64_t preload = R;  // weight/input stationary: R cycles to load the stationary operand
  switch (pe.dataflow) {
    case Dataflow::OutputStationary:
      sr = m;
      sc = n;
      t = k;
      preload = 0;
      break;
    case Dataflow::WeightStationary:
      sr = k;
      sc = n;
      t = m;
      break;
    case Dataflow::InputStationary:
      sr = k;
      sc = m;
      t = n;
      break;
  }
  const std::int64_t folds = mul_checked(ceil_div(sr, R), ceil_div(sc, C));
  return mul_checked(folds, preload + R + C + t - 2);
}

std::int64_t vector_cycles(const VectorUnitParams& v, std::int64_t ops) {
  if (ops <= 0) return 0;
  return ceil_div(ops, v.lanes) + v.latency_cycles;
}

std::int64_t compute_cycles(const CoreParams& core, const TileWork& w) {
  if (!w.on_pe_array) return vector_cycles(core.vector_unit, w.ops);
  return mul_checked(w.count, systolic_cycles(core.pe_array, w.m, w.n, w.k));
}

}  // namespace fusim
