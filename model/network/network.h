// The network IR: named layers with explicit inputs, shapes inferred, held as a Boost.Graph DAG.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <boost/graph/adjacency_list.hpp>

namespace fusim {

// Add, Sub, Mul, Div, Max and Min are element-wise with numpy-style broadcasting;
// Activation applies the layer's `activation` function alone (the activation layer); Slice is
// a view of channels [slice_begin, slice_end) of its input (ONNX Split and Slice on channels);
// Shuffle permutes its input's channels in `groups` groups (ShuffleNet's channel shuffle).
// Softmax, LayerNorm and Reduce reduce over channels (a sequence [features, tokens, 1] holds
// a token's features as its channels): Softmax normalises each of `groups` runs of C / groups
// channels (attention heads), LayerNorm normalises all C channels of a pixel and applies its
// learned per-channel scale (and bias), Reduce sums or averages them into one channel.
// BatchNorm is a batch normalisation that cannot be folded into a conv (DenseNet's BN -> ReLU ->
// conv after a concat): at inference a per-channel affine, x * scale[c] + shift[c] (the
// running statistics and the learned affine folded into 2 C parameters), one multiply-add per
// element on the vector unit. Resize upsamples by whole factors (FPN, U-Net and detection heads):
// nearest copies input row floor(r / s), bilinear blends two rows and two columns
// (resize_input_rows); depth_to_space (a Resize in DepthToSpace mode, by its block s) moves
// channels into space, output channel c at (y, x) being input channel c s^2 + (y mod s) s +
// (x mod s) at (y / s, x / s): its rows map as nearest's, each output element one move (a
// transposed conv of kernel = stride is a 1x1 conv of C s^2 outputs and this). Pad copies its input
// into a larger map (padding [top, left, bottom, right], the fill value or mode not modelled): a
// 1x1 window of stride 1 with that padding, one vector-unit move per output element. Transpose
// copies a matrix [C, H, 1] into [H, C, 1] (a sequence's tokens and features swapped: MLP-Mixer's
// token mixing), one vector-unit move per element: output rows [r0, r1) x channels [k0, k1)
// read input rows [k0, k1) x channels [r0, r1).
enum class LayerType {
  Conv,
  Fc,
  Gemm,
  Pool,
  Add,
  Concat,
  Sub,
  Mul,
  Div,
  Max,
  Min,
  Activation,
  Slice,
  Shuffle,
  Softmax,
  LayerNorm,
  Reduce,
  BatchNorm,
  Resize,
  Pad,
  Transpose
};
enum class Activation {
  None,
  Relu,
  Relu6,
  Clip,
  LeakyRelu,
  Sigmoid,
  Silu,
  HardSigmoid,
  HardSwish,
  Gelu,
  Tanh
};
enum class PoolMode { Max, Avg };
enum class ReduceMode { Mean, Sum };
enum class ResizeMode { Nearest, Bilinear, DepthToSpace };

const char* to_string(LayerType t);
struct Layer;
// The layer's type as the network format names it: to_string(type), but "depth_to_space" for a
// Resize in that mode, and "fused_bottleneck" for a conv that is a fused block (the rewrite's;
// the format has no such type).
const char* type_name(const Layer& l);
const char* to_string(Activation a);
// True for the element-wise layers with broadcasting (add, sub, mul, div, max, min).
bool is_elementwise_binary(LayerType t);
// True for softmax, layernorm and reduce: each output element depends on every channel of its
// pixel (of its run of C / groups channels, for a softmax), so a tile holds whole runs of
// channels; rows stay independent (a reduction over channels fuses with row tiling).
bool reduces_channels(LayerType t);
// True for those and activation layers: each output element is computed from the same element
// of each input (or element 0 along a dimension the input broadcasts), on the vector unit.
bool is_pointwise(LayerType t);

// The rows [lo, hi) of an input `rows` high that output rows [a, b) of a resize by `s` read (the
// same for columns): nearest reads row floor(r / s) (ONNX's nearest modes and PyTorch's
// `nearest` agree on it for whole factors); bilinear reads rows floor(y) and floor(y) + 1 of
// y = (r + 1/2) / s - 1/2 (half-pixel centres, PyTorch's align_corners=False), clamped to the
// input.
void resize_input_rows(ResizeMode mode, std::int64_t s, std::int64_t rows, std::int64_t a,
                       std::int64_t b, std::int64_t& lo, std::int64_t& hi);
// Vector-unit operations per output element of a resize: nearest and depth_to_space 1 (a
// move), bilinear 7 (four multiplications by the precomputed weights, three additions).
std::int64_t resize_ops_per_element(ResizeMode mode);

// Vector-unit operations per element of an activation function (docs/network-format.md,
// "Activations"): sigmoid and tanh are one table lookup; silu and gelu a lookup and a multiply;
// the others arithmetic (relu: max; relu6, clip: max, min; leaky_relu: multiply, max;
// hardsigmoid: multiply-add, max, min; hardswish: hardsigmoid and a multiply).
std::int64_t activation_ops_per_element(Activation a);
// The same for an activation attribute of a layer of type `producer`: relu, relu6 and clip are
// clamps the producer's output stage applies on the way to its buffer, free (as fusim always
// modelled relu); the others run on the vector unit after the producer's tile. An activation
// layer pays every function, clamps included.
std::int64_t activation_ops_per_element(Activation a, LayerType producer);

// Multiplications and additions, counted apart (report.json's `multiplications` and `additions`):
// a MAC is one of each; comparisons (max, min, relu) and table lookups are neither.
struct Arithmetic {
  std::int64_t multiplications = 0, additions = 0;
  Arithmetic& operator+=(const Arithmetic& o) {
    multiplications += o.multiplications;
    additions += o.additions;
    return *this;
  }
};

// Per element of an activation function (the table of docs/network-format.md, "Activations"):
// leaky_relu, silu and gelu one multiplication; hardsigmoid one of each (its multiply-add);
// hardswish two multiplications and an addition; relu, relu6, clip (comparisons), sigmoid and
// tanh (lookups) none.
Arithmetic activation_arithmetic_per_element(Activation a);

// A feature map of one batch item: channels x height x width, in elements.
struct Shape {
  std::int64_t c = 0, h = 0, w = 0;
  std::int64_t elements() const { return c * h * w; }
  bool operator==(const Shape& o) const { return c == o.c && h == o.h && w == o.w; }
};

std::string to_string(const Shape& s);

// Where a layer's operand comes from: a network input or another layer's output.
struct Operand {
  bool from_network_input = false;
  int index = 0;  // into Network::inputs() or Network::layers()
};

struct Layer {
  std::string name;
  LayerType type = LayerType::Conv;
  Activation activation = Activation::None;
  double clip_min = 0, clip_max = 0;  // activation clip: the bounds
  double negative_slope = 0.01;       // activation leaky_relu: the slope below 0
  std::vector<Operand> inputs;
  int source_line = 0;  // where the layer is defined, for error messages

