#include "engines/pe_array/pe_array.h"

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

std::int64_t systolic_cycles(const PeArrayParams& pe, std::int64_t m, std::int64_t n,
                             std::int64_t k) {
  if (m <= 0 || n <= 0 || k <= 0) return 0;
  const std::int64_t R = pe.rows, C = pe.cols;
  std::int64_t sr = 0, sc = 0, t = 0;
  std::int64_t preload = R;  // weight/input stationary: R cycles to load the stationary operand
  switch (pe.dataflow) {
    case Dataflow::OutputStationary:
      sr = m;
      sc = n;
      t = k;
      preload = 0;
      break;
    case Dataflow::WeightStationary:
      sr = k;
      sc = n;
      t = m;
      break;
    case Dataflow::InputStationary:
      sr = k;
      sc = m;
      t = n;
      break;
  }
  const std::int64_t folds = mul_checked(ceil_div(sr, R), ceil_div(sc, C));
  return mul_checked(folds, preload + R + C + t - 2);
}

EngineActions systolic_actions(const PeArrayParams& pe, std::int64_t m, std::int64_t n,
                               std::int64_t k) {
  EngineActions a;
  if (m <= 0 || n <= 0 || k <= 0) return a;
  const std::int64_t R = pe.rows, C = pe.cols;
  const std::int64_t mn = mul_checked(m, n);
  a.macs = mul_checked(mn, k);
  switch (pe.dataflow) {
    case Dataflow::OutputStationary:
      a.input.reads = mul_checked(mul_checked(m, k), ceil_div(n, C));
      a.weight.reads = mul_checked(mul_checked(n, k), ceil_div(m, R));
      a.output.writes = mn;
      return a;
    case Dataflow::WeightStationary:
      a.input.reads = mul_checked(mul_checked(m, k), ceil_div(n, C));
      a.weight.reads = mul_checked(n, k);
      break;
    case Dataflow::InputStationary:
      a.input.reads = mul_checked(m, k);
      a.weight.reads = mul_checked(mul_checked(n, k), ceil_div(m, C));
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
  const std::int64_t total = mul_checked(s.count, systolic_cycles(pe, s.m, s.n, s.k));
  return stream_prefix(add_checked(done, macs), total_macs, total) -
         stream_prefix(done, total_macs, total);
}

std::int64_t PeArray::cycles(const Params& p, const TileWork& w) {
  if (w.stream.count > 0) {
    const std::int64_t macs = mul_checked(mul_checked(mul_checked(w.m, w.n), w.k), w.count);
    return stream_cycles(p, w.stream, w.stream.done, macs);
  }
  return mul_checked(w.count, systolic_cycles(p, w.m, w.n, w.k));
}

EngineActions PeArray::actions(const Params& p, const TileWork& w) {
  EngineActions a = systolic_actions(p, w.m, w.n, w.k);
  for (std::int64_t* v : {&a.macs, &a.adds, &a.vector_ops, &a.input.reads, &a.input.writes,
                          &a.weight.reads, &a.weight.writes, &a.output.reads, &a.output.writes})
    *v = mul_checked(*v, w.count);
  return a;
}

}  // namespace fusim
