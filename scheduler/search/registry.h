// The fusion searches fusim offers, each registered once (in registry.cpp) with its name, a
// line for `fusim --help` and its function. `--fusion` is checked against this list, the help
// text and the unknown-name error are written from it, and search_schedule() runs from it.
#pragma once

#include <string>
#include <vector>

#include "arch/arch.h"
#include "network/network.h"
#include "schedule/schedule.h"
#include "search/search.h"

namespace fusim {

struct SearchAlgorithm {
  std::string name;         // the --fusion value
  std::string description;  // one line, no full stop: what the search does, for --help
  // The whole search. Need not set the schedule's algorithm (search_schedule does); a search
  // built on the cost model fills groups_evaluated and search_seconds (see run_group_search).
  Schedule (*run)(const Network& net, const Arch& arch, const SearchOptions& options);
  // It ranks whole partitions by the cost model, so that a judge can score only its best few
  // (SearchOptions::judge_best, --judge-best).
  bool ranks = false;
};

// In the order `fusim --help` lists them.
const std::vector<SearchAlgorithm>& search_algorithms();

// The search called `name`; throws InputError (key "--fusion") naming every registered search
// when there is none.
const SearchAlgorithm& find_search_algorithm(const std::string& name);

}  // namespace fusim
