// The compute engines: action counts against closed forms and against a fold-by-fold count,
// and a core's dispatch of work to the engine for its kind.
#include <catch2/catch.hpp>

#include <algorithm>
#include <stdexcept>

#include "engines/engines.h"

using fusim::Dataflow;
using fusim::EngineActions;
using fusim::PeArrayParams;
using fusim::TileWork;
using fusim::WorkKind;

namespace {

// Walks the folds of a GEMM one by one, as systolic_cycles folds it, and counts what enters and
// leaves the array in each: the definition the closed forms of systolic_actions must equal.
EngineActions by_folds(const PeArrayParams& pe, std::int64_t m, std::int64_t n, std::int64_t k) {
  EngineActions a;
  const std::int64_t R = pe.rows, C = pe.cols;
  // (rows of the array, columns of the array, the streamed dimension) per dataflow.
  const bool os = pe.dataflow == Dataflow::OutputStationary;
  const bool ws = pe.dataflow == Dataflow::WeightStationary;
  const std::int64_t sr = os ? m : k, sc = os ? n : ws ? n : m, t = os ? k : ws ? m : n;
  for (std::int64_t i = 0; i * R < sr; ++i) {
    const std::int64_t r = std::min(R, sr - i * R);
    for (std::int64_t j = 0; j * C < sc; ++j) {
      const std::int64_t c = std::min(C, sc - j * C);
      a.macs += r * c * t;
      // Each MAC reads two operands and a partial sum from its PE's registers and writes the
      // partial sum; the moving operands are latched once per MAC, the held one once.
      a.registers.reads += 3 * r * c * t;
      a.registers.writes += (os ? 3 * r * c * t : 2 * r * c * t + r * c);
      if (os) {  // r pixels x c filters, k streamed: rows of A and columns of B enter once
        a.input.reads += r * k;
        a.weight.reads += c * k;
        a.output.writes += r * c;
        continue;
      }
      // r reduction rows held against c columns (filters for WS, pixels for IS), t streamed.
      (ws ? a.weight : a.input).reads += r * c;
      (ws ? a.input : a.weight).reads += t * r;
      a.output.writes += t * c;
      if (i > 0) a.output.reads += t * c, a.adds += t * c;
    }
  }
  return a;
}

bool same(const EngineActions& x, const EngineActions& y) {
  return x.macs == y.macs && x.adds == y.adds && x.vector_ops == y.vector_ops &&
         x.input == y.input && x.weight == y.weight && x.output == y.output &&
         x.registers == y.registers;
}

}  // namespace

TEST_CASE("PE array actions: closed forms for the example of the cycle test", "[engines]") {
  // m = 64 pixels, n = 32 filters, k = 144 on 32 x 32 (test_pe_model.cpp's example).
  const auto os = fusim::systolic_actions({32, 32, Dataflow::OutputStationary}, 64, 32, 144);
  CHECK(os.macs == 64 * 32 * 144);
  CHECK(os.input.reads == 64 * 144 * 1);   // m k ceil(n/C)
  CHECK(os.weight.reads == 32 * 144 * 2);  // n k ceil(m/R)
  CHECK(os.output.writes == 64 * 32);
  CHECK(os.output.reads == 0);
  CHECK(os.adds == 0);
  CHECK(os.registers.reads == 3 * os.macs);   // two operands and the partial sum
  CHECK(os.registers.writes == 3 * os.macs);  // both operands passed on, the partial sum
  const auto ws = fusim::systolic_actions({32, 32, Dataflow::WeightStationary}, 64, 32, 144);
  CHECK(ws.weight.reads == 32 * 144);      // k n, loaded once
  CHECK(ws.input.reads == 64 * 144 * 1);   // m k ceil(n/C)
  CHECK(ws.output.writes == 64 * 32 * 5);  // m n ceil(k/R)
  CHECK(ws.output.reads == 64 * 32 * 4);   // m n (ceil(k/R) - 1)
  CHECK(ws.adds == 64 * 32 * 4);
  CHECK(ws.registers.writes == 2 * ws.macs + 32 * 144);  // the weights latched once each
  const auto is = fusim::systolic_actions({32, 32, Dataflow::InputStationary}, 64, 32, 144);
  CHECK(is.input.reads == 64 * 144);       // m k, held
  CHECK(is.weight.reads == 32 * 144 * 2);  // n k ceil(m/C)
  CHECK(is.output.writes == 64 * 32 * 5);
  CHECK(is.adds == 64 * 32 * 4);
}

TEST_CASE("PE array actions equal a fold-by-fold count", "[engines]") {
  for (const Dataflow d :
       {Dataflow::OutputStationary, Dataflow::WeightStationary, Dataflow::InputStationary}) {
    for (const auto& [R, C] : {std::pair{8, 8}, std::pair{12, 14}, std::pair{32, 64}}) {
      const PeArrayParams pe{R, C, d};
      for (const std::int64_t m : {1, 7, 64, 100})
        for (const std::int64_t n : {1, 14, 33})
          for (const std::int64_t k : {1, 9, 144, 1000}) {
            INFO("dataflow " << fusim::to_string(d) << ", " << R << "x" << C << ", m " << m << " n "
                             << n << " k " << k);
            CHECK(same(fusim::systolic_actions(pe, m, n, k), by_folds(pe, m, n, k)));
          }
    }
  }
}

TEST_CASE("a core runs each work item on its engine for the item's kind", "[engines]") {
  fusim::CoreEngines core;
  core.pe_array = {32, 32, Dataflow::WeightStationary};
  core.vector_unit = {16, 3};
  TileWork gemm;
  gemm.m = 64, gemm.n = 32, gemm.k = 144, gemm.count = 3;
  CHECK(fusim::compute_cycles(core, gemm) == 3 * 790);  // 790: test_pe_model.cpp's WS case
  const EngineActions a = fusim::compute_actions(core, gemm);
  CHECK(a.macs == gemm.macs());
  CHECK(a.output.writes == 3 * 64 * 32 * 5);
  TileWork vec;
  vec.kind = WorkKind::Elementwise;
  vec.ops = 100;
  CHECK(fusim::compute_cycles(core, vec) == 7 + 3);  // ceil(100 / 16) + latency
  CHECK(fusim::compute_actions(core, vec).vector_ops == 100);
  CHECK(vec.macs() == 0);
  // A core without a vector unit has nothing to run element-wise work on (the arch loader
  // refuses such a core; this is the model's own guard).
  core.engines = 1;  // the PE array only
  CHECK_THROWS_AS(fusim::compute_cycles(core, vec), std::logic_error);
  CHECK(fusim::compute_cycles(core, gemm) == 3 * 790);
}

TEST_CASE("every registered engine has a name, a table and a kind of work", "[engines]") {
  int defaults = 0;
  fusim::Engines::for_each([&](auto slot, int i) {
    using E = typename decltype(slot)::Engine;
    CHECK(std::string(E::kName).size() > 0);
    CHECK(!E::params().params.empty());
    bool runs_some = false;
    for (int k = 0; k < fusim::kWorkKinds; ++k) runs_some |= E::runs(static_cast<WorkKind>(k));
    CHECK(runs_some);
    if (E::kDefault) defaults |= 1 << i;
  });
  CHECK(static_cast<fusim::EngineSet>(defaults) == fusim::default_engines());
  CHECK(fusim::CoreEngines{}.engines == fusim::default_engines());
}
