// Input-centric groups (GroupMapping::InputCentric; CORF): a pair of complex operators whose
// producer's tiles are computed a chunk of channels at a time and scattered into the consumer's
// partial sums. The simulator must do the pair's work, once, and move the bytes the cost model
// predicts; the partial sums live on chip as the model in docs/fusion.md says.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "cost/cost_model.h"
#include "cost/fused_plan.h"
#include "driver.h"
#include "engines/pe_array/pe_array.h"
#include "lower/lower.h"
#include "simulate.h"
#include "test_util.h"

using fusim::test::src;

namespace {

std::string conv_pair(int c, int mid, int out, int h, int ka, int kb, int stride_a = 1) {
  auto conv = [](const std::string& name, int channels, int k, int stride, bool relu) {
    return "  - {name: " + name + ", type: conv, out_channels: " + std::to_string(channels) +
           ", kernel: " + std::to_string(k) + ", stride: " + std::to_string(stride) +
           ", padding: " + std::to_string(k / 2) + ", bias: true" +
           (relu ? ", activation: relu" : "") + "}\n";
  };
  return "name: pair\ninputs:\n  - {name: x, shape: [" + std::to_string(c) + ", " +
         std::to_string(h) + ", " + std::to_string(h) + "]}\nlayers:\n" +
         conv("a", mid, ka, stride_a, true) + conv("b", out, kb, 1, false);
}

std::string gemm_pair(int s, int d, int ff) {
  return "name: ffn\ninputs:\n  - {name: x, shape: [" + std::to_string(d) + ", " +
         std::to_string(s) + ", 1]}\nlayers:\n" +
         "  - {name: up, type: gemm, m: " + std::to_string(s) + ", n: " + std::to_string(ff) +
         ", k: " + std::to_string(d) + ", bias: true, activation: gelu}\n" +
         "  - {name: down, type: gemm, m: " + std::to_string(s) + ", n: " + std::to_string(d) +
         ", k: " + std::to_string(ff) + ", bias: true}\n";
}

struct IcRun {
  fusim::SimResult sim;
  fusim::GroupCost cost;
};

IcRun run_group(const fusim::Network& net, const fusim::Arch& arch, const fusim::Group& g) {
  fusim::Schedule s;
  s.groups.push_back(g);
  IcRun r;
  r.cost = fusim::group_cost(net, arch, g);
  r.sim = fusim::simulate(net, arch, fusim::lower(net, arch, s));
  return r;
}

std::int64_t sim_macs(const fusim::SimResult& s) {
  std::int64_t m = 0;
  for (const fusim::LayerStats& l : s.layers) m += l.macs;
  return m;
}

}  // namespace

