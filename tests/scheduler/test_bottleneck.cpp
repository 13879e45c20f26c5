// ARCHON's fused-bottleneck engine and the rewrite that maps inverted-bottleneck blocks to it:
// the phase model against the authors' per-block cycles, the block recognition, the work and
// the bytes of whole runs.
#include <fstream>
#include <sstream>

#include <catch2/catch.hpp>

#include "arch/arch_io.h"
#include "cost/tiling.h"
#include "engines/engines.h"
#include "report.h"
#include "rewrite/bottleneck.h"
#include "test_util.h"

using fusim::test::src;

namespace {

// One block (input [C, H, W], 1x1 expand to K in `groups` groups with `act1`, 3x3 depthwise of
// `stride` with `act2`, 1x1 project to M in `groups` groups), and `extra` layers after it.
std::string block_yaml(std::int64_t c, std::int64_t k, std::int64_t m, std::int64_t in,
                       std::int64_t stride, std::int64_t groups, const std::string& act1 = "relu",
                       const std::string& act2 = "relu", const std::string& extra = "") {
  std::ostringstream os;
  os << "name: block\ninputs:\n  - {name: x, shape: [" << c << ", " << in << ", " << in
     << "]}\nlayers:\n"
     << "  - {name: ex, type: conv, out_channels: " << k << ", kernel: 1, groups: " << groups
     << ", activation: " << act1 << "}\n"
     << "  - {name: dw, type: conv, out_channels: " << k
     << ", kernel: 3, padding: 1, stride: " << stride << ", groups: " << k
     << ", activation: " << act2 << "}\n"
     << "  - {name: pr, type: conv, out_channels: " << m << ", kernel: 1, groups: " << groups
     << "}\n"
     << extra;
  return os.str();
}

fusim::Arch archon() {
  return fusim::load_arch(src("configs/archon.yaml"));
}

}  // namespace

TEST_CASE("a FusioNet block's phases on ARCHON are the authors' per-block cycles",
          "[archon][engines]") {
  const fusim::Arch arch = archon();
  std::ifstream in(src("tests/data/archon_fusionet_phases.csv"));
  std::string line;
  int blocks = 0;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#' || line.rfind("block", 0) == 0) continue;
    std::istringstream row(line);
    std::int64_t v[9];
    for (std::int64_t& x : v) {
      std::string cell;
      std::getline(row, cell, ',');
      x = std::stoll(cell);
    }
    const std::int64_t c = v[1], k = v[2], m = v[3], out = v[4], stride = v[5];
    INFO("block " << v[0]);
    const fusim::Network net = fusim::fuse_bottlenecks(
        fusim::test::load_text("b.yaml", block_yaml(c, k, m, out * stride, stride, 4)), arch,
        "b.yaml");
    REQUIRE(net.layers().size() == 1);
    const fusim::Layer& l = net.layer(0);
    REQUIRE(l.is_fused_block());
    // The whole block as one tile: the authors count each phase over the whole map.
    const fusim::LayerGeometry g(l, arch.element_bytes());
    const fusim::TileWork w = g.work(0, g.rows(), 0, g.channels());
    const fusim::FusedPhases p = fusim::fused_phases(arch.core.fused_bottleneck, w);
    CHECK(p.main == v[8]);
    // Theirs floor(x), ours ceil(x): equal, or one more.
    CHECK(p.predict_expand - v[6] >= 0);
    CHECK(p.predict_expand - v[6] <= 1);
    CHECK(p.predict_depthwise - v[7] >= 0);
    CHECK(p.predict_depthwise - v[7] <= 1);
    CHECK(fusim::compute_cycles(arch.core, w) == p.total());
    // The multiplications are the fused form's 9 C M / g per output pixel.
    CHECK(w.macs() == 9 * c * m / 4 * out * out);
    CHECK(l.macs_per_item() == w.macs());
    ++blocks;
  }
  CHECK(blocks == 16);
}

