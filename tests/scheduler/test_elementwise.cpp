// Element-wise layers with broadcasting and activation functions (docs/network-format.md):
// shapes, vector operations, bytes and cycles against closed forms; the loader's errors.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>

#include "arch/arch_io.h"
#include "common/checked.h"
#include "cost/fused_plan.h"
#include "cost/tiling.h"
#include "network/network.h"
#include "network/network_io.h"
#include "test_util.h"

namespace {

using fusim::Activation;
using fusim::LayerType;
using fusim::test::load_text;
using fusim::test::src;
using fusim::test::write_temp;

std::unique_ptr<fusim::Run> run(const std::string& name, const std::string& text,
                                const std::string& fusion = "none") {
  return fusim::test::run(src("configs/systolic32.yaml"), write_temp(name, text), {}, fusion);
}

// An SE-style gate: x [64, 32, 32] times g [64, 1, 1], int8 on systolic32 (one core, 32-lane
// vector unit with 4 cycles of latency, 64 KiB buffers used in halves).
const char* kGate = R"(name: gate
inputs: [{name: x, shape: [64, 32, 32]}, {name: g, shape: [64, 1, 1]}]
layers:
  - {name: scale, type: mul, inputs: [x, g]}
)";

}  // namespace

TEST_CASE("activation functions: vector operations per element", "[elementwise]") {
  // Lookup tables: sigmoid, tanh (1); a lookup and a multiply: silu, gelu (2); arithmetic:
  // relu (max), relu6 and clip (max, min), leaky_relu (multiply, max), hardsigmoid
  // (multiply-add, max, min), hardswish (hardsigmoid, multiply).
  const std::vector<std::pair<Activation, std::int64_t>> table = {
      {Activation::None, 0}, {Activation::Relu, 1},        {Activation::Relu6, 2},
      {Activation::Clip, 2}, {Activation::LeakyRelu, 2},   {Activation::Sigmoid, 1},
      {Activation::Silu, 2}, {Activation::HardSigmoid, 3}, {Activation::HardSwish, 4},
      {Activation::Gelu, 2}, {Activation::Tanh, 1}};
  for (const auto& [a, ops] : table) {
    INFO(fusim::to_string(a));
    CHECK(fusim::activation_ops_per_element(a) == ops);
    CHECK(fusim::activation_ops_per_element(a, LayerType::Activation) == ops);
    // As an attribute the clamps are free (the producer's output stage applies them).
    const bool clamp = a == Activation::Relu || a == Activation::Relu6 || a == Activation::Clip;
    CHECK(fusim::activation_ops_per_element(a, LayerType::Conv) == (clamp ? 0 : ops));
  }
}

TEST_CASE("activation layers and attributes: vector operations of a layer", "[elementwise]") {
  const fusim::Network net = load_text("acts.yaml", R"(name: acts
inputs: [{name: x, shape: [16, 8, 8]}]
layers:
  - {name: hs, type: activation, activation: hardswish}
  - {name: r, type: activation, activation: relu}
  - {name: c, type: activation, activation: clip, clip_min: -1.5, clip_max: 2.25}
  - {name: lr, type: activation, activation: leaky_relu, negative_slope: 0.2}
  - {name: conv, type: conv, out_channels: 32, kernel: 1, activation: silu}
  - {name: conv_relu, type: conv, out_channels: 32, kernel: 1, activation: relu}
  - {name: dw, type: conv, out_channels: 32, kernel: 3, padding: 1, groups: 32, activation: gelu}
)");
  const std::int64_t e = 16 * 8 * 8, e2 = 32 * 8 * 8;
  CHECK(net.layer(0).vector_ops_per_item() == 4 * e);
  CHECK(net.layer(1).vector_ops_per_item() == 1 * e);
  CHECK(net.layer(2).vector_ops_per_item() == 2 * e);
  CHECK(net.layer(2).clip_min == -1.5);
  CHECK(net.layer(2).clip_max == 2.25);
  CHECK(net.layer(3).negative_slope == 0.2);
  CHECK(net.layer(4).vector_ops_per_item() == 2 * e2);  // silu after the PE array
  CHECK(net.layer(4).runs_on_pe_array());
  CHECK(net.layer(5).vector_ops_per_item() == 0);                // relu: free
  CHECK(net.layer(6).vector_ops_per_item() == e2 * 9 + 2 * e2);  // depthwise MACs + gelu
  for (int i = 0; i < 4; ++i) CHECK(net.layer(i).params() == 0);
  CHECK(net.total_macs() == 32 * 16 * 8 * 8 + 32 * 32 * 8 * 8 + 32 * 9 * 8 * 8);
  // The writer keeps every function and its parameters.
  const std::string text = fusim::network_to_yaml(net);
  const fusim::Network back = load_text("acts_back.yaml", text);
  CHECK(fusim::network_to_yaml(back) == text);
  CHECK(back.layer(2).clip_min == -1.5);
  CHECK(back.layer(3).negative_slope == 0.2);
}

