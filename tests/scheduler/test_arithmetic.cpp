// Multiplications and additions counted apart (report.json's `multiplications`, `additions`):
// each layer type and activation against its closed form, and the network's sum.
#include <catch2/catch.hpp>

#include "network/network.h"
#include "network/network_io.h"
#include "test_util.h"

namespace {

using fusim::Activation;
using fusim::Arithmetic;
using fusim::test::write_temp;

// x [16, 8, 8] and a gate g [32, 1, 1], batch 2.
const char* kNet = R"(name: arith
batch: 2
inputs: [{name: x, shape: [16, 8, 8]}, {name: g, shape: [32, 1, 1]}]
layers:
  - {name: c1, type: conv, inputs: [x], out_channels: 32, kernel: 3, padding: 1, activation: relu}
  - {name: c2, type: conv, inputs: [c1], out_channels: 32, kernel: 1, activation: silu}
  - {name: dw, type: conv, inputs: [c2], out_channels: 32, kernel: 3, padding: 1, groups: 32}
  - {name: ap, type: pool, inputs: [dw], mode: avg, kernel: 2, stride: 2}
  - {name: mp, type: pool, inputs: [dw], mode: max, kernel: 2, stride: 2, activation: hardswish}
  - {name: gp, type: pool, inputs: [dw], mode: avg, global: true}
  - {name: sum, type: add, inputs: [ap, mp, mp]}
  - {name: gate, type: mul, inputs: [sum, g]}
  - {name: hs, type: activation, inputs: [gate], activation: hardsigmoid}
  - {name: rl, type: activation, inputs: [hs], activation: relu}
  - {name: dv, type: div, inputs: [rl, g]}
  - {name: mx, type: max, inputs: [dv, rl]}
)";

Arithmetic of(const fusim::Network& net, const std::string& name) {
  return net.layer(net.find_layer(name)).arithmetic_per_item();
}

}  // namespace

TEST_CASE("activation functions: multiplications and additions per element", "[arithmetic]") {
  const std::vector<std::tuple<Activation, std::int64_t, std::int64_t>> table = {
      {Activation::None, 0, 0}, {Activation::Relu, 0, 0},        {Activation::Relu6, 0, 0},
      {Activation::Clip, 0, 0}, {Activation::LeakyRelu, 1, 0},   {Activation::Sigmoid, 0, 0},
      {Activation::Silu, 1, 0}, {Activation::HardSigmoid, 1, 1}, {Activation::HardSwish, 2, 1},
      {Activation::Gelu, 1, 0}, {Activation::Tanh, 0, 0}};
  for (const auto& [a, mul, add] : table) {
    INFO(fusim::to_string(a));
    const Arithmetic got = fusim::activation_arithmetic_per_element(a);
    CHECK(got.multiplications == mul);
    CHECK(got.additions == add);
    // Never more than the function's vector operations.
    CHECK(got.multiplications + got.additions <= fusim::activation_ops_per_element(a));
  }
}

TEST_CASE("layers: multiplications and additions against closed forms", "[arithmetic]") {
  const fusim::Network net = fusim::load_network(write_temp("arith.yaml", kNet));
  const std::int64_t map = 32 * 8 * 8, quarter = 32 * 4 * 4;
  struct Want {
    const char* layer;
    std::int64_t mul, add;
  };
  const std::vector<Want> want = {
      // A MAC is one of each; relu as an attribute is a free clamp.
      {"c1", map * 16 * 9, map * 16 * 9},
      // silu as an attribute: one multiplication per output element.
      {"c2", map * 32 + map, map * 32},
      {"dw", map * 9, map * 9},
      // Average pool: each window element added, each output scaled by 1 / window.
      {"ap", quarter, quarter * 4},
      // Max pool compares; its hardswish attribute: two multiplications and an addition.
      {"mp", 2 * quarter, quarter},
      // Global average: every input element added, one scale per channel.
      {"gp", 32, map},
      // Three operands: two additions per output element.
      {"sum", 0, 2 * quarter},
      {"gate", quarter, 0},
      {"hs", quarter, quarter},
      // A relu layer compares.
      {"rl", 0, 0},
      // Division: a reciprocal lookup and a multiplication.
      {"dv", quarter, 0},
      {"mx", 0, 0},
  };
  Arithmetic sum;
  for (const Want& w : want) {
    INFO(w.layer);
    const Arithmetic got = of(net, w.layer);
    CHECK(got.multiplications == w.mul);
    CHECK(got.additions == w.add);
    sum += got;
  }
  const Arithmetic total = net.total_arithmetic();
  CHECK(total.multiplications == 2 * sum.multiplications);
  CHECK(total.additions == 2 * sum.additions);
  // The MACs are in both.
  CHECK(total.multiplications >= net.total_macs());
  CHECK(total.additions >= net.total_macs());
}
