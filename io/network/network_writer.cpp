#include <cstdio>
#include <cstdlib>
#include <sstream>

#include "common/yaml_reader.h"
#include "network/network_io.h"

namespace fusim {

namespace {

std::string pair(std::int64_t a, std::int64_t b) {
  return a == b ? std::to_string(a) : "[" + std::to_string(a) + ", " + std::to_string(b) + "]";
}

// The shortest decimal form of `v` that reads back as exactly `v`.
std::string number(double v) {
  char b[40];
  for (int digits = 1; digits <= 17; ++digits) {
    std::snprintf(b, sizeof b, "%.*g", digits, v);
    if (std::strtod(b, nullptr) == v) break;
  }
  return b;
}

}  // namespace

std::string network_to_yaml(const Network& net) {
  std::ostringstream os;
  os << "# fusim network (format: docs/network-format.md), written by fusim\n";
  os << "name: " << yaml_quoted(net.name()) << "\n";
  os << "batch: " << net.batch() << "\n";
  os << "inputs:\n";
  for (const NetworkInput& in : net.inputs()) {
    os << "  - {name: " << yaml_quoted(in.name) << ", shape: [" << in.shape.c << ", " << in.shape.h
       << ", " << in.shape.w << "]}\n";
  }
  os << "layers:\n";
  for (const Layer& l : net.layers()) {
    os << "  - {name: " << yaml_quoted(l.name) << ", type: " << type_name(l) << ", inputs: [";
    for (std::size_t i = 0; i < l.inputs.size(); ++i) {
      const Operand& op = l.inputs[i];
      os << (i ? ", " : "")
         << yaml_quoted(op.from_network_input
                            ? net.inputs()[static_cast<std::size_t>(op.index)].name
                            : net.layer(op.index).name);
    }
    os << "]";
    const bool windowed =
        l.type == LayerType::Conv || (l.type == LayerType::Pool && !l.global_pool);
    if (l.type == LayerType::Conv) os << ", out_channels: " << l.out_channels;
    if (l.type == LayerType::Pool) {
      os << ", mode: " << (l.pool_mode == PoolMode::Max ? "max" : "avg");
      if (l.global_pool) os << ", global: true";
    }
    if (windowed) {
      os << ", kernel: " << pair(l.kernel_h, l.kernel_w)
         << ", stride: " << pair(l.stride_h, l.stride_w);
    }
    if (windowed || l.type == LayerType::Pad) {
      os << ", padding: ";
      if (l.pad_bottom != l.pad_h || l.pad_right != l.pad_w) {
        os << "[" << l.pad_h << ", " << l.pad_w << ", " << l.pad_bottom << ", " << l.pad_right
           << "]";
      } else {
        os << pair(l.pad_h, l.pad_w);
      }
      if (l.ceil_mode) os << ", ceil_mode: true";
    }
    if (l.type == LayerType::Conv) {
      if (l.dilation != 1) os << ", dilation: " << l.dilation;
      if (l.groups != 1) os << ", groups: " << l.groups;
      if (l.activation == Activation::Relu && l.survival != Layer{}.survival)
        os << ", survival: " << number(l.survival);
      if (l.fused_prune != Layer{}.fused_prune) os << ", fused_prune: " << number(l.fused_prune);
    }
    if ((l.type == LayerType::Conv || l.type == LayerType::Fc) && l.weight_density != 1)
      os << ", weight_density: " << number(l.weight_density);
    if (l.type == LayerType::Fc) os << ", out_features: " << l.out_channels;
    if (l.type == LayerType::Shuffle) os << ", groups: " << l.groups;
    if (l.type == LayerType::Slice)
      os << ", channels: [" << l.slice_begin << ", " << l.slice_end << "]";
    if (l.type == LayerType::Gemm) {
      os << ", m: " << l.m << ", n: " << l.n << ", k: " << l.k;
      if (l.heads != 1) os << ", heads: " << l.heads;
      if (l.transpose_b) os << ", transpose_b: true";
    }
    if (l.type == LayerType::Softmax) {
      if (l.groups != 1) os << ", groups: " << l.groups;
      if (l.scale != 1) os << ", scale: " << number(l.scale);
      if (l.causal) os << ", causal: true";
    }
    if (l.type == LayerType::Reduce)
      os << ", mode: " << (l.reduce_mode == ReduceMode::Mean ? "mean" : "sum");
    if (l.type == LayerType::Resize && l.resize_mode == ResizeMode::DepthToSpace) {
      os << ", block: " << l.resize_h;
    } else if (l.type == LayerType::Resize) {
      os << ", scale: " << pair(l.resize_h, l.resize_w)
         << ", mode: " << (l.resize_mode == ResizeMode::Nearest ? "nearest" : "bilinear");
    }
    if (l.bias) os << ", bias: true";
    if (l.activation != Activation::None) os << ", activation: " << to_string(l.activation);
    if (l.activation == Activation::Clip)
      os << ", clip_min: " << number(l.clip_min) << ", clip_max: " << number(l.clip_max);
    if (l.activation == Activation::LeakyRelu)
      os << ", negative_slope: " << number(l.negative_slope);
    os << "}\n";
  }
  return os.str();
}

}  // namespace fusim
