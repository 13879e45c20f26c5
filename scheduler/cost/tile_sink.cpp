#include "cost/tile_sink.h"

#include <algorithm>

#include "common/checked.h"

namespace fusim {

TileWork StreamCursor::place(const TileWork& w, std::int64_t times) {
  if (w.kind != WorkKind::Gemm || w.stream.count <= 0) return w;
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

std::int64_t DmaTiming::dram_bytes(std::int64_t bytes, const TileLayout& t) const {
  if (burst_bytes <= 0 || !t.whole_bursts || t.piece_bytes <= 0 || t.piece_bytes >= burst_bytes ||
      bytes <= t.piece_bytes)
    return bytes;
  const std::int64_t pieces = ceil_div(bytes, t.piece_bytes);
  if (t.stride_bytes >= burst_bytes) return mul_checked(pieces, burst_bytes);
  const std::int64_t span = mul_checked(pieces - 1, t.stride_bytes) + t.piece_bytes;
  return std::max(bytes, mul_checked(ceil_div(span, burst_bytes), burst_bytes));
}

TileSink::Id CostSink::load(TensorKind kind, BufferRole buffer, int, const DramRange& from,
                            std::int64_t bytes, std::int64_t times) {
  const std::int64_t b = mul_checked(bytes, times);
  const bool shared = shared_address(shared_fmaps_, shared_weights_, kind, from) >= 0;
  const bool dram = from.multicast_from < 0 && !shared;
  const std::int64_t moved = dma_ != nullptr && dram ? dma_->dram_bytes(bytes, from.layout) : bytes;
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
    (kind == TensorKind::Weight ? traffic.weight : traffic.ifmap) += b;
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
  computed_ = true;
  stored_since_compute_ = false;
  if (core_ != nullptr) {
    // A stream's `times` tiles placed as one, each with its own epilogue.
    std::int64_t c = 0;
    if (work.stream.count > 0) {
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

void CostSink::store(int, const DramRange& to, std::int64_t bytes, Id, Id, std::int64_t times) {
  const std::int64_t b = mul_checked(bytes, times);
  const bool shared = shared_address(shared_fmaps_, nullptr, TensorKind::Ofmap, to) >= 0;
  (shared ? shared_write : traffic.ofmap) += b;
  if (!shared)
    dram_bytes += dma_ != nullptr ? mul_checked(dma_->dram_bytes(bytes, to.layout), times) : b;
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
    const double t = dma_->cycles(BufferRole::Output, bytes, shared);
    last_store_ += t;
    store_time_ += t * static_cast<double>(times);
  }
}

double CostSink::pipeline_cycles() const {
  return std::max({lag_ + compute_time_ + last_store_, load_time_ + last_store_, store_time_});
}

}  // namespace fusim
