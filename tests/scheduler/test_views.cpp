// Channel slices (docs/network-format.md, "Views"): shapes, where a consumer reads a slice in
// the viewed tensor (bytes, offsets, pieces), the whole bursts the cost model charges for the
// pieces under the detailed DRAM model, and the loader's errors.
#include <catch2/catch.hpp>

#include "arch/arch_io.h"
#include "common/checked.h"
#include "cost/cost_model.h"
#include "cost/fused_plan.h"
#include "cost/tile_sink.h"
#include "cost/tiling.h"
#include "lower/lower.h"
#include "network/network.h"
#include "network/network_io.h"
#include "test_util.h"

namespace {

using fusim::LayerType;
using fusim::test::error_of;
using fusim::test::load_text;
using fusim::test::src;
using fusim::test::write_temp;

// ShuffleNetV2's unit at stride 1 in miniature: a 64-channel map split in two halves; the
// second half goes through 1x1 -> depthwise 3x3 -> 1x1, the first is concatenated back.
const char* kUnit = R"(name: unit
inputs: [{name: x, shape: [32, 16, 16]}]
layers:
  - {name: stem, type: conv, out_channels: 64, kernel: 1, activation: relu}
  - {name: left, type: slice, inputs: [stem], channels: [0, 32]}
  - {name: right, type: slice, inputs: [stem], channels: [32, 64]}
  - {name: pw1, type: conv, inputs: [right], out_channels: 32, kernel: 1, activation: relu}
  - {name: dw, type: conv, out_channels: 32, kernel: 3, padding: 1, groups: 32}
  - {name: pw2, type: conv, out_channels: 32, kernel: 1, activation: relu}
  - {name: cat, type: concat, inputs: [left, pw2]}
  - {name: head, type: conv, out_channels: 16, kernel: 1}
)";

}  // namespace

TEST_CASE("a slice is a view of its input's channels", "[views]") {
  const fusim::Network net = load_text("unit.yaml", kUnit);
  const fusim::Layer& left = net.layer(net.find_layer("left"));
  const fusim::Layer& right = net.layer(net.find_layer("right"));
  CHECK(left.type == LayerType::Slice);
  CHECK(left.is_view());
  CHECK(left.out_shape == fusim::Shape{32, 16, 16});
  CHECK(right.out_shape == fusim::Shape{32, 16, 16});
  CHECK(right.out_pixel_channels == 64);  // its pixels are the stem's
  CHECK(left.params() == 0);
  CHECK(left.macs_per_item() == 0);
  CHECK(left.vector_ops_per_item() == 0);
  const fusim::Layer& pw1 = net.layer(net.find_layer("pw1"));
  CHECK(pw1.in_pixel_channels == std::vector<std::int64_t>{64});
  CHECK(net.layer(net.find_layer("dw")).in_pixel_channels == std::vector<std::int64_t>{32});
  // The writer keeps the channels.
  const std::string text = fusim::network_to_yaml(net);
  CHECK(text.find(R"(type: slice, inputs: ["stem"], channels: [32, 64])") != std::string::npos);
  CHECK(fusim::network_to_yaml(load_text("unit_back.yaml", text)) == text);

  // A slice of a slice views the first tensor: channels [40, 48) of the stem, 64 per pixel.
  const fusim::Network nested = load_text("nested.yaml", R"(name: nested
inputs: [{name: x, shape: [64, 8, 8]}]
layers:
  - {name: a, type: slice, channels: [32, 64]}
  - {name: b, type: slice, channels: [8, 16]}
  - {name: c, type: pool, mode: max, kernel: 2, stride: 2}
)");
  CHECK(nested.layer(1).out_shape == fusim::Shape{8, 8, 8});
  CHECK(nested.layer(2).in_pixel_channels == std::vector<std::int64_t>{64});
}

