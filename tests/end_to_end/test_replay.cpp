// Every program fusim writes is one --schedule-in accepts: each shipped workload on each shipped
// config, under the default search and layer by layer, round-trips through program_to_yaml and
// load_program (whose checks of the work a program does, docs/usage.md "Programs", hold for
// fusim's own programs). The other searches' programs come from the same walks; parsing them
// all would add minutes (tens of MB of YAML).
#include <filesystem>

#include <catch2/catch.hpp>

#include "driver.h"
#include "lower/lower.h"
#include "schedule/program_io.h"
#include "search/search.h"
#include "test_util.h"

namespace fs = std::filesystem;

TEST_CASE("every program fusim writes replays through --schedule-in's reader", "[e2e][replay]") {
  const auto archs = fusim::test::yaml_files("configs");
  auto nets = fusim::test::yaml_files("workloads");
  REQUIRE(archs.size() >= 3);
  REQUIRE(nets.size() >= 9);
  // Concats of network inputs and of fused convs (tests/data: issue 13's and DenseNet's).
  nets.push_back(fusim::test::src("tests/data/dl_min.yaml"));
  nets.push_back(fusim::test::src("tests/data/densenet_mini.yaml"));
  for (const auto& arch : archs) {
    for (const auto& net : nets) {
#ifdef FUSIM_SANITIZED
      std::vector<std::string> algorithms = {"optimal"};  // the default search
#else
      std::vector<std::string> algorithms = {"none", "optimal"};  // the baseline, the default
#endif
      for (const std::string& algorithm : algorithms) {
        DYNAMIC_SECTION(fs::path(arch).filename().string()
                        << " x " << fs::path(net).filename().string() << " x " << algorithm) {
          fusim::RunOptions o;
          o.arch_path = arch;
          o.net_path = net;
          o.search.algorithm = algorithm;
          const fusim::Arch a = fusim::load_any_arch(o);
          const fusim::Network n = fusim::load_any_network(o);
          const fusim::Program p = fusim::lower(n, a, fusim::search_schedule(n, a, o.search));
          const std::string text = fusim::program_to_yaml(p, n);
          const std::string path = fusim::test::write_temp("replay.yaml", text);
          const fusim::Program back = fusim::load_program(path, n, a);
          CHECK(fusim::program_to_yaml(back, n) == text);
        }
      }
    }
  }
}