TEST_CASE("element-wise layers broadcast numpy-style", "[elementwise]") {
  const fusim::Network net = load_text("bcast.yaml", R"(name: bcast
inputs: [{name: x, shape: [64, 14, 14]}, {name: g, shape: [64, 1, 1]}, {name: s, shape: [1, 14, 14]}]
layers:
  - {name: m, type: mul, inputs: [x, g]}
  - {name: m2, type: mul, inputs: [g, x]}
  - {name: a, type: add, inputs: [s, g]}
  - {name: d, type: div, inputs: [x, s]}
  - {name: mx, type: max, inputs: [x, g, s]}
  - {name: sb, type: sub, inputs: [x, x], activation: sigmoid}
)");
  const fusim::Shape full{64, 14, 14};
  for (int i = 0; i < 6; ++i) CHECK(net.layer(i).out_shape == full);
  const std::int64_t e = full.elements();
  CHECK(net.layer(0).vector_ops_per_item() == e);
  CHECK(net.layer(2).vector_ops_per_item() == e);      // [1,14,14] + [64,1,1]
  CHECK(net.layer(3).vector_ops_per_item() == 2 * e);  // reciprocal lookup and multiply
  CHECK(net.layer(4).vector_ops_per_item() == 2 * e);  // three operands: two maxima
  CHECK(net.layer(5).vector_ops_per_item() == e + e);  // the sub, then the sigmoid lookup
  for (const auto& l : net.layers()) CHECK(l.macs_per_item() == 0);

  // Bytes of a tile of rows [2, 7) and channels [8, 24), int8: the map's rows and channels, the
  // gate's channels once, the [1, H, W] operand's rows of its one channel.
  const fusim::LayerGeometry m(net.layer(0), 1), a(net.layer(2), 1);
  CHECK(m.input_bytes(0, 2, 7, 8, 24) == 5 * 14 * 16);
  CHECK(m.input_bytes(1, 2, 7, 8, 24) == 16);
  CHECK(a.input_bytes(0, 2, 7, 8, 24) == 5 * 14);
  CHECK(a.input_bytes(1, 2, 7, 8, 24) == 16);
  // Where they lie (NHWC): the gate's channel 8, the single-channel map's row 2.
  CHECK(m.input_offset(1, 2, 8) == 8);
  CHECK(a.input_offset(0, 2, 8) == 2 * 14);
  CHECK(m.input_offset(0, 2, 8) == (2 * 14 * 64 + 8));
  CHECK(a.input_layout(0, 8, 24).piece_bytes == 0);  // one channel: contiguous rows
  CHECK(m.input_layout(0, 8, 24).piece_bytes == 16);
}

TEST_CASE("a broadcast gate is read once per row tile, cycles per tile", "[elementwise]") {
  // A tile of h rows holds 2,048 h bytes of x and 64 of g in half the 64 KiB input buffer:
  // h = 15, so 3 row tiles (15, 15, 2 rows) of all 64 channels.
  const auto r = run("gate.yaml", kGate);
  const fusim::LayerTiling t =
      fusim::plan_layer_tiling(r->net->layer(0), *r->arch, 64, r->net->batch());
  REQUIRE(t.rows_per_tile == 15);
  REQUIRE(t.channels_per_tile == 64);
  CHECK(r->result.sim.traffic.ifmap_read == 64 * 32 * 32 + 3 * 64);
  CHECK(r->result.sim.traffic.ofmap_write == 64 * 32 * 32);
  fusim::test::check_group_bytes(r->result);
  // One operation per element, 32 lanes, 4 cycles of latency per tile.
  const std::int64_t per_row = 32 * 64;
  CHECK(r->result.sim.cores[0].compute_busy_cycles ==
        2 * (15 * per_row / 32 + 4) + (2 * per_row / 32 + 4));
}

