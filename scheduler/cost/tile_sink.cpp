#include "cost/tile_sink.h"

#include <algorithm>
#include <cmath>

#include "common/checked.h"

namespace fusim {

TileWork StreamCursor::place(const TileWork& w, std::int64_t times) {
  if (!w.streams()) return w;
  TileWork placed = w;
  placed.count = mul_checked(w.count, times);
  if (!w.stream.same_stream(last_)) {
    last_ = w.stream;
    done_ = 0;
  }
  placed.stream.done = done_;
  done_ = add_checked(done_, placed.macs()) % w.stream.macs();
  return placed;
}

std::int64_t StreamCursor::cycles(const CoreEngines& core, const TileWork& w, std::int64_t times) {
  if (!shares_stream(core, w)) return mul_checked(compute_cycles(core, w), times);
  TileWork placed = place(w, times);
  placed.epilogue_ops = 0;
  return add_checked(compute_cycles(core, placed), mul_checked(epilogue_cycles(core, w), times));
}

double DmaTiming::cycles(BufferRole buffer, std::int64_t bytes, bool shared) const {
  if (shared) {
    const double bpc = buffer == BufferRole::Input    ? shared_input_bytes_per_cycle
                       : buffer == BufferRole::Weight ? shared_weight_bytes_per_cycle
                                                      : shared_output_bytes_per_cycle;
    return shared_latency_cycles + static_cast<double>(bytes) / std::max(1e-9, bpc);
  }
  const double bpc = buffer == BufferRole::Input    ? input_bytes_per_cycle
                     : buffer == BufferRole::Weight ? weight_bytes_per_cycle
                                                    : output_bytes_per_cycle;
  return latency_cycles + static_cast<double>(bytes) / std::max(1e-9, bpc);
}

double DmaTiming::prefetch_cycles(std::int64_t bytes) const {
  if (bytes <= 0 || shared_write_bytes_per_cycle <= 0) return 0.0;
  const auto b = static_cast<double>(bytes);
  return latency_cycles + b / std::max(1e-9, prefetch_read_bytes_per_cycle) +
         shared_latency_cycles + b / shared_write_bytes_per_cycle;
}

namespace {

// The sum of floor((a i + b) / m) over i in [0, n), for a, b >= 0 and m > 0, in O(log m) (the
// Euclidean-like reduction of the floor sum).
std::int64_t floor_sum(std::int64_t n, std::int64_t m, std::int64_t a, std::int64_t b) {
  std::int64_t sum = 0;
  while (n > 0) {
    if (a >= m) {
      sum = add_checked(sum, mul_checked(mul_checked(n, n - 1) / 2, a / m));
      a %= m;
    }
    if (b >= m) {
      sum = add_checked(sum, mul_checked(n, b / m));
      b %= m;
    }
    const std::int64_t top = add_checked(mul_checked(a, n), b);
    if (top < m) break;
    n = top / m;
    b = top % m;
    std::swap(m, a);
  }
  return sum;
}

}  // namespace

std::int64_t DmaTiming::dram_bytes(std::int64_t bytes, const TileLayout& t,
                                   std::int64_t offset) const {
  const std::int64_t B = burst_bytes;
  if (B <= 0 || bytes <= 0) return bytes;
  // Bursts are powers of two in every preset: shifts, not divisions (a search costs millions).
  const bool pow2 = (B & (B - 1)) == 0;
  const int shift = __builtin_ctzll(static_cast<unsigned long long>(B));
  const auto block_of = [&](std::int64_t x) { return pow2 ? x >> shift : x / B; };
  const std::int64_t o = pow2 ? offset & (B - 1) : offset % B;
  // The blocks of [from, from + len): the last one's index less the first's, plus one.
  const auto blocks = [&](std::int64_t from, std::int64_t len) {
    return block_of(from + len - 1) - block_of(from) + 1;
  };
  const std::int64_t L = t.piece_bytes, s = t.stride_bytes;
  if (L <= 0 || s <= L || bytes <= L) return mul_checked(blocks(o, bytes), B);
  const std::int64_t n = ceil_div(bytes, L), last = bytes - (n - 1) * L;
  const std::int64_t last_at = add_checked(o, mul_checked(n - 1, s));
  // Gaps shorter than a block hold no block of their own: every block of the span is touched.
  if (s - L < B) return mul_checked(blocks(o, last_at + last - o), B);
  // Gaps of a block or more: no two pieces share one; the full pieces' blocks, then the last's
  // (pieces a whole number of blocks apart all start at the same place in theirs).
  const std::int64_t full =
      s % B == 0 ? mul_checked(n - 1, blocks(o, L))
                 : n - 1 + floor_sum(n - 1, B, s, o + L - 1) - floor_sum(n - 1, B, s, o);
  return mul_checked(add_checked(full, blocks(last_at, last)), B);
}

LoadParts load_parts(const std::vector<std::int64_t>* shared_fmaps,
                     const SharedWeights* shared_weights, TensorKind kind, const DramRange& r,
                     std::int64_t bytes) {
  const auto all_from_dram = [&] {
    LoadParts d;
    d.dram = r;
    d.dram_bytes = bytes;
    return d;
  };
  LoadParts p;
  p.shared_at = shared_address(shared_fmaps, shared_weights, kind, r);
  if (p.shared_at < 0) return all_from_dram();
  p.shared = r;
  p.shared_bytes = bytes;
  if (kind != TensorKind::Weight) return p;
  const std::int64_t prefix = shared_weights->bytes[static_cast<std::size_t>(r.value.index)];
  const std::int64_t body = bytes - r.tail_bytes;
  const std::int64_t L = r.layout.piece_bytes, stride = r.layout.stride_bytes;
  const bool pieces = L > 0 && body > L;
  // Of the body (the bytes but the tail), what lies wholly inside the prefix: `near` bytes, the
  // first `k` of its `n` pieces.
  std::int64_t near = 0, k = 0, n = 1;
  if (!pieces) {
    near = std::clamp<std::int64_t>(prefix - r.offset, 0, body);
  } else {
    n = ceil_div(body, L);
    const std::int64_t last = body - (n - 1) * L;
    if (prefix - r.offset >= L) k = std::min(n - 1, (prefix - r.offset - L) / stride + 1);
    if (k == n - 1 && r.offset + (n - 1) * stride + last <= prefix) k = n;
    near = k == n ? body : k * L;
  }
  if (near == body && r.tail_offset + r.tail_bytes <= prefix) return p;  // all of it
  if (near == 0) return all_from_dram();
  // The near pieces from the shared buffer; the rest and the tail from DRAM.
  p.shared.tail_offset = p.shared.tail_bytes = 0;
  if (!pieces || k == 1) p.shared.layout = {};
  p.shared_bytes = near;
  p.dram_bytes = bytes - near;
  if (near == body) {  // only the tail is left
    p.dram = DramRange{r.value, r.tail_offset, {}, r.multicast_from};
  } else {
    p.dram = r;
    p.dram.offset = pieces ? r.offset + k * stride : r.offset + near;
    if (pieces && n - k == 1) p.dram.layout = {};
  }
  return p;
}

TileSink::Id CostSink::load(TensorKind kind, BufferRole buffer, int layer, const DramRange& from,
                            std::int64_t bytes, std::int64_t times) {
  // From one memory whole unless weights are in the shared buffer (a search costs millions of
  // loads, none of them such).
  const std::int64_t at = shared_address(shared_fmaps_, shared_weights_, kind, from);
  if (at < 0 || kind != TensorKind::Weight) {
    load_part(kind, buffer, layer, from, bytes, times, at >= 0);
    return 0;
  }
  const LoadParts p = load_parts(shared_fmaps_, shared_weights_, kind, from, bytes);
  if (p.from_shared()) load_part(kind, buffer, layer, p.shared, p.shared_bytes, times, true);
  if (p.from_dram()) load_part(kind, buffer, layer, p.dram, p.dram_bytes, times, false);
  return 0;
}

void CostSink::load_part(TensorKind kind, BufferRole buffer, int layer, const DramRange& from,
                         std::int64_t bytes, std::int64_t times, bool shared) {
  const std::int64_t b = mul_checked(bytes, times);
  const bool dram = from.multicast_from < 0 && !shared;
  std::int64_t moved = bytes;
  if (dma_ != nullptr && dram) {
    moved = dma_->dram_bytes(bytes - from.tail_bytes, from.layout, from.offset);
    if (from.tail_bytes > 0)  // most loads have none: a search costs millions of loads
      moved = add_checked(moved, dma_->dram_bytes(from.tail_bytes, {}, from.tail_offset));
  }
  if (dma_ != nullptr) {
    const double t = dma_->cycles(buffer, moved, shared) * static_cast<double>(times);
    if (from.multicast_from >= 0 && !computed_) received_before_compute(from.multicast_from, t);
    if (told_ && times == 1 && core_ != nullptr) {
      place_load(buffer, layer, static_cast<double>(b), t);
    } else {
      pending_ += t;
      pending_bytes_[static_cast<std::size_t>(buffer)] += static_cast<double>(b);
    }
  }
  if (from.multicast_from >= 0) {
    multicast += b;
  } else if (shared) {
    shared_read += b;
    if (!computed_) {
      lead_shared_bytes += b;
      lead_dram_last = false;
    }
  } else {
    (kind == TensorKind::Weight ? traffic.weight
     : kind == TensorKind::Psum ? traffic.psum_read
                                : traffic.ifmap) += b;
    dram_bytes += mul_checked(moved, times);
    loaded_dram_bytes += mul_checked(moved, times);
    if (!computed_) {
      lead_bytes += mul_checked(moved, times);
      lead_dram_last = true;
    }
  }
  buffer_writes += b;
}

void CostSink::received_before_compute(std::int64_t leader, double t) {
  lead_received += t;
  for (std::int64_t& f : lead_from) {
    if (f == leader) return;
    if (f < 0) {
      f = leader;
      return;
    }
  }
}

TileSink::Id CostSink::compute(int layer, std::int64_t out_bytes, const TileWork& work,
                               std::int64_t read_bytes, const std::vector<Id>&,
                               std::int64_t times) {
  macs += mul_checked(work.macs(), times);
  if (work.accumulate)
    psum_elements += mul_checked(mul_checked(mul_checked(work.m, work.n), work.count), times);
  computed_ = true;
  stored_since_compute_ = false;
  if (core_ != nullptr) {
    // A stream's `times` tiles placed as one, each with its own epilogue.
    const std::int64_t c = stream_.cycles(*core_, work, times);
    cycles += c;
    if (dma_ != nullptr) {
      if (continues_run(times)) {
        extend_run(static_cast<double>(c), times);
      } else {
        place(layer, times, static_cast<double>(c), static_cast<double>(out_bytes));
      }
    }
  }
  buffer_writes += mul_checked(out_bytes, times);
  buffer_reads += mul_checked(read_bytes, times);
  return 0;
}

void CostSink::store_bytes(TensorKind kind, const DramRange& to, std::int64_t bytes,
                           std::int64_t times) {
  const std::int64_t b = mul_checked(bytes, times);
  const bool shared = shared_address(shared_fmaps_, nullptr, kind, to) >= 0;
  (shared ? shared_write : kind == TensorKind::Psum ? traffic.psum_write : traffic.ofmap) += b;
  const std::int64_t moved =
      dma_ != nullptr && !shared ? dma_->dram_bytes(bytes, to.layout, to.offset) : bytes;
  if (!shared) dram_bytes += mul_checked(moved, times);
  buffer_reads += b;
  // The stores after the last compute, one after another (of a run of `times` alike tiles, the
  // last tile's).
  if (first_store_at < 0) first_store_at = first_compute_end_;
  if (!stored_since_compute_) {
    tail_bytes = tail_shared_bytes = 0;
    last_store_ = 0;
    store_credit_ = 0;
    stored_since_compute_ = true;
  }
  (shared ? tail_shared_bytes : tail_bytes) += moved;  // bytes when shared
  if (dma_ != nullptr) {
    // `times` stores spread over the run of computes before them, the last after its compute.
    double t = dma_->cycles(BufferRole::Output, moved, shared);
    // When the tile's loads waited for room, the next tile's will too, and start as this store
    // does (its compute frees the room): they share the path to DRAM. The store is lengthened
    // here, before those loads are placed, so that the room it frees is freed that late.
    if (told_ && waited_loads_ > 0) {
      const double shared_later = std::min(t, waited_loads_);
      t += shared_later;
      store_credit_ += shared_later;
    }
    last_store_ += t;
    const double busy_until = store_end_;
    store_end_ = std::max(store_end_ + t * static_cast<double>(times), compute_end_ + t);
    const double begin = store_end_ - t * static_cast<double>(times);
    if (begin > busy_until) store_from_ = begin;
    store_piece_ = t;
    // Whether the stores share the path with loads: those of a run's earlier tiles do when the
    // run's loads go on past its first store; the last tile's once a later load ends after it
    // starts (count_stores).
    double mine = static_cast<double>(mul_checked(moved, times));
    if (times > 1 && first_compute_end_ < load_end_) {
      const double earlier = mine * static_cast<double>(times - 1) / static_cast<double>(times);
      (shared ? shared_stores_before_loads : dram_stores_before_loads) += earlier;
      mine -= earlier;
    }
    open_stores_.push({compute_end_, shared ? 0.0 : mine, shared ? mine : 0.0});
  }
}

void CostSink::count_stores() {
  open_stores_.remove_if([&](const OpenStore& o) {
    if (o.start >= load_end_) return false;
    dram_stores_before_loads += o.dram;
    shared_stores_before_loads += o.shared;
    return true;
  });
}

void CostSink::hold(const std::array<std::int64_t, 3>& freed_by_computes,
                    std::int64_t freed_by_stores, const std::array<std::int64_t, 3>& kept) {
  told_ = true;
  run_ = Run{};
  const auto d = [](std::int64_t x) { return static_cast<double>(x); };
  // Freed once the engines are past them: no later step can start before both.
  const double past = std::min(load_end_, compute_end_);
  releases_.remove_if([&](const Release& r) { return r.at <= past; });
  const auto earlier = [](const Release& a, const Release& b) { return a.at < b.at; };
  releases_.insert(
      {compute_end_, {d(freed_by_computes[0]), d(freed_by_computes[1]), d(freed_by_computes[2])}},
      earlier);
  if (freed_by_stores > 0) releases_.insert({store_end_, {0, 0, d(freed_by_stores)}}, earlier);
  kept_ = {d(kept[0]), d(kept[1]), d(kept[2])};
  tile_bytes_ = {};
  waited_loads_ = 0;
}

double CostSink::room_at(std::size_t buffer, double from, double need) const {
  const double cap = capacity(buffer);
  double held = 0;
  for (const Release& r : releases_) {
    if (r.at > from) held += r.bytes[buffer];
  }
  if (need + held <= cap) return from;
  // Freed in time order (the releases are kept sorted) until the bytes fit.
  double at = from;
  for (const Release& r : releases_) {
    if (r.at <= from) continue;
    held -= r.bytes[buffer];
    at = r.at;
    if (need + held <= cap) break;
  }
  return at;
}

double CostSink::run_loads(double start, double t) {
  // Loads that waited for room start as the compute that frees it ends, with the stores after
  // it: both share the path to DRAM, each at half its pace while both move, from when both are
  // under way (a load that waited for room freed by an earlier tile may be done before the
  // stores begin: EfficientNet-B0's squeeze-excitation scale and projection on eyeriss.yaml, a
  // tile's loads done before the tile before it stores, was estimated 1.34x its simulation when
  // every load that waited shared the path with the stores from its start). The stores were
  // lengthened for that already where store_bytes expected these loads (store_credit_): counted
  // twice, a 1 x 1 conv and add of ResNet-50 on systolic32.yaml, whose residual loads share the
  // DRAM with the stores before them, was estimated 1.23x its simulation.
  // Under the simple DRAM model, which serves whole transfers first come first served, any load
  // (one that waited for room or not) issued while a store is being served waits for that store:
  // the one under way at `start` of the stores placed back to back up to store_end_, each
  // store_piece_ long; the stores after it wait for the load. Shared instead (with the rule
  // below), GoogLeNet's concat and pool groups on eyeriss.yaml (small branch loads behind a
  // tile's 14-28 KB stores) simulated 1.14-1.19x their estimate, DenseNet-121's block 3 groups
  // on systolic32.yaml up to 1.28x.
  if (dma_->in_turn && store_from_ < start && start < store_end_ && store_piece_ > 0) {
    const double served =
        store_end_ - std::floor((store_end_ - start) / store_piece_) * store_piece_;
    if (served < store_end_) lengthen_stores(t);
    return served + t;
  }
  const double shared =
      start > load_end_
          ? std::clamp(std::min(store_end_, start + t) - std::max(start, store_from_), 0.0, t)
          : 0.0;
  lengthen_stores(shared);
  // And under the simple DRAM model a load that waited for the room a compute frees is issued
  // before the stores that waited for that compute (the core frees the room before it marks the
  // compute done: Core::complete), so it moves at its own pace and the stores after it
  // (lengthened above). Shared, BERT-base's residual adds with their layer norms on eyeriss.yaml
  // (a tile's second operand waits for the room, its compute then waits for the store before
  // it) were estimated 1.10x their simulation.
  if (dma_->in_turn && store_from_ >= start) return start + t;
  return start + t + shared;
}

void CostSink::lengthen_stores(double by) {
  const double counted = std::min(by, store_credit_);
  store_credit_ -= counted;
  store_end_ += by - counted;
}

void CostSink::place_load(BufferRole buffer, int layer, double bytes, double t) {
  const auto i = static_cast<std::size_t>(buffer);
  tile_bytes_[i] += bytes;
  const double start = room_at(i, load_end_, kept_[i] + tile_bytes_[i]);
  if (start > load_end_) waited_loads_ += t;
  load_end_ = run_loads(start, t);
  count_stores();
  ready_.push({layer, load_end_});
}

void CostSink::place(int layer, std::int64_t times, double compute, double out_bytes) {
  constexpr auto kOut = static_cast<std::size_t>(BufferRole::Output);
  if (told_ && times == 1 && pending_ == 0) {
    // The common case of a walk that calls hold(): one tile, its loads placed as they came.
    compute_end_ = compute_start(layer, compute_end_, out_bytes) + compute;
    first_compute_end_ = compute_end_;
    last_compute_ = compute;
    return;
  }
  // One tile of the run: its loads' time and bytes, its compute, its output.
  const double n = static_cast<double>(times);
  const double l = times == 1 ? pending_ : pending_ / n, per = times == 1 ? compute : compute / n;
  last_compute_ = per;
  std::array<double, 3> tile = pending_bytes_;
  if (times > 1) {
    for (double& b : tile) b /= n;
  }
  const double out = out_bytes;
  // The first tile: its loads, when they find room; the loads placed as they came that it reads.
  double load_start = load_end_;
  for (std::size_t i = 0; i < tile.size() && pending_ > 0; ++i) {
    if (tile[i] <= 0) continue;
    if (told_) {
      tile_bytes_[i] += tile[i];
      load_start = std::max(load_start, room_at(i, load_end_, kept_[i] + tile_bytes_[i]));
    } else if (tile[i] + last_tile_[i] > capacity(i)) {
      load_start = std::max(load_start, compute_end_);  // beside the last tile: after it
    } else if (last_tile_[i] > 0 && run_.times > 1) {
      // Beside as many of the last run's tiles as fit with it: it loads once the one before
      // those has computed (the loads of a compute-bound run are not ahead by more).
      const double fit = std::floor((capacity(i) - tile[i]) / last_tile_[i]);
      load_start = std::max(load_start, compute_end_ - fit * run_.per);
    }
  }
  const double first_load = pending_ > 0 ? run_loads(load_start, l) : load_end_;
  const double first_compute =
      compute_start(layer, std::max(compute_end_, pending_ > 0 ? first_load : 0.0), out) + per;
  if (pending_ > 0) load_end_ = first_load;
  compute_end_ = first_compute;
  first_compute_end_ = first_compute;
  run_ = Run{};
  if (times > 1) {
    // The later tiles of the run, each beside the one before it: loads that do not fit beside it
    // start when its compute ends, with its stores (the last tile's stores are taken: the run's
    // are not reported yet); a compute whose output does not fit starts when those stores end.
    std::array<double, 3> beside = tile;
    if (told_) {
      for (std::size_t i = 0; i < beside.size(); ++i) beside[i] += kept_[i];
    }
    const bool loads_wait = overflows(tile, beside);
    const bool out_waits = out > 0 && 2 * out + (told_ ? kept_[kOut] : 0.0) > capacity(kOut);
    const double s = out_waits ? last_store_ : 0.0;
    run_.times = times;
    run_.first_start = first_compute - per;
    run_.first_load = first_load;
    run_.l = l;
    run_.s = s;
    run_.wait = loads_wait ? (out_waits ? l + last_store_ : l + std::min(l, last_store_)) : -1;
    time_run(per);
    if (told_) run_.times = 0;
  }
  if (pending_ > 0) count_stores();
  for (std::size_t i = 0; i < tile.size(); ++i) {
    if (pending_bytes_[i] > 0) last_tile_[i] = tile[i];
  }
  last_out_ = out;
  pending_ = 0;
  pending_bytes_ = {};
}

void CostSink::time_run(double per) {
  const double n = static_cast<double>(run_.times);
  const double first_compute = run_.first_start + per, l = run_.l, s = run_.s;
  run_.per = per;
  if (run_.wait >= 0) {
    compute_end_ = first_compute + (n - 1) * (per + run_.wait);
    load_end_ = compute_end_ - per;
  } else {
    // The lead of loads over computes grows or shrinks linearly along the run, so the last
    // compute waits longest on the second tile's loads or the last's.
    load_end_ = run_.first_load + (n - 1) * l;
    compute_end_ = std::max({first_compute + (n - 1) * (per + s),
                             run_.first_load + l + (n - 1) * per + (n - 2) * s, load_end_ + per});
  }
}

bool CostSink::continues_run(std::int64_t times) const {
  return run_.times > 1 && pending_ == 0 && times % run_.times == 0;
}

void CostSink::extend_run(double compute, std::int64_t times) {
  time_run(run_.per + compute / static_cast<double>(run_.times));
  first_compute_end_ = run_.first_start + run_.per;
  last_compute_ = compute / static_cast<double>(times);
}

double CostSink::compute_start(int layer, double from, double out) {
  constexpr auto kOut = static_cast<std::size_t>(BufferRole::Output);
  double start = from;
  // The loads placed as they came that it reads (all of them when loads were reported for it).
  const auto reads = [&](const std::pair<int, double>& r) {
    return r.first <= layer || pending_ > 0;
  };
  if (ready_.size > 0) {
    for (const auto& r : ready_) {
      if (reads(r)) start = std::max(start, r.second);
    }
    ready_.remove_if(reads);
  }
  // Room for its output (beside the last tile's, freed as its stores end, when not told).
  if (out > 0) {
    if (told_) {
      tile_bytes_[kOut] += out;
      start = room_at(kOut, start, kept_[kOut] + tile_bytes_[kOut]);
    } else if (out + last_out_ > capacity(kOut)) {
      start = std::max(start, store_end_);
    }
  }
  return start;
}

bool CostSink::overflows(const std::array<double, 3>& per_tile,
                         const std::array<double, 3>& beside) const {
  for (std::size_t i = 0; i < per_tile.size(); ++i) {
    if (per_tile[i] > 0 && per_tile[i] + beside[i] > capacity(i)) return true;
  }
  return false;
}

double CostSink::pipeline_cycles() const {
  return std::max({compute_end_, load_end_ + pending_, store_end_});
}

}  // namespace fusim
