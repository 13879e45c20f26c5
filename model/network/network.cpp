#include "network/network.h"

#include <algorithm>
#include <cmath>
#include <map>

#include <boost/graph/breadth_first_search.hpp>
#include <boost/graph/depth_first_search.hpp>
#include <boost/graph/topological_sort.hpp>

#include "common/checked.h"
#include "common/error.h"
#include "common/limits.h"

namespace fusim {

const char* type_name(const Layer& l) {
  if (l.type == LayerType::Resize && l.resize_mode == ResizeMode::DepthToSpace)
    return "depth_to_space";
  if (l.is_fused_block()) return "fused_bottleneck";
  return to_string(l.type);
}

const char* to_string(LayerType t) {
  switch (t) {
    case LayerType::Conv:
      return "conv";
    case LayerType::Fc:
      return "fc";
    case LayerType::Gemm:
      return "gemm";
    case LayerType::Pool:
      return "pool";
    case LayerType::Add:
      return "add";
    case LayerType::Concat:
      return "concat";
    case LayerType::Sub:
      return "sub";
    case LayerType::Mul:
      return "mul";
    case LayerType::Div:
      return "div";
    case LayerType::Max:
      return "max";
    case LayerType::Min:
      return "min";
    case LayerType::Activation:
      return "activation";
    case LayerType::Slice:
      return "slice";
    case LayerType::Shuffle:
      return "shuffle";
    case LayerType::Softmax:
      return "softmax";
    case LayerType::LayerNorm:
      return "layernorm";
    case LayerType::Reduce:
      return "reduce";
    case LayerType::BatchNorm:
      return "batchnorm";
    case LayerType::Resize:
      return "resize";
    case LayerType::Pad:
      return "pad";
    case LayerType::Transpose:
      return "transpose";
  }
  return "?";
}

const char* to_string(Activation a) {
  switch (a) {
    case Activation::None:
      return "none";
    case Activation::Relu:
      return "relu";
    case Activation::Relu6:
      return "relu6";
    case Activation::Clip:
      return "clip";
    case Activation::LeakyRelu:
      return "leaky_relu";
    case Activation::Sigmoid:
      return "sigmoid";
    case Activation::Silu:
      return "silu";
    case Activation::HardSigmoid:
      return "hardsigmoid";
    case Activation::HardSwish:
      return "hardswish";
    case Activation::Gelu:
      return "gelu";
    case Activation::Tanh:
      return "tanh";
  }
  return "?";
}

bool is_elementwise_binary(LayerType t) {
  switch (t) {
    case LayerType::Add:
    case LayerType::Sub:
    case LayerType::Mul:
    case LayerType::Div:
    case LayerType::Max:
    case LayerType::Min:
      return true;
    default:
      return false;
  }
}

bool reduces_channels(LayerType t) {
  return t == LayerType::Softmax || t == LayerType::LayerNorm || t == LayerType::Reduce;
}

namespace {

std::int64_t floor_div(std::int64_t a, std::int64_t b) {  // b > 0
  return a >= 0 ? a / b : -((-a + b - 1) / b);
}

}  // namespace

void resize_input_rows(ResizeMode mode, std::int64_t s, std::int64_t rows, std::int64_t a,
                       std::int64_t b, std::int64_t& lo, std::int64_t& hi) {
  if (b <= a) {
    lo = hi = std::min(a, rows);
    return;
  }
  if (mode != ResizeMode::Bilinear) {  // nearest; depth_to_space reads the same rows
    lo = a / s;
    hi = (b - 1) / s + 1;
  } else {
    // floor(y) = floor((2 r + 1 - s) / (2 s)); the row below it is read too.
    lo = floor_div(2 * a + 1 - s, 2 * s);
    hi = floor_div(2 * (b - 1) + 1 - s, 2 * s) + 2;
  }
  lo = std::clamp<std::int64_t>(lo, 0, rows - 1);
  hi = std::clamp<std::int64_t>(hi, lo + 1, rows);
}

std::int64_t resize_ops_per_element(ResizeMode mode) {
  return mode == ResizeMode::Bilinear ? 7 : 1;
}

bool is_pointwise(LayerType t) {
  return is_elementwise_binary(t) || t == LayerType::Activation || t == LayerType::BatchNorm;
}

std::int64_t activation_ops_per_element(Activation a) {
  switch (a) {
    case Activation::None:
      return 0;
    case Activation::Relu:     // max(x, 0)
    case Activation::Sigmoid:  // one table lookup
    case Activation::Tanh:     // one table lookup
      return 1;
    case Activation::Relu6:      // max, min
    case Activation::Clip:       // max, min
    case Activation::LeakyRelu:  // multiply, max
    case Activation::Silu:       // sigmoid lookup, multiply
    case Activation::Gelu:       // lookup of the normal CDF, multiply
      return 2;
    case Activation::HardSigmoid:  // multiply-add, max, min
      return 3;
    case Activation::HardSwish:  // hardsigmoid, multiply
      return 4;
  }
  return 0;
}

std::int64_t activation_ops_per_element(Activation a, LayerType producer) {
  const bool clamp = a == Activation::Relu || a == Activation::Relu6 || a == Activation::Clip;
  return clamp && producer != LayerType::Activation ? 0 : activation_ops_per_element(a);
}

Arithmetic activation_arithmetic_per_element(Activation a) {
  switch (a) {
    case Activation::LeakyRelu:  // negative_slope x
    case Activation::Silu:       // x sigmoid(x)
    case Activation::Gelu:       // x Phi(x)
      return {1, 0};
    case Activation::HardSigmoid:  // x / 6 + 1/2
      return {1, 1};
    case Activation::HardSwish:  // x hardsigmoid(x)
      return {2, 1};
    default:
      return {};
  }
}

namespace {

// Vector-unit operations per output element and per operand beyond the first of an element-wise
// layer: one, but a division's two (a reciprocal lookup and a multiply).
std::int64_t binary_ops_per_element(LayerType t) {
  return t == LayerType::Div ? 2 : 1;
}

}  // namespace

std::string to_string(const Shape& s) {
  return "[" + std::to_string(s.c) + ", " + std::to_string(s.h) + ", " + std::to_string(s.w) + "]";
}

bool Layer::is_depthwise() const {
  return type == LayerType::Conv && groups > 1 && !in_shapes.empty() && in_shapes[0].c == groups;
}

bool Layer::runs_on_pe_array() const {
  return (type == LayerType::Conv && !is_depthwise()) || type == LayerType::Fc ||
         type == LayerType::Gemm;
}

std::int64_t Layer::macs_per_item() const {
  switch (type) {
    case LayerType::Conv:
      return out_shape.elements() * (in_shapes.at(0).c / groups) * kernel_h * kernel_w;
    case LayerType::Fc:
      return in_shapes.at(0).elements() * out_channels;
    case LayerType::Gemm:
      return heads * m * n * k;
    default:
      return 0;
  }
}

std::int64_t Layer::fused_entries_per_channel() const {
  if (!is_fused_block()) return 0;
  const double dense = static_cast<double>(in_shapes.at(0).c / groups) *
                       static_cast<double>(fused.expand_channels / groups) *
                       static_cast<double>(kernel_h * kernel_w);
  return static_cast<std::int64_t>(std::ceil(dense * fused_prune - 1e-9));
}

std::int64_t Layer::fused_surviving_per_channel() const {
  return static_cast<std::int64_t>(std::ceil(static_cast<double>(fused_entries_per_channel()) *
                                                 fused.expand_survival * fused.depthwise_survival -
                                             1e-9));
}

std::int64_t Layer::fused_predictor_weights() const {
  if (!is_fused_block()) return 0;
  return fused.expand_channels * (in_shapes.at(0).c / groups + kernel_h * kernel_w);
}

std::int64_t Layer::fused_bytes_per_channel() const {
  if (!is_fused_block() || out_channels <= 0) return 0;
  const std::int64_t predictor_bits = 2 * fused_predictor_weights();
  const std::int64_t bits = fused_entries_per_channel() * (fused.value_bits + fused.index_bits) +
                            ceil_div(predictor_bits, out_channels);
  return ceil_div(bits, 8);
}

std::int64_t Layer::params() const {
  switch (type) {
    case LayerType::Conv:
      if (is_fused_block())  // the fused weights and the ternary predictors
        return out_channels * fused_entries_per_channel() + fused_predictor_weights();
      return out_channels * (in_shapes.at(0).c / groups) * kernel_h * kernel_w +
             (bias ? out_channels : 0);
    case LayerType::Fc:
      return in_shapes.at(0).elements() * out_channels + (bias ? out_channels : 0);
    case LayerType::Gemm:
      return inputs.size() == 1 ? k * n + (bias ? n : 0) : 0;
    case LayerType::LayerNorm:  // the per-channel scale, and bias
      return out_shape.c * (bias ? 2 : 1);
    case LayerType::BatchNorm:  // the per-channel scale and shift
      return 2 * out_shape.c;
    default:
      return 0;
  }
}

std::int64_t Layer::reduction_run() const {
  switch (type) {
    case LayerType::Softmax:
      return out_shape.c / groups;
    case LayerType::LayerNorm:
      return out_shape.c;
    case LayerType::Reduce:
      return in_shapes.at(0).c;
    default:
      return 0;
  }
}

std::int64_t Layer::reduction_ops(std::int64_t pixels, std::int64_t channels) const {
  switch (type) {
    case LayerType::Softmax:  // a causal mask: a select per element more
      return pixels * ((causal ? 6 : 5) * channels + channels / reduction_run());
    case LayerType::LayerNorm:
      return pixels * (6 * channels + 3);
    case LayerType::Reduce:
      return pixels * (in_shapes.at(0).c + (reduce_mode == ReduceMode::Mean ? 1 : 0));
    default:
      return 0;
  }
}

std::int64_t Layer::vector_ops_per_item() const {
  if (reduces_channels(type))
    return reduction_ops(out_shape.h * out_shape.w, out_shape.c) + activation_ops_per_item();
  if (is_pointwise(type))
    return out_shape.elements() * pointwise_ops_per_element() + activation_ops_per_item();
  switch (type) {
    case LayerType::Conv:
      return (is_depthwise() ? macs_per_item() : 0) + activation_ops_per_item();
    case LayerType::Pool:
      return (global_pool ? in_shapes.at(0).elements()
                          : out_shape.elements() * kernel_h * kernel_w) +
             activation_ops_per_item();
    case LayerType::Concat:
    case LayerType::Slice:
      return 0;
    case LayerType::Shuffle:  // a copy moves every element once through the vector unit
      return is_view() ? 0 : out_shape.elements();
    case LayerType::Resize:
      return out_shape.elements() * resize_ops_per_element(resize_mode) + activation_ops_per_item();
    case LayerType::Pad:        // a move per output element, the padding's included
    case LayerType::Transpose:  // a move per element
      return out_shape.elements() + activation_ops_per_item();
    default:
      return activation_ops_per_item();
  }
}

Arithmetic Layer::arithmetic_per_item() const {
  Arithmetic a;
  const std::int64_t macs = macs_per_item();
  a.multiplications = a.additions = macs;
  const std::int64_t out = out_shape.elements();
  if (is_fused_block()) {
    // Each pixel adds the fused weights whose two mask bits are set into its effective weights;
    // the ternary predictors add once per weight per input pixel (expand masks) and per output
    // pixel (depthwise masks).
    const std::int64_t pixels = out_shape.h * out_shape.w;
    a.additions += out_channels * fused_surviving_per_channel() * pixels +
                   fused.expand_channels * (in_shapes.at(0).c / groups) * in_shapes.at(0).h *
                       in_shapes.at(0).w +
                   fused.expand_channels * kernel_h * kernel_w * pixels;
  }
  if (type == LayerType::Pool && pool_mode == PoolMode::Avg) {
    a.additions += global_pool ? in_shapes.at(0).elements() : out * kernel_h * kernel_w;
    a.multiplications += out;
  } else if (is_elementwise_binary(type)) {
    const auto elems = out * static_cast<std::int64_t>(inputs.size() - 1);
    if (type == LayerType::Add || type == LayerType::Sub) a.additions += elems;
    if (type == LayerType::Mul || type == LayerType::Div) a.multiplications += elems;
  } else if (type == LayerType::Softmax) {
    // Subtract the max and accumulate; multiply by the reciprocal, and by the scale.
    a.additions += 2 * out;
    a.multiplications += out * (scale != 1 ? 2 : 1);
  } else if (type == LayerType::LayerNorm) {
    // Per element: accumulate, subtract the mean, accumulate the square, (add the bias);
    // square, times 1 / sigma, times the scale. Per pixel: mean and variance times 1 / C,
    // the variance plus epsilon.
    const std::int64_t pixels = out_shape.h * out_shape.w;
    a.additions += out * (bias ? 4 : 3) + pixels;
    a.multiplications += 3 * out + 2 * pixels;
  } else if (type == LayerType::Resize && resize_mode == ResizeMode::Bilinear) {
    a.multiplications += 4 * out;  // the four neighbours by their weights
    a.additions += 3 * out;
  } else if (type == LayerType::BatchNorm) {  // a multiply-add per element
    a.multiplications += out;
    a.additions += out;
  } else if (type == LayerType::Reduce) {
    a.additions += in_shapes.at(0).elements();
    if (reduce_mode == ReduceMode::Mean) a.multiplications += out;
  }
  // The activation layer's function, or the attribute's where it is not a free clamp.
  if (type == LayerType::Activation || activation_ops_per_element(activation, type) > 0) {
    const Arithmetic f = activation_arithmetic_per_element(activation);
    a.multiplications += out * f.multiplications;
    a.additions += out * f.additions;
  }
  return a;
}

Layer::ShuffleRuns Layer::shuffle_input_runs(std::int64_t k0, std::int64_t k1) const {
  // Output channels j in [k0, k1) read input channels b * (C / g) + j / g, b = j % g: in each
  // of the g groups the channels [k0 / g, ceil(k1 / g)) (all g of them once the tile spans g
  // channels; a tile that does not start and end on a multiple of g reads a few more).
  const std::int64_t g = groups;
  const std::int64_t first = k0 / g, end = (k1 + g - 1) / g;
  return {first, end - first};
}

std::int64_t Layer::pointwise_ops_per_element() const {
  if (type == LayerType::Activation) return activation_ops_per_element(activation, type);
  if (type == LayerType::BatchNorm) return 1;  // x * scale + shift: one multiply-add
  if (!is_elementwise_binary(type)) return 0;
  return static_cast<std::int64_t>(inputs.size() - 1) * binary_ops_per_element(type);
}

std::int64_t Layer::activation_ops_per_item() const {
  if (type == LayerType::Activation) return 0;
  return out_shape.elements() * activation_ops_per_element(activation, type);
}

namespace {

struct BackEdgeRecorder : boost::default_dfs_visitor {
  std::pair<int, int>* found;
  explicit BackEdgeRecorder(std::pair<int, int>* f) : found(f) {}
  template <class Edge, class G>
  void back_edge(Edge e, const G& g) {
    if (found->first < 0) *found = {static_cast<int>(source(e, g)), static_cast<int>(target(e, g))};
  }
};

// Output extent of a window. Pools with ceil_mode follow Caffe/PyTorch (the last window must
// start inside the input or the left padding); convs with ceil_mode follow SCALE-Sim
// (topology_utils.py: ceil((H - F + S) / S) with the padding already in H), which keeps such a
// window, e.g. 29 outputs for a 1x1 stride-2 conv over 56 rows. `p` and `q`: the padding before
// and after.
std::int64_t out_extent(std::int64_t in, std::int64_t k, std::int64_t s, std::int64_t p,
                        std::int64_t q, std::int64_t d, bool ceil_mode, bool pytorch_rule) {
  const std::int64_t span = in + p + q - d * (k - 1) - 1;
  if (span < 0) return 0;
  std::int64_t out = (ceil_mode ? (span + s - 1) / s : span / s) + 1;
  if (ceil_mode && pytorch_rule && (out - 1) * s >= in + p) --out;
  return out;
}

// The size limits (common/limits.h) on one layer whose shapes are known. Products are formed in
// long double because they may not fit an int64 yet. Checked before the next layer reads this
// one's output, so that no shape, e.g. a concat of concats, can grow past them.
// Returns the layer's MACs plus vector operations (whole batch) for the network total.
long double check_size_limits(const Layer& l, std::int64_t batch, const std::string& file) {
  using LD = long double;
  const Shape& o = l.out_shape;
  const LD out_elems = LD(o.c) * LD(o.h) * LD(o.w) * LD(batch);
  LD in_elems = 0;
  for (const Shape& s : l.in_shapes) in_elems = std::max(in_elems, LD(s.c) * LD(s.h) * LD(s.w));
  LD macs = 0, params = 0;
  if (l.type == LayerType::Conv) {
    const LD per_out = LD(l.in_shapes[0].c / l.groups) * LD(l.kernel_h) * LD(l.kernel_w);
    macs = out_elems * per_out;
    params = LD(l.out_channels) * per_out;
  } else if (l.type == LayerType::Fc) {
    params = in_elems * LD(l.out_channels);
    macs = params * LD(batch);
  } else if (l.type == LayerType::Gemm) {
    macs = LD(l.heads) * LD(l.m) * LD(l.n) * LD(l.k) * LD(batch);
    params = LD(l.k) * LD(l.n);
  } else if (l.type == LayerType::Pool) {
    macs = out_elems * LD(l.kernel_h) * LD(l.kernel_w);  // vector operations
  }
  // Where every output channel reads the whole input (dense conv, fc, gemm), the input read once
  // per output channel: the most any tiling re-reads it.
  const bool dense = l.type == LayerType::Fc || l.type == LayerType::Gemm ||
                     (l.type == LayerType::Conv && l.groups == 1);
  const LD reread = dense ? in_elems * LD(batch) * LD(o.c) : 0;
  const char* what = nullptr;
  if (out_elems > LD(limits::kMaxElements) || in_elems * LD(batch) > LD(limits::kMaxElements))
    what = "a tensor";
  else if (macs > LD(limits::kMaxLayerMacs))
    what = "the MAC count";
  else if (params > LD(limits::kMaxElements))
    what = "the weight tensor";
  else if (reread > LD(limits::kMaxRereadElements))
    what = "the input read once per output channel";
  if (what) {
    throw InputError(
        file, l.source_line, "layers." + l.name,
        std::string(what) + " is beyond fusim's size limits (see docs/limits-and-fuzzing.md)");
  }
  const LD add_ops = is_elementwise_binary(l.type) ? out_elems * LD(l.inputs.size()) : 0;
  const LD act_ops = out_elems * LD(activation_ops_per_element(l.activation));
  return macs + add_ops + act_ops;
}

}  // namespace

Network::Network(std::string name, std::int64_t batch, std::vector<NetworkInput> inputs,
                 std::vector<Layer> layers, const std::string& file)
    : name_(std::move(name)), batch_(batch), inputs_(std::move(inputs)) {
  const int n = static_cast<int>(layers.size());
  Graph g(static_cast<std::size_t>(n));
  bool file_order_is_topological = true;
  for (int v = 0; v < n; ++v) {
    for (const Operand& op : layers[static_cast<std::size_t>(v)].inputs) {
      if (op.from_network_input) continue;
      boost::add_edge(static_cast<std::size_t>(op.index), static_cast<std::size_t>(v), g);
      if (op.index >= v) file_order_is_topological = false;
    }
  }

  std::vector<int> order;
  if (file_order_is_topological) {
    for (int v = 0; v < n; ++v) order.push_back(v);
  } else {
    std::pair<int, int> back{-1, -1};
    boost::depth_first_search(g, boost::visitor(BackEdgeRecorder(&back)));
    if (back.first >= 0) {
      const Layer& l = layers[static_cast<std::size_t>(back.second)];
      throw InputError(file, l.source_line, "layers",
                       "the graph has a cycle: layer '" +
                           layers[static_cast<std::size_t>(back.first)].name + "' feeds '" +
                           l.name + "', which it depends on");
    }
    std::vector<std::size_t> rev;
    boost::topological_sort(g, std::back_inserter(rev));
    for (auto it = rev.rbegin(); it != rev.rend(); ++it) order.push_back(static_cast<int>(*it));
  }

  // Renumber layers in topological order and rebuild the graph on the new numbering.
  std::vector<int> new_index(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i)
    new_index[static_cast<std::size_t>(order[static_cast<std::size_t>(i)])] = i;
  layers_.reserve(layers.size());
  for (int old : order) {
    Layer l = std::move(layers[static_cast<std::size_t>(old)]);
    for (Operand& op : l.inputs) {
      if (!op.from_network_input) op.index = new_index[static_cast<std::size_t>(op.index)];
    }
    layers_.push_back(std::move(l));
  }
  graph_ = Graph(static_cast<std::size_t>(n));
  for (int v = 0; v < n; ++v) {
    for (const Operand& op : layers_[static_cast<std::size_t>(v)].inputs) {
      if (!op.from_network_input) {
        boost::add_edge(static_cast<std::size_t>(op.index), static_cast<std::size_t>(v), graph_);
      }
    }
  }
  consumers_.resize(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) {
    std::vector<int>& out = consumers_[static_cast<std::size_t>(i)];
    for (auto [e, end] = boost::out_edges(static_cast<std::size_t>(i), graph_); e != end; ++e)
      out.push_back(static_cast<int>(boost::target(*e, graph_)));
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
  }

  // Shape inference in topological order.
  long double total_ops = 0;
  for (Layer& l : layers_) {
    auto fail = [&](const std::string& msg) {
      throw InputError(file, l.source_line, "layers." + l.name, msg);
    };
    auto operand_name = [&](const Operand& op) {
      return op.from_network_input ? inputs_[static_cast<std::size_t>(op.index)].name
                                   : layers_[static_cast<std::size_t>(op.index)].name;
    };
    l.in_shapes.clear();
    l.in_pixel_channels.clear();
    l.input_density = 1;
    if (!l.inputs.empty() && !l.inputs[0].from_network_input) {
      const Layer& p = layers_[static_cast<std::size_t>(l.inputs[0].index)];
      if (p.type == LayerType::Conv && p.activation == Activation::Relu)
        l.input_density = p.survival;
    }
    for (const Operand& op : l.inputs) {
      l.in_shapes.push_back(op.from_network_input
                                ? inputs_[static_cast<std::size_t>(op.index)].shape
                                : layers_[static_cast<std::size_t>(op.index)].out_shape);
      l.in_pixel_channels.push_back(
          op.from_network_input ? l.in_shapes.back().c
                                : layers_[static_cast<std::size_t>(op.index)].out_pixel_channels);
    }
    const std::size_t arity = l.inputs.size();
    if (l.type == LayerType::Fc || l.type == LayerType::Gemm) {
      for (std::size_t i = 0; i < arity; ++i) {
        if (l.in_pixel_channels[i] == l.in_shapes[i].c) continue;
        // A gemm reads a channel slice of a sequence row by row, one piece per token: its
        // operand holds the gemm's rows ([heads k, m, 1] for A; [heads n, k, 1], or [heads k,
        // n, 1] with transpose_b, for B), as timm's fused qkv projection splits them.
        const Shape& s = l.in_shapes[i];
        const std::int64_t rows = i == 0 ? l.m : l.transpose_b ? l.n : l.k;
        const std::int64_t len = i == 0 || l.transpose_b ? l.heads * l.k : l.heads * l.n;
        if (l.type == LayerType::Gemm && s == Shape{len, rows, 1}) continue;
        fail(std::string("a") + (l.type == LayerType::Fc ? "n fc" : " gemm") +
             " reads its operand as one flat block, but '" + operand_name(l.inputs[i]) +
             "' is a channel slice of a larger tensor (a strided view)" +
             (l.type == LayerType::Gemm
                  ? " whose shape is not the gemm's rows (" + to_string(Shape{len, rows, 1}) + ")"
                  : std::string()) +
             "; put a layer between them");
      }
    }
    auto need_inputs = [&](std::size_t lo, std::size_t hi) {
      if (arity < lo || arity > hi) {
        const std::string type = type_name(l);
        fail(std::string(type == "activation" || type == "add" ? "an " : "a ") + type +
             " layer takes " +
             (lo == hi ? std::to_string(lo) : std::to_string(lo) + " to " + std::to_string(hi)) +
             " input(s), got " + std::to_string(arity));
      }
    };
    switch (l.type) {
      case LayerType::Conv:
      case LayerType::Pool: {
        need_inputs(1, 1);
        const Shape in = l.in_shapes[0];
        if (l.type == LayerType::Conv) {
          if (in.c % l.groups != 0 || l.out_channels % l.groups != 0) {
            fail("groups (" + std::to_string(l.groups) + ") must divide the input channels of '" +
                 operand_name(l.inputs[0]) + "' (" + std::to_string(in.c) + ") and out_channels (" +
                 std::to_string(l.out_channels) + ")");
          }
        } else if (l.global_pool) {
          l.kernel_h = in.h;
          l.kernel_w = in.w;
          l.stride_h = l.stride_w = 1;
          l.pad_h = l.pad_w = l.pad_bottom = l.pad_right = 0;
        }
        const std::int64_t span_h = l.kernel_h * l.dilation, span_w = l.kernel_w * l.dilation;
        const std::int64_t pad_h = std::max(l.pad_h, l.pad_bottom);
        const std::int64_t pad_w = std::max(l.pad_w, l.pad_right);
        if (pad_h >= span_h || pad_w >= span_w) {
          // Name the dimension; when the other one is fine, the user most likely meant a
          // different padding per dimension (`padding: 3` on a [1, 7] kernel): say how.
          const bool h_bad = pad_h >= span_h, w_bad = pad_w >= span_w;
          std::string msg =
              "padding " + std::to_string(h_bad ? pad_h : pad_w) +
              " must be smaller than the kernel's " +
              (h_bad ? "height, " + std::to_string(span_h) : "width, " + std::to_string(span_w)) +
              (l.dilation > 1 ? " with dilation" : "") + " (kernel " + std::to_string(l.kernel_h) +
              "x" + std::to_string(l.kernel_w) + ")";
          if (h_bad != w_bad) {
            msg += "; padding takes [h, w] for height and width apart, e.g. padding: [" +
                   std::to_string(std::min(pad_h, span_h - 1)) + ", " +
                   std::to_string(std::min(pad_w, span_w - 1)) + "]";
          }
          fail(msg);
        }
        const bool pytorch_rule = l.type == LayerType::Pool;
        const std::int64_t e = out_extent(in.h, l.kernel_h, l.stride_h, l.pad_h, l.pad_bottom,
                                          l.dilation, l.ceil_mode, pytorch_rule);
        const std::int64_t f = out_extent(in.w, l.kernel_w, l.stride_w, l.pad_w, l.pad_right,
                                          l.dilation, l.ceil_mode, pytorch_rule);
        if (e < 1 || f < 1) {
          fail("kernel " + std::to_string(l.kernel_h) + "x" + std::to_string(l.kernel_w) +
               " does not fit the padded input " + to_string(in) + " from '" +
               operand_name(l.inputs[0]) + "'");
        }
        l.out_shape = {l.type == LayerType::Conv ? l.out_channels : in.c, e, f};
        break;
      }
      case LayerType::Fc:
        need_inputs(1, 1);
        l.out_shape = {l.out_channels, 1, 1};
        break;
      case LayerType::Gemm: {
        need_inputs(1, 2);
        if (l.heads > 1) {
          // Each head reads its run of channels of every row: the shapes are exact.
          const Shape a{l.heads * l.k, l.m, 1};
          const Shape b =
              l.transpose_b ? Shape{l.heads * l.k, l.n, 1} : Shape{l.heads * l.n, l.k, 1};
          for (std::size_t i = 0; i < arity; ++i) {
            const Shape& want = i == 0 ? a : b;
            if (l.in_shapes[i] == want) continue;
            fail(std::string("operand ") + (i == 0 ? "A" : "B") + " from '" +
                 operand_name(l.inputs[i]) + "' is " + to_string(l.in_shapes[i]) + ", but " +
                 std::to_string(l.heads) + " heads of m = " + std::to_string(l.m) + ", n = " +
                 std::to_string(l.n) + ", k = " + std::to_string(l.k) + " need " + to_string(want) +
                 (i == 0          ? " ([heads * k, m, 1])"
                  : l.transpose_b ? " ([heads * k, n, 1] with transpose_b)"
                                  : " ([heads * n, k, 1])"));
          }
          l.out_shape = {l.heads * l.n, l.m, 1};
          break;
        }
        if (l.in_shapes[0].elements() != l.m * l.k) {
          fail("operand A from '" + operand_name(l.inputs[0]) + "' has " +
               std::to_string(l.in_shapes[0].elements()) +
               " elements, but m*k = " + std::to_string(l.m * l.k));
        }
        if (arity == 2 && l.in_shapes[1].elements() != l.k * l.n) {
          fail("operand B from '" + operand_name(l.inputs[1]) + "' has " +
               std::to_string(l.in_shapes[1].elements()) +
               " elements, but k*n = " + std::to_string(l.k * l.n));
        }
        l.out_shape = {l.n, l.m, 1};
        break;
      }
      case LayerType::Add:
      case LayerType::Sub:
      case LayerType::Mul:
      case LayerType::Div:
      case LayerType::Max:
      case LayerType::Min: {
        const bool two = l.type == LayerType::Sub || l.type == LayerType::Div;
        need_inputs(2, two ? 2 : 64);
        // Numpy-style broadcasting: per dimension, the operands' extents are equal or 1.
        Shape out = l.in_shapes[0];
        for (std::size_t i = 1; i < arity; ++i) {
          const Shape& s = l.in_shapes[i];
          const auto join = [](std::int64_t a, std::int64_t b) {
            return a == b || b == 1 ? a : a == 1 ? b : -1;
          };
          const Shape j{join(out.c, s.c), join(out.h, s.h), join(out.w, s.w)};
          if (j.c < 0 || j.h < 0 || j.w < 0) {
            fail("shape mismatch: '" + operand_name(l.inputs[0]) + "' is " +
                 to_string(l.in_shapes[0]) + " but '" + operand_name(l.inputs[i]) + "' is " +
                 to_string(s) + " (each dimension must be equal or 1 in one of them)");
          }
          out = j;
        }
        l.out_shape = out;
        break;
      }
      case LayerType::Activation:
      case LayerType::LayerNorm:
      case LayerType::BatchNorm:
        need_inputs(1, 1);
        l.out_shape = l.in_shapes[0];
        break;
      case LayerType::Softmax:
        need_inputs(1, 1);
        if (l.in_shapes[0].c % l.groups != 0) {
          fail("groups (" + std::to_string(l.groups) + ") must divide the input channels of '" +
               operand_name(l.inputs[0]) + "' (" + std::to_string(l.in_shapes[0].c) + ")");
        }
        if (l.causal && (l.in_shapes[0].w != 1 || l.in_shapes[0].c / l.groups < l.in_shapes[0].h)) {
          fail(
              "a causal softmax reads scores [heads keys, queries, 1] with keys >= queries, but '" +
              operand_name(l.inputs[0]) + "' is " + to_string(l.in_shapes[0]) + " in " +
              std::to_string(l.groups) + " group(s)");
        }
        l.out_shape = l.in_shapes[0];
        break;
      case LayerType::Reduce:
        need_inputs(1, 1);
        l.out_shape = {1, l.in_shapes[0].h, l.in_shapes[0].w};
        break;
      case LayerType::Transpose: {
        need_inputs(1, 1);
        const Shape& in = l.in_shapes[0];
        if (in.w != 1) {
          fail("a transpose swaps the channels and rows of a matrix [C, H, 1], but '" +
               operand_name(l.inputs[0]) + "' is " + to_string(in));
        }
        l.out_shape = {in.h, in.c, 1};
        break;
      }
      case LayerType::Pad: {
        need_inputs(1, 1);
        const Shape& in = l.in_shapes[0];
        const std::int64_t h = in.h + l.pad_h + l.pad_bottom, w = in.w + l.pad_w + l.pad_right;
        if (h > limits::kMaxExtent || w > limits::kMaxExtent) {
          fail("padding '" + operand_name(l.inputs[0]) + "' (" + to_string(in) +
               ") exceeds the largest extent, " + std::to_string(limits::kMaxExtent));
        }
        // A negative side crops: the crops leave at least one of the input's rows and columns.
        const auto cropped = [](std::int64_t a, std::int64_t b) {
          return std::max<std::int64_t>(0, -a) + std::max<std::int64_t>(0, -b);
        };
        if (cropped(l.pad_h, l.pad_bottom) >= in.h || cropped(l.pad_w, l.pad_right) >= in.w) {
          fail("padding [" + std::to_string(l.pad_h) + ", " + std::to_string(l.pad_w) + ", " +
               std::to_string(l.pad_bottom) + ", " + std::to_string(l.pad_right) +
               "] crops all of '" + operand_name(l.inputs[0]) + "' (" + to_string(in) + ")");
        }
        l.out_shape = {in.c, h, w};
        break;
      }
      case LayerType::Resize: {
        need_inputs(1, 1);
        const Shape& in = l.in_shapes[0];
        // Checked in long double: a factor of 64 on a large input must not overflow.
        if (static_cast<long double>(in.h) * l.resize_h > limits::kMaxExtent ||
            static_cast<long double>(in.w) * l.resize_w > limits::kMaxExtent) {
          fail("resizing '" + operand_name(l.inputs[0]) + "' (" + to_string(in) + ") by [" +
               std::to_string(l.resize_h) + ", " + std::to_string(l.resize_w) +
               "] exceeds the largest extent, " + std::to_string(limits::kMaxExtent));
        }
        l.out_shape = {in.c, in.h * l.resize_h, in.w * l.resize_w};
        if (l.resize_mode == ResizeMode::DepthToSpace) {
          const std::int64_t cells = l.resize_h * l.resize_w;
          if (in.c % cells != 0) {
            fail("block " + std::to_string(l.resize_h) + " needs input channels divisible by " +
                 std::to_string(cells) + ", but '" + operand_name(l.inputs[0]) + "' has " +
                 std::to_string(in.c));
          }
          l.out_shape.c = in.c / cells;
        }
        break;
      }
      case LayerType::Concat: {
        need_inputs(1, 64);
        Shape out = l.in_shapes[0];
        for (std::size_t i = 1; i < arity; ++i) {
          if (l.in_shapes[i].h != out.h || l.in_shapes[i].w != out.w) {
            fail("shape mismatch: '" + operand_name(l.inputs[0]) + "' is " +
                 to_string(l.in_shapes[0]) + " but '" + operand_name(l.inputs[i]) + "' is " +
                 to_string(l.in_shapes[i]) + " (concat needs equal height and width)");
          }
          out.c += l.in_shapes[i].c;
        }
        l.out_shape = out;
        break;
      }
      case LayerType::Slice: {
        need_inputs(1, 1);
        const Shape in = l.in_shapes[0];
        if (l.slice_end > in.c) {
          fail("channels [" + std::to_string(l.slice_begin) + ", " + std::to_string(l.slice_end) +
               ") go past the " + std::to_string(in.c) + " channels of '" +
               operand_name(l.inputs[0]) + "'");
        }
        l.out_shape = {l.slice_end - l.slice_begin, in.h, in.w};
        break;
      }
      case LayerType::Shuffle: {
        need_inputs(1, 1);
        const Shape in = l.in_shapes[0];
        if (in.c % l.groups != 0) {
          fail("groups (" + std::to_string(l.groups) + ") must divide the input channels of '" +
               operand_name(l.inputs[0]) + "' (" + std::to_string(in.c) + ")");
        }
        l.out_shape = in;
        // A view when every consumer is a dense conv (it reads every channel of a pixel, and
        // its weights absorb the permutation).
        const std::vector<int>& readers = consumers(static_cast<int>(&l - layers_.data()));
        l.shuffle_view =
            !readers.empty() && std::all_of(readers.begin(), readers.end(), [&](int c) {
              const Layer& r = layers_[static_cast<std::size_t>(c)];
              return r.type == LayerType::Conv && r.groups == 1;
            });
        break;
      }
    }
    l.out_pixel_channels = l.is_view() ? l.in_pixel_channels[0] : l.out_shape.c;
    total_ops += check_size_limits(l, batch_, file);
    if (total_ops > static_cast<long double>(limits::kMaxNetworkMacs)) {
      throw InputError(file, l.source_line, "layers." + l.name,
                       "the network's total MAC count reaches 2^60 here, beyond fusim's size "
                       "limits (see docs/limits-and-fuzzing.md)");
    }
  }
  // A slice is a view of its input's tensor: it has no tensor of its own to be an output.
  for (std::size_t i = 0; i < layers_.size(); ++i) {
    const Layer& l = layers_[i];
    if (l.type == LayerType::Slice && consumers(static_cast<int>(i)).empty()) {
      throw InputError(
          file, l.source_line, "layers." + l.name,
          "a slice is a view and cannot be a network output: nothing reads '" + l.name + "'");
    }
  }
}

int Network::find_layer(const std::string& name) const {
  for (std::size_t i = 0; i < layers_.size(); ++i) {
    if (layers_[i].name == name) return static_cast<int>(i);
  }
  return -1;
}

bool Network::reaches(int from, int to) const {
  if (from == to) return false;
  std::vector<boost::default_color_type> color(boost::num_vertices(graph_));
  boost::breadth_first_search(graph_, static_cast<std::size_t>(from),
                              boost::color_map(boost::make_iterator_property_map(
                                  color.begin(), boost::get(boost::vertex_index, graph_))));
  return color[static_cast<std::size_t>(to)] != boost::white_color;
}

std::int64_t Network::total_macs() const {
  std::int64_t s = 0;
  for (const Layer& l : layers_) s += l.macs_per_item();
  return s * batch_;
}

Arithmetic Network::total_arithmetic() const {
  Arithmetic s;
  for (const Layer& l : layers_) s += l.arithmetic_per_item();
  s.multiplications *= batch_;
  s.additions *= batch_;
  return s;
}

std::int64_t Network::total_params() const {
  std::int64_t s = 0;
  for (const Layer& l : layers_) s += l.params();
  return s;
}

}  // namespace fusim