TEST_CASE("an input-centric pair does the work of the tiled plan and moves the bytes predicted",
          "[input_centric]") {
  const std::vector<std::pair<std::string, std::string>> nets = {
      {"conv 3x3 -> 3x3", conv_pair(16, 96, 24, 20, 3, 3)},
      {"conv 1x1 -> 3x3", conv_pair(16, 96, 24, 20, 1, 3)},
      {"conv 3x3 -> 1x1", conv_pair(16, 96, 24, 20, 3, 1)},
      {"conv 3x3 stride 2 -> 3x3", conv_pair(16, 96, 24, 21, 3, 3, 2)},
      {"conv 5x5 -> 3x3", conv_pair(8, 160, 16, 17, 5, 3)},
      {"gemm -> gelu -> gemm", gemm_pair(48, 64, 320)},
  };
  for (const std::string config : {"configs/mlu.yaml", "configs/eyeriss.yaml"}) {
    for (const auto& [what, text] : nets) {
      const auto r = fusim::test::run(src(config), fusim::test::write_temp("ic.yaml", text));
      const fusim::Network& net = *r->net;
      const fusim::Arch& arch = *r->arch;
      const fusim::FusedGroup fg(net, arch, {0, 1}, true);
      REQUIRE(fg.unfusable_reason().empty());
      CHECK(fg.scatter_to(0) == 1);
      std::int64_t plain = 0;
      for (const fusim::Layer& l : net.layers()) plain += l.macs_per_item();
      int ran = 0;
      for (std::int64_t cores : {std::int64_t{1}, std::int64_t{3}}) {
        if (cores > arch.core_count) continue;
        for (std::int64_t tiles : {cores, cores * 2, fg.max_tiles() / 2, fg.max_tiles()}) {
          if (tiles < cores || tiles > fg.max_tiles()) continue;
          INFO(config << ", " << what << ", " << cores << " cores, " << tiles << " tiles");
          const fusim::Group ic{{0, 1}, cores, tiles, fusim::GroupMapping::InputCentric};
          const fusim::GroupCost c = fusim::evaluate_scheduled(net, arch, ic);
          if (!c.feasible) continue;
          ++ran;
          CHECK(c.mapping == fusim::GroupMapping::InputCentric);
          const IcRun a = run_group(net, arch, ic);
          // The bytes the cost model predicts, and its MACs, are the simulator's.
          CHECK(a.sim.traffic.read() == a.cost.traffic.read());
          CHECK(a.sim.traffic.ofmap_write == a.cost.traffic.ofmap);
          CHECK(sim_macs(a.sim) == a.cost.macs);
          CHECK(a.cost.psum_bytes > 0);
          // Every output computed once: on one core the pair's own MACs; on more, those of the
          // output-centric plan of the same tiles (the producer's halo at band starts again).
          if (cores == 1) CHECK(a.cost.macs == plain * net.batch());
          const fusim::GroupCost tiled = fusim::evaluate_group(net, arch, {0, 1}, cores, tiles);
          if (tiled.feasible) {
            CHECK(a.cost.macs == tiled.macs);
            CHECK(a.cost.traffic.ofmap == tiled.traffic.ofmap);
          }
        }
      }
      CHECK(ran > 0);
    }
  }
}

TEST_CASE("random conv pairs run input-centric as the cost model says, with the tiled plan's MACs",
          "[input_centric]") {
  // Kernels 1-5, strides 1-3 (a stride above the kernel skips producer rows), padding up to
  // half the kernel, dilation 1-2, odd sizes; one to three cores, a few tile counts each.
  std::uint32_t seed = 12345;
  auto next = [&](int n) {
    seed = seed * 1103515245u + 12345u;
    return static_cast<int>((seed >> 16) % static_cast<std::uint32_t>(n));
  };
  int ran = 0;
  for (int trial = 0; trial < 24; ++trial) {
    const int ka = 1 + next(5), kb = 1 + next(5), sa = 1 + next(3), sb = 1 + next(2);
    const int da = 1 + next(2), db = 1 + next(2), h = 9 + next(14);
    const int c = 4 + next(12), mid = 8 + next(90), out = 4 + next(40);
    auto conv = [](const std::string& name, int ch, int k, int s, int d, int pad) {
      return "  - {name: " + name + ", type: conv, out_channels: " + std::to_string(ch) +
             ", kernel: " + std::to_string(k) + ", stride: " + std::to_string(s) +
             ", dilation: " + std::to_string(d) + ", padding: " + std::to_string(pad) +
             ", activation: relu}\n";
    };
    const std::string text = "name: rnd\ninputs:\n  - {name: x, shape: [" + std::to_string(c) +
                             ", " + std::to_string(h) + ", " + std::to_string(h + 3) +
                             "]}\nlayers:\n" + conv("a", mid, ka, sa, da, next(ka / 2 + 1)) +
                             conv("b", out, kb, sb, db, next(kb / 2 + 1));
    const std::string config = trial % 2 ? "configs/eyeriss.yaml" : "configs/systolic32.yaml";
    std::unique_ptr<fusim::Run> r;
    try {
      r = fusim::test::run(src(config), fusim::test::write_temp("rnd.yaml", text));
    } catch (const fusim::InputError&) {
      continue;  // an impossible shape (a window larger than its padded input)
    }
    const fusim::Network& net = *r->net;
    const fusim::Arch& arch = *r->arch;
    const fusim::FusedGroup fg(net, arch, {0, 1}, true);
    REQUIRE(fg.unfusable_reason().empty());
    for (std::int64_t cores = 1; cores <= std::min<std::int64_t>(3, arch.core_count); ++cores) {
      for (std::int64_t tiles : {cores, cores + 1, fg.max_tiles() / 2, fg.max_tiles()}) {
        if (tiles < cores || tiles > fg.max_tiles()) continue;
        INFO(text << config << ", " << cores << " cores, " << tiles << " tiles");
        const fusim::Group ic{{0, 1}, cores, tiles, fusim::GroupMapping::InputCentric};
        if (!fusim::evaluate_scheduled(net, arch, ic).feasible) continue;
        ++ran;
        const IcRun a = run_group(net, arch, ic);
        CHECK(a.sim.traffic.read() == a.cost.traffic.read());
        CHECK(a.sim.traffic.ofmap_write == a.cost.traffic.ofmap);
        CHECK(sim_macs(a.sim) == a.cost.macs);
        const fusim::GroupCost tiled = fusim::evaluate_group(net, arch, {0, 1}, cores, tiles);
        if (tiled.feasible) CHECK(a.cost.macs == tiled.macs);
        // The cost model's runs of alike chunks sum to what the chunks sum to one by one.
        const std::vector<std::int64_t> p = fg.progress(tiles);
        for (std::int64_t core = 0; core < cores; ++core) {
          fusim::CostSink runs(&arch.core), steps(&arch.core, false);
          fg.walk(p, tiles, cores, core, runs);
          fg.walk(p, tiles, cores, core, steps);
          fusim::test::check_same_sums(runs, steps);
        }
      }
    }
  }
  CHECK(ran > 20);
}