TEST_CASE("a consumer of a slice reads its channels, one piece per pixel", "[views]") {
  const fusim::Network net = load_text("unit.yaml", kUnit);
  const fusim::Layer& pw1 = net.layer(net.find_layer("pw1"));
  const fusim::LayerGeometry g(pw1, 1);
  // Rows [2, 5) of the 32 viewed channels, int8: 3 x 16 x 32 bytes, in pieces of 32 bytes,
  // 64 apart (the stem's pixel); from pixel (2, 0) of the stem's tensor.
  CHECK(g.input_bytes(0, 2, 5, 0, 32) == 3 * 16 * 32);
  CHECK(g.input_offset(0, 2, 0) == 2 * 16 * 64);
  const fusim::TileLayout t = g.input_layout(0, 0, 32);
  CHECK(t.piece_bytes == 32);
  CHECK(t.stride_bytes == 64);
  CHECK(g.input_item_bytes(0) == 16 * 16 * 64);
  // An input-channel piece of the dense 1x1: channels [8, 24) of the slice.
  CHECK(g.input_layout(0, 0, 32, 16).piece_bytes == 16);
  CHECK(g.input_layout(0, 0, 32, 16).stride_bytes == 64);
  CHECK(g.input_offset(0, 0, 0, 8) == 8);
  // A layer reading a whole tensor reads it in one range, charged its bytes.
  const fusim::LayerGeometry stem(net.layer(0), 1);
  CHECK(stem.input_layout(0, 0, 64).piece_bytes == 0);

  // The address map: a slice starts at its first channel in the viewed tensor.
  const fusim::Arch arch = fusim::load_arch(src("configs/systolic32.yaml"));
  const fusim::AddressMap map = fusim::plan_addresses(net, arch);
  const auto base = [&](const char* n) {
    return map.output_base[static_cast<std::size_t>(net.find_layer(n))];
  };
  CHECK(base("left") == base("stem"));
  CHECK(base("right") == base("stem") + 32);
}

TEST_CASE("slices: bytes exact layer by layer and fused, on every search", "[views]") {
  // Layer by layer, int8 on systolic32 (one core): every layer reads its operands once (1x1
  // convs and a 3x3 whose rows fit one tile), so the off-chip reads are the network input,
  // the stem's second half for pw1, pw1's and dw's outputs, and the concat (the stem's first
  // half and pw2) for the head: the slices are read as their channels, not the stem's 64.
  const auto r = fusim::test::run(src("configs/systolic32.yaml"), write_temp("unit.yaml", kUnit));
  const std::int64_t px = 16 * 16;
  CHECK(r->result.sim.traffic.ifmap_read == 32 * px + 32 * px + 32 * px + 32 * px + 64 * px);
  // Stores: stem, pw1, dw, pw2 (into the concat's tensor), head; the slices store nothing.
  CHECK(r->result.sim.traffic.ofmap_write == 64 * px + 32 * px * 3 + 16 * px);
  fusim::test::check_group_bytes(r->result);
  fusim::test::check_replays(*r);
  fusim::test::check_every_search(src("configs/systolic32.yaml"), "unit.yaml", kUnit);
  for (const std::string& arch : fusim::test::yaml_files("configs")) {
    INFO(arch);
    for (const char* fusion : {"none", "optimal"}) {
      const auto f = fusim::test::run(arch, write_temp("unit.yaml", kUnit), {}, fusion);
      fusim::test::check_group_bytes(f->result);
    }
  }
}

TEST_CASE("a fused group reads an outside slice as pieces, and a slice of a member on chip",
          "[views]") {
  const fusim::Network net = load_text("unit.yaml", kUnit);
  const fusim::Arch arch = fusim::load_arch(src("configs/systolic32.yaml"));
  const int right = net.find_layer("right"), pw1 = net.find_layer("pw1");
  const int dw = net.find_layer("dw"), stem = net.find_layer("stem");
  // [pw1, dw]: the slice is an external value, loaded as 32 of every 64 bytes.
  {
    const fusim::FusedGroup g(net, arch, {pw1, dw});
    const fusim::CostSink sink = fusim::test::walk_on_one_core(g, arch, 2);
    CHECK(sink.traffic.ifmap == 32 * 16 * 16);
    CHECK(sink.traffic.ofmap == 32 * 16 * 16);
  }
  // [stem, right, pw1]: the slice views a member; pw1 reads its 32 channels on chip; the
  // stem is stored for the other slice's readers (the concat).
  {
    const fusim::FusedGroup g(net, arch, {stem, right, pw1});
    const fusim::CostSink sink = fusim::test::walk_on_one_core(g, arch, 2);
    CHECK(sink.traffic.ifmap == 32 * 16 * 16);
    CHECK(sink.traffic.ofmap == (64 + 32) * 16 * 16);
  }
  // [right, pw1] without the stem: the slice would view a tensor outside the group.
  const fusim::FusedGroup outside(net, arch, {right, pw1});
  CHECK(outside.unfusable_reason().find("views a tensor from outside the group") !=
        std::string::npos);
}

