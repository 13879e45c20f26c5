// The search registry: every registered search is reachable by its name, gives a schedule that
// covers the network, and the unknown-name error lists exactly the registered names.
#include <catch2/catch.hpp>

#include <algorithm>
#include <set>

#include "arch/arch_io.h"
#include "network/network_io.h"
#include "search/registry.h"
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
