// The vector unit: element-wise work (depthwise convolution, pooling, addition), `lanes`
// operations per cycle after a pipeline latency paid once per tile.
#pragma once

#include <cstdint>

#include "common/params.h"
#include "engines/engine.h"

namespace fusim {

struct VectorUnitParams {
  std::int64_t lanes = 0;
  std::int64_t latency_cycles = 0;
};

// Cycles of `ops` element operations: ceil(ops / lanes) + latency.
std::int64_t vector_cycles(const VectorUnitParams& v, std::int64_t ops);

struct VectorUnit {
  using Params = VectorUnitParams;
  static constexpr const char* kName = "vector_unit";
  static constexpr const char* kDescription =
      "vector unit: depthwise convolution, pooling and element-wise work";
  static constexpr bool kDefault = true;
  static bool runs(WorkKind k) { return k == WorkKind::Elementwise; }
  static constexpr bool kSharesStreams = false;
  static const ParamTable& params();
  static std::int64_t cycles(const Params& p, const TileWork& w) { return vector_cycles(p, w.ops); }
  // `ops` vector operations. Element-wise work carries its operation count only (not whether
  // an operation is a multiply-add, an addition or a maximum, nor its operands), so buffer
  // accesses are not counted yet.
  static EngineActions actions(const Params& p, const TileWork& w);
};

}  // namespace fusim
