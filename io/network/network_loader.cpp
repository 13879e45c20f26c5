#include <algorithm>
#include <map>

#include "common/error.h"
#include "common/limits.h"
#include "common/yaml_reader.h"
#include "network/network_io.h"

namespace fusim {

namespace {

using limits::kMaxBatch;
using limits::kMaxChannels;
using limits::kMaxExtent;
using limits::kMaxLayers;
using limits::kMaxResize;

// The activation key and the keys of its function's parameters (clip_min and clip_max for clip,
// negative_slope for leaky_relu; those of another function are unknown keys). An activation
// layer needs a function.
void parse_activation(YamlMap& m, Layer& l, bool required) {
  static const std::vector<std::pair<std::string, Activation>> kFunctions = {
      {"none", Activation::None},
      {"relu", Activation::Relu},
      {"relu6", Activation::Relu6},
      {"clip", Activation::Clip},
      {"leaky_relu", Activation::LeakyRelu},
      {"sigmoid", Activation::Sigmoid},
      {"silu", Activation::Silu},
      {"hardsigmoid", Activation::HardSigmoid},
      {"hardswish", Activation::HardSwish},
      {"gelu", Activation::Gelu},
      {"tanh", Activation::Tanh}};
  std::vector<std::string> names;
  for (const auto& f : kFunctions) names.push_back(f.first);
  if (required && !m.has("activation")) m.fail_missing("activation");
  const std::string a = m.get_choice("activation", names, "none");
  for (const auto& f : kFunctions)
    if (f.first == a) l.activation = f.second;
  if (required && l.activation == Activation::None)
    m.fail("activation", "an activation layer needs a function other than none");
  constexpr double kBound = 1e30;
  if (l.activation == Activation::Clip) {
    // Both keys are valid here: neither is reported as a misspelling of the other when absent.
    m.allow("clip_min");
    m.allow("clip_max");
    l.clip_min = m.get_double("clip_min", -kBound, kBound);
    l.clip_max = m.get_double("clip_max", -kBound, kBound);
    if (!(l.clip_min < l.clip_max)) {
      m.fail("clip_max", "clip_max (" + std::to_string(l.clip_max) +
                             ") must be greater than clip_min (" + std::to_string(l.clip_min) +
                             ")");
    }
  } else if (l.activation == Activation::LeakyRelu) {
    l.negative_slope = m.get_double("negative_slope", -kBound, kBound, 0.01);
  }
}

// padding: p, [h, w] or [top, left, bottom, right] (ONNX's pads order is [top, left, bottom,
// right] too).
// `crop`: a side may be negative (a pad layer's crop), down to -kMaxExtent.
void parse_padding(YamlMap& m, Layer& l, bool crop = false) {
  const bool listed = m.has("padding") && m.raw("padding").IsSequence();
  const bool four = listed && m.raw("padding").size() == 4;
  if (listed && !four && m.raw("padding").size() != 2)
    m.fail("padding", "expected an integer, [h, w] or [top, left, bottom, right]");
  const auto pad =
      m.get_int_or_list("padding", four ? 4 : 2, crop ? -kMaxExtent : 0, kMaxExtent, 0);
  l.pad_h = pad[0];
  l.pad_w = pad[1];
  l.pad_bottom = four ? pad[2] : pad[0];
  l.pad_right = four ? pad[3] : pad[1];
}

void parse_window(YamlMap& m, Layer& l) {
  const auto kernel = m.get_int_or_list("kernel", 2, 1, kMaxExtent, 0);
  if (kernel[0] == 0) m.fail_missing("kernel");
  const auto stride = m.get_int_or_list("stride", 2, 1, kMaxExtent, 1);
  l.kernel_h = kernel[0];
  l.kernel_w = kernel[1];
  l.stride_h = stride[0];
  l.stride_w = stride[1];
  parse_padding(m, l);
}

}  // namespace

Network load_network(const std::string& path) {
  YamlMap root(load_yaml_file(path), path, "");
  const std::string name = root.get_string("name");
  const std::int64_t batch = root.get_int("batch", 1, kMaxBatch, 1);

  std::vector<NetworkInput> inputs;
  std::map<std::string, Operand> names;
  for (YamlMap& in : root.get_map_list("inputs")) {
    NetworkInput ni;
    ni.name = in.get_string("name");
    const auto shape = in.get_int_or_list("shape", 3, 1, kMaxChannels, 0);
    if (!in.has("shape") || in.raw("shape").IsScalar()) {
      in.fail("shape", "expected [channels, height, width]");
    }
    // Height and width up to 2^20 like channels: a gemm's output is [n, m, 1] with m up to
    // 2^20, and a SCALE-Sim GEMM row's A operand is such an input ([K, M, 1]). The element
    // limits of the layers that read an input bound its size.
    ni.shape = {shape[0], shape[1], shape[2]};
    in.finish();
    if (!names.emplace(ni.name, Operand{true, static_cast<int>(inputs.size())}).second) {
      in.fail("name", "duplicate name '" + ni.name + "'");
    }
    inputs.push_back(std::move(ni));
  }
  if (inputs.empty()) root.fail("inputs", "the network needs at least one input");

  std::vector<YamlMap> entries = root.get_map_list("layers");
  root.finish();
  if (entries.empty()) root.fail("layers", "the network has no layers");
  if (entries.size() > kMaxLayers)
    root.fail("layers", "too many layers (limit " + std::to_string(kMaxLayers) + ")");

  // First pass: names, so that inputs may refer to layers defined further down.
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const std::string n = entries[i].get_string("name");
    if (!names.emplace(n, Operand{false, static_cast<int>(i)}).second) {
      entries[i].fail("name", "duplicate name '" + n + "'");
    }
  }

