#include "engines/engine.h"

namespace fusim {

const char* to_string(WorkKind k) {
  switch (k) {
    case WorkKind::Gemm:
      return "gemm";
    case WorkKind::Elementwise:
      return "elementwise";
    case WorkKind::FusedBottleneck:
      break;
  }
  return "fused_bottleneck";
}

}  // namespace fusim
