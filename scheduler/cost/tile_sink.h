// What a tile loop reports, and the sinks that sum and count it. Every schedule group has one
// tile loop: a fused group's FusedGroup::walk (cost/fused_plan.h), a single layer's walk_layer
// (cost/layer_walk.h). The same loop drives the cost model (CostSink), the lowering (the command
// emitter in lower/lower.cpp) and the program-size guard (CountSink), so the predicted bytes, the
// commands the simulator runs and the guard's count cannot drift apart.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "arch/arch.h"
#include "cost/tiling.h"
#include "engines/engines.h"
#include "schedule/program.h"

namespace fusim {

// A tensor a group reads or writes: a layer's output or a network input.
struct ValueRef {
  bool network_input = false;
  int index = 0;
};

// Where a load reads or a store writes, relative to a tensor in DRAM; the lowering adds the
// tensor's base address. For weight loads (TensorKind::Weight) the tensor is the weights of layer
// `value.index`.
struct DramRange {
  ValueRef value;
  std::int64_t offset = 0;  // bytes from the tensor's start (batch item 0)
  TileLayout layout;        // one contiguous range, or pieces at a stride
  // Loads: the core of the group whose load of the same bytes this core receives by multicast
  // (the leader reads DRAM once and the interconnect delivers to every receiver), or -1 when
  // this core reads DRAM itself. Set in every walk, runs included.
  std::int64_t multicast_from = -1;
  // And, of the step's bytes, the last `tail_bytes` contiguous at `tail_offset` (bytes from the
  // tensor's start): the biases of interleaved weights (LayerSlice::weight_parts). 0: none.
  std::int64_t tail_offset = 0, tail_bytes = 0;
};

// The shared-buffer address of the tensor a load or store of `kind` moves from or to `r`: a
// feature map under `shared_fmaps` (Schedule::shared_fmaps), weights under `shared_weights`
// (Schedule::shared_weights, maybe only their first bytes; either may be null or empty), or -1
// when it is in DRAM (always for network inputs).
inline std::int64_t shared_address(const std::vector<std::int64_t>* shared_fmaps,
                                   const SharedWeights* shared_weights, TensorKind kind,
                                   const DramRange& r) {
  const std::vector<std::int64_t>* at =
      kind == TensorKind::Weight ? (shared_weights ? &shared_weights->at : nullptr) : shared_fmaps;
  if (at == nullptr || at->empty() || r.value.network_input) return -1;
  return (*at)[static_cast<std::size_t>(r.value.index)];
}

// A load of `bytes` from `r` as the two memories serve it: `shared_bytes` of them (from `shared`)
// out of the shared buffer, at address `shared_at` + shared.offset, and `dram_bytes` (from `dram`)
// out of DRAM; one may be 0 (a load of no bytes: from the one `shared_at` says, -1 for DRAM). A
// feature map comes from one of the two whole; weights of which the shared buffer holds only the
// first bytes (SharedWeights) split where that copy ends: the pieces of `r` wholly inside it from
// there, the others and the tail (the biases after the pieces) from DRAM, each part one range or
// pieces at the same stride.
struct LoadParts {
  DramRange shared, dram;
  std::int64_t shared_bytes = 0, dram_bytes = 0;
  std::int64_t shared_at = -1;
  // Which parts the load has: one command each in a program.
  bool from_shared() const { return shared_at >= 0 && (shared_bytes > 0 || dram_bytes == 0); }
  bool from_dram() const { return shared_at < 0 || dram_bytes > 0; }
};
LoadParts load_parts(const std::vector<std::int64_t>* shared_fmaps,
                     const SharedWeights* shared_weights, TensorKind kind, const DramRange& r,
                     std::int64_t bytes);

// Receives the steps of a walk over one core's tiles.
//
// Each step: a walk calls sink.load/compute/store in the order the core executes them, with
// times == 1; ids returned by load() and compute() name that step in later calls (deps, owner,
// add_frees).
//
// Totals (takes_runs() true): the walk may report `times` alike steps in one call: the same
// bytes, the same work, the range of the first of them; the alike steps may be spread over
// several tiles and interleaved with other steps. Only sums over the calls are meaningful: the
// order, the ids (0), deps and frees (empty) are not, and a run's range is its first step's (the
// cost model reads from it the layout and where the pieces start in their bursts, as alike
// steps share them: a core's channel slice starts its pieces at its own place in every
// pixel). A walk then costs time in proportion to the kinds of tiles, not their number (batch
// items, full row tiles, channel chunks and input-channel pieces come as runs), so a layer of
// billions of tiles is summed at once.
class TileSink {
 public:
  using Id = std::uint32_t;
  virtual ~TileSink() = default;
  virtual bool takes_runs() const = 0;
  // The weights in the shared buffer the sink serves loads with (load_parts), or null: a walk
  // keeps a run's loads all served alike (all from the shared buffer, split, or all from DRAM).
  virtual const SharedWeights* shared_weights() const { return nullptr; }
  // Moves `bytes` from `from` into `buffer`; `layer` is the network layer the load serves.
  virtual Id load(TensorKind kind, BufferRole buffer, int layer, const DramRange& from,
                  std::int64_t bytes, std::int64_t times) = 0;
  // Computes `work` for `layer`, allocating `out_bytes` in the output buffer, after `deps`.
  // `read_bytes` is what the cost model counts as read from on-chip buffers (the walk's
  // contract says which).
  virtual Id compute(int layer, std::int64_t out_bytes, const TileWork& work,
                     std::int64_t read_bytes, const std::vector<Id>& deps, std::int64_t times) = 0;
  // Stores `bytes` of `layer`'s output to `to`, after `dep`; frees the allocation of `owner`
  // (kKeep: none; a later store frees it).
  virtual void store(int layer, const DramRange& to, std::int64_t bytes, Id dep, Id owner,
                     std::int64_t times) = 0;
  // Partial sums of `layer` that do not fit on chip (an input-centric consumer's,
  // cost/fused_plan.h): spill_psums stores `bytes` of them to `to` in its output tensor, after
  // `dep`, freeing `owner`'s allocation; reload_psums loads them back into the output buffer
  // (allocating them) after the steps `after`: the spill that wrote them, and the compute whose
  // allocation must come first.
  virtual Id spill_psums(int layer, const DramRange& to, std::int64_t bytes, Id dep, Id owner,
                         std::int64_t times) = 0;
  virtual Id reload_psums(int layer, const DramRange& from, std::int64_t bytes,
                          const std::vector<Id>& after, std::int64_t times) = 0;
  static constexpr Id kKeep = ~Id{0};
  // Step `id` also releases the allocations of `frees` when it completes. Each-step walks only.
  virtual void add_frees(Id id, const std::vector<Id>& frees) = 0;
  // At the end of a tile (or of a chunk of one): the bytes per buffer (by BufferRole) that its
  // computes free when the last of them completes, the output bytes its stores free when they
  // complete, and the bytes each buffer keeps for later tiles. The cost model then knows when
  // the next tiles' loads and outputs find room (else it assumes a buffer holds one tile).
  virtual void hold(const std::array<std::int64_t, 3>& /*freed_by_computes*/,
                    std::int64_t /*freed_by_stores*/, const std::array<std::int64_t, 3>& /*kept*/) {
  }
};

// Where a walk is in its tiles' stream (engine.h's GemmStream): place() returns the work of the
// next `times` alike tiles as one, with `count` times theirs, `stream.done` set to the MACs of
// the stream reported before them, and advances. Work outside a stream passes unchanged. The
// emitter places each tile (times 1) in the order the core runs them; the cost model places runs in
// its own order; both sum to the stream's cycles.
class StreamCursor {
 public:
  TileWork place(const TileWork& w, std::int64_t times);
  // The cycles of the next `times` alike tiles of `w` on `core`: placed in the stream where the
  // core's engine for them costs it by its share (shares_stream), each with its own epilogue;
  // else `times` tiles alone.
  std::int64_t cycles(const CoreEngines& core, const TileWork& w, std::int64_t times);