TEST_CASE("a PE-array layer's activation runs after each tile on the vector unit",
          "[elementwise]") {
  const std::string base = R"(name: epi
inputs: [{name: x, shape: [64, 32, 32]}]
layers:
  - {name: conv, type: conv, out_channels: 64, kernel: 1)";
  const auto plain = run("epi_none.yaml", base + "}\n");
  const auto relu = run("epi_relu.yaml", base + ", activation: relu}\n");
  const auto hs = run("epi_hs.yaml", base + ", activation: hardswish}\n");
  const auto busy = [](const fusim::Run& r) { return r.result.sim.cores[0].compute_busy_cycles; };
  CHECK(busy(*relu) == busy(*plain));  // a clamp in the output stage
  // Hardswish: 4 operations per output element of every tile, 32 lanes, 4 cycles of latency.
  const fusim::Layer& l = hs->net->layer(0);
  const fusim::LayerTiling t = fusim::plan_layer_tiling(l, *hs->arch, 64, 1);
  REQUIRE(t.in_channels_per_tile == 0);
  std::int64_t epilogue = 0;
  for (std::int64_t r0 = 0; r0 < 32; r0 += t.rows_per_tile) {
    for (std::int64_t k0 = 0; k0 < 64; k0 += t.channels_per_tile) {
      const std::int64_t rows = std::min<std::int64_t>(t.rows_per_tile, 32 - r0);
      const std::int64_t kc = std::min<std::int64_t>(t.channels_per_tile, 64 - k0);
      epilogue += fusim::ceil_div(4 * rows * 32 * kc, 32) + 4;
    }
  }
  CHECK(busy(*hs) == busy(*plain) + epilogue);
  CHECK(hs->result.sim.cores[0].actions.vector_ops == 4 * 64 * 32 * 32);
  fusim::test::check_group_bytes(hs->result);
  fusim::test::check_replays(*hs);
}

TEST_CASE("a squeeze-excitation block fuses, cost model and simulator agree", "[elementwise]") {
  const std::string text = R"(name: se
inputs: [{name: x, shape: [32, 16, 16]}]
layers:
  - {name: dw, type: conv, out_channels: 32, kernel: 3, padding: 1, groups: 32, activation: silu}
  - {name: pool, type: pool, mode: avg, global: true}
  - {name: reduce, type: conv, out_channels: 8, kernel: 1, bias: true, activation: silu}
  - {name: expand, type: conv, out_channels: 32, kernel: 1, bias: true, activation: sigmoid}
  - {name: scale, type: mul, inputs: [dw, expand]}
  - {name: project, type: conv, out_channels: 16, kernel: 1}
)";
  // The whole block as one group: the gate needs every row of dw (the global pool is a barrier),
  // so the first tile computes dw whole and the gate; the mul reads the gate's one row in every
  // tile.
  const fusim::Network net = load_text("se.yaml", text);
  const fusim::Arch arch = fusim::load_arch(src("configs/systolic32.yaml"));
  const fusim::FusedGroup g(net, arch, {0, 1, 2, 3, 4, 5});
  REQUIRE(g.unfusable_reason().empty());
  const std::int64_t tiles = 4;
  const std::vector<std::int64_t> p = g.progress(tiles);
  // progress(): node 0 (dw) has all 16 rows after tile 0; the mul (node 4) a quarter.
  CHECK(fusim::FusedGroup::rows_done(p, tiles, 0, 0) == 16);
  CHECK(fusim::FusedGroup::rows_done(p, tiles, 4, 0) == 4);
  fusim::CostSink sink(&arch.core);
  g.walk(p, tiles, 1, 0, sink);
  // Off-chip: the input once, the weights once, only project's output stored.
  CHECK(sink.traffic.ifmap == 32 * 16 * 16);
  CHECK(sink.traffic.ofmap == 16 * 16 * 16);
  CHECK(sink.traffic.weight ==
        32 * 9 + (8 * 32 + 8) + (32 * 8 + 32) + 16 * 32);  // dw, reduce, expand, project
  fusim::test::check_every_search(src("configs/systolic32.yaml"), "se_run.yaml", text);
}