TEST_CASE("the fused-bottleneck engine's phases and actions in closed form", "[archon][engines]") {
  fusim::FusedBottleneckParams p;  // ARCHON's: 8 x 8 PEs, 24 prediction additions, 6 adders
  fusim::TileWork w;
  w.kind = fusim::WorkKind::FusedBottleneck;
  // 12 rows x 10 columns of output pixels, 3 channels of each of 2 groups, 3x3 taps over 5 input
  // channels per group; 40 expansion channels per group predicted over 14 x 12 input pixels.
  w.m = 120, w.n = 3, w.k = 45, w.count = 2;
  w.fused = fusim::FusedBlockWork{};
  fusim::FusedBlockWork& f = w.fused;
  f.rows = 12, f.in_pixels = 168, f.expand_channels = 80, f.expand_reduction = 5;
  f.entries = 600, f.surviving = 150, f.entry_bits = 26, f.value_bits = 16;
  const fusim::FusedPhases ph = fusim::fused_phases(p, w);
  CHECK(ph.predict_expand == (80 * 5 * 168 + 64 * 24 - 1) / (64 * 24));     // 44
  CHECK(ph.predict_depthwise == (80 * 9 * 120 + 64 * 24 - 1) / (64 * 24));  // 57
  // 2 x 2 passes of max(45 x 3 x 2 = 270 multiplications, 150 / 6, 600 x 26 / 512) cycles.
  CHECK(ph.main == 4 * 270);
  // The build bounds a pass when the survivors outnumber the multiplications' cycles.
  f.surviving = 6 * 400;
  CHECK(fusim::fused_phases(p, w).main == 4 * 400);
  f.surviving = 150;
  f.entries = 600 * 20;  // the broadcast: 12,000 x 26 bits at 512 a cycle
  CHECK(fusim::fused_phases(p, w).main == 4 * ((12000 * 26 + 511) / 512));
  f.entries = 600;
  const fusim::EngineActions a = fusim::FusedBottleneck::actions(p, w);
  CHECK(a.macs == 120 * 270);
  CHECK(a.adds == 150 * 120 + 80 * 5 * 168 + 80 * 9 * 120);
  CHECK(a.mask_ops == 600 * 120);
  CHECK(a.weight.reads == (600 * 26 + 15) / 16 * 4);  // values and indices, in 16-bit elements
  CHECK(a.output.writes == 120 * 6);
  // A chunk that predicts no masks (its groups' first channels are in another chunk).
  f.expand_channels = 0;
  CHECK(fusim::fused_phases(p, w).predict_expand == 0);
  CHECK(fusim::fused_phases(p, w).predict_depthwise == 0);
}

TEST_CASE("the rewrite fuses inverted-bottleneck blocks only where the identity holds",
          "[archon]") {
  const fusim::Arch arch = archon();
  const auto fused = [&](const std::string& text) {
    const fusim::Network n =
        fusim::fuse_bottlenecks(fusim::test::load_text("r.yaml", text), arch, "r.yaml");
    int blocks = 0;
    for (const fusim::Layer& l : n.layers()) blocks += l.is_fused_block() ? 1 : 0;
    return blocks;
  };
  CHECK(fused(block_yaml(16, 64, 16, 8, 1, 1)) == 1);
  CHECK(fused(block_yaml(16, 64, 24, 8, 2, 4)) == 1);
  // relu6 clips above: the masks no longer make the block linear.
  CHECK(fused(block_yaml(16, 64, 16, 8, 1, 1, "relu6", "relu")) == 0);
  CHECK(fused(block_yaml(16, 64, 16, 8, 1, 1, "relu", "relu6")) == 0);
  CHECK(fused(block_yaml(16, 64, 16, 8, 1, 1, "relu", "none")) == 0);
  // Another reader of an intermediate map keeps it.
  CHECK(fused(block_yaml(16, 64, 16, 8, 1, 1, "relu", "relu",
                         "  - {name: side, type: pool, mode: max, kernel: 2, stride: 2, inputs: "
                         "[dw]}\n")) == 0);
  // A residual add after the block stays a layer of its own, and reads the fused block.
  const fusim::Network res = fusim::fuse_bottlenecks(
      fusim::test::load_text("r.yaml", block_yaml(16, 64, 16, 8, 1, 1, "relu", "relu",
                                                  "  - {name: add, type: add, inputs: [x, pr]}\n")),
      arch, "r.yaml");
  REQUIRE(res.layers().size() == 2);
  CHECK(res.layer(0).name == "ex+dw+pr");
  CHECK(res.layer(0).fused.members == std::vector<std::string>{"ex", "dw", "pr"});
  CHECK(res.layer(1).inputs[1].index == 0);
  CHECK(res.layer(0).out_shape == res.layer(1).out_shape);
  // Without the engine nothing changes.
  const fusim::Arch mlu = fusim::load_arch(src("configs/mlu.yaml"));
  fusim::BottleneckCount none_found{-1, -1};
  const fusim::Network same =
      fusim::fuse_bottlenecks(fusim::test::load_text("r.yaml", block_yaml(16, 64, 16, 8, 1, 1)),
                              mlu, "r.yaml", &none_found);
  CHECK(same.layers().size() == 3);
  CHECK(none_found.found == -1);  // untouched: the arch has no engine to count blocks for
  fusim::BottleneckCount counted;
  fusim::fuse_bottlenecks(
      fusim::test::load_text("r.yaml", block_yaml(16, 64, 16, 8, 1, 1, "relu6")), arch, "r.yaml",
      &counted);
  CHECK(counted.found == 0);
  // The workload's survival rates and prune factor reach the fused layer.
  const fusim::Network tuned = fusim::fuse_bottlenecks(
      fusim::test::load_text(
          "r.yaml",
          "name: b\ninputs:\n  - {name: x, shape: [8, 8, 8]}\nlayers:\n"
          "  - {name: ex, type: conv, out_channels: 32, kernel: 1, activation: relu, survival: "
          "0.3}\n"
          "  - {name: dw, type: conv, out_channels: 32, kernel: 3, padding: 1, groups: 32, "
          "activation: relu, survival: 0.6}\n"
          "  - {name: pr, type: conv, out_channels: 8, kernel: 1, fused_prune: 0.1}\n"),
      arch, "r.yaml");
  const fusim::Layer& t = tuned.layer(0);
  CHECK(t.fused.expand_survival == 0.3);
  CHECK(t.fused.depthwise_survival == 0.6);
  // 8 x 32 x 9 dense fused weights per output channel, 10 % kept: 230.4 -> 231; 18 % survive.
  CHECK(t.fused_entries_per_channel() == 231);
  CHECK(t.fused_surviving_per_channel() == 42);  // 231 x 0.18 = 41.58
  // Bytes per output channel: 231 x 26 bits and the predictors' 2 x 32 x (8 + 9) bits / 8.
  CHECK(t.fused_bytes_per_channel() == (231 * 26 + (2 * 32 * 17 + 7) / 8 + 7) / 8);
}

