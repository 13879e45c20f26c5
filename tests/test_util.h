// Helpers shared by the tests: paths into the source tree and temporary files.
#pragma once

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "common/error.h"
#include "cost/fused_plan.h"
#include "cost/tile_sink.h"
#include "driver.h"
#include "network/network_io.h"
#include "schedule/program_io.h"
#include "temp_folder.h"

namespace fusim::test {

inline std::string src(const std::string& rel) {
  return std::string(FUSIM_SOURCE_DIR) + "/" + rel;
}

// Writes `text` to a file in this process's temporary folder and returns its path.
inline std::string write_temp(const std::string& name, const std::string& text) {
  const std::string path = (process_temp_dir("fusim_tests_") / name).string();
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

// The options of a fusim run of `net` on `arch` (full paths) with `overrides` under `fusion`,
// for a test to change further before run_fusim.
inline RunOptions options(const std::string& arch, const std::string& net,
                          std::vector<std::string> overrides = {},
                          const std::string& fusion = "optimal") {
  RunOptions o;
  o.arch_path = arch;
  o.net_path = net;
  o.overrides = std::move(overrides);
  o.search.algorithm = fusion;
  return o;
}

// One whole fusim run (load, schedule, simulate) of `net` on `arch`, both full paths; layer by
// layer unless another search is named; feature maps in the shared buffer unless
// `shared_fmaps` is false (--shared-fmaps off).
inline std::unique_ptr<Run> run(const std::string& arch, const std::string& net,
                                std::vector<std::string> overrides = {},
                                const std::string& fusion = "none", bool shared_fmaps = true) {
  RunOptions o = options(arch, net, std::move(overrides), fusion);
  o.search.shared_fmaps = shared_fmaps;
  return run_fusim(o);
}

// The InputError that `f` throws, or nothing when it throws none.
inline std::optional<InputError> error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e;
  }
  return std::nullopt;
}

// `e` is an error naming the file `path`, line `line` (any line when `line` is negative), a key
// that starts with `key`, and a message that holds `mention`.
inline void check_error(const std::optional<InputError>& e, const std::string& path, int line,
                        const std::string& key, const std::string& mention) {
  REQUIRE(e.has_value());
  INFO(e->what());
  CHECK(e->file() == path);
  if (line < 0)
    CHECK(e->line() > 0);
  else
    CHECK(e->line() == line);
  CHECK(std::string(e->key()).rfind(key, 0) == 0);
  CHECK(std::string(e->what()).find(mention) != std::string::npos);
}

// The network of YAML `text`, written to the temporary file `name`.
inline Network load_text(const std::string& name, const std::string& text) {
  return load_network(write_temp(name, text));
}

// A loader-error case: one layer (a YAML flow mapping), the key its error must name and what
// its message must hold.
struct LayerError {
  const char* layer;
  const char* key;
  const char* mention;
};

// Each case's layer as the first of a network whose `inputs:` line is `inputs`, followed by
// the layers of `after` (each "  - {...}\n"): loading it fails on line 4, naming the case's key
// and holding its mention.
inline void check_layer_errors(const std::string& inputs, const std::vector<LayerError>& cases,
                               const std::string& after = "") {
  for (const LayerError& c : cases) {
    INFO(c.layer);
    const std::string path =
        write_temp("layer_error.yaml",
                   "name: t\ninputs: " + inputs + "\nlayers:\n  - " + c.layer + "\n" + after);
    check_error(error_of([&] { load_network(path); }), path, 4, c.key, c.mention);
  }
}

