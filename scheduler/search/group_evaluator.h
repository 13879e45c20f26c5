// The searches' view of the cost model: the best core count for a candidate group, memoised.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "arch/arch.h"
#include "cost/cost_model.h"
#include "network/network.h"
#include "search/search.h"

namespace fusim {

// What a search adds up: off-chip bytes and the cycle estimate of groups run one after another.
struct Score {
  std::int64_t bytes = 0, cycles = 0;
  Score& operator+=(const Score& o) {
    bytes += o.bytes;
    cycles += o.cycles;
    return *this;
  }
};
Score operator+(Score a, const Score& b);

struct GroupChoice {
  bool feasible = false;
  // The tiled (fused) plan fits on some core count tried: the searches grow only such groups
  // (a group that does not fit has no superset that fits; layerwise groups are scored, not
  // grown from).
  bool fits = false;
  std::int64_t cores = 1, tiles = 0;
  // The fewest tiles of the tiled plan on each core count costed (0: it does not fit): where
  // the tile search of a group with one layer more starts on that count.
  std::vector<std::pair<std::int64_t, std::int64_t>> tiles_at;
  GroupMapping mapping = GroupMapping::Tiled;
  std::int64_t weight_bytes = 0;
  bool weights_resident = true;  // fused groups: all weights fit the weight buffer
  Score score;
  // The best tiled plan, output- or input-centric, when one fits (the choice itself unless
  // layerwise won).
  bool tiled_fits = false;
  std::int64_t tiled_cores = 1, tiled_tiles = 0;
  GroupMapping tiled_mapping = GroupMapping::Tiled;
  Score tiled_score;
  Group group(const std::vector<int>& layers) const { return Group{layers, cores, tiles, mapping}; }
  // This choice restricted to the tiled plan (feasible when it fits).
  GroupChoice tiled() const {
    GroupChoice t = *this;
    t.feasible = tiled_fits;
    t.cores = tiled_cores;
    t.tiles = tiled_tiles;
    t.score = tiled_score;
    t.mapping = tiled_mapping;
    return t;
  }
};

class GroupEvaluator {
 public:
  // `cores`: SearchOptions::cores; `judge`: SearchOptions::judge (empty: the cost model);
  // `shared_fmaps`: SearchOptions::shared_fmaps (groups costed with every map that can be in
  // the shared buffer there).
  // `caps`: how many caps on the cores of a group best() answers for (caps(), below); 1 (the
  // default): the arch's count alone.
  GroupEvaluator(const Network& net, const Arch& arch, Objective objective,
                 std::int64_t cores = kCoresDefault, GroupJudge judge = {},
                 bool shared_fmaps = false, FusionPolicy policy = FusionPolicy::Complex,
                 bool input_centric = true, int caps = 1);

  // The best cores for `layers` (sorted, convex) among those up to the current cap; memoised.
  // Core counts tried: 1, 2, 4, ... and the arch's count, or only the count --cores fixes.
  const GroupChoice& best(const std::vector<int>& layers);
  // The caps best() answers for: the arch's core count, then half of it, a quarter, ... (as
  // many as the constructor's `caps`, down to 1 core, each counted once). One scan of a group's
  // core counts serves them all: a capped search costs little more than its walk over the
  // groups, whose costs are memoised (run_group_search, SearchOptions::core_caps).
  const std::vector<std::int64_t>& caps() const { return caps_; }
  void set_cap(std::size_t index) { cap_ = index; }
  bool better(const Score& a, const Score& b) const;  // strictly
  Objective objective() const { return objective_; }
  // The same evaluator without the judge (the cost model's estimates), for what needs no judge:
  // whether a group fits, and the ranking a reduced oracle judges the best of
  // (SearchOptions::judge_best). This one when there is no judge; built once, memoised apart.
  GroupEvaluator& ranking();
  std::int64_t evaluated() const { return evaluated_; }
  // A search that scores whole partitions (oracle) counts each here; run_group_search copies
  // the count into the schedule.
  void count_partition() { ++partitions_; }
  std::int64_t partitions() const { return partitions_; }

 private:
  const Network& net_;
  const Arch& arch_;
  Objective objective_;
  FusionPolicy policy_;
  bool input_centric_;
  std::vector<std::int64_t> core_options_;
  std::int64_t cores_;
  GroupJudge judge_;
  std::unique_ptr<GroupEvaluator> ranking_;  // ranking(), when there is a judge
  std::vector<std::int64_t> shared_fmaps_;   // shared_fmap_candidates(), or empty
  std::vector<std::int64_t> caps_;
  std::size_t cap_ = 0;                                        // index into caps_
  std::map<std::vector<int>, std::vector<GroupChoice>> memo_;  // per cap
  // Single-layer costs by layer and core option (index into core_options_), which the
  // layerwise groups add up; filled as asked.
  std::vector<std::optional<GroupCost>> single_;
  const GroupCost& single(int layer, std::size_t option);
  std::int64_t evaluated_ = 0;
  std::int64_t partitions_ = 0;
};

}  // namespace fusim