TEST_CASE("an input-centric consumer keeps the partial-sum rows of the model, not the producer's",
          "[input_centric]") {
  // A 3x3 -> 3x3 pair (padding 1) of 16 x 16 maps, 8 -> 16 -> 32 channels, in 4 tiles on one
  // core: the producer's rows per tile are 5, 4, 4, 3 (its first tile reaches one row further,
  // for the consumer's window). docs/fusion.md's model (scripts/corf_functional.py): a tile of
  // intermediate rows [a, a + h) keeps every output row whose contributing rows reach past a
  // and start below a + h: h + r - 1 = 6 rows of 16 x 32 partial sums in the first tile (5 + 1:
  // no row above it), 6 in the interior ones, 4 in the last. The producer's 16 channels are one
  // chunk (fewer than mlu.yaml's 64 columns), its rows of the tile alone live beside them.
  const auto r = fusim::test::run(
      src("configs/mlu.yaml"), fusim::test::write_temp("fp.yaml", conv_pair(8, 16, 32, 16, 3, 3)));
  const fusim::Network& net = *r->net;
  const fusim::Arch& arch = *r->arch;
  const std::int64_t e = arch.element_bytes();
  const std::int64_t psum_row = 16 * 32 * e, chunk_row = 16 * 16 * e;
  const fusim::FusedGroup ic(net, arch, {0, 1}, true);
  const std::vector<std::int64_t> p = ic.progress(4);
  fusim::CostSink sink(&arch.core);
  const fusim::Footprint f = ic.walk(p, 4, 1, 0, sink);
  CHECK(f.output == std::max({6 * psum_row + 5 * chunk_row, 6 * psum_row + 4 * chunk_row,
                              4 * psum_row + 3 * chunk_row}));
  // Output-centric, the same tiles keep the producer's rows for the halo a tile's rows at a
  // time (the first tile's 5 until the second tile has read its last 2, beside its 4 new rows)
  // and the consumer's tile of 4 rows.
  const fusim::FusedGroup oc(net, arch, {0, 1});
  fusim::CostSink oc_sink(&arch.core);
  const fusim::Footprint g = oc.walk(oc.progress(4), 4, 1, 0, oc_sink);
  CHECK(g.output == 9 * chunk_row + 4 * psum_row);
  // The partial sums' read-modify-write: each kernel row's compute reads and writes the rows it
  // reaches, 16 rows x 3 kernel rows in all (one chunk).
  CHECK(sink.psum_elements * e == 3 * 16 * psum_row);
}

