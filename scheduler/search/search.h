// Fusion searches: each partitions the network into groups (convex sets of layers, in an order
// that respects the DAG) and picks the cores of every group, judged by the cost model.
//
//   none         one group per layer on all cores (the layer-by-layer baseline)
//   dnnvm        chain-only fusion: a group is a path of the DAG; fused weights must fit on chip
//   efficient-s  groups contiguous in the network's topological order (dynamic programming);
//                fused weights must fit on chip
//   optimal      exact over connected convex groups of up to max_group_layers layers: a
//                memoised search over the DAG's downsets, so a group may start at several
//                frontier layers at once (parallel branches)
//   online       greedy and fast: repeatedly takes the group with the largest saving per layer
//                among the connected groups of up to online_group_layers at the frontier
//   oracle       exhaustive: every partition into connected convex groups of any size, for
//                networks of up to oracle_max_layers layers
//
// All minimise the objective summed over groups: off-chip bytes then cycles (`bytes`), or the
// cycle estimate then bytes (`cycles`).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "arch/arch.h"
#include "network/network.h"
#include "schedule/schedule.h"

namespace fusim {

enum class Objective { Bytes, Cycles };

struct SearchOptions {
  std::string algorithm = "optimal";
  Objective objective = Objective::Bytes;
  int max_group_layers = 16;             // optimal, dnnvm, efficient-s
  int online_group_layers = 8;           // online
  int oracle_max_layers = 16;            // oracle refuses larger networks
  std::int64_t max_candidates = 200000;  // optimal and dnnvm refuse to enumerate more
  // optimal and dnnvm: do not grow a group that does not fit (see dag_search.cpp). Off only to
  // check that the pruning loses nothing.
  bool prune_infeasible = true;
};

const std::vector<std::string>& search_algorithms();

// Runs the named search; fills the schedule's groups_evaluated and search_seconds. Throws
// InputError (key "--fusion") for an unknown name or a network too large for the algorithm.
Schedule search_schedule(const Network& net, const Arch& arch, const SearchOptions& options);

Schedule schedule_layer_by_layer(const Network& net, const Arch& arch);

}  // namespace fusim