  // conv and pool
  std::int64_t kernel_h = 1, kernel_w = 1, stride_h = 1, stride_w = 1;
  // Padding: pad_h rows above and pad_bottom below, pad_w columns left and pad_right right
  // (the loader sets the second pair equal to the first unless four values are given). A
  // window's rows start at r * stride - pad_h; the bottom and right padding only set how many
  // windows there are.
  std::int64_t pad_h = 0, pad_w = 0, pad_bottom = 0, pad_right = 0, dilation = 1, groups = 1;
  PoolMode pool_mode = PoolMode::Max;
  bool global_pool = false;
  bool ceil_mode = false;
  // conv: out channels; fc: out features; gemm: m, n, k per batch item
  std::int64_t out_channels = 0;
  std::int64_t m = 0, n = 0, k = 0;
  // gemm of two activations: `heads` independent GEMMs (attention heads). A is [heads * k, m,
  // 1] (head h reads channels [h k, (h + 1) k) of every row), B is [heads * n, k, 1], or
  // [heads * k, n, 1] with transpose_b (B^T stored, as the keys of attention are); the output
  // is [heads * n, m, 1], head h at channels [h n, (h + 1) n).
  std::int64_t heads = 1;
  bool transpose_b = false;
  bool bias = false;
  // softmax: the input is multiplied by `scale` before the exponent (attention's 1 / sqrt(d));
  // the runs it normalises are `groups` (the key above) runs of C / groups channels. `causal`:
  // a decoder's causal mask, applied first: of the scores [heads keys, queries, 1], key j of
  // query row r is replaced by the fill (the exponent's zero) when j > r + keys - queries, one
  // select per element; keys >= queries.
  double scale = 1;
  bool causal = false;
  // reduce: mean or sum over the channels.
  ReduceMode reduce_mode = ReduceMode::Mean;
  // resize: output [C, H * resize_h, W * resize_w]; depth_to_space (mode DepthToSpace, block
  // resize_h = resize_w): [C / block^2, H * block, W * block].
  ResizeMode resize_mode = ResizeMode::Nearest;
  std::int64_t resize_h = 1, resize_w = 1;
  // slice: the input channels [slice_begin, slice_end) it views.
  std::int64_t slice_begin = 0, slice_end = 0;
  // shuffle: output channel j is input channel (j % groups) * (C / groups) + j / groups (a
  // reshape to [groups, C / groups], a transpose, a flatten); `groups` is the key above.
  // Inferred: a view (shuffle_view) when every consumer is a dense conv, which reads all the
  // channels of each pixel and takes the permutation into its weights; otherwise a copy.
  bool shuffle_view = false;
  // conv with a relu: the fraction of its outputs the ReLU keeps (key `survival`; ARCHON's
  // predicted masks: how many fused weights a PE adds). conv: the fraction of an inverted-
  // bottleneck block's fused weights pruning keeps, on the block's projection (key
  // `fused_prune`; the authors' artifact uses 0.014 for FusioNet).
  double survival = 0.5;
  double fused_prune = 0.014;
  // conv, fc: the fraction of its weights pruning keeps (key `weight_density`, default 1: dense),
  // and, inferred, the fraction of its input's activations that are not zero (its producer's
  // `survival` when that is a conv with a relu, else 1): what a PE array that skips zeros does
  // (engines/sparse_pe_array/); others ignore both.
  double weight_density = 1;
  double input_density = 1;
  // Set by the bottleneck rewrite (scheduler/rewrite/bottleneck.h), not by the format: this conv
  // is a whole inverted-bottleneck block (expand, depthwise, project) for a fused-bottleneck
  // engine. It reads the block's input and writes its output as a `groups`-grouped conv with the
  // depthwise layer's window; its work is that engine's (engine.h, FusedBlockWork) and its weights
  // the pruned fused weights (value and index) with the ternary predictors' (2 bits each).
  struct FusedBlock {
    std::int64_t expand_channels = 0;  // K; 0: not a fused block
    double expand_survival = 0.5, depthwise_survival = 0.5;
    std::int64_t value_bits = 16, index_bits = 10;
    std::vector<std::string> members;  // expand, depthwise, project
  } fused;
  bool is_fused_block() const { return type == LayerType::Conv && fused.expand_channels > 0; }
  // A fused block's fused weights per output channel: fused_prune of the (C / g) (K / g) taps
  // dense ones, rounded up (so that every output channel, and every chunk of them, holds the
  // same number); and the bytes of one output channel's weights: its fused ones (value and index
  // bits) and its share of the ternary predictors' (2 bits each: K C / g for the expand masks,
  // K taps for the depthwise ones, over the M output channels), rounded up.
  std::int64_t fused_entries_per_channel() const;
  std::int64_t fused_bytes_per_channel() const;
  // A fused block's ternary predictor weights: K C / g (expand masks) and K taps (depthwise).
  std::int64_t fused_predictor_weights() const;
  // Of an output channel's fused weights, those a pixel adds into its effective weights: the
  // ones whose two mask bits are set, expand_survival x depthwise_survival of them, rounded up.
  std::int64_t fused_surviving_per_channel() const;