TEST_CASE("an input-centric program replays to the same run", "[input_centric]") {
  const auto r = fusim::test::run(src("configs/eyeriss.yaml"),
                                  fusim::test::write_temp("rp.yaml", gemm_pair(40, 64, 384)));
  const fusim::Network& net = *r->net;
  const fusim::Arch& arch = *r->arch;
  fusim::Schedule s;
  s.groups.push_back({{0, 1}, 1, 4, fusim::GroupMapping::InputCentric});
  const fusim::Program prog = fusim::lower(net, arch, s);
  const std::string path =
      fusim::test::write_temp("rp.program.yaml", fusim::program_to_yaml(prog, net));
  const fusim::Program back = fusim::load_program(path, net, arch);
  REQUIRE(back.schedule.groups.size() == 1);
  CHECK(back.schedule.groups[0].mapping == fusim::GroupMapping::InputCentric);
  const fusim::SimResult a = fusim::simulate(net, arch, prog);
  const fusim::SimResult b = fusim::simulate(net, arch, back);
  CHECK(a.cycles == b.cycles);
  CHECK(a.traffic.read() == b.traffic.read());
  // A conv pair's scatter reaches partial-sum rows an earlier tile allocated: accepted in an
  // input-centric group, refused in a tiled one (each compute fits its layer's last allocation).
  const auto rc = fusim::test::run(
      src("configs/mlu.yaml"), fusim::test::write_temp("rc.yaml", conv_pair(16, 96, 24, 21, 5, 3)));
  for (std::int64_t tiles : {2, 3, 5}) {
    INFO(tiles << " tiles");
    fusim::Schedule sc;
    sc.groups.push_back({{0, 1}, 1, tiles, fusim::GroupMapping::InputCentric});
    std::string text = fusim::program_to_yaml(fusim::lower(*rc->net, *rc->arch, sc), *rc->net);
    const std::string as_ic = fusim::test::write_temp("rc.ic.yaml", text);
    CHECK_FALSE(fusim::test::error_of([&] { fusim::load_program(as_ic, *rc->net, *rc->arch); }));
    const std::string tag = ", mapping: input-centric";
    text.erase(text.find(tag), tag.size());
    const std::string as_tiled = fusim::test::write_temp("rc.tiled.yaml", text);
    const auto err =
        fusim::test::error_of([&] { fusim::load_program(as_tiled, *rc->net, *rc->arch); });
    REQUIRE(err);
    CHECK_THAT(err->what(), Catch::Contains("allocation check"));
  }
}

TEST_CASE("a compute that accumulates reads each partial sum once more and adds it",
          "[input_centric]") {
  for (const fusim::Dataflow d :
       {fusim::Dataflow::OutputStationary, fusim::Dataflow::WeightStationary,
        fusim::Dataflow::InputStationary}) {
    const fusim::PeArrayParams pe{8, 4, d};
    fusim::TileWork w;
    w.m = 10, w.n = 6, w.k = 20, w.count = 3;
    const fusim::EngineActions plain = fusim::PeArray::actions(pe, w);
    w.accumulate = true;
    const fusim::EngineActions acc = fusim::PeArray::actions(pe, w);
    CHECK(acc.output.reads == plain.output.reads + 10 * 6 * 3);
    CHECK(acc.adds == plain.adds + 10 * 6 * 3);
    CHECK(acc.output.writes == plain.output.writes);
    CHECK(acc.macs == plain.macs);
    CHECK(fusim::PeArray::cycles(pe, w) == fusim::grouped_systolic_cycles(pe, 10, 6, 20, 3));
  }
}

