// The PE-array model against closed forms, and a whole single-layer simulation against the
// closed form of its pipeline.
#include <catch2/catch.hpp>

#include "driver.h"
#include "engines/engines.h"
#include "test_util.h"

namespace {
fusim::PeArrayParams array32(fusim::Dataflow d) {
  return {32, 32, d};
}
}  // namespace

TEST_CASE("systolic cycles follow SCALE-Sim's fold formula", "[pe_model]") {
  // A 3x3 conv, 16 -> 32 channels on an 8x8 output: m = 64 pixels, n = 32 filters,
  // k = 16*3*3 = 144, R = C = 32. SCALE-Sim v2 (compute/systolic_compute_*.py) runs the folds
  // one after the other, each R + C + T - 2 cycles for output stationary (no preload: the
  // operands stream in skewed and the outputs drain through C - 1 extra rows) and
  // 2R + C + T - 2 for weight and input stationary (R more to load the stationary operand).
  // OS: Sr = m = 64, Sc = n = 32 -> 2 x 1 folds of T = k = 144: 2 * (32 + 32 + 144 - 2) = 412
  CHECK(fusim::systolic_cycles(array32(fusim::Dataflow::OutputStationary), 64, 32, 144) == 412);
  // WS: Sr = k = 144, Sc = n = 32 -> 5 x 1 folds of T = m = 64: 5 * (64 + 32 + 64 - 2) = 790
  CHECK(fusim::systolic_cycles(array32(fusim::Dataflow::WeightStationary), 64, 32, 144) == 790);
  // IS: Sr = k = 144, Sc = m = 64 -> 5 x 2 folds of T = n = 32: 10 * (64 + 32 + 32 - 2) = 1260
  CHECK(fusim::systolic_cycles(array32(fusim::Dataflow::InputStationary), 64, 32, 144) == 1260);
  // A GEMM that fits one fold exactly, OS: 32 x 32 output, k = 1: 32 + 32 + 1 - 2 = 63
  CHECK(fusim::systolic_cycles(array32(fusim::Dataflow::OutputStationary), 32, 32, 1) == 63);
  // The same on WS (one fold, T = m = 32): 2*32 + 32 + 32 - 2 = 126
  CHECK(fusim::systolic_cycles(array32(fusim::Dataflow::WeightStationary), 32, 32, 1) == 126);
}

TEST_CASE("vector unit: ceil(ops / lanes) + latency", "[pe_model]") {
  const fusim::VectorUnitParams v{32, 4};
  CHECK(fusim::vector_cycles(v, 64) == 2 + 4);
  CHECK(fusim::vector_cycles(v, 65) == 3 + 4);
  CHECK(fusim::vector_cycles(v, 0) == 0);
}

TEST_CASE("a single conv layer simulates to the closed form of its pipeline", "[pe_model][sim]") {
  // One tile: 16x8x8 input (1,024 B), 32 3x3 filters (4,608 B), 8x8x32 output (2,048 B) on
  // configs/systolic32.yaml: DRAM 10 B/cycle + 100 cycles latency, link 32 B/cycle (faster),
  // no launch overhead. The load engine brings the weights, then the input, one after the other;
  // then the compute (412 cycles, the OS case above) and the store.
  const std::string net = fusim::test::write_temp("one_conv.yaml", R"(name: one_conv
inputs: [{name: x, shape: [16, 8, 8]}]
layers:
  - {name: conv, type: conv, out_channels: 32, kernel: 3, padding: 1}
)");
  const auto run = fusim::test::run(fusim::test::src("configs/systolic32.yaml"), net);
  const fusim::SimResult& s = run->result.sim;
  CHECK(s.layers[0].compute_cycles == 412);
  const double expected = (4608 / 10.0 + 100) + (1024 / 10.0 + 100) + 412 + (2048 / 10.0 + 100);
  CHECK(s.cycles == Approx(expected).epsilon(1e-9));  // 1480 cycles
  CHECK(s.traffic.weight_read == 4608);
  CHECK(s.traffic.ifmap_read == 1024);
  CHECK(s.traffic.ofmap_write == 2048);
}
