// Multi-core mapping: a layer split over more cores is never slower than on one (the grid of row
// bands and channel slices, with multicast), and the split conserves the work and the bytes.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>

#include "common/checked.h"
#include "cost/cost_model.h"
#include "cost/layer_walk.h"
#include "cost/tiling.h"
#include "driver.h"
#include "lower/lower.h"
#include "simulate.h"
#include "test_util.h"

using fusim::test::src;

TEST_CASE("layer by layer (--fusion none) on all of mlu.yaml's cores is no slower than on one",
          "[multicore]") {
  for (const std::string& net : fusim::test::yaml_files("workloads")) {
    if (!fusim::test::runs_every_workload(net)) continue;
    INFO(net);
    const auto all = fusim::test::run(src("configs/mlu.yaml"), net);
    const auto one = fusim::test::run(src("configs/mlu.yaml"), net, {"cores.count=1"});
    CHECK(all->result.sim.cycles <= one->result.sim.cycles);
    // The baseline uses every core, but where the estimate on fewer is kBaselineFewerCoresGain
    // lower (search.h): most layers on all 32 (all of MobileNetV2's; ShuffleNetV2's shuffles,
    // copies in channel pieces, on 8).
    std::size_t kernels = 0, on_all = 0;
    for (const fusim::Group& g : all->program->schedule.groups) {
      if (!fusim::layer_has_kernel(*all->net, g.layers.front())) {
        CHECK(g.cores == 32);  // a view or a concat assembled in place: nothing to spread
        continue;
      }
      ++kernels;
      on_all += g.cores == 32 ? 1 : 0;
    }
    CHECK(2 * on_all > kernels);
  }
}

TEST_CASE(
    "layer by layer, twice the cores is no slower: a layer is not spread thinner than "
    "makes it faster",
    "[multicore]") {
  // A layer cut over more cores than it can use runs slower than on fewer: SqueezeNet's global
  // pool in 16-byte channel pieces on 64 cores, ShuffleNetV2's shuffles. With every layer on all
  // cores, the baseline took (without the weight prefetch, whose plan moves with the groups'
  // times) SqueezeNet 180,944, 188,417 and 240,019 cycles on 32, 64 and 128 cores, GoogLeNet
  // 384,926, 399,793 and 455,824, ShuffleNetV2 241,931, 268,139 and 319,621. Measured on
  // 2026-12-07 with the baseline's fewer cores where the estimate says so: 179,024, 174,486,
  // 173,351; 384,120, 378,622, 377,146; 229,617, 226,325, 225,639. A run may differ by a few
  // cycles per group with the DRAM's state the groups before leave (the open rows, the refresh
  // phase): "no slower" allows 0.1 % (ShuffleNetV2 once took 223,079 cycles on 64 cores and
  // 223,086 on 128, its fc 3 % slower on 128, where the estimate has it 0.9 % slower, and its other
  // layers 0.2 % faster).
  constexpr double kNoise = 0.001;
  std::vector<std::string> nets = {"squeezenet.yaml", "shufflenetv2.yaml"};
#ifndef FUSIM_SANITIZED
  nets.push_back("googlenet.yaml");
#endif
  for (const std::string& name : nets) {
    double before = 0;
    for (const char* cores : {"32", "64", "128"}) {
      fusim::RunOptions o;
      o.arch_path = src("configs/mlu.yaml");
      o.net_path = src("workloads/" + name);
      o.overrides = {std::string("cores.count=") + cores};
      o.search.algorithm = "none";
      o.search.prefetch_weights = false;
      const double cycles = fusim::run_fusim(o)->result.sim.cycles;
      INFO(name << " on " << cores << " cores: " << cycles << " cycles, " << before
                << " on half as many");
      if (before > 0) CHECK(cycles <= before * (1 + kNoise));
      before = cycles;
    }
  }
}

TEST_CASE("splitting a layer over n cores conserves its MACs and output bytes", "[multicore]") {
  const auto r = fusim::test::run(src("configs/mlu.yaml"), src("workloads/mobilenetv2.yaml"));
  const fusim::Network& net = *r->net;
  const fusim::Arch& arch = *r->arch;
  for (int li = 0; li < static_cast<int>(net.layers().size()); ++li) {
    const fusim::GroupCost one = fusim::evaluate_group(net, arch, {li}, 1);
    REQUIRE(one.feasible);
    for (std::int64_t n : {2, 3, 4, 7, 8, 16, 32}) {
      INFO(net.layer(li).name << " on " << n << " cores");
      const fusim::GroupCost c = fusim::evaluate_group(net, arch, {li}, n);
      REQUIRE(c.feasible);
      CHECK(c.macs == one.macs);
      CHECK(c.traffic.ofmap == one.traffic.ofmap);
      // Weights are read once whatever the split: the cores of a grid column share them.
      CHECK(c.traffic.weight == one.traffic.weight);
      // The slices of the grid cover the layer's rows and channels exactly once.
      const fusim::LayerGeometry g(net.layer(li), arch.element_bytes());
      const fusim::LayerSplit split = fusim::split_layer(g, arch, n);
      CHECK(split.cores() <= n);
      std::int64_t cells = 0;
      for (std::int64_t k = 0; k < n; ++k) {
        const fusim::LayerSlice s = fusim::layer_slice(g, split, k, arch);
        if (s.end > s.begin) cells += (s.end - s.begin) * (s.row_end - s.row_begin);
      }
      CHECK(cells == g.rows() * g.channels());
    }
  }
}

