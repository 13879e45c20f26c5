// The transformer operators (docs/network-format.md, "Sequences and attention"): reductions
// over channels (softmax, layernorm, reduce) and the gemm of two activations with heads; their
// shapes, counts, bytes and cycles against closed forms, how they tile and fuse, and the
// loader's errors.
#include <catch2/catch.hpp>

#include "arch/arch_io.h"
#include "common/checked.h"
#include "cost/fused_plan.h"
#include "cost/tiling.h"
#include "network/network.h"
#include "network/network_io.h"
#include "test_util.h"

namespace {

using fusim::LayerType;
using fusim::Shape;
using fusim::test::error_of;
using fusim::test::load_text;
using fusim::test::src;
using fusim::test::write_temp;

std::unique_ptr<fusim::Run> run(const std::string& name, const std::string& text,
                                const std::string& fusion = "none",
                                std::vector<std::string> overrides = {}) {
  return fusim::test::run(src("configs/systolic32.yaml"), write_temp(name, text),
                          std::move(overrides), fusion);
}

// One attention head group at toy size: 4 heads of d = 8 over 16 tokens, hidden 32.
const char* kAttention = R"(name: attention
inputs: [{name: x, shape: [32, 16, 1]}]
layers:
  - {name: q, type: gemm, inputs: [x], m: 16, n: 32, k: 32, bias: true}
  - {name: k, type: gemm, inputs: [x], m: 16, n: 32, k: 32, bias: true}
  - {name: v, type: gemm, inputs: [x], m: 16, n: 32, k: 32, bias: true}
  - {name: scores, type: gemm, inputs: [q, k], m: 16, n: 16, k: 8, heads: 4, transpose_b: true}
  - {name: probs, type: softmax, groups: 4, scale: 0.35355339059327373}
  - {name: ctx, type: gemm, inputs: [probs, v], m: 16, n: 8, k: 16, heads: 4}
  - {name: out, type: gemm, m: 16, n: 32, k: 32, bias: true}
  - {name: res, type: add, inputs: [out, x]}
  - {name: norm, type: layernorm, bias: true}
  - {name: mean, type: reduce, mode: mean}
)";

// Walks the fused group `g` in `tiles` row tiles on one core; every member's first tile makes
// `first_rows` rows.
fusim::CostSink walk_one_core(const fusim::FusedGroup& g, const fusim::Arch& arch,
                              std::int64_t tiles, std::int64_t first_rows) {
  const fusim::CostSink sink = fusim::test::walk_on_one_core(g, arch, tiles);
  const std::vector<std::int64_t> p = g.progress(tiles);
  for (std::size_t m = 0; m < g.layers().size(); ++m)
    CHECK(fusim::FusedGroup::rows_done(p, tiles, m, 0) == first_rows);
  return sink;
}

}  // namespace

