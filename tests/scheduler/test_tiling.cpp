// Off-chip bytes of the layer-by-layer schedule against hand-derived sums: input, weights and
// output of each layer, plus the re-fetches the tiling causes.
#include <catch2/catch.hpp>

#include "cost/cost_model.h"
#include "driver.h"
#include "lower/lower.h"
#include "search/search.h"
#include "test_util.h"

namespace {

// conv 3x3 pad 1, 64 -> 32 channels on 64x64, int8: input 262,144 B, weights 18,432 B,
// output 131,072 B. On systolic32 (64 KiB buffers, tiles sized to half = 32 KiB), an input
// row is 64*64 = 4,096 B, so a tile of h output rows needs h + 2 input rows: h = 6.
const char* kHaloNet = R"(name: halo
inputs: [{name: x, shape: [64, 64, 64]}]
layers:
  - {name: conv, type: conv, out_channels: 32, kernel: 3, padding: 1}
)";

std::unique_ptr<fusim::Run> run(const std::string& net, std::vector<std::string> overrides = {}) {
  return fusim::test::run(fusim::test::src("configs/systolic32.yaml"), net, std::move(overrides));
}

}  // namespace

TEST_CASE("layer-by-layer DRAM bytes: each layer's input, weights and output once when they fit",
          "[tiling]") {
  const auto r = run(fusim::test::src("workloads/tiny_chain.yaml"));
  // conv1: in 3*16*16 = 768, w 216, out 8*16*16 = 2048
  // conv2: in 2048, w 1152, out 16*8*8 = 1024
  // fc:    in 1024, w 10240 + 10 bias, out 10
  CHECK(r->result.sim.traffic.ifmap_read == 768 + 2048 + 1024);
  CHECK(r->result.sim.traffic.weight_read == 216 + 1152 + 10250);
  CHECK(r->result.sim.traffic.ofmap_write == 2048 + 1024 + 10);
}

TEST_CASE("layer-by-layer DRAM bytes: halo rows between row tiles are re-fetched", "[tiling]") {
  const auto r = run(fusim::test::write_temp("halo.yaml", kHaloNet));
  // 11 row tiles of 6 output rows (the last has 4): input rows 0-6 (7), then 9 interior tiles of
  // 8 rows, then rows 59-63 (5): 84 input rows of 4,096 B instead of 64.
  CHECK(r->result.sim.traffic.ifmap_read == 84 * 4096);
  CHECK(r->result.sim.traffic.ifmap_read - 262144 == 20 * 4096);  // the re-fetched halo
  CHECK(r->result.sim.traffic.weight_read == 18432);
  CHECK(r->result.sim.traffic.ofmap_write == 131072);
}

