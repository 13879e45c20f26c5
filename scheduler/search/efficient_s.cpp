#include <algorithm>

#include "common/error.h"
#include "search/dag_search.h"

namespace fusim {

// Efficient-S: groups are ranges of the network's topological order, chosen by dynamic
// programming over the range ends.
std::vector<Group> efficient_s_search(const Network& net, GroupEvaluator& eval, const DagIndex& dag,
                                      const SearchOptions& o) {
  const int n = static_cast<int>(net.layers().size());
  std::vector<Score> best(static_cast<std::size_t>(n) + 1);
  std::vector<int> from(static_cast<std::size_t>(n) + 1, -1);
  std::vector<GroupChoice> choice(static_cast<std::size_t>(n) + 1);
  from[0] = 0;
  for (int j = 1; j <= n; ++j) {
    for (int i = std::max(0, j - o.max_group_layers); i < j; ++i) {
      if (from[static_cast<std::size_t>(i)] < 0) continue;
      std::vector<int> layers;
      for (int k = i; k < j; ++k) layers.push_back(k);
      if (!dag.connected(layers)) continue;
      const GroupChoice& c = eval.best(layers);
      if (!c.feasible || !c.weights_resident) continue;
      const Score s = best[static_cast<std::size_t>(i)] + c.score;
      if (from[static_cast<std::size_t>(j)] < 0 ||
          eval.better(s, best[static_cast<std::size_t>(j)])) {
        best[static_cast<std::size_t>(j)] = s;
        from[static_cast<std::size_t>(j)] = i;
        choice[static_cast<std::size_t>(j)] = c;
      }
    }
    if (from[static_cast<std::size_t>(j)] < 0) {
      throw InputError("", 0, "--fusion",
                       "efficient-s: layer '" + net.layer(j - 1).name + "' fits in no group");
    }
  }
  std::vector<Group> groups;
  for (int j = n; j > 0; j = from[static_cast<std::size_t>(j)]) {
    const int i = from[static_cast<std::size_t>(j)];
    std::vector<int> layers;
    for (int k = i; k < j; ++k) layers.push_back(k);
    groups.insert(groups.begin(), choice[static_cast<std::size_t>(j)].group(layers));
  }
  return groups;
}

}  // namespace fusim
