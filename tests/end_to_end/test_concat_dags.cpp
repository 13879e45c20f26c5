// Concat DAGs (issue 13): a fused group that ends in a concat loads only the rows its computes
// read, so fusim's own programs never deadlock on them; DenseNet-like dense blocks run on every
// shipped config under every search and objective with the simulated bytes equal to the cost
// model's; and a program that deadlocks is fusim's fault when fusim made it, the user's when it
// came from --schedule-in, with the core that is stuck named.
#include <algorithm>
#include <filesystem>

#include <catch2/catch.hpp>

#include "cost/cost_model.h"
#include "cost/tiling.h"
#include "driver.h"
#include "lower/lower.h"
#include "search/registry.h"
#include "search/search.h"
#include "test_util.h"

namespace fs = std::filesystem;
using fusim::test::src;

TEST_CASE("a fused group ending in a concat loads only what its computes read", "[e2e][concat]") {
  // Issue 13's network: conv c (input x, 128 x 28 x 28) fused with the concat of c and nine
  // network inputs. One core keeps the halo rows, so the tiles load x once: 128 * 28 * 28
  // bytes, and no tile loads the concat's other inputs; the concat is the network output, so
  // after the tiles they are copied into its tensor (issue 17: read and written once each).
  const auto run = fusim::test::run(src("configs/systolic32.yaml"), src("tests/data/dl_min.yaml"));
  const fusim::Network& net = *run->net;
  const std::vector<int> group = {net.find_layer("c"), net.find_layer("cat")};
  const fusim::GroupCost c = fusim::evaluate_group(net, *run->arch, group, 1);
  REQUIRE(c.feasible);
  const std::int64_t copied = (128 + 8 * 32) * 28 * 28;  // pool and f0..f7
  CHECK(c.traffic.ifmap == 128 * 28 * 28 + copied);
  CHECK(c.traffic.weight == 32 * 128 * 3 * 3);
  CHECK(c.traffic.ofmap ==
        32 * 28 * 28 + copied);  // c's rows into the concat's tensor, and the copy
}

TEST_CASE("concat DAGs run on every config under every search and objective", "[e2e][concat]") {
  for (const std::string& arch : fusim::test::yaml_files("configs")) {
    for (const char* net : {"tests/data/dl_min.yaml", "tests/data/densenet_mini.yaml"}) {
      for (const fusim::SearchAlgorithm& a : fusim::search_algorithms()) {
        for (const auto objective : {fusim::Objective::Bytes, fusim::Objective::Cycles}) {
          DYNAMIC_SECTION(fs::path(arch).filename().string()
                          << " x " << net << " x " << a.name << " x "
                          << (objective == fusim::Objective::Bytes ? "bytes" : "cycles")) {
            fusim::RunOptions o;
            o.arch_path = arch;
            o.net_path = src(net);
            o.search.algorithm = a.name;
            o.search.objective = objective;
            const auto run = fusim::run_fusim(o);
            fusim::test::check_group_bytes(run->result);
            const fusim::Traffic floor = fusim::compulsory_traffic(*run->net, *run->arch);
            const auto& t = run->result.sim.traffic;
            CHECK(t.read() + t.ofmap_write >= floor.total());  // issue 17
            if (a.name == std::string("optimal") || a.name == std::string("none"))
              fusim::test::check_replays(*run);
          }
        }
      }
    }
  }
}

TEST_CASE("every conv fused with the concat it ends in simulates the cost model's bytes",
          "[e2e][concat]") {
  // The searches need not pick these groups; force each one into the layer-by-layer schedule.
  int simulated = 0;
  for (const std::string& arch : fusim::test::yaml_files("configs")) {
    auto run = fusim::test::run(arch, src("tests/data/densenet_mini.yaml"));
    const fusim::Network& net = *run->net;
    for (int li = 0; li + 1 < static_cast<int>(net.layers().size()); ++li) {
      const fusim::Layer& cat = net.layer(li + 1);
      if (cat.type != fusim::LayerType::Concat || cat.inputs.size() < 2) continue;
      // No sections: each would run the test case again from its start (a run per section).
      INFO(fs::path(arch).filename().string() << " x " << net.layer(li).name);
      {
        fusim::Schedule s = fusim::schedule_layer_by_layer(net, *run->arch);
        const auto at = std::find_if(s.groups.begin(), s.groups.end(),
                                     [&](const auto& g) { return g.layers.front() == li; });
        REQUIRE(at + 1 < s.groups.end());
        fusim::Group fused;
        fused.layers = {li, li + 1};
        fused.cores = 1;
        // A config whose buffers cannot hold the group (ARCHON's 52 KiB of weights against
        // the conv's 55 KiB) says which key refused; the others run it.
        const fusim::GroupCost cost = fusim::evaluate_group(net, *run->arch, fused.layers, 1);
        if (!cost.feasible) {
          INFO(cost.why);
          CHECK(cost.why.find("buffer") != std::string::npos);
          continue;
        }
        ++simulated;
        *at = fused;
        s.groups.erase(at + 1);
        run->program = std::make_unique<fusim::Program>(fusim::lower(net, *run->arch, s));
        fusim::simulate_run(run, "");
        fusim::test::check_group_bytes(run->result);
        // On one core the conv's input is loaded once; the concat's other inputs not at all.
        const fusim::Shape& in = net.layer(li).in_shapes[0];
        const std::size_t gi = static_cast<std::size_t>(at - s.groups.begin());
        CHECK(run->result.predicted[gi].ifmap ==
              in.elements() * run->arch->element_bytes() * net.batch());
      }
    }
  }
  CHECK(simulated >= 6 * 3);  // every conv-concat pair on the mlu, eyeriss and systolic configs
}

