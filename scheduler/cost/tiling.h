// Tiling of one layer on one core's buffers, for the layer-by-layer schedule: which output rows
// and output channels one tile covers, and in which loop order tiles run. Pure functions.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "arch/arch.h"
#include "engines/engines.h"
#include "network/network.h"

namespace fusim {

// Where a tile lies in its tensor in DRAM: `piece_bytes`-byte pieces, `stride_bytes` apart, from
// the tile's address. piece_bytes 0: one contiguous range.
struct TileLayout {
  std::int64_t piece_bytes = 0;
  std::int64_t stride_bytes = 0;
};

// A layer seen as "rows x channels" of output per batch item, whatever its type:
//   conv / pool / element-wise / activation: rows = output height (full width per row),
//                      channels = output channels
//   fc:                rows = 1, channels = output features
//   gemm:              rows = m, channels = n (heads * n: head h's at [h n, (h + 1) n))
//   softmax, layernorm: rows = output height, channels = output channels, in whole runs of
//                      the channels they normalise together
//   reduce:            rows = output height, one channel (it reads every input channel)
// and the bytes of each operand as a function of a tile's row and channel ranges.
class LayerGeometry {
 public:
  LayerGeometry(const Layer& layer, std::int64_t element_bytes);

  const Layer& layer() const { return *layer_; }
  std::int64_t element_bytes() const { return elem_; }
  std::int64_t rows() const { return rows_; }
  std::int64_t channels() const { return channels_; }
  int input_count() const { return static_cast<int>(layer_->inputs.size()); }
  // Full row tiles of `h` rows from row `first` to `end`, [first + i * h, first + (i + 1) * h),
  // with i in [lo, hi) read the same number of input rows (padding and the input's edge clip
  // none of them): such tiles differ only in where they lie. Empty (lo == hi) when there are none.
  std::pair<std::int64_t, std::int64_t> alike_row_tiles(std::int64_t h, std::int64_t first,
                                                        std::int64_t end) const;
  // True when chunks of `kc` output channels (from any first channel) read the same input bytes
  // and do the same work: always, except for a grouped conv whose chunks straddle its groups
  // differently.
  bool channel_chunks_alike(std::int64_t kc) const;
  // Output channels per group of a grouped (not depthwise) conv, or per head of a gemm with
  // heads, whose work a range of output channels describes exactly (as `count` GEMMs of `n`
  // channels) only when it lies inside one group or covers whole groups; 0 for every other layer.
  std::int64_t channels_per_group() const;
  // The channels a softmax or a layernorm normalises together (Layer::reduction_run): a tile's
  // channel range must hold whole runs of them. 0 for every other layer.
  std::int64_t channel_run() const;
  // True when work(.., k0, k1) is exact for that range (see channels_per_group), and, for a
  // reduction over channels, holds whole runs (see channel_run).
  bool channel_range_exact(std::int64_t k0, std::int64_t k1) const;