TEST_CASE("pieces of a slice cost whole DRAM bursts in the detailed model", "[views]") {
  fusim::DmaTiming d;
  d.burst_bytes = 64;
  const fusim::TileLayout pieces{32, 64};
  // 32-byte pieces 64 bytes apart: a burst per piece; straddling blocks, each piece shares
  // its blocks with its neighbours: the span's 101 blocks.
  CHECK(d.dram_bytes(32 * 100, pieces, 0) == 64 * 100);
  CHECK(d.dram_bytes(32 * 100, pieces, 48) == 64 * 101);
  // 60-byte pieces of 480-byte pixels (a grid's channel slice): apart by more than a block,
  // each piece its own blocks. From 0 the pieces start at 0 and 32 into a block in turn (7.5
  // blocks apart): one block, then two. From 60 (the second slice) they start at 60 and 28:
  // two blocks each, twice the bytes the cost model charged before.
  CHECK(d.dram_bytes(60 * 100, {60, 480}, 0) == 64 * (50 + 100));
  CHECK(d.dram_bytes(60 * 100, {60, 480}, 60) == 64 * 200);
  // 8-byte pieces 16 apart share bursts: the span of 100 pieces, 99 * 16 + 8 bytes, in bursts.
  CHECK(d.dram_bytes(8 * 100, {8, 16}, 0) == fusim::ceil_div(99 * 16 + 8, 64) * 64);
  // Pieces of a burst apart by a burst: their blocks; a contiguous range: its blocks.
  CHECK(d.dram_bytes(128 * 10, {128, 256}, 0) == 128 * 10);
  CHECK(d.dram_bytes(100, {}, 60) == 3 * 64);
  // The simple model: the bytes.
  fusim::DmaTiming simple;
  CHECK(simple.dram_bytes(32 * 100, pieces, 48) == 32 * 100);

  // On mlu.yaml (DDR4, 64-byte bursts) pw1 alone reads 32 of every 64 bytes of the stem: the
  // cost model's DRAM bytes are a burst per pixel; its traffic stays the bytes the simulator
  // counts.
  const fusim::Network net = load_text("unit.yaml", kUnit);
  const fusim::Arch mlu = fusim::load_arch(src("configs/mlu.yaml"));
  REQUIRE(mlu.dram.burst_bytes_detailed() == 64);
  const int pw1 = net.find_layer("pw1");
  const fusim::GroupCost c = fusim::evaluate_group(net, mlu, {pw1}, 1);
  REQUIRE(c.feasible);
  CHECK(c.traffic.ifmap == 32 * 16 * 16);
  const std::int64_t weights = c.traffic.weight, out = c.traffic.ofmap;
  INFO("weights " << weights << " out " << out << " ifmap " << c.traffic.ifmap);
  CHECK(c.dram_bytes == 64 * 16 * 16 + weights + out);
  const fusim::Arch sys = fusim::load_arch(src("configs/systolic32.yaml"));
  const fusim::GroupCost s = fusim::evaluate_group(net, sys, {pw1}, 1);
  CHECK(s.dram_bytes == s.traffic.total());
}