  std::vector<Layer> layers;
  layers.reserve(entries.size());
  for (std::size_t i = 0; i < entries.size(); ++i) {
    YamlMap& m = entries[i];
    Layer l;
    l.name = m.get_string("name");
    l.source_line = m.line();
    const std::string type = m.get_choice(
        "type",
        {"conv",     "fc",        "gemm",   "pool",      "add",        "concat", "sub",
         "mul",      "div",       "max",    "min",       "activation", "slice",  "shuffle",
         "softmax",  "layernorm", "reduce", "batchnorm", "resize",     "pad",    "depth_to_space",
         "transpose"});
    if (m.has("inputs")) {
      for (const std::string& src : m.get_string_list("inputs")) {
        auto it = names.find(src);
        if (it == names.end()) m.fail("inputs", "no layer or network input named '" + src + "'");
        if (!it->second.from_network_input && it->second.index == static_cast<int>(i)) {
          m.fail("inputs", "layer '" + l.name + "' reads its own output");
        }
        l.inputs.push_back(it->second);
      }
    } else {
      m.raw("inputs");
      l.inputs.push_back(i == 0 ? Operand{true, 0} : Operand{false, static_cast<int>(i - 1)});
    }
    parse_activation(m, l, type == "activation");
    if (type == "conv") {
      l.type = LayerType::Conv;
      l.out_channels = m.get_int("out_channels", 1, kMaxChannels);
      parse_window(m, l);
      l.dilation = m.get_int("dilation", 1, kMaxExtent, 1);
      l.groups = m.get_int("groups", 1, kMaxChannels, 1);
      l.bias = m.get_bool("bias", false);
      l.ceil_mode = m.get_bool("ceil_mode", false);
      // ARCHON's block parameters (docs/archon.md): what its ReLU keeps, and what pruning keeps
      // of a block's fused weights when this conv is the block's projection.
      if (l.activation == Activation::Relu) l.survival = m.get_double("survival", 0, 1, 0.5);
      l.fused_prune = m.get_double("fused_prune", 1e-9, 1, 0.014);
      l.weight_density = m.get_double("weight_density", 1e-9, 1, 1);
    } else if (type == "pool") {
      l.type = LayerType::Pool;
      l.pool_mode = m.get_choice("mode", {"max", "avg"}) == "max" ? PoolMode::Max : PoolMode::Avg;
      l.global_pool = m.get_bool("global", false);
      if (l.global_pool) {
        for (const char* k : {"kernel", "stride", "padding", "ceil_mode"}) {
          if (m.has(k)) m.fail(k, "a global pool takes no kernel, stride, padding or ceil_mode");
        }
      } else {
        parse_window(m, l);
        l.ceil_mode = m.get_bool("ceil_mode", false);
      }
    } else if (type == "fc") {
      l.type = LayerType::Fc;
      l.out_channels = m.get_int("out_features", 1, kMaxChannels);
      l.weight_density = m.get_double("weight_density", 1e-9, 1, 1);
      l.bias = m.get_bool("bias", false);
    } else if (type == "gemm") {
      l.type = LayerType::Gemm;
      l.m = m.get_int("m", 1, kMaxChannels);
      l.n = m.get_int("n", 1, kMaxChannels);
      l.k = m.get_int("k", 1, kMaxChannels);
      l.bias = m.get_bool("bias", false);
      if (l.bias && l.inputs.size() == 2) m.fail("bias", "a gemm of two activations has no bias");
      l.heads = m.get_int("heads", 1, kMaxChannels, 1);
      l.transpose_b = m.get_bool("transpose_b", false);
      for (const char* key : {"heads", "transpose_b"}) {
        if (m.has(key) && l.inputs.size() != 2 && (l.heads > 1 || l.transpose_b))
          m.fail(key, "only a gemm of two activations (two inputs) takes heads or transpose_b");
      }
    } else if (type == "softmax") {
      l.type = LayerType::Softmax;
      l.groups = m.get_int("groups", 1, kMaxChannels, 1);
      constexpr double kBound = 1e30;
      l.scale = m.get_double("scale", -kBound, kBound, 1);
      l.causal = m.get_bool("causal", false);
    } else if (type == "layernorm") {
      l.type = LayerType::LayerNorm;
      l.bias = m.get_bool("bias", false);
    } else if (type == "reduce") {
      l.type = LayerType::Reduce;
      l.reduce_mode =
          m.get_choice("mode", {"mean", "sum"}) == "mean" ? ReduceMode::Mean : ReduceMode::Sum;
    } else if (type == "transpose") {
      l.type = LayerType::Transpose;
    } else if (type == "pad") {
      l.type = LayerType::Pad;
      if (!m.has("padding")) m.fail_missing("padding");
      parse_padding(m, l, true);
    } else if (type == "resize") {
      l.type = LayerType::Resize;
      // Whole factors only: a fractional one has no fixed rows per output row.
      if (!m.has("scale")) m.fail_missing("scale");
      const auto s = m.get_int_or_list("scale", 2, 1, kMaxResize, 1);
      l.resize_h = s[0];
      l.resize_w = s[1];
      l.resize_mode = m.get_choice("mode", {"nearest", "bilinear"}, "nearest") == "nearest"
                          ? ResizeMode::Nearest
                          : ResizeMode::Bilinear;
    } else if (type == "depth_to_space") {
      l.type = LayerType::Resize;
      l.resize_mode = ResizeMode::DepthToSpace;
      if (!m.has("block")) m.fail_missing("block");
      l.resize_h = l.resize_w = m.get_int("block", 2, kMaxResize);
    } else if (type == "concat") {
      l.type = LayerType::Concat;
      // A concat is a view its producers write into: it computes nothing to run a function on.
      if (activation_ops_per_element(l.activation, l.type) > 0) {
        m.fail("activation", std::string("a concat computes nothing: ") + to_string(l.activation) +
                                 " needs an activation layer reading it (relu, relu6 and clip "
                                 "are free as attributes)");
      }
    } else if (type == "slice") {
      l.type = LayerType::Slice;
      // channels: [begin, end), both required; the Network checks end against the input.
      if (!m.has("channels")) m.fail_missing("channels");
      if (m.raw("channels").IsScalar()) m.fail("channels", "expected [begin, end]");
      const auto ch = m.get_int_or_list("channels", 2, 0, kMaxChannels, 0);
      if (ch[0] >= ch[1]) {
        m.fail("channels", "a slice's channels [" + std::to_string(ch[0]) + ", " +
                               std::to_string(ch[1]) + ") must not be empty (begin < end)");
      }
      l.slice_begin = ch[0];
      l.slice_end = ch[1];
      if (l.activation != Activation::None) {
        m.fail("activation", std::string("a slice is a view and computes nothing: ") +
                                 to_string(l.activation) + " needs an activation layer reading it");
      }
    } else if (type == "shuffle") {
      l.type = LayerType::Shuffle;
      l.groups = m.get_int("groups", 1, kMaxChannels);
      if (l.activation != Activation::None) {
        m.fail("activation", std::string("a shuffle moves channels and computes nothing: ") +
                                 to_string(l.activation) + " needs an activation layer reading it");
      }
    } else {
      static const std::vector<std::pair<std::string, LayerType>> kOthers = {
          {"add", LayerType::Add},
          {"sub", LayerType::Sub},
          {"mul", LayerType::Mul},
          {"div", LayerType::Div},
          {"max", LayerType::Max},
          {"min", LayerType::Min},
          {"activation", LayerType::Activation},
          {"batchnorm", LayerType::BatchNorm}};
      for (const auto& t : kOthers)
        if (t.first == type) l.type = t.second;
    }
    m.finish();
    layers.push_back(std::move(l));
  }

  // The Network checks shapes and the size limits layer by layer as it infers them.
  return Network(name, batch, std::move(inputs), std::move(layers), path);
}

}  // namespace fusim
