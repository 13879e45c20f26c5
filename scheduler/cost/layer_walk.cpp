#include "cost/layer_walk.h"

#include <algorithm>
#include <array>

#include "common/checked.h"
#include "cost/concat_copy.h"

namespace fusim {

namespace {

// Calls f(b0, b1, times) for the tiles [b0, b1) = [b, min(b + step, end)), b = begin, begin +
// step, ..., numbered from 0: once per tile, or, with runs, once for all the tiles numbered in
// [lo, hi) (alike but for their position: the first of them, times = hi - lo), a run cut before
// the tiles numbered `cuts` (each part a run of its own).
template <class F>
void for_each_tile(std::int64_t begin, std::int64_t end, std::int64_t step, bool runs,
                   std::int64_t lo, std::int64_t hi, F&& f,
                   std::array<std::int64_t, 3> cuts = {-1, -1, -1}) {
  const std::int64_t n = ceil_div(end - begin, step);
  for (std::int64_t i = 0; i < n;) {
    const std::int64_t b0 = begin + i * step, b1 = std::min(b0 + step, end);
    std::int64_t stop = i + 1;
    if (runs && i >= lo && i < hi) {
      stop = hi;
      for (std::int64_t c : cuts) {
        if (c > i) stop = std::min(stop, c);
      }
    }
    f(b0, b1, stop - i);
    i = stop;
  }
}

class LayerWalker {
 public:
  LayerWalker(const LayerGeometry& g, int li, const LayerTiling& t, LayerSlice s,
              std::int64_t batch, LoadSources from, TileSink& sink)
      : g_(g),
        l_(g.layer()),
        li_(li),
        t_(t),
        s_(s),
        r_begin_(s.row_begin),
        r_end_(s.row_end < 0 ? g.rows() : s.row_end),
        batch_(batch),
        from_(from),
        sink_(sink),
        runs_(sink.takes_runs()),
        elem_(g.element_bytes()),
        alike_rows_(g.alike_row_tiles(t.rows_per_tile, r_begin_, r_end_)),
        chunks_alike_(g.channel_chunks_alike(t.channels_per_tile)) {
    // The slice's tiles' stream, over every batch item unless each item has its own B operand
    // (then one stream per item, run `batch` times).
    stream_ = g.slice_stream(r_begin_, r_end_, s.begin, s.end, batch);
  }