namespace {

// MobileNetV2's first inverted bottleneck after the stem: expand, depthwise, project.
std::vector<int> first_bottleneck(const fusim::Network& net) {
  std::vector<int> layers;
  for (int li = 0; li < static_cast<int>(net.layers().size()) && layers.size() < 3; ++li) {
    if (net.layer(li).name.rfind("b1_", 0) == 0) layers.push_back(li);
  }
  REQUIRE(layers.size() == 3);
  return layers;
}

std::int64_t weight_bytes(const fusim::Network& net, const fusim::Arch& arch,
                          const std::vector<int>& layers) {
  std::int64_t weights = 0;
  for (int li : layers) weights += net.layer(li).params() * arch.element_bytes();
  return weights;
}

// A network (`yaml`, written to `file`) that `fusion` (layer by layer unless named) runs as one
// group on `arch`: the group's simulated cycles over the cost model's estimate.
double simulated_over_estimate(const std::string& arch, const char* file, const char* yaml,
                               std::vector<std::string> overrides = {},
                               const std::string& fusion = "none") {
  const auto r = fusim::test::run(src(arch), fusim::test::write_temp(file, yaml),
                                  std::move(overrides), fusion);
  REQUIRE(r->result.sim.groups.size() == 1);
  const auto est = static_cast<double>(r->result.predicted_costs[0].est_cycles);
  return (r->result.sim.groups[0].end - r->result.sim.groups[0].start) / est;
}

}  // namespace

TEST_CASE("of the grids a layer's off-chip floor ties, the split takes one that computes least",
          "[multicore]") {
  // BERT's first FFN projection (128 tokens, 768 -> 3,072, a bias) on mlu.yaml's 32 cores: the
  // DRAM bounds the grids of 2, 4, 8 and 16 row bands (2.4 MB of weights, 23,070 cycles at the
  // peak), and they move the same bytes. The 16 bands of the old tie rule (more row bands) had
  // each core compute 8 rows x 1,536 channels, 21,080 cycles of PE folds between weight loads
  // that waited for them; 4 bands of 32 rows compute 5,564.
  const auto r = fusim::test::run(src("configs/mlu.yaml"), src("workloads/bert_base_layer.yaml"));
  const fusim::Arch& arch = *r->arch;
  int li = 0;
  while (r->net->layer(li).name != "l0_ffn_in") ++li;
  const fusim::LayerGeometry g(r->net->layer(li), arch.element_bytes());
  const auto largest = [&](std::int64_t rows, std::int64_t channels) {
    return fusim::compute_cycles(arch.core, g.work(0, fusim::ceil_div(g.rows(), rows), 0,
                                                   fusim::ceil_div(g.channels(), channels)));
  };
  const fusim::LayerSplit split = fusim::split_layer(g, arch, 32);
  CHECK(split.cores() == 32);
  const double floor =
      static_cast<double>(g.weight_bytes(0, g.channels())) / arch.dram_peak_bytes_per_cycle();
  for (std::int64_t a : {2, 4, 8, 16}) {
    INFO(a << " row bands: " << largest(a, 32 / a) << " cycles");
    CHECK(static_cast<double>(largest(a, 32 / a)) < floor);
  }
  INFO("the split: " << split.row_parts << " x " << split.channel_parts);
  CHECK(largest(split.row_parts, split.channel_parts) < largest(16, 2));
  CHECK(split.row_parts < 16);
  for (std::int64_t a : {4, 8, 16})
    CHECK(largest(split.row_parts, split.channel_parts) <= largest(a, 32 / a));
}

TEST_CASE("interleaved weights take every channel position of the tensor once", "[multicore]") {
  // VGG-16's layers whose channels' weights are interleaved (its 3x3 convs of 64 input channels
  // and more: whole bursts a channel; its fc layers: 4,096 bytes a channel and more), split over
  // core counts that divide their channels evenly and not.
  const auto r = fusim::test::run(src("configs/mlu.yaml"), src("workloads/vgg16.yaml"));
  const fusim::Network& net = *r->net;
  const fusim::Arch& arch = *r->arch;
  int interleaved = 0;
  for (int li = 0; li < static_cast<int>(net.layers().size()); ++li) {
    const fusim::LayerGeometry g(net.layer(li), arch.element_bytes());
    for (std::int64_t n : {2, 3, 7, 32}) {
      const fusim::LayerSplit split = fusim::split_layer(g, arch, n);
      if (!fusim::interleaved_weights(g, split, arch)) continue;
      INFO(net.layer(li).name << " on " << n << " cores");
      ++interleaved;
      std::vector<int> position(static_cast<std::size_t>(g.channels()), 0);
      for (std::int64_t k = 0; k < split.channel_parts; ++k) {  // the first band's slices
        const fusim::LayerSlice s = fusim::layer_slice(g, split, k, arch);
        REQUIRE(s.weight_parts == split.channel_parts);
        CHECK(s.weight_part == k);
        for (std::int64_t i = 0; i < s.end - s.begin; ++i) {
          const std::int64_t at = i * s.weight_parts + s.weight_part;
          REQUIRE(at < g.channels());
          ++position[static_cast<std::size_t>(at)];
        }
      }
      CHECK(std::count(position.begin(), position.end(), 1) == g.channels());
    }
  }
  CHECK(interleaved >= 8 * 3);  // conv4_2 .. conv5_3 and fc6 .. fc8, on most of the counts
}

