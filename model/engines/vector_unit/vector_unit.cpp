#include "engines/vector_unit/vector_unit.h"

#include "common/checked.h"
#include "common/limits.h"

namespace fusim {

std::int64_t vector_cycles(const VectorUnitParams& v, std::int64_t ops) {
  if (ops <= 0) return 0;
  return ceil_div(ops, v.lanes) + v.latency_cycles;
}

EngineActions VectorUnit::actions(const Params&, const TileWork& w) {
  EngineActions a;
  a.vector_ops = w.ops > 0 ? w.ops : 0;
  return a;
}

const ParamTable& VectorUnit::params() {
  static const ParamTable t{
      "vector unit",
      {
          params::integer<&VectorUnitParams::lanes>(
              "lanes", 1, limits::kMaxCount, "operations/cycle", "element operations per cycle")
              .required(),
          params::integer<&VectorUnitParams::latency_cycles>(
              "latency_cycles", 0, limits::kMaxLatencyCycles, "cycles",
              "pipeline latency, paid once per tile"),
      }};
  return t;
}

}  // namespace fusim