  void walk() {
    const std::int64_t rows = r_end_, h = t_.rows_per_tile;
    const bool has_weights = g_.weight_bytes(0, 1) > 0;
    if (g_.b_is_activation()) {
      items([&](std::int64_t b, std::int64_t tb) {
        chunks(false, [&](std::int64_t k0, std::int64_t k1, std::int64_t tk) {
          const std::int64_t m = mul_checked(tb, tk);
          const Id wl = load_b_operand(b, k0, k1, m);
          const std::int64_t w = g_.weight_bytes(k0, k1);
          row_tiles(true, [&](std::int64_t r0, std::int64_t r1, std::int64_t tr) {
            tile(b, r0, r1, k0, k1, Weights{true, wl, r0 == r_begin_ ? w : 0}, r1 >= rows,
                 mul_checked(m, tr));
          });
        });
      });
    } else if (t_.weights_outer) {
      chunks(false, [&](std::int64_t k0, std::int64_t k1, std::int64_t tk) {
        const Id wl = has_weights ? load_weights(k0, k1, tk) : 0;
        const std::int64_t w = has_weights ? g_.weight_bytes(k0, k1) : 0;
        // The chunk's first tile reads its weights: it stays alone.
        items_from(has_weights ? 1 : 0, [&](std::int64_t b, std::int64_t tb) {
          row_tiles(has_weights && b == 0, [&](std::int64_t r0, std::int64_t r1, std::int64_t tr) {
            const Weights wt{has_weights, wl, b == 0 && r0 == r_begin_ ? w : 0};
            const bool last = b + 1 == batch_ && r0 + h >= rows;
            const std::int64_t m = mul_checked(mul_checked(tk, tb), tr);
            if (t_.in_channels_per_tile > 0) {
              tile_in_channel_pieces(b, r0, r1, k0, k1, wt, last, m);
            } else {
              tile(b, r0, r1, k0, k1, wt, last, m);
            }
          });
        });
      });
    } else {
      // Resident weights: each chunk's loaded once, by the first row tile (alone), before its
      // compute; the later row tiles compute with them.
      const bool resident = t_.weights_resident;
      resident_.clear();
      items_from(resident ? 1 : 0, [&](std::int64_t b, std::int64_t tb) {
        row_tiles(resident && b == 0, [&](std::int64_t r0, std::int64_t r1, std::int64_t tr) {
          const std::int64_t m = mul_checked(tb, tr);
          std::int64_t in_bytes = 0;
          load_inputs(b, r0, r1, s_.begin, s_.end, m, in_, in_bytes);
          const bool first = b == 0 && r0 == r_begin_;
          // Resident weights are freed by the last row tile's computes.
          const bool last = !resident || (b + tb >= batch_ && r1 >= rows);
          std::size_t chunk = 0;
          // The first chunk reads the inputs: it stays alone.
          chunks(true, [&](std::int64_t k0, std::int64_t k1, std::int64_t tk) {
            const std::int64_t mk = mul_checked(m, tk);
            Id wl = 0;
            if (!resident || first) {
              wl = load_weights(k0, k1, mk);
              if (resident && !runs_) resident_.push_back(wl);
            } else if (!runs_) {
              wl = resident_.at(chunk++);
            }
            // Every loaded byte read once (resident weights by the first row tile, as the
            // weights-outer order counts them).
            const std::int64_t read = (!resident || first ? g_.weight_bytes(k0, k1) : 0) +
                                      (k0 == s_.begin ? in_bytes : 0);
            compute_and_store(b, r0, r1, k0, k1, in_, Weights{true, wl, 0}, read, last,
                              k1 >= s_.end, mk);
          });
        });
      });
    }
  }

 private:
  using Id = TileSink::Id;
  // The weights (or B operand) a tile computes with: loaded as `id`; `read` bytes of them
  // counted as read by this tile.
  struct Weights {
    bool loaded = false;
    Id id = 0;
    std::int64_t read = 0;
  };

  template <class F>
  void items(F&& f) const {
    items_from(0, f);
  }
  // Batch items; with runs, items [first_alone, batch) as one.
  template <class F>
  void items_from(std::int64_t first_alone, F&& f) const {
    for_each_tile(0, batch_, 1, runs_, first_alone, batch_,
                  [&](std::int64_t b, std::int64_t, std::int64_t times) { f(b, times); });
  }
  // Channel chunks of the slice; with runs, the alike ones as one, but for the first when
  // `first_alone`. The last chunk may be shorter, so it is never in a run.
  // Weights partly in the shared buffer (load_parts): the chunks whose weights (biases apart) it
  // holds whole, the one it holds in part, and the others are runs of their own.
  template <class F>
  void chunks(bool first_alone, F&& f) const {
    const std::int64_t kc = t_.channels_per_tile;
    const std::int64_t full = chunks_alike_ ? (s_.end - s_.begin) / kc : 0;
    const std::int64_t lo = first_alone ? 1 : 0;
    std::array<std::int64_t, 3> cuts{-1, -1, -1};
    const SharedWeights* shared = sink_.shared_weights();
    if (runs_ && full - lo > 1 && shared != nullptr && !shared->empty() &&
        shared->at[static_cast<std::size_t>(li_)] >= 0) {
      // The first chunk of [lo, full) whose weights but the biases are not all (cut 0) or not
      // at all (cut 2) from the shared buffer: each holds from some chunk on (the copy is the
      // weights' first bytes, the biases last).
      for (std::size_t c = 0; c < 3; c += 2) {
        std::int64_t a = lo, b = full;  // it is in [a, b]
        while (a < b) {
          const std::int64_t j = a + (b - a) / 2, k0 = s_.begin + j * kc;
          const DramRange r = weight_range(k0, k0 + kc);
          const std::int64_t bytes = g_.weight_bytes(k0, k0 + kc);
          const LoadParts p = load_parts(nullptr, shared, TensorKind::Weight, r, bytes);
          if (c == 0 ? p.shared_bytes < bytes - r.tail_bytes : p.shared_bytes == 0) {
            b = j;
          } else {
            a = j + 1;
          }
        }
        cuts[c] = a;
      }
      cuts[1] = cuts[0] + 1;
    }
    for_each_tile(s_.begin, s_.end, kc, runs_, lo, full, f, cuts);
  }
  // Row tiles; with runs, the alike full ones as one, but for the first when `first_alone`.
  template <class F>
  void row_tiles(bool first_alone, F&& f) const {
    const auto [lo, hi] = alike_rows_;
    for_each_tile(r_begin_, r_end_, t_.rows_per_tile, runs_,
                  std::max<std::int64_t>(lo, first_alone), hi, f);
  }