TEST_CASE("reductions over channels: shapes, vector operations and arithmetic", "[transformer]") {
  const fusim::Network net = load_text("reductions.yaml", R"(name: r
inputs: [{name: x, shape: [1536, 128, 1]}, {name: h, shape: [768, 128, 1]}]
layers:
  - {name: sm, type: softmax, inputs: [x], groups: 12, scale: 0.125}
  - {name: sm1, type: softmax, inputs: [h]}
  - {name: ln, type: layernorm, inputs: [h], bias: true}
  - {name: ln_nobias, type: layernorm, inputs: [h]}
  - {name: mean, type: reduce, inputs: [h], mode: mean}
  - {name: sum, type: reduce, inputs: [h], mode: sum}
)");
  const std::int64_t e = 1536 * 128, eh = 768 * 128, px = 128;
  const fusim::Layer& sm = net.layer(0);
  CHECK(sm.out_shape == Shape{1536, 128, 1});
  // 5 per element (max, subtract with the scale, exponent, accumulate, multiply) and one
  // reciprocal per row of each of the 12 heads.
  CHECK(sm.vector_ops_per_item() == 5 * e + 12 * px);
  CHECK(sm.arithmetic_per_item().additions == 2 * e);
  CHECK(sm.arithmetic_per_item().multiplications == 2 * e);  // the scale's multiply too
  CHECK(net.layer(1).vector_ops_per_item() == 5 * eh + px);
  CHECK(net.layer(1).arithmetic_per_item().multiplications == eh);
  // Layer norm: 6 per element, 3 per pixel; its scale and bias are its parameters.
  const fusim::Layer& ln = net.layer(2);
  CHECK(ln.out_shape == Shape{768, 128, 1});
  CHECK(ln.vector_ops_per_item() == 6 * eh + 3 * px);
  CHECK(ln.params() == 2 * 768);
  CHECK(ln.macs_per_item() == 0);
  CHECK(ln.arithmetic_per_item().additions == 4 * eh + px);
  CHECK(ln.arithmetic_per_item().multiplications == 3 * eh + 2 * px);
  CHECK(net.layer(3).params() == 768);
  CHECK(net.layer(3).arithmetic_per_item().additions == 3 * eh + px);
  // Mean and sum over the channels: one channel out.
  CHECK(net.layer(4).out_shape == Shape{1, 128, 1});
  CHECK(net.layer(4).vector_ops_per_item() == eh + px);
  CHECK(net.layer(5).vector_ops_per_item() == eh);
  CHECK(net.layer(4).arithmetic_per_item().multiplications == px);
  CHECK(net.layer(5).arithmetic_per_item().multiplications == 0);
  for (const fusim::Layer& l : net.layers()) {
    CHECK_FALSE(l.runs_on_pe_array());
    CHECK(fusim::reduces_channels(l.type));
  }
}

TEST_CASE("gemm with heads: shapes, MACs, no parameters", "[transformer]") {
  const fusim::Network net = load_text("attention.yaml", kAttention);
  const fusim::Layer& scores = net.layer(net.find_layer("scores"));
  CHECK(scores.out_shape == Shape{4 * 16, 16, 1});
  CHECK(scores.macs_per_item() == 4 * 16 * 16 * 8);
  CHECK(scores.params() == 0);
  const fusim::Layer& ctx = net.layer(net.find_layer("ctx"));
  CHECK(ctx.out_shape == Shape{32, 16, 1});  // the heads' contexts side by side: [hidden, tokens]
  CHECK(ctx.macs_per_item() == 4 * 16 * 8 * 16);
  CHECK(net.layer(net.find_layer("mean")).out_shape == Shape{1, 16, 1});
  // The written network loads back with the same layers.
  const fusim::Network back = load_text("attention_back.yaml", fusim::network_to_yaml(net));
  for (std::size_t i = 0; i < net.layers().size(); ++i) {
    const fusim::Layer& a = net.layer(static_cast<int>(i));
    const fusim::Layer& b = back.layer(static_cast<int>(i));
    CHECK(a.out_shape == b.out_shape);
    CHECK(a.heads == b.heads);
    CHECK(a.transpose_b == b.transpose_b);
    CHECK(a.groups == b.groups);
    CHECK(a.scale == b.scale);
    CHECK(a.vector_ops_per_item() == b.vector_ops_per_item());
  }
}

TEST_CASE("gemm with heads: each chunk reads its heads' columns of A and of B", "[transformer]") {
  const fusim::Network net = load_text("attention.yaml", kAttention);
  const fusim::LayerGeometry s(net.layer(net.find_layer("scores")), 1);
  CHECK(s.channels() == 64);
  CHECK(s.channels_per_group() == 16);
  // Heads 1 and 2 (output channels [16, 48)): A's columns [8, 24) of every row, two GEMMs.
  CHECK(s.input_bytes(0, 0, 4, 16, 48) == 4 * 16);
  CHECK(s.input_offset(0, 2, 16) == 2 * 32 + 8);
  CHECK(s.input_layout(0, 16, 48).piece_bytes == 16);
  CHECK(s.input_layout(0, 16, 48).stride_bytes == 32);
  const fusim::TileWork w = s.work(0, 4, 16, 48);
  CHECK(w.count == 2);
  CHECK(w.m == 4);
  CHECK(w.n == 16);
  CHECK(w.k == 8);
  // B^T (the keys, [32, 16, 1]): the chunk's heads' 8 channels of each of the 16 rows.
  CHECK(s.weight_bytes(16, 48) == 32 * 8);
  CHECK(s.b_offset(16) == 8);
  CHECK(s.b_layout(16, 48).piece_bytes == 16);
  CHECK(s.b_layout(16, 48).stride_bytes == 32);
  // Columns [3, 7) of head 2: rows 3-6 of B^T, head 2's 8 channels.
  CHECK(s.b_offset(2 * 16 + 3) == 3 * 32 + 2 * 8);
  CHECK(s.channel_range_exact(35, 39));
  CHECK_FALSE(s.channel_range_exact(8, 24));
  // B as stored ([heads n, k, 1], the values): channels [k0, k1) of each of its k rows.
  const fusim::LayerGeometry c(net.layer(net.find_layer("ctx")), 1);
  CHECK(c.b_offset(8) == 8);
  CHECK(c.b_layout(8, 24).piece_bytes == 16);
  CHECK(c.b_layout(8, 24).stride_bytes == 32);
  CHECK(c.b_layout(0, 32).piece_bytes == 0);
}

