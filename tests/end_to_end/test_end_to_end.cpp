// Every shipped workload on every shipped config: the simulated off-chip bytes equal the cost
// model's prediction group by group and are no fewer than the floor, the cycle count respects
// the DRAM and compute bounds, the program replays through --schedule-in's reader, and two runs
// give byte-identical reports.
#include <algorithm>
#include <filesystem>

#include <catch2/catch.hpp>

#include "cost/cost_model.h"
#include "driver.h"
#include "lower/lower.h"
#include "schedule/program_io.h"
#include "test_util.h"

namespace fs = std::filesystem;

namespace {

// Every workload on every config under each of `algorithms` (the oracle as well on the tiny
// networks, which it accepts, when `with_oracle`): the simulation matches the cost model. The
// searches are split over several test cases so that ctest -j runs them side by side, and the
// (config, workload) pairs of the slowest, none, too: this call takes the pairs whose index
// modulo `parts` is `part`.
void check_every_workload(const std::vector<std::string>& algorithms_for_all, bool with_oracle,
                          int part = 0, int parts = 1) {
  const auto archs = fusim::test::yaml_files("configs");
  const auto nets = fusim::test::yaml_files("workloads");
  REQUIRE(archs.size() >= 3);
  REQUIRE(nets.size() >= 11);
  int pair = -1;
  for (const auto& arch : archs) {
    for (const auto& net : nets) {
      if (++pair % parts != part) continue;
      std::vector<std::string> algorithms = algorithms_for_all;
      if (!fusim::test::runs_every_workload(net)) algorithms.clear();
      // BERT-base's programs (29 MB of YAML on eyeriss, about 20 s to parse) are those of
      // bert_base_layer.yaml twelve times over: that file's programs are replayed instead.
      const bool replay = fs::path(net).filename().string() != "bert_base.yaml";
      if (with_oracle && fs::path(net).filename().string().rfind("tiny_", 0) == 0)
        algorithms.push_back("oracle");
      for (const std::string& algorithm : algorithms) {
        DYNAMIC_SECTION(fs::path(arch).filename().string()
                        << " x " << fs::path(net).filename().string() << " x " << algorithm) {
          fusim::RunOptions o;
          o.arch_path = arch;
          o.net_path = net;
          o.search.algorithm = algorithm;
          const auto run = fusim::run_fusim(o);
          const fusim::RunResult& r = run->result;
          fusim::test::check_group_bytes(r);
          // Every program fusim writes replays through --schedule-in's reader: checked for the
          // baseline and the default search (the others come from the same walks; parsing all of
          // them would add minutes: tens of MB of YAML).
#ifdef FUSIM_SANITIZED
          if (replay && algorithm == "optimal") fusim::test::check_replays(*run);
#else
          if (replay && (algorithm == "none" || algorithm == "optimal"))
            fusim::test::check_replays(*run);
#endif
          for (std::size_t g = 0; g < r.predicted.size(); ++g) {
            INFO("group " << g);
            // The cost model's bounds: the busiest core's compute or the bytes read at the DRAM
            // peak, plus the launch (writes may still drain after the group ends: the DRAM
            // takes them into its write queue). Its estimate, est_cycles, adds each core's
            // pipeline and is not a bound: scripts/multicore_table.py tabulates how close it
            // comes. A concat assembled in place by its producers launches no kernel: 0.
            const fusim::GroupCost& c = r.predicted_costs[g];
            const double bound = c.est_cycles == 0
                                     ? 0.0
                                     : std::max(static_cast<double>(c.compute_cycles),
                                                static_cast<double>(c.traffic.read()) /
                                                    run->arch->dram_peak_bytes_per_cycle()) +
                                           static_cast<double>(run->arch->kernel_launch_cycles);
            CHECK(bound <= r.sim.groups[g].end - r.sim.groups[g].start + 1.0);
          }
          // No schedule moves less than the floor (kind by kind).
          const fusim::Traffic floor = fusim::compulsory_traffic(*run->net, *run->arch);
          CHECK(r.sim.traffic.weight_read >= floor.weight);
          CHECK(r.sim.traffic.ifmap_read >= floor.ifmap);
          CHECK(r.sim.traffic.ofmap_write >= floor.ofmap);
          // Lower bounds: the DRAM cannot move bytes faster than its peak, and no core computes
          // faster than its busy time.
          const double bytes =
              static_cast<double>(r.sim.traffic.read() + r.sim.traffic.ofmap_write);
          CHECK(r.sim.cycles >= bytes / run->arch->dram_peak_bytes_per_cycle() - 1e-6);
          for (const auto& c : r.sim.cores)
            CHECK(r.sim.cycles >= static_cast<double>(c.compute_busy_cycles));
          // Every PE-array MAC of the network was executed: once, plus the halo rows fused groups
          // recompute at core boundaries, exactly as the cost model predicts.
          std::int64_t pe_macs = 0, sim_macs = 0, predicted_macs = 0;
          for (std::size_t i = 0; i < run->net->layers().size(); ++i) {
            const auto& l = run->net->layer(static_cast<int>(i));
            if (l.runs_on_pe_array()) pe_macs += l.macs_per_item() * run->net->batch();
            sim_macs += r.sim.layers[i].macs;
          }
          for (const auto& c : r.predicted_costs) predicted_macs += c.macs;
          CHECK(sim_macs == predicted_macs);
          CHECK(sim_macs >= pe_macs);
          if (algorithm == "none") CHECK(sim_macs == pe_macs);
          // The program-size guard counts the commands lowering emits.
          std::size_t commands = 0;
          for (const auto& core : run->program->cores) commands += core.size();
          CHECK(static_cast<long double>(commands) ==
                fusim::count_commands(*run->net, *run->arch, run->program->schedule).commands);
        }
      }
    }
  }
}

}  // namespace

