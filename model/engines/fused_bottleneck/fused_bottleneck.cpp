#include "engines/fused_bottleneck/fused_bottleneck.h"

#include <algorithm>

#include "common/checked.h"
#include "common/limits.h"

namespace fusim {

namespace {

std::int64_t passes(const FusedBottleneckParams& p, const TileWork& w) {
  return mul_checked(ceil_div(w.fused.rows, p.pe_rows), ceil_div(w.fused.cols(w.m), p.pe_cols));
}

// Kernel taps: k is taps x input channels per group.
std::int64_t taps(const TileWork& w) {
  return w.fused.expand_reduction > 0 ? w.k / w.fused.expand_reduction : 0;
}

// The ternary predictors' additions: one per expand weight per input pixel, one per depthwise
// tap per output pixel, for the expansion channels the tile predicts.
std::int64_t predict_expand_adds(const TileWork& w) {
  const FusedBlockWork& f = w.fused;
  return mul_checked(mul_checked(f.expand_channels, f.expand_reduction), f.in_pixels);
}
std::int64_t predict_depthwise_adds(const TileWork& w) {
  return mul_checked(mul_checked(w.fused.expand_channels, taps(w)), w.m);
}

}  // namespace

FusedPhases fused_phases(const FusedBottleneckParams& p, const TileWork& w) {
  FusedPhases ph;
  if (w.m <= 0 || w.n <= 0 || w.k <= 0 || w.count <= 0) return ph;
  const FusedBlockWork& f = w.fused;
  const std::int64_t pes = p.pe_rows * p.pe_cols;
  const std::int64_t rate = mul_checked(pes, p.prediction_adds);
  ph.predict_expand = ceil_div(predict_expand_adds(w), rate);
  ph.predict_depthwise = ceil_div(predict_depthwise_adds(w), rate);
  const std::int64_t mults = mul_checked(mul_checked(w.k, w.n), w.count);
  const std::int64_t build =
      std::max(ceil_div(f.surviving, p.fusion_adders),
               ceil_div(mul_checked(f.entries, f.entry_bits), p.broadcast_bits_per_cycle));
  ph.main = mul_checked(passes(p, w), std::max(mults, build));
  return ph;
}

EngineActions FusedBottleneck::actions(const Params& p, const TileWork& w) {
  EngineActions a;
  if (w.m <= 0 || w.n <= 0 || w.k <= 0 || w.count <= 0) return a;
  const FusedBlockWork& f = w.fused;
  const std::int64_t np = passes(p, w);
  a.macs = w.macs();
  a.adds = add_checked(add_checked(mul_checked(f.surviving, w.m), predict_expand_adds(w)),
                       predict_depthwise_adds(w));
  a.mask_ops = mul_checked(f.entries, w.m);
  // The fused weights' values and indices, in data elements (the predictors' few bits not).
  a.weight.reads = mul_checked(
      ceil_div(mul_checked(f.entries, f.entry_bits), std::max<std::int64_t>(1, f.value_bits)), np);
  const std::int64_t predicted = f.expand_channels > 0 ? w.count : 0;
  a.input.reads = add_checked(mul_checked(mul_checked(f.expand_reduction, predicted), f.in_pixels),
                              mul_checked(mul_checked(w.k, w.count), w.m));
  a.output.writes = mul_checked(mul_checked(w.n, w.count), w.m);
  return a;
}

const ParamTable& FusedBottleneck::params() {
  static const ParamTable t{
      "fused bottleneck",
      {
          params::integer<&FusedBottleneckParams::pe_rows>(
              "pe_rows", 1, limits::kMaxCount, "PEs",
              "rows of the PE tile: each PE owns one output pixel (ARCHON: 8)"),
          params::integer<&FusedBottleneckParams::pe_cols>("pe_cols", 1, limits::kMaxCount, "PEs",
                                                           "columns of the PE tile (ARCHON: 8)"),
          params::integer<&FusedBottleneckParams::prediction_adds>(
              "prediction_adds", 1, limits::kMaxCount, "additions/cycle",
              "ternary-predictor additions per PE per cycle (the authors' model: 6 adders x 4)"),
          params::integer<&FusedBottleneckParams::fusion_adders>(
              "fusion_adders", 1, limits::kMaxCount, "additions/cycle",
              "adders per PE that build its pixel's effective weights (ARCHON: 6)"),
          params::integer<&FusedBottleneckParams::broadcast_bits_per_cycle>(
              "broadcast_bits_per_cycle", 1, limits::kMaxCount, "bits/cycle",
              "fused-weight broadcast from the global buffer to the PEs (32 16-bit words)"),
          params::integer<&FusedBottleneckParams::index_bits>(
              "index_bits", 1, 32, "bits",
              "bits of a fused weight's expansion-channel index, stored beside its value"),
      }};
  return t;
}

}  // namespace fusim