  static ValueRef value(const Operand& op) { return {op.from_network_input, op.index}; }
  std::int64_t item_offset(int input, std::int64_t b) const {
    return b * g_.input_item_bytes(input);
  }

  Id load_weights(std::int64_t k0, std::int64_t k1, std::int64_t times) {
    DramRange from = weight_range(k0, k1);
    from.multicast_from = from_.weights;
    return sink_.load(TensorKind::Weight, BufferRole::Weight, li_, from, g_.weight_bytes(k0, k1),
                      times);
  }

  // The weights of channels [k0, k1) of the slice: contiguous, or, interleaved over the grid's
  // channel slices (LayerSlice::weight_parts), one channel's piece every weight_parts channels
  // and their biases after all the pieces, as one range.
  DramRange weight_range(std::int64_t k0, std::int64_t k1) const {
    const ValueRef v{false, li_};
    if (s_.weight_parts <= 1) return DramRange{v, g_.weight_bytes(0, k0), {}};
    const std::int64_t bias = g_.bias_bytes(0, 1);
    const std::int64_t w = g_.weight_bytes(0, 1) - bias;
    const std::int64_t at = (k0 - s_.begin) * s_.weight_parts + s_.weight_part;
    DramRange r{v, mul_checked(at, w), {}};
    if (k1 - k0 > 1) {
      r.layout.piece_bytes = w;
      r.layout.stride_bytes = mul_checked(s_.weight_parts, w);
    }
    if (bias > 0) {
      r.tail_offset = add_checked(mul_checked(g_.channels(), w), mul_checked(k0, bias));
      r.tail_bytes = mul_checked(k1 - k0, bias);
    }
    return r;
  }

  // A gemm's B operand (an activation): into the weight buffer, counted as ifmap.
  Id load_b_operand(std::int64_t b, std::int64_t k0, std::int64_t k1, std::int64_t times) {
    DramRange from{value(l_.inputs[1]), item_offset(1, b) + g_.b_offset(k0), g_.b_layout(k0, k1)};
    from.multicast_from = from_.weights;
    return sink_.load(TensorKind::Ifmap, BufferRole::Weight, li_, from, g_.weight_bytes(k0, k1),
                      times);
  }

  // Loads every operand of rows [r0, r1) for channels [k0, k1), their ids into `ids` (each-step
  // walks), their bytes added to `bytes`.
  void load_inputs(std::int64_t b, std::int64_t r0, std::int64_t r1, std::int64_t k0,
                   std::int64_t k1, std::int64_t times, std::vector<Id>& ids, std::int64_t& bytes) {
    ids.clear();
    for (int i = 0; i < g_.input_count(); ++i) {
      const std::int64_t n = g_.input_bytes(i, r0, r1, k0, k1);
      if (n == 0) continue;
      const ValueRef v = value(l_.inputs[static_cast<std::size_t>(i)]);
      DramRange from{v, item_offset(i, b) + g_.input_offset(i, r0, k0),
                     g_.tile_input_layout(i, r0, r1, k0, k1)};
      from.multicast_from = from_.inputs;
      const Id id = sink_.load(TensorKind::Ifmap, BufferRole::Input, li_, from, n, times);
      if (!runs_) ids.push_back(id);
      bytes += n;
    }
  }

