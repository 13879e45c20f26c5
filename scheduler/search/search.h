// Fusion searches: each partitions the network into groups (convex sets of layers, in an order
// that respects the DAG) and picks the cores of every group, judged by the cost model. The
// searches on offer, with a line each, are registered in search/registry.cpp; `fusim --help`
// lists them from there.
//
// All minimise the objective summed over groups: off-chip bytes then cycles (`bytes`), or the
// cycle estimate then bytes (`cycles`).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "arch/arch.h"
#include "network/network.h"
#include "schedule/schedule.h"

namespace fusim {

enum class Objective { Bytes, Cycles };

// Which layers may share a group (--fusion-policy; CORF, HPCC 2022): `Complex` any convex
// connected set; `Simple` at most one complex operator (conv, depthwise included; fc; gemm,
// matmul of activations included), every other member after it (reached from it), as TVM's
// default fusion: a complex operator fuses with the cheap operators after it, never with
// another complex one.
enum class FusionPolicy { Simple, Complex };
// The policies' names as --fusion-policy, the Python API and report.json spell them.
const char* fusion_policy_name(FusionPolicy policy);
std::optional<FusionPolicy> fusion_policy_of(const std::string& name);  // none: not a policy

// True when `layers` (sorted) may form a group under `policy`.
bool policy_allows(const Network& net, FusionPolicy policy, const std::vector<int>& layers);
// The complex operators (conv, depthwise included; fc; gemm) among `layers`.
int complex_operators(const Network& net, const std::vector<int>& layers);

// Judges one group by running it instead of estimating it: the cycles of `group` (its layers,
// cores and tiles as the cost model sized them) run alone, from its kernel launch to its last
// store. The app sets it for --judge simulation (app/driver.cpp); the scheduler cannot see the
// simulator.
using GroupJudge = std::function<std::int64_t(const Group& group)>;

constexpr std::int64_t kCoresDefault = -1;
constexpr std::int64_t kCoresAuto = 0;
// SearchOptions::core_caps by default: all cores, half, a quarter.
constexpr int kCoreCaps = 3;
// A capped schedule (SearchOptions::core_caps) is kept only when its estimate is at least this
// share below the uncapped one's: smaller gains are within the estimate's error. Measured on
// every shipped network on mlu.yaml, 8-128 cores (docs/multicore.md): with no margin, ResNet-18
// on 64 cores took a capped schedule 0.47 % lower by the estimate and 0.75 % slower simulated.
constexpr double kCoreCapLeastGain = 0.01;

// oracle's limit on the partitions it scores, and the slowest rate it scored them at
// (partitions counted a second; scripts/oracle_rate.py, docs/fusion.md): at the limit, about
// 7 s of search. Its refusal says the time at that rate.
constexpr std::int64_t kOracleMaxPartitions = 5000000;
constexpr std::int64_t kOraclePartitionsPerSecond = 750000;

// Every default is written here once; the command line and its help text read them from here.
struct SearchOptions {
  std::string algorithm = "optimal";                   // a name in search_algorithms() (--fusion)
  Objective objective = Objective::Cycles;             // latency first (--objective)
  FusionPolicy fusion_policy = FusionPolicy::Complex;  // --fusion-policy
  // Groups of two complex operators may run input-centric (--input-centric; cost/fused_plan.h).
  bool input_centric = true;
  int max_group_layers = 16;  // optimal, dnnvm, efficient-s (--max-group-layers)
  // Cores per group (--cores): kCoresDefault lets the fusion searches choose per group (1, 2, 4,
  // ... and all) and runs `none` on all cores, the layer-by-layer baseline; kCoresAuto lets
  // `none` choose per layer too; N > 0 runs every group on N cores.
  std::int64_t cores = kCoresDefault;
  int online_group_layers = 8;           // online
  std::int64_t max_candidates = 200000;  // optimal and dnnvm refuse to enumerate more
  // oracle refuses networks on which it would score more partitions (count_oracle_partitions)
  std::int64_t oracle_max_partitions = kOracleMaxPartitions;
  // optimal and dnnvm: do not grow a group that does not fit (see dag_search.cpp). Off only to
  // check that the pruning loses nothing.
  bool prune_infeasible = true;
  // dlfusion: its calibration file; empty for dlfusion/<arch name>.yaml in the arch file's
  // folder (docs/dlfusion.md).
  std::string dlfusion_table;
  // Empty: the searches score groups by the cost model's cycle estimate. Set: by this judge's
  // cycles (off-chip bytes stay the cost model's, which the simulator moves exactly), every
  // core count tried; the searches are then exact over what they enumerate, at one simulation
  // per candidate group and core count (docs/multicore.md, "The oracle").
  GroupJudge judge;
  // With a judge, the searches that rank partitions (SearchAlgorithm::ranks: optimal, dnnvm):
  // 0 judges every candidate group; K > 0 judges only the groups of the cost model's K best
  // partitions (of each unconnected part) and takes the best of those partitions as judged
  // (--judge-best; a reduced oracle that finishes on large DAGs).
  int judge_best = 0;
  // Feature maps between groups kept in the arch's shared buffer where they fit
  // (--shared-fmaps; cost/shared_fmaps.h): the searches score groups as if every map that can
  // be there is, and search_schedule() places the chosen schedule's maps.
  bool shared_fmaps = true;
  // Weights prefetched into the shared buffer during earlier groups with DRAM time to spare
  // (--prefetch-weights; cost/prefetch.h), planned by search_schedule() after the maps.
  bool prefetch_weights = true;
  // With the weight prefetch on, --cores auto and the cost model judging cycles first, the
  // searches built on the cost model's groups (all but none, dlfusion and oracle) search again
  // with each group's cores capped at half the arch's count, then a quarter, ..., this many caps
  // in all with the uncapped one, and keep the schedule whose estimate with its maps and
  // prefetch planned is lowest (cycles, then bytes; a capped one only kCoreCapLeastGain below
  // the uncapped one). A cap never lowers a group's own estimate, but slower groups may leave the
  // DRAM the time to copy later groups' weights (docs/multicore.md, "Objective and cores").
  // 1: the uncapped search alone.
  int core_caps = kCoreCaps;
};

// Runs the search named by options.algorithm; sets the schedule's algorithm to that name and
// fills groups_evaluated and search_seconds (oracle partitions_evaluated too). Throws
// InputError (key "--fusion") for an unknown name or a network too large for the algorithm.
Schedule search_schedule(const Network& net, const Arch& arch, const SearchOptions& options);

// How many partitions `oracle` would score on `net`: the orders of connected convex groups
// (any size) that cover each unconnected part of the network, summed over the parts, counted on
// the DAG alone, without the cost model. A partition whose groups may run in several orders
// counts once per order, as oracle visits it once per order. Exact when every group fits the
// arch; oracle skips the groups that do not fit, so otherwise an upper bound.
struct OracleCount {
  std::int64_t partitions = 0;  // exact unless over_limit or too_costly
  bool over_limit = false;      // more than stop_above (partitions is then stop_above + 1)
  // Counting gave up before knowing: a part of more than kOracleCountLayers layers, or more
  // than kOracleCountSteps steps of the walk (layers examined, see for_each_extension; about
  // 0.5 s here). Partitions is then 0.
  bool too_costly = false;
};
constexpr int kOracleCountLayers = 1000;
constexpr std::int64_t kOracleCountSteps = 10000000;
OracleCount count_oracle_partitions(const Network& net, std::int64_t stop_above);

// The layer-by-layer baseline runs a layer on fewer than all cores only where the cost model's
// estimate on those, less the kernel launch (the same on any count, and exact), is at least this
// much lower than on all of them: a layer cut over more cores than it can use (channel slices of
// a few bytes, each smaller than a DRAM burst; a shuffle's copy in pieces) runs slower than on
// fewer, and a compiler that knows its chip would not spread it. The margin keeps the baseline
// on all cores wherever the estimate's own error could make it choose fewer wrongly (measured:
// docs/multicore.md, "Objective and cores").
constexpr double kBaselineFewerCoresGain = 0.05;

// One group per layer (search "none"). By default (options.cores kCoresDefault), each layer on
// all cores, or on the count among 1, 2, 4, ... below all whose estimate is lowest where it is
// kBaselineFewerCoresGain lower than all cores' beyond the launch (the cost model's cycles,
// whatever the objective). With options.cores kCoresAuto, each layer on the core count the cost
// model likes best (the objective's); with N > 0, on N cores, no cost model.
Schedule schedule_layer_by_layer(const Network& net, const Arch& arch,
                                 const SearchOptions& options = {});

}  // namespace fusim