 private:
  GemmStream last_;
  std::int64_t done_ = 0;
};

// How fast one core's DMA engines move bytes on their own (contention between the cores is the
// group's DRAM term), for the cost model's pipeline estimate (CostSink::pipeline_cycles);
// cost/cost_model.h derives it from the arch.
struct DmaTiming {
  double input_bytes_per_cycle = 0, weight_bytes_per_cycle = 0, output_bytes_per_cycle = 0;
  double latency_cycles = 0;  // from issuing a transfer to its first byte, each transfer
  // The same for transfers between the shared buffer and the core's input or output buffer.
  double shared_input_bytes_per_cycle = 0, shared_weight_bytes_per_cycle = 0,
         shared_output_bytes_per_cycle = 0;
  double shared_latency_cycles = 0;
  double shared_write_bytes_per_cycle = 0;  // a DMA engine's writes to the shared buffer
  // The detailed DRAM model's burst (bytes); 0 for the simple model, which moves bytes at its
  // rate whatever their layout.
  std::int64_t burst_bytes = 0;
  // The DRAM serves whole transfers in turn, first come first served (the simple model): a
  // core's loads and stores take the path one after the other, not at half their pace each as
  // the detailed model's interleaved bursts do (CostSink::run_loads).
  bool in_turn = false;
  // One DMA engine's stream from DRAM with nothing else on the DRAM or the link: the DRAM peak
  // or the interconnect, and under the detailed model its window of outstanding bursts
  // (cores.dma.outstanding_bursts) over the latency (Little's law).
  double stream_bytes_per_cycle = 0;
  // A prefetch engine's reads (cost/prefetch.h): the stream's pace, or its share of the DRAM
  // peak when the engines read at once.
  double prefetch_read_bytes_per_cycle = 0;
  // One prefetch command of `bytes` on its engine: read from DRAM at that pace, then written to
  // the shared buffer over the interconnect, each after its latency. 0 without a shared buffer.
  double prefetch_cycles(std::int64_t bytes) const;
  double cycles(BufferRole buffer, std::int64_t bytes, bool shared = false) const;
  // Bytes the detailed DRAM model moves for `bytes` laid out as `t` from `offset` bytes into a
  // tensor (tensors start on a burst): every burst-sized block the pieces touch, once, as the
  // controller fetches them (a burst carries every piece that falls in its block). A 60-byte
  // channel slice of 480-byte pixels moves 64 or 128 bytes a pixel. `bytes` under the simple
  // model.
  std::int64_t dram_bytes(std::int64_t bytes, const TileLayout& t, std::int64_t offset) const;
};

// The cost model's sums over a walk: off-chip bytes by kind, on-chip buffer traffic (loads and
// computed outputs are written, compute operands and stores are read), PE-array MACs and the
// core's compute cycles (when given its core; otherwise bytes only). A load received by
// multicast moves no off-chip bytes: it counts in `multicast` and as a buffer write. Feature
// maps placed in the shared buffer (`shared_fmaps`, Schedule::shared_fmaps) are loaded and
// stored there, and weights prefetched there (`shared_weights`, Schedule::shared_weights) are
// loaded from it: `shared_read` and `shared_write`, not off-chip traffic.
class CostSink : public TileSink {
 public:
  // `runs` false makes the walk report every step (slower; tests hold the two to each other).
  explicit CostSink(const CoreParams* core, bool runs = true, const DmaTiming* dma = nullptr,
                    const std::vector<std::int64_t>* shared_fmaps = nullptr,
                    const SharedWeights* shared_weights = nullptr)
      : core_(core),
        runs_(runs),
        dma_(dma),
        shared_fmaps_(shared_fmaps),
        shared_weights_(shared_weights) {
    if (core != nullptr) {
      capacity_ = {static_cast<double>(core->input_buffer.capacity_bytes),
                   static_cast<double>(core->weight_buffer.capacity_bytes),
                   static_cast<double>(core->output_buffer.capacity_bytes)};
    }
  }
  bool takes_runs() const override { return runs_; }
  const SharedWeights* shared_weights() const override { return shared_weights_; }
  Id load(TensorKind kind, BufferRole buffer, int layer, const DramRange& from, std::int64_t bytes,
          std::int64_t times) override;
  Id compute(int layer, std::int64_t out_bytes, const TileWork& work, std::int64_t read_bytes,
             const std::vector<Id>&, std::int64_t times) override;
  void store(int, const DramRange& to, std::int64_t bytes, Id, Id, std::int64_t times) override {
    store_bytes(TensorKind::Ofmap, to, bytes, times);
  }
  Id spill_psums(int, const DramRange& to, std::int64_t bytes, Id, Id,
                 std::int64_t times) override {
    store_bytes(TensorKind::Psum, to, bytes, times);
    return 0;
  }
  Id reload_psums(int layer, const DramRange& from, std::int64_t bytes, const std::vector<Id>&,
                  std::int64_t times) override {
    return load(TensorKind::Psum, BufferRole::Output, layer, from, bytes, times);
  }
  void add_frees(Id, const std::vector<Id>&) override {}
  void hold(const std::array<std::int64_t, 3>& freed_by_computes, std::int64_t freed_by_stores,
            const std::array<std::int64_t, 3>& kept) override;

