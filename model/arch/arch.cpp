#include "arch/arch.h"

namespace fusim {

const char* to_string(Dataflow d) {
  switch (d) {
    case Dataflow::WeightStationary:
      return "weight_stationary";
    case Dataflow::OutputStationary:
      return "output_stationary";
    case Dataflow::InputStationary:
      return "input_stationary";
  }
  return "?";
}

const char* to_string(DramModel m) {
  return m == DramModel::Simple ? "simple" : "detailed";
}

const char* to_string(PagePolicy p) {
  return p == PagePolicy::Open ? "open" : "closed";
}

}  // namespace fusim