TEST_CASE("element-wise and activation keys: errors name file, line and key", "[elementwise]") {
  fusim::test::check_layer_errors(
      "[{name: x, shape: [8, 4, 4]}, {name: y, shape: [4, 4, 4]}]",
      {
          {"{name: a, type: activation}", "layers[0].activation", "missing required key"},
          {"{name: a, type: activation, activation: none}", "layers[0].activation",
           "needs a function"},
          {"{name: a, type: activation, activation: swish}", "layers[0].activation", "hardswish"},
          {"{name: a, type: activation, activation: clip, clip_max: 6}", "layers[0].clip_min",
           "missing required key"},
          {"{name: a, type: activation, activation: clip, clip_min: 6, clip_max: 6}",
           "layers[0].clip_max", "greater than clip_min"},
          {"{name: a, type: activation, activation: clip, clip_min: x, clip_max: 6}",
           "layers[0].clip_min", "expected a number"},
          {"{name: a, type: activation, activation: relu, negative_slope: 0.1}",
           "layers[0].negative_slope", "unknown key"},
          {"{name: a, type: conv, out_channels: 4, kernel: 1, activation: relu, clip_min: 0}",
           "layers[0].clip_min", "unknown key"},
          {"{name: a, type: mul, inputs: [x, y]}", "layers.a", "each dimension must be equal or 1"},
          {"{name: a, type: sub, inputs: [x, x, x]}", "layers.a", "takes 2 input(s), got 3"},
          {"{name: a, type: div, inputs: [x]}", "layers.a", "takes 2 input(s), got 1"},
          {"{name: a, type: concat, inputs: [x, y], activation: sigmoid}", "layers[0].activation",
           "needs an activation layer"},
          {"{name: a, type: activation, activation: tanh, inputs: [x, x]}", "layers.a",
           "an activation layer takes 1 input(s), got 2"},
          {"{name: a, type: batchnorm, inputs: [x, y]}", "layers.a",
           "a batchnorm layer takes 1 input(s), got 2"},
          {"{name: a, type: batchnorm, bias: true}", "layers[0].bias", "unknown key"},
          {"{name: a, type: pad}", "layers[0].padding", "missing required key"},
          {"{name: a, type: pad, padding: [1, 2, 3]}", "layers[0].padding", "[top, left"},
          {"{name: a, type: pad, padding: [-2, 0, -2, 0]}", "layers.a",
           "crops all of 'x' ([8, 4, 4])"},
          {"{name: a, type: pad, padding: [0, -4, 0, 1]}", "layers.a", "crops all of 'x'"},
          {"{name: a, type: conv, out_channels: 4, kernel: 3, padding: -1}", "layers[0].padding",
           ""},
          {"{name: a, type: resize}", "layers[0].scale", "missing required key"},
          {"{name: a, type: resize, scale: 1.5}", "layers[0].scale", "integer"},
          {"{name: a, type: resize, scale: 65}", "layers[0].scale", "64"},
          {"{name: a, type: resize, scale: 2, mode: cubic}", "layers[0].mode", "bilinear"},
          {"{name: a, type: depth_to_space}", "layers[0].block", "missing required key"},
          {"{name: a, type: depth_to_space, block: 1}", "layers[0].block", "2"},
          {"{name: a, type: depth_to_space, block: 3}", "layers.a",
           "block 3 needs input channels divisible by 9, but 'x' has 8"},
          {"{name: a, type: depth_to_space, block: 2, scale: 2}", "layers[0].scale", "unknown key"},
          {"{name: a, type: conv, out_channels: 4, kernel: 3, padding: [1, 1, 1]}",
           "layers[0].padding", "[top, left, bottom, right]"},
          {"{name: a, type: conv, out_channels: 4, kernel: 3, padding: [0, 0, 3, 1]}", "layers.a",
           "padding 3 must be smaller than the kernel's height, 3"},
      });
}