TEST_CASE("attention layer by layer: bytes and cycles against closed forms", "[transformer]") {
  // systolic32: one core, int8. The scores gemm alone: A (q, 16 x 32) and B (k, 16 x 32) read
  // once each (a chunk of whole heads reads only its heads' columns of A), the 64 x 16 scores
  // written once.
  const std::string text = R"(name: s
inputs: [{name: q, shape: [32, 16, 1]}, {name: k, shape: [32, 16, 1]}]
layers:
  - {name: scores, type: gemm, inputs: [q, k], m: 16, n: 16, k: 8, heads: 4, transpose_b: true}
)";
  const auto r = run("scores.yaml", text);
  CHECK(r->result.sim.traffic.ifmap_read == 32 * 16 + 32 * 16);
  CHECK(r->result.sim.traffic.weight_read == 0);
  CHECK(r->result.sim.traffic.ofmap_write == 64 * 16);
  CHECK(r->result.sim.layers[0].macs == 4 * 16 * 16 * 8);
  fusim::test::check_group_bytes(r->result);
  fusim::test::check_replays(*r);

  // A layer norm alone: its input and output once, its scale and bias once; 6 vector operations
  // per element and 3 per pixel on 32 lanes, 4 cycles of latency per tile.
  const auto n = run("norm.yaml", R"(name: n
inputs: [{name: x, shape: [64, 16, 1]}]
layers:
  - {name: norm, type: layernorm, bias: true}
)");
  const fusim::LayerTiling t = fusim::plan_layer_tiling(n->net->layer(0), *n->arch, 64, 1);
  REQUIRE(t.channels_per_tile == 64);
  CHECK(n->result.sim.traffic.ifmap_read == 64 * 16);
  CHECK(n->result.sim.traffic.weight_read == 2 * 64);
  CHECK(n->result.sim.traffic.ofmap_write == 64 * 16);
  std::int64_t busy = 0;
  for (std::int64_t r0 = 0; r0 < 16; r0 += t.rows_per_tile) {
    const std::int64_t rows = std::min<std::int64_t>(t.rows_per_tile, 16 - r0);
    busy += fusim::ceil_div(rows * (6 * 64 + 3), 32) + 4;
  }
  CHECK(n->result.sim.cores[0].compute_busy_cycles == busy);
  CHECK(n->result.sim.cores[0].actions.vector_ops == 64 * 16 * 6 + 16 * 3);
  fusim::test::check_group_bytes(n->result);
}

