// The off-chip floor (issue 17, section 3): compulsory_traffic counts the bytes that must move
// (weights once, the network-input elements some layer reads, every network output written
// once) and no schedule moves less. The three networks the old floor (every input and output
// whole) overstated: a conv whose stride exceeds its kernel (rows and columns never read), an
// unused network input, and a network output that is a concat of network inputs only (once
// moved nothing at all: the concat was a view and never written; now it is copied).
#include <filesystem>

#include <catch2/catch.hpp>

#include "cost/concat_copy.h"
#include "cost/cost_model.h"
#include "driver.h"
#include "search/registry.h"
#include "search/search.h"
#include "test_util.h"

namespace fs = std::filesystem;
using fusim::test::src;

namespace {

// conv 1x1 stride 3 over a 4 x 10 x 11 input: output rows 0, 3, 6, 9 (4 of 10 read) and
// columns 0, 3, 6, 9 (4 of 11 read); 8 filters of 4 weights, no bias.
const char* kStrided = R"(name: strided
inputs:
- {name: x, shape: [4, 10, 11]}
layers:
- {name: c, type: conv, inputs: [x], out_channels: 8, kernel: 1, stride: 3}
)";

// conv 2x2 dilation 3 stride 4 over 1 x 10 x 10: outputs 0 and 1 read rows (and columns) 0, 3
// and 4, 7: 4 of 10; 2 filters of 4 weights.
const char* kDilated = R"(name: dilated
inputs:
- {name: x, shape: [1, 10, 10]}
layers:
- {name: c, type: conv, inputs: [x], out_channels: 2, kernel: 2, stride: 4, dilation: 3}
)";

// Input `unused` is declared and read by nobody.
const char* kUnused = R"(name: unused
inputs:
- {name: x, shape: [16, 8, 8]}
- {name: unused, shape: [32, 8, 8]}
layers:
- {name: c, type: conv, inputs: [x], out_channels: 16, kernel: 3, padding: 1}
)";

// The network's only output is a concat of two network inputs (and one of them again).
const char* kConcatOfInputs = R"(name: concat_of_inputs
batch: 2
inputs:
- {name: a, shape: [8, 6, 6]}
- {name: b, shape: [24, 6, 6]}
layers:
- {name: cat, type: concat, inputs: [a, b, a]}
)";

// A concat of network inputs inside the network output's concat: its tensor is part of the
// output, so it is copied too.
const char* kNested = R"(name: nested
inputs:
- {name: a, shape: [4, 5, 5]}
- {name: b, shape: [6, 5, 5]}
layers:
- {name: inner, type: concat, inputs: [a, b]}
- {name: c, type: conv, inputs: [a], out_channels: 2, kernel: 1}
- {name: out, type: concat, inputs: [inner, c]}
)";

std::int64_t moved(const fusim::RunResult& r) {
  return r.sim.traffic.read() + r.sim.traffic.ofmap_write;
}

// The floor holds kind by kind: weights, input reads (the network inputs' are among them) and
// output writes (the network outputs' are among them).
void check_floor(const fusim::Run& run) {
  const fusim::Traffic floor = fusim::compulsory_traffic(*run.net, *run.arch);
  const auto& t = run.result.sim.traffic;
  CHECK(t.weight_read >= floor.weight);
  CHECK(t.ifmap_read >= floor.ifmap);
  CHECK(t.ofmap_write >= floor.ofmap);
  CHECK(moved(run.result) >= floor.total());
}

// Every config x search x objective: the floor holds and the simulation moves the cost model's
// bytes group by group.
void every_schedule(const std::string& net_path, std::int64_t expected_floor_per_elem_byte) {
  for (const std::string& arch : fusim::test::yaml_files("configs")) {
    for (const fusim::SearchAlgorithm& a : fusim::search_algorithms()) {
      for (const auto objective : {fusim::Objective::Bytes, fusim::Objective::Cycles}) {
        INFO(fs::path(arch).filename().string()
             << " x " << a.name << " x "
             << (objective == fusim::Objective::Bytes ? "bytes" : "cycles"));
        fusim::RunOptions o;
        o.arch_path = arch;
        o.net_path = net_path;
        o.search.algorithm = a.name;
        o.search.objective = objective;
        const auto run = fusim::run_fusim(o);
        CHECK(fusim::compulsory_traffic(*run->net, *run->arch).total() ==
              expected_floor_per_elem_byte * run->arch->element_bytes());
        fusim::test::check_group_bytes(run->result);
        check_floor(*run);
      }
    }
  }
}

}  // namespace