TEST_CASE("a batchnorm is a per-channel affine: counts, bytes and cycles", "[elementwise]") {
  const std::string text = R"(name: bn
inputs: [{name: x, shape: [64, 32, 32]}]
layers:
  - {name: bn, type: batchnorm, activation: relu}
)";
  const fusim::Network net = load_text("bn.yaml", text);
  const fusim::Layer& l = net.layer(0);
  const std::int64_t e = 64 * 32 * 32;
  CHECK(l.type == LayerType::BatchNorm);
  CHECK(l.out_shape == fusim::Shape{64, 32, 32});
  CHECK(l.params() == 2 * 64);  // scale and shift per channel
  CHECK(l.macs_per_item() == 0);
  // One multiply-add per element; the relu is a free clamp in the output stage.
  CHECK(l.vector_ops_per_item() == e);
  CHECK(l.arithmetic_per_item().multiplications == e);
  CHECK(l.arithmetic_per_item().additions == e);
  // Row tiles of all 64 channels, the scale and shift loaded once (int8: 128 bytes); per tile
  // one operation per element on 32 lanes, and 4 cycles of latency.
  const auto r = run("bn_run.yaml", text);
  const fusim::LayerTiling t = fusim::plan_layer_tiling(r->net->layer(0), *r->arch, 64, 1);
  REQUIRE(t.channels_per_tile == 64);
  CHECK(r->result.sim.traffic.ifmap_read == e);
  CHECK(r->result.sim.traffic.weight_read == 2 * 64);
  CHECK(r->result.sim.traffic.ofmap_write == e);
  std::int64_t busy = 0;
  for (std::int64_t r0 = 0; r0 < 32; r0 += t.rows_per_tile)
    busy += fusim::ceil_div(std::min<std::int64_t>(t.rows_per_tile, 32 - r0) * 32 * 64, 32) + 4;
  CHECK(r->result.sim.cores[0].compute_busy_cycles == busy);
  CHECK(r->result.sim.cores[0].actions.vector_ops == e);
  fusim::test::check_group_bytes(r->result);
}

TEST_CASE("DenseNet's BN -> ReLU -> conv after a concat fuses, cost model and simulator agree",
          "[elementwise]") {
  const std::string text = R"(name: dense
inputs: [{name: x, shape: [32, 16, 16]}]
layers:
  - {name: l0, type: conv, out_channels: 16, kernel: 3, padding: 1}
  - {name: cat, type: concat, inputs: [x, l0]}
  - {name: norm, type: batchnorm, activation: relu}
  - {name: l1, type: conv, out_channels: 32, kernel: 1, bias: true, activation: relu}
  - {name: l2, type: conv, out_channels: 16, kernel: 3, padding: 1}
)";
  const fusim::Network net = load_text("dense.yaml", text);
  const fusim::Arch arch = fusim::load_arch(src("configs/systolic32.yaml"));
  const fusim::FusedGroup g(net, arch, {0, 1, 2, 3, 4});
  const fusim::CostSink sink = fusim::test::walk_on_one_core(g, arch, 4);
  // Off-chip: the input once, every weight once (the batchnorm's 2 x 48), l2's output stored.
  CHECK(sink.traffic.ifmap == 32 * 16 * 16);
  CHECK(sink.traffic.weight == 16 * 32 * 9 + 2 * 48 + (32 * 48 + 32) + 16 * 32 * 9);
  CHECK(sink.traffic.ofmap == 16 * 16 * 16);
  fusim::test::check_every_search(src("configs/systolic32.yaml"), "dense_run.yaml", text);
}

TEST_CASE("asymmetric padding: the rows a conv reads, bytes exact layer by layer and fused",
          "[elementwise]") {
  // A stride-2 conv padded [0, 0, 1, 1] over 16 rows: output row r reads input rows 2r..2r+2,
  // the last (r = 7) rows 14, 15 and the padding row. Every input row is read once.
  const std::string text = R"(name: same
inputs: [{name: x, shape: [16, 16, 16]}]
layers:
  - {name: down, type: conv, out_channels: 32, kernel: 3, stride: 2, padding: [0, 0, 1, 1]}
  - {name: dw, type: conv, out_channels: 32, kernel: 3, groups: 32, padding: [1, 0, 1, 2]}
)";
  const fusim::Network net = load_text("same.yaml", text);
  REQUIRE(net.layer(0).out_shape == fusim::Shape{32, 8, 8});
  REQUIRE(net.layer(1).out_shape == fusim::Shape{32, 8, 8});  // 8 + 0 + 2 - 2 columns
  const fusim::Arch arch = fusim::load_arch(src("configs/systolic32.yaml"));
  const fusim::LayerGeometry g(net.layer(0), arch.element_bytes());
  const std::int64_t row = 16 * 16;                 // bytes of one input row, int8
  CHECK(g.input_bytes(0, 0, 1, 0, 32) == 3 * row);  // rows 0..2
  CHECK(g.input_bytes(0, 7, 8, 0, 32) == 2 * row);  // rows 14, 15: the third is padding
  CHECK(g.input_bytes(0, 0, 8, 0, 32) == 16 * row);
  const fusim::FusedGroup fg(net, arch, {0, 1});
  const fusim::CostSink sink = fusim::test::walk_on_one_core(fg, arch, 4);
  CHECK(sink.traffic.ifmap == 16 * 16 * 16);
  CHECK(sink.traffic.ofmap == 32 * 8 * 8);
  CHECK(sink.macs == 32 * 64 * 16 * 9);  // the PE array's (the depthwise runs on the vector unit)
  for (const char* fusion : {"none", "optimal", "online"}) {
    INFO(fusion);
    const auto r = run("same_run.yaml", text, fusion);
    CHECK(r->result.sim.traffic.ifmap_read >= 16 * 16 * 16);
    fusim::test::check_group_bytes(r->result);
    fusim::test::check_replays(*r);
  }
}

