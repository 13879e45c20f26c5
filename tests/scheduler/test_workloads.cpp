// Every shipped real network against its published MAC and parameter counts (within the
// tolerance in tests/data/published.yaml, 1 %), and the tiny test networks exactly.
#include <algorithm>
#include <cmath>

#include <yaml-cpp/yaml.h>
#include <catch2/catch.hpp>

#include "network/network.h"
#include "network/network_io.h"
#include "test_util.h"

using fusim::test::src;

TEST_CASE("real workloads match their published MAC and parameter counts", "[workloads]") {
  const YAML::Node published = YAML::LoadFile(src("tests/data/published.yaml"));
  const double tolerance = published["tolerance"].as<double>();
  REQUIRE(tolerance <= 0.01);
  int checked = 0;
  for (const auto& entry : published["networks"]) {
    const std::string file = entry["workload"].as<std::string>();
    DYNAMIC_SECTION(file) {
      const fusim::Network net = fusim::load_network(src("workloads/" + file));
      const double macs = static_cast<double>(net.total_macs());
      const double params = static_cast<double>(net.total_params());
      const double pub_macs = entry["macs"].as<double>();
      const double pub_params = entry["params"].as<double>();
      // A figure published rounded to `macs_unit`: the distance to the values that round to it.
      const double half_unit = entry["macs_unit"] ? entry["macs_unit"].as<double>() / 2 : 0;
      INFO(file << ": MACs " << macs << " vs " << pub_macs << ", params " << params << " vs "
                << pub_params);
      CHECK(std::max(0.0, std::abs(macs - pub_macs) - half_unit) / pub_macs <= tolerance);
      CHECK(std::abs(params - pub_params) / pub_params <= tolerance);
    }
    ++checked;
  }
  CHECK(checked == 15);
}

TEST_CASE("tiny chain: exact counts from its closed form", "[workloads]") {
  const fusim::Network net = fusim::load_network(src("workloads/tiny_chain.yaml"));
  REQUIRE(net.layers().size() == 3);
  // conv1 8*16*16*3*9, conv2 16*8*8*8*9, fc 1024*10
  CHECK(net.total_macs() == 55296 + 73728 + 10240);
  CHECK(net.total_params() == 216 + 1152 + 10250);
  CHECK(net.layer(1).out_shape == fusim::Shape{16, 8, 8});
}

TEST_CASE("MobileNetV2 shapes and layer kinds", "[workloads]") {
  const fusim::Network net = fusim::load_network(src("workloads/mobilenetv2.yaml"));
  int depthwise = 0, adds = 0;
  for (const auto& l : net.layers()) {
    depthwise += l.is_depthwise() ? 1 : 0;
    adds += l.type == fusim::LayerType::Add ? 1 : 0;
  }
  CHECK(depthwise == 17);  // one per inverted-residual block
  CHECK(adds == 10);       // residual connections where stride 1 and channels match
  CHECK(net.layers().back().out_shape == fusim::Shape{1000, 1, 1});
}

TEST_CASE("EfficientNet-B0 and MobileNetV3-Large: squeeze-excitation blocks", "[workloads]") {
  struct Expect {
    const char* file;
    int se_blocks;
    fusim::Activation gate;
  };
  for (const Expect& e :
       {Expect{"workloads/efficientnet_b0.yaml", 16, fusim::Activation::Sigmoid},
        Expect{"workloads/mobilenetv3_large.yaml", 8, fusim::Activation::HardSigmoid}}) {
    INFO(e.file);
    const fusim::Network net = fusim::load_network(src(e.file));
    int gates = 0;
    for (const auto& l : net.layers()) {
      if (l.type != fusim::LayerType::Mul) continue;
      ++gates;
      // The block's map times its [C, 1, 1] gate, a 1x1 conv with the gate's function whose
      // input comes from the global average pool of that same map.
      REQUIRE(l.inputs.size() == 2);
      const fusim::Layer& map = net.layer(l.inputs[0].index);
      const fusim::Layer& gate = net.layer(l.inputs[1].index);
      CHECK(gate.out_shape == fusim::Shape{map.out_shape.c, 1, 1});
      CHECK(gate.activation == e.gate);
      const fusim::Layer& pool = net.layer(net.layer(gate.inputs[0].index).inputs[0].index);
      CHECK(pool.global_pool);
      CHECK(pool.inputs[0].index == l.inputs[0].index);
      CHECK(l.out_shape == map.out_shape);
      CHECK(l.vector_ops_per_item() == map.out_shape.elements());
    }
    CHECK(gates == e.se_blocks);
  }
}