  // The core's time with its load, compute and store engines overlapped (given a DmaTiming):
  // each engine runs its steps in walk order; a compute starts when the loads before it are done
  // (in walks that call hold(), those serving its layer or an earlier one: a load for a later
  // layer of the tile may still wait for room) and the compute before it is; a store
  // when its compute is. A step that allocates (a load, a compute's output) also waits for room
  // in its buffer: walks that call hold() say what each tile frees and when (its computes', its
  // stores' end); otherwise a buffer is taken to hold the last tile that loaded into it, freed
  // when the compute after it ends, and the next run's loads wait for the last run's computes
  // but for as many tiles as fit beside them. Loads that waited for room share the path to DRAM
  // with the stores then under way (under the simple DRAM model, which serves transfers in turn,
  // they go before the stores that begin with them, and any load issued while a store is served
  // waits for it). Apart from DRAM contention between cores, an estimate of what the simulator's
  // engines take (not a bound: loads are spread evenly over a run's computes).
  double pipeline_cycles() const;

  Traffic traffic;
  // Off-chip bytes loaded before the first compute (every core of a group loads them at once
  // when it starts) and stored after the last compute (all at once when they finish), as the
  // DRAM moves them (whole bursts under the detailed model, DmaTiming::dram_bytes): those phases
  // are timed on the DRAM, where a 26-byte channel slice of a pixel takes a burst or two.
  std::int64_t lead_bytes = 0, tail_bytes = 0;
  std::int64_t lead_shared_bytes = 0, tail_shared_bytes = 0;  // the same, from the shared buffer
  // The last of those first loads came from DRAM (the shared buffer's, if any, came before).
  bool lead_dram_last = false;
  // When the first store can start in the core's pipeline (the end of the first compute whose
  // output is stored); -1 before any store.
  double first_store_at = -1;
  std::int64_t multicast = 0;  // bytes received by multicast
  // Of those, the ones received before the first compute: the time the core's engines take for
  // them at their own pace, and the cores of the group that load them (its leaders, at most two:
  // a layer's weights and inputs come from a grid column's and a row's first core; -1 where
  // there are fewer). They arrive as the leader's own loads of them do (CoreLeg::leaders).
  double lead_received = 0;
  std::array<std::int64_t, 2> lead_from{-1, -1};
  // Feature-map bytes to and from the shared buffer.
  std::int64_t shared_read = 0, shared_write = 0;
  std::int64_t macs = 0, cycles = 0, buffer_reads = 0, buffer_writes = 0;
  // Outputs of the computes that accumulate (TileWork::accumulate), each a partial sum read from
  // the output buffer and written back once more (in elements: the cost model counts the bytes).
  std::int64_t psum_elements = 0;
  // The off-chip bytes as the DRAM moves them (DmaTiming::dram_bytes; without a DmaTiming,
  // the traffic's bytes), and of them the loaded ones.
  std::int64_t dram_bytes = 0, loaded_dram_bytes = 0;
  // The bytes stored to DRAM and to the shared buffer while later loads are under way (with a
  // DmaTiming): they share the path with those loads (CoreLeg::before_drain).
  double dram_stores_before_loads = 0, shared_stores_before_loads = 0;
  // What the core has left to do once its last load is in: the last compute placed (one tile of
  // its run) and the stores after it, at its own pace (0 without a core and a DmaTiming).
  double drain() const { return last_compute_ + last_store_; }