TEST_CASE("a reduction over channels tiles whole runs of channels", "[transformer]") {
  // 4,096 channels in 4 runs of 1,024: with 4 KiB output buffers (2 KiB halves) a tile of one
  // row takes 2 whole runs, never a part of one.
  const std::string sm = R"(name: sm
inputs: [{name: x, shape: [4096, 8, 1]}]
layers:
  - {name: sm, type: softmax, groups: 4}
)";
  const std::vector<std::string> small = {"cores.buffers.output.capacity_bytes=4096",
                                          "cores.buffers.input.capacity_bytes=4096"};
  const auto r = run("runs.yaml", sm, "none", small);
  const fusim::LayerTiling t = fusim::plan_layer_tiling(r->net->layer(0), *r->arch, 4096, 1);
  CHECK(t.channels_per_tile == 2048);
  CHECK(r->result.sim.cores[0].actions.vector_ops == 8 * (5 * 4096 + 4));
  fusim::test::check_group_bytes(r->result);
  // A layer norm needs all 4,096 channels of a row together: a whole buffer holds one row...
  const auto ln = run("ln_runs.yaml", R"(name: ln
inputs: [{name: x, shape: [4096, 8, 1]}]
layers:
  - {name: ln, type: layernorm}
)",
                      "none", small);
  const fusim::LayerTiling tl = fusim::plan_layer_tiling(ln->net->layer(0), *ln->arch, 4096, 1);
  CHECK(tl.channels_per_tile == 4096);
  CHECK_FALSE(tl.double_buffered);
  fusim::test::check_group_bytes(ln->result);
  // ... and 2 KiB cannot: the error names the buffer.
  const std::string path = write_temp("ln_small.yaml", R"(name: ln
inputs: [{name: x, shape: [4096, 8, 1]}]
layers:
  - {name: ln, type: layernorm}
)");
  const auto e = error_of([&] {
    fusim::test::run(
        src("configs/systolic32.yaml"), path,
        {"cores.buffers.output.capacity_bytes=2048", "cores.buffers.input.capacity_bytes=2048"});
  });
  REQUIRE(e);
  CHECK_THAT(e->what(), Catch::Contains("capacity_bytes"));
  CHECK_THAT(e->what(), Catch::Contains("'ln'"));
}

TEST_CASE("a reduction over channels fuses with row tiles, one over tokens is a barrier",
          "[transformer]") {
  const std::string text = R"(name: f
inputs: [{name: x, shape: [64, 32, 1]}, {name: y, shape: [64, 32, 1]}]
layers:
  - {name: res, type: add, inputs: [x, y]}
  - {name: norm, type: layernorm, bias: true}
  - {name: sm, type: softmax, groups: 2}
  - {name: tokens, type: pool, mode: avg, global: true}
)";
  const fusim::Network net = load_text("fuse.yaml", text);
  const fusim::Arch arch = fusim::load_arch(src("configs/systolic32.yaml"));
  // Add, layer norm, softmax: row tile t of each needs row tile t of the one before only.
  const fusim::CostSink sink = walk_one_core(fusim::FusedGroup(net, arch, {0, 1, 2}), arch, 4, 8);
  CHECK(sink.traffic.ifmap == 2 * 64 * 32);
  CHECK(sink.traffic.weight == 2 * 64);
  CHECK(sink.traffic.ofmap == 64 * 32);
  // The mean over the tokens (a global pool over [C, tokens, 1]) needs every row: its producer
  // computes all of them in the first tile.
  const fusim::FusedGroup b(net, arch, {1, 2, 3});
  REQUIRE(b.unfusable_reason().empty());
  const std::vector<std::int64_t> pb = b.progress(1);
  CHECK(fusim::FusedGroup::rows_done(pb, 1, 0, 0) == 32);
  CHECK(b.max_tiles() == 1);
  fusim::test::on_every_config_and_search(
      text, [](const fusim::Run& r) { fusim::test::check_group_bytes(r.result); });
}

TEST_CASE("an attention block: bytes exact on every config and search", "[transformer]") {
  fusim::test::on_every_config_and_search(kAttention, [](const fusim::Run& r) {
    fusim::test::check_group_bytes(r.result);
    fusim::test::check_replays(r);
    std::int64_t macs = 0;
    for (const auto& l : r.result.sim.layers) macs += l.macs;
    CHECK(macs == r.net->total_macs());
  });
}

