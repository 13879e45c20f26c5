// Fusion searches: each partitions the network into groups (convex sets of layers, in an order
// that respects the DAG) and picks the cores of every group, judged by the cost model. The
// searches on offer, with a line each, are registered in search/registry.cpp; `fusim --help`
// lists them from there.
//
// All minimise the objective summed over groups: off-chip bytes then cycles (`bytes`), or the
// cycle estimate then bytes (`cycles`).
#pragma once

#include <cstdint>
#include <string>

#include "arch/arch.h"
#include "network/network.h"
#include "schedule/schedule.h"

namespace fusim {

enum class Objective { Bytes, Cycles };

// Every default is written here once; the command line and its help text read them from here.
struct SearchOptions {
  std::string algorithm = "optimal";  // a name in search_algorithms() (--fusion)
  Objective objective = Objective::Bytes;
  int max_group_layers = 16;             // optimal, dnnvm, efficient-s (--max-group-layers)
  int online_group_layers = 8;           // online
  int oracle_max_layers = 16;            // oracle refuses larger networks
  std::int64_t max_candidates = 200000;  // optimal and dnnvm refuse to enumerate more
  // optimal and dnnvm: do not grow a group that does not fit (see dag_search.cpp). Off only to
  // check that the pruning loses nothing.
  bool prune_infeasible = true;
};

// Runs the search named by options.algorithm; sets the schedule's algorithm to that name and
// fills groups_evaluated and search_seconds. Throws InputError (key "--fusion") for an unknown
// name or a network too large for the algorithm.
Schedule search_schedule(const Network& net, const Arch& arch, const SearchOptions& options);

// One group per layer on all cores (search "none"): no cost model, nothing evaluated.
Schedule schedule_layer_by_layer(const Network& net, const Arch& arch);

}  // namespace fusim