  // Bytes of input operand `i` needed for output rows [r0, r1) and channels [k0, k1). For a
  // dense conv split along its input channels, `c_len` > 0 is the input channels of the piece.
  std::int64_t input_bytes(int i, std::int64_t r0, std::int64_t r1, std::int64_t k0,
                           std::int64_t k1, std::int64_t c_len = 0) const;
  // Dense conv, fc and gemm (with weights as B): every output channel reads the whole reduction,
  // so the input can be split along it (a conv's input channels, an fc's flattened input, a
  // gemm's k columns of A) with partial sums accumulated in the output buffer. "Channels" below
  // are those reduction elements: input_channel_count() is the conv's C, the fc's C H W, the
  // gemm's k.
  bool splits_input_channels() const;
  std::int64_t input_channel_count() const;
  // The most input bytes any tile of `rows` output rows can need (an interior tile, no padding).
  std::int64_t max_input_bytes(int i, std::int64_t rows, std::int64_t k0, std::int64_t k1,
                               std::int64_t c_len = 0) const;
  // Byte offset of that input range inside the operand's tensor of one batch item.
  std::int64_t input_offset(int i, std::int64_t r0, std::int64_t k0, std::int64_t c0 = 0) const;
  // The DRAM layout of that input range: pieces of `piece_bytes`, `stride_bytes` apart (a channel
  // slice of an NHWC feature map: one piece per pixel); piece 0 when it is contiguous.
  TileLayout input_layout(int i, std::int64_t k0, std::int64_t k1, std::int64_t c_len = 0) const;
  // The same for the tile of output rows [r0, r1): a transpose's pieces are the tile's rows
  // (input channels [r0, r1) of each input row), every other layer's input_layout.
  TileLayout tile_input_layout(int i, std::int64_t r0, std::int64_t r1, std::int64_t k0,
                               std::int64_t k1) const;
  // Channels of one pixel of operand `i`'s tensor in memory: its own, or for a slice (a view)
  // those of the tensor it views (Layer::in_pixel_channels).
  std::int64_t pixel_channels(int i) const;
  // Elements from one row of a gemm's operand `i` to the next: `flat` (its row as the gemm
  // reads it) or, for a channel slice of a sequence (qkv's query, key or value), the viewed
  // tensor's channels.
  std::int64_t row_stride(int i, std::int64_t flat) const;
  // Bytes from one batch item of operand `i`'s tensor in memory to the next.
  std::int64_t input_item_bytes(int i) const;
  // True when the input needed does not depend on the output channels (dense conv, fc, gemm
  // without heads).
  bool input_independent_of_channels() const;
  // Weight bytes for output channels [k0, k1) (conv/fc/gemm weights, with bias; a layernorm's
  // scale and bias; a batchnorm's scale and shift), or for a gemm of two activations the B operand
  // slice of one batch item (see b_is_activation()).
  std::int64_t weight_bytes(std::int64_t k0, std::int64_t k1) const;
  // The bias bytes among them: a conv's (not a fused block's), an fc's or a gemm's with bias.
  std::int64_t bias_bytes(std::int64_t k0, std::int64_t k1) const;
  bool b_is_activation() const;
  // That B operand's part for output channels [k0, k1) (whole heads, or inside one head), one
  // batch item: its byte offset in B's tensor and its layout there. B is [heads * n, k, 1]:
  // channels [k0, k1) of each of its k rows; with transpose_b, [heads * k, n, 1]: the k
  // channels of each head spanned, in the rows of the chunk's columns.
  std::int64_t b_offset(std::int64_t k0) const;
  TileLayout b_layout(std::int64_t k0, std::int64_t k1) const;
  std::int64_t output_bytes(std::int64_t r0, std::int64_t r1, std::int64_t k0,
                            std::int64_t k1) const;
  std::int64_t output_offset(std::int64_t r0, std::int64_t k0) const;
  TileLayout output_layout(std::int64_t k0, std::int64_t k1) const;
  // Channel-blocked output: the layer's output tensor holds each chunk of channels a tile
  // stores (a core's channel slice under split_layer, or a chunk of it) as a block of its own,
  // NHWC over the chunk's channels, the blocks in channel order (the chunk [k0, k1) at k0 x rows
  // x width elements of its batch item): every store is then one contiguous range
  // (layer_walk.cpp). Only for a tensor no layer reads by that layout (blocked_output_allowed).
  void set_channel_blocked(bool on) { channel_blocked_ = on; }
  bool channel_blocked() const { return channel_blocked_; }
  // The compute of a tile; c_len > 0 restricts a dense conv to that many input channels. A layer
  // with an activation attribute adds its operations (an epilogue for a Gemm tile). Like
  // output_bytes, it depends on the rows' count r1 - r0, not on where they are (fused walks
  // memoise both by it).
  TileWork work(std::int64_t r0, std::int64_t r1, std::int64_t k0, std::int64_t k1,
                std::int64_t c_len = 0) const;
  // The stream (engine.h) of a slice's tiles, rows [r0, r1) by channels [k0, k1): its whole work,
  // over `batch` items unless each item has its own B operand (then one stream per item). Empty
  // (all zero) unless the work is a GEMM.
  GemmStream slice_stream(std::int64_t r0, std::int64_t r1, std::int64_t k0, std::int64_t k1,
                          std::int64_t batch = 1) const;

  // Element-wise and activation layers: every output element reads the same element of each
  // operand, or element 0 along an operand's broadcast dimensions (extent 1 where the output's
  // is larger). An operand broadcast along rows ([C, 1, 1], an SE gate) is read whole for
  // every tile that needs it (its channels of the tile).
  bool reads_pointwise() const;

 private:
  // True for the layers whose output rows read no window of input rows: fc and gemm (their
  // input whole or row for row), transpose (input rows by output channels) and the pointwise
  // readers; a tile's input is then as large wherever the tile starts.
  bool windowless() const;

  // The input rows [lo, hi) output rows [r0, r1) read: a window's (stride, padding, kernel,
  // dilation; a pad is a 1x1 window), or a resize's (resize_input_rows).
  std::pair<std::int64_t, std::int64_t> input_row_range(std::int64_t r0, std::int64_t r1) const;
  std::int64_t input_rows(std::int64_t r0, std::int64_t r1) const;
  // Rows and channels of operand `i` a pointwise tile reads: the tile's, or 1 when broadcast.
  std::int64_t pointwise_rows(int i, std::int64_t r0, std::int64_t r1) const;
  std::int64_t pointwise_channels(int i, std::int64_t k0, std::int64_t k1) const;
  std::int64_t input_channels(std::int64_t k0, std::int64_t k1) const;