TEST_CASE("interleaved weights with biases read every byte of their tensor, biases apart",
          "[multicore]") {
  // BERT-base's projections: 768 or 3,072 weight bytes a channel (whole bursts) and a bias.
  // Split by channels, each slice's channels lie interleaved with the others' and its biases
  // apart, after every channel's weights: the loads that read memory (DRAM, or the shared
  // buffer where the weights were prefetched) cover the tensor, each byte as often as any
  // other, and the simulator moves the cost model's bytes. Of its twelve layers, some leave the
  // DRAM time to prefetch later layers' weights (a single BERT layer no longer did once its
  // layers' grids were chosen for their compute too, tiling.h's kGridOverlapShare).
  const auto r = fusim::test::run(src("configs/mlu.yaml"), src("workloads/bert_base.yaml"));
  const fusim::Network& n = *r->net;
  const fusim::Arch& arch = *r->arch;
  const fusim::AddressMap map = fusim::plan_addresses(n, arch);
  const fusim::Program& p = *r->program;
  fusim::test::check_group_bytes(r->result);
  fusim::test::check_replays(*r);
  int layers = 0, tails = 0, shared = 0;
  for (int li = 0; li < static_cast<int>(n.layers().size()); ++li) {
    const fusim::LayerGeometry g(n.layer(li), arch.element_bytes());
    if (!fusim::interleaved_weights(g, fusim::split_layer(g, arch, 32), arch)) continue;
    INFO(n.layer(li).name);
    ++layers;
    const std::int64_t bias = g.bias_bytes(0, 1), w = g.weight_bytes(0, 1) - bias;
    CHECK(bias == 1);
    std::vector<int> read(static_cast<std::size_t>(g.weight_bytes(0, g.channels())), 0);
    const auto mark = [&](std::int64_t from, std::int64_t bytes) {
      REQUIRE(from >= 0);
      REQUIRE(from + bytes <= static_cast<std::int64_t>(read.size()));
      for (std::int64_t b = from; b < from + bytes; ++b) ++read[static_cast<std::size_t>(b)];
    };
    for (const auto& core : p.cores) {
      for (const fusim::Command& c : core) {
        if (c.op != fusim::CommandOp::Load || c.kind != fusim::TensorKind::Weight ||
            c.layer != li || c.multicast_core >= 0)
          continue;
        const bool in_shared = c.memory == fusim::MemoryLevel::Shared;
        shared += in_shared;
        const std::int64_t base = in_shared
                                      ? p.schedule.shared_weights.at[static_cast<std::size_t>(li)]
                                      : map.weight_base[static_cast<std::size_t>(li)];
        // Where the shared buffer holds the weights' first bytes only, a slice's load is two:
        // the pieces it holds from there, then the others with the biases from DRAM (only the
        // biases when it holds every piece).
        if (c.tail_bytes == 0 && c.addr - base >= g.channels() * w) {
          CHECK_FALSE(in_shared);
          ++tails;
          mark(c.addr - base, c.bytes);
          continue;
        }
        const std::int64_t main = c.bytes - c.tail_bytes;
        const std::int64_t piece = c.piece_bytes > 0 ? c.piece_bytes : main;
        CHECK(piece % w == 0);  // whole channels
        for (std::int64_t i = 0; i < main / piece; ++i)
          mark(c.addr - base + i * c.stride_bytes, piece);
        if (c.tail_bytes == 0) {
          CHECK(in_shared);
          continue;
        }
        ++tails;
        CHECK(c.tail_addr - base >= g.channels() * w);  // after every channel's weights
        mark(c.tail_addr - base, c.tail_bytes);
      }
    }
    CHECK(read.front() > 0);
    CHECK(std::count(read.begin(), read.end(), read.front()) == static_cast<long>(read.size()));
  }
  CHECK(layers >= 6);  // query, key, value, output, ffn_in, ffn_out
  CHECK(tails >= 2 * layers);
  CHECK(shared > 0);  // some from their prefetched copy
}

