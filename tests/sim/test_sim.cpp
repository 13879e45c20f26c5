// Simulator properties: programs round-trip through YAML, repeated runs in one process are
// independent, buffers are never over-allocated, and a deadlocking program is reported.
#include <catch2/catch.hpp>

#include "arch/arch_io.h"
#include "common/error.h"
#include "driver.h"
#include "lower/lower.h"
#include "schedule/program_io.h"
#include "search/search.h"
#include "simulate.h"
#include "test_util.h"

using fusim::test::src;

namespace {
std::unique_ptr<fusim::Run> run(const char* arch, const char* net) {
  return fusim::test::run(src(arch), src(net));
}
}  // namespace

TEST_CASE("a saved program replays to the same result", "[sim]") {
  const auto a = run("configs/mlu.yaml", "workloads/tiny_dag.yaml");
  const std::string text = fusim::program_to_yaml(*a->program, *a->net);
  const std::string path = fusim::test::write_temp("program.yaml", text);
  const fusim::Program p = fusim::load_program(path, *a->net, *a->arch);
  CHECK(fusim::program_to_yaml(p, *a->net) == text);
  const fusim::SimResult s = fusim::simulate(*a->net, *a->arch, p);
  CHECK(s.cycles == a->result.sim.cycles);
  CHECK(s.traffic.read() == a->result.sim.traffic.read());
}

TEST_CASE("a schedule without commands is lowered as fusim lowers its own", "[sim]") {
  // fusim's own lowering, with the maps in DRAM and no prefetches (what a schedule file gets).
  fusim::RunOptions o;
  o.arch_path = src("configs/mlu.yaml");
  o.net_path = src("workloads/mobilenetv2.yaml");
  o.search.algorithm = "optimal";
  o.search.shared_fmaps = false;
  o.search.prefetch_weights = false;
  const auto a = fusim::run_fusim(o);
  const std::string text = fusim::program_to_yaml(*a->program, *a->net);
  const std::string groups = text.substr(0, text.find("\ncores:") + 1);
  REQUIRE(groups.find("op:") == std::string::npos);
  const fusim::Program p =
      fusim::load_program(fusim::test::write_temp("groups.yaml", groups), *a->net, *a->arch);
  CHECK(fusim::program_to_yaml(p, *a->net) == text);
  CHECK(fusim::simulate(*a->net, *a->arch, p).cycles == a->result.sim.cycles);
  // A group the arch cannot run is refused as in a whole program.
  std::string bad = groups;
  const std::string tiles = "tiles: ";
  const std::size_t at = bad.find(tiles);
  REQUIRE(at != std::string::npos);
  bad.replace(at, bad.find(',', at) - at, "tiles: 1");
  const auto err = fusim::test::error_of([&] {
    fusim::load_program(fusim::test::write_temp("groups.bad.yaml", bad), *a->net, *a->arch);
  });
  REQUIRE(err);
  CHECK_THAT(err->what(), Catch::Contains("cannot run on this arch"));
}

TEST_CASE("simulations in one process are independent of each other", "[sim]") {
  const auto a = run("configs/systolic32.yaml", "workloads/tiny_chain.yaml");
  const auto b = run("configs/mlu.yaml", "workloads/mobilenetv2.yaml");
  const auto c = run("configs/systolic32.yaml", "workloads/tiny_chain.yaml");
  CHECK(a->result.sim.cycles == c->result.sim.cycles);
  CHECK(fusim::report_json(a->result) == fusim::report_json(c->result));
  CHECK(b->result.sim.cycles > a->result.sim.cycles);
}

TEST_CASE("a program whose allocations never fit deadlocks with a clear error", "[sim]") {
  const auto a = run("configs/systolic32.yaml", "workloads/tiny_chain.yaml");
  fusim::Program p = *a->program;
  // Drop every free: the input buffer fills up and a later load waits forever.
  for (auto& core : p.cores) {
    for (auto& c : core) c.frees.clear();
  }
  // Make the first load big enough that the second one cannot fit beside it.
  for (auto& c : p.cores[0]) {
    if (c.op == fusim::CommandOp::Load && c.buffer == fusim::BufferRole::Input) {
      c.bytes = a->arch->core.input_buffer.capacity_bytes;
      break;
    }
  }
  CHECK_THROWS_WITH(fusim::simulate(*a->net, *a->arch, p), Catch::Contains("deadlocks"));
}

