#include "cost/tiling.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <optional>

#include "common/checked.h"
#include "common/error.h"
#include "common/params.h"
#include "cost/concat_copy.h"
#include "cost/layer_walk.h"
#include "cost/tile_sink.h"

namespace fusim {

LayerGeometry::LayerGeometry(const Layer& layer, std::int64_t element_bytes)
    : layer_(&layer), elem_(element_bytes) {
  switch (layer.type) {
    case LayerType::Fc:
      rows_ = 1;
      channels_ = layer.out_channels;
      break;
    case LayerType::Gemm:
      rows_ = layer.m;
      channels_ = layer.heads * layer.n;
      break;
    default:
      rows_ = layer.out_shape.h;
      channels_ = layer.out_shape.c;
      break;
  }
  // The fraction of a Gemm tile's MACs with both operands non-zero, for an engine that skips
  // zeros (a gemm of two activations: its first operand's), the same for every tile.
  const double d =
      layer.input_density * (layer.type == LayerType::Gemm ? 1.0 : layer.weight_density);
  density_q20_ = static_cast<std::uint32_t>(
      std::clamp<double>(std::round(d * TileWork::kDense), 1.0, TileWork::kDense));
}

bool LayerGeometry::b_is_activation() const {
  return layer_->type == LayerType::Gemm && layer_->inputs.size() == 2;
}

bool LayerGeometry::input_independent_of_channels() const {
  switch (layer_->type) {
    case LayerType::Fc:
      return true;
    case LayerType::Gemm:  // with heads, a chunk reads its heads' columns of A
      return layer_->heads == 1;
    case LayerType::Conv:
      return layer_->groups == 1;
    default:
      return false;
  }
}

std::pair<std::int64_t, std::int64_t> LayerGeometry::input_row_range(std::int64_t r0,
                                                                     std::int64_t r1) const {
  const Layer& l = *layer_;
  const std::int64_t h = l.in_shapes[0].h;
  std::int64_t lo = 0, hi = 0;
  if (l.type == LayerType::Resize) {
    resize_input_rows(l.resize_mode, l.resize_h, h, r0, r1, lo, hi);
    return {lo, hi};
  }
  lo = std::max<std::int64_t>(0, r0 * l.stride_h - l.pad_h);
  hi = std::min<std::int64_t>(h,
                              (r1 - 1) * l.stride_h - l.pad_h + (l.kernel_h - 1) * l.dilation + 1);
  return {lo, std::max(lo, hi)};
}

std::int64_t LayerGeometry::input_rows(std::int64_t r0, std::int64_t r1) const {
  const auto [lo, hi] = input_row_range(r0, r1);
  return hi - lo;
}

std::int64_t LayerGeometry::input_channels(std::int64_t k0, std::int64_t k1) const {
  const Layer& l = *layer_;
  if (l.type == LayerType::Conv && l.groups > 1) {
    const std::int64_t k_per_group = l.out_channels / l.groups;
    const std::int64_t c_per_group = l.in_shapes[0].c / l.groups;
    return (ceil_div(k1, k_per_group) - k0 / k_per_group) * c_per_group;
  }
  if (l.type == LayerType::Conv || l.type == LayerType::Reduce) return l.in_shapes[0].c;
  if (l.type == LayerType::Resize && l.resize_mode == ResizeMode::DepthToSpace)
    return (k1 - k0) * l.resize_h * l.resize_w;  // each output channel's block of inputs
  if (l.type == LayerType::Gemm) {               // A's columns: those of the heads the tile spans
    return l.heads == 1 ? l.k : (ceil_div(k1, l.n) - k0 / l.n) * l.k;
  }
  if (l.type == LayerType::Shuffle) {
    // g runs of the permuted channels; all channels when the input is itself a slice, whose
    // pixels hold other channels between the runs.
    if (pixel_channels(0) != l.in_shapes[0].c) return l.in_shapes[0].c;
    return l.groups * l.shuffle_input_runs(k0, k1).run;
  }
  if (l.type == LayerType::Transpose) return l.in_shapes[0].c;  // (the tile's rows: below)
  return k1 - k0;                                               // pool, add: channel for channel
}

std::pair<std::int64_t, std::int64_t> LayerGeometry::alike_row_tiles(std::int64_t h,
                                                                     std::int64_t first,
                                                                     std::int64_t end) const {
  const Layer& l = *layer_;
  const std::int64_t full = (end - first) / h;
  if (windowless()) return {0, full};
  if (l.type == LayerType::Resize) {
    // Nearest, h a multiple of the factor: every tile starts at the same place in a group of s
    // output rows and reads h / s input rows (or one more, alike). Otherwise, or bilinear
    // (clamped at the edges), the tiles are taken one by one.
    const bool alike = l.resize_mode != ResizeMode::Bilinear && h % l.resize_h == 0;
    return {0, alike ? full : 0};
  }
  // Tile i reads input rows [(first + i*h)*s - pad, (first + (i+1)*h - 1)*s - pad + extent),
  // clipped to [0, H). Unclipped at the top once (first + i*h)*s >= pad.
  const std::int64_t hs = mul_checked(h, l.stride_h);
  const std::int64_t lo =
      ceil_div(std::max<std::int64_t>(0, l.pad_h - mul_checked(first, l.stride_h)), hs);
  // Unclipped at the bottom while (first + (i + 1) * h) * s <= H - 1 + pad - (kernel - 1) *
  // dilation + s = x, that is while first + (i + 1) * h <= x / s.
  const std::int64_t x =
      l.in_shapes[0].h - 1 + l.pad_h - (l.kernel_h - 1) * l.dilation + l.stride_h;
  const std::int64_t top = x < 0 ? -1 : x / l.stride_h - first;
  const std::int64_t hi = std::min(full, top < 0 ? 0 : top / h);
  return {std::min(lo, hi), hi};
}

std::int64_t LayerGeometry::channels_per_group() const {
  const Layer& l = *layer_;
  if (l.type == LayerType::Gemm && l.heads > 1) return l.n;
  if (l.type != LayerType::Conv || l.groups == 1 || l.is_depthwise()) return 0;
  return l.out_channels / l.groups;
}

std::int64_t LayerGeometry::channel_run() const {
  const Layer& l = *layer_;
  return l.type == LayerType::Softmax || l.type == LayerType::LayerNorm ? l.reduction_run() : 0;
}

bool LayerGeometry::channel_range_exact(std::int64_t k0, std::int64_t k1) const {
  if (const std::int64_t r = channel_run(); r > 0 && k1 > k0) return k0 % r == 0 && k1 % r == 0;
  const std::int64_t g = channels_per_group();
  return g == 0 || k1 <= k0 || k0 / g == (k1 - 1) / g || (k0 % g == 0 && k1 % g == 0);
}

bool LayerGeometry::channel_chunks_alike(std::int64_t kc) const {
  const Layer& l = *layer_;
  // A heads gemm's chunks read alike operands when they hold whole heads.
  if (l.type == LayerType::Gemm && l.heads > 1) return kc % l.n == 0;
  // A shuffle's chunks read alike runs when they keep their place among the groups.
  if (l.type == LayerType::Shuffle) return kc % l.groups == 0;
  // A fused block's chunks do alike work when each holds as many groups' first channels (where
  // the group's masks are predicted).
  if (l.type != LayerType::Conv || (l.groups == 1 && !l.is_fused_block())) return true;
  return kc % (l.out_channels / l.groups) == 0;
}

bool LayerGeometry::splits_input_channels() const {
  switch (layer_->type) {
    case LayerType::Conv:  // a fused block's predictions need every input channel at once
      return layer_->groups == 1 && !layer_->is_fused_block();
    case LayerType::Fc:
      return true;
    case LayerType::Gemm:
      return !b_is_activation();
    default:
      return false;
  }
}

std::int64_t LayerGeometry::input_channel_count() const {
  switch (layer_->type) {
    case LayerType::Fc:
      return layer_->in_shapes[0].elements();
    case LayerType::Gemm:
      return layer_->k;
    default:
      return layer_->in_shapes[0].c;
  }
}

std::int64_t LayerGeometry::input_bytes(int i, std::int64_t r0, std::int64_t r1, std::int64_t k0,
                                        std::int64_t k1, std::int64_t c_len) const {
  const Layer& l = *layer_;
  const Shape& in = l.in_shapes[static_cast<std::size_t>(i)];
  switch (l.type) {
    case LayerType::Fc:
      return mul_checked(c_len > 0 ? c_len : in.elements(), elem_);
    case LayerType::Gemm:
      // A: rows [r0, r1) of an m x k matrix (columns [c0, c0 + c_len) of them when split along
      // k). B (second operand): handled as weight_bytes.
      return i == 0 ? mul_checked((r1 - r0) * (c_len > 0 ? c_len : input_channels(k0, k1)), elem_)
                    : 0;
    case LayerType::Transpose:  // input rows [k0, k1), channels [r0, r1)
      return mul_checked((k1 - k0) * (r1 - r0), elem_);
    default:
      if (reads_pointwise()) {
        return mul_checked(
            mul_checked(pointwise_rows(i, r0, r1) * in.w, pointwise_channels(i, k0, k1)), elem_);
      }
      return mul_checked(
          mul_checked(input_rows(r0, r1) * in.w, c_len > 0 ? c_len : input_channels(k0, k1)),
          elem_);
  }
}

bool LayerGeometry::reads_pointwise() const {
  return is_pointwise(layer_->type);
}

bool LayerGeometry::windowless() const {
  const LayerType t = layer_->type;
  return t == LayerType::Fc || t == LayerType::Gemm || t == LayerType::Transpose ||
         reads_pointwise();
}

std::int64_t LayerGeometry::pointwise_rows(int i, std::int64_t r0, std::int64_t r1) const {
  const Layer& l = *layer_;
  return l.in_shapes[static_cast<std::size_t>(i)].h == l.out_shape.h ? r1 - r0 : 1;
}

std::int64_t LayerGeometry::pointwise_channels(int i, std::int64_t k0, std::int64_t k1) const {
  const Layer& l = *layer_;
  return l.in_shapes[static_cast<std::size_t>(i)].c == l.out_shape.c ? k1 - k0 : 1;
}

std::int64_t LayerGeometry::max_input_bytes(int i, std::int64_t rows, std::int64_t k0,
                                            std::int64_t k1, std::int64_t c_len) const {
  const Layer& l = *layer_;
  if (windowless()) return input_bytes(i, 0, rows, k0, k1, c_len);
  const Shape& in = l.in_shapes[static_cast<std::size_t>(i)];
  // A resize's tile reads the most rows when it starts on the last output row of an input
  // row's group: 1 + ceil((rows - 1) / s) rows, one more for bilinear's second row.
  const std::int64_t in_rows =
      l.type == LayerType::Resize
          ? std::min(in.h, 1 + ceil_div(rows - 1, l.resize_h) +
                               (l.resize_mode == ResizeMode::Bilinear ? 1 : 0))
          : std::min(in.h, (rows - 1) * l.stride_h + (l.kernel_h - 1) * l.dilation + 1);
  return mul_checked(mul_checked(in_rows * in.w, c_len > 0 ? c_len : input_channels(k0, k1)),
                     elem_);
}

std::int64_t LayerGeometry::input_offset(int i, std::int64_t r0, std::int64_t k0,
                                         std::int64_t c0) const {
  // Row-major by rows of the output (NHWC for feature maps): a row range is contiguous when it
  // has all channels; a channel slice starts k0 elements into the first row.
  const Layer& l = *layer_;
  const Shape& in = l.in_shapes[static_cast<std::size_t>(i)];
  switch (l.type) {
    case LayerType::Fc:
      return c0 * elem_;
    case LayerType::Gemm:  // row r0 of A ([heads * k, m, 1]), from the tile's first head
      return (r0 * row_stride(0, l.heads * l.k) + (l.heads == 1 ? 0 : k0 / l.n * l.k) + c0) * elem_;
    case LayerType::Transpose:  // input row k0, channel r0
      return (k0 * in.c + r0) * elem_;
    default: {
      // A pixel of the tensor in memory holds `pc` channels (more than in.c for a slice).
      const std::int64_t pc = pixel_channels(i);
      if (reads_pointwise()) {  // a broadcast dimension is read from its start
        const std::int64_t row = in.h == l.out_shape.h ? r0 : 0;
        const std::int64_t c = in.c == l.out_shape.c ? k0 : 0;
        return (row * in.w * pc + c) * elem_;
      }
      const std::int64_t row = input_row_range(r0, r0 + 1).first;
      if (l.type == LayerType::Shuffle) {  // the first run's first channel
        const std::int64_t c =
            input_channels(k0, k0 + 1) == in.c ? 0 : l.shuffle_input_runs(k0, k0 + 1).first;
        return (row * in.w * pc + c) * elem_;
      }
      const std::int64_t c_first = input_channels(0, k0 + 1) - input_channels(k0, k0 + 1);
      return (row * in.w * pc + (splits_input_channels() ? c0 : c_first)) * elem_;
    }
  }
}

std::int64_t LayerGeometry::pixel_channels(int i) const {
  const Layer& l = *layer_;
  const auto u = static_cast<std::size_t>(i);
  return u < l.in_pixel_channels.size() ? l.in_pixel_channels[u] : l.in_shapes[u].c;
}

std::int64_t LayerGeometry::row_stride(int i, std::int64_t flat) const {
  const Shape& in = layer_->in_shapes[static_cast<std::size_t>(i)];
  return pixel_channels(i) != in.c ? pixel_channels(i) : flat;
}

std::int64_t LayerGeometry::input_item_bytes(int i) const {
  const Shape& in = layer_->in_shapes[static_cast<std::size_t>(i)];
  if (layer_->type == LayerType::Fc) return mul_checked(in.elements(), elem_);
  return mul_checked(mul_checked(in.h * in.w, pixel_channels(i)), elem_);
}

std::int64_t LayerGeometry::weight_bytes(std::int64_t k0, std::int64_t k1) const {
  const Layer& l = *layer_;
  const std::int64_t kc = k1 - k0;
  switch (l.type) {
    case LayerType::Conv:
      if (l.is_fused_block()) return mul_checked(kc, l.fused_bytes_per_channel());
      return mul_checked(
          kc * ((l.in_shapes[0].c / l.groups) * l.kernel_h * l.kernel_w + (l.bias ? 1 : 0)), elem_);
    case LayerType::Fc:
      return mul_checked(kc * (l.in_shapes[0].elements() + (l.bias ? 1 : 0)), elem_);
    case LayerType::Gemm:
      return mul_checked(kc * (l.k + (l.bias ? 1 : 0)), elem_);
    case LayerType::LayerNorm:  // its per-channel scale, and bias
      return mul_checked(kc * (l.bias ? 2 : 1), elem_);
    case LayerType::BatchNorm:  // its per-channel scale and shift
      return mul_checked(kc * 2, elem_);
    default:
      return 0;
  }
}

std::int64_t LayerGeometry::bias_bytes(std::int64_t k0, std::int64_t k1) const {
  const Layer& l = *layer_;
  const bool has = l.bias && ((l.type == LayerType::Conv && !l.is_fused_block()) ||
                              l.type == LayerType::Fc || l.type == LayerType::Gemm);
  return has ? mul_checked(k1 - k0, elem_) : 0;
}

std::int64_t LayerGeometry::output_bytes(std::int64_t r0, std::int64_t r1, std::int64_t k0,
                                         std::int64_t k1) const {
  const std::int64_t width =
      layer_->type == LayerType::Fc || layer_->type == LayerType::Gemm ? 1 : layer_->out_shape.w;
  return mul_checked((r1 - r0) * width, (k1 - k0) * elem_);
}

namespace {
// `len` of `total` elements per row: strided unless the slice is the whole row.
TileLayout slice_layout(std::int64_t len, std::int64_t total, std::int64_t elem) {
  if (len >= total) return {};
  return {len * elem, total * elem};
}
}  // namespace

TileLayout LayerGeometry::input_layout(int i, std::int64_t k0, std::int64_t k1,
                                       std::int64_t c_len) const {
  const Layer& l = *layer_;
  if (l.type == LayerType::Fc) return {};  // the flattened input, or a piece of it
  if (l.type == LayerType::Gemm) {
    return slice_layout(c_len > 0 ? c_len : input_channels(k0, k1), row_stride(0, l.heads * l.k),
                        elem_);
  }
  const std::int64_t c = pixel_channels(i);
  if (l.type == LayerType::Shuffle && input_channels(k0, k1) < l.in_shapes[0].c) {
    // g runs per pixel, each the same channels of its group: one piece every C / g channels.
    return {l.shuffle_input_runs(k0, k1).run * elem_, l.in_shapes[0].c / l.groups * elem_};
  }
  return slice_layout(reads_pointwise() ? pointwise_channels(i, k0, k1)
                      : c_len > 0       ? c_len
                                        : input_channels(k0, k1),
                      c, elem_);
}

TileLayout LayerGeometry::tile_input_layout(int i, std::int64_t r0, std::int64_t r1,
                                            std::int64_t k0, std::int64_t k1) const {
  const Layer& l = *layer_;
  // A transpose's tile reads channels [r0, r1) of each of its input rows [k0, k1).
  if (l.type == LayerType::Transpose) return slice_layout(r1 - r0, l.in_shapes[0].c, elem_);
  return input_layout(i, k0, k1);
}

std::int64_t LayerGeometry::b_offset(std::int64_t k0) const {
  const Layer& l = *layer_;
  if (!l.transpose_b) return mul_checked(k0, elem_);  // B's channels k0.. of its first row
  // B^T: output channel h n + j is row j, channels [h k, (h + 1) k); a chunk of whole heads
  // starts at row 0.
  const std::int64_t h = k0 / l.n, j = k0 % l.n;
  return mul_checked(j * row_stride(1, l.heads * l.k) + h * l.k, elem_);
}

TileLayout LayerGeometry::b_layout(std::int64_t k0, std::int64_t k1) const {
  const Layer& l = *layer_;
  if (!l.transpose_b) return slice_layout(k1 - k0, row_stride(1, l.heads * l.n), elem_);
  return slice_layout(input_channels(k0, k1), row_stride(1, l.heads * l.k), elem_);
}

TileLayout LayerGeometry::output_layout(std::int64_t k0, std::int64_t k1) const {
  return slice_layout(k1 - k0, channels_, elem_);
}

std::int64_t LayerGeometry::output_offset(std::int64_t r0, std::int64_t k0) const {
  const std::int64_t width =
      layer_->type == LayerType::Fc || layer_->type == LayerType::Gemm ? 1 : layer_->out_shape.w;
  return (r0 * width * channels_ + k0) * elem_;
}

GemmStream LayerGeometry::slice_stream(std::int64_t r0, std::int64_t r1, std::int64_t k0,
                                       std::int64_t k1, std::int64_t batch) const {
  const TileWork whole = work(r0, r1, k0, k1);
  if (whole.kind != WorkKind::Gemm) return {};
  const std::int64_t items = b_is_activation() ? 1 : batch;
  return GemmStream{mul_checked(whole.m, items), whole.n, whole.k, whole.count, 0};
}

TileWork LayerGeometry::work(std::int64_t r0, std::int64_t r1, std::int64_t k0, std::int64_t k1,
                             std::int64_t c_len) const {
  const Layer& l = *layer_;
  const std::int64_t rows = r1 - r0, kc = k1 - k0;
  TileWork w;
  switch (l.type) {
    case LayerType::Conv:
      if (l.is_depthwise()) {
        w.kind = WorkKind::Elementwise;
        w.ops = rows * l.out_shape.w * kc * l.kernel_h * l.kernel_w;
      } else {
        const std::int64_t k_per_group = l.out_channels / l.groups;
        w.m = rows * l.out_shape.w;
        w.k = (c_len > 0 ? c_len : l.in_shapes[0].c / l.groups) * l.kernel_h * l.kernel_w;
        // A chunk spanning several groups is several independent GEMMs.
        w.count = ceil_div(k1, k_per_group) - k0 / k_per_group;
        w.n = std::min(kc, k_per_group);
        if (l.groups == 1) w.count = 1, w.n = kc;
        if (l.is_fused_block()) {
          // The masks of a group's expansion channels are predicted once per row tile, with the
          // chunk that holds the group's first output channel, and kept on chip while the
          // group's other chunks run.
          w.kind = WorkKind::FusedBottleneck;
          w.fused = FusedBlockWork{};
          FusedBlockWork& f = w.fused;
          f.rows = static_cast<std::int32_t>(rows);
          f.in_pixels = input_rows(r0, r1) * l.in_shapes[0].w;
          f.expand_channels =
              static_cast<std::int32_t>(l.fused.expand_channels / l.groups *
                                        (ceil_div(k1, k_per_group) - ceil_div(k0, k_per_group)));
          f.expand_reduction = static_cast<std::int32_t>(l.in_shapes[0].c / l.groups);
          f.entries = mul_checked(kc, l.fused_entries_per_channel());
          f.surviving = mul_checked(kc, l.fused_surviving_per_channel());
          f.entry_bits = static_cast<std::int16_t>(l.fused.value_bits + l.fused.index_bits);
          f.value_bits = static_cast<std::int16_t>(l.fused.value_bits);
        }
      }
      break;
    case LayerType::Fc:
      w.m = 1;
      w.n = kc;
      w.k = c_len > 0 ? c_len : l.in_shapes[0].elements();
      break;
    case LayerType::Gemm:
      w.m = rows;
      w.n = kc;
      w.k = c_len > 0 ? c_len : l.k;
      if (l.heads > 1) {  // one GEMM per head the chunk spans
        w.count = ceil_div(k1, l.n) - k0 / l.n;
        w.n = std::min(kc, l.n);
      }
      break;
    case LayerType::Softmax:
    case LayerType::LayerNorm:
    case LayerType::Reduce:
      w.kind = WorkKind::Elementwise;
      w.ops = l.reduction_ops(rows * l.out_shape.w, kc);
      break;
    case LayerType::Pool:
      w.kind = WorkKind::Elementwise;
      w.ops = rows * l.out_shape.w * kc * l.kernel_h * l.kernel_w;
      break;
    case LayerType::Concat:
    case LayerType::Slice:
      w.kind = WorkKind::Elementwise;
      return w;
    case LayerType::Shuffle:  // a copy: one vector-unit move per element
      w.kind = WorkKind::Elementwise;
      w.ops = l.is_view() ? 0 : rows * l.out_shape.w * kc;
      return w;
    case LayerType::Pad:        // a move per output element, the padding's included
    case LayerType::Transpose:  // a move per element
      w.kind = WorkKind::Elementwise;
      w.ops = rows * l.out_shape.w * kc;
      break;
    case LayerType::Resize:
      w.kind = WorkKind::Elementwise;
      w.ops = mul_checked(rows * l.out_shape.w * kc, resize_ops_per_element(l.resize_mode));
      break;
    default:  // element-wise and activation layers (is_pointwise)
      w.kind = WorkKind::Elementwise;
      w.ops = mul_checked(rows * l.out_shape.w * kc, l.pointwise_ops_per_element());
      break;
  }
  if (w.kind == WorkKind::Gemm) w.density_q20 = density_q20_;
  // The activation attribute: in an Elementwise tile's operations, or a Gemm tile's epilogue.
  const std::int64_t act = activation_ops_per_element(l.activation, l.type);
  if (act > 0) {
    const std::int64_t out = output_bytes(r0, r1, k0, k1) / elem_;
    if (w.kind == WorkKind::Gemm)
      w.epilogue_ops = mul_checked(out, act);
    else
      w.ops = add_checked(w.ops, mul_checked(out, act));
  }
  return w;
}

namespace {

// Part i of n of [0, total): total / n each, one more in the first total % n (so that
// interleaved weights, LayerSlice::weight_parts, fill their tensor).
std::int64_t part_begin(std::int64_t total, std::int64_t n, std::int64_t i) {
  return add_checked(mul_checked(total / n, i), std::min(i, total % n));
}

}  // namespace

LayerSplit split_layer(const LayerGeometry& g, const Arch& arch, std::int64_t cores) {
  LayerSplit best;
  if (cores <= 1) return best;
  const double peak = std::max(1e-9, arch.dram_peak_bytes_per_cycle());
  const std::int64_t burst = std::max<std::int64_t>(1, arch.dram.burst_bytes);
  // Bytes a strided range of `piece`-byte pieces costs the DRAM: whole bursts per piece.
  const auto burst_bytes = [&](std::int64_t bytes, const TileLayout& t) {
    if (t.piece_bytes <= 0 || t.piece_bytes >= burst) return static_cast<double>(bytes);
    return static_cast<double>(bytes) * static_cast<double>(burst) /
           static_cast<double>(t.piece_bytes);
  };
  double best_time = 0, best_compute = 0;
  for (std::int64_t a = 1; a <= cores && a <= g.rows(); ++a) {
    // Grids that cannot take a row band more with as many channel slices: every count of row
    // bands dividing `cores`, and the others, which leave fewer cores idle than a band holds
    // (10 x 3 on 31 cores, where only 31 x 1 and 1 x 31 use them all).
    if (cores / (cores / a) != a) continue;
    // A transpose's bands would each read a channel slice of every input row: it splits by
    // output channels (its input's rows) alone.
    if (a > 1 && g.layer().type == LayerType::Transpose) break;
    // A grouped conv's (or a GEMM's heads') channel slices must each lie inside a group or cover
    // whole groups (its work is uniform GEMMs): the most slices, up to the cores per band, that
    // do not cut a group unevenly.
    std::int64_t b = std::min(cores / a, g.channels());
    const auto even = [&](std::int64_t n) {
      for (std::int64_t i = 0; i < n; ++i) {
        if (!g.channel_range_exact(part_begin(g.channels(), n, i),
                                   part_begin(g.channels(), n, i + 1)))
          return false;
      }
      return true;
    };
    while (b > 1 && !even(b)) --b;
    // The largest core's work: the first band of the first slice.
    const std::int64_t rows = part_begin(g.rows(), a, 1), channels = part_begin(g.channels(), b, 1);
    TileWork w = g.work(0, rows, 0, channels);
    const double compute = static_cast<double>(compute_cycles(arch.core, w));
    // Off-chip bytes with multicast: every band's input rows (its halo included) once, the
    // weights once, the outputs once; a channel slice of an NHWC tensor moves in pieces.
    double bytes = burst_bytes(g.weight_bytes(0, g.channels()), {});
    for (std::int64_t i = 0; i < a; ++i) {
      const std::int64_t r0 = part_begin(g.rows(), a, i), r1 = part_begin(g.rows(), a, i + 1);
      for (int in = 0; in < g.input_count(); ++in) {
        const std::int64_t n = g.input_independent_of_channels()
                                   ? g.input_bytes(in, r0, r1, 0, channels)
                                   : g.input_bytes(in, r0, r1, 0, g.channels());
        bytes +=
            burst_bytes(n, g.input_independent_of_channels() ? g.input_layout(in, 0, g.channels())
                                                             : g.input_layout(in, 0, channels));
      }
      bytes += burst_bytes(g.output_bytes(r0, r1, 0, g.channels()), g.output_layout(0, channels));
    }
    // The longer of the two, and a share of the shorter: a core's loads, computes and stores
    // overlap only in part (the first loads, the last stores, a slice's few tiles), so among
    // grids at the DRAM floor the one that computes least is the sooner.
    const double memory = bytes / peak;
    const double time = std::max(compute, memory) + kGridOverlapShare * std::min(compute, memory);
    if (a == 1 || time < best_time || (time == best_time && compute <= best_compute)) {
      best_time = time;
      best_compute = compute;
      best = {a, b};
    }
  }
  return best;
}

bool blocked_output_allowed(const Network& net, int layer) {
  const std::vector<int>& readers = net.consumers(layer);
  if (readers.size() != 1 || net.layer(readers[0]).type != LayerType::Concat) return false;
  // Named once: a second operand naming it is foreign, and its copy reads the layer's tensor as
  // NHWC (cost/concat_copy.h).
  const Layer& concat = net.layer(readers[0]);
  int named = 0;
  bool inside = false;
  for (std::size_t j = 0; j < concat.inputs.size(); ++j) {
    const Operand& op = concat.inputs[j];
    if (op.from_network_input || op.index != layer) continue;
    ++named;
    inside = inside || in_concat_tensor(net, readers[0], j);
  }
  return named == 1 && inside;
}

bool interleaved_weights(const LayerGeometry& g, const LayerSplit& split, const Arch& arch) {
  if (arch.dram.model != DramModel::Detailed || split.channel_parts <= 1) return false;
  const Layer& l = g.layer();
  if (l.type != LayerType::Conv && l.type != LayerType::Fc && l.type != LayerType::Gemm)
    return false;
  if (l.type == LayerType::Gemm && g.b_is_activation()) return false;  // no weights
  const std::int64_t burst = arch.dram.burst_bytes_detailed();
  const std::int64_t w = g.weight_bytes(0, 1) - g.bias_bytes(0, 1);
  return w > 0 && (w % burst == 0 || w >= kInterleaveBursts * burst);
}

LayerSlice layer_slice(const LayerGeometry& g, const LayerSplit& split, std::int64_t core,
                       const Arch& arch) {
  LayerSlice s;
  const std::int64_t band = core / split.channel_parts, slice = core % split.channel_parts;
  if (band >= split.row_parts) return s;
  s.begin = part_begin(g.channels(), split.channel_parts, slice);
  s.end = part_begin(g.channels(), split.channel_parts, slice + 1);
  s.row_begin = part_begin(g.rows(), split.row_parts, band);
  s.row_end = part_begin(g.rows(), split.row_parts, band + 1);
  if (interleaved_weights(g, split, arch)) {
    s.weight_parts = split.channel_parts;
    s.weight_part = slice;
  }
  return s;
}

LoadSources load_sources(const LayerGeometry& g, const LayerSplit& split, std::int64_t core) {
  LoadSources from;
  const std::int64_t band = core / split.channel_parts, slice = core % split.channel_parts;
  if (band >= split.row_parts) return from;
  if (band > 0) from.weights = slice;
  if (slice > 0 && g.input_independent_of_channels()) from.inputs = band * split.channel_parts;
  return from;
}

namespace {

// The input buffer must hold every operand of a tile at once.
std::int64_t all_inputs_worst(const LayerGeometry& g, std::int64_t rows, std::int64_t k0,
                              std::int64_t k1) {
  std::int64_t s = 0;
  for (int i = 0; i < g.input_count(); ++i) s += g.max_input_bytes(i, rows, k0, k1);
  return s;
}

// Largest x in [1, hi] with fits(x), assuming fits is monotone (true then false); 0 if none.
template <class F>
std::int64_t largest_fitting(std::int64_t hi, F fits) {
  if (hi < 1 || !fits(1)) return 0;
  std::int64_t lo = 1;
  while (lo < hi) {
    const std::int64_t mid = lo + (hi - lo + 1) / 2;
    if (fits(mid))
      lo = mid;
    else
      hi = mid - 1;
  }
  return lo;
}

}  // namespace

LayerTiling plan_layer_tiling(const Layer& layer, const Arch& arch, std::int64_t slice_channels,
                              std::int64_t batch, std::int64_t slice_rows) {
  const LayerGeometry g(layer, arch.element_bytes());
  const CoreParams& core = arch.core;
  const std::int64_t ks = slice_channels;
  const std::int64_t band = slice_rows > 0 ? std::min(slice_rows, g.rows()) : g.rows();
  std::string binding;  // the arch key of the buffer that refused, for the error
  std::int64_t needed = 0;
  const auto key = [&](const BufferParams& buffer) {
    return param_path(arch_params(), &arch, &buffer.capacity_bytes);
  };
  // The tiling with every buffer halved (double-buffered) or whole; nothing when no tile fits.
  const auto plan = [&](bool halves) -> std::optional<LayerTiling> {
    LayerTiling best;
    const std::int64_t div = halves ? 2 : 1;
    const std::int64_t bi = core.input_buffer.capacity_bytes / div;
    const std::int64_t bw = core.weight_buffer.capacity_bytes / div;
    const std::int64_t bo = core.output_buffer.capacity_bytes / div;
    // Input channels per tile: all of them unless one output row's input does not fit.
    std::int64_t cc = 0;
    if (g.splits_input_channels() && all_inputs_worst(g, 1, 0, 1) > bi) {
      cc = largest_fitting(g.input_channel_count(),
                           [&](std::int64_t c) { return g.max_input_bytes(0, 1, 0, 1, c) <= bi; });
      if (cc == 0) {
        binding = key(core.input_buffer), needed = g.max_input_bytes(0, 1, 0, 1, 1);
        return std::nullopt;
      }
    }
    auto inputs_worst = [&](std::int64_t rows, std::int64_t k) {
      return cc > 0 ? g.max_input_bytes(0, rows, 0, k, cc) : all_inputs_worst(g, rows, 0, k);
    };
    // Channels per tile: weights and one output row must fit; per-channel inputs must fit.
    std::int64_t kc = largest_fitting(ks, [&](std::int64_t k) {
      return g.weight_bytes(0, k) <= bw && g.output_bytes(0, 1, 0, k) <= bo &&
             inputs_worst(1, k) <= bi;
    });
    if (kc == 0) {
      if (g.weight_bytes(0, 1) > bw)
        binding = key(core.weight_buffer), needed = g.weight_bytes(0, 1);
      else if (g.output_bytes(0, 1, 0, 1) > bo)
        binding = key(core.output_buffer), needed = g.output_bytes(0, 1, 0, 1);
      else
        binding = key(core.input_buffer), needed = all_inputs_worst(g, 1, 0, 1);
      return std::nullopt;
    }
    const std::int64_t cg = g.channels_per_group(), run = g.channel_run();
    // A grouped conv's chunks of a slice of whole groups (split_layer's slices lie inside one
    // group or cover whole groups) must too: whole groups, or a divisor of a group's channels.
    if (cg > 0 && ks > cg && kc < ks) {
      if (kc >= cg) {
        kc -= kc % cg;
      } else {
        while (cg % kc != 0) --kc;
      }
    }
    // A reduction over channels (softmax, layernorm) takes whole runs of channels per tile.
    if (run > 0 && kc < ks) {
      kc -= kc % run;
      if (kc == 0) {
        const bool out = g.output_bytes(0, 1, 0, run) > bo;
        binding = key(out ? core.output_buffer : core.input_buffer);
        needed = out ? g.output_bytes(0, 1, 0, run) : inputs_worst(1, run);
        return std::nullopt;
      }
    }
    // What a chunk's channels come in: whole groups, whole runs, or any number.
    const std::int64_t unit = cg > 0 && ks > cg ? cg : run > 0 ? run : 1;
    // Rows per tile: the largest row tile whose inputs and outputs fit.
    const auto rows_for = [&](std::int64_t k) {
      const std::int64_t h = largest_fitting(g.rows(), [&](std::int64_t r) {
        return inputs_worst(r, k) <= bi && g.output_bytes(0, r, 0, k) <= bo;
      });
      // A fused block's engine covers its rows pe_rows at a time: a tile of a part of that
      // wastes a pass's rows (and its prediction re-reads a halo).
      if (const std::int64_t pr = arch.core.fused_bottleneck.pe_rows;
          layer.is_fused_block() && h < g.rows() && h > pr) {
        return h - h % pr;
      }
      return h;
    };
    best.rows_per_tile = rows_for(kc);
    if (best.rows_per_tile == 0) return std::nullopt;
    best.channels_per_tile = kc;
    best.double_buffered = halves;
    best.in_channels_per_tile = cc;
    const bool reorderable =
        g.input_independent_of_channels() && !g.b_is_activation() && kc < ks && cc == 0;
    // A slice of several chunks whose weights all fit the whole weight buffer loads each chunk's
    // once, as the first row tile needs it (the next loads while one computes), and keeps them
    // while the later row tiles stream past: every off-chip byte once, whatever limits its
    // chunks (half the weight buffer, or an output row in the output buffer). Else a chunk's
    // weights are reloaded for every row tile, or the rows for every chunk.
    if (reorderable && g.weight_bytes(0, 1) > 0 &&
        g.weight_bytes(0, ks) <= core.weight_buffer.capacity_bytes) {
      best.weights_resident = true;
      best.weights_outer = false;
    } else if (reorderable) {
      // Loop order: keep whichever of weights or input rows saves more off-chip bytes.
      const LayerSlice s{0, ks};
      LayerTiling io = best;
      io.weights_outer = false;
      std::int64_t bytes = slice_traffic(g, best, s, batch).total();
      if (const std::int64_t b = slice_traffic(g, io, s, batch).total(); b < bytes) {
        best.weights_outer = false;
        bytes = b;
      }
      // Or every row at once, input-outer: inputs that fit the whole input buffer (not its
      // half) are loaded once and need no second half, while the weight chunks stream past
      // once (a 7 x 7 map of 464 channels and its 950 KB of weights: each once, not the weights
      // for each of two row tiles). The chunks then hold every row's outputs.
      if (halves && best.rows_per_tile < g.rows() &&
          inputs_worst(g.rows(), kc) <= core.input_buffer.capacity_bytes) {
        LayerTiling all = io;
        all.rows_per_tile = g.rows();
        all.channels_per_tile = std::min(kc, largest_fitting(kc, [&](std::int64_t k) {
                                           return g.output_bytes(0, g.rows(), 0, k) <= bo;
                                         }));
        if (all.channels_per_tile > 0 && all.channels_per_tile % unit == 0 &&
            slice_traffic(g, all, s, batch).total() < bytes) {
          best = all;
        }
      }
    }
    // Input-outer over several row tiles (or batch items), each tile's chunks follow each other:
    // as many, as even as they can be. The largest that fit and a small last one (50 + 14
    // channels) alternate badly in buffers whose halves they size: two big ones do not fit
    // side by side, so the next waits for the last one's stores, or loads its weights into its
    // place after its compute. Fewer channels a chunk never need fewer rows, nor move more
    // bytes. (One row tile keeps its small last chunk: the group's last compute, its drain.)
    if (const std::int64_t k = best.channels_per_tile;
        !best.weights_outer && (best.rows_per_tile < g.rows() || batch > 1) && k % unit == 0) {
      const std::int64_t even = ceil_div(ceil_div(ks, ceil_div(ks, k)), unit) * unit;
      if (even < k) {
        best.channels_per_tile = even;
        best.rows_per_tile = std::max(best.rows_per_tile, rows_for(even));
      }
    }
    // A slice of one row tile in fewer than kPipelineChunks chunks loads most of its weights
    // before its first compute and computes most of its outputs before its first store: split
    // it into more chunks, input-outer (its input loaded once, each chunk's weights once, the
    // same bytes), where that computes no longer (a chunk narrower than the PE array's columns
    // would).
    if (g.input_independent_of_channels() && !g.b_is_activation() && cc == 0 && batch == 1 &&
        g.weight_bytes(0, 1) > 0 && best.rows_per_tile >= band) {
      // As the walk times the chunks: each its share of the slice's stream (engine.h), so that
      // chunks narrower than the PE array's columns compute no longer where the engine streams.
      const GemmStream slice = g.slice_stream(0, band, 0, ks);
      const auto compute = [&](std::int64_t k) {
        StreamCursor stream;
        std::int64_t c = 0;
        for (std::int64_t k0 = 0; k0 < ks; k0 += k) {
          TileWork w = g.work(0, band, k0, std::min(ks, k0 + k));
          if (w.kind == WorkKind::Gemm) w.stream = slice;
          c += stream.cycles(arch.core, w, 1);
        }
        return c;
      };
      // Chunks of whole DRAM bursts of output per row where they can be (a chunk's outputs are
      // stored in pieces of its channels, and a piece shorter than a burst costs a whole one).
      const std::int64_t burst = arch.dram.model == DramModel::Detailed
                                     ? arch.dram.burst_bytes_detailed()
                                     : arch.dram.burst_bytes;
      const std::int64_t step = std::lcm(
          unit, std::max<std::int64_t>(1, burst / std::max<std::int64_t>(1, g.element_bytes())));
      const std::int64_t k = best.channels_per_tile;
      // No longer but for each chunk's own epilogue latency on the vector unit (1 %).
      const double most = 1.01 * static_cast<double>(compute(k));
      // Where no chunk of whole bursts is narrower, chunks of any width whose stores waste
      // little next to the weights they pipeline: the bytes of the bursts their pieces of each
      // output pixel touch beyond the output's own, at most 1 / kPipelineWasteRatio of the
      // slice's weights (a layer whose weights stream from DRAM in one chunk, then computes).
      const std::int64_t elem = std::max<std::int64_t>(1, g.element_bytes());
      const std::int64_t out = g.output_bytes(0, band, 0, ks);
      const std::int64_t pixels = out / std::max<std::int64_t>(1, mul_checked(ks, elem));
      const auto wasted = [&](std::int64_t c) {
        std::int64_t moved = 0;
        for (std::int64_t k0 = 0; k0 < ks; k0 += c)
          moved += ceil_div(mul_checked(std::min(c, ks - k0), elem), burst) * burst;
        return mul_checked(pixels, moved) - out;
      };
      for (std::int64_t n = kPipelineChunks; n > ceil_div(ks, k); --n) {
        std::int64_t fewer = ceil_div(ceil_div(ks, n), step) * step;
        if (fewer >= k && burst > 0) {
          const std::int64_t any = ceil_div(ceil_div(ks, n), unit) * unit;
          if (mul_checked(wasted(any), kPipelineWasteRatio) <= g.weight_bytes(0, ks)) fewer = any;
        }
        if (fewer < k && static_cast<double>(compute(fewer)) <= most) {
          best.channels_per_tile = fewer;
          best.weights_outer = false;
          break;
        }
      }
    }
    return best;
  };
  const std::optional<LayerTiling> halved = plan(true);
  // Double buffering that needs the reduction split (and so, for a weight-bound fc, smaller
  // channel chunks and the input re-read per chunk) may cost bytes that whole buffers avoid:
  // then the plan that moves fewer off-chip bytes wins.
  if (halved && halved->in_channels_per_tile > 0) {
    const std::optional<LayerTiling> whole = plan(false);
    if (whole && whole->in_channels_per_tile == 0) {
      const LayerSlice s{0, ks};
      if (slice_traffic(g, *whole, s, batch).total() < slice_traffic(g, *halved, s, batch).total())
        return *whole;
    }
  }
  if (halved) return *halved;
  if (const std::optional<LayerTiling> whole = plan(false)) return *whole;
  throw InputError(arch.file, 0, binding,
                   "buffer too small for any tile of layer '" + layer.name +
                       "': it needs at least " + std::to_string(needed) + " bytes");
}

}  // namespace fusim
