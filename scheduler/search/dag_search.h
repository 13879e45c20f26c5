// What the searches built on the cost model share: the DAG's shape tests, the walk over the
// groups that may come next, and the runner that gives each search a GroupEvaluator. The
// searches themselves are declared at the end. Internal to search/.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "arch/arch.h"
#include "network/network.h"
#include "schedule/schedule.h"
#include "search/group_evaluator.h"
#include "search/search.h"

namespace fusim {

// A set of layers as bits, by layer index.
class LayerSet {
 public:
  explicit LayerSet(std::size_t n = 0) : words_((n + 63) / 64, 0) {}
  bool has(int i) const { return (words_[static_cast<std::size_t>(i) / 64] >> (i % 64)) & 1U; }
  void add(int i) { words_[static_cast<std::size_t>(i) / 64] |= std::uint64_t{1} << (i % 64); }
  void remove(int i) {
    words_[static_cast<std::size_t>(i) / 64] &= ~(std::uint64_t{1} << (i % 64));
  }
  bool operator<(const LayerSet& o) const { return words_ < o.words_; }
  bool operator==(const LayerSet& o) const { return words_ == o.words_; }

 private:
  std::vector<std::uint64_t> words_;
};

// Producer/consumer lists of every layer, and the shape tests groups must pass.
class DagIndex {
 public:
  explicit DagIndex(const Network& net);
  int size() const { return static_cast<int>(preds_.size()); }
  const std::vector<int>& preds(int i) const { return preds_[static_cast<std::size_t>(i)]; }
  const std::vector<int>& succs(int i) const { return succs_[static_cast<std::size_t>(i)]; }
  // Connected through producer-consumer edges inside the group or through a tensor from outside
  // that several members read (parallel branches on one input). `layers` sorted.
  bool connected(const std::vector<int>& layers) const { return components(layers) == 1; }
  int components(const std::vector<int>& layers) const;
  // The network's unconnected parts (same connection as for groups), each sorted.
  std::vector<std::vector<int>> parts() const;
  // A path of the DAG: every member has at most one producer and one consumer in the group.
  bool is_path(const std::vector<int>& layers) const;
  // `a` and `b` read a common tensor (a layer's output or a network input).
  bool read_common_tensor(int a, int b) const;