TEST_CASE("resize_input_rows against the definitions, row by row", "[elementwise]") {
  // Nearest: row floor(r / s). Bilinear: rows floor(y) and floor(y) + 1 of
  // y = (r + 1/2) / s - 1/2, clamped to [0, rows - 1]. A range reads the union of its rows'.
  for (const fusim::ResizeMode mode : {fusim::ResizeMode::Nearest, fusim::ResizeMode::Bilinear}) {
    for (std::int64_t s = 1; s <= 5; ++s) {
      for (std::int64_t rows = 1; rows <= 7; ++rows) {
        const std::int64_t out = rows * s;
        for (std::int64_t a = 0; a < out; ++a) {
          for (std::int64_t b = a + 1; b <= out; ++b) {
            std::int64_t want_lo = rows, want_hi = 0;
            for (std::int64_t r = a; r < b; ++r) {
              std::int64_t r0 = r / s, r1 = r / s;
              if (mode == fusim::ResizeMode::Bilinear) {
                const double y = (static_cast<double>(r) + 0.5) / static_cast<double>(s) - 0.5;
                const auto f = static_cast<std::int64_t>(std::floor(y));
                r0 = std::clamp<std::int64_t>(f, 0, rows - 1);
                r1 = std::clamp<std::int64_t>(f + 1, 0, rows - 1);
              }
              want_lo = std::min(want_lo, r0);
              want_hi = std::max(want_hi, r1 + 1);
            }
            std::int64_t lo = 0, hi = 0;
            fusim::resize_input_rows(mode, s, rows, a, b, lo, hi);
            INFO("s " << s << " rows " << rows << " [" << a << ", " << b << ")");
            CHECK(lo == want_lo);
            CHECK(hi == want_hi);
          }
        }
      }
    }
  }
}

TEST_CASE("a resize upsamples by whole factors: counts, bytes and fusion", "[elementwise]") {
  const std::string text = R"(name: up
inputs: [{name: x, shape: [32, 8, 8]}]
layers:
  - {name: lateral, type: conv, out_channels: 32, kernel: 1}
  - {name: near, type: resize, scale: 2}
  - {name: smooth, type: conv, out_channels: 16, kernel: 3, padding: 1}
  - {name: bil, type: resize, inputs: [lateral], scale: [4, 2], mode: bilinear}
)";
  const fusim::Network net = load_text("up.yaml", text);
  const fusim::Layer& near = net.layer(1);
  const fusim::Layer& bil = net.layer(3);
  CHECK(near.out_shape == fusim::Shape{32, 16, 16});
  CHECK(bil.out_shape == fusim::Shape{32, 32, 16});
  // Nearest: a move per output element; bilinear: 4 multiplications and 3 additions.
  CHECK(near.vector_ops_per_item() == 32 * 16 * 16);
  CHECK(near.arithmetic_per_item().multiplications == 0);
  CHECK(bil.vector_ops_per_item() == 7 * 32 * 32 * 16);
  CHECK(bil.arithmetic_per_item().multiplications == 4 * 32 * 32 * 16);
  CHECK(bil.arithmetic_per_item().additions == 3 * 32 * 32 * 16);
  CHECK(near.params() == 0);
  // Fused: the input once, the weights once, the two outputs stored; the resizes' rows come
  // from lateral's on chip.
  const fusim::Arch arch = fusim::load_arch(src("configs/systolic32.yaml"));
  const fusim::FusedGroup g(net, arch, {0, 1, 2, 3});
  const fusim::CostSink sink = fusim::test::walk_on_one_core(g, arch, 4);
  CHECK(sink.traffic.ifmap == 32 * 8 * 8);
  CHECK(sink.traffic.weight == 32 * 32 + 16 * 32 * 9);
  CHECK(sink.traffic.ofmap == 16 * 16 * 16 + 32 * 32 * 16);
  // Layer by layer: each resize reads its input once and writes its output.
  const auto r = run("up_run.yaml", text);
  CHECK(r->result.sim.traffic.ofmap_write ==
        32 * 8 * 8 + 32 * 16 * 16 + 16 * 16 * 16 + 32 * 32 * 16);
  CHECK(r->result.sim.cores[0].actions.vector_ops == 32 * 16 * 16 + 7 * 32 * 32 * 16);
  fusim::test::check_every_search(src("configs/systolic32.yaml"), "up_run.yaml", text);
  const std::string back = fusim::network_to_yaml(net);
  CHECK(back.find("scale: [4, 2], mode: bilinear") != std::string::npos);
}