TEST_CASE("a deadlock is fusim's fault in its own program, the user's in --schedule-in",
          "[e2e][deadlock]") {
  // Two cores; core 1's commands lose their frees, so only core 1 runs out of buffer space.
  // Core 0 finishes the group and waits at its end: the message must blame core 1.
  auto run = fusim::test::run(src("configs/systolic32.yaml"), src("workloads/tiny_chain.yaml"),
                              {"cores.count=2"});
  fusim::Program& p = *run->program;
  REQUIRE(p.cores.size() == 2);
  for (auto& c : p.cores[1]) c.frees.clear();
  for (auto& c : p.cores[1]) {
    if (c.op == fusim::CommandOp::Load && c.buffer == fusim::BufferRole::Input) {
      c.bytes = run->arch->core.input_buffer.capacity_bytes;
      break;
    }
  }
  const fusim::Program broken = p;

  SECTION("a program fusim made: an internal error that still carries the program") {
    try {
      fusim::simulate_run(run, "");
      FAIL("no deadlock");
    } catch (const fusim::InternalDeadlock& e) {
      CHECK_THAT(e.what(), Catch::Contains("the program deadlocks: core 1 never completes"));
      CHECK_THAT(e.what(), Catch::Contains("fault is fusim's"));
      REQUIRE(e.run);
      CHECK(e.run->program->cores[1].size() == broken.cores[1].size());
    }
  }
  SECTION("a --schedule-in program: bad input naming the file") {
    const auto e = fusim::test::error_of([&] { fusim::simulate_run(run, "prog.yaml"); });
    REQUIRE(e);
    CHECK(e->file() == "prog.yaml");
    CHECK_THAT(e->message(), Catch::Contains("the program deadlocks: core 1 never completes"));
  }
}

namespace {

// The stores of layer `layer` in `program`, every core's.
std::vector<fusim::Command> stores_of(const fusim::Program& program, int layer) {
  std::vector<fusim::Command> out;
  for (const auto& core : program.cores)
    for (const fusim::Command& c : core)
      if (c.op == fusim::CommandOp::Store && c.layer == layer) out.push_back(c);
  return out;
}

}  // namespace

TEST_CASE(
    "a layer written only into a concat stores its grid's channel slices as blocks of whole "
    "rows, while one read by another layer too keeps NHWC pieces",
    "[e2e][concat]") {
  // Two branches of an inception module on a 14 x 14 map, layer by layer on mlu.yaml's 32
  // cores: b's grid cuts its 208 channels into slices (under NHWC, pieces of each pixel).
  const std::string text = R"(name: branches
inputs:
  - {name: x, shape: [256, 14, 14]}
layers:
  - {name: a, type: conv, inputs: [x], out_channels: 64, kernel: 1}
  - {name: b, type: conv, inputs: [x], out_channels: 208, kernel: 3, padding: 1}
  - {name: cat, type: concat, inputs: [a, b]}
  - {name: out, type: conv, out_channels: 64, kernel: 1}
)";
  const std::string blocked_net = fusim::test::write_temp("branches.yaml", text);
  const std::string nhwc_net = fusim::test::write_temp(
      "branches_read.yaml",
      text + "  - {name: side, type: pool, inputs: [b], mode: max, kernel: 1}\n");
  const auto blocked = fusim::test::run(src("configs/mlu.yaml"), blocked_net, {}, "none", false);
  const fusim::Network& net = *blocked->net;
  const int b = net.find_layer("b");
  const fusim::LayerGeometry g(net.layer(b), blocked->arch->element_bytes());
  const fusim::LayerSplit split = fusim::split_layer(g, *blocked->arch, 32);
  REQUIRE(split.channel_parts > 1);
  REQUIRE(fusim::blocked_output_allowed(net, b));
  // Every store one contiguous range; together they fill b's tensor once, without overlap.
  std::vector<fusim::Command> stores = stores_of(*blocked->program, b);
  REQUIRE(!stores.empty());
  std::sort(stores.begin(), stores.end(),
            [](const fusim::Command& x, const fusim::Command& y) { return x.addr < y.addr; });
  std::int64_t end = stores.front().addr;
  for (const fusim::Command& c : stores) {
    CHECK(c.piece_bytes == 0);
    CHECK(c.addr == end);
    end = c.addr + c.bytes;
  }
  CHECK(end - stores.front().addr == 208 * 14 * 14);
  // Read by a pool as well, b's tensor stays NHWC: its slices' stores are pieces of pixels.
  const auto nhwc = fusim::test::run(src("configs/mlu.yaml"), nhwc_net, {}, "none", false);
  CHECK_FALSE(fusim::blocked_output_allowed(*nhwc->net, b));
  bool pieces = false;
  for (const fusim::Command& c : stores_of(*nhwc->program, nhwc->net->find_layer("b")))
    pieces = pieces || c.piece_bytes > 0;
  CHECK(pieces);
  // The cost model moves the simulator's bytes group by group either way.
  fusim::test::check_group_bytes(blocked->result);
  fusim::test::check_group_bytes(nhwc->result);
  // Named twice by the concat, b's second copy is foreign and copied from its tensor as NHWC.
  std::string twice = text;
  twice.replace(twice.find("inputs: [a, b]"), 14, "inputs: [a, b, b]");
  const auto copied = fusim::test::run(src("configs/mlu.yaml"),
                                       fusim::test::write_temp("branches_twice.yaml", twice));
  CHECK_FALSE(fusim::blocked_output_allowed(*copied->net, copied->net->find_layer("b")));
}