TEST_CASE("an fc's weight slices stream near the DRAM peak on 32 cores under every address hash",
          "[multicore]") {
  // 16 MiB of weights in 32 slices of 128 channels, 512 KiB (and a bias per channel) each: a
  // whole bank period apart. Laid out one slice after the other, the 32 streams dwell in the
  // same banks at once under `none` and conflict (26.5 bytes/cycle, docs/dram.md); interleaved
  // by channel, they read neighbouring rows.
  const std::string net = fusim::test::write_temp("fc4096.yaml", R"(name: fc4096
inputs: [{name: x, shape: [4096, 1, 1]}]
layers:
  - {name: fc, type: fc, out_features: 4096, bias: true}
)");
  for (const char* hash : {"none", "xor", "mix"}) {
    INFO(hash);
    const auto r = fusim::test::run(src("configs/mlu.yaml"), net,
                                    {std::string("dram.address_hash=") + hash}, "none");
    std::int64_t bytes = 0;
    for (const auto& ch : r->result.sim.dram_channels) bytes += ch.bytes_read + ch.bytes_written;
    CHECK(bytes >= r->net->layer(0).params());  // the weights, each read once, and the rest
    const double rate = static_cast<double>(bytes) / r->result.sim.cycles;
    CHECK(rate > 0.85 * r->arch->dram_peak_bytes_per_cycle());
  }
}

TEST_CASE("an fc bound by its weight loads is estimated with its last chunk's compute after them",
          "[multicore]") {
  // ResNet-50's classifier (2,048 -> 1,000, a bias) on 4 of mlu.yaml's cores: each loads its
  // 512 KB of weights in two chunks, and computes the second (about 4,200 cycles of PE folds
  // for one input row) once the DRAM is done with every core's. Timed as the DRAM floor alone,
  // the estimate was 0.80x the simulation (22,025 against 27,569 cycles).
  CHECK(simulated_over_estimate("configs/mlu.yaml", "fc2048.yaml", R"(name: fc2048
inputs: [{name: x, shape: [2048, 1, 1]}]
layers:
  - {name: fc, type: fc, out_features: 1000, bias: true}
)",
                                {"cores.count=4"}) == Approx(1.0).margin(0.10));
}

TEST_CASE("a layer bound by the DRAM is estimated with its stores sharing it with its loads",
          "[multicore]") {
  // ShuffleNet's b13_pw2 (a grouped 1x1 conv, 240 -> 960 channels in 3 groups at 8 x 8) on
  // systolic32.yaml's one core: three chunks, each loading 25,600 bytes of weights and storing
  // 20,480 bytes of outputs, through a DRAM of 10 bytes a cycle. The stores of the first two
  // chunks share the DRAM with the loads of the next, so the last chunk's loads end late and its
  // compute and stores come after them. Taken as the DRAM floor (all bytes at the peak), the
  // estimate was 0.82x the simulation (15,360 against 18,700 cycles).
  CHECK(simulated_over_estimate("configs/systolic32.yaml", "gpw.yaml", R"(name: gpw
inputs: [{name: x, shape: [240, 8, 8]}]
layers:
  - {name: pw, type: conv, out_channels: 960, kernel: 1, groups: 3, bias: false}
)") == Approx(1.0).margin(0.10));
  // But a store that starts once every load is in shares the path with none: MobileNetV2's
  // 1x1 expansion to 864 channels at 8 x 8 (CIFAR) loads both its chunks' weights before its
  // first compute ends, and its first chunk's store overlaps only the second chunk's compute.
  // Counted with the loads, the estimate was 1.13x the simulation (12,096 against 10,668).
  CHECK(simulated_over_estimate("configs/systolic32.yaml", "expand.yaml", R"(name: expand
inputs: [{name: x, shape: [40, 8, 8]}]
layers:
  - {name: pw, type: conv, out_channels: 864, kernel: 1, bias: false}
)") == Approx(1.0).margin(0.10));
}

TEST_CASE("a store is lengthened once for the loads that share the DRAM with it", "[multicore]") {
  // ResNet-50's layer2_0_conv3 and its add (128 -> 512 channels at 28 x 28, the residual from
  // DRAM) on systolic32.yaml's one core, in 14 row tiles: the input buffer holds two tiles'
  // rows, so each tile's residual rows wait for the compute that frees the tile before and share
  // the DRAM's 10 bytes a cycle with its stores. The cost model lengthened those stores when it
  // placed them, for the loads to come, and again when the loads came: 1.23x the simulation
  // (137,152 against 111,125 cycles).
  CHECK(simulated_over_estimate("configs/systolic32.yaml", "conv3add.yaml", R"(name: conv3add
inputs: [{name: x, shape: [128, 28, 28]}, {name: r, shape: [512, 28, 28]}]
layers:
  - {name: conv3, type: conv, inputs: [x], out_channels: 512, kernel: 1, bias: false}
  - {name: add, type: add, inputs: [conv3, r], activation: relu}
)",
                                {}, "optimal") == Approx(1.0).margin(0.10));
  // Lengthened only as the loads come, a store frees its room too early: ViT-B/16's residual
  // add and layer norm on archon.yaml (40 row tiles; the output buffer holds two tiles' outputs)
  // then wait for each store less than they do, 0.84x the simulation (21,056 against 25,160).
  CHECK(simulated_over_estimate("configs/archon.yaml", "addln.yaml", R"(name: addln
inputs: [{name: a, shape: [768, 197, 1]}, {name: b, shape: [768, 197, 1]}]
layers:
  - {name: add, type: add, inputs: [a, b]}
  - {name: ln, type: layernorm, bias: true}
)",
                                {}, "optimal") == Approx(1.0).margin(0.10));
}