TEST_CASE("a gemm on tokens fuses row by row: the FFN block's bytes, fused and simulated",
          "[transformer]") {
  // A token's row of each gemm reads that token's row of its input alone: the FFN (gemm +
  // GELU, gemm, residual add, layer norm) tiles by tokens with no halo. 8 tokens a tile.
  const std::string text = R"(name: ffn
inputs: [{name: x, shape: [64, 32, 1]}]
layers:
  - {name: ffn_in, type: gemm, m: 32, n: 256, k: 64, bias: true, activation: gelu}
  - {name: ffn_out, type: gemm, m: 32, n: 64, k: 256, bias: true}
  - {name: ffn_add, type: add, inputs: [ffn_out, x]}
  - {name: ffn_norm, type: layernorm, bias: true}
  - {name: scores, type: gemm, inputs: [ffn_norm, x], m: 32, n: 32, k: 64, transpose_b: true}
)";
  const fusim::Network net = load_text("ffn.yaml", text);
  const fusim::Arch arch = fusim::load_arch(src("configs/systolic32.yaml"));
  const fusim::CostSink sink =
      walk_one_core(fusim::FusedGroup(net, arch, {0, 1, 2, 3}), arch, 4, 8);
  // The input once (the residual add reads the rows the first gemm loaded), the norm's rows
  // stored, the weights (33,216 bytes, within the 64 KiB weight buffer) once.
  CHECK(sink.traffic.ifmap == 64 * 32);
  CHECK(sink.traffic.ofmap == 64 * 32);
  CHECK(sink.traffic.weight == (64 * 256 + 256) + (256 * 64 + 64) + 2 * 64);
  CHECK(sink.macs == 32 * 256 * 64 + 32 * 64 * 256);
  // Every search and objective, with buffers large enough for the weights to stay: the
  // simulator moves the cost model's bytes, group by group.
  fusim::test::check_every_search(
      src("configs/systolic32.yaml"), "ffn_run.yaml", text,
      {"cores.buffers.weight.capacity_bytes=262144", "cores.buffers.input.capacity_bytes=65536"});
  const auto fused = run(
      "ffn_run.yaml", text, "optimal",
      {"cores.buffers.weight.capacity_bytes=262144", "cores.buffers.input.capacity_bytes=65536"});
  CHECK(fused->program->schedule.groups.size() < 5);  // some gemms fused
}

TEST_CASE("attention fuses by query rows: scores and probabilities stay on chip", "[transformer]") {
  // scores = Q K^T per head, softmax, context = P V: a tile of query rows reads those rows of Q
  // and all of K and V (loaded once, kept while the tiles run), and holds whole rows of scores,
  // as its softmax needs. Only the context leaves the chip.
  const fusim::Network net = load_text("attention.yaml", kAttention);
  const fusim::Arch arch = fusim::load_arch(src("configs/systolic32.yaml"));
  const fusim::FusedGroup g(net, arch, {3, 4, 5});
  CHECK(g.weight_bytes() == 0);  // K and V are operands, not weights
  const fusim::CostSink sink = walk_one_core(g, arch, 4, 4);
  CHECK(sink.traffic.ifmap == 3 * 32 * 16);  // Q by rows, K and V whole, once each
  CHECK(sink.traffic.weight == 0);
  CHECK(sink.traffic.ofmap == 32 * 16);
  // 4 heads: Q K^T 16 x 16 x 8 and P V 16 x 8 x 16 each.
  CHECK(sink.macs == 4 * (16 * 16 * 8) + 4 * (16 * 8 * 16));
  // With the projections of K and V: each core's band would compute all of them again.
  const fusim::FusedGroup all(net, arch, {0, 1, 2, 3, 4, 5});
  CHECK_THAT(all.unfusable_reason(), Catch::Contains("reads its B operand ('k') whole"));
  // Q's projection fuses: its rows feed the scores' rows.
  const fusim::FusedGroup with_q(net, arch, {0, 3, 4, 5});
  REQUIRE(with_q.unfusable_reason().empty());
  CHECK(fusim::FusedGroup::rows_done(with_q.progress(4), 4, 0, 0) ==
        4);  // q: the first of 4 tiles' rows
}