// The .yaml files of a folder of the source tree (configs, workloads), sorted by path.
inline std::vector<std::string> yaml_files(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(src(dir))) {
    if (e.path().extension() == ".yaml") out.push_back(e.path().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

// The shipped workloads that the tests running every workload run under the sanitizers (CI's
// time; tests/cli/test_determinism.sh's `sanitize` list is the same): a sample that holds every
// kind of layer and group the shipped networks have. tiny_chain and tiny_dag (the oracle's too:
// a concat, an add, a pool); FusioNet (grouped 1x1 convs, channel shuffles, ARCHON's fused
// blocks on archon.yaml); the ARCHON study's MobileNetV2 (inverted-residual blocks with
// fused_prune, for archon_sparse.yaml); MobileNetV3-Large (depthwise, squeeze-excitation's
// global pool and mul, hard-swish, residual adds, input-centric pairs on four configs);
// ShuffleNetV2 (slices, concats, shuffles); one BERT-base layer (gemm, softmax, layernorm,
// input-centric pairs on eyeriss and systolic32). The workloads left out (EfficientNet-B0,
// MnasNet, the other MobileNetV2s, ShuffleNet for CIFAR: the same kinds of layer; and those of
// 500 M MACs or more, among them AlexNet's and GoogLeNet's large strided kernels) run in the
// Release suite, which runs all of them. A list of names, not a test on the network: loading
// every workload to decide cost the sanitized end-to-end tests most of their time (Catch runs a
// test case's body again for each of its sections).
inline const std::vector<std::string>& sanitizer_workloads() {
  static const std::vector<std::string> names = {
      "tiny_chain.yaml",        "tiny_dag.yaml",
      "fusionet.yaml",          "mobilenetv2_cifar_mod.yaml",
      "mobilenetv3_large.yaml", "shufflenetv2.yaml",
      "bert_base_layer.yaml"};
  return names;
}

// Whether the tests that run every shipped workload run `net` (a path) in this build: all of
// them in Release, sanitizer_workloads() under the sanitizers.
inline bool runs_every_workload(const std::string& net) {
#ifdef FUSIM_SANITIZED
  const auto& names = sanitizer_workloads();
  return std::find(names.begin(), names.end(), std::filesystem::path(net).filename().string()) !=
         names.end();
#else
  (void)net;
  return true;
#endif
}

// The cost model's estimate against the simulator: each group's simulated over predicted cycles
// (groups with no kernel, concats assembled in place, left out), over runs of every shipped
// network (the sanitizer build's subset), in all and by mapping (a group of one layer: "single").
struct EstimateAccuracy {
  struct Count {
    int groups = 0, within = 0;  // within 10 %
  };
  Count all;
  std::map<std::string, Count> by_mapping;
  std::vector<double> ratios;  // sorted
  double median() const { return ratios.empty() ? 0.0 : ratios[ratios.size() / 2]; }
};

inline EstimateAccuracy estimate_accuracy(const std::vector<std::string>& archs,
                                          const std::vector<std::string>& searches) {
  EstimateAccuracy a;
  for (const std::string& arch : archs) {
    for (const std::string& net : yaml_files("workloads")) {
      if (!runs_every_workload(net)) continue;
      for (const std::string& search : searches) {
        const auto r = run(arch, net, {}, search);
        for (std::size_t g = 0; g < r->result.sim.groups.size(); ++g) {
          const auto est = static_cast<double>(r->result.predicted_costs[g].est_cycles);
          if (est == 0) continue;
          const double ratio = (r->result.sim.groups[g].end - r->result.sim.groups[g].start) / est;
          const bool within = std::abs(ratio - 1) <= 0.10;
          a.ratios.push_back(ratio);
          const std::string mapping = r->result.program->schedule.groups[g].layers.size() == 1
                                          ? "single"
                                          : to_string(r->result.predicted_costs[g].mapping);
          for (EstimateAccuracy::Count* c : {&a.all, &a.by_mapping[mapping]}) {
            ++c->groups;
            c->within += within ? 1 : 0;
          }
        }
      }
    }
  }
  std::sort(a.ratios.begin(), a.ratios.end());
  return a;
}

// Every search but the oracle (which accepts small networks only).
inline const std::vector<std::string>& every_search() {
  static const std::vector<std::string> names = {"none",  "optimal",     "online",
                                                 "dnnvm", "efficient-s", "dlfusion"};
  return names;
}

// Runs the network of YAML `text` on every shipped config under every search but the oracle,
// and checks each run with `check(const Run&)` (inside an INFO naming the config and search).
template <class F>
void on_every_config_and_search(const std::string& text, F check) {
  const std::string net = write_temp("every_search.yaml", text);
  for (const std::string& arch : yaml_files("configs")) {
    for (const std::string& fusion : every_search()) {
      INFO(arch << " " << fusion);
      check(*run(arch, net, {}, fusion));
    }
  }
}

// A run-length walk's sums (a CostSink that takes runs) and a step-by-step walk's are the same.
// Call inside a Catch test case.
inline void check_same_sums(const CostSink& totals, const CostSink& steps) {
  CHECK(totals.traffic.weight == steps.traffic.weight);
  CHECK(totals.traffic.ifmap == steps.traffic.ifmap);
  CHECK(totals.traffic.ofmap == steps.traffic.ofmap);
  CHECK(totals.traffic.psum_read == steps.traffic.psum_read);
  CHECK(totals.traffic.psum_write == steps.traffic.psum_write);
  CHECK(totals.macs == steps.macs);
  CHECK(totals.cycles == steps.cycles);
  CHECK(totals.buffer_reads == steps.buffer_reads);
  CHECK(totals.buffer_writes == steps.buffer_writes);
  CHECK(totals.multicast == steps.multicast);
  CHECK(totals.psum_elements == steps.psum_elements);
}

// Walks the fused group `g` (which must fuse) in `tiles` row tiles on one core of `arch`: that
// core's sums. Call inside a Catch test case.
inline CostSink walk_on_one_core(const FusedGroup& g, const Arch& arch, std::int64_t tiles) {
  REQUIRE(g.unfusable_reason().empty());
  CostSink sink(&arch.core);
  g.walk(g.progress(tiles), tiles, 1, 0, sink);
  return sink;
}

// Every group's simulated off-chip bytes equal the cost model's prediction (the contract of
// docs/fusion.md). Call inside a Catch test case.
inline void check_group_bytes(const RunResult& r) {
  REQUIRE(r.sim.groups.size() == r.predicted.size());
  for (std::size_t g = 0; g < r.predicted.size(); ++g) {
    INFO("group " << g);
    CHECK(r.sim.groups[g].traffic.weight_read == r.predicted[g].weight);
    CHECK(r.sim.groups[g].traffic.ifmap_read == r.predicted[g].ifmap);
    CHECK(r.sim.groups[g].traffic.ofmap_write == r.predicted[g].ofmap);
    CHECK(r.sim.groups[g].traffic.psum_read == r.predicted[g].psum_read);
    CHECK(r.sim.groups[g].traffic.psum_write == r.predicted[g].psum_write);
    // Feature maps kept in the shared buffer: on chip, and just as exact.
    CHECK(r.sim.groups[g].actions.shared_buffer.read == r.predicted_costs[g].shared_read_bytes);
    CHECK(r.sim.groups[g].actions.shared_buffer.write == r.predicted_costs[g].shared_write_bytes);
    // Weights prefetched for later groups: part of the weight bytes, as planned.
    CHECK(r.sim.groups[g].traffic.weight_prefetch == r.predicted_costs[g].prefetch_bytes);
  }
}

// The programs that the tests read back (check_replays; test_shared_fmaps.cpp's maps): those of
// up to this many commands, CI's time, in Release as under the sanitizers. 27 of the shipped
// pairs' layer-by-layer and optimal programs have 20,000 to 50,000 (DenseNet-121 and ResNet-50 on
// most configs, VGG-16 and ViT-B/16 on systolic32, ViT-B/16 on mlu, FusioNet and a BERT-base
// layer on archon_dense and archon_sparse): 120 MB of YAML, 40 % of what Release wrote and parsed
// in check_replays when it read them too (reading YAML was most of the end-to-end tests' time),
// for no kind of command that the smaller programs lack (the reader's checks are command by
// command). Larger ones were never read back (VGG-16 on eyeriss.yaml: 110,000 commands, 17 MB).
constexpr std::size_t kMaxReadBackCommands = 20000;

inline std::size_t command_count(const Program& program) {
  std::size_t commands = 0;
  for (const auto& core : program.cores) commands += core.size();
  return commands;
}

// The run's program is one --schedule-in accepts: it round-trips through program_to_yaml and
// load_program (whose checks of the work a program does, docs/usage.md "Programs", must hold
// for fusim's own programs) to the same text, when it has up to kMaxReadBackCommands commands.
// Call inside a Catch test case.
inline void check_replays(const Run& run) {
  if (command_count(*run.program) > kMaxReadBackCommands) return;
  const std::string text = program_to_yaml(*run.program, *run.net);
  const std::string path = write_temp("replay.yaml", text);
  CHECK(program_to_yaml(load_program(path, *run.net, *run.arch), *run.net) == text);
}

// Runs the network of YAML `text` (written to `name`) on `arch` with `overrides` under every
// search but the oracle: every group moves the cost model's bytes and every program replays.
// Call inside a Catch test case.
inline void check_every_search(const std::string& arch, const std::string& name,
                               const std::string& text, std::vector<std::string> overrides = {}) {
  const std::string net = write_temp(name, text);
  for (const std::string& fusion : every_search()) {
    INFO(fusion);
    const auto r = run(arch, net, overrides, fusion);
    check_group_bytes(r->result);
    check_replays(*r);
  }
}

}  // namespace fusim::test