TEST_CASE("a group that keeps the detailed DRAM busy is estimated with its refreshes",
          "[multicore]") {
  // BERT-base's feed-forward GEMMs layer by layer on mlu.yaml, every map through DRAM: each reads
  // 2.36 MB of weights and moves a 393 KB map (ffn_in writes it, ffn_out reads it), DRAM-bound.
  // Every tREFI (12,480 DDR4 clocks) each rank refreshes for tRFC (560), so the DRAM moves at
  // most 95.5 % of its peak; at the peak the estimate was 0.89x and 0.93x the simulation
  // (29,870 against 33,517 cycles; 33,139 against 35,557).
  const auto r = fusim::test::run(src("configs/mlu.yaml"), src("workloads/bert_base_layer.yaml"),
                                  {}, "none", false);
  const fusim::Arch& arch = *r->arch;
  const double share = 1.0 - static_cast<double>(arch.dram.timing.tRFC) /
                                 static_cast<double>(arch.dram.timing.tREFI);
  int checked = 0;
  for (std::size_t g = 0; g < r->result.sim.groups.size(); ++g) {
    const std::string& name = r->net->layer(r->result.program->schedule.groups[g].layers[0]).name;
    const fusim::GroupCost& c = r->result.predicted_costs[g];
    INFO(name);
    // The closed form: no group is estimated faster than its DRAM bytes at the refreshed peak.
    CHECK(static_cast<double>(c.est_cycles - arch.kernel_launch_cycles) >=
          static_cast<double>(c.dram_bytes) / (arch.dram_peak_bytes_per_cycle() * share) - 1);
    if (name != "l0_ffn_in" && name != "l0_ffn_out") continue;
    ++checked;
    const double simulated = r->result.sim.groups[g].end - r->result.sim.groups[g].start;
    CHECK(simulated / static_cast<double>(c.est_cycles) == Approx(1.0).margin(0.10));
  }
  CHECK(checked == 2);
}

TEST_CASE("a load done before the stores begin does not share the DRAM with them", "[multicore]") {
  // EfficientNet-B0's third squeeze-excitation (the pooled 144 channels reduced to 6 and
  // expanded back), its scale of the 56 x 56 depthwise output and the 1 x 1 projection to 24
  // channels, on eyeriss.yaml's one core in 28 row tiles: each tile's 32 KB of scaled rows wait
  // for the room the tile two before frees, and are loaded before the tile before them stores.
  // The cost model had every load that waited share the DRAM with the stores under way from its
  // start, stores that had not begun: 0.75x the simulation (185,381 against 138,633 cycles).
  CHECK(simulated_over_estimate("configs/eyeriss.yaml", "se.yaml", R"(name: se
inputs: [{name: pooled, shape: [144, 1, 1]}, {name: dw, shape: [144, 56, 56]}]
layers:
  - {name: reduce, type: conv, inputs: [pooled], out_channels: 6, kernel: 1, bias: true,
     activation: silu}
  - {name: expand, type: conv, out_channels: 144, kernel: 1, bias: true, activation: sigmoid}
  - {name: scale, type: mul, inputs: [dw, expand]}
  - {name: project, type: conv, out_channels: 24, kernel: 1, bias: false}
)",
                                {}, "optimal") == Approx(1.0).margin(0.10));
}