TEST_CASE("slice keys: errors name file, line and key", "[views]") {
  fusim::test::check_layer_errors(
      "[{name: x, shape: [8, 4, 4]}]",
      {
          {"{name: a, type: slice}", "layers[0].channels", "missing required key"},
          {"{name: a, type: slice, channels: 4}", "layers[0].channels", "expected [begin, end]"},
          {"{name: a, type: slice, channels: [4, 4]}", "layers[0].channels", "must not be empty"},
          {"{name: a, type: slice, channels: [0, 1, 2]}", "layers[0].channels", "list of 2"},
          {"{name: a, type: slice, channels: [-1, 2]}", "layers[0].channels", ""},
          {"{name: a, type: slice, channels: [4, 9]}", "layers.a", "go past the 8 channels of 'x'"},
          {"{name: a, type: slice, channels: [0, 4], activation: relu}", "layers[0].activation",
           "a slice is a view"},
          {"{name: a, type: slice, channels: [0, 4], groups: 2}", "layers[0].groups",
           "unknown key"},
      },
      "  - {name: z, type: pool, mode: max, kernel: 1}\n");
  // A slice nothing reads (a network output), and an fc reading a slice.
  const std::string out = write_temp("slice_out.yaml", R"(name: t
inputs: [{name: x, shape: [8, 4, 4]}]
layers:
  - {name: p, type: pool, mode: max, kernel: 1}
  - {name: a, type: slice, channels: [0, 4]}
)");
  const auto e1 = error_of([&] { fusim::load_network(out); });
  REQUIRE(e1.has_value());
  CHECK(e1->line() == 5);
  CHECK(e1->key() == "layers.a");
  CHECK(std::string(e1->what()).find("cannot be a network output") != std::string::npos);
  const std::string fc = write_temp("slice_fc.yaml", R"(name: t
inputs: [{name: x, shape: [8, 4, 4]}]
layers:
  - {name: a, type: slice, channels: [0, 4]}
  - {name: f, type: fc, out_features: 10}
)");
  const auto e2 = error_of([&] { fusim::load_network(fc); });
  REQUIRE(e2.has_value());
  CHECK(e2->line() == 5);
  CHECK(std::string(e2->what()).find("is a channel slice") != std::string::npos);
}

namespace {

// ShuffleNetV2's stride-1 unit with its channel shuffle, then the next unit's split and a head:
// the first shuffle feeds slices (a copy), the second a dense conv (a view).
const char* kShuffleUnit = R"(name: shuffle_unit
inputs: [{name: x, shape: [64, 16, 16]}]
layers:
  - {name: x1, type: slice, channels: [0, 32]}
  - {name: x2, type: slice, inputs: [x], channels: [32, 64]}
  - {name: pw1, type: conv, out_channels: 32, kernel: 1, activation: relu}
  - {name: dw, type: conv, out_channels: 32, kernel: 3, padding: 1, groups: 32}
  - {name: pw2, type: conv, out_channels: 32, kernel: 1, activation: relu}
  - {name: cat, type: concat, inputs: [x1, pw2]}
  - {name: shuffle, type: shuffle, groups: 2}
  - {name: y1, type: slice, channels: [0, 32]}
  - {name: y2, type: slice, inputs: [shuffle], channels: [32, 64]}
  - {name: pw3, type: conv, out_channels: 32, kernel: 1, activation: relu}
  - {name: cat2, type: concat, inputs: [y1, pw3]}
  - {name: shuffle2, type: shuffle, groups: 2}
  - {name: head, type: conv, out_channels: 16, kernel: 1}
)";

}  // namespace

