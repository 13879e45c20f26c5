#include "engines/engine.h"

namespace fusim {

const char* to_string(WorkKind k) {
  return k == WorkKind::Gemm ? "gemm" : "elementwise";
}

}  // namespace fusim