  // Inferred by the loader.
  std::vector<Shape> in_shapes;
  Shape out_shape;
  // Per operand, the channels of one pixel of the tensor in memory the operand is read from
  // (NHWC): the operand's own channels, or, when it is a slice (a view), those of the tensor
  // the slice views, so that a channel slice is read as one piece per pixel at that stride.
  std::vector<std::int64_t> in_pixel_channels;
  // The same for this layer's output: out_shape.c, or the viewed tensor's for a slice.
  std::int64_t out_pixel_channels = 0;

  // Per batch item.
  std::int64_t macs_per_item() const;
  std::int64_t params() const;
  // Element operations on the vector unit per batch item (pool compares/adds, element-wise
  // operations, depthwise MACs, activation functions; those of a PE-array layer's activation
  // attribute included).
  std::int64_t vector_ops_per_item() const;
  // Element-wise and activation layers: vector-unit operations per output element (one per
  // operand beyond the first, two for a division; the function's for an activation layer),
  // the activation attribute's not included. 0 for other layers.
  std::int64_t pointwise_ops_per_element() const;
  // Softmax, layernorm and reduce: vector-unit operations over `pixels` pixels of `channels`
  // output channels (whole runs of reduction_run(); a reduce's one output channel reads every
  // input channel), the activation attribute's not included (docs/network-format.md,
  // "Reductions"): softmax 5 per element (max, subtract with the scale folded in, exponent
  // lookup, accumulate, multiply by the reciprocal) and 1 per run (the reciprocal lookup);
  // layernorm 6 per element (accumulate, subtract the mean, square, accumulate, multiply by
  // 1 / sigma, multiply-add of scale and bias) and 3 per pixel (mean and variance scaled by
  // 1 / C, the inverse square root lookup); reduce 1 per input element (accumulate) and, for
  // a mean, 1 per output element (times 1 / C). 0 for other layers.
  std::int64_t reduction_ops(std::int64_t pixels, std::int64_t channels) const;
  // The channels a reduction over channels needs together: C / groups for a softmax, C for a
  // layernorm and a reduce; 0 for other layers.
  std::int64_t reduction_run() const;
  // Of those, the activation attribute's: activation_ops_per_element(activation, type) per
  // output element (0 for an activation layer, whose function is its work).
  std::int64_t activation_ops_per_item() const;
  // Multiplications and additions per batch item: a MAC (conv, depthwise included, fc, gemm)
  // is one of each; an average pool adds each window element and multiplies each output by
  // 1 / window; element-wise add and sub add, mul and div multiply (div's reciprocal is a
  // lookup), max and min compare; the activation's per element (attribute or layer) as
  // activation_ops_per_element counts it (a free clamp is none). Concat: none.
  Arithmetic arithmetic_per_item() const;
  // True when every output channel reads exactly one input channel (depthwise conv), so the
  // layer runs on the vector unit rather than the PE array.
  bool is_depthwise() const;
  bool has_weights() const { return params() > 0; }
  // True for a slice and a shuffle read only by dense convs: it computes and stores nothing; its
  // consumers read the channels it views in its input's tensor.
  bool is_view() const {
    return type == LayerType::Slice || (type == LayerType::Shuffle && shuffle_view);
  }
  // Shuffle: the input channels a tile of output channels [k0, k1) reads (see
  // shuffle_input_runs), in `groups` runs of `run` channels starting at `first` in each group.
  struct ShuffleRuns {
    std::int64_t first = 0, run = 0;
  };
  ShuffleRuns shuffle_input_runs(std::int64_t k0, std::int64_t k1) const;
  bool runs_on_pe_array() const;
};

struct NetworkInput {
  std::string name;
  Shape shape;
};

class Network {
 public:
  using Graph = boost::adjacency_list<boost::vecS, boost::vecS, boost::bidirectionalS>;