 private:
  std::vector<std::vector<int>> preds_, succs_;
  std::vector<std::vector<int>> inputs_read_;    // per layer: network inputs it reads
  std::vector<std::vector<int>> input_readers_;  // per network input: layers reading it
};

// Calls `visit(group)` for every non-empty set G of layers outside `done` such that done + G is
// a downset (G convex), |G| <= max_layers, G connected, and G is built by adding layers in
// index order through sets of at most two unconnected parts; groups come sorted. `visit`
// returns false to stop extending that group further (its supersets are skipped).
// With `work`, the walk adds the layers it examines to work->steps (the frontier scan, then the
// size of every set it tries) and stops trying sets once steps passes work->max_steps.
struct WalkWork {
  std::int64_t steps = 0, max_steps = 0;
  bool over() const { return steps > max_steps; }
};
void for_each_extension(const DagIndex& dag, const LayerSet& done, int max_layers,
                        const std::function<bool(const std::vector<int>&)>& visit,
                        WalkWork* work = nullptr);

// A search over groups: the groups, in an order that respects the DAG, covering every layer
// once. It asks `eval` for the best cores of each candidate group and throws InputError (key
// "--fusion") when it cannot schedule the network.
using GroupSearch = std::vector<Group> (*)(const Network& net, GroupEvaluator& eval,
                                           const DagIndex& dag, const SearchOptions& options);

// Runs `search` once every layer is known to fit a group on its own (else throws InputError
// naming the arch key at fault); fills groups_evaluated, partitions_evaluated (the partitions
// the search passed to GroupEvaluator::count_partition) and search_seconds, which counts the
// check and the setup too.
Schedule run_group_search(const Network& net, const Arch& arch, const SearchOptions& options,
                          GroupSearch search);

// `search` with the signature of SearchAlgorithm::run, for the registry.
template <GroupSearch search>
Schedule group_search(const Network& net, const Arch& arch, const SearchOptions& options) {
  return run_group_search(net, arch, options, search);
}

// Exact over connected convex groups of up to max_group_layers layers: a memoised search over
// the DAG's downsets, so a group may start at several frontier layers at once (parallel
// branches). With `paths_only` (dnnvm), a group is a path of the DAG and, fused, its weights
// must fit on chip.
std::vector<Group> downset_search(const Network& net, GroupEvaluator& eval, const DagIndex& dag,
                                  const SearchOptions& o, bool paths_only);
std::vector<Group> optimal_search(const Network& net, GroupEvaluator& eval, const DagIndex& dag,
                                  const SearchOptions& o);
std::vector<Group> dnnvm_search(const Network& net, GroupEvaluator& eval, const DagIndex& dag,
                                const SearchOptions& o);
// Greedy and fast: repeatedly takes, among the connected groups of up to online_group_layers
// at the frontier, the one that saves the most against running its layers one by one.
std::vector<Group> online_search(const Network& net, GroupEvaluator& eval, const DagIndex& dag,
                                 const SearchOptions& o);
// Exhaustive: every partition into connected convex groups of any size, in every order the DAG
// allows, without memo; refuses networks with more than oracle_max_partitions of them.
std::vector<Group> oracle_search(const Network& net, GroupEvaluator& eval, const DagIndex& dag,
                                 const SearchOptions& o);
// The partitions oracle_search scores, counted without the cost model (count_oracle_partitions
// in search.h, on the DAG).
OracleCount count_partitions(const DagIndex& dag, std::int64_t stop_above);
// Efficient-S (efficient_s.cpp): groups contiguous in the network's topological order, by
// dynamic programming over the range ends; fused weights must fit on chip.
std::vector<Group> efficient_s_search(const Network& net, GroupEvaluator& eval, const DagIndex& dag,
                                      const SearchOptions& o);
// The DLFusion tuner (dlfusion.cpp): greedy fusion along a topological order and a core count
// per group, both from the arch's calibration table; the cost model only checks that groups fit.
// Throws InputError naming the calibration file when it is missing or malformed.
Schedule dlfusion_schedule(const Network& net, const Arch& arch, const SearchOptions& o);
// The layer indices of `net` by level (the longest path from the network's inputs), then by
// index: a topological order in which the layers one layer feeds sit side by side; the tuner
// also splits the network in this order (dlfusion_schedule).
std::vector<int> dlfusion_level_order(const Network& net);
// The tuner's features of a layer: its operation count (PE-array MACs, or vector-unit
// operations for the layers that have none), and the operation counts it is priced at alone and
// in a fused group (a pool's alone, a global pool's fused: that of the calibration's pool, of
// stride 2 alone and 1 fused, that reads and writes as many elements; dlfusion.cpp).
double dlfusion_ops(const Layer& l);
double dlfusion_ops_alone(const Layer& l);
double dlfusion_ops_fused(const Layer& l);
// The rows beyond its band of output rows that a layer reads of its input, above and below, as
// if at stride 1: d (k - 1) / 2 each side of a window of k rows of dilation d (a 3x3 conv or
// pool: two; a 5x5: four; a 3x3 of dilation 2: four; a 2x2 pool: none). Counting a strided window's
// k - stride rows instead (one for a 3x3 of stride 2) was measured worse for the tuner
// (EfficientNet-B0 +5.8 %).
std::int64_t dlfusion_halo_rows(const Layer& l);
// Per layer x in [first, last] (index x - first): the most halo rows (dlfusion_halo_rows) of the
// layers after x in [first, last] on any path from x; in a fused group of those layers, x
// computes as many rows beyond its band. They add up along a path, not across branches: an
// inception module's 1x1 branch computes none for its 3x3 branch.
std::vector<std::int64_t> dlfusion_halo_below(const Network& net, int first, int last);

}  // namespace fusim
