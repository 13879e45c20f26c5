// The searches over the DAG's downsets (optimal, dnnvm), the greedy on-line search and the
// exhaustive oracle. Internal to search/.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

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

 private:
  std::vector<std::vector<int>> preds_, succs_;
  std::vector<std::vector<int>> inputs_read_;    // per layer: network inputs it reads
  std::vector<std::vector<int>> input_readers_;  // per network input: layers reading it
};

// Calls `visit(group)` for every non-empty set G of layers outside `done` such that done + G is
// a downset (G convex), |G| <= max_layers, G connected, and G is built by adding layers in
// index order through sets of at most two unconnected parts; groups come sorted. `visit`
// returns false to stop extending that group further (its supersets are skipped).
void for_each_extension(const DagIndex& dag, const LayerSet& done, int max_layers,
                        const std::function<bool(const std::vector<int>&)>& visit);

std::vector<Group> downset_search(const Network& net, GroupEvaluator& eval, const DagIndex& dag,
                                  const SearchOptions& o, bool paths_only);
std::vector<Group> online_search(const Network& net, GroupEvaluator& eval, const DagIndex& dag,
                                 const SearchOptions& o);
std::vector<Group> oracle_search(const Network& net, GroupEvaluator& eval, const DagIndex& dag,
                                 const SearchOptions& o);

}  // namespace fusim