TEST_CASE(
    "with input-centric execution off no group runs input-centric, and on, BERT's FFN does on "
    "Eyeriss",
    "[input_centric]") {
  for (const bool on : {true, false}) {
    fusim::RunOptions o;
    o.arch_path = src("configs/eyeriss.yaml");
    o.net_path = src("workloads/bert_base_layer.yaml");
    o.search.input_centric = on;
    const auto r = fusim::run_fusim(o);
    int input_centric = 0;
    for (const fusim::Group& g : r->program->schedule.groups) input_centric += g.input_centric();
    INFO("--input-centric " << (on ? "on" : "off"));
    if (on) {
      // The FFN's 3,072-wide intermediate fits no tiled plan on Eyeriss's 75 KiB weight buffer
      // (each layer's weights are 4.7 MB): input-centric, its chunks' weights do.
      const int ffn_in = r->net->find_layer("l0_ffn_in");
      bool ffn_ic = false;
      for (const fusim::Group& g : r->program->schedule.groups)
        ffn_ic = ffn_ic || (g.input_centric() && g.layers.front() == ffn_in);
      CHECK(ffn_ic);
    } else {
      CHECK(input_centric == 0);
    }
  }
}

TEST_CASE("partial sums that do not fit on chip spill to DRAM and come back, bytes as predicted",
          "[input_centric]") {
  // Conv 3x3 16 -> 64 -> 3x3 384 on 24 x 24 on Eyeriss (a 44 KiB output buffer): a partial-sum
  // row of the consumer is 24 x 384 x 2 = 18 KiB, and a tile keeps at least three open. On
  // mlu.yaml (128 KiB, 8-bit) the consumer's rows are 24 x 2,048 bytes, on 1 and 3 cores.
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"configs/eyeriss.yaml", conv_pair(16, 64, 384, 24, 3, 3)},
      {"configs/mlu.yaml", conv_pair(16, 64, 2048, 24, 3, 3)},
  };
  for (const auto& [config, text] : cases) {
    const auto r = fusim::test::run(src(config), fusim::test::write_temp("sp.yaml", text));
    const fusim::Network& net = *r->net;
    const fusim::Arch& arch = *r->arch;
    const fusim::FusedGroup fg(net, arch, {0, 1}, true);
    std::int64_t plain = 0;
    for (const fusim::Layer& l : net.layers()) plain += l.macs_per_item();
    const std::int64_t out_bytes =
        net.layer(1).out_shape.elements() * net.batch() * arch.element_bytes();
    int ran = 0;
    for (std::int64_t cores : {std::int64_t{1}, std::int64_t{3}}) {
      for (std::int64_t tiles : {fg.max_tiles(), fg.max_tiles() / 2, cores * 2}) {
        if (tiles < cores || cores > arch.core_count) continue;
        INFO(config << ", " << cores << " cores, " << tiles << " tiles");
        const fusim::Group ic{{0, 1}, cores, tiles, fusim::GroupMapping::InputCentric};
        const fusim::GroupCost c = fusim::evaluate_scheduled(net, arch, ic);
        REQUIRE(c.feasible);
        ++ran;
        const IcRun a = run_group(net, arch, ic);
        // Spilled and read back: every byte of it in the cost model as in the simulator.
        CHECK(a.cost.traffic.psum_write > 0);
        CHECK(a.sim.traffic.psum_read == a.cost.traffic.psum_read);
        CHECK(a.sim.traffic.psum_write == a.cost.traffic.psum_write);
        CHECK(a.sim.traffic.read() == a.cost.traffic.read());
        CHECK(a.sim.traffic.ofmap_write == a.cost.traffic.ofmap);
        // Every spilled partial sum is added to again (a 3 x 3 stride-1 consumer: the next
        // chunk or tile reaches every row it spilled), and every output row is stored once,
        // complete.
        CHECK(a.cost.traffic.psum_read == a.cost.traffic.psum_write);
        CHECK(a.cost.traffic.ofmap == out_bytes);
        CHECK(sim_macs(a.sim) == a.cost.macs);
        if (cores == 1) CHECK(a.cost.macs == plain * net.batch());
        // The program replays: its loads back wait for the spills that wrote them.
        fusim::Schedule s;
        s.groups.push_back(ic);
        const fusim::Program prog = fusim::lower(net, arch, s);
        const std::string text_out = fusim::program_to_yaml(prog, net);
        const fusim::Program back =
            fusim::load_program(fusim::test::write_temp("sp.program.yaml", text_out), net, arch);
        CHECK(fusim::program_to_yaml(back, net) == text_out);
        CHECK(fusim::simulate(net, arch, back).cycles == a.sim.cycles);
      }
    }
    CHECK(ran > 0);
  }
  // With the output buffer six times as large the sums stay on chip: nothing spills.
  const auto big = fusim::test::run(src("configs/eyeriss.yaml"),
                                    fusim::test::write_temp("sp.yaml", cases[0].second),
                                    {"cores.buffers.output.capacity_bytes=262144"});
  const fusim::Group ic{{0, 1}, 1, 8, fusim::GroupMapping::InputCentric};
  const fusim::GroupCost c = fusim::evaluate_scheduled(*big->net, *big->arch, ic);
  REQUIRE(c.feasible);
  CHECK(c.traffic.psum_write == 0);
  CHECK(c.traffic.psum_read == 0);
}