TEST_CASE("a channel shuffle: a permutation, a view for dense convs, else a copy", "[views]") {
  const fusim::Network net = load_text("shuffle_unit.yaml", kShuffleUnit);
  const fusim::Layer& s1 = net.layer(net.find_layer("shuffle"));
  const fusim::Layer& s2 = net.layer(net.find_layer("shuffle2"));
  CHECK(s1.type == LayerType::Shuffle);
  CHECK(s1.out_shape == fusim::Shape{64, 16, 16});
  CHECK_FALSE(s1.is_view());  // read by slices: copied
  CHECK(s1.vector_ops_per_item() == 64 * 16 * 16);
  CHECK(s2.is_view());  // read by a dense conv: its weights take the permutation
  CHECK(s2.vector_ops_per_item() == 0);
  CHECK(s1.params() == 0);
  CHECK(s1.macs_per_item() == 0);
  // The head reads the concat's tensor through the view: its pixels.
  CHECK(net.layer(net.find_layer("head")).in_pixel_channels == std::vector<std::int64_t>{64});
  const std::string text = fusim::network_to_yaml(net);
  CHECK(text.find(R"(type: shuffle, inputs: ["cat"], groups: 2)") != std::string::npos);
  CHECK(fusim::network_to_yaml(load_text("shuffle_back.yaml", text)) == text);

  // Output channel j reads input channel (j % g) * (C / g) + j / g: channels [k0, k1) read,
  // in each group, channels [k0 / g, ceil(k1 / g)).
  const auto runs = s1.shuffle_input_runs(8, 16);
  CHECK(runs.first == 4);
  CHECK(runs.run == 4);
  CHECK(s1.shuffle_input_runs(9, 15).first == 4);
  CHECK(s1.shuffle_input_runs(9, 15).run == 4);  // 8 channels for 6: whole runs
  const fusim::LayerGeometry g(s1, 1);
  // Rows [0, 2) of output channels [8, 16): 8 input channels, 4 in each half, int8: pieces
  // of 4 bytes every 32 (C / g), from channel 4.
  CHECK(g.input_bytes(0, 0, 2, 8, 16) == 2 * 16 * 8);
  CHECK(g.input_layout(0, 8, 16).piece_bytes == 4);
  CHECK(g.input_layout(0, 8, 16).stride_bytes == 32);
  CHECK(g.input_offset(0, 1, 8) == 16 * 64 + 4);
  // All channels: the whole tensor, contiguous; a copy on the vector unit, one move per element.
  CHECK(g.input_bytes(0, 0, 2, 0, 64) == 2 * 16 * 64);
  CHECK(g.input_layout(0, 0, 64).piece_bytes == 0);
  CHECK(g.input_offset(0, 1, 0) == 16 * 64);
  CHECK(g.work(0, 2, 0, 64).ops == 2 * 16 * 64);
  CHECK(g.work(0, 2, 0, 64).kind == fusim::WorkKind::Elementwise);
  CHECK(g.channel_chunks_alike(8));
  CHECK_FALSE(g.channel_chunks_alike(7));

  const std::string bad = write_temp("shuffle_bad.yaml", R"(name: t
inputs: [{name: x, shape: [6, 4, 4]}]
layers:
  - {name: s, type: shuffle, groups: 4}
)");
  const auto e = error_of([&] { fusim::load_network(bad); });
  REQUIRE(e.has_value());
  CHECK(e->line() == 4);
  CHECK(e->key() == "layers.s");
  CHECK(std::string(e->what()).find("groups (4) must divide the input channels") !=
        std::string::npos);
  const std::string act = write_temp("shuffle_act.yaml", R"(name: t
inputs: [{name: x, shape: [6, 4, 4]}]
layers:
  - {name: s, type: shuffle, groups: 2, activation: relu}
)");
  const auto e2 = error_of([&] { fusim::load_network(act); });
  REQUIRE(e2.has_value());
  CHECK(e2->key() == "layers[0].activation");
}