  // Builds the graph from layers given in any order; throws InputError (naming `file`) on a
  // dangling input, a cycle or a shape mismatch. Layers end up in a topological order.
  Network(std::string name, std::int64_t batch, std::vector<NetworkInput> inputs,
          std::vector<Layer> layers, const std::string& file);

  const std::string& name() const { return name_; }
  std::int64_t batch() const { return batch_; }
  const std::vector<NetworkInput>& inputs() const { return inputs_; }
  // In topological order; layer i is vertex i of graph().
  const std::vector<Layer>& layers() const { return layers_; }
  const Layer& layer(int i) const { return layers_.at(static_cast<std::size_t>(i)); }
  int find_layer(const std::string& name) const;  // -1 when absent
  const Graph& graph() const { return graph_; }

  // Layers that read layer i's output, in increasing index order.
  const std::vector<int>& consumers(int i) const {
    return consumers_.at(static_cast<std::size_t>(i));
  }
  // True when there is a path from layer `from` to layer `to` (from != to).
  bool reaches(int from, int to) const;

  std::int64_t total_macs() const;      // whole batch
  Arithmetic total_arithmetic() const;  // whole batch
  std::int64_t total_params() const;

 private:
  std::string name_;
  std::int64_t batch_;
  std::vector<NetworkInput> inputs_;
  std::vector<Layer> layers_;
  Graph graph_;
  std::vector<std::vector<int>> consumers_;  // per layer, from graph_
};

}  // namespace fusim
