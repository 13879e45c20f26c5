// The compute-engine interface: what a tile of work is, and what an engine reports about it.
//
// An engine is a struct with static members only (no instances, no virtual calls: the simulator
// asks for the time of every compute command and the cost model for every tile):
//
//   struct MyEngine {
//     using Params = MyEngineParams;          // plain struct; member initialisers are defaults
//     static constexpr const char* kName;     // its key under `cores:` and in `cores.engines`
//     static constexpr const char* kDescription;
//     static constexpr bool kDefault;         // on every core unless cores.engines says otherwise
//     static bool runs(WorkKind k);           // the kinds of work it executes
//     // Whether it costs a tile of a GEMM stream (TileWork::stream) as its share of the stream's
//     // cycles (so that a run of alike tiles costs what they cost together), or on its own.
//     static constexpr bool kSharesStreams;
//     static const ParamTable& params();      // its parameter table (common/params.h)
//     // Cycles from the start of the tile to its last result, for work of a kind it runs.
//     static std::int64_t cycles(const Params&, const TileWork&);
//     // What it does for the tile, for the energy model: a pure function of (params, work).
//     static EngineActions actions(const Params&, const TileWork&);
//   };
//
// Engines live in their own folders (engines/pe_array/, engines/vector_unit/) and are registered
// in engines/engines.h. A core runs each work item on the one engine it has for the item's kind.
#pragma once

#include <cstdint>

namespace fusim {

// The kinds of work the scheduler cuts layers into. A core has one engine for each kind a
// default engine runs (the arch loader checks it).
enum class WorkKind : std::uint8_t {
  Gemm,         // `count` GEMMs of (m x k) * (k x n): convolution, fully connected, GEMM
  Elementwise,  // `ops` element operations: depthwise convolution, pooling, addition
  // An inverted-bottleneck block run as one predicted, fused convolution (ARCHON; engines/
  // fused_bottleneck/): a GEMM of `count` groups as for Gemm, plus TileWork::fused.
  FusedBottleneck,
};
constexpr int kWorkKinds = 3;
const char* to_string(WorkKind k);  // "gemm", "elementwise", "fused_bottleneck"

// Work of one compute command, already in the form its engine takes.
//   Gemm:        `count` independent GEMMs of (m x k) * (k x n): m output pixels (rows of the
//                output matrix), n filters, k = reduction (in channels per group x kernel area).
//   Elementwise: `ops` element operations.
//
// A Gemm tile may be part of a stream: a core's slice of a layer run alone (a single-layer
// group), whose tiles the PE array runs as one sequence of folds, streaming across tile
// boundaries (pe_array.h says how its cycles are counted then). `stream` is the slice's whole
// GEMM set (count 0: the tile is not part of a stream) and `done` the MACs of the stream that
// came before this tile, modulo the stream's MACs (tile_sink.h's StreamCursor sets it).
struct GemmStream {
  std::int64_t m = 0, n = 0, k = 0, count = 0;
  std::int64_t done = 0;
  bool same_stream(const GemmStream& o) const {
    return m == o.m && n == o.n && k == o.k && count == o.count;
  }
  std::int64_t macs() const { return m * n * k * count; }
};

// What a FusedBottleneck tile needs beyond its GEMM (m output pixels, n output channels per
// group, k = kernel taps x input channels per group, `count` groups): the tile's output rows (of
// m / rows columns; the engine covers them with its PE tile), the input pixels its expand-mask
// prediction reads (the window of the tile, halo included), the expansion channels it predicts
// masks for and the input channels each of them reduces, the pruned fused weights its output
// channels need (entries, each broadcast to every PE once per pass), the entries a PE adds into
// its pixel's effective weights (those whose two mask bits are set: the survival rates' product,
// rounded up), and an entry's bits (value and expansion index) and its value's. 40 bytes, as a
// GemmStream, whose place it takes in TileWork.
// (No member initialisers: a union member must be trivial; FusedBlockWork{} is all zeros.)
struct FusedBlockWork {
  std::int32_t rows;
  std::int16_t entry_bits, value_bits;
  std::int64_t in_pixels;
  std::int32_t expand_channels, expand_reduction;
  std::int64_t entries, surviving;
  std::int64_t cols(std::int64_t m) const { return rows > 0 ? m / rows : 0; }
};

// A Gemm tile may carry an epilogue: `epilogue_ops` element operations of its layer's
// activation function on the tile's outputs, run by the core's Elementwise engine once the GEMM
// is done (compute_cycles in engines.h adds the two). Elementwise work counts its activation in
// `ops` and has no epilogue.
struct TileWork {
  WorkKind kind = WorkKind::Gemm;
  // A Gemm tile whose outputs are added into partial sums already in the output buffer (an
  // input-channel piece after the first, an input-centric consumer's scatter): each output is
  // read once more and added (EngineActions: output reads, adds). Timing is unchanged.
  bool accumulate = false;
  // A Gemm tile's operand density: the fraction of its MACs whose weight and input activation
  // are both non-zero, in units of 2^-20 (kDense: all), for an engine that skips zeros
  // (engines/sparse_pe_array/); every other engine ignores it.
  static constexpr std::uint32_t kDense = 1u << 20;
  std::uint32_t density_q20 = kDense;
  double density() const { return static_cast<double>(density_q20) / kDense; }
  std::int64_t m = 0, n = 0, k = 0, count = 1;
  std::int64_t ops = 0;
  std::int64_t epilogue_ops = 0;
  // A Gemm tile's stream, or a FusedBottleneck tile's block work: the one of its kind. (Assign
  // the whole member, `w.fused = FusedBlockWork{}`, before setting its fields.)
  union {
    GemmStream stream{};
    FusedBlockWork fused;
  };

  // True for a Gemm tile that is part of a stream (read `stream` only then: a FusedBottleneck
  // tile's `fused` shares its bytes).
  bool streams() const { return kind == WorkKind::Gemm && stream.count > 0; }
  // The multiply-accumulates of a Gemm tile, and of a FusedBottleneck tile's main phase.
  std::int64_t macs() const { return kind != WorkKind::Elementwise ? m * n * k * count : 0; }
};

// Accesses of one buffer, in elements.
struct BufferAccesses {
  std::int64_t reads = 0;
  std::int64_t writes = 0;
  bool operator==(const BufferAccesses& o) const { return reads == o.reads && writes == o.writes; }
};

// What an engine does for a tile: arithmetic and the operand traffic between it and the core's
// buffers. Loads into the buffers and stores out of them are the DMA's, not the engine's.
struct EngineActions {
  std::int64_t macs = 0;        // multiply-accumulates
  std::int64_t adds = 0;        // additions outside a MAC (partial sums across folds)
  std::int64_t vector_ops = 0;  // element operations of a vector unit (add, max, multiply)
  std::int64_t mask_ops = 0;    // mask-bit tests (ARCHON: an AND of two ReLU masks per entry)
  BufferAccesses input, weight, output;
  // The PEs' own registers: operands latched as they pass from PE to PE, the stationary
  // operand held, and the partial sum read and written by each MAC.
  BufferAccesses registers;
};

}  // namespace fusim