TEST_CASE("layer-by-layer DRAM bytes: weights that fit the whole weight buffer are read once",
          "[tiling]") {
  // DenseNet-121's 3x3 conv of a dense layer (128 -> 32 channels at 28 x 28): 36,864 bytes of
  // weights, more than half of systolic32's 64 KiB weight buffer. Sized to the half, its chunks
  // (28 channels and 4) were reloaded for each of its 4 row tiles (147,456 bytes), and each
  // row tile's big chunk loaded only once the last one's compute was done (43,953 cycles).
  // They fit the whole buffer, need no second half to load into, and stay.
  const auto r = run(fusim::test::write_temp("dense3x3.yaml", R"(name: dense3x3
inputs: [{name: x, shape: [128, 28, 28]}]
layers:
  - {name: conv, type: conv, out_channels: 32, kernel: 3, padding: 1, bias: false}
)"));
  CHECK(r->result.sim.traffic.weight_read == 36864);
  CHECK(r->result.sim.cycles < 40000);
  // VGG-16's first conv on eyeriss.yaml: an output row of its 64 channels (28,672 bytes) does
  // not fit half the output buffer, so the row tiles come in channel chunks; its 3,584 bytes
  // of weights are read once all the same (802,816 bytes when reloaded for each row).
  const auto vgg = fusim::test::run(fusim::test::src("configs/eyeriss.yaml"),
                                    fusim::test::write_temp("conv1_1.yaml", R"(name: conv1_1
inputs: [{name: x, shape: [3, 224, 224]}]
layers:
  - {name: conv, type: conv, out_channels: 64, kernel: 3, padding: 1, bias: true}
)"),
                                    {}, "none");
  const fusim::LayerTiling t = fusim::plan_layer_tiling(vgg->net->layer(0), *vgg->arch, 64, 1);
  CHECK(t.weights_resident);
  CHECK(vgg->result.sim.traffic.weight_read == 64 * 27 * 2 + 64 * 2);
  // Its row tiles' chunks are even: 50 channels fit half the output buffer (22,400 of 22,528
  // bytes), but 50 and 14 alternate badly (two 50s do not fit beside a 14, so each row's first
  // chunk waited for the last row's stores: 1,249,762 cycles); 32 and 32 do (944,284).
  CHECK(t.channels_per_tile == 32);
  CHECK(vgg->result.sim.cycles < 1000000);
}

TEST_CASE("layer-by-layer DRAM bytes: inputs that fit the whole input buffer are read once",
          "[tiling]") {
  // ShuffleNetV2's last 1x1 conv (464 -> 1,024 channels at 7 x 7) on eyeriss.yaml: its 45,472
  // bytes of input are more than half the 64 KiB input buffer. Sized to the half, its row tiles
  // (5 rows and 2) each streamed the 950,272 bytes of weights past (1,900,544 bytes, 305,085
  // cycles). All its rows fit the whole buffer, are loaded once and need no second half: the
  // weight chunks stream past them once.
  const auto r = fusim::test::run(fusim::test::src("configs/eyeriss.yaml"),
                                  fusim::test::write_temp("conv5.yaml", R"(name: conv5
inputs: [{name: x, shape: [464, 7, 7]}]
layers:
  - {name: conv5, type: conv, out_channels: 1024, kernel: 1, bias: false}
)"),
                                  {}, "none");
  const fusim::LayerTiling t = fusim::plan_layer_tiling(r->net->layer(0), *r->arch, 1024, 1);
  CHECK(t.rows_per_tile == 7);
  CHECK_FALSE(t.weights_outer);
  CHECK(r->result.sim.traffic.weight_read == 464 * 1024 * 2);
  CHECK(r->result.sim.traffic.ifmap_read == 464 * 49 * 2);
  CHECK(r->result.sim.cycles < 280000);
}

TEST_CASE("layer-by-layer DRAM bytes: a row split reads each band's halo, weights once",
          "[tiling]") {
  // Four cores: four bands of 16 output rows (split_layer prefers rows: the same compute, no
  // strided pieces), each cut into tiles of 6, 6 and 4 rows. Input rows read: band 0 7 + 8 + 6,
  // bands 1 and 2 8 + 8 + 6, band 3 8 + 8 + 5: 86 rows of 4,096 B. The weights are read once, by
  // core 0; the other three cores receive them by multicast.
  const auto r = run(fusim::test::write_temp("halo.yaml", kHaloNet), {"cores.count=4"});
  const fusim::LayerGeometry g(r->net->layer(0), r->arch->element_bytes());
  const fusim::LayerSplit split = fusim::split_layer(g, *r->arch, 4);
  CHECK(split.row_parts == 4);
  CHECK(split.channel_parts == 1);
  CHECK(r->result.sim.traffic.ifmap_read == 86 * 4096);
  CHECK(r->result.sim.traffic.weight_read == 18432);
  CHECK(r->result.sim.traffic.ofmap_write == 131072);
  std::int64_t received = 0;
  for (const auto& c : r->result.sim.cores) received += c.multicast_bytes_received;
  CHECK(received == 3 * 18432);
}

TEST_CASE("layer-by-layer DRAM bytes: a channel split reads the input once, by multicast",
          "[tiling]") {
  // An fc has one output row: four cores take 250 output features each and load their own
  // weights; core 0 reads the 4,096-byte input and the others receive it.
  const std::string net = fusim::test::write_temp("fc4.yaml", R"(name: fc4
inputs: [{name: x, shape: [4096, 1, 1]}]
layers:
  - {name: fc, type: fc, out_features: 1000, bias: true}
)");
  const auto r = run(net, {"cores.count=4"});
  const fusim::LayerGeometry g(r->net->layer(0), r->arch->element_bytes());
  const fusim::LayerSplit split = fusim::split_layer(g, *r->arch, 4);
  CHECK(split.row_parts == 1);
  CHECK(split.channel_parts == 4);
  CHECK(r->result.sim.traffic.ifmap_read == 4096);
  CHECK(r->result.sim.traffic.weight_read == 1000 * 4097);
  std::int64_t received = 0;
  for (const auto& c : r->result.sim.cores) received += c.multicast_bytes_received;
  CHECK(received == 3 * 4096);
}

TEST_CASE("a dense conv too wide for the input buffer is split along input channels", "[tiling]") {
  // One 224-wide row of 64 channels with its 3-row window is 43,008 B > 32 KiB: the tile takes
  // part of the input channels, accumulating partial sums; traffic is unchanged by the split.
  const std::string net = fusim::test::write_temp("wide.yaml", R"(name: wide
inputs: [{name: x, shape: [64, 224, 224]}]
layers:
  - {name: conv, type: conv, out_channels: 8, kernel: 3, padding: 1}
)");
  const auto r = run(net, {"cores.buffers.input.capacity_bytes=40000"});
  const fusim::Layer& l = r->net->layer(0);
  const fusim::LayerTiling t = fusim::plan_layer_tiling(l, *r->arch, 8, 1);
  CHECK(t.in_channels_per_tile > 0);
  CHECK(t.in_channels_per_tile < 64);
  CHECK(r->result.sim.traffic.weight_read == 8 * 64 * 9);
  CHECK(r->result.sim.traffic.ofmap_write == 8 * 224 * 224);
  CHECK(r->result.sim.traffic.ifmap_read == r->result.predicted[0].ifmap);
  CHECK(r->result.sim.traffic.ifmap_read >= 64 * 224 * 224);
}

TEST_CASE("an fc or gemm input too long for the input buffer is split along its reduction",
          "[tiling]") {
  // VGG-16's fc6 reads a 512x7x7 map (25,088 B): a 16 KiB input buffer (8 KiB per half) took no
  // tile of it. Now the flattened input comes in pieces of k, each accumulating into the
  // outputs' partial sums, with the weights of a channel chunk loaded once. The bytes are those
  // of the unsplit layer (each input byte once per channel chunk), the simulation moves what the
  // cost model predicts, and the PE array's cycles are the whole GEMM's (one stream).
  const std::string fc = fusim::test::write_temp("fc6.yaml", R"(name: fc6
inputs: [{name: x, shape: [512, 7, 7]}]
layers:
  - {name: fc6, type: fc, out_features: 64, bias: true}
)");
  const auto r = run(fc, {"cores.buffers.input.capacity_bytes=16384",
                          "cores.buffers.weight.capacity_bytes=4194304"});
  const fusim::LayerTiling t = fusim::plan_layer_tiling(r->net->layer(0), *r->arch, 64, 1);
  CHECK(t.in_channels_per_tile > 0);
  CHECK(t.in_channels_per_tile <= 8192);
  CHECK(t.channels_per_tile == 64);  // one chunk: every weight once, the input once
  CHECK(r->result.sim.traffic.ifmap_read == 25088);
  CHECK(r->result.sim.traffic.weight_read == 64 * 25089);
  CHECK(r->result.sim.traffic.ofmap_write == 64);
  fusim::test::check_group_bytes(r->result);
  // OS on 32x32: Sr = m = 1, Sc = 64 -> 2 folds of 32 + 32 + 25,088 - 2.
  CHECK(r->result.sim.layers[0].compute_cycles == 2 * (32 + 32 + 25088 - 2));

  // A gemm whose 4,096-wide rows of A do not fit: pieces of k columns (strided in DRAM).
  const std::string gemm = fusim::test::write_temp("wide_gemm.yaml", R"(name: wide_gemm
inputs: [{name: a, shape: [4096, 16, 1]}]
layers:
  - {name: g, type: gemm, m: 16, n: 32, k: 4096}
)");
  const auto q = run(gemm, {"cores.buffers.input.capacity_bytes=2048"});
  const fusim::LayerTiling tg = fusim::plan_layer_tiling(q->net->layer(0), *q->arch, 32, 1);
  CHECK(tg.in_channels_per_tile > 0);
  CHECK(tg.in_channels_per_tile < 4096);
  CHECK(q->result.sim.traffic.ifmap_read % (16 * 4096) == 0);  // A once per channel chunk
  fusim::test::check_group_bytes(q->result);
  // OS: Sr = 16, Sc = 32 -> 1 fold of 32 + 32 + 4,096 - 2.
  CHECK(q->result.sim.layers[0].compute_cycles == 32 + 32 + 4096 - 2);
}

TEST_CASE("a grouped conv's channel chunks and slices lie inside a group or cover whole groups",
          "[tiling]") {
  // FusioNet's first expansion: 32 -> 2368 channels in 4 groups of 592 on 32x32 (int8). One
  // output row of all channels (75,776 B) does not fit systolic32's 32 KiB output half, so the
  // tile takes a chunk of channels; a chunk that cut a group (2,048 channels: 3 groups and 272
  // channels of the fourth) used to be counted as 4 whole groups, 13.5 % MACs too many.
  const std::string net = fusim::test::write_temp("grouped.yaml", R"(name: grouped
inputs: [{name: x, shape: [32, 32, 32]}]
layers:
  - {name: expand, type: conv, out_channels: 2368, kernel: 1, groups: 4}
)");
  for (const std::int64_t cores : {1, 2, 4, 8, 16}) {
    INFO(cores << " cores");
    const auto r = run(net, {"cores.count=" + std::to_string(cores)});
    const fusim::Layer& l = r->net->layer(0);
    const fusim::LayerGeometry g(l, r->arch->element_bytes());
    CHECK(g.channels_per_group() == 592);
    const fusim::LayerSplit split = fusim::split_layer(g, *r->arch, cores);
    for (std::int64_t c = 0; c < split.cores(); ++c) {
      const fusim::LayerSlice s = fusim::layer_slice(g, split, c, *r->arch);
      CHECK(g.channel_range_exact(s.begin, s.end));
      const fusim::LayerTiling t = fusim::plan_layer_tiling(l, *r->arch, s.end - s.begin, 1);
      const std::int64_t kc = t.channels_per_tile;
      for (std::int64_t k0 = s.begin; k0 < s.end; k0 += kc)
        CHECK(g.channel_range_exact(k0, std::min(k0 + kc, s.end)));
    }
    // The PE arrays do the layer's MACs exactly once.
    std::int64_t macs = 0;
    for (const auto& core : r->result.sim.cores) macs += core.actions.macs;
    CHECK(macs == l.macs_per_item());
  }
}

TEST_CASE("on a count of cores with few divisors a layer's grid may leave cores idle", "[tiling]") {
  // A 3 x 3 conv on a 7 x 7 map (ResNet's last stage) on 31 cores: 31 is prime and the map has 7
  // rows, so a grid using every core is 1 x 31 (16-17 channels a core, a quarter of the PE
  // array's 64 columns). 7 bands of 4 slices (28 cores) can take no band more with 4 slices
  // (31 / 4 = 7): it is weighed too, and computes in a quarter of the time (offered only grids
  // that use every core, the grid, compute and busy-core checks fail). A GEMM's 12 heads of 128
  // channels on 32 cores: its slices each lie inside a head or cover whole heads (a count that
  // would cut one is stepped down to one that does not), and there are several.
  const fusim::Arch mlu = fusim::load_arch(fusim::test::src("configs/mlu.yaml"));
  const std::string net = fusim::test::write_temp("few_divisors.yaml", R"(name: few_divisors
inputs: [{name: x, shape: [512, 7, 7]}]
layers:
  - {name: conv, type: conv, out_channels: 512, kernel: 3, padding: 1}
)");
  const auto r =
      fusim::test::run(fusim::test::src("configs/mlu.yaml"), net, {"cores.count=31"}, "none");
  const fusim::Arch& arch = *r->arch;
  const fusim::LayerGeometry g(r->net->layer(0), arch.element_bytes());
  const fusim::LayerSplit split = fusim::split_layer(g, arch, 31);
  CHECK(split.cores() < 31);
  CHECK(split.row_parts > 1);
  // The largest core's work (core 0's: the first band of the first slice) under each grid.
  const auto largest = [&](const fusim::LayerSplit& grid) {
    const fusim::LayerSlice c0 = fusim::layer_slice(g, grid, 0, arch);
    return fusim::compute_cycles(arch.core, g.work(c0.row_begin, c0.row_end, c0.begin, c0.end));
  };
  CHECK(largest(split) < largest(fusim::LayerSplit{1, 31}));
  // The run does the layer's MACs once, on the cores the grid uses.
  std::int64_t macs = 0, busy = 0;
  for (const auto& core : r->result.sim.cores) {
    macs += core.actions.macs;
    busy += core.actions.macs > 0;
  }
  CHECK(macs == r->net->layer(0).macs_per_item());
  CHECK(busy == split.cores());

  const auto bert = fusim::load_network(fusim::test::src("workloads/bert_base_layer.yaml"));
  const int scores = bert.find_layer("l0_scores");
  REQUIRE(scores >= 0);
  const fusim::LayerGeometry heads(bert.layer(scores), mlu.element_bytes());
  REQUIRE(heads.channels_per_group() == 128);
  const fusim::LayerSplit h = fusim::split_layer(heads, mlu, 32);
  INFO(h.row_parts << " x " << h.channel_parts);
  CHECK(h.channel_parts > 1);
  for (std::int64_t c = 0; c < h.cores(); ++c) {
    const fusim::LayerSlice sl = fusim::layer_slice(heads, h, c, mlu);
    CHECK(heads.channel_range_exact(sl.begin, sl.end));
  }
}

TEST_CASE(
    "layer-by-layer: a slice of one row tile comes in chunks that overlap, as fast with a "
    "larger weight buffer",
    "[tiling]") {
  // ViT-B/16's first MLP projection (197 x 768 by 768 x 3,072) on mlu.yaml's 32 cores: a grid of
  // 2 row bands by 16 channel slices, 99 rows and 192 channels a core, whose 147,648 bytes of
  // weights fit half the 512 KiB weight buffer. In one chunk, each core loaded them all, then
  // computed, then stored: 45,022 cycles, more than with a 128 KiB buffer (41,320, in chunks of
  // 85, 85 and 22 channels). In chunks of 64 channels (the PE array's columns, whole DRAM
  // bursts of output a row), each chunk computes while the next loads: 39,976 with either.
  const std::string net = fusim::test::write_temp("mlp_in.yaml", R"(name: mlp_in
inputs: [{name: x, shape: [768, 197, 1]}]
layers:
  - {name: mlp_in, type: gemm, m: 197, n: 3072, k: 768, bias: true, activation: gelu}
)");
  const std::string mlu = fusim::test::src("configs/mlu.yaml");
  const auto big = fusim::test::run(mlu, net, {}, "none");
  const fusim::LayerTiling t = fusim::plan_layer_tiling(big->net->layer(0), *big->arch, 192, 1, 99);
  CHECK(t.channels_per_tile == 64);
  CHECK_FALSE(t.weights_outer);
  const auto small =
      fusim::test::run(mlu, net, {"cores.buffers.weight.capacity_bytes=131072"}, "none");
  CHECK(big->result.sim.traffic.weight_read == 3072 * 769);
  CHECK(small->result.sim.traffic.weight_read == 3072 * 769);
  CHECK(big->result.sim.cycles <= small->result.sim.cycles);
  CHECK(big->result.sim.cycles < 41000);
}
