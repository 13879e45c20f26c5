#include "cost/tile_sink.h"

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

TileSink::Id CostSink::load(TensorKind kind, BufferRole, int, const DramRange&, std::int64_t bytes,
                            std::int64_t times) {
  const std::int64_t b = mul_checked(bytes, times);
  (kind == TensorKind::Weight ? traffic.weight : traffic.ifmap) += b;
  buffer_writes += b;
  return 0;
}

TileSink::Id CostSink::compute(int, std::int64_t out_bytes, const TileWork& work,
                               std::int64_t read_bytes, const std::vector<Id>&,
                               std::int64_t times) {
  macs += mul_checked(work.macs(), times);
  if (core_ != nullptr) {
    cycles += work.stream.count > 0 ? compute_cycles(*core_, stream_.place(work, times))
                                    : mul_checked(compute_cycles(*core_, work), times);
  }
  buffer_writes += mul_checked(out_bytes, times);
  buffer_reads += mul_checked(read_bytes, times);
  return 0;
}

void CostSink::store(int, const DramRange&, std::int64_t bytes, Id, Id, std::int64_t times) {
  const std::int64_t b = mul_checked(bytes, times);
  traffic.ofmap += b;
  buffer_reads += b;
}

}  // namespace fusim