TEST_CASE("transformer keys: errors name file, line and key", "[transformer]") {
  fusim::test::check_layer_errors(
      "[{name: q, shape: [32, 16, 1]}]",
      {
          {"{name: a, type: gemm, inputs: [q], m: 16, n: 8, k: 32, heads: 4}", "layers[0].heads",
           "two activations"},
          {"{name: a, type: gemm, inputs: [q], m: 16, n: 8, k: 32, transpose_b: true}",
           "layers[0].transpose_b", "two activations"},
          {"{name: a, type: gemm, inputs: [q, q], m: 16, n: 8, k: 8, heads: 4}", "layers.a",
           "need [32, 8, 1] ([heads * n, k, 1])"},
          {"{name: a, type: gemm, inputs: [q, q], m: 16, n: 16, k: 8, heads: 8, transpose_b: true}",
           "layers.a", "operand A from 'q' is [32, 16, 1], but 8 heads"},
          {"{name: a, type: gemm, inputs: [q, q], m: 16, n: 16, k: 8, heads: 0}", "layers[0].heads",
           ""},
          {"{name: a, type: softmax, inputs: [q], groups: 5}", "layers.a",
           "groups (5) must divide the input channels"},
          {"{name: a, type: softmax, inputs: [q], scale: x}", "layers[0].scale",
           "expected a number"},
          {"{name: a, type: softmax, inputs: [q, q]}", "layers.a", "takes 1 input(s), got 2"},
          {"{name: a, type: layernorm, inputs: [q], groups: 2}", "layers[0].groups", "unknown key"},
          {"{name: a, type: reduce, inputs: [q]}", "layers[0].mode", "missing required key"},
          {"{name: a, type: reduce, inputs: [q], mode: max}", "layers[0].mode", "mean"},
      });
}

TEST_CASE("a causal softmax: one select per score more, the same bytes, errors", "[transformer]") {
  // A decoder's attention: the kAttention block with the causal mask on its softmax.
  std::string text = kAttention;
  const std::string from = "scale: 0.35355339059327373}";
  text.replace(text.find(from), from.size(), "scale: 0.35355339059327373, causal: true}");
  const fusim::Network net = load_text("causal.yaml", text);
  const fusim::Layer& probs = net.layer(net.find_layer("probs"));
  CHECK(probs.causal);
  const std::int64_t e = 4 * 16 * 16, rows = 16;
  CHECK(probs.vector_ops_per_item() == 6 * e + 4 * rows);
  // A select is a comparison: no arithmetic more.
  CHECK(probs.arithmetic_per_item().additions == 2 * e);
  CHECK(probs.arithmetic_per_item().multiplications == 2 * e);
  // Written and read back.
  const std::string yaml = fusim::network_to_yaml(net);
  CHECK(yaml.find("causal: true") != std::string::npos);
  CHECK(load_text("causal_back.yaml", yaml).layer(net.find_layer("probs")).causal);
  // Its bytes are the plain softmax's, on every search; the vector unit's time grows.
  const auto plain = run("plain.yaml", kAttention);
  const auto causal = run("causal.yaml", text);
  CHECK(causal->result.sim.traffic.read() == plain->result.sim.traffic.read());
  CHECK(causal->result.sim.traffic.write() == plain->result.sim.traffic.write());
  CHECK(causal->result.sim.cycles > plain->result.sim.cycles);
  fusim::test::check_every_search(src("configs/systolic32.yaml"), "causal.yaml", text);
  // Scores of fewer keys than queries have no causal mask; `causal` is true or false.
  fusim::test::check_layer_errors(
      "[{name: x, shape: [8, 16, 1]}]",
      {{"{name: p, type: softmax, groups: 2, causal: true}", "layers.p", "keys >= queries"},
       {"{name: p, type: softmax, causal: 3}", "layers[0].causal", "expected true or false"}});
}

namespace {

// MLP-Mixer's block in miniature: 49 tokens of 64 features; the token-mixing MLP runs over
// the transposed sequence.
const char* kMixer = R"(name: mixer_block
inputs: [{name: x, shape: [64, 49, 1]}]
layers:
  - {name: ln1, type: layernorm, bias: true}
  - {name: t1, type: transpose}
  - {name: tok1, type: gemm, m: 64, n: 32, k: 49, bias: true, activation: gelu}
  - {name: tok2, type: gemm, m: 64, n: 49, k: 32, bias: true}
  - {name: t2, type: transpose}
  - {name: res1, type: add, inputs: [t2, x]}
  - {name: ln2, type: layernorm, bias: true}
  - {name: ch1, type: gemm, m: 49, n: 256, k: 64, bias: true, activation: gelu}
  - {name: ch2, type: gemm, m: 49, n: 64, k: 256, bias: true}
  - {name: res2, type: add, inputs: [ch2, res1]}
)";

}  // namespace