TEST_CASE("FusioNet on ARCHON: every block fused, the work done once, bytes as predicted",
          "[archon][end_to_end]") {
  for (const std::string fusion : {"none", "optimal"}) {
    INFO(fusion);
    const auto run =
        fusim::test::run(src("configs/archon.yaml"), src("workloads/fusionet.yaml"), {}, fusion);
    const fusim::Network& net = *run->net;
    int blocks = 0;
    std::int64_t macs = 0, expected_macs = 0;
    for (std::size_t i = 0; i < net.layers().size(); ++i) {
      const fusim::Layer& l = net.layers()[i];
      blocks += l.is_fused_block() ? 1 : 0;
      // MACs of the PE array and the fused engine (a depthwise conv's are vector operations).
      const std::int64_t expected = l.runs_on_pe_array() ? l.macs_per_item() * net.batch() : 0;
      CHECK(run->result.sim.layers[i].macs == expected);
      expected_macs += expected;
      if (l.is_fused_block()) {
        // The engine's additions beyond its MACs': the effective weights' and the predictions',
        // at least the closed form's (a row tile's expand prediction re-reads its halo rows),
        // exactly it when the block runs as one row tile.
        const std::int64_t engine = run->result.sim.layers[i].actions.adds;
        const std::int64_t closed = l.arithmetic_per_item().additions - l.macs_per_item();
        CHECK(engine >= closed);
        if (l.out_shape.h <= 8) CHECK(engine == closed);
        CHECK(run->result.sim.layers[i].actions.mask_ops ==
              l.out_shape.elements() * l.fused_entries_per_channel());
        // On one core the phases make up the block's compute cycles.
        const fusim::LayerStats& st = run->result.sim.layers[i];
        CHECK(st.predict_expand_cycles + st.predict_depthwise_cycles + st.fused_main_cycles ==
              st.compute_cycles);
        CHECK(st.fused_main_cycles > 0);
      }
      macs += run->result.sim.layers[i].macs;
    }
    CHECK(blocks == 16);
    CHECK(run->result.bottleneck_blocks_found == 16);
    CHECK(run->result.bottleneck_blocks_fused == 16);
    CHECK(fusim::summary_text(run->result).find("fused blocks      16 of 16") != std::string::npos);
    CHECK(macs == expected_macs);
    fusim::test::check_group_bytes(run->result);
    fusim::test::check_replays(*run);
    // --out writes the network as loaded: its blocks are three layers again.
    CHECK(run->result.loaded_net->layers().size() == net.layers().size() + 32);
  }
}

