// The search registry: every registered search is reachable by its name, gives a schedule that
// covers the network, and the unknown-name error lists exactly the registered names.
#include <catch2/catch.hpp>

#include <algorithm>
#include <set>

#include "arch/arch_io.h"
#include "cost/cost_model.h"
#include "network/network_io.h"
#include "search/registry.h"
#include "search/search.h"
#include "test_util.h"

namespace {

using fusim::test::src;

}  // namespace

TEST_CASE("registered searches have unique names and one-line descriptions", "[search]") {
  const auto& all = fusim::search_algorithms();
  REQUIRE(!all.empty());
  std::set<std::string> names;
  for (const fusim::SearchAlgorithm& a : all) {
    INFO(a.name);
    CHECK(!a.name.empty());
    CHECK(names.insert(a.name).second);
    CHECK(!a.description.empty());
    CHECK(a.description.find('\n') == std::string::npos);
    CHECK(a.description.size() <= 80);
    CHECK(a.run != nullptr);
    CHECK(&fusim::find_search_algorithm(a.name) == &a);
  }
  // The default search is a registered one.
  CHECK(names.count(fusim::SearchOptions{}.algorithm) == 1);
}

TEST_CASE("an unknown search name lists every registered search", "[search]") {
  std::string list;
  for (const fusim::SearchAlgorithm& a : fusim::search_algorithms())
    list += (list.empty() ? "" : ", ") + a.name;
  try {
    fusim::find_search_algorithm("magic");
    FAIL("no error for an unknown search");
  } catch (const fusim::InputError& e) {
    CHECK(e.key() == "--fusion");
    CHECK(e.message() == "unknown algorithm 'magic' (choose one of: " + list + ")");
  }
  fusim::SearchOptions o;
  o.algorithm = "magic";
  const fusim::Arch arch = fusim::load_arch(src("configs/systolic32.yaml"), {});
  const fusim::Network net = fusim::load_network(src("workloads/tiny_dag.yaml"));
  CHECK_THROWS_AS(fusim::search_schedule(net, arch, o), fusim::InputError);
}

TEST_CASE("every registered search schedules each layer once, in a DAG order", "[search]") {
  const fusim::Arch arch = fusim::load_arch(src("configs/systolic32.yaml"), {});
  for (const char* workload : {"workloads/tiny_chain.yaml", "workloads/tiny_dag.yaml"}) {
    const fusim::Network net = fusim::load_network(src(workload));
    for (const fusim::SearchAlgorithm& a : fusim::search_algorithms()) {
      INFO(workload << " " << a.name);
      fusim::SearchOptions o;
      o.algorithm = a.name;
      const fusim::Schedule s = fusim::search_schedule(net, arch, o);
      CHECK(s.algorithm == a.name);
      std::vector<int> seen;
      for (const fusim::Group& g : s.groups) {
        CHECK(g.cores >= 1);
        CHECK(g.cores <= arch.core_count);
        seen.insert(seen.end(), g.layers.begin(), g.layers.end());
      }
      std::vector<int> sorted = seen;
      std::sort(sorted.begin(), sorted.end());
      std::vector<int> all(net.layers().size());
      for (std::size_t i = 0; i < all.size(); ++i) all[i] = static_cast<int>(i);
      CHECK(sorted == all);
      // Every producer is scheduled before (or with) its consumer.
      std::vector<int> position(all.size());
      for (std::size_t i = 0; i < seen.size(); ++i)
        position[static_cast<std::size_t>(seen[i])] = static_cast<int>(i);
      for (std::size_t l = 0; l < net.layers().size(); ++l) {
        for (const fusim::Operand& op : net.layers()[l].inputs) {
          if (op.from_network_input) continue;
          CHECK(position[static_cast<std::size_t>(op.index)] < position[l]);
        }
      }
    }
  }
}

TEST_CASE(
    "every search honours --fusion-policy simple: one complex operator a group, the rest "
    "after it",
    "[search]") {
  const fusim::Arch arch = fusim::load_arch(src("configs/mlu.yaml"), {});
  for (const char* workload : {"workloads/tiny_dag.yaml", "workloads/mobilenetv2.yaml"}) {
    const fusim::Network net = fusim::load_network(src(workload));
    for (const fusim::SearchAlgorithm& a : fusim::search_algorithms()) {
      if (a.name == "oracle" && net.layers().size() > 10) continue;  // too many partitions
      INFO(workload << " " << a.name);
      fusim::SearchOptions o;
      o.algorithm = a.name;
      o.fusion_policy = fusim::FusionPolicy::Simple;
      const fusim::Schedule s = fusim::search_schedule(net, arch, o);
      for (const fusim::Group& g : s.groups) {
        int complex = -1, count = 0;
        for (int li : g.layers) {
          const fusim::LayerType t = net.layer(li).type;
          if (t == fusim::LayerType::Conv || t == fusim::LayerType::Fc ||
              t == fusim::LayerType::Gemm)
            complex = li, ++count;
        }
        CHECK(count <= 1);
        for (int li : g.layers) {
          if (complex >= 0 && li != complex) CHECK(net.reaches(complex, li));
        }
      }
    }
  }
  // The policy's rule itself, on MobileNetV2's first block (conv1, b0_dw, b0_project) and
  // its inverted bottleneck's expand -> dw -> project -> add.
  const fusim::Network net = fusim::load_network(src("workloads/mobilenetv2.yaml"));
  auto allows = [&](std::vector<std::string> names) {
    std::vector<int> layers;
    for (const std::string& n : names) layers.push_back(net.find_layer(n));
    std::sort(layers.begin(), layers.end());
    return fusim::policy_allows(net, fusim::FusionPolicy::Simple, layers);
  };
  CHECK_FALSE(allows({"conv1", "b0_dw"}));       // two convs (a depthwise one too)
  CHECK(allows({"b2_project", "b2_add"}));       // a conv and the add after it
  CHECK_FALSE(allows({"b2_add", "b3_expand"}));  // the add before the conv
  CHECK(allows({"avgpool", "fc"}) == false);     // the pool before the fc
  CHECK(fusim::policy_allows(net, fusim::FusionPolicy::Complex,
                             {net.find_layer("conv1"), net.find_layer("b0_dw")}));
}

TEST_CASE("the complex policy's best schedule is estimated no slower than the simple one's",
          "[search]") {
  // optimal is exact over its candidates, and the simple policy's are a subset.
  const fusim::Arch arch = fusim::load_arch(src("configs/mlu.yaml"), {});
  for (const char* workload : {"workloads/mobilenetv2.yaml", "workloads/resnet50.yaml"}) {
    const fusim::Network net = fusim::load_network(src(workload));
    auto estimate = [&](fusim::FusionPolicy p) {
      fusim::SearchOptions o;
      o.fusion_policy = p;
      o.shared_fmaps = false;
      o.prefetch_weights = false;
      std::int64_t cycles = 0;
      for (const fusim::Group& g : fusim::search_schedule(net, arch, o).groups)
        cycles += fusim::group_cost(net, arch, g).est_cycles;
      return cycles;
    };
    INFO(workload);
    CHECK(estimate(fusim::FusionPolicy::Complex) <= estimate(fusim::FusionPolicy::Simple));
  }
}