TEST_CASE("a copied shuffle: bytes and vector cycles against closed forms", "[views]") {
  // Alone on systolic32 (one core, int8, 32 lanes, 4 cycles of latency per tile): the map in
  // and out once; tiles of h rows x 64 channels with h the largest whose 1,024 h bytes fit
  // half the 64 KiB input and output buffers (32), so one tile of 16 rows.
  const auto r =
      fusim::test::run(src("configs/systolic32.yaml"), write_temp("shuffle_alone.yaml", R"(name: s
inputs: [{name: x, shape: [64, 16, 16]}]
layers:
  - {name: s, type: shuffle, groups: 4}
)"));
  const fusim::LayerTiling t = fusim::plan_layer_tiling(r->net->layer(0), *r->arch, 64, 1);
  REQUIRE(t.rows_per_tile == 16);
  REQUIRE(t.channels_per_tile == 64);
  CHECK(r->result.sim.traffic.ifmap_read == 64 * 16 * 16);
  CHECK(r->result.sim.traffic.ofmap_write == 64 * 16 * 16);
  CHECK(r->result.sim.cores[0].compute_busy_cycles == 64 * 16 * 16 / 32 + 4);
  CHECK(r->result.sim.cores[0].actions.vector_ops == 64 * 16 * 16);
  fusim::test::check_group_bytes(r->result);
  fusim::test::check_replays(*r);
  // On mlu.yaml's cores (feature maps in DRAM) the grid may split the channels: each core
  // reads its channels' runs in pieces; the cost model and the simulator agree on them.
  const auto m =
      fusim::test::run(src("configs/mlu.yaml"), write_temp("shuffle_alone.yaml", R"(name: s
inputs: [{name: x, shape: [64, 16, 16]}]
layers:
  - {name: s, type: shuffle, groups: 4}
)"),
                       {}, "none", false);
  fusim::test::check_group_bytes(m->result);
  CHECK(m->result.sim.traffic.ifmap_read == 64 * 16 * 16);
}

TEST_CASE("shuffle units: bytes exact on every config and search", "[views]") {
  // Layer by layer on systolic32: the copied shuffle reads the concat and writes its map; the
  // viewed one is no kernel, and the head reads the concat under it.
  const auto r =
      fusim::test::run(src("configs/systolic32.yaml"), write_temp("su.yaml", kShuffleUnit));
  const std::int64_t px = 16 * 16;
  // Reads: pw1 (x2), dw, pw2, the shuffle (cat), pw3 (y2), head (cat2).
  CHECK(r->result.sim.traffic.ifmap_read == px * (32 + 32 + 32 + 64 + 32 + 64));
  // Writes: pw1, dw, pw2 (into cat), the shuffle, pw3 (into cat2), head.
  CHECK(r->result.sim.traffic.ofmap_write == px * (32 + 32 + 32 + 64 + 32 + 16));
  fusim::test::check_group_bytes(r->result);
  fusim::test::check_replays(*r);
  fusim::test::on_every_config_and_search(kShuffleUnit, [](const fusim::Run& f) {
    fusim::test::check_group_bytes(f.result);
    fusim::test::check_replays(f);
  });
}

TEST_CASE("the off-chip floor counts only the channels slices read of a network input", "[views]") {
  // x [16, 8, 8]: a 3x3 conv reads channels [0, 4) through a slice (every pixel), a 1x1
  // stride-2 conv channels [2, 6) through a slice of a slice (every other row and column);
  // channels [6, 16) are never read.
  const fusim::Network net = load_text("floor.yaml", R"(name: floor
inputs: [{name: x, shape: [16, 8, 8]}]
layers:
  - {name: a, type: slice, channels: [0, 8]}
  - {name: b, type: slice, inputs: [a], channels: [0, 4]}
  - {name: c, type: conv, inputs: [b], out_channels: 4, kernel: 3, padding: 1}
  - {name: d, type: slice, inputs: [a], channels: [2, 6]}
  - {name: e, type: conv, inputs: [d], out_channels: 4, kernel: 1, stride: 2}
)");
  const fusim::Arch arch = fusim::load_arch(src("configs/systolic32.yaml"));
  const fusim::Traffic floor = fusim::compulsory_traffic(net, arch);
  // Channels [0, 2): all 64 pixels; [2, 4): all 64 (c); [4, 6): the 16 e reads.
  CHECK(floor.ifmap == 2 * 64 + 2 * 64 + 2 * 16);
  const auto r =
      fusim::test::run(src("configs/systolic32.yaml"), write_temp("floor.yaml", R"(name: floor
inputs: [{name: x, shape: [16, 8, 8]}]
layers:
  - {name: a, type: slice, channels: [0, 8]}
  - {name: b, type: slice, inputs: [a], channels: [0, 4]}
  - {name: c, type: conv, inputs: [b], out_channels: 4, kernel: 3, padding: 1}
  - {name: d, type: slice, inputs: [a], channels: [2, 6]}
  - {name: e, type: conv, inputs: [d], out_channels: 4, kernel: 1, stride: 2}
)"));
  fusim::test::check_group_bytes(r->result);
  CHECK(r->result.sim.traffic.ifmap_read >= floor.ifmap);
}

namespace {

// timm's attention in miniature: one fused projection of 17 tokens to q, k and v (3 x 32
// features, 4 heads of 8), split by channel slices that the attention gemms read.
const char* kQkv = R"(name: qkv
inputs: [{name: x, shape: [32, 17, 1]}]
layers:
  - {name: qkv, type: gemm, m: 17, n: 96, k: 32, bias: true}
  - {name: q, type: slice, inputs: [qkv], channels: [0, 32]}
  - {name: k, type: slice, inputs: [qkv], channels: [32, 64]}
  - {name: v, type: slice, inputs: [qkv], channels: [64, 96]}
  - {name: scores, type: gemm, inputs: [q, k], m: 17, n: 17, k: 8, heads: 4, transpose_b: true}
  - {name: probs, type: softmax, groups: 4, scale: 0.35}
  - {name: ctx, type: gemm, inputs: [probs, v], m: 17, n: 8, k: 17, heads: 4}
  - {name: proj, type: gemm, m: 17, n: 32, k: 32}
)";

}  // namespace

TEST_CASE("a gemm reads slices of a fused projection token by token (timm's qkv)", "[views]") {
  const fusim::Network net = load_text("qkv.yaml", kQkv);
  const fusim::Layer& scores = net.layer(net.find_layer("scores"));
  CHECK(scores.in_pixel_channels == std::vector<std::int64_t>{96, 96});
  const fusim::LayerGeometry g(scores, 1);
  // A: q's token r starts r x 96 into the projection's output (its base is q's first channel);
  // a chunk of heads 2-3 reads their 16 columns of each token: 16-byte pieces, 96 apart.
  CHECK(g.input_offset(0, 2, 0) == 2 * 96);
  CHECK(g.input_offset(0, 2, 2 * 17) == 2 * 96 + 2 * 8);
  CHECK(g.input_layout(0, 2 * 17, 4 * 17).piece_bytes == 16);
  CHECK(g.input_layout(0, 2 * 17, 4 * 17).stride_bytes == 96);
  CHECK(g.input_item_bytes(0) == 17 * 96);
  // B^T (the keys as stored): output channel h n + j reads token j's head h.
  CHECK(g.b_offset(1 * 17 + 5) == 5 * 96 + 8);
  CHECK(g.b_layout(0, 4 * 17).piece_bytes == 32);
  CHECK(g.b_layout(0, 4 * 17).stride_bytes == 96);
  // B (the values as stored): ctx's chunk of heads 1-2 reads 16 columns of each token.
  const fusim::LayerGeometry c(net.layer(net.find_layer("ctx")), 1);
  CHECK(c.b_layout(8, 24).piece_bytes == 16);
  CHECK(c.b_layout(8, 24).stride_bytes == 96);

  // Layer by layer on systolic32 (one core, int8, no shared buffer): the scores read q and k
  // once each, ctx reads the probabilities and v: each slice's 17 x 32 bytes, not 17 x 96.
  // Besides: the projections' inputs, and the softmax its scores.
  const auto r = fusim::test::run(src("configs/systolic32.yaml"), write_temp("qkv.yaml", kQkv));
  const std::int64_t seq = 17 * 32, scores_bytes = 4 * 17 * 17;
  CHECK(r->result.sim.traffic.ifmap_read ==
        seq + 2 * seq + scores_bytes + (scores_bytes + seq) + seq);
  fusim::test::check_group_bytes(r->result);
  fusim::test::check_replays(*r);
  for (const std::string& arch : fusim::test::yaml_files("configs")) {
    for (const char* fusion : {"none", "optimal", "online", "dnnvm", "efficient-s"}) {
      INFO(arch << " " << fusion);
      const auto f = fusim::test::run(arch, write_temp("qkv.yaml", kQkv), {}, fusion);
      fusim::test::check_group_bytes(f->result);
      fusim::test::check_replays(*f);
    }
  }
  // On mlu.yaml the projection's output stays in the shared buffer and the slices are read
  // there: off chip, only the input, the weights and the result.
  const auto m = fusim::test::run(src("configs/mlu.yaml"), write_temp("qkv.yaml", kQkv));
  CHECK(m->result.sim.traffic.ifmap_read == seq);
  CHECK(m->result.sim.traffic.ofmap_write == seq);
  CHECK(m->result.sim.traffic.weight_read == 32 * 96 + 96 + 32 * 32);

  // A slice that is not rows of the gemm (a map's channels, pixels in rows) is refused.
  const std::string bad = write_temp("qkv_bad.yaml", R"(name: t
inputs: [{name: x, shape: [8, 4, 4]}]
layers:
  - {name: a, type: slice, channels: [0, 4]}
  - {name: g, type: gemm, m: 4, n: 3, k: 16}
)");
  const auto e = error_of([&] { fusim::load_network(bad); });
  REQUIRE(e.has_value());
  CHECK(e->line() == 5);
  CHECK(std::string(e->what()).find("is not the gemm's rows ([16, 4, 1])") != std::string::npos);
}