TEST_CASE("depth_to_space moves channels into space: counts, bytes and fusion", "[elementwise]") {
  // A transposed conv of kernel = stride 2 as a sub-pixel conv: a 1x1 conv to 4 C channels, then
  // depth_to_space by 2 (PixelShuffle, ONNX's DepthToSpace), then a 3x3 conv.
  const std::string text = R"(name: d2s
inputs: [{name: x, shape: [16, 10, 10]}]
layers:
  - {name: sub, type: conv, out_channels: 32, kernel: 1, activation: relu}
  - {name: up, type: depth_to_space, block: 2}
  - {name: smooth, type: conv, out_channels: 8, kernel: 3, padding: 1}
)";
  const fusim::Network net = load_text("d2s.yaml", text);
  const fusim::Layer& up = net.layer(1);
  CHECK(up.out_shape == fusim::Shape{8, 20, 20});
  CHECK(up.vector_ops_per_item() == 8 * 20 * 20);  // a move per output element
  CHECK(up.arithmetic_per_item().multiplications == 0);
  CHECK(up.arithmetic_per_item().additions == 0);
  CHECK(up.params() == 0);
  // Its rows map as a nearest resize's; a slice of output channels reads its channels' blocks.
  const fusim::LayerGeometry g(up, 1);
  CHECK(g.input_bytes(0, 0, 4, 0, 8) == 2 * 10 * 32);
  CHECK(g.input_bytes(0, 3, 5, 2, 4) == 2 * 10 * 8);  // rows 1-2, channels [8, 16)
  CHECK(g.input_offset(0, 4, 2) == 2 * 10 * 32 + 8);
  // Fused: the input once, the weights once, smooth's output stored.
  const fusim::Arch arch = fusim::load_arch(src("configs/systolic32.yaml"));
  const fusim::FusedGroup fg(net, arch, {0, 1, 2});
  const fusim::CostSink sink = fusim::test::walk_on_one_core(fg, arch, 4);
  CHECK(sink.traffic.ifmap == 16 * 10 * 10);
  CHECK(sink.traffic.weight == 32 * 16 + 8 * 8 * 9);
  CHECK(sink.traffic.ofmap == 8 * 20 * 20);
  fusim::test::on_every_config_and_search(text, [](const fusim::Run& r) {
    fusim::test::check_group_bytes(r.result);
    fusim::test::check_replays(r);
  });
  const std::string back = fusim::network_to_yaml(net);
  CHECK(back.find("type: depth_to_space, inputs: [\"sub\"], block: 2") != std::string::npos);
  CHECK(load_text("d2s_back.yaml", back).layer(1).out_shape == up.out_shape);
}

