// The DLFusion tuner (--fusion dlfusion, docs/dlfusion.md): its groups always fit, its schedules
// simulate, its calibration files parse, and a missing calibration is one clear error.
#include <catch2/catch.hpp>

#include <filesystem>

#include "arch/arch_io.h"
#include "common/yaml_reader.h"
#include "cost/cost_model.h"
#include "dlfusion/dlfusion_table.h"
#include "network/network_io.h"
#include "search/search.h"
#include "test_util.h"

namespace {

using fusim::test::src;

fusim::Schedule dlfusion(const fusim::Network& net, const fusim::Arch& arch) {
  fusim::SearchOptions o;
  o.algorithm = "dlfusion";
  return fusim::search_schedule(net, arch, o);
}

}  // namespace

TEST_CASE("dlfusion never chooses a group that does not fit, on every shipped workload",
          "[search][dlfusion]") {
  const fusim::Arch arch = fusim::load_arch(src("configs/mlu.yaml"), {});
  for (const std::string& path : fusim::test::yaml_files("workloads")) {
    INFO(path);
    const fusim::Network net = fusim::load_network(path);
    const fusim::Schedule s = dlfusion(net, arch);
    CHECK(s.algorithm == "dlfusion");
    std::vector<int> seen;
    for (const fusim::Group& g : s.groups) {
      CHECK(g.cores >= 1);
      CHECK(g.cores <= arch.core_count);
      CHECK(fusim::evaluate_group(net, arch, g.layers, g.cores, g.tiles).feasible);
      seen.insert(seen.end(), g.layers.begin(), g.layers.end());
    }
    std::vector<int> all(net.layers().size());
    for (std::size_t i = 0; i < all.size(); ++i) all[i] = static_cast<int>(i);
    CHECK(seen == all);  // each layer once, in the topological order
  }
}

TEST_CASE("dlfusion evaluates far fewer groups than optimal", "[search][dlfusion]") {
  const fusim::Arch arch = fusim::load_arch(src("configs/mlu.yaml"), {});
  const fusim::Network net = fusim::load_network(src("workloads/mobilenetv2.yaml"));
  fusim::SearchOptions o;
  const std::int64_t optimal = fusim::search_schedule(net, arch, o).groups_evaluated;
  CHECK(dlfusion(net, arch).groups_evaluated * 10 < optimal);
}

TEST_CASE("dlfusion's schedule simulates and moves the cost model's bytes", "[search][dlfusion]") {
  for (const char* net : {"workloads/mobilenetv2.yaml", "workloads/tiny_dag.yaml"}) {
    INFO(net);
    const auto run = fusim::test::run(src("configs/mlu.yaml"), src(net), {}, "dlfusion");
    CHECK(run->result.sim.cycles > 0);
    fusim::test::check_group_bytes(run->result);
    fusim::test::check_replays(*run);
  }
}

TEST_CASE("dlfusion puts every group on N cores under --cores N", "[search][dlfusion]") {
  const fusim::Arch arch = fusim::load_arch(src("configs/mlu.yaml"), {});
  const fusim::Network net = fusim::load_network(src("workloads/mobilenetv1.yaml"));
  fusim::SearchOptions o;
  o.algorithm = "dlfusion";
  o.cores = 4;
  for (const fusim::Group& g : fusim::search_schedule(net, arch, o).groups) CHECK(g.cores == 4);
}

TEST_CASE("a missing dlfusion calibration is one error naming the file and the command",
          "[search][dlfusion]") {
  // The arch copied to a folder with no dlfusion/ beside it.
  const std::string arch_path =
      fusim::test::write_temp("mlu_copy.yaml", fusim::read_input_file(src("configs/mlu.yaml")));
  const fusim::Arch arch = fusim::load_arch(arch_path, {});
  const fusim::Network net = fusim::load_network(src("workloads/tiny_chain.yaml"));
  const std::string expected =
      (std::filesystem::path(arch_path).parent_path() / "dlfusion" / "mlu100.yaml").string();
  const auto e = fusim::test::error_of([&] { dlfusion(net, arch); });
  REQUIRE(e);
  CHECK(e->file() == expected);
  CHECK(e->key() == "--fusion");
  CHECK(e->message().find("does not exist") != std::string::npos);
  CHECK(e->message().find("scripts/dlfusion_calibrate.py") != std::string::npos);
  CHECK(e->message().find("--arch " + arch_path + " -o " + expected) != std::string::npos);
  CHECK(std::string(e->what()).find('\n') == std::string::npos);
}

TEST_CASE("the shipped dlfusion calibrations parse", "[search][dlfusion]") {
  for (const std::string& arch_path : fusim::test::yaml_files("configs")) {
    INFO(arch_path);
    const fusim::Arch arch = fusim::load_arch(arch_path, {});
    const fusim::DlfusionTable t =
        fusim::load_dlfusion_table(fusim::dlfusion_table_path(arch.file, arch.name), arch.file);
    CHECK(t.arch == arch.name);
    REQUIRE(!t.core_counts.empty());
    CHECK(t.core_counts.back() == arch.core_count);
    for (const auto* kind : {&t.layer, &t.depthwise, &t.pool, &t.eltwise}) {
      CHECK(!kind->empty());
      for (const fusim::DlfusionCell& c : *kind) CHECK(c.cycles.size() == t.core_counts.size());
    }
  }
  const fusim::DlfusionTable t =
      fusim::load_dlfusion_table(src("configs/dlfusion/mlu100.yaml"), src("configs/mlu.yaml"));
  CHECK(t.core_counts == std::vector<std::int64_t>{1, 2, 4, 8, 16, 32});
  CHECK(t.macs_bucket(0) == 0);
  CHECK(t.macs_bucket(t.macs_edges[1]) == 1);
  CHECK(t.channels_bucket(1 << 30) == static_cast<int>(t.channels_edges.size()) - 1);
}

TEST_CASE("a malformed dlfusion calibration names the file, line and key", "[search][dlfusion]") {
  const std::string path = fusim::test::write_temp(
      "bad_dlfusion.yaml",
      "arch: x\ncore_counts: [1, 2]\nmacs_edges: [1, 4]\nchannels_edges: [16]\n"
      "layer:\n  - {macs_bucket: 0, channels_bucket: 0, best_cores: 3, cycles: [5, 4]}\n"
      "depthwise: []\npool: []\neltwise: []\nconv_conv: []\nbottleneck: []\n");
  const auto e = fusim::test::error_of([&] { fusim::load_dlfusion_table(path, "a.yaml"); });
  REQUIRE(e);
  CHECK(e->file() == path);
  CHECK(e->line() == 6);
  CHECK(e->key() == "layer[0].best_cores");
}
