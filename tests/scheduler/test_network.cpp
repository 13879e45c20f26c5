// The network IR: topological order from Boost.Graph, reachability, inferred shapes.
#include <catch2/catch.hpp>

#include "network/network.h"
#include "network/network_io.h"
#include "test_util.h"

using fusim::test::write_temp;

TEST_CASE("layers listed out of order are put in a topological order", "[network]") {
  const std::string path = write_temp("out_of_order.yaml", R"(name: ooo
inputs: [{name: x, shape: [4, 8, 8]}]
layers:
  - {name: c, type: add, inputs: [a, b]}
  - {name: a, type: conv, inputs: [x], out_channels: 4, kernel: 3, padding: 1}
  - {name: b, type: conv, inputs: [a], out_channels: 4, kernel: 1}
)");
  const fusim::Network net = fusim::load_network(path);
  const int a = net.find_layer("a"), b = net.find_layer("b"), c = net.find_layer("c");
  CHECK(a < b);
  CHECK(b < c);
  CHECK(net.reaches(a, c));
  CHECK(net.reaches(b, c));
  CHECK_FALSE(net.reaches(c, a));
  CHECK(net.consumers(a) == std::vector<int>{b, c});
  CHECK(net.layer(c).out_shape == fusim::Shape{4, 8, 8});
}

TEST_CASE("tiny DAG: branch, concat and residual shapes", "[network]") {
  const fusim::Network net = fusim::load_network(fusim::test::src("workloads/tiny_dag.yaml"));
  bool has_concat = false, has_add = false;
  for (const auto& l : net.layers()) {
    if (l.type == fusim::LayerType::Concat) {
      has_concat = true;
      std::int64_t c = 0;
      for (const auto& s : l.in_shapes) c += s.c;
      CHECK(l.out_shape.c == c);
    }
    has_add = has_add || l.type == fusim::LayerType::Add;
  }
  CHECK(has_concat);
  CHECK(has_add);
}

TEST_CASE("pooling output sizes: floor, ceil mode and global", "[network]") {
  const std::string path = write_temp("pools.yaml", R"(name: pools
inputs: [{name: x, shape: [2, 112, 112]}]
layers:
  - {name: floor, type: pool, inputs: [x], mode: max, kernel: 3, stride: 2}
  - {name: ceil, type: pool, inputs: [x], mode: max, kernel: 3, stride: 2, ceil_mode: true}
  - {name: global, type: pool, inputs: [x], mode: avg, global: true}
)");
  const fusim::Network net = fusim::load_network(path);
  CHECK(net.layer(net.find_layer("floor")).out_shape.h == 55);  // floor(109/2)+1
  CHECK(net.layer(net.find_layer("ceil")).out_shape.h == 56);   // ceil(109/2)+1, GoogLeNet style
  CHECK(net.layer(net.find_layer("global")).out_shape == fusim::Shape{2, 1, 1});
}

TEST_CASE("gemm layers: one weight operand or two activations", "[network]") {
  const std::string path = write_temp("gemm.yaml", R"(name: attention
inputs: [{name: tokens, shape: [64, 128, 1]}]
layers:
  - {name: q, type: gemm, inputs: [tokens], m: 128, n: 64, k: 64}
  - {name: k, type: gemm, inputs: [tokens], m: 128, n: 64, k: 64}
  - {name: qk, type: gemm, inputs: [q, k], m: 128, n: 128, k: 64}
)");
  const fusim::Network net = fusim::load_network(path);
  CHECK(net.layer(0).params() == 64 * 64);
  CHECK(net.layer(net.find_layer("qk")).params() == 0);
  CHECK(net.total_macs() == 2 * 128 * 64 * 64 + 128 * 128 * 64);
}

TEST_CASE("network_to_yaml writes every network back loadable and identical", "[network]") {
  std::vector<std::string> paths;
  for (const char* w :
       {"mobilenetv2", "resnet50", "vgg16", "alexnet", "mobilenetv1", "googlenet", "squeezenet",
        "tiny_chain", "tiny_dag", "efficientnet_b0", "mobilenetv3_large"}) {
    paths.push_back(fusim::test::src(std::string("workloads/") + w + ".yaml"));
  }
  for (const std::string& p : paths) {
    const fusim::Network a = fusim::load_network(p);
    const std::string text = fusim::network_to_yaml(a);
    const fusim::Network b = fusim::load_network(write_temp("written.yaml", text));
    INFO(p);
    CHECK(fusim::network_to_yaml(b) == text);
    CHECK(b.total_macs() == a.total_macs());
    CHECK(b.total_params() == a.total_params());
    REQUIRE(b.layers().size() == a.layers().size());
    for (std::size_t i = 0; i < a.layers().size(); ++i) {
      CHECK(b.layers()[i].out_shape == a.layers()[i].out_shape);
    }
  }
}

TEST_CASE("asymmetric padding [top, left, bottom, right]: shapes and the round trip", "[network]") {
  // TensorFlow's SAME padding of a stride-2 3x3 conv over an even input pads one row and
  // column after and none before: 8 -> 4, where a symmetric 1 gives 4 as well but reads
  // different rows, and 0 gives 3.
  const std::string path = write_temp("asym.yaml", R"(name: asym
inputs: [{name: x, shape: [4, 8, 8]}]
layers:
  - {name: same, type: conv, inputs: [x], out_channels: 8, kernel: 3, stride: 2, padding: [0, 0, 1, 1]}
  - {name: tall, type: conv, inputs: [x], out_channels: 8, kernel: 3, padding: [2, 0, 0, 1]}
  - {name: pool, type: pool, inputs: [x], mode: max, kernel: 2, stride: 2, padding: [0, 0, 1, 1]}
)");
  const fusim::Network net = fusim::load_network(path);
  const fusim::Layer& same = net.layer(net.find_layer("same"));
  CHECK(same.out_shape == fusim::Shape{8, 4, 4});
  CHECK(same.pad_h == 0);
  CHECK(same.pad_bottom == 1);
  // Height 8 + 2 + 0 - 2 = 8 rows, width 8 + 0 + 1 - 2 = 7 columns.
  CHECK(net.layer(net.find_layer("tall")).out_shape == fusim::Shape{8, 8, 7});
  CHECK(net.layer(net.find_layer("pool")).out_shape == fusim::Shape{4, 4, 4});
  const std::string text = fusim::network_to_yaml(net);
  CHECK(text.find("padding: [0, 0, 1, 1]") != std::string::npos);
  const fusim::Network back = fusim::load_network(write_temp("asym_back.yaml", text));
  CHECK(fusim::network_to_yaml(back) == text);
  for (std::size_t i = 0; i < net.layers().size(); ++i)
    CHECK(back.layers()[i].out_shape == net.layers()[i].out_shape);
}