TEST_CASE("ShuffleNetV2: channel splits as slice views, shuffles copied or viewed", "[workloads]") {
  const fusim::Network net = fusim::load_network(src("workloads/shufflenetv2.yaml"));
  int slices = 0, copies = 0, views = 0;
  for (const auto& l : net.layers()) {
    if (l.type == fusim::LayerType::Slice) {
      ++slices;
      // Each half of a stride-1 unit's input, viewed in the previous shuffle's copy.
      const fusim::Layer& in = net.layer(l.inputs[0].index);
      CHECK(in.type == fusim::LayerType::Shuffle);
      CHECK(2 * l.out_shape.c == in.out_shape.c);
      CHECK(l.in_pixel_channels[0] == in.out_shape.c);
    }
    if (l.type != fusim::LayerType::Shuffle) continue;
    CHECK(l.groups == 2);
    CHECK(net.layer(l.inputs[0].index).type == fusim::LayerType::Concat);
    (l.is_view() ? views : copies) += 1;
  }
  // 13 stride-1 units split their input in two; 16 units end in a shuffle, all copied but the
  // last, which only conv5 (a dense 1x1) reads.
  CHECK(slices == 26);
  CHECK(copies == 15);
  CHECK(views == 1);
  CHECK(net.layer(net.find_layer("stage4_3_shuffle")).is_view());
  CHECK(net.layer(net.find_layer("conv5")).in_shapes[0] == fusim::Shape{464, 7, 7});
  CHECK(net.layer(net.find_layer("fc")).out_shape == fusim::Shape{1000, 1, 1});
}

TEST_CASE("ResNet-18: basic blocks with projection shortcuts", "[workloads]") {
  const fusim::Network net = fusim::load_network(src("workloads/resnet18.yaml"));
  int adds = 0, projections = 0;
  for (const auto& l : net.layers()) {
    if (l.type == fusim::LayerType::Add) ++adds;
    if (l.name.find("downsample") != std::string::npos) ++projections;
  }
  CHECK(adds == 8);
  CHECK(projections == 3);
  CHECK(net.layer(net.find_layer("layer4_1_add")).out_shape == fusim::Shape{512, 7, 7});
}

TEST_CASE("MobileNetV2 for CIFAR-10 (the ARCHON study's): shapes and layer kinds", "[workloads]") {
  const fusim::Network net = fusim::load_network(src("workloads/mobilenetv2_cifar.yaml"));
  int depthwise = 0, adds = 0;
  for (const auto& l : net.layers()) {
    depthwise += l.is_depthwise() ? 1 : 0;
    adds += l.type == fusim::LayerType::Add ? 1 : 0;
  }
  CHECK(depthwise == 17);
  CHECK(adds == 10);
  // Two blocks downsample: 32 -> 16 -> 8.
  CHECK(net.layer(net.find_layer("conv_last")).out_shape == fusim::Shape{1280, 8, 8});
  // The first block keeps its expansion conv at expansion 1.
  CHECK(net.layer(net.find_layer("b0_expand")).out_shape == fusim::Shape{32, 32, 32});
  CHECK(net.layers().back().out_shape == fusim::Shape{10, 1, 1});
}

TEST_CASE("FusioNet: shapes and layer kinds", "[workloads]") {
  const fusim::Network net = fusim::load_network(src("workloads/fusionet.yaml"));
  int depthwise = 0, adds = 0, shuffles = 0;
  for (const auto& l : net.layers()) {
    depthwise += l.is_depthwise() ? 1 : 0;
    adds += l.type == fusim::LayerType::Add ? 1 : 0;
    shuffles += l.type == fusim::LayerType::Shuffle ? 1 : 0;
  }
  CHECK(depthwise == 17);  // the head's and one per unit
  CHECK(shuffles == 17);
  CHECK(adds == 12);  // units 2-3, 5-7, 9-15
  // Expansions of 74, 37 and 36 times the unit's input channels, 1x1 convs in 4 groups.
  const auto& b1 = net.layer(net.find_layer("b1_expand"));
  CHECK(b1.out_shape == fusim::Shape{2368, 32, 32});
  CHECK(b1.groups == 4);
  CHECK(net.layer(net.find_layer("b8_expand")).out_shape == fusim::Shape{2368, 16, 16});
  CHECK(net.layer(net.find_layer("b16_expand")).out_shape == fusim::Shape{3456, 8, 8});
  CHECK(net.layer(net.find_layer("b16_project")).out_shape == fusim::Shape{160, 8, 8});
  CHECK(net.layers().back().out_shape == fusim::Shape{10, 1, 1});
}