TEST_CASE("the floor counts only the rows and columns a strided window reads", "[floor]") {
  // Input: 4 channels x 4 rows x 4 columns read; weights 8 x 4; output 8 x 4 x 4.
  const std::int64_t floor = 4 * 4 * 4 + 8 * 4 + 8 * 4 * 4;
  every_schedule(fusim::test::write_temp("strided.yaml", kStrided), floor);
}

TEST_CASE("the floor counts only the taps of a dilated window", "[floor]") {
  // Input 4 x 4 of 10 x 10 read; weights 2 x 4; output 2 x 2 x 2.
  every_schedule(fusim::test::write_temp("dilated.yaml", kDilated), 4 * 4 + 2 * 4 + 2 * 2 * 2);
}

TEST_CASE("the floor counts nothing for an unused network input", "[floor]") {
  // x whole; weights 16 x 16 x 3 x 3; output 16 x 8 x 8; `unused` nothing.
  const std::int64_t floor = 16 * 8 * 8 + 16 * 16 * 9 + 16 * 8 * 8;
  every_schedule(fusim::test::write_temp("unused.yaml", kUnused), floor);
}

TEST_CASE("a network output that is a concat of network inputs is written", "[floor]") {
  // Batch 2: a and b read whole (a once, though the concat takes it twice), the output
  // (8 + 24 + 8) x 6 x 6 written.
  const std::int64_t floor = 2 * ((8 + 24) * 36 + (8 + 24 + 8) * 36);
  const std::string path = fusim::test::write_temp("concat_of_inputs.yaml", kConcatOfInputs);
  every_schedule(path, floor);
  // The copy: every operand read and written once, a twice; nothing computed.
  const auto run = fusim::test::run(src("configs/systolic32.yaml"), path);
  const fusim::Traffic& t = run->result.predicted.at(0);
  const std::int64_t e = run->arch->element_bytes();
  CHECK(t.ifmap == 2 * (8 + 24 + 8) * 36 * e);
  CHECK(t.ofmap == 2 * (8 + 24 + 8) * 36 * e);
  CHECK(run->result.sim.cycles > 0);
  CHECK(fusim::concat_copies(*run->net, 0));
}

TEST_CASE("a concat of network inputs inside the network output is written", "[floor]") {
  // a and b whole, c's 2 x 4 weights, the output (4 + 6 + 2) x 5 x 5.
  const std::int64_t floor = (4 + 6) * 25 + 2 * 4 + (4 + 6 + 2) * 25;
  every_schedule(fusim::test::write_temp("nested.yaml", kNested), floor);
  const auto run = fusim::test::run(src("configs/systolic32.yaml"),
                                    fusim::test::write_temp("nested.yaml", kNested));
  const fusim::Network& net = *run->net;
  CHECK(fusim::concat_written(net, net.find_layer("inner")));
  CHECK(fusim::concat_copies(net, net.find_layer("inner")));
  CHECK(!fusim::concat_copies(net, net.find_layer("out")));  // inner and c are written into it
}

TEST_CASE("a concat read only by layers is not copied", "[floor]") {
  // Its readers read its bytes wherever they lie: its tensor need not be written.
  const auto run =
      fusim::test::run(src("configs/systolic32.yaml"), src("tests/data/densenet_mini.yaml"));
  const fusim::Network& net = *run->net;
  const int cat = net.find_layer("b0_cat0");  // stem is placed in b0_cat2, foreign here
  REQUIRE(cat >= 0);
  CHECK(!fusim::in_concat_tensor(net, cat, 0));
  CHECK(!fusim::concat_written(net, cat));
  CHECK(!fusim::concat_copies(net, cat));
}

TEST_CASE("dl_min (a concat of a conv and nine network inputs) respects the floor", "[floor]") {
  // x, pool and f0..f7 read whole (the concat is the network output), the conv's weights, the
  // concat written: 764,416 elements; and a schedule now moves exactly that.
  every_schedule(src("tests/data/dl_min.yaml"), 764'416);
}

// Every shipped workload on every config and search: tests/end_to_end/test_end_to_end.cpp.