  const Layer* layer_;
  std::int64_t elem_;
  std::int64_t rows_ = 1, channels_ = 1;
  bool channel_blocked_ = false;
  std::uint32_t density_q20_ = TileWork::kDense;  // work()'s TileWork::density_q20
};

// The part of a layer one core computes in a single-layer group: output channels [begin, end)
// of output rows [row_begin, row_end) (row_end -1: to the last row).
//
// weight_parts > 1: the layer's weights lie in DRAM interleaved by output channel over the
// grid's `weight_parts` channel slices (interleaved_weights), this core's slice `weight_part`:
// the slice's i-th channel at channel position i * weight_parts + weight_part, and their biases
// apart, after every channel's weights, in channel order. The slices' streams then read
// neighbouring DRAM rows at once instead of meeting in the banks from addresses a whole slice
// apart (docs/dram.md).
struct LayerSlice {
  std::int64_t begin = 0, end = 0;
  std::int64_t row_begin = 0, row_end = -1;
  std::int64_t weight_parts = 1, weight_part = 0;
};

// How a single-layer group cuts its layer over its cores: a grid of `row_parts` bands of output
// rows by `channel_parts` slices of output channels; core c takes band c / channel_parts and
// slice c % channel_parts (cores beyond the grid idle). Bands and slices are as even as can be,
// the first ones one larger than the rest where they do not divide evenly: the first core of a
// grid column is the one whose weight loads the column's other cores receive by multicast, the
// first core of a grid row the one whose input loads the row's other cores receive (when the
// input does not depend on the channels), so it must load at least what each of them does
// (cost/layer_walk.h).
struct LayerSplit {
  std::int64_t row_parts = 1, channel_parts = 1;
  std::int64_t cores() const { return row_parts * channel_parts; }
};

// The grid for `cores` cores: among the grids that cannot take a row band more with as many
// channel slices (every count of row bands dividing `cores`, and the others, which leave fewer
// cores idle than a band holds: 10 x 3 on 31 cores; the row bands at most the rows, the channel
// slices at most the channels, and fewer where they would cut a grouped conv's groups or a
// GEMM's heads unevenly), the one whose largest core's PE-array or vector work and the layer's
// off-chip time (halo rows included, pieces rounded up to DRAM bursts) take the least: the
// longer of the two and kGridOverlapShare of the shorter. Among grids that tie, the one whose
// largest core computes least (BERT's FFN projection, 128 rows, on 32 cores: on 4 x 8 cores each
// computes 5,564 cycles, on 16 x 2 it computed 21,080 between weight loads that waited for it);
// then more row bands (contiguous stores).
//
// kGridOverlapShare: a core's loads, computes and stores overlap only in part (the first loads,
// the last stores, a slice of few tiles), so of two grids at the DRAM floor the one that computes
// less is the sooner. Measured against the grids of row bands dividing the cores, timed by the
// longer of the two alone (docs/multicore.md, "More cores"), over `none` and the default search
// on every shipped network on mlu.yaml at 8, 16, 24, 28, 30, 31, 32, 64 and 128 cores: 1.4 %
// fewer cycles in geometric mean, the largest slowdown 2.3 %, and 40 runs over 0.5 % slower than
// on fewer cores against 87. (0.1, 0.25 and 0.5, with all of a map's rows as bands offered too,
// where fewer than the cores: 1.2 %, 1.5 % and 1.6 % fewer, the largest slowdown 2.9-3.1 %; but
// 28 x 1 grids on 32 cores simulated up to 1.22x their estimate.)
inline constexpr double kGridOverlapShare = 0.25;
LayerSplit split_layer(const LayerGeometry& g, const Arch& arch, std::int64_t cores);
// True when layer `layer`'s output is read by nothing but the concat it is written into
// (cost/concat_copy.h), whose readers read the concat's tensor as NHWC rows of all its
// channels whatever its parts' layouts (docs/dram.md, "Not modelled yet"): the layer's walk may
// then lay its tensor out channel-blocked (LayerGeometry::set_channel_blocked). Under NHWC a
// grid's channel slices of a 14 x 14 map store pieces of 16-28 bytes a pixel, a 64-byte burst
// each: GoogLeNet's bursts carried 1.14-1.16x the bytes asked for, 1.04-1.05x blocked (2.4 % and
// 4.7 % fewer cycles under none and the default search on mlu.yaml, ShuffleNetV2 1.2 % and
// 0.9 %). split_layer still weighs such an output's stores as NHWC pieces: weighed as whole
// ranges, grids of more channel slices won on the floor whose inputs came from the shared
// buffer, not DRAM, and lost in the simulation (DenseNet-121's block1_layer6_conv2, 16 x 2
// instead of 32 x 1, 19 % slower).
bool blocked_output_allowed(const Network& net, int layer);
// Core `core`'s part under `split`; empty (begin == end) for an idle core. Its weights are
// interleaved (LayerSlice::weight_parts) where interleaved_weights says so.
LayerSlice layer_slice(const LayerGeometry& g, const LayerSplit& split, std::int64_t core,
                       const Arch& arch);
// Whether `split` lays the layer's weights out interleaved over its channel slices: under the
// detailed DRAM model (the simple one has no banks to meet in), when the split has several
// channel slices, and each output channel's weights (its bias apart) are a whole number of
// bursts, or fill at least kInterleaveBursts bursts, so that a channel's piece, which then need
// not start on a burst, costs at most one burst in that many more than its bytes. (The first
// slices hold one channel more than the last when the channels do not divide evenly; the
// positions then still fill the tensor: the extra channels take its last positions.)
inline constexpr std::int64_t kInterleaveBursts = 64;
bool interleaved_weights(const LayerGeometry& g, const LayerSplit& split, const Arch& arch);
// Where core `core` gets its loads from under `split`: the grid-column leader for loads into
// the weight buffer, the grid-row leader for input loads; -1 when it loads from DRAM itself.
struct LoadSources {
  std::int64_t weights = -1, inputs = -1;
};
LoadSources load_sources(const LayerGeometry& g, const LayerSplit& split, std::int64_t core);

struct LayerTiling {
  std::int64_t rows_per_tile = 1;      // output rows per tile
  std::int64_t channels_per_tile = 1;  // output channels per tile
  // Input channels per tile for a dense conv whose input rows do not fit whole (reduction
  // elements for an fc or gemm whose input row does not): the tile's partial sums stay in the
  // output buffer across the pieces. 0 = all of them.
  std::int64_t in_channels_per_tile = 0;
  // Weight-outer: weights of a channel chunk stay while all rows stream past (inputs re-fetched
  // per chunk). Input-outer: an input row tile stays while weight chunks stream past (weights
  // re-fetched per row tile). Chosen per layer to minimise off-chip bytes.
  bool weights_outer = true;
  // Weights resident (with weights_outer false): each chunk's weights are loaded once, by the
  // first row tile, and stay while the later row tiles stream past, each computing every chunk.
  // Chosen when a slice of several chunks has weights that fit the whole weight buffer.
  bool weights_resident = false;
  bool double_buffered = true;  // tiles sized to half of each buffer
};

// The fewest channel chunks plan_layer_tiling gives a slice of one row tile, where more chunks
// move no more bytes and compute no longer: its loads, computes and stores then overlap.
inline constexpr std::int64_t kPipelineChunks = 4;
// Those chunks hold whole DRAM bursts of each output pixel where they can; where they cannot, a
// slice whose weights are at least this many times the bytes its narrower chunks' stores waste
// (the bursts their pieces touch beyond the output's bytes) still takes them. Measured over
// every shipped network on mlu.yaml (none and optimal, docs/fusion.md): with 4, ShuffleNetV2's
// default was 4.9 % slower (its stores in pieces) and 96.7 % of the groups within 10 % of their
// estimate; with 16 no run slower by more than 0.7 %, 1.1 % faster in geometric mean.
inline constexpr std::int64_t kPipelineWasteRatio = 16;

// The largest tile that fits the core's buffers for a slice of `slice_channels` output channels
// and `slice_rows` output rows (0: all), double-buffered when possible; throws InputError naming
// the arch key when nothing fits.
LayerTiling plan_layer_tiling(const Layer& layer, const Arch& arch, std::int64_t slice_channels,
                              std::int64_t batch, std::int64_t slice_rows = 0);

// Off-chip bytes by tensor kind.
struct Traffic {
  std::int64_t weight = 0, ifmap = 0, ofmap = 0;
  // Partial sums spilled by an input-centric group (TensorKind::Psum): read back, written.
  std::int64_t psum_read = 0, psum_write = 0;
  std::int64_t read() const { return weight + ifmap + psum_read; }
  std::int64_t write() const { return ofmap + psum_write; }
  std::int64_t total() const { return read() + write(); }
  Traffic& operator+=(const Traffic& o) {
    weight += o.weight;
    ifmap += o.ifmap;
    ofmap += o.ofmap;
    psum_read += o.psum_read;
    psum_write += o.psum_write;
    return *this;
  }
};

}  // namespace fusim