TEST_CASE("a row tile's channel chunks are estimated as one tile's work", "[multicore]") {
  // DenseNet-121's 3x3 conv of its first dense block (128 -> 32 channels at 56 x 56) on
  // systolic32.yaml: its weights stay in the weight buffer and each row tile computes two chunks
  // of 16 channels after loading its input rows. The cost model's walk reports the row tiles'
  // first chunks as one run and their second chunks as another; timed one run after the other,
  // only the first chunks' computes hid the loads, and the estimate was 1.17x the simulation
  // (145,174 against 124,107 cycles).
  CHECK(simulated_over_estimate("configs/systolic32.yaml", "dense56.yaml", R"(name: dense56
inputs: [{name: x, shape: [128, 56, 56]}]
layers:
  - {name: conv, type: conv, out_channels: 32, kernel: 3, padding: 1, bias: false}
)") == Approx(1.0).margin(0.10));
}

TEST_CASE("a run's loads are ahead of its computes by no more than its buffer holds",
          "[multicore]") {
  // DenseNet-121's 1x1 conv of block 2's seventh layer (320 -> 128 channels at 28 x 28) on
  // eyeriss.yaml: three weight chunks (58, 58 and 12 channels), each over every input row. The
  // first two chunks' rows are compute-bound, the last one's bound by the row loads. The cost
  // model's run of the first two let the loads run ahead of the computes as far as they would,
  // so the last chunk's loads seemed done early: 1.16x the simulation (232,762 against 270,855
  // cycles). The input buffer holds three rows: its loads wait for the computes before them.
  CHECK(simulated_over_estimate("configs/eyeriss.yaml", "pw320.yaml", R"(name: pw320
inputs: [{name: x, shape: [320, 28, 28]}]
layers:
  - {name: pw, type: conv, out_channels: 128, kernel: 1, bias: false, activation: relu}
)") == Approx(1.0).margin(0.10));
}

TEST_CASE("a layer split by channels is costed in the bursts the DRAM moves for its pieces",
          "[multicore]") {
  // A 1x1 conv of ShuffleNetV2's (116 -> 58 channels at 28 x 28) on mlu.yaml's 32 cores
  // (`--cores 32`: the baseline runs it on 16), split into two channel slices of 16 row bands:
  // each core stores 29-byte pieces of 58-byte pixels, and every burst of the output is written
  // by both slices. The cost model's walk reported its runs of tiles without their layout, so
  // the stores were costed as contiguous: 0.76x the bursts the DRAM moved, and ShuffleNetV2's
  // such layers simulated up to 1.22x their estimate.
  const std::string net = fusim::test::write_temp("pw58.yaml", R"(name: pw58
inputs: [{name: x, shape: [116, 28, 28]}]
layers:
  - {name: pw, type: conv, out_channels: 58, kernel: 1, activation: relu}
)");
  fusim::RunOptions o = fusim::test::options(src("configs/mlu.yaml"), net, {}, "none");
  o.search.cores = 32;
  const auto r = fusim::run_fusim(o);
  REQUIRE(r->result.program->schedule.groups.front().cores == 32);
  std::int64_t bursts = 0;
  for (const auto& ch : r->result.sim.dram_channels) bursts += ch.reads + ch.writes;
  const auto moved = static_cast<double>(bursts * r->arch->dram.burst_bytes_detailed());
  const auto costed = static_cast<double>(r->result.predicted_costs[0].dram_bytes);
  CHECK(costed / moved == Approx(1.0).margin(0.05));
}

TEST_CASE("a fused group on n cores reads its resident weights once, by multicast", "[multicore]") {
  const auto r = fusim::test::run(src("configs/mlu.yaml"), src("workloads/mobilenetv2.yaml"));
  const fusim::Network& net = *r->net;
  const fusim::Arch& arch = *r->arch;
  const std::vector<int> layers = first_bottleneck(net);
  const std::int64_t weights = weight_bytes(net, arch, layers);
  for (std::int64_t n : {1, 2, 4, 8}) {
    INFO(n << " cores");
    const fusim::GroupCost c = fusim::evaluate_group(net, arch, layers, n);
    REQUIRE(c.feasible);
    CHECK(c.traffic.weight == weights);
    CHECK(c.multicast_bytes == (n - 1) * weights);
  }
}

TEST_CASE("a fused group reloading its weights per tile reads them on core 0 only, by multicast",
          "[multicore]") {
  // The same block with a weight buffer too small to keep its weights: every tile loads them.
  const auto r = fusim::test::run(src("configs/mlu.yaml"), src("workloads/mobilenetv2.yaml"),
                                  {"cores.buffers.weight.capacity_bytes=4096"});
  const fusim::Network& net = *r->net;
  const fusim::Arch& arch = *r->arch;
  const std::vector<int> layers = first_bottleneck(net);
  const std::int64_t weights = weight_bytes(net, arch, layers);
  REQUIRE(weights > 4096);
  for (std::int64_t n : {1, 3, 8}) {
    INFO(n << " cores");
    const fusim::GroupCost c = fusim::evaluate_group(net, arch, layers, n);
    REQUIRE(c.feasible);
    // Core 0's band, the largest, reads every tile's weights; the other bands receive theirs.
    const std::int64_t first_band = (c.tiles + n - 1) / n;
    CHECK(c.traffic.weight == first_band * weights);
    CHECK(c.multicast_bytes == (c.tiles - first_band) * weights);
    fusim::Schedule s;
    s.groups.push_back({layers, n, c.tiles});
    // The rest of the network layer by layer around it, so that the program is whole.
    for (int li = 0; li < static_cast<int>(net.layers().size()); ++li)
      if (li < layers.front() || li > layers.back()) s.groups.push_back({{li}, 1});
    std::sort(s.groups.begin(), s.groups.end(), [](const fusim::Group& a, const fusim::Group& b) {
      return a.layers[0] < b.layers[0];
    });
    const fusim::SimResult sim = fusim::simulate(net, arch, fusim::lower(net, arch, s));
    std::size_t g = 0;
    while (s.groups[g].layers.size() == 1) ++g;
    CHECK(sim.groups[g].traffic.weight_read == c.traffic.weight);
  }
}

TEST_CASE("judged by simulation, the search picks the groups and cores that simulate fastest",
          "[multicore][oracle]") {
  // Two inverted bottlenecks at 28 x 28, small enough to simulate every candidate.
  const std::string net = fusim::test::write_temp("oracle_net.yaml", R"(name: two_bottlenecks
inputs:
- {name: x, shape: [24, 28, 28]}
layers:
- {name: e1, type: conv, inputs: [x], out_channels: 96, kernel: 1, activation: relu6}
- {name: d1, type: conv, inputs: [e1], out_channels: 96, kernel: 3, padding: 1, groups: 96}
- {name: p1, type: conv, inputs: [d1], out_channels: 24, kernel: 1}
- {name: a1, type: add, inputs: [p1, x]}
- {name: e2, type: conv, inputs: [a1], out_channels: 96, kernel: 1, activation: relu6}
- {name: d2, type: conv, inputs: [e2], out_channels: 96, kernel: 3, padding: 1, groups: 96}
- {name: p2, type: conv, inputs: [d2], out_channels: 32, kernel: 1}
)");
  fusim::RunOptions o;
  o.arch_path = src("configs/mlu.yaml");
  o.net_path = net;
  o.search.algorithm = "optimal";
  const auto by_cost = fusim::run_fusim(o);
  o.judge_by_simulation = true;
  const auto by_sim = fusim::run_fusim(o);
  CHECK(by_cost->program->schedule.judge == "cost");
  CHECK(by_sim->program->schedule.judge == "simulation");
  const fusim::Network& n = *by_sim->net;
  const fusim::Arch& arch = *by_sim->arch;
  const fusim::GroupJudge simulated = fusim::simulation_judge(n, arch);
  auto total = [&](const fusim::Schedule& s) {
    std::int64_t t = 0;
    for (const fusim::Group& g : s.groups) t += simulated(g);
    return t;
  };
  // The search is exact over its candidates and the judge's cycles add up: the schedule it
  // finds simulates, group by group, no slower than the cost model's choice.
  CHECK(total(by_sim->program->schedule) <= total(by_cost->program->schedule));
  // The reduced oracle judging only the cost model's 64 best partitions (--judge-best 64)
  // finds a schedule as fast: the judged best is among them here, as on the shipped networks
  // the oracle finishes (docs/multicore.md).
  o.search.judge_best = 64;
  const auto reduced = fusim::run_fusim(o);
  CHECK(total(reduced->program->schedule) == total(by_sim->program->schedule));
  // Groups are separated by a barrier, so the whole run is the sum of its groups alone, up to
  // the DRAM state (open rows, refresh) one group leaves to the next.
  const double whole = by_sim->result.sim.cycles;
  const auto sum = static_cast<double>(total(by_sim->program->schedule));
  INFO("whole run " << whole << ", groups alone " << sum);
  CHECK(std::abs(whole - sum) <= 0.01 * whole);
  // Each group's cores are the fastest simulated of the counts tried (a fused group's tiles
  // never fewer than on fewer cores, as the search sizes them).
  for (const fusim::Group& g : by_sim->program->schedule.groups) {
    const fusim::GroupCoster coster(n, arch, g.layers);
    const std::int64_t chosen = simulated(g);
    std::int64_t min_tiles = 0;
    for (std::int64_t cores : {1, 2, 4, 8, 16, 32}) {
      const fusim::GroupCost c = coster.cost(cores, 0, min_tiles);
      if (!c.feasible) continue;
      if (coster.fused()) min_tiles = c.tiles;
      INFO("group of " << n.layer(g.layers.front()).name << " on " << cores << " cores");
      CHECK(chosen <= simulated(fusim::Group{g.layers, cores, c.tiles}));
    }
  }
}

TEST_CASE("on mlu.yaml the cost model predicts most groups' cycles within 10 %", "[multicore]") {
  // Issue 14's goal is every group of every run within 10 % of the simulator; it is not met
  // (docs/multicore.md, "Results", tabulates the distribution). This holds what is: over every
  // shipped network, layer by layer and under the default search, the share of groups within
  // 10 %, and a median near 1. Measured on 2026-12-07, once the cores' first loads from the
  // shared buffer, then from DRAM, took the DRAM in windows after the shared buffer's part, and
  // stores to the shared buffer ran beside the later cores' DRAM loads (core_pipelines_end):
  // 1,799 of 1,842 groups (97.7 %), tiled 107 of 107, median 1.00 (ShuffleNet's residual adds,
  // 0.84x before, within 10 %); 1,802 once a layer written only into a concat stored its
  // channel chunks as blocks (blocked_output_allowed). Once a layer's grid could leave cores
  // idle and weighed its compute beside its transfers (split_layer): 1,796 of 1,842 groups
  // (97.5 %), tiled 106 of 107, median 1.00 (BERT-base's attention groups at 1.10-1.15x). Once a
  // group's memory time took the detailed DRAM's refreshes: 1,810 of 1,845 groups (98.1 %),
  // tiled 112 of 112, median 0.99.
  // Measured on 2026-12-06, once a layer walk's runs of tiles kept their layout (the stores of
  // channel slices costed in the bursts they move) and a group bound by its loads ended with its
  // cores' last computes after them (CostSink::drain): 1,815 of 1,847 groups (98.3 %), tiled 113
  // of 115, median 0.99 (the same after the layer tiling and pipeline changes of the one-core
  // test below: tiled 114 of 115); the sanitizer build's subset 379 of 384 (98.7 %), tiled 17 of
  // 18. Once a slice of one row tile came in chunks that overlap (plan_layer_tiling), 1,780 of
  // 1,847 (96.4 %: chunks whose weights were prefetched into the shared buffer simulate up to
  // 1.13x, docs/multicore.md, "Not there yet"), tiled 115 of 115, median 1.00; the sanitizer
  // build's subset 377 of 384. Once the baseline ran a layer on fewer cores where the estimate
  // was 5 % lower there (search.h), 1,775 of 1,847 (96.1 %), the subset 374 of 384; once the
  // prefetch engines took their fair share of a kernel's loads before its drain (finish in
  // cost_model.cpp; ResNet-50's layer3_*_conv3 and ViT-B/16's layerwise pairs, 1.13x and
  // 1.10-1.21x, now 1.08x and 1.03-1.08x), 1,800 (97.5 %), tiled 115 of 115, median 1.00, the
  // subset 374. Before, once a layer's grid, among those tied on its off-chip floor, was the one
  // computing least (split_layer): 1,792 of 1,843 groups (97.2 %), fused tiled ones 111 of 113,
  // median 0.99. Before it, once weights with biases were interleaved too (biases apart), 1,772
  // (96.1 %); before that 1,765 (95.8 %); before the cores' first loads and last stores were
  // timed on the DRAM by the bursts it moves (CostSink::lead_bytes), not their bytes, 1,745
  // (94.7 %); before no store could start until the first core was ready to store
  // (core_pipelines_end), 1,735 of 1,845 (94.0 %), tiled 112 of 113, and the sanitizer build's
  // subset of networks 353 of 384 (92 %), tiled 15 of 16. Before the cores' pipelines were put
  // together (CorePipelines: unequal cores finish apart, the DRAM and shared-buffer phases one
  // after the other), 1,663 of 1,847 (90.0 %), tiled 102 of 116 (88 %): below both floors. Before
  // the cost model saw the prefetch engines' contention, 73 % of the groups of 12 networks x 6
  // searches.
  const fusim::test::EstimateAccuracy a =
      fusim::test::estimate_accuracy({src("configs/mlu.yaml")}, {"none", "optimal"});
  REQUIRE(a.all.groups >= 100);
  INFO(a.all.within << " of " << a.all.groups << " groups within 10 %, median " << a.median());
  CHECK(a.all.within >= 0.96 * a.all.groups);
  const auto& tiled = a.by_mapping.at("tiled");
  INFO(tiled.within << " of " << tiled.groups << " tiled groups within 10 %");
  CHECK(tiled.within >= 0.93 * tiled.groups);
  CHECK(a.median() == Approx(1.0).margin(0.03));
}

TEST_CASE("on the one-core configs the cost model predicts nearly every group's cycles within 10 %",
          "[multicore]") {
  // Where a tile's loads do not fit beside the tile before it, the simulator's load engine waits
  // for the compute that frees its buffer, and a compute whose output does not fit waits for
  // the stores before it (CostSink's pipeline). Measured on 2026-12-08, once any load issued
  // while a store was served waited for that store under the simple DRAM model (first come first
  // served, CostSink::run_loads): 10,759 of 10,791 groups (99.7 %), fused tiled groups 571 of 579
  // (99 %), median 1.00; the sanitizer build's subset 2,225 of 2,230, tiled 151 of 155. Before,
  // once a load that waited for a compute's room went before that compute's stores there
  // (first come first served too): 10,747 of 10,792 groups (99.6 %), fused tiled groups
  // 566 of 586 (97 %), median 1.00 (10,739 of 10,781 and 553 of 571 before; BERT-base's residual
  // adds with their layer norms on eyeriss.yaml, estimated 1.10x their simulation before, now
  // 1.02x); the sanitizer build's subset 2,225 of 2,230, tiled 151 of 155. Measured on 2026-12-06,
  // over every shipped network on the five one-core configs under none and optimal, once a layer's
  // weights that fit the whole weight buffer stayed there and its chunks were even
  // (plan_layer_tiling), a row tile's chunks were timed as one tile (CostSink::extend_run) and the
  // stores that share the DRAM with loads were counted with them (CoreLeg::before_drain): 10,737 of
  // 10,788 groups (99.5 %) within 10 %, fused tiled groups 559 of 586 (95 %), median 1.00; 10,733
  // of 10,784 and 555 of 582 once a slice of one row tile came in chunks that overlap. When
  // written: 10,640 of 10,760 (98.9 %), tiled 530 of 566 (94 %). Before the cost model saw
  // buffer capacity, 90 % of the groups of the same runs were (fused tiled groups 38 %), up to
  // 1.8x too fast.
  std::vector<std::string> archs;
  for (const char* c : {"systolic32", "eyeriss", "archon", "archon_dense", "archon_sparse"})
    archs.push_back(src(std::string("configs/") + c + ".yaml"));
  const fusim::test::EstimateAccuracy a =
      fusim::test::estimate_accuracy(archs, {"none", "optimal"});
  REQUIRE(a.all.groups >= 500);
  INFO(a.all.within << " of " << a.all.groups << " groups within 10 %, median " << a.median());
  CHECK(a.all.within >= 0.99 * a.all.groups);
  CHECK(a.median() == Approx(1.0).margin(0.01));
  const auto& tiled = a.by_mapping.at("tiled");
  INFO(tiled.within << " of " << tiled.groups << " tiled groups within 10 %");
  CHECK(tiled.within >= 0.96 * tiled.groups);
}
