#include "search/search.h"

#include <algorithm>
#include <chrono>
#include <memory>
#include <optional>
#include <utility>

#include "common/error.h"
#include "cost/cost_model.h"
#include "cost/fused_plan.h"
#include "cost/prefetch.h"
#include "cost/shared_fmaps.h"
#include "search/dag_search.h"
#include "search/group_evaluator.h"
#include "search/registry.h"

namespace fusim {

Score operator+(Score a, const Score& b) {
  a += b;
  return a;
}

const char* fusion_policy_name(FusionPolicy policy) {
  return policy == FusionPolicy::Simple ? "simple" : "complex";
}

std::optional<FusionPolicy> fusion_policy_of(const std::string& name) {
  for (FusionPolicy p : {FusionPolicy::Simple, FusionPolicy::Complex})
    if (name == fusion_policy_name(p)) return p;
  return std::nullopt;
}

bool complex_operator(const Layer& l) {
  return l.type == LayerType::Conv || l.type == LayerType::Fc || l.type == LayerType::Gemm;
}

int complex_operators(const Network& net, const std::vector<int>& layers) {
  return static_cast<int>(std::count_if(layers.begin(), layers.end(),
                                        [&](int li) { return complex_operator(net.layer(li)); }));
}

bool policy_allows(const Network& net, FusionPolicy policy, const std::vector<int>& layers) {
  if (policy == FusionPolicy::Complex || layers.size() < 2) return true;
  int complex = -1;
  for (int li : layers) {
    if (!complex_operator(net.layer(li))) continue;
    if (complex >= 0) return false;
    complex = li;
  }
  if (complex < 0) return true;
  for (int li : layers) {
    if (li != complex && !net.reaches(complex, li)) return false;
  }
  return true;
}

GroupEvaluator::GroupEvaluator(const Network& net, const Arch& arch, Objective objective,
                               std::int64_t cores, GroupJudge judge, bool shared_fmaps,
                               FusionPolicy policy, bool input_centric, int caps)
    : net_(net),
      arch_(arch),
      objective_(objective),
      policy_(policy),
      input_centric_(input_centric),
      cores_(cores),
      judge_(std::move(judge)),
      shared_fmaps_(shared_fmaps ? shared_fmap_candidates(net, arch)
                                 : std::vector<std::int64_t>{}) {
  caps_.push_back(arch.core_count);
  if (cores > 0) {
    core_options_.push_back(std::min(cores, arch.core_count));
    return;
  }
  for (std::int64_t c = 1; c < arch.core_count; c *= 2) core_options_.push_back(c);
  core_options_.push_back(arch.core_count);
  while (static_cast<int>(caps_.size()) < caps && caps_.back() > 1)
    caps_.push_back(caps_.back() / 2);
}

GroupEvaluator& GroupEvaluator::ranking() {
  if (!judge_) return *this;
  if (!ranking_) {
    ranking_ = std::make_unique<GroupEvaluator>(net_, arch_, objective_, cores_, GroupJudge{},
                                                !shared_fmaps_.empty(), policy_, input_centric_);
  }
  return *ranking_;
}

bool GroupEvaluator::better(const Score& a, const Score& b) const {
  if (objective_ == Objective::Bytes) {
    return a.bytes != b.bytes ? a.bytes < b.bytes : a.cycles < b.cycles;
  }
  return a.cycles != b.cycles ? a.cycles < b.cycles : a.bytes < b.bytes;
}

const GroupChoice& GroupEvaluator::best(const std::vector<int>& layers) {
  const auto it = memo_.find(layers);
  if (it != memo_.end()) return it->second[cap_];
  // The best choice under each cap (caps_[k]).
  std::vector<GroupChoice> bests(caps_.size());
  // Not allowed: neither is any superset (a second complex operator stays; a member not after
  // the complex one stays so), so the searches do not grow it.
  if (!policy_allows(net_, policy_, layers))
    return memo_.emplace(layers, bests).first->second[cap_];
  ++evaluated_;
  const GroupCoster coster(net_, arch_, layers, &shared_fmaps_);
  const bool weights = coster.weight_bytes() > 0;
  std::int64_t min_tiles = 0;
  // A fused group whose output has fewer rows than the arch has cores can also run one row
  // band per core on as many cores as it has rows (7 for a 7 x 7 map, where the powers of two
  // stop at 4).
  std::vector<std::int64_t> options = core_options_;
  if (coster.fused() && core_options_.size() > 1 && coster.max_tiles() < arch_.core_count &&
      std::find(options.begin(), options.end(), coster.max_tiles()) == options.end()) {
    options.insert(std::upper_bound(options.begin(), options.end(), coster.max_tiles()),
                   coster.max_tiles());
  }
  // Takes a choice for each cap it is under and beats the best of; true when it beats the
  // uncapped best.
  const auto take = [&](const Score& s, std::int64_t cores, std::int64_t tiles, GroupMapping m) {
    bool first = false;
    for (std::size_t k = 0; k < caps_.size(); ++k) {
      GroupChoice& best = bests[k];
      if (cores > caps_[k] || (best.feasible && !better(s, best.score))) continue;
      best.feasible = true;
      best.cores = cores;
      best.tiles = tiles;
      best.mapping = m;
      best.score = s;
      first = first || k == 0;
    }
    return first;
  };
  bool fits = false;
  std::vector<std::pair<std::int64_t, std::int64_t>> tiles_at;
  // Where the tile search on a core count starts: the tiles of this group without its last
  // member, or without its first, on that count, when the search has costed one of them (a
  // layer more needs at least as many tiles in most groups). The guess saves walks; it changes
  // the answer only where fitting is not monotone in the tile count (docs/fusion.md, "The cost
  // model").
  std::vector<const GroupChoice*> parents;
  if (coster.fused()) {
    for (const bool drop_last : {true, false}) {
      std::vector<int> parent(layers.begin() + (drop_last ? 0 : 1),
                              layers.end() - (drop_last ? 1 : 0));
      const auto p = memo_.find(parent);
      if (p != memo_.end()) parents.push_back(&p->second.front());
    }
  }
  const auto guess = [&](std::int64_t cores) {
    std::int64_t g = 0;
    for (const GroupChoice* p : parents)
      for (const auto& [c, t] : p->tiles_at)
        if (c == cores) g = std::max(g, t);
    return g;
  };
  // When cycles come first and the cost model judges, a fused group's core counts are costed
  // from the most down, and the scan ends at the first count whose bound from below
  // (GroupCoster::cycles_floor: its compute shared evenly, which grows as the cores fall) is
  // over the best estimate so far: no count below it can do better. Small counts, whose walks
  // cover the most tiles, are then rarely walked. Otherwise the counts go up from one core, and
  // the first count that does no better ends the scan: a fused group's estimate falls with the
  // cores while its work divides and rises once halos, weight loads and the launch dominate.
  const bool down = coster.fused() && !judge_ && objective_ == Objective::Cycles;
  const bool stop_at_no_better = coster.fused() && !judge_ && !down;  // the upward scan's end
  if (down) std::reverse(options.begin(), options.end());
  // No count from `cores` down beats the best under any cap.
  const auto bounded_out = [&](std::int64_t cores) {
    if (!down) return false;
    const std::int64_t floor = coster.cycles_floor(cores);
    return std::all_of(bests.begin(), bests.end(), [&](const GroupChoice& best) {
      return best.feasible && floor > best.score.cycles;
    });
  };
  for (std::int64_t cores : options) {
    // A fused group on more cores loads its halos once per band (and weights that do not stay
    // resident once per core), with at least as many tiles: never fewer bytes than on one core,
    // so when bytes come first a group with weights only needs one core evaluated.
    if (coster.fused() && cores > 1 && weights && objective_ == Objective::Bytes) break;
    if (bounded_out(cores)) break;
    const GroupCost c = coster.cost(cores, 0, min_tiles, guess(cores));
    if (coster.fused()) tiles_at.emplace_back(cores, c.feasible ? c.tiles : 0);
    if (!c.feasible) continue;
    fits = true;
    if (coster.fused() && !down) min_tiles = c.tiles;
    const Score s{c.traffic.total(), judge_ ? judge_(Group{layers, cores, c.tiles}) : c.est_cycles};
    if (!take(s, cores, c.tiles, GroupMapping::Tiled) && stop_at_no_better) break;
  }
  // A pair of complex operators input-centric (CORF: two complex operators and the cheap ones
  // around them; longer chains stay output-centric in the searches), on the core counts
  // the tiled scan costed: where the tiled plan does not fit, or where the input-centric one
  // fits in fewer tiles (with as many tiles it moves the same bytes, and computes the same
  // work in more, shorter folds, so it is not tried).
  if (input_centric_ && coster.fused() && complex_operators(net_, layers) == 2 &&
      has_input_centric_pair(net_, layers)) {
    // Without spilled partial sums: the probe costs the fewest tiles that fit, which with
    // spills allowed is a spilling plan where more tiles would keep the sums on chip for less
    // (BERT-base's FFN on Eyeriss then grew into a 14.9 M-cycle group instead of 9.6 M).
    const GroupCoster ic(net_, arch_, layers, &shared_fmaps_, nullptr, true, false);
    std::int64_t ic_min = 0;
    std::optional<Score> ic_best;  // an upward scan ends, as the tiled one, at no better
    for (const auto& [cores, tiled_tiles] : tiles_at) {
      if (!ic.fused_ok() || bounded_out(cores)) break;
      if (tiled_tiles > 0 && tiled_tiles <= std::max(cores, ic_min)) continue;
      // Fewer tiles than the tiled plan's, searched down from one fewer.
      const std::int64_t fewer = tiled_tiles > 0 ? tiled_tiles - 1 : 0;
      const GroupCost c = ic.cost(cores, 0, ic_min, fewer, fewer);
      if (!c.feasible) continue;
      fits = true;
      if (!down) ic_min = c.tiles;
      const Group g{layers, cores, c.tiles, GroupMapping::InputCentric};
      const Score s{c.traffic.total(), judge_ ? judge_(g) : c.est_cycles};
      if (ic_best && !better(s, *ic_best) && stop_at_no_better) break;
      ic_best = s;
      take(s, cores, c.tiles, GroupMapping::InputCentric);
    }
  }
  for (GroupChoice& best : bests) {
    best.fits = fits;
    best.tiles_at = tiles_at;
    best.tiled_fits = best.feasible;  // a tiled plan under this cap (uncapped: fits)
    best.tiled_cores = best.cores;
    best.tiled_tiles = best.tiles;
    best.tiled_mapping = best.mapping;
    best.tiled_score = best.score;
  }
  // The same layers one after another in one kernel, on each core count: the sum of their
  // single-layer costs, with barriers instead of launches.
  if (layers.size() > 1 && maps_stay_on_chip(net_, arch_, layers, shared_fmaps_)) {
    for (std::size_t k = 0; k < core_options_.size(); ++k) {
      const std::int64_t cores = core_options_[k];
      const GroupCost c = layerwise_cost(net_, arch_, layers,
                                         [&](int li) -> const GroupCost& { return single(li, k); });
      if (!c.feasible) continue;
      const Group g{layers, cores, 0, GroupMapping::Layerwise};
      take(Score{c.traffic.total(), judge_ ? judge_(g) : c.est_cycles}, cores, 0,
           GroupMapping::Layerwise);
    }
  }
  if (coster.fused()) {
    for (GroupChoice& best : bests) {
      best.weight_bytes = coster.weight_bytes();
      best.weights_resident = best.weight_bytes <= arch_.core.weight_buffer.capacity_bytes;
    }
  }
  return memo_.emplace(layers, std::move(bests)).first->second[cap_];
}

const GroupCost& GroupEvaluator::single(int layer, std::size_t option) {
  if (single_.empty()) single_.resize(net_.layers().size() * core_options_.size());
  std::optional<GroupCost>& c =
      single_[static_cast<std::size_t>(layer) * core_options_.size() + option];
  if (!c) c = evaluate_group(net_, arch_, {layer}, core_options_[option], 0, &shared_fmaps_);
  return *c;
}

Schedule schedule_layer_by_layer(const Network& net, const Arch& arch, const SearchOptions& o) {
  const auto start = std::chrono::steady_clock::now();
  Schedule s;
  s.algorithm = "none";
  std::unique_ptr<GroupEvaluator> eval;
  if (o.cores == kCoresAuto)
    eval = std::make_unique<GroupEvaluator>(net, arch, o.objective, kCoresDefault, o.judge,
                                            o.shared_fmaps);
  const bool baseline = o.cores == kCoresDefault;
  const std::vector<std::int64_t> fmaps =
      baseline && o.shared_fmaps ? shared_fmap_candidates(net, arch) : std::vector<std::int64_t>{};
  std::int64_t evaluated = 0;
  for (int i = 0; i < static_cast<int>(net.layers().size()); ++i) {
    std::int64_t cores = o.cores > 0 ? std::min(o.cores, arch.core_count) : arch.core_count;
    if (eval) {
      const GroupChoice& c = eval->best({i});
      if (c.feasible) cores = c.cores;
    } else if (baseline && cores > 1 && layer_has_kernel(net, i)) {
      ++evaluated;
      const auto estimate = [&](std::int64_t n) {
        const GroupCost c = evaluate_group(net, arch, {i}, n, 0, fmaps.empty() ? nullptr : &fmaps);
        return c.feasible ? c.est_cycles : std::int64_t{-1};
      };
      const std::int64_t all = estimate(cores);
      std::int64_t fewer = 0, fewer_cycles = -1;
      for (std::int64_t n = 1; n < cores && all >= 0; n *= 2) {
        const std::int64_t c = estimate(n);
        if (c >= 0 && (fewer_cycles < 0 || c <= fewer_cycles)) {  // ties: the more cores
          fewer = n;
          fewer_cycles = c;
        }
      }
      // The launch is the same on any count, and exact: the margin is on the rest.
      const auto beyond_launch = [&](std::int64_t c) {
        return static_cast<double>(c - arch.kernel_launch_cycles);
      };
      if (fewer_cycles >= 0 &&
          beyond_launch(fewer_cycles) <= (1.0 - kBaselineFewerCoresGain) * beyond_launch(all))
        cores = fewer;
    }
    s.groups.push_back(Group{{i}, cores, 0});
  }
  if (baseline) {
    s.groups_evaluated = evaluated;
    s.search_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  }
  if (eval) {
    s.groups_evaluated = eval->evaluated();
    s.search_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  }
  return s;
}

namespace {

// The schedule's maps placed and its weight prefetch planned, as the options ask.
void plan_on_chip(const Network& net, const Arch& arch, const SearchOptions& o, Schedule& s) {
  if (o.shared_fmaps) s.shared_fmaps = plan_shared_fmaps(net, arch, s);
  if (o.prefetch_weights) plan_weight_prefetch(net, arch, s);
}

}  // namespace

Schedule run_group_search(const Network& net, const Arch& arch, const SearchOptions& o,
                          GroupSearch search) {
  const auto start = std::chrono::steady_clock::now();
  // The caps pay only through the weight prefetch (SearchOptions::core_caps).
  const bool capped = o.objective == Objective::Cycles && !o.judge && o.cores <= 0 &&
                      o.prefetch_weights && arch.shared_buffer &&
                      arch.core.dma.prefetch_engines > 0;
  GroupEvaluator eval(net, arch, o.objective, o.cores, o.judge, o.shared_fmaps, o.fusion_policy,
                      o.input_centric, capped ? o.core_caps : 1);
  const DagIndex dag(net);
  // A layer that fits no group on its own makes every schedule impossible: say which and why.
  // (Fitting needs no judge: a reduced oracle judges only its partitions' groups.)
  for (int i = 0; i < static_cast<int>(net.layers().size()); ++i) {
    if (eval.ranking().best({i}).feasible) continue;
    const GroupCost c = evaluate_group(net, arch, {i}, arch.core_count);
    throw InputError(arch.file, 0, c.why_key.empty() ? "cores.buffers" : c.why_key, c.why);
  }
  Schedule s;
  s.groups = search(net, eval, dag, o);
  // Under each cap, the schedule whose estimate with its maps and prefetch is lowest (cycles,
  // then bytes); a capped one only when at least kCoreCapLeastGain below the uncapped one.
  std::pair<std::int64_t, std::int64_t> best{0, 0}, uncapped{0, 0};
  for (std::size_t k = 0; eval.caps().size() > 1 && k < eval.caps().size(); ++k) {
    Schedule t;
    eval.set_cap(k);
    try {
      t.groups = k == 0 ? s.groups : search(net, eval, dag, o);
    } catch (const InputError&) {
      continue;  // some layer fits no group on this few cores
    }
    plan_on_chip(net, arch, o, t);
    std::pair<std::int64_t, std::int64_t> total{0, 0};
    for (const GroupCost& c : scheduled_costs(net, arch, t)) {
      total.first += c.est_cycles;
      total.second += c.traffic.total();
    }
    if (k == 0) {
      best = uncapped = total;
      continue;
    }
    if (total >= best || static_cast<double>(total.first) >
                             (1.0 - kCoreCapLeastGain) * static_cast<double>(uncapped.first))
      continue;
    best = total;
    s.groups = std::move(t.groups);
  }
  s.groups_evaluated = eval.evaluated();
  s.partitions_evaluated = eval.partitions();
  s.search_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return s;
}

Schedule search_schedule(const Network& net, const Arch& arch, const SearchOptions& o) {
  Schedule s = find_search_algorithm(o.algorithm).run(net, arch, o);
  s.algorithm = o.algorithm;
  plan_on_chip(net, arch, o, s);
  return s;
}

}  // namespace fusim
