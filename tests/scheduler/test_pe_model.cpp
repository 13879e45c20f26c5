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

TEST_CASE("grouped GEMMs pack side by side and are never slower than the dense GEMM",
          "[pe_model]") {
  using fusim::Dataflow;
  // A 1x1 conv 116 -> 116 with 58 groups over 28x28: 58 GEMMs of m = 784, n = 2, k = 2, on a
  // 32x32 array. One after the other (as before): 58 x ceil(784/32) = 25 folds of
  // 32 + 32 + 2 - 2 = 64 on OS, 92,800 cycles; the dense conv of that shape (m 784, n 116,
  // k 116) 25 x 4 folds of 32 + 32 + 116 - 2 = 178, 17,800.
  const auto os = array32(Dataflow::OutputStationary);
  CHECK(58 * fusim::systolic_cycles(os, 784, 2, 2) == 92800);
  CHECK(fusim::systolic_cycles(os, 784, 116, 116) == 17800);
  // OS packs p = 32/2 = 16 groups in the columns, their inputs streaming in turn (T = 16 x 2):
  // 58 = 3 x 16 + 10 groups: per 25 row folds, 3 folds of 32 + 32 + 32 - 2 = 94 and one of the
  // 10 left, 32 + 32 + 20 - 2 = 82: 25 x 364 = 9,100.
  CHECK(fusim::grouped_systolic_cycles(os, 784, 2, 2, 58) == 9100);
  // WS: p = min(32/2, 32/2) = 16 weight blocks on the diagonal, all 784 pixels streaming once
  // per fold: 4 folds of 64 + 32 + 784 - 2 = 878 -> 3,512 (dense: 4 x 4 x 878 = 14,048).
  const auto ws = array32(Dataflow::WeightStationary);
  CHECK(fusim::grouped_systolic_cycles(ws, 784, 2, 2, 58) == 3512);
  CHECK(fusim::systolic_cycles(ws, 784, 116, 116) == 14048);
  // IS: p = 32/2 = 16 input blocks in the rows, their filters streaming in turn (T = 16 x 2):
  // per 25 column folds, 3 of 64 + 32 + 32 - 2 = 126 and one of 64 + 32 + 20 - 2 = 114:
  // 25 x 492 = 12,300 (dense: Sr = 116, 4 x 25 folds of 64 + 32 + 116 - 2 = 210, 21,000).
  const auto is = array32(Dataflow::InputStationary);
  CHECK(fusim::grouped_systolic_cycles(is, 784, 2, 2, 58) == 12300);
  CHECK(fusim::systolic_cycles(is, 784, 116, 116) == 21000);
  // One group is the GEMM itself; groups too wide to pack (n > C on OS) run one after the other
  // unless the dense GEMM is faster: 2 groups of n = 40, k = 8, m = 64 on OS:
  // one after the other 2 x 2 x 2 folds of 32 + 32 + 8 - 2 = 70 -> 560; dense (n 80, k 16):
  // 2 x 3 folds of 78 -> 468.
  CHECK(fusim::grouped_systolic_cycles(os, 784, 2, 2, 1) == fusim::systolic_cycles(os, 784, 2, 2));
  CHECK(fusim::grouped_systolic_cycles(os, 64, 40, 8, 2) == 468);

  // Never slower than the dense GEMM of the same shape, nor than the groups one after the other.
  for (const Dataflow d :
       {Dataflow::OutputStationary, Dataflow::WeightStationary, Dataflow::InputStationary}) {
    const fusim::PeArrayParams pe{16, 8, d};
    for (std::int64_t m : {1, 7, 49, 784}) {
      for (std::int64_t n : {1, 2, 3, 8, 17}) {
        for (std::int64_t k : {1, 2, 9, 27, 40}) {
          for (std::int64_t g : {2, 3, 32, 58}) {
            const std::int64_t packed = fusim::grouped_systolic_cycles(pe, m, n, k, g);
            INFO(m << " " << n << " " << k << " " << g);
            CHECK(packed <= fusim::systolic_cycles(pe, m, g * n, g * k));
            CHECK(packed <= g * fusim::systolic_cycles(pe, m, n, k));
          }
        }
      }
    }
  }
}

TEST_CASE("a grouped 1x1 conv on systolic32 is faster than the dense conv of its shape",
          "[pe_model][sim]") {
  // The finding: 116 -> 116 channels in 58 groups over 28x28 took 92,800 compute cycles, the
  // dense conv 17,800. Now the packed count (9,100, above) whole, as one stream.
  const std::string grouped = fusim::test::write_temp("grouped58.yaml", R"(name: grouped58
inputs: [{name: x, shape: [116, 28, 28]}]
layers:
  - {name: conv, type: conv, out_channels: 116, kernel: 1, groups: 58}
)");
  const std::string dense = fusim::test::write_temp("dense116.yaml", R"(name: dense116
inputs: [{name: x, shape: [116, 28, 28]}]
layers:
  - {name: conv, type: conv, out_channels: 116, kernel: 1}
)");
  const std::string arch = fusim::test::src("configs/systolic32.yaml");
  const auto g = fusim::test::run(arch, grouped);
  const auto d = fusim::test::run(arch, dense);
  CHECK(g->result.sim.layers[0].compute_cycles == 9100);
  CHECK(d->result.sim.layers[0].compute_cycles == 17800);
}
