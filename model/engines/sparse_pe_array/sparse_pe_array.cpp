#include "engines/sparse_pe_array/sparse_pe_array.h"

#include <algorithm>
#include <cmath>

#include "common/checked.h"
#include "common/limits.h"

namespace fusim {

std::int64_t sparse_pass_cycles(std::int64_t k, double density, std::int64_t pes) {
  if (k <= 0) return 0;
  const double d = std::clamp(density, 0.0, 1.0);
  const double kd = static_cast<double>(k) * d;
  const double z = std::sqrt(2.0 * std::log(static_cast<double>(std::max<std::int64_t>(pes, 1))));
  const double slowest = kd + z * std::sqrt(kd * (1.0 - d));
  // A PE with any work takes a cycle; the rounding absorbs the last bits of the doubles.
  const auto c = static_cast<std::int64_t>(std::ceil(slowest - 1e-9));
  return std::clamp<std::int64_t>(c, d > 0 ? 1 : 0, k);
}

std::int64_t SparsePeArray::cycles(const Params& p, const TileWork& w) {
  if (w.m <= 0 || w.n <= 0 || w.k <= 0 || w.count <= 0) return 0;
  const std::int64_t pes = mul_checked(p.rows, p.cols);
  const std::int64_t passes = ceil_div(mul_checked(mul_checked(w.m, w.n), w.count), pes);
  return add_checked(mul_checked(passes, sparse_pass_cycles(w.k, w.density(), pes)),
                     p.rows + p.cols - 2);
}

EngineActions SparsePeArray::actions(const Params&, const TileWork& w) {
  EngineActions a;
  if (w.m <= 0 || w.n <= 0 || w.k <= 0 || w.count <= 0) return a;
  const auto nonzero = static_cast<std::int64_t>(
      std::ceil(static_cast<double>(w.macs()) * std::clamp(w.density(), 0.0, 1.0) - 1e-9));
  a.macs = nonzero;
  a.input.reads = nonzero;
  a.weight.reads = nonzero;
  a.output.writes = mul_checked(mul_checked(w.m, w.n), w.count);
  if (w.accumulate) a.output.reads = a.adds = a.output.writes;  // the partial sums added into
  a.registers.reads = mul_checked(nonzero, 3);
  a.registers.writes = nonzero;
  return a;
}

const ParamTable& SparsePeArray::params() {
  static const ParamTable t{
      "sparse PE array",
      {
          params::integer<&SparsePeArrayParams::rows>("rows", 1, limits::kMaxCount, "PEs",
                                                      "rows of processing elements")
              .required(),
          params::integer<&SparsePeArrayParams::cols>("cols", 1, limits::kMaxCount, "PEs",
                                                      "columns of processing elements")
              .required(),
      }};
  return t;
}

}  // namespace fusim