 private:
  const CoreParams* core_;
  bool runs_;
  const DmaTiming* dma_;
  const std::vector<std::int64_t>* shared_fmaps_;
  const SharedWeights* shared_weights_;
  StreamCursor stream_;
  void store_bytes(TensorKind kind, const DramRange& to, std::int64_t bytes, std::int64_t times);
  // A load's part from one memory (load_parts): `shared` the shared buffer, otherwise DRAM.
  void load_part(TensorKind kind, BufferRole buffer, int layer, const DramRange& from,
                 std::int64_t bytes, std::int64_t times, bool shared);
  // The pipeline: when each engine is done with what was placed; the loads reported since the
  // last compute (time, and bytes per buffer); the stores since the last compute (time).
  bool computed_ = false;
  bool stored_since_compute_ = false;
  double load_end_ = 0, compute_end_ = 0, store_end_ = 0, pending_ = 0, last_store_ = 0;
  double first_compute_end_ = 0;  // the end of the first tile of the last compute placed
  double last_compute_ = 0;       // the cycles of one tile of the last compute placed
  std::array<double, 3> pending_bytes_{};
  // Walks that do not call hold(): the bytes per tile of the last tile that loaded into each
  // buffer, and the last tile's output.
  std::array<double, 3> last_tile_{};
  double last_out_ = 0;
  // Walks that call hold(): bytes freed at a time; what the buffers keep and what the tile has
  // allocated since the last hold(); the loads placed as they came, by the layer they serve,
  // with when they end (until that layer computes).
  struct Release {
    double at;
    std::array<double, 3> bytes;
  };
  // A few items kept in place, the oldest dropped when full (a CostSink is copied per band of
  // cores and built per walk: no allocation).
  template <class T, std::size_t N>
  struct Few {
    std::array<T, N> items;  // [0, size) only: neither cleared nor copied past it
    std::size_t size = 0;
    Few() = default;
    Few(const Few& o) : size(o.size) { std::copy(o.begin(), o.end(), items.begin()); }
    Few& operator=(const Few& o) {
      size = o.size;
      std::copy(o.begin(), o.end(), items.begin());
      return *this;
    }
    const T* begin() const { return items.data(); }
    const T* end() const { return items.data() + size; }
    void push(const T& x) {
      make_room();
      items[size++] = x;
    }
    // Kept sorted by `less`; when full, the least is dropped.
    template <class Less>
    void insert(const T& x, Less less) {
      make_room();
      std::size_t i = size++;
      for (; i > 0 && less(x, items[i - 1]); --i) items[i] = items[i - 1];
      items[i] = x;
    }
    void make_room() {
      if (size == N) std::move(items.begin() + 1, items.end(), items.begin()), --size;
    }
    template <class F>
    void remove_if(F f) {
      size = static_cast<std::size_t>(std::remove_if(items.begin(), items.begin() + size, f) -
                                      items.begin());
    }
  };
  bool told_ = false;
  static constexpr std::size_t kMaxReady = 32, kMaxReleases = 32;
  Few<Release, kMaxReleases> releases_;
  std::array<double, 3> kept_{}, tile_bytes_{};
  double waited_loads_ = 0;  // the time of the tile's loads that waited for room
  // What the stores since the last compute were lengthened by for the next tile's loads, which
  // will share the path to DRAM with them (store_bytes); run_loads, which lengthens the stores
  // under way by what a load that waited shares with them, takes it off that.
  double store_credit_ = 0;
  // When the stores under way, which end at store_end_, began (store_bytes): a load shares the
  // path to DRAM with them from then on, not before.
  double store_from_ = 0;
  // How long each of the stores under way holds the path (the last store placed): under the
  // simple DRAM model a load issued among them waits for the one being served (run_loads).
  double store_piece_ = 0;
  Few<std::pair<int, double>, kMaxReady> ready_;
  std::array<double, 3> capacity_{};  // of each buffer, by BufferRole
  double capacity(std::size_t buffer) const { return capacity_[buffer]; }
  // The earliest time from `from` at which `need` bytes fit in `buffer` beside what is not freed
  // yet (walks that call hold()).
  double room_at(std::size_t buffer, double from, double need) const;
  // Loads of `t` cycles that start at `start` (later than the loads before them when they waited
  // for room): when they end; the stores under way then share the path to DRAM.
  double run_loads(double start, double t);
  // The stores under way end `by` later, less what store_bytes lengthened them by already for
  // the loads that share the path with them (store_credit_).
  void lengthen_stores(double by);
  // Notes a load of `t` cycles received from core `leader` before the first compute.
  void received_before_compute(std::int64_t leader, double t);
  // A load placed as it comes (walks that call hold(), alone in its run).
  void place_load(BufferRole buffer, int layer, double bytes, double t);
  // Places the loads reported since the last compute and a run of `times` alike computes of
  // `layer`, `compute` cycles in all, each allocating `out_bytes`.
  void place(int layer, std::int64_t times, double compute, double out_bytes);
  // The last run of alike tiles placed (walks that do not call hold(); times 0: none, or one
  // tile): when its first tile's compute started, its first tile's loads ended, each tile's
  // loads, compute and the stores a compute waits for, and what a tile waits for its loads
  // when they wait for room (-1: they do not). A compute of a multiple of its times reported
  // with no loads since (a row tile's later channel chunks, each over the same row tiles) is
  // more of the same tiles' work: it lengthens each tile (extend_run), not the run after it.
  struct Run {
    std::int64_t times = 0;
    double first_start = 0, first_load = 0, l = 0, per = 0, s = 0, wait = -1;
  };
  Run run_;
  // Stores not yet known to share the path with a load: when each starts, its bytes to DRAM and
  // to the shared buffer. count_stores() moves those that start before the loads placed so far
  // end into *_stores_before_loads.
  struct OpenStore {
    double start, dram, shared;
  };
  Few<OpenStore, 8> open_stores_;
  void count_stores();
  // Times run_ with `per` cycles of compute a tile: sets compute_end_ and load_end_.
  void time_run(double per);
  bool continues_run(std::int64_t times) const;
  void extend_run(double compute, std::int64_t times);
  // When a compute of `layer` that may start at `from` does: after the loads placed as they
  // came that it reads, and once its `out` bytes find room.
  double compute_start(int layer, double from, double out);
  // Whether `per_tile` bytes per buffer overflow any buffer beside `beside`.
  bool overflows(const std::array<double, 3>& per_tile, const std::array<double, 3>& beside) const;
};

// Counts the commands a walk would emit (loads, computes, stores), in long double so that a
// count far beyond what memory holds is still a number.
class CountSink : public TileSink {
 public:
  // `shared_weights`: as the lowering serves loads with them (a load split is two commands).
  explicit CountSink(bool runs = true, const SharedWeights* shared_weights = nullptr)
      : runs_(runs), shared_weights_(shared_weights) {}
  bool takes_runs() const override { return runs_; }
  const SharedWeights* shared_weights() const override { return shared_weights_; }
  Id load(TensorKind kind, BufferRole, int, const DramRange& from, std::int64_t bytes,
          std::int64_t times) override {
    const LoadParts p = load_parts(nullptr, shared_weights_, kind, from, bytes);
    commands += static_cast<long double>(times) * (p.from_shared() + p.from_dram());
    return 0;
  }
  Id compute(int, std::int64_t, const TileWork&, std::int64_t, const std::vector<Id>&,
             std::int64_t times) override {
    commands += static_cast<long double>(times);
    return 0;
  }
  void store(int, const DramRange&, std::int64_t, Id, Id, std::int64_t times) override {
    commands += static_cast<long double>(times);
  }
  Id spill_psums(int, const DramRange&, std::int64_t, Id, Id, std::int64_t times) override {
    commands += static_cast<long double>(times);
    return 0;
  }
  Id reload_psums(int, const DramRange&, std::int64_t, const std::vector<Id>&,
                  std::int64_t times) override {
    commands += static_cast<long double>(times);
    return 0;
  }
  void add_frees(Id, const std::vector<Id>&) override {}

  long double commands = 0;

 private:
  bool runs_;
  const SharedWeights* shared_weights_;
};

}  // namespace fusim