TEST_CASE("a deadlock names the cores that are stuck and what each waits for", "[sim][deadlock]") {
  // Two cores; a core whose commands lose their frees and whose first input load fills the
  // input buffer cannot load its next input.
  const auto a = fusim::test::run(src("configs/systolic32.yaml"), src("workloads/tiny_chain.yaml"),
                                  {"cores.count=2"});
  const std::int64_t cap = a->arch->core.input_buffer.capacity_bytes;
  auto break_core = [&](fusim::Program& p, std::size_t core) {
    for (auto& c : p.cores[core]) c.frees.clear();
    for (auto& c : p.cores[core]) {
      if (c.op == fusim::CommandOp::Load && c.buffer == fusim::BufferRole::Input) {
        c.bytes = cap;
        break;
      }
    }
  };
  auto message = [&](const fusim::Program& p) {
    try {
      (void)fusim::simulate(*a->net, *a->arch, p);
    } catch (const fusim::Deadlock& e) {
      return e.message();
    }
    FAIL("no deadlock");
    return std::string();
  };
  SECTION("only core 1 is stuck: core 0 waits at the group's end") {
    fusim::Program p = *a->program;
    break_core(p, 1);
    const std::string m = message(p);
    INFO(m);
    CHECK_THAT(m, Catch::StartsWith("the program deadlocks: core 1 never completes command "));
    CHECK_THAT(m, Catch::Contains("(load of layer 'conv2'), which waits for "));
    CHECK_THAT(m, Catch::Contains(" bytes of the input buffer (" + std::to_string(cap) +
                                  " of its " + std::to_string(cap) + " bytes in use"));
    CHECK_THAT(m, Catch::Contains("(compute of layer 'conv2'), which waits for command "));
    CHECK_THAT(m, Catch::EndsWith("(group 1; core 0 waits at its end)"));
    CHECK_THAT(m, !Catch::Contains("core 0 never"));
  }
  SECTION("both cores stuck: both named") {
    fusim::Program p = *a->program;
    break_core(p, 0);
    break_core(p, 1);
    const std::string m = message(p);
    INFO(m);
    CHECK_THAT(m, Catch::StartsWith("the program deadlocks: core 0 never completes command "));
    CHECK_THAT(m, Catch::Contains("; core 1 never completes command "));
    CHECK_THAT(m, Catch::EndsWith("(group 1)"));
  }
}

TEST_CASE("DRAM channel counters add up to the traffic the cores moved", "[sim]") {
  const auto a = run("configs/mlu.yaml", "workloads/resnet50.yaml");
  std::int64_t read = 0, written = 0;
  for (const auto& ch : a->result.sim.dram_channels) {
    read += ch.bytes_read;
    written += ch.bytes_written;
    CHECK(ch.bytes_read > 0);  // addresses interleave over every channel
  }
  CHECK(read == a->result.sim.traffic.read());
  CHECK(written == a->result.sim.traffic.ofmap_write);
}

TEST_CASE("a channel slice of an NHWC tensor is a strided tile, and costs more in DRAM", "[sim]") {
  // A depthwise 3x3 over 64 channels of one row of 32 pixels: no row bands to split, so 4 cores
  // split the channels: each core reads and writes 16 of every pixel's 64 channels, 16-byte
  // pieces 64 bytes apart (int8).
  const std::string net = fusim::test::write_temp("dw.yaml", R"(name: dw
inputs: [{name: x, shape: [64, 1, 32]}]
layers:
  - {name: dw, type: conv, out_channels: 64, kernel: 3, padding: 1, groups: 64}
)");
  const auto a = fusim::test::run(src("configs/mlu.yaml"), net, {"cores.count=4"});
  REQUIRE(a->arch->element_bytes() == 1);
  int strided = 0;
  for (const auto& core : a->program->cores) {
    for (const fusim::Command& c : core) {
      if (c.op == fusim::CommandOp::Load && c.kind == fusim::TensorKind::Ifmap) {
        CHECK(c.piece_bytes == 16);
        CHECK(c.stride_bytes == 64);
        CHECK(c.bytes % 16 == 0);
        ++strided;
      } else if (c.op == fusim::CommandOp::Store) {
        CHECK(c.piece_bytes == 16);
        CHECK(c.stride_bytes == 64);
      } else if (c.op == fusim::CommandOp::Load) {
        CHECK(c.piece_bytes == 0);  // weights: contiguous per output channel
      }
    }
  }
  CHECK(strided >= 4);
  // The layout survives the program's YAML round trip.
  const std::string text = fusim::program_to_yaml(*a->program, *a->net);
  CHECK(text.find("piece: 16, stride: 64") != std::string::npos);
  const fusim::Program back =
      fusim::load_program(fusim::test::write_temp("dw_prog.yaml", text), *a->net, *a->arch);
  CHECK(fusim::program_to_yaml(back, *a->net) == text);
  // The same program with every tile contiguous moves the same bytes in fewer cycles; the
  // simple DRAM model does not see layouts.
  fusim::Program flat = *a->program;
  for (auto& core : flat.cores) {
    for (auto& c : core) c.piece_bytes = c.stride_bytes = 0;
  }
  const fusim::SimResult s_flat = fusim::simulate(*a->net, *a->arch, flat);
  CHECK(s_flat.traffic.read() == a->result.sim.traffic.read());
  CHECK(a->result.sim.cycles > s_flat.cycles);
  const fusim::Arch simple =
      fusim::load_arch(src("configs/mlu.yaml"), {"cores.count=4", "dram.model=simple"});
  CHECK(fusim::simulate(*a->net, simple, *a->program).cycles ==
        fusim::simulate(*a->net, simple, flat).cycles);
}
