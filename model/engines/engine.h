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
};
constexpr int kWorkKinds = 2;
const char* to_string(WorkKind k);  // "gemm", "elementwise"

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

// A Gemm tile may carry an epilogue: `epilogue_ops` element operations of its layer's
// activation function on the tile's outputs, run by the core's Elementwise engine once the GEMM
// is done (compute_cycles in engines.h adds the two). Elementwise work counts its activation in
// `ops` and has no epilogue.
struct TileWork {
  WorkKind kind = WorkKind::Gemm;
  std::int64_t m = 0, n = 0, k = 0, count = 1;
  std::int64_t ops = 0;
  std::int64_t epilogue_ops = 0;
  GemmStream stream;

  std::int64_t macs() const { return kind == WorkKind::Gemm ? m * n * k * count : 0; }
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
  BufferAccesses input, weight, output;
  // The PEs' own registers: operands latched as they pass from PE to PE, the stationary
  // operand held, and the partial sum read and written by each MAC.
  BufferAccesses registers;
};

}  // namespace fusim
