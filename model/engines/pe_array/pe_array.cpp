#include "engines/pe_array/pe_array.h"

#include <algorithm>

#include "common/checked.h"
#include "common/limits.h"

namespace fusim {

namespace {

// In the order of the enum.
const std::vector<std::string>& dataflow_names() {
  static const std::vector<std::string> names = {"weight_stationary", "output_stationary",
                                                 "input_stationary"};
  return names;
}

}  // namespace

const char* to_string(Dataflow d) {
  return dataflow_names()[static_cast<std::size_t>(d)].c_str();
}

namespace {

// A GEMM folded onto the array as SCALE-Sim folds it: Sr x Sc spatial, T temporal, and the
// cycles that load the stationary operand before a fold's stream (pe_array.h).
struct FoldShape {
  std::int64_t sr = 0, sc = 0, t = 0, preload = 0;
};

FoldShape fold_shape(const PeArrayParams& pe, std::int64_t m, std::int64_t n, std::int64_t k) {
  switch (pe.dataflow) {
    case Dataflow::OutputStationary:
      return {m, n, k, 0};
    case Dataflow::WeightStationary:
      return {k, n, m, pe.rows};
    case Dataflow::InputStationary:
      break;
  }
  return {k, m, n, pe.rows};
}

}  // namespace

std::int64_t systolic_cycles(const PeArrayParams& pe, std::int64_t m, std::int64_t n,
                             std::int64_t k) {
  if (m <= 0 || n <= 0 || k <= 0) return 0;
  const std::int64_t R = pe.rows, C = pe.cols;
  const FoldShape f = fold_shape(pe, m, n, k);
  const std::int64_t folds = mul_checked(ceil_div(f.sr, R), ceil_div(f.sc, C));
  return mul_checked(folds, f.preload + R + C + f.t - 2);
}

std::int64_t grouped_systolic_cycles(const PeArrayParams& pe, std::int64_t m, std::int64_t n,
                                     std::int64_t k, std::int64_t groups) {
  if (m <= 0 || n <= 0 || k <= 0 || groups <= 0) return 0;
  if (groups == 1) return systolic_cycles(pe, m, n, k);
  const std::int64_t R = pe.rows, C = pe.cols;
  // p groups per fold, block-diagonal, when a group's operand fits the packed dimension; the
  // last fold holds the groups left over.
  const auto folds_of = [&](std::int64_t p, auto fold_cycles) {
    const std::int64_t full = groups / p, rest = groups % p;
    return add_checked(mul_checked(full, fold_cycles(p)), rest > 0 ? fold_cycles(rest) : 0);
  };
  std::int64_t packed = 0;
  switch (pe.dataflow) {
    case Dataflow::OutputStationary: {  // side by side in columns; their inputs stream in turn
      const std::int64_t p = std::max<std::int64_t>(1, C / n);
      packed = p == 1 ? mul_checked(groups, systolic_cycles(pe, m, n, k))
                      : mul_checked(ceil_div(m, R), folds_of(p, [&](std::int64_t q) {
                                      return R + C + mul_checked(q, k) - 2;
                                    }));
      break;
    }
    case Dataflow::WeightStationary: {  // weight blocks on the diagonal; all inputs stream at once
      const std::int64_t p = std::max<std::int64_t>(1, std::min(R / k, C / n));
      packed = p == 1 ? mul_checked(groups, systolic_cycles(pe, m, n, k))
                      : mul_checked(ceil_div(groups, p), 2 * R + C + m - 2);
      break;
    }
    case Dataflow::InputStationary: {  // input blocks stacked in rows; their filters stream in turn
      const std::int64_t p = std::max<std::int64_t>(1, R / k);
      packed = p == 1 ? mul_checked(groups, systolic_cycles(pe, m, n, k))
                      : mul_checked(ceil_div(m, C), folds_of(p, [&](std::int64_t q) {
                                      return 2 * R + C + mul_checked(q, n) - 2;
                                    }));
      break;
    }
  }
  // The dense GEMM with the block-diagonal operand, zeros and all, is the other way to run it.
  const std::int64_t dense = systolic_cycles(pe, m, mul_checked(groups, n), mul_checked(groups, k));
  return std::min(packed, dense);
}

SystolicFoldStats systolic_fold_stats(const PeArrayParams& pe, std::int64_t m, std::int64_t n,
                                      std::int64_t k) {
  SystolicFoldStats s;
  if (m <= 0 || n <= 0 || k <= 0) return s;
  const double R = static_cast<double>(pe.rows), C = static_cast<double>(pe.cols);
  const FoldShape f = fold_shape(pe, m, n, k);
  const double folds =
      static_cast<double>(ceil_div(f.sr, pe.rows)) * static_cast<double>(ceil_div(f.sc, pe.cols));
  // Every fold's used PEs sum to Sr x Sc, whatever the edge folds leave idle.
  const double used = static_cast<double>(f.sr) * static_cast<double>(f.sc);
  s.mapping_efficiency = used / (folds * R * C);
  const double fold_span =
      static_cast<double>(f.preload == 0 ? f.preload + pe.rows + pe.cols + f.t - 2
                                         : f.preload + pe.rows + 2 * pe.cols + f.t - 3);
  s.compute_utilization = used * static_cast<double>(f.t) / (folds * R * C * fold_span);
  return s;
}

EngineActions systolic_actions(const PeArrayParams& pe, std::int64_t m, std::int64_t n,
                               std::int64_t k) {
  EngineActions a;
  if (m <= 0 || n <= 0 || k <= 0) return a;
  const std::int64_t R = pe.rows, C = pe.cols;
  const std::int64_t mn = mul_checked(m, n);
  a.macs = mul_checked(mn, k);
  // Each MAC reads its two operands and a partial sum from the PE's registers and writes the
  // partial sum back; an operand that moves through the array is written into each PE's
  // register once per MAC, a stationary one once per time it is loaded.
  const std::int64_t macs3 = mul_checked(a.macs, 3);
  a.registers.reads = macs3;
  switch (pe.dataflow) {
    case Dataflow::OutputStationary:
      a.input.reads = mul_checked(mul_checked(m, k), ceil_div(n, C));
      a.weight.reads = mul_checked(mul_checked(n, k), ceil_div(m, R));
      a.output.writes = mn;
      a.registers.writes = macs3;
      return a;
    case Dataflow::WeightStationary:
      a.input.reads = mul_checked(mul_checked(m, k), ceil_div(n, C));
      a.weight.reads = mul_checked(n, k);
      a.registers.writes = add_checked(mul_checked(a.macs, 2), a.weight.reads);
      break;
    case Dataflow::InputStationary:
      a.input.reads = mul_checked(m, k);
      a.weight.reads = mul_checked(mul_checked(n, k), ceil_div(m, C));
      a.registers.writes = add_checked(mul_checked(a.macs, 2), a.input.reads);
      break;
  }
  const std::int64_t reduction_folds = ceil_div(k, R);
  a.output.writes = mul_checked(mn, reduction_folds);
  a.output.reads = mul_checked(mn, reduction_folds - 1);
  a.adds = a.output.reads;
  return a;
}

const ParamTable& PeArray::params() {
  static const ParamTable t{
      "PE array",
      {
          params::integer<&PeArrayParams::rows>("rows", 1, limits::kMaxCount, "PEs",
                                                "rows of processing elements (R)")
              .required(),
          params::integer<&PeArrayParams::cols>("cols", 1, limits::kMaxCount, "PEs",
                                                "columns of processing elements (C)")
              .required(),
          params::choice<&PeArrayParams::dataflow>(
              "dataflow", dataflow_names(),
              "which operand stays in the PEs: the outputs, the weights or the inputs"),
      }};
  return t;
}

namespace {

__extension__ typedef unsigned __int128 Wide;

// Cycles of the first x MACs of a stream of `macs` MACs and `cycles` cycles.
std::int64_t stream_prefix(std::int64_t x, std::int64_t macs, std::int64_t cycles) {
  const std::int64_t q = x / macs, r = x % macs;
  const Wide part = static_cast<Wide>(r) * static_cast<Wide>(cycles) / static_cast<Wide>(macs);
  return add_checked(mul_checked(q, cycles), static_cast<std::int64_t>(part));
}

}  // namespace

std::int64_t stream_cycles(const PeArrayParams& pe, const GemmStream& s, std::int64_t done,
                           std::int64_t macs) {
  const std::int64_t total_macs = mul_checked(mul_checked(mul_checked(s.m, s.n), s.k), s.count);
  if (total_macs <= 0 || macs <= 0) return 0;
  const std::int64_t total = grouped_systolic_cycles(pe, s.m, s.n, s.k, s.count);
  return stream_prefix(add_checked(done, macs), total_macs, total) -
         stream_prefix(done, total_macs, total);
}

std::int64_t PeArray::cycles(const Params& p, const TileWork& w) {
  if (w.streams()) {
    const std::int64_t macs = mul_checked(mul_checked(mul_checked(w.m, w.n), w.k), w.count);
    return stream_cycles(p, w.stream, w.stream.done, macs);
  }
  return grouped_systolic_cycles(p, w.m, w.n, w.k, w.count);
}

EngineActions PeArray::actions(const Params& p, const TileWork& w) {
  EngineActions a = systolic_actions(p, w.m, w.n, w.k);
  if (w.accumulate && a.macs > 0) {  // the partial sums added into, read once more
    const std::int64_t mn = mul_checked(w.m, w.n);
    a.output.reads = add_checked(a.output.reads, mn);
    a.adds = add_checked(a.adds, mn);
  }
  for (std::int64_t* v : {&a.macs, &a.adds, &a.vector_ops, &a.input.reads, &a.input.writes,
                          &a.weight.reads, &a.weight.writes, &a.output.reads, &a.output.writes,
                          &a.registers.reads, &a.registers.writes})
    *v = mul_checked(*v, w.count);
  return a;
}

}  // namespace fusim