TEST_CASE("BERT-base: encoder layers of attention heads, softmax and layer norms", "[workloads]") {
  const fusim::Network one = fusim::load_network(src("workloads/bert_base_layer.yaml"));
  const fusim::Network net = fusim::load_network(src("workloads/bert_base.yaml"));
  // Per layer: 12 s H^2 + 2 s^2 H MACs and 12 H^2 + 13 H parameters (s = 128, H = 768).
  const std::int64_t s = 128, h = 768;
  CHECK(one.total_macs() == 12 * s * h * h + 2 * s * s * h);
  CHECK(one.total_params() == 12 * h * h + 13 * h);
  CHECK(net.total_macs() == 12 * one.total_macs());
  CHECK(net.total_params() == 12 * one.total_params());
  int heads = 0, softmax = 0, norms = 0;
  for (const auto& l : net.layers()) {
    if (l.type == fusim::LayerType::Gemm && l.heads > 1) {
      ++heads;
      CHECK(l.heads == 12);
      CHECK(l.params() == 0);
    }
    if (l.type == fusim::LayerType::Softmax) {
      ++softmax;
      CHECK(l.out_shape == fusim::Shape{12 * 128, 128, 1});  // [heads x keys, queries, 1]
      CHECK(l.groups == 12);
      CHECK(l.scale == 0.125);
    }
    if (l.type == fusim::LayerType::LayerNorm) {
      ++norms;
      CHECK(l.params() == 2 * h);
    }
  }
  CHECK(heads == 24);
  CHECK(softmax == 12);
  CHECK(norms == 24);
  CHECK(net.layer(net.find_layer("l0_scores")).transpose_b);
  CHECK(net.layer(net.find_layer("l11_context")).out_shape == fusim::Shape{768, 128, 1});
  CHECK(net.layers().back().out_shape == fusim::Shape{768, 128, 1});
  CHECK(net.layer(net.find_layer("l3_ffn_in")).activation == fusim::Activation::Gelu);
}

TEST_CASE("the ARCHON study's compact CIFAR-10 networks: shapes and the authors' parameters",
          "[workloads]") {
  const auto count = [](const fusim::Network& net, auto pred) {
    int n = 0;
    for (const auto& l : net.layers()) n += pred(l) ? 1 : 0;
    return n;
  };
  // The ShuffleNet-like baseline: 16 units of 3 groups, each with a shuffle and a depthwise
  // conv; the authors' Keras summary, without batch norm, has 836,074 parameters.
  const fusim::Network shuffle = fusim::load_network(src("workloads/shufflenet_cifar.yaml"));
  CHECK(count(shuffle, [](const fusim::Layer& l) { return l.is_depthwise(); }) == 16);
  CHECK(count(shuffle, [](const fusim::Layer& l) { return l.type == fusim::LayerType::Shuffle; }) ==
        16);
  CHECK(shuffle.total_params() == 836074);
  CHECK(shuffle.layers().back().out_shape == fusim::Shape{10, 1, 1});
  // The modified MobileNetV2: after the expansion-1 block, 14 blocks expanding to 864 channels
  // whose fused weights the artifact prunes to 0.013; 1,070,026 parameters (Keras, no BN).
  const fusim::Network mod = fusim::load_network(src("workloads/mobilenetv2_cifar_mod.yaml"));
  CHECK(count(mod, [](const fusim::Layer& l) { return l.is_depthwise(); }) == 15);
  CHECK(count(mod, [](const fusim::Layer& l) {
          return l.name.find("_expand") != std::string::npos && l.out_shape.c == 864;
        }) == 14);
  CHECK(count(mod, [](const fusim::Layer& l) { return l.fused_prune == 0.013; }) == 14);
  CHECK(mod.total_params() == 1070026);
  CHECK(mod.layer(mod.find_layer("conv_last")).out_shape == fusim::Shape{1280, 8, 8});
  // MnasNet: a separable head and 15 blocks, 8 with squeeze-excitation (a sigmoid gate each),
  // two of them downsampling; no 1x1 conv to 1280 before the pool.
  const fusim::Network mnas = fusim::load_network(src("workloads/mnasnet_cifar.yaml"));
  CHECK(count(mnas, [](const fusim::Layer& l) { return l.is_depthwise(); }) == 16);
  CHECK(count(mnas, [](const fusim::Layer& l) {
          return l.activation == fusim::Activation::Sigmoid;
        }) == 8);
  CHECK(count(mnas, [](const fusim::Layer& l) { return l.out_shape.c == 1280; }) == 0);
  CHECK(mnas.layers().back().out_shape == fusim::Shape{10, 1, 1});
}
