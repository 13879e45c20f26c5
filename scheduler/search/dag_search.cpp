#include "search/dag_search.h"

#include <algorithm>
#include <map>
#include <numeric>
#include <optional>

#include "common/error.h"
#include "common/hash.h"

namespace fusim {

DagIndex::DagIndex(const Network& net) {
  const std::size_t n = net.layers().size();
  preds_.resize(n);
  succs_.resize(n);
  inputs_read_.resize(n);
  input_readers_.resize(net.inputs().size());
  for (std::size_t i = 0; i < n; ++i) {
    for (const Operand& op : net.layers()[i].inputs) {
      auto& list = op.from_network_input ? inputs_read_[i] : preds_[i];
      if (std::find(list.begin(), list.end(), op.index) == list.end()) list.push_back(op.index);
    }
    std::sort(preds_[i].begin(), preds_[i].end());
    for (int in : inputs_read_[i])
      input_readers_[static_cast<std::size_t>(in)].push_back(static_cast<int>(i));
    for (int p : preds_[i]) succs_[static_cast<std::size_t>(p)].push_back(static_cast<int>(i));
  }
}

int DagIndex::components(const std::vector<int>& layers) const {
  const std::size_t k = layers.size();
  std::vector<std::size_t> parent(k);
  std::iota(parent.begin(), parent.end(), 0);
  auto find = [&](std::size_t x) {
    while (parent[x] != x) x = parent[x] = parent[parent[x]];
    return x;
  };
  auto index_of = [&](int layer) -> long {
    const auto it = std::lower_bound(layers.begin(), layers.end(), layer);
    return it != layers.end() && *it == layer ? it - layers.begin() : -1;
  };
  // Outside tensors read, by (is network input, index) -> first member reading it.
  std::map<std::pair<bool, int>, std::size_t> readers;
  for (std::size_t a = 0; a < k; ++a) {
    const auto li = static_cast<std::size_t>(layers[a]);
    auto join = [&](bool net_input, int v) {
      const auto r = readers.emplace(std::make_pair(net_input, v), a);
      parent[find(a)] = find(r.first->second);
    };
    for (int p : preds_[li]) {
      const long b = index_of(p);
      if (b >= 0) {
        parent[find(a)] = find(static_cast<std::size_t>(b));
      } else {
        join(false, p);
      }
    }
    for (int in : inputs_read_[li]) join(true, in);
  }
  int count = 0;
  for (std::size_t a = 0; a < k; ++a) count += find(a) == a ? 1 : 0;
  return count;
}

bool DagIndex::read_common_tensor(int a, int b) const {
  auto common = [](const std::vector<int>& x, const std::vector<int>& y) {
    for (int v : x)
      if (std::find(y.begin(), y.end(), v) != y.end()) return true;
    return false;
  };
  const auto ua = static_cast<std::size_t>(a), ub = static_cast<std::size_t>(b);
  return common(preds_[ua], preds_[ub]) || common(inputs_read_[ua], inputs_read_[ub]);
}

bool DagIndex::is_path(const std::vector<int>& layers) const {
  std::size_t edges = 0;
  for (int a : layers) {
    int in = 0, out = 0;
    for (int p : preds(a)) in += std::binary_search(layers.begin(), layers.end(), p) ? 1 : 0;
    for (int s : succs(a)) out += std::binary_search(layers.begin(), layers.end(), s) ? 1 : 0;
    if (in > 1 || out > 1) return false;
    edges += static_cast<std::size_t>(in);
  }
  return edges + 1 == layers.size();  // with at most one in and out each: a single path
}

namespace {

bool all_preds_in(const DagIndex& dag, int x, const LayerSet& done, const LayerSet& group) {
  for (int p : dag.preds(x))
    if (!done.has(p) && !group.has(p)) return false;
  return true;
}

// Builds every extension by adding layers in increasing index order; a layer can only become
// addable through an earlier (lower-index) producer, so each set is built exactly once.
void extend(const DagIndex& dag, const LayerSet& done, int max_layers, LayerSet& in_group,
            std::vector<int>& group, std::vector<int>& avail,
            const std::function<bool(const std::vector<int>&)>& visit, WalkWork* work) {
  const int last = group.empty() ? -1 : group.back();
  const std::vector<int> candidates = avail;
  for (int x : candidates) {
    if (x <= last) continue;
    if (work && (work->steps += static_cast<std::int64_t>(group.size()) + 1, work->over())) return;
    group.push_back(x);
    in_group.add(x);
    // A set in two unconnected parts may still be joined by a later layer (two branches
    // meeting in an add); a third part is not followed, which keeps independent layers (a
    // SCALE-Sim topology: every layer reads its own input) from exploding the enumeration.
    const int parts = dag.components(group);
    bool grow = parts <= 2;
    if (parts == 1) grow = visit(group);
    if (grow && static_cast<int>(group.size()) < max_layers) {
      const std::size_t mark = avail.size();
      for (int s : dag.succs(x)) {
        if (!done.has(s) && !in_group.has(s) && all_preds_in(dag, s, done, in_group) &&
            std::find(avail.begin(), avail.end(), s) == avail.end()) {
          avail.push_back(s);
        }
      }
      std::sort(avail.begin() + static_cast<long>(mark), avail.end());
      extend(dag, done, max_layers, in_group, group, avail, visit, work);
      avail.resize(mark);
    }
    in_group.remove(x);
    group.pop_back();
  }
}

}  // namespace

void for_each_extension(const DagIndex& dag, const LayerSet& done, int max_layers,
                        const std::function<bool(const std::vector<int>&)>& visit, WalkWork* work) {
  if (work && (work->steps += dag.size(), work->over())) return;
  std::vector<int> frontier;
  const LayerSet none(static_cast<std::size_t>(dag.size()));
  for (int x = 0; x < dag.size(); ++x)
    if (!done.has(x) && all_preds_in(dag, x, done, none)) frontier.push_back(x);
  LayerSet in_group(static_cast<std::size_t>(dag.size()));
  std::vector<int> group;
  extend(dag, done, max_layers, in_group, group, frontier, visit, work);
}

namespace {

[[noreturn]] void too_large(const std::string& algorithm, const std::string& why) {
  throw InputError(
      "", 0, "--fusion",
      algorithm + " gives up: " + why + "; use --fusion online, or a smaller --max-group-layers");
}

}  // namespace

std::vector<std::vector<int>> DagIndex::parts() const {
  std::vector<int> all(static_cast<std::size_t>(size()));
  std::iota(all.begin(), all.end(), 0);
  // Reuse the group test on the whole network: union-find over edges and shared inputs.
  std::vector<std::vector<int>> out;
  std::vector<int> part_of(all.size(), -1);
  for (int x : all) {
    if (part_of[static_cast<std::size_t>(x)] >= 0) continue;
    const int id = static_cast<int>(out.size());
    out.emplace_back();
    std::vector<int> stack{x};
    part_of[static_cast<std::size_t>(x)] = id;
    while (!stack.empty()) {
      const int v = stack.back();
      stack.pop_back();
      out.back().push_back(v);
      auto reach = [&](int w) {
        if (part_of[static_cast<std::size_t>(w)] < 0) {
          part_of[static_cast<std::size_t>(w)] = id;
          stack.push_back(w);
        }
      };
      for (int p : preds(v)) reach(p);
      for (int c : succs(v)) reach(c);
      for (int in : inputs_read_[static_cast<std::size_t>(v)])
        for (int r : input_readers_[static_cast<std::size_t>(in)]) reach(r);
    }
    std::sort(out.back().begin(), out.back().end());
  }
  return out;
}

namespace {

// An order-free fingerprint of a group's layers: partial partitions that hold the same groups
// (reached in another order) sum to the same fingerprint.
std::uint64_t group_fingerprint(const std::vector<int>& group) {
  std::uint64_t h = 0;
  for (int x : group) h = splitmix64(h + static_cast<std::uint64_t>(x) + 1);
  return h;
}

}  // namespace

std::vector<Group> downset_search(const Network& net, GroupEvaluator& eval, const DagIndex& dag,
                                  const SearchOptions& o, bool paths_only) {
  // Forward dynamic programming over downsets (the layers already scheduled), level by level
  // in their size: every transition adds a group, so a state's best is final when its level
  // is reached. No group spans two unconnected parts of the network, so each part is searched
  // on its own (from the state where every other part is done): the downsets of independent
  // parts would otherwise multiply.
  //
  // With a judge and o.judge_best = K > 0 (a reduced oracle), the cost model searches instead,
  // keeping the K best partial partitions of every state (distinct sets of groups: the same
  // groups in another order are one), and the judge then scores the K best partitions of each
  // part; the best of those is taken. Otherwise each state keeps its best (K = 1).
  const bool reduced = o.judge && o.judge_best > 0;
  GroupEvaluator& search = reduced ? eval.ranking() : eval;
  const std::size_t keep = reduced ? static_cast<std::size_t>(o.judge_best) : 1;
  struct Entry {
    Score score;
    LayerSet parent;
    std::size_t parent_rank = 0;  // which of the parent's entries this one extends
    std::vector<int> group;
    GroupChoice choice;
    std::uint64_t fingerprint = 0;  // the sum of its groups' fingerprints
  };
  const std::size_t n = net.layers().size();
  std::int64_t candidates = 0;
  const std::string name = paths_only ? "dnnvm" : "optimal";
  std::vector<Group> groups;
  for (const std::vector<int>& part : dag.parts()) {
    LayerSet start(n), full(n);
    for (std::size_t i = 0; i < n; ++i)
      start.add(static_cast<int>(i)), full.add(static_cast<int>(i));
    for (int x : part) start.remove(x);
    // Each state's entries, best first (ties: the first found first).
    std::map<LayerSet, std::vector<Entry>> best;
    std::vector<std::vector<LayerSet>> level(part.size() + 1);
    best[start].push_back(Entry{Score{}, start, 0, {}, GroupChoice{}, 0});
    level[0].push_back(start);
    for (std::size_t k = 0; k < part.size(); ++k) {
      for (const LayerSet& s : level[k]) {
        const std::vector<Entry>& from = best.at(s);
        for_each_extension(dag, s, o.max_group_layers, [&](const std::vector<int>& g) {
          if (++candidates > o.max_candidates) {
            too_large(name, "more than " + std::to_string(o.max_candidates) +
                                " candidate groups in this network");
          }
          if (paths_only && !dag.is_path(g)) return false;
          const GroupChoice& c = search.best(g);
          // Groups grow only by later layers (consumers or parallel members), which never
          // shrink a footprint: a group that does not fit has no superset that fits.
          if (!c.feasible) return !o.prune_infeasible;
          if (paths_only && g.size() > 1 && !c.weights_resident) return true;
          // A group whose tiled plan fits on no core count is scored (layerwise) but not grown:
          // the enumeration stays the one of the fused groups that fit.
          const bool grow = c.fits || !o.prune_infeasible;
          LayerSet next = s;
          for (int x : g) next.add(x);
          auto [it, fresh] = best.try_emplace(next);
          if (fresh) level[k + g.size()].push_back(next);
          std::vector<Entry>& to = it->second;
          const std::uint64_t print = reduced ? group_fingerprint(g) : 0;
          for (std::size_t r = 0; r < from.size(); ++r) {
            const Score score = from[r].score + c.score;
            const std::uint64_t fingerprint = from[r].fingerprint + print;
            // After every entry no worse than it; the lists are sorted, so none after that
            // place is better, and past `keep` it is dropped.
            auto at = std::find_if(to.begin(), to.end(),
                                   [&](const Entry& e) { return search.better(score, e.score); });
            if (static_cast<std::size_t>(at - to.begin()) >= keep) break;
            if (reduced && std::any_of(to.begin(), to.end(), [&](const Entry& e) {
                  return e.fingerprint == fingerprint;
                })) {
              continue;
            }
            to.insert(at, Entry{score, s, r, g, c, fingerprint});
            if (to.size() > keep) to.pop_back();
          }
          return grow;
        });
      }
      std::vector<LayerSet>().swap(level[k]);
    }
    const auto done = best.find(full);
    if (done == best.end()) {
      throw InputError("", 0, "--fusion",
                       name + ": no schedule fits this arch (some layer fits in no group)");
    }
    // The part's partitions, best first; with a reduced oracle, the judge's best of them.
    std::optional<Score> judged_best;
    std::vector<Group> mine;
    for (std::size_t rank = 0; rank < done->second.size(); ++rank) {
      std::vector<Group> partition;
      Score judged;
      LayerSet s = full;
      for (std::size_t r = rank; !(s == start);) {
        const Entry& e = best.at(s)[r];
        if (reduced) {
          const GroupChoice& j = eval.best(e.group);
          judged += j.score;
          partition.push_back(j.group(e.group));
        } else {
          partition.push_back(e.choice.group(e.group));
        }
        s = e.parent;
        r = e.parent_rank;
      }
      if (!judged_best || eval.better(judged, *judged_best)) {
        judged_best = judged;
        mine = std::move(partition);
      }
    }
    groups.insert(groups.end(), mine.rbegin(), mine.rend());
  }
  return groups;
}

std::vector<Group> optimal_search(const Network& net, GroupEvaluator& eval, const DagIndex& dag,
                                  const SearchOptions& o) {
  return downset_search(net, eval, dag, o, false);
}

std::vector<Group> dnnvm_search(const Network& net, GroupEvaluator& eval, const DagIndex& dag,
                                const SearchOptions& o) {
  return downset_search(net, eval, dag, o, true);
}

std::vector<Group> online_search(const Network& net, GroupEvaluator& eval, const DagIndex& dag,
                                 const SearchOptions& o) {
  // Greedy: at the frontier, take the feasible group that saves the most against running its
  // layers one by one; groups that do not fit are not grown further (pruned).
  const std::size_t n = net.layers().size();
  LayerSet done(n);
  std::size_t scheduled = 0;
  std::vector<Group> groups;
  while (scheduled < n) {
    std::vector<int> pick;
    GroupChoice pick_choice;
    Score pick_saving;
    bool have = false;
    for_each_extension(dag, done, o.online_group_layers, [&](const std::vector<int>& g) {
      // A layerwise group moves its layers' bytes and saves only launches: when bytes come
      // first, the greedy would take the largest such group wherever no tiled group saves bytes
      // (a global pool's barrier) and block the tiled groups after it. It fuses tiled groups only.
      const GroupChoice c = g.size() > 1 && eval.objective() == Objective::Bytes
                                ? eval.best(g).tiled()
                                : eval.best(g);
      if (!c.feasible) return false;
      Score alone;
      for (int x : g) alone += eval.best({x}).score;
      const Score saving{alone.bytes - c.score.bytes, alone.cycles - c.score.cycles};
      // Among equal savings the larger group, then the first found.
      if (!have ||
          eval.better(Score{-saving.bytes, -saving.cycles},
                      Score{-pick_saving.bytes, -pick_saving.cycles}) ||
          (!eval.better(Score{-pick_saving.bytes, -pick_saving.cycles},
                        Score{-saving.bytes, -saving.cycles}) &&
           g.size() > pick.size())) {
        have = true;
        pick = g;
        pick_choice = c;
        pick_saving = saving;
      }
      return true;
    });
    if (!have) {
      throw InputError("", 0, "--fusion", "online: no group at the frontier fits this arch");
    }
    for (int x : pick) done.add(x);
    scheduled += pick.size();
    groups.push_back(pick_choice.group(pick));
  }
  return groups;
}

namespace {

// The layers outside `part`: the state the oracle starts each part from.
LayerSet all_but(const DagIndex& dag, const std::vector<int>& part) {
  LayerSet s(static_cast<std::size_t>(dag.size()));
  for (int i = 0; i < dag.size(); ++i) s.add(i);
  for (int x : part) s.remove(x);
  return s;
}

// log2 of a number of partitions the part has at least, from two families that oracle visits:
// - cut the part's layers, in index order (a topological order), into ranges, where each two
//   consecutive layers are linked (the second reads the first, or both read one tensor): every
//   range is then connected and convex, and any cut of the links gives a partition;
// - split chains, edges u -> v where v is u's only consumer and u v's only producer, at any of
//   their edges, the other layers alone: every piece is a path, connected and convex.
// Each family alone has 2^(links) members; the larger is returned.
int log2_lower_bound(const DagIndex& dag, const std::vector<int>& part) {
  int linked = 0, chained = 0;
  for (std::size_t i = 0; i + 1 < part.size(); ++i) {
    const int a = part[i], b = part[i + 1];
    const auto& pb = dag.preds(b);
    if (std::find(pb.begin(), pb.end(), a) != pb.end() || dag.read_common_tensor(a, b)) ++linked;
  }
  for (int u : part) {
    const auto& s = dag.succs(u);
    if (s.size() == 1 && dag.preds(s[0]).size() == 1) ++chained;
  }
  return std::max(linked, chained);
}

}  // namespace

OracleCount count_partitions(const DagIndex& dag, std::int64_t stop_above) {
  // The oracle's recursion below without the cost model: the partitions from a state depend on
  // the state alone, so they are memoised (the oracle is not). Counts saturate at stop_above + 1:
  // every state can be finished (one layer at a time), so a state reachable with more than that
  // many partitions ahead of it puts the total over the limit too.
  stop_above = std::min(stop_above, std::int64_t{1} << 60);  // sums of two counts stay in range
  const std::int64_t over = stop_above + 1;
  OracleCount result;
  const std::vector<std::vector<int>> parts = dag.parts();
  for (const std::vector<int>& part : parts) {
    const int bits = log2_lower_bound(dag, part);
    if (bits >= 62 || (std::int64_t{1} << bits) > stop_above) {
      result.over_limit = true;
      result.partitions = over;
      return result;
    }
  }
  WalkWork work;
  work.max_steps = kOracleCountSteps;
  for (const std::vector<int>& part : parts) {
    if (static_cast<int>(part.size()) > kOracleCountLayers ||
        (work.steps += dag.size(), work.over())) {
      return OracleCount{0, false, true};
    }
    std::map<LayerSet, std::int64_t> memo;
    std::function<std::int64_t(const LayerSet&, std::size_t)> count =
        [&](const LayerSet& done, std::size_t scheduled) -> std::int64_t {
      if (scheduled == part.size()) return 1;
      const auto it = memo.find(done);
      if (it != memo.end()) return it->second;
      std::int64_t c = 0;
      for_each_extension(
          dag, done, dag.size(),
          [&](const std::vector<int>& g) {
            if (c >= over) return false;  // nothing more to learn: walk out cheaply
            LayerSet next = done;
            for (int x : g) next.add(x);
            c = std::min(over, c + count(next, scheduled + g.size()));
            return true;
          },
          &work);
      memo.emplace(done, c);
      return c;
    };
    const std::int64_t mine = count(all_but(dag, part), 0);
    if (work.over()) return OracleCount{0, false, true};
    result.partitions = std::min(over, result.partitions + mine);
    if (result.partitions >= over) {
      result.over_limit = true;
      return result;
    }
  }
  return result;
}

OracleCount count_oracle_partitions(const Network& net, std::int64_t stop_above) {
  return count_partitions(DagIndex(net), stop_above);
}

std::vector<Group> oracle_search(const Network&, GroupEvaluator& eval, const DagIndex& dag,
                                 const SearchOptions& o) {
  const std::int64_t limit = o.oracle_max_partitions;
  const OracleCount counted = count_partitions(dag, limit);
  if (counted.over_limit) {
    const std::int64_t seconds =
        (limit + kOraclePartitionsPerSecond - 1) / kOraclePartitionsPerSecond;
    throw InputError("", 0, "--fusion",
                     "oracle scores every partition and refuses networks of more than " +
                         std::to_string(limit) + " partitions, about " + std::to_string(seconds) +
                         " s of search (this one has more); use --fusion optimal");
  }
  if (counted.too_costly) {
    throw InputError("", 0, "--fusion",
                     "oracle scores every partition and refuses networks whose partitions it "
                     "cannot count within " +
                         std::to_string(kOracleCountSteps) +
                         " steps (or with a part of more than " +
                         std::to_string(kOracleCountLayers) + " layers); use --fusion optimal");
  }
  // Every sequence of groups that covers each unconnected part of the network (no group spans
  // two), with no memo: exhaustive by design. count_partitions walks the same recursion.
  std::vector<Group> all;
  for (const std::vector<int>& part : dag.parts()) {
    std::vector<Group> current, best_groups;
    Score best_score;
    bool have = false;
    std::function<void(const LayerSet&, std::size_t, const Score&)> rec =
        [&](const LayerSet& done, std::size_t count, const Score& score) {
          if (count == part.size()) {
            eval.count_partition();
            if (!have || eval.better(score, best_score)) {
              have = true;
              best_score = score;
              best_groups = current;
            }
            return;
          }
          for_each_extension(dag, done, dag.size(), [&](const std::vector<int>& g) {
            const GroupChoice& c = eval.best(g);
            if (!c.feasible) return true;
            LayerSet next = done;
            for (int x : g) next.add(x);
            current.push_back(c.group(g));
            rec(next, count + g.size(), score + c.score);
            current.pop_back();
            return true;
          });
        };
    rec(all_but(dag, part), 0, Score{});
    if (!have) throw InputError("", 0, "--fusion", "oracle: no schedule fits this arch");
    all.insert(all.end(), best_groups.begin(), best_groups.end());
  }
  return all;
}

}  // namespace fusim
