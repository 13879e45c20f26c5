#include "search/registry.h"

#include "common/error.h"
#include "search/dag_search.h"

namespace fusim {

namespace {

Schedule layer_by_layer(const Network& net, const Arch& arch, const SearchOptions& o) {
  return schedule_layer_by_layer(net, arch, o);
}

// The oracle searches uncapped (SearchOptions::core_caps): its time is its walk over the
// partitions, which each cap would repeat (VGG-16 on mlu.yaml: 0.90 -> 1.80 s).
Schedule oracle(const Network& net, const Arch& arch, const SearchOptions& o) {
  SearchOptions uncapped = o;
  uncapped.core_caps = 1;
  return run_group_search(net, arch, uncapped, oracle_search);
}

}  // namespace

// To add a search: write its function beside the others (a GroupSearch gets the cost model
// through a GroupEvaluator; see dag_search.h), list its file in search/CMakeLists.txt and add
// its row here. Nothing outside search/ changes.
const std::vector<SearchAlgorithm>& search_algorithms() {
  static const std::vector<SearchAlgorithm> all = {
      {"none", "one group per layer on all cores, fewer where that is faster (the baseline)",
       layer_by_layer},
      {"dnnvm", "chain-only fusion (DNNVM): groups are paths of the DAG, weights on chip",
       group_search<dnnvm_search>, true},
      {"efficient-s", "groups contiguous in one topological order (DP), weights on chip",
       group_search<efficient_s_search>},
      {"optimal", "exact over connected convex groups of up to --max-group-layers (Optimus)",
       group_search<optimal_search>, true},
      {"online", "greedy and fast: takes the frontier group that saves the most, repeatedly",
       group_search<online_search>},
      {"oracle", "exhaustive over every partition into convex groups; few partitions only", oracle},
      {"dlfusion",
       "DLFusion tuner: fusion and cores chosen together from a calibration of the arch",
       dlfusion_schedule},
  };
  return all;
}

const SearchAlgorithm& find_search_algorithm(const std::string& name) {
  std::string list;
  for (const SearchAlgorithm& a : search_algorithms()) {
    if (a.name == name) return a;
    list += (list.empty() ? "" : ", ") + a.name;
  }
  throw InputError("", 0, "--fusion",
                   "unknown algorithm '" + name + "' (choose one of: " + list + ")");
}

}  // namespace fusim
