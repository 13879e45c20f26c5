// The DLFusion tuner (--fusion dlfusion, docs/dlfusion.md): its groups always fit, its schedules
// simulate, its calibration files parse, and a missing calibration is one clear error.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <string>
#include <tuple>
#include <vector>

#include "arch/arch_io.h"
#include "common/yaml_reader.h"
#include "cost/cost_model.h"
#include "dlfusion/dlfusion_table.h"
#include "network/network_io.h"
#include "rewrite/bottleneck.h"
#include "search/dag_search.h"
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

TEST_CASE("dlfusion never chooses a group that does not fit, on every shipped workload and arch",
          "[search][dlfusion]") {
  for (const std::string& arch_path : fusim::test::yaml_files("configs"))
    for (const std::string& path : fusim::test::yaml_files("workloads")) {
      if (!fusim::test::runs_every_workload(path)) continue;  // the sanitizers' sample there
      INFO(arch_path << " " << path);
      const fusim::Arch arch = fusim::load_arch(arch_path, {});
      // As the driver has it: blocks fused for an arch with the fused-bottleneck engine.
      const fusim::Network net = fusim::fuse_bottlenecks(fusim::load_network(path), arch, path);
      const fusim::Schedule s = dlfusion(net, arch);
      CHECK(s.algorithm == "dlfusion");
      // Each layer once, its producers in its group or an earlier one (the groups of a split
      // in the layers' level order come in that order).
      std::vector<int> group_of(net.layers().size(), -1);
      for (std::size_t k = 0; k < s.groups.size(); ++k)
        for (int l : s.groups[k].layers) {
          CHECK(group_of[static_cast<std::size_t>(l)] == -1);
          group_of[static_cast<std::size_t>(l)] = static_cast<int>(k);
        }
      for (std::size_t l = 0; l < group_of.size(); ++l) {
        CHECK(group_of[l] >= 0);
        for (int c : net.consumers(static_cast<int>(l)))
          CHECK(group_of[l] <= group_of[static_cast<std::size_t>(c)]);
      }
      for (const fusim::Group& g : s.groups) {
        CHECK(g.cores >= 1);
        CHECK(g.cores <= arch.core_count);
        CHECK(fusim::evaluate_scheduled(net, arch, g).feasible);
        if (g.layers.size() > 1 && !g.layerwise()) {  // a fused group's weights stay in each
                                                      // core's buffer
          std::int64_t weights = 0;
          for (int l : g.layers) weights += net.layer(l).params() * arch.element_bytes();
          CHECK(weights <= arch.core.weight_buffer.capacity_bytes);
        }
        CHECK(std::is_sorted(g.layers.begin(), g.layers.end()));
      }
    }
}

TEST_CASE("the layers by level are a topological order with each module's branches side by side",
          "[search][dlfusion]") {
  const fusim::Network net = fusim::load_network(src("workloads/googlenet.yaml"));
  const std::vector<int> order = fusim::dlfusion_level_order(net);
  REQUIRE(order.size() == net.layers().size());
  std::vector<int> at(order.size(), -1);
  for (std::size_t i = 0; i < order.size(); ++i)
    at[static_cast<std::size_t>(order[i])] = static_cast<int>(i);
  for (std::size_t l = 0; l < at.size(); ++l) {
    REQUIRE(at[l] >= 0);  // a permutation
    for (int c : net.consumers(static_cast<int>(l))) CHECK(at[l] < at[static_cast<std::size_t>(c)]);
  }
  // inc3a's four branches all read pool2: their first layers come right after it, in file order.
  const int pool2 = at[static_cast<std::size_t>(net.find_layer("pool2"))];
  int k = pool2;
  for (const char* name : {"inc3a_1x1", "inc3a_3x3_reduce", "inc3a_5x5_reduce", "inc3a_pool"})
    CHECK(at[static_cast<std::size_t>(net.find_layer(name))] == ++k);
  // A chain's level order is its file order: the tuner's second split is skipped.
  const fusim::Network chain = fusim::load_network(src("workloads/tiny_chain.yaml"));
  const std::vector<int> same = fusim::dlfusion_level_order(chain);
  CHECK(std::is_sorted(same.begin(), same.end()));
}