TEST_CASE(
    "every workload on every config under none and the oracle (1 of 3): simulation "
    "matches the cost model",
    "[e2e]") {
  check_every_workload({"none"}, true, 0, 3);
}

TEST_CASE(
    "every workload on every config under none and the oracle (2 of 3): simulation "
    "matches the cost model",
    "[e2e]") {
  check_every_workload({"none"}, true, 1, 3);
}

TEST_CASE(
    "every workload on every config under none and the oracle (3 of 3): simulation "
    "matches the cost model",
    "[e2e]") {
  check_every_workload({"none"}, true, 2, 3);
}

TEST_CASE(
    "every workload on every config under optimal (1 of 2): simulation matches the cost "
    "model",
    "[e2e]") {
  check_every_workload({"optimal"}, false, 0, 2);
}

TEST_CASE(
    "every workload on every config under optimal (2 of 2): simulation matches the cost "
    "model",
    "[e2e]") {
  check_every_workload({"optimal"}, false, 1, 2);
}

#ifndef FUSIM_SANITIZED
// Under the sanitizers the layer-by-layer and optimal schedules only (tests/CMakeLists.txt): the
// other searches use the same walk.
TEST_CASE(
    "every workload on every config under dnnvm and efficient-s: simulation matches the "
    "cost model",
    "[e2e]") {
  check_every_workload({"dnnvm", "efficient-s"}, false);
}

TEST_CASE(
    "every workload on every config under online and dlfusion: simulation matches the cost "
    "model",
    "[e2e]") {
  check_every_workload({"online", "dlfusion"}, false);
}
#endif

TEST_CASE("same inputs, same bytes out", "[e2e]") {
#ifdef FUSIM_SANITIZED
  // A DAG with branches and a chain; GoogLeNet's search takes minutes under the sanitizers.
  for (const char* net : {"workloads/mobilenetv2.yaml", "workloads/squeezenet.yaml"}) {
#else
  for (const char* net : {"workloads/mobilenetv2.yaml", "workloads/googlenet.yaml"}) {
#endif
    fusim::RunOptions o;
    o.arch_path = fusim::test::src("configs/mlu.yaml");
    o.net_path = fusim::test::src(net);
    const auto a = fusim::run_fusim(o);
    const auto b = fusim::run_fusim(o);
    CHECK(fusim::report_json(a->result) == fusim::report_json(b->result));
    CHECK(fusim::layers_csv(a->result) == fusim::layers_csv(b->result));
    CHECK(fusim::program_to_yaml(*a->program, *a->net) ==
          fusim::program_to_yaml(*b->program, *b->net));
  }
}

TEST_CASE("the sanitizers' sample of workloads names shipped workloads, each run there", "[e2e]") {
  // A renamed or removed workload would otherwise leave the sanitizer pass silently smaller.
  const auto nets = fusim::test::yaml_files("workloads");
  std::size_t runs = 0;
  for (const std::string& name : fusim::test::sanitizer_workloads()) {
    INFO(name);
    CHECK(fs::exists(fusim::test::src("workloads/" + name)));
  }
  for (const auto& net : nets) runs += fusim::test::runs_every_workload(net) ? 1 : 0;
#ifdef FUSIM_SANITIZED
  CHECK(runs == fusim::test::sanitizer_workloads().size());
#else
  CHECK(runs == nets.size());
#endif
}