  // Computes tile [r0, r1) x [k0, k1) of item b from operands `in` and weights `w`, then stores it.
  void compute_and_store(std::int64_t b, std::int64_t r0, std::int64_t r1, std::int64_t k0,
                         std::int64_t k1, const std::vector<Id>& in, const Weights& w,
                         std::int64_t read_bytes, bool free_weights, bool free_inputs,
                         std::int64_t times) {
    deps_.clear();
    frees_.clear();
    if (!runs_) {
      deps_ = in;
      if (w.loaded) deps_.push_back(w.id);
      if (free_inputs) frees_ = in;
      if (free_weights && w.loaded) frees_.push_back(w.id);
    }
    const Id comp = sink_.compute(li_, g_.output_bytes(r0, r1, k0, k1),
                                  streamed(g_.work(r0, r1, k0, k1)), read_bytes, deps_, times);
    if (!frees_.empty()) sink_.add_frees(comp, frees_);
    store(b, r0, r1, k0, k1, comp, comp, times);
  }

  // A channel-blocked output's tile (LayerGeometry::set_channel_blocked): one contiguous range in
  // the block of its chunk [k0, k1), whole rows of the chunk's channels, after the channels
  // before it.
  DramRange blocked_range(std::int64_t item, std::int64_t r0, std::int64_t k0,
                          std::int64_t k1) const {
    const std::int64_t width = g_.output_bytes(0, 1, 0, 1) / elem_;  // a row's pixels
    return {{false, li_}, item + (k0 * g_.rows() + r0 * (k1 - k0)) * width * elem_, {}};
  }

  // Stores an output tile once step `last` has computed it; frees the allocation of `owner`.
  void store(std::int64_t b, std::int64_t r0, std::int64_t r1, std::int64_t k0, std::int64_t k1,
             Id last, Id owner, std::int64_t times) {
    const std::int64_t item = b * l_.out_shape.elements() * elem_;
    const DramRange to =
        g_.channel_blocked()
            ? blocked_range(item, r0, k0, k1)
            : DramRange{{false, li_}, item + g_.output_offset(r0, k0), g_.output_layout(k0, k1)};
    sink_.store(li_, to, g_.output_bytes(r0, r1, k0, k1), last, owner, times);
  }

  void tile(std::int64_t b, std::int64_t r0, std::int64_t r1, std::int64_t k0, std::int64_t k1,
            const Weights& w, bool last_use_of_weights, std::int64_t times) {
    std::int64_t in_bytes = 0;
    load_inputs(b, r0, r1, k0, k1, times, in_, in_bytes);
    compute_and_store(b, r0, r1, k0, k1, in_, w, in_bytes + w.read, last_use_of_weights, true,
                      times);
  }

  // A dense conv, fc or gemm tile whose input comes in pieces along its reduction (input
  // channels, flattened features, columns of A); every piece accumulates into the output
  // allocation of the first piece's compute.
  void tile_in_channel_pieces(std::int64_t b, std::int64_t r0, std::int64_t r1, std::int64_t k0,
                              std::int64_t k1, const Weights& w, bool last_use_of_weights,
                              std::int64_t times) {
    const std::int64_t channels = g_.input_channel_count(), cc = t_.in_channels_per_tile;
    Id owner = 0, prev = 0;
    // The first piece allocates the output: it stays alone; the last may be shorter, or runs
    // the activation epilogue: then it stays alone too.
    const bool epilogue = g_.work(r0, r1, k0, k1).epilogue_ops > 0;
    for_each_tile(
        0, channels, cc, runs_, 1, epilogue ? (channels - 1) / cc : channels / cc,
        [&](std::int64_t c0, std::int64_t c1, std::int64_t tp) {
          const std::int64_t c_len = c1 - c0, m = mul_checked(times, tp);
          const std::int64_t bytes = g_.input_bytes(0, r0, r1, k0, k1, c_len);
          DramRange from{value(l_.inputs[0]), item_offset(0, b) + g_.input_offset(0, r0, k0, c0),
                         g_.input_layout(0, k0, k1, c_len)};
          from.multicast_from = from_.inputs;
          const Id piece = sink_.load(TensorKind::Ifmap, BufferRole::Input, li_, from, bytes, m);
          deps_.clear();
          frees_.clear();
          if (!runs_) {
            deps_ = {piece};
            if (w.loaded) deps_.push_back(w.id);
            if (c0 > 0) deps_.push_back(prev);
            frees_ = {piece};
            if (c1 >= channels && last_use_of_weights && w.loaded) frees_.push_back(w.id);
          }
          // The activation epilogue runs once, after the last piece.
          TileWork work = streamed(g_.work(r0, r1, k0, k1, c_len));
          if (c1 < channels) work.epilogue_ops = 0;
          work.accumulate = c0 > 0;
          prev = sink_.compute(li_, c0 == 0 ? g_.output_bytes(r0, r1, k0, k1) : 0, work,
                               bytes + (c0 == 0 ? w.read : 0), deps_, m);
          if (!frees_.empty()) sink_.add_frees(prev, frees_);
          if (c0 == 0) owner = prev;
        });
    store(b, r0, r1, k0, k1, prev, owner, times);
  }