TEST_CASE("a transpose copies [C, H, 1] into [H, C, 1]: counts, pieces, bytes, errors",
          "[transformer]") {
  const fusim::Network net = load_text("mixer.yaml", kMixer);
  const fusim::Layer& t1 = net.layer(net.find_layer("t1"));
  CHECK(t1.out_shape == Shape{49, 64, 1});
  CHECK(net.layer(net.find_layer("t2")).out_shape == Shape{64, 49, 1});
  CHECK(t1.vector_ops_per_item() == 49 * 64);  // a move per element
  CHECK(t1.params() == 0);
  CHECK(t1.macs_per_item() == 0);
  CHECK_FALSE(t1.runs_on_pe_array());
  // A tile of output rows [8, 24) x channels [10, 30) reads input rows [10, 30), channels
  // [8, 24): 16-byte pieces, 64 apart, from input row 10's channel 8.
  const fusim::LayerGeometry g(t1, 1);
  CHECK(g.input_bytes(0, 8, 24, 10, 30) == 16 * 20);
  CHECK(g.input_offset(0, 8, 10) == 10 * 64 + 8);
  CHECK(g.tile_input_layout(0, 8, 24, 10, 30).piece_bytes == 16);
  CHECK(g.tile_input_layout(0, 8, 24, 10, 30).stride_bytes == 64);
  CHECK(g.tile_input_layout(0, 0, 64, 10, 30).piece_bytes == 0);  // whole rows: one range
  CHECK(g.output_layout(10, 30).piece_bytes == 20);
  CHECK(g.output_layout(10, 30).stride_bytes == 49);
  CHECK(g.work(8, 24, 10, 30).ops == 16 * 20);
  // Written and read back.
  const std::string yaml = fusim::network_to_yaml(net);
  CHECK(yaml.find("type: transpose") != std::string::npos);
  CHECK(load_text("mixer_back.yaml", yaml).layer(net.find_layer("t1")).type ==
        LayerType::Transpose);
  // It runs alone or layer by layer: no row tile of a fused group holds it.
  const fusim::Arch arch = fusim::load_arch(src("configs/systolic32.yaml"));
  const fusim::FusedGroup fused(net, arch, {0, 1});
  CHECK(fused.unfusable_reason().find("transpose 't1'") != std::string::npos);

  // Layer by layer on systolic32 (one core, int8): each transpose reads its input and writes
  // its output once, 49 x 64 bytes each way.
  const auto r = run("mixer.yaml", kMixer);
  fusim::test::check_group_bytes(r->result);
  fusim::test::check_replays(*r);
  const auto& groups = r->program->schedule.groups;
  int transposes = 0;
  for (std::size_t i = 0; i < groups.size(); ++i) {
    const fusim::Layer& l = net.layer(groups[i].layers.front());
    if (l.type != LayerType::Transpose) continue;
    ++transposes;
    CHECK(r->result.sim.groups[i].traffic.ifmap_read == 49 * 64);
    CHECK(r->result.sim.groups[i].traffic.ofmap_write == 49 * 64);
  }
  CHECK(transposes == 2);  // layer by layer, each transpose is a group of its own
  fusim::test::on_every_config_and_search(kMixer, [](const fusim::Run& f) {
    fusim::test::check_group_bytes(f.result);
    fusim::test::check_replays(f);
  });
  // On 32 cores (mlu.yaml) it splits by output channels, its input's rows: each core reads
  // whole rows.
  const fusim::Arch mlu = fusim::load_arch(src("configs/mlu.yaml"));
  const fusim::LayerSplit split = fusim::split_layer(g, mlu, 32);
  CHECK(split.row_parts == 1);
  CHECK(split.channel_parts == 32);

  // Only a matrix [C, H, 1] transposes.
  const std::string bad = write_temp("transpose_bad.yaml", R"(name: t
inputs: [{name: x, shape: [8, 4, 4]}]
layers:
  - {name: t, type: transpose}
)");
  const auto err = error_of([&] { fusim::load_network(bad); });
  REQUIRE(err.has_value());
  CHECK(err->line() == 4);
  CHECK(std::string(err->what()).find("matrix [C, H, 1]") != std::string::npos);
}