TEST_CASE("dlfusion asks about fewer than half the groups optimal evaluates",
          "[search][dlfusion]") {
  const fusim::Arch arch = fusim::load_arch(src("configs/mlu.yaml"), {});
  const fusim::Network net = fusim::load_network(src("workloads/mobilenetv2.yaml"));
  fusim::SearchOptions o;
  const std::int64_t optimal = fusim::search_schedule(net, arch, o).groups_evaluated;
  CHECK(dlfusion(net, arch).groups_evaluated * 2 < optimal);
}

TEST_CASE("dlfusion's schedule simulates and moves the cost model's bytes", "[search][dlfusion]") {
  // GoogLeNet's split is the one in the layers' level order (dlfusion_level_order).
  for (const char* net :
       {"workloads/mobilenetv2.yaml", "workloads/tiny_dag.yaml", "workloads/googlenet.yaml"}) {
    INFO(net);
    const auto run = fusim::test::run(src("configs/mlu.yaml"), src(net), {}, "dlfusion");
    CHECK(run->result.sim.cycles > 0);
    // A split in the level order shows as groups that, one after another, leave the layers'
    // index order (docs/dlfusion.md: the tuner's prices choose it on GoogLeNet here).
    std::vector<int> in_turn;
    for (const fusim::Group& g : run->program->schedule.groups)
      in_turn.insert(in_turn.end(), g.layers.begin(), g.layers.end());
    CHECK(std::is_sorted(in_turn.begin(), in_turn.end()) ==
          (std::string(net) != "workloads/googlenet.yaml"));
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
    CHECK(t.chain_layers >= 2);
    for (int k = 0; k < fusim::kDlfusionKinds; ++k) {
      INFO(fusim::dlfusion_kind_key(static_cast<fusim::DlfusionKind>(k)));
      CHECK(!t.single[static_cast<std::size_t>(k)].empty());
      if (static_cast<fusim::DlfusionKind>(k) != fusim::DlfusionKind::Fc)
        CHECK(!t.fused[static_cast<std::size_t>(k)].empty());
      for (const auto* cells :
           {&t.single[static_cast<std::size_t>(k)], &t.fused[static_cast<std::size_t>(k)]})
        for (const fusim::DlfusionCell& c : *cells) CHECK(c.cycles.size() == t.core_counts.size());
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
      "arch: x\ncore_counts: [1, 2]\nmacs_edges: [1, 4]\nchannels_edges: [16]\nchain_layers: "
      "3\nbottleneck_ratio: 4\n"
      "layer:\n  - {macs_bucket: 0, channels_bucket: 0, ops: 9, best_cores: 3, cycles: [5, 4]}\n"
      "pointwise: []\ndepthwise: []\npool: []\neltwise: []\nfc: []\nfused_layer: []\n"
      "fused_pointwise: []\nfused_depthwise: []\nfused_pool: []\nfused_eltwise: []\n");
  const auto e = fusim::test::error_of([&] { fusim::load_dlfusion_table(path, "a.yaml"); });
  REQUIRE(e);
  CHECK(e->file() == path);
  CHECK(e->line() == 8);
  CHECK(e->key() == "layer[0].best_cores");
}

namespace {

// A calibration for configs/mlu.yaml (cores 1 and 32) with one cell per kind: the single
// layers' cycles on 1 and 32 cores, dense and 1x1 convs apart, at 1,000,000 operations, and
// every fused cell's at 50,000 (about tiny_chain's convs: a fused share is scaled down below
// the smallest cell).
// `counts`: the calibrated core counts; `other`: the cycles of the kinds the test does not set.
std::string tiny_table(const std::string& layer, const std::string& pointwise,
                       const std::string& fused, const char* single_ops = "1000000",
                       const std::string& counts = "[1, 32]",
                       const std::string& other = "[10000, 10000]") {
  std::string t = "arch: mlu100\ncore_counts: " + counts +
                  "\nmacs_edges: [1]\nchannels_edges: [1]\nchain_layers: 3\nbottleneck_ratio: 4\n";
  auto cell = [](const std::string& cycles, const char* ops = "1000000") {
    return std::string("  - {macs_bucket: 0, channels_bucket: 0, ops: ") + ops +
           ", best_cores: 1, cycles: " + cycles + "}\n";
  };
  t += "layer:\n" + cell(layer, single_ops) + "pointwise:\n" + cell(pointwise, single_ops);
  for (const char* k : {"depthwise", "pool", "eltwise", "fc"})
    t += std::string(k) + ":\n" + cell(other, single_ops);
  for (const char* k : {"layer", "pointwise", "depthwise", "pool", "eltwise"})
    t += std::string("fused_") + k + ":\n" + cell(fused, "50000");
  return t;
}

fusim::Schedule dlfusion_with(const fusim::Network& net, const std::string& table,
                              const fusim::Arch& arch = fusim::load_arch(src("configs/mlu.yaml"),
                                                                         {})) {
  fusim::SearchOptions o;
  o.algorithm = "dlfusion";
  o.dlfusion_table = fusim::test::write_temp("dlfusion_tiny.yaml", table);
  return fusim::search_schedule(net, arch, o);
}

}  // namespace

TEST_CASE("dlfusion interpolates its calibration in operations and channels",
          "[search][dlfusion]") {
  const std::string path = fusim::test::write_temp(
      "dlfusion_interp.yaml",
      "arch: x\ncore_counts: [1, 2]\nmacs_edges: [1, 1000]\nchannels_edges: [16, 64]\n"
      "chain_layers: 3\nbottleneck_ratio: 4\nlayer:\n"
      "  - {macs_bucket: 0, channels_bucket: 0, ops: 100, best_cores: 1, cycles: [1000, null]}\n"
      "  - {macs_bucket: 1, channels_bucket: 0, ops: 300, best_cores: 1, cycles: [3000, 9]}\n"
      "  - {macs_bucket: 0, channels_bucket: 1, ops: 100, best_cores: 1, cycles: [5000, 7]}\n"
      "pointwise: []\ndepthwise: []\npool: []\neltwise: []\nfc: []\nfused_layer: []\n"
      "fused_pointwise: []\nfused_depthwise: []\nfused_pool: []\nfused_eltwise: []\n");
  const fusim::DlfusionTable t = fusim::load_dlfusion_table(path, "a.yaml");
  const auto& cells = t.single[0];
  CHECK(t.cycles_at(cells, 1, 200, 16, 0) == Approx(2000));    // between two cells
  CHECK(t.cycles_at(cells, 1, 50, 16, 0) == Approx(1000));     // below the smallest
  CHECK(t.cycles_at(cells, 1, 600, 16, 0) == Approx(6000));    // scaled beyond the largest
  CHECK(t.cycles_at(cells, 1, 600, 16, 600) == Approx(5400));  // ... above the floor
  CHECK(t.cycles_at(cells, 1, 100, 32, 0) == Approx(3000));    // halfway in log2 channels
  CHECK(t.cycles_at(cells, 1, 100, 64, 0) == Approx(5000));
  CHECK(t.cycles_at(cells, 2, 100, 16, 0) == Approx(9));  // the only cell measured on 2
  CHECK(t.cycles_at(cells, 4, 100, 16, 0) < 0);           // not a calibrated count
  CHECK(t.cycles_at(t.single[1], 1, 100, 16, 0) < 0);     // nothing measured
}

TEST_CASE(
    "dlfusion prices a pool by the elements it moves, as the calibration's pool of its stride",
    "[search][dlfusion]") {
  // The calibration's pool alone: 3x3, stride 2, padding 1, a 56 x 56 input to a 28 x 28 output
  // (9 operations per output element); fused, the same at stride 1. Alone, one of its shape is
  // priced at its operations; a stride-1 pool of as many operations moves 2 elements for every 5
  // the calibrated one does.
  const fusim::Network net = fusim::load_network(fusim::test::write_temp(
      "dlfusion_pools.yaml",
      "name: pools\ninputs:\n  - {name: x, shape: [64, 56, 56]}\nlayers:\n"
      "  - {name: down, type: pool, mode: max, kernel: 3, stride: 2, padding: 1}\n"
      "  - {name: same, type: pool, mode: max, kernel: 3, stride: 1, padding: 1}\n"
      "  - {name: gap, type: pool, mode: avg, kernel: 28, stride: 1}\n"
      "  - {name: pw, type: conv, out_channels: 64, kernel: 1, bias: false}\n"));
  const fusim::Layer& down = net.layer(net.find_layer("down"));
  const fusim::Layer& same = net.layer(net.find_layer("same"));
  const fusim::Layer& gap = net.layer(net.find_layer("gap"));
  const fusim::Layer& pw = net.layer(net.find_layer("pw"));
  CHECK(fusim::dlfusion_ops(down) == Approx(9.0 * 64 * 28 * 28));
  CHECK(fusim::dlfusion_ops_alone(down) == Approx(9.0 * 64 * (56 * 56 + 28 * 28) / 5));
  CHECK(fusim::dlfusion_ops_alone(down) == Approx(fusim::dlfusion_ops(down)).epsilon(0.01));
  CHECK(fusim::dlfusion_ops(same) == Approx(fusim::dlfusion_ops(down)));
  CHECK(fusim::dlfusion_ops_alone(same) == Approx(0.4 * fusim::dlfusion_ops(same)));
  // A global pool reads its whole map for one element per channel.
  CHECK(fusim::dlfusion_ops_alone(gap) == Approx(9.0 * 64 * (28 * 28 + 1) / 5));
  // In a fused group a window pool is priced at its operations, whatever its stride; a global
  // pool as the calibration's fused pool (stride 1) that moves as many elements.
  CHECK(fusim::dlfusion_ops_fused(same) == Approx(fusim::dlfusion_ops(same)));
  CHECK(fusim::dlfusion_ops_fused(down) == Approx(fusim::dlfusion_ops(down)));
  CHECK(fusim::dlfusion_ops_fused(gap) == Approx(9.0 * 64 * (28 * 28 + 1) / 2));
  CHECK(fusim::dlfusion_ops_fused(gap) == Approx(4.5 * fusim::dlfusion_ops(gap)).epsilon(0.01));
  // Any other layer is priced at its operations.
  CHECK(fusim::dlfusion_ops_alone(pw) == Approx(64.0 * 64));
  CHECK(fusim::dlfusion_ops_fused(pw) == Approx(64.0 * 64));
}

TEST_CASE("dlfusion's halo rows add up along a path through a group, not across its branches",
          "[search][dlfusion]") {
  // GoogLeNet's inc3a: from pool2, a 1x1 branch, 1x1 -> 3x3, 1x1 -> 5x5, and a 3x3 pool -> 1x1,
  // then their concat. In a fused group of the module, each 1x1 conv computes the halo rows of
  // its own branch only; pool2 those of the widest branch (the 5x5's four).
  const fusim::Network net = fusim::load_network(src("workloads/googlenet.yaml"));
  const int first = net.find_layer("pool2"), last = net.find_layer("inc3a");
  const std::vector<std::int64_t> below = fusim::dlfusion_halo_below(net, first, last);
  const auto at = [&](const char* name) {
    return below[static_cast<std::size_t>(net.find_layer(name) - first)];
  };
  CHECK(at("pool2") == 4);
  CHECK(at("inc3a_1x1") == 0);
  CHECK(at("inc3a_3x3_reduce") == 2);
  CHECK(at("inc3a_5x5_reduce") == 4);
  CHECK(at("inc3a_3x3") == 0);
  CHECK(at("inc3a_pool_proj") == 0);
  CHECK(at("inc3a") == 0);
  // Only the layers in [first, last] count: without the module, pool2 computes none.
  CHECK(fusim::dlfusion_halo_below(net, first, first) == std::vector<std::int64_t>{0});
  // Along a chain they add up: a 2x2 pool of stride 2 reads no row beyond its band, a 5x5
  // conv two above and two below, a 3x3 conv one each.
  const fusim::Network chain = fusim::load_network(fusim::test::write_temp(
      "dlfusion_halo.yaml",
      "name: halo\ninputs:\n  - {name: x, shape: [8, 16, 16]}\nlayers:\n"
      "  - {name: p, type: pool, mode: max, kernel: 2, stride: 2}\n"
      "  - {name: c, type: conv, out_channels: 8, kernel: 5, padding: 2, bias: false}\n"
      "  - {name: d, type: conv, out_channels: 8, kernel: 3, padding: 1, bias: false}\n"
      "  - {name: e, type: conv, out_channels: 8, kernel: 3, padding: 2, dilation: 2, "
      "bias: false}\n"));
  CHECK(fusim::dlfusion_halo_below(chain, 0, 2) == std::vector<std::int64_t>{6, 2, 0});
  CHECK(fusim::dlfusion_halo_below(chain, 0, 1) == std::vector<std::int64_t>{4, 0});
  CHECK(fusim::dlfusion_halo_rows(chain.layer(0)) == 0);
  // A 3x3 window of dilation 2 spans five rows: two above and two below.
  CHECK(fusim::dlfusion_halo_rows(chain.layer(3)) == 4);
  CHECK(fusim::dlfusion_halo_below(chain, 0, 3)[0] == 10);
}

TEST_CASE("dlfusion takes a 1x1 conv's cores from the pointwise row, not the dense conv's",
          "[search][dlfusion]") {
  const fusim::Network net = fusim::load_network(fusim::test::write_temp(
      "dlfusion_pw.yaml",
      "name: pw\ninputs:\n  - {name: x, shape: [64, 28, 28]}\nlayers:\n"
      "  - {name: pw, type: conv, out_channels: 64, kernel: 1, bias: false}\n"));
  const std::string fused = "[90000, 90000]";
  const fusim::Schedule one = dlfusion_with(net, tiny_table("[9000, 3000]", "[3000, 9000]", fused));
  REQUIRE(one.groups.size() == 1);
  CHECK(one.groups[0].cores == 1);
  const fusim::Schedule all = dlfusion_with(net, tiny_table("[3000, 9000]", "[9000, 3000]", fused));
  REQUIRE(all.groups.size() == 1);
  CHECK(all.groups[0].cores == 32);
}

TEST_CASE("dlfusion prices a gemm of many rows as a 1x1 conv, and one of a single row as an fc",
          "[search][dlfusion]") {
  // A gemm of m rows by a k x n weight matrix is a 1x1 conv over m pixels: its cores come from
  // the pointwise row of the calibration, not the fc row (measured on fc layers of one row,
  // weight-bound: BERT-base's and ViT-B/16's projections were put on 4 cores, and the tuner ran
  // those networks 10 % and 45 % slower than layer by layer on 32). A gemm of one row is an fc.
  const auto gemm = [](int m) {
    return fusim::load_network(fusim::test::write_temp(
        "dlfusion_gemm.yaml", "name: g\ninputs:\n  - {name: x, shape: [1, " + std::to_string(m) +
                                  ", 64]}\nlayers:\n"
                                  "  - {name: g, type: gemm, m: " +
                                  std::to_string(m) + ", n: 64, k: 64, bias: true}\n"));
  };
  const std::string fused = "[90000, 90000]";
  for (const auto& [pointwise, fc, cores] :
       std::vector<std::tuple<std::string, std::string, std::int64_t>>{
           {"[3000, 9000]", "[9000, 3000]", 1}, {"[9000, 3000]", "[3000, 9000]", 32}}) {
    INFO("pointwise " << pointwise << ", fc " << fc);
    // The dense conv's row says the opposite of the pointwise one.
    const std::string table = tiny_table(fc, pointwise, fused, "1000000", "[1, 32]", fc);
    const fusim::Schedule many = dlfusion_with(gemm(64), table);
    REQUIRE(many.groups.size() == 1);
    CHECK(many.groups[0].cores == cores);
    const fusim::Schedule one = dlfusion_with(gemm(1), table);
    REQUIRE(one.groups.size() == 1);
    CHECK(one.groups[0].cores == 33 - cores);  // the fc row's choice
  }
}

TEST_CASE(
    "dlfusion runs a fused group on as many cores as its output has rows when its shares "
    "fall with the cores",
    "[search][dlfusion]") {
  // Two 1x1 convs on a 28 x 28 map. Calibrated on 1, 16 and 32 cores; the fused chain did not
  // run on 32 (null). On 28 cores each core has one row; on 16, 12 cores have two.
  const fusim::Network net = fusim::load_network(fusim::test::write_temp(
      "dlfusion_rows.yaml",
      "name: rows\ninputs:\n  - {name: x, shape: [64, 28, 28]}\nlayers:\n"
      "  - {name: a, type: conv, out_channels: 64, kernel: 1, bias: false}\n"
      "  - {name: b, type: conv, out_channels: 64, kernel: 1, bias: false}\n"));
  auto table = [](const std::string& fused) {
    // Alone, each conv (3,211,264 MACs) 90,000 cycles on any count: fusing pays.
    return tiny_table("[90000, 90000, 90000]", "[90000, 90000, 90000]", fused, "3211264",
                      "[1, 16, 32]", "[10000, 10000, 10000]");
  };
  // Shares that fall with the cores (the chains, measured at 50,000 operations, scale to the
  // convs' above the launch: a conv's share about 42,800 cycles on 1 core, 6,400 on 16): the
  // part that splits over cores splits over 28 rows on 28 cores, over 14 row pairs on 16.
  const fusim::Schedule falls = dlfusion_with(net, table("[4000, 2300, null]"));
  REQUIRE(falls.groups.size() == 1);
  CHECK(falls.groups[0].layers.size() == 2);
  CHECK(falls.groups[0].cores == 28);
  // Shares that do not fall: nothing to gain from more cores, and of equally cheap counts the
  // fewest comes first.
  const fusim::Schedule flat = dlfusion_with(net, table("[2300, 2300, null]"));
  REQUIRE(flat.groups.size() == 1);
  CHECK(flat.groups[0].cores == 1);
}

TEST_CASE("dlfusion fuses where the calibrated chains say fusing pays, and only there",
          "[search][dlfusion]") {
  const fusim::Network net = fusim::load_network(src("workloads/tiny_chain.yaml"));
  // Alone, the fc (10,240 MACs, as the cells measured) 10,000 cycles, and the convs (55,296 and
  // 73,728 MACs) the 2,000-cycle launch plus 8,000 in proportion: 45,200 and 59,600; fused,
  // each 3x3 conv 5,000 (its marginal cycles leading a group) and the fc 8,000 (alone, less the
  // launch); or each conv 62,000.
  const fusim::Schedule cheap =
      dlfusion_with(net, tiny_table("[10000, 10000]", "[10000, 10000]", "[5000, 5000]", "10240"));
  REQUIRE(cheap.groups.size() == 1);
  CHECK_FALSE(cheap.groups[0].layerwise());
  // Fused too dear: the three layers one after another in one kernel (114,800 cycles less two
  // launches, plus two barriers) beat three kernels.
  const fusim::Schedule dear =
      dlfusion_with(net, tiny_table("[10000, 10000]", "[10000, 10000]", "[62000, 62000]", "10240"));
  REQUIRE(dear.groups.size() == 1);
  CHECK(dear.groups[0].layerwise());
  // Without launches to save, layer by layer.
  const fusim::Arch free = fusim::load_arch(src("configs/mlu.yaml"), {"kernel_launch_cycles=0"});
  CHECK(dlfusion_with(
            net, tiny_table("[10000, 10000]", "[10000, 10000]", "[62000, 62000]", "10240"), free)
            .groups.size() == 3);
}

TEST_CASE("dlfusion keeps to the core counts -p cores.count allows, and its groups fit",
          "[search][dlfusion]") {
  const fusim::Arch arch = fusim::load_arch(src("configs/mlu.yaml"), {"cores.count=8"});
  const fusim::Network net = fusim::load_network(src("workloads/mobilenetv2.yaml"));
  const fusim::Schedule s = dlfusion(net, arch);
  bool fused = false;
  for (const fusim::Group& g : s.groups) {
    CHECK(g.cores >= 1);
    CHECK(g.cores <= 8);
    CHECK(fusim::evaluate_scheduled(net, arch, g).feasible);
    fused = fused || g.layers.size() > 1;
  }
  CHECK(fused);  // the tuner fuses on MobileNetV2
}
