#include "cost/tile_sink.h"

#include <algorithm>

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

TileSink::Id CostSink::load(TensorKind kind, BufferRole buffer, int, const DramRange& from,
                            std::int64_t bytes, std::int64_t times) {
  const std::int64_t b = mul_checked(bytes, times);
  const bool shared = shared_address(shared_fmaps_, shared_weights_, kind, from) >= 0;
  const bool dram = from.multicast_from < 0 && !shared;
  const std::int64_t moved =
      dma_ != nullptr && dram ? dma_->dram_bytes(bytes, from.layout, from.offset) : bytes;
  if (dma_ != nullptr) {
    const double t = dma_->cycles(buffer, moved, shared) * static_cast<double>(times);
    load_time_ += t;
    pending_ += t;
  }
  if (from.multicast_from >= 0) {
    multicast += b;
  } else if (shared) {
    shared_read += b;
    if (!computed_) lead_shared_bytes += b;
  } else {
    (kind == TensorKind::Weight ? traffic.weight
     : kind == TensorKind::Psum ? traffic.psum_read
                                : traffic.ifmap) += b;
    dram_bytes += mul_checked(moved, times);
    if (!computed_) lead_bytes += b;
  }
  buffer_writes += b;
  return 0;
}

TileSink::Id CostSink::compute(int, std::int64_t out_bytes, const TileWork& work,
                               std::int64_t read_bytes, const std::vector<Id>&,
                               std::int64_t times) {
  macs += mul_checked(work.macs(), times);
  if (work.accumulate)
    psum_elements += mul_checked(mul_checked(mul_checked(work.m, work.n), work.count), times);
  computed_ = true;
  stored_since_compute_ = false;
  if (core_ != nullptr) {
    // A stream's `times` tiles placed as one, each with its own epilogue.
    std::int64_t c = 0;
    if (work.streams()) {
      TileWork placed = stream_.place(work, times);
      placed.epilogue_ops = 0;
      c = add_checked(compute_cycles(*core_, placed),
                      mul_checked(epilogue_cycles(*core_, work), times));
    } else {
      c = mul_checked(compute_cycles(*core_, work), times);
    }
    cycles += c;
    if (dma_ != nullptr) {
      // `times` alike tiles, each after its share of the loads reported since the last
      // compute: the lead of loads over computes grows or shrinks linearly along the run, so
      // it is largest at its first tile or its last.
      if (times == 1) {  // the general case below for one tile, without its two divisions
        lag_ = std::max(lag_, load_time_ - compute_time_);
      } else {
        const double n = static_cast<double>(times), per_load = pending_ / n;
        const double per_compute = static_cast<double>(c) / n;
        lag_ = std::max({lag_, load_time_ - (n - 1) * per_load - compute_time_,
                         load_time_ - compute_time_ - (n - 1) * per_compute});
      }
      compute_time_ += static_cast<double>(c);
      pending_ = 0;
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
  if (!stored_since_compute_) {
    tail_bytes = tail_shared_bytes = 0;
    last_store_ = 0;
    stored_since_compute_ = true;
  }
  (shared ? tail_shared_bytes : tail_bytes) += bytes;
  if (dma_ != nullptr) {
    const double t = dma_->cycles(BufferRole::Output, moved, shared);
    last_store_ += t;
    store_time_ += t * static_cast<double>(times);
  }
}

double CostSink::pipeline_cycles() const {
  return std::max({lag_ + compute_time_ + last_store_, load_time_ + last_store_, store_time_});
}

}  // namespace fusim