TEST_CASE("the sparse PE array: passes of the slowest PE's non-zero MACs", "[archon][engines]") {
  // Dense: every MAC; a pass is k cycles.
  CHECK(fusim::sparse_pass_cycles(100, 1.0, 72) == 100);
  // 80 % of the weights pruned: 20 MACs a PE on average, the slowest of 72 PEs
  // sqrt(2 ln 72) = 2.925 standard deviations (sqrt(100 x 0.2 x 0.8) = 4) above: 31.7 -> 32.
  CHECK(fusim::sparse_pass_cycles(100, 0.2, 72) == 32);
  // docs/archon.md's other examples at k = 100 on 72 PEs.
  CHECK(fusim::sparse_pass_cycles(100, 0.5, 72) == 65);
  CHECK(fusim::sparse_pass_cycles(100, 0.05, 72) == 12);
  // More PEs, a slower slowest one; one PE is exactly the mean.
  CHECK(fusim::sparse_pass_cycles(100, 0.2, 1024) > 32);
  CHECK(fusim::sparse_pass_cycles(100, 0.2, 1) == 20);
  // Never more than the dense pass, never less than one cycle of work.
  CHECK(fusim::sparse_pass_cycles(3, 0.9, 72) == 3);
  CHECK(fusim::sparse_pass_cycles(100, 1e-6, 72) == 1);
  fusim::SparsePeArrayParams p;
  p.rows = 9, p.cols = 8;
  fusim::TileWork w;
  w.m = 100, w.n = 30, w.k = 100, w.count = 1;
  w.density_q20 = fusim::TileWork::kDense / 5;
  // 3,000 outputs on 72 PEs: 42 passes of 32 cycles, then the array's fill and drain.
  CHECK(fusim::SparsePeArray::cycles(p, w) == 42 * 32 + 9 + 8 - 2);
  const fusim::EngineActions a = fusim::SparsePeArray::actions(p, w);
  CHECK(a.macs == 60000);  // the non-zero fifth of 300,000
  CHECK(a.output.writes == 3000);
}

TEST_CASE("the sparse baseline runs pruned networks faster, with the work and bytes of the dense",
          "[archon][end_to_end]") {
  const std::string net = fusim::test::write_temp(
      "pruned.yaml",
      "name: pruned\ninputs:\n  - {name: x, shape: [32, 16, 16]}\nlayers:\n"
      "  - {name: a, type: conv, out_channels: 64, kernel: 3, padding: 1, activation: relu, "
      "weight_density: 0.2}\n"
      "  - {name: b, type: conv, out_channels: 64, kernel: 3, padding: 1, activation: relu, "
      "survival: 0.4, weight_density: 0.2}\n"
      "  - {name: c, type: conv, out_channels: 10, kernel: 1, weight_density: 0.2}\n");
  const auto sparse = fusim::test::run(src("configs/archon_sparse.yaml"), net, {}, "none");
  const auto dense = fusim::test::run(src("configs/archon_dense.yaml"), net, {}, "none");
  // The inferred input densities: the network input dense, a's ReLU the default half, b's 0.4.
  CHECK(sparse->net->layer(0).input_density == 1.0);
  CHECK(sparse->net->layer(1).input_density == 0.5);
  CHECK(sparse->net->layer(2).input_density == 0.4);
  CHECK(sparse->result.sim.cycles < dense->result.sim.cycles);
  for (std::size_t i = 0; i < 3; ++i) {
    CHECK(sparse->result.sim.layers[i].macs == dense->result.sim.layers[i].macs);
    CHECK(sparse->result.sim.layers[i].actions.macs < dense->result.sim.layers[i].actions.macs);
  }
  fusim::test::check_group_bytes(sparse->result);
  fusim::test::check_replays(*sparse);
  // A core has one engine for GEMMs.
  const auto e = fusim::test::error_of([] {
    fusim::load_arch(src("configs/archon_sparse.yaml"),
                     {"cores.engines=[pe_array, sparse_pe_array, vector_unit]"});
  });
  REQUIRE(e.has_value());
  CHECK(std::string(e->what()).find("one engine per kind") != std::string::npos);
}