TEST_CASE("spilled partial sums: the footprint and the traffic of the model, in closed form",
          "[input_centric]") {
  // A gemm pair S = 48, 2,048 -> 64 -> 2,048 on Eyeriss (44 KiB output buffer, 73.5 KiB weight
  // buffer, 16-bit data, 14 PE columns), 4 tiles of 12 tokens: a consumer row is 4 KiB, 12 of
  // them do not fit. The weights (2 x 64 x 2,048 x 2 B) are loaded a chunk at a time: a chunk's
  // two layers' weights, 8,194 B a channel, fill at most half the weight buffer, 4 channels
  // (fewer than the 14 columns: not rounded). The chunk: 12 x 4 x 2 = 96 B. A block of the
  // consumer's channels: a third of the rest, (45,056 - 96) / 3 / (12 x 2) = 624, to 14s: 616.
  const auto r = fusim::test::run(src("configs/eyeriss.yaml"),
                                  fusim::test::write_temp("sf.yaml", gemm_pair(48, 2048, 64)));
  const fusim::Network& net = *r->net;
  const fusim::Arch& arch = *r->arch;
  const std::int64_t e = arch.element_bytes();
  const fusim::FusedGroup ic(net, arch, {0, 1}, true);
  fusim::CostSink sink(&arch.core);
  const fusim::Footprint f = ic.walk(ic.progress(4), 4, 1, 0, sink);
  // At a block's first compute: the chunk, the previous block (its store may still run), the
  // block loaded back, and the block it allocates.
  const std::int64_t chunk = 12 * 4 * e, block = 12 * 616 * e;
  CHECK(f.output == chunk + 3 * block);
  CHECK(f.output <= arch.core.output_buffer.capacity_bytes);
  // Each of the 16 chunks after the first reads all 48 x 2,048 sums back and the ones before the
  // last write them; the last stores them as output, once.
  CHECK(sink.traffic.psum_read == 15 * 48 * 2048 * e);
  CHECK(sink.traffic.psum_write == 15 * 48 * 2048 * e);
  CHECK(sink.traffic.ofmap == 48 * 2048 * e);
  // Step by step (the chunks between the first and the last are one run above), the same sums.
  fusim::CostSink steps(&arch.core, false);
  CHECK(ic.walk(ic.progress(4), 4, 1, 0, steps).output == f.output);
  fusim::test::check_same_sums(sink, steps);
  // Without spills the plan does not fit at all.
  const fusim::FusedGroup on_chip(net, arch, {0, 1}, true, false);
  fusim::CostSink s2(&arch.core);
  CHECK_FALSE(on_chip.fits(on_chip.walk(on_chip.progress(4), 4, 1, 0, s2)));
}