  TileWork streamed(TileWork w) const {
    if (w.kind == WorkKind::Gemm) w.stream = stream_;
    return w;
  }

  const LayerGeometry& g_;
  const Layer& l_;
  int li_;
  const LayerTiling& t_;
  LayerSlice s_;
  std::int64_t r_begin_, r_end_;  // the slice's output rows
  std::int64_t batch_;
  LoadSources from_;
  TileSink& sink_;
  bool runs_;
  std::int64_t elem_;
  std::pair<std::int64_t, std::int64_t> alike_rows_;
  bool chunks_alike_;
  GemmStream stream_;
  std::vector<Id> in_, deps_, frees_;  // scratch, reused across tiles
  std::vector<Id> resident_;           // each chunk's resident weights (each-step walks)
};

}  // namespace

void walk_layer(const LayerGeometry& g, int layer_index, const LayerTiling& t, LayerSlice s,
                std::int64_t batch, TileSink& sink, LoadSources from) {
  if (s.end <= s.begin) return;
  if (s.row_end >= 0 && s.row_end <= s.row_begin) return;
  LayerWalker(g, layer_index, t, s, batch, from, sink).walk();
}

Traffic slice_traffic(const LayerGeometry& g, const LayerTiling& t, LayerSlice s,
                      std::int64_t batch) {
  CostSink sink(nullptr);
  walk_layer(g, -1, t, s, batch, sink);
  return sink.traffic;
}

void walk_layer_core(const Network& net, const Arch& arch, int layer_index, std::int64_t cores,
                     std::int64_t core, TileSink& sink) {
  LayerOnCores(net, arch, layer_index, cores).walk(core, sink);
}

LayerOnCores::LayerOnCores(const Network& net, const Arch& arch, int layer_index,
                           std::int64_t cores)
    : net_(net),
      arch_(arch),
      layer_(layer_index),
      cores_(cores),
      g_(net.layer(layer_index), arch.element_bytes()) {
  const Layer& l = net.layer(layer_index);
  if (l.type == LayerType::Concat || l.is_view()) return;
  g_.set_channel_blocked(blocked_output_allowed(net, layer_index));
  split_ = split_layer(g_, arch, cores);
  // Every core of the grid tiles as the first does (the largest slice), so that the cores
  // receiving a leader's loads by multicast load what it loads, in the same order.
  const LayerSlice first = layer_slice(g_, split_, 0, arch);
  if (first.end <= first.begin) return;
  const std::int64_t rows = (first.row_end < 0 ? g_.rows() : first.row_end) - first.row_begin;
  tiling_ = plan_layer_tiling(l, arch, first.end - first.begin, net.batch(), rows);
  planned_ = true;
}

void LayerOnCores::walk(std::int64_t core, TileSink& sink) const {
  const Layer& l = net_.layer(layer_);
  if (l.type == LayerType::Concat) {  // a view: only its foreign operands are copied
    walk_concat_copy(net_, arch_, layer_, cores_, core, sink);
    return;
  }
  if (!planned_) return;  // a view (its consumers read its input's tensor), or no channels
  const LayerSlice s = layer_slice(g_, split_, core, arch_);
  if (s.end <= s.begin) return;
  walk_layer(g_, layer_, tiling_, s, net_.batch(), sink, load_sources(g_, split_, core));
}

}  // namespace fusim