TEST_CASE("a pad copies its input into a larger map: counts, bytes and fusion", "[elementwise]") {
  const std::string text = R"(name: pad
inputs: [{name: x, shape: [16, 8, 8]}]
layers:
  - {name: c0, type: conv, out_channels: 16, kernel: 1}
  - {name: pd, type: pad, padding: [1, 0, 2, 3]}
  - {name: mp, type: pool, mode: max, kernel: 3, stride: 2}
)";
  const fusim::Network net = load_text("pad.yaml", text);
  const fusim::Layer& pd = net.layer(1);
  CHECK(pd.out_shape == fusim::Shape{16, 11, 11});  // 8 + 1 + 2 rows, 8 + 0 + 3 columns
  CHECK(pd.vector_ops_per_item() == 16 * 11 * 11);  // a move per output element
  CHECK(pd.arithmetic_per_item().multiplications == 0);
  CHECK(pd.params() == 0);
  CHECK(net.layer(2).out_shape == fusim::Shape{16, 5, 5});
  // Layer by layer: the pad reads its input once and writes the padded map.
  const auto r = run("pad_run.yaml", text);
  CHECK(r->result.sim.traffic.ofmap_write == 16 * 64 + 16 * 121 + 16 * 25);
  CHECK(r->result.sim.traffic.ifmap_read == 16 * 64 + 16 * 64 + 16 * 121);
  // Fused: the padded rows come from c0's on chip; only the pool's output is stored.
  const fusim::Arch arch = fusim::load_arch(src("configs/systolic32.yaml"));
  const fusim::FusedGroup g(net, arch, {0, 1, 2});
  const fusim::CostSink sink = fusim::test::walk_on_one_core(g, arch, 2);
  CHECK(sink.traffic.ifmap == 16 * 64);
  CHECK(sink.traffic.ofmap == 16 * 25);
  fusim::test::check_every_search(src("configs/systolic32.yaml"), "pad_run.yaml", text);
  CHECK(fusim::network_to_yaml(net).find("type: pad, inputs: [\"c0\"], padding: [1, 0, 2, 3]") !=
        std::string::npos);
}

TEST_CASE("a pad with negative sides crops: counts, rows read, bytes and fusion", "[elementwise]") {
  // The last row and column of a 2x upsampling cropped (a transposed conv of kernel 3, stride
  // 2, padding 1 gives 2 H - 1), and one row off the top of another map.
  const std::string text = R"(name: crop
inputs: [{name: x, shape: [16, 8, 8]}]
layers:
  - {name: up, type: resize, scale: 2}
  - {name: cr, type: pad, padding: [0, 0, -1, -1]}
  - {name: c1, type: conv, out_channels: 8, kernel: 3, padding: 1}
  - {name: top, type: pad, inputs: [c1], padding: [-1, 0, 0, 0]}
)";
  const fusim::Network net = load_text("crop.yaml", text);
  const fusim::Layer& cr = net.layer(1);
  CHECK(cr.out_shape == fusim::Shape{16, 15, 15});
  CHECK(cr.vector_ops_per_item() == 16 * 15 * 15);  // a move per output element
  CHECK(net.layer(3).out_shape == fusim::Shape{8, 14, 15});
  // Output rows [2, 5) of `top` are input rows [3, 6).
  const fusim::LayerGeometry g(net.layer(3), 1);
  CHECK(g.input_bytes(0, 2, 5, 0, 8) == 3 * 15 * 8);
  CHECK(g.input_offset(0, 2, 0) == 3 * 15 * 8);
  // Layer by layer: a crop reads the input rows it keeps, whole rows (the cropped columns too).
  const auto r = run("crop_run.yaml", text);
  CHECK(r->result.sim.traffic.ifmap_read == 16 * 64 + 16 * 15 * 16 + 16 * 15 * 15 + 8 * 14 * 15);
  CHECK(r->result.sim.traffic.ofmap_write == 16 * 256 + 16 * 15 * 15 + 8 * 15 * 15 + 8 * 14 * 15);
  fusim::test::check_every_search(src("configs/systolic32.yaml"), "crop_run.yaml", text);
  // Fused, the crop takes its rows from the resize's on chip.
  const fusim::Arch arch = fusim::load_arch(src("configs/systolic32.yaml"));
  const fusim::FusedGroup fg(net, arch, {0, 1, 2});
  const fusim::CostSink sink = fusim::test::walk_on_one_core(fg, arch, 3);
  CHECK(sink.traffic.ifmap == 16 * 64);
  CHECK(sink.traffic.ofmap == 8 * 15 * 15);
  CHECK(fusim::network_to_yaml(net).find("padding: [0, 0, -1, -1]") != std::string::npos);
}
