// The tile plan of a fused group (Optimus's memory model): the group's output rows are cut into
// tiles; the rows each member must produce for a tile are propagated backwards through the
// receptive fields (stride, kernel, padding; with several consumers, the furthest row wins).
// Rows computed for an earlier tile stay on chip and are reused (halo reuse), so within one core
// every row of every member is computed once and every row of an external input is loaded once.
// Only the group's external inputs, its stored outputs and its weights touch DRAM.
//
// Across cores a group is split into bands of consecutive tiles, one band per core; a band
// starts from scratch, so the halo rows at band boundaries are loaded and computed again
// (recompute at core boundaries), and every core loads the weights it uses (no multicast).
//
// Weights stay resident for the whole band when all the group's weights fit the weight buffer;
// otherwise every tile loads each member's weights again before computing it.
//
// A concat inside the group is a view: its consumers read its producers' rows directly, and its
// producers store into the concat's tensor (see AddressMap). A concat that is a network output
// (or inside one) copies its foreign operands (network inputs, ...) into its tensor after the
// tiles (cost/concat_copy.h); the group cannot be fused when one of them is a member.
//
// One walk over the tiles serves the cost model (it sums bytes and cycles), the lowering (it emits
// commands) and the program-size guard (it counts them), so they cannot disagree on what moves
// (cost/tile_sink.h). A sink that takes runs gets the batch items as one: every item walks the
// same tiles, only the resident weights are loaded once for all of them. The cost model counts
// what every compute reads: its operand rows and its weights, each time.
#pragma once

#include <algorithm>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "arch/arch.h"
#include "cost/tile_sink.h"
#include "cost/tiling.h"
#include "engines/engines.h"
#include "network/network.h"
#include "schedule/program.h"

namespace fusim {

// Peak bytes a walk keeps in each buffer of one core; a plan fits when every peak fits.
struct Footprint {
  std::int64_t input = 0, weight = 0, output = 0;
};

// True when `layers` (sorted) hold a pair of complex operators that can run input-centric:
// a dense conv, or a gemm with weights over tokens, whose only reader is another (FusedGroup's
// "Input-centric pairs").
bool has_input_centric_pair(const Network& net, const std::vector<int>& layers);

class FusedGroup {
 public:
  // `layers`: network layer indices, in topological order, forming a convex set.
  // `input_centric`: run each chain of two complex operators in it input-centric (CORF; see
  // "Input-centric pairs" below); unfusable when it has none. `spill`: a consumer whose partial
  // sums do not fit on chip spills them to DRAM (walk's scatter_spilled); otherwise such a plan
  // does not fit.
  FusedGroup(const Network& net, const Arch& arch, std::vector<int> layers,
             bool input_centric = false, bool spill = true);

  // Empty when the group can be fused; otherwise why not.
  const std::string& unfusable_reason() const { return unfusable_; }
  const std::vector<int>& layers() const { return layers_; }
  // The most tiles the group's output can be cut into (the shortest sink's rows).
  std::int64_t max_tiles() const { return max_tiles_; }
  std::int64_t weight_bytes() const { return weight_bytes_; }
  bool weights_resident() const;
  bool input_centric() const { return input_centric_; }
  // Input-centric pairs: the members whose output runs input-centric into the member
  // scatter_to(m) (-1: none).
  int scatter_to(int member) const { return scatter_to_[static_cast<std::size_t>(member)]; }

  // For a plan of `tiles` tiles: rows [0, p[v * (tiles + 1) + t + 1]) of node v exist once tile
  // t is done (p[v * (tiles + 1)] = 0: none before the first). The same for every core; computed
  // once per tile count.
  std::vector<std::int64_t> progress(std::int64_t tiles) const;
  // Rows of node `node` that exist once tile `tile` (-1: none yet) is done, in progress `p`.
  static std::int64_t rows_done(const std::vector<std::int64_t>& p, std::int64_t tiles,
                                std::size_t node, std::int64_t tile) {
    return p[node * static_cast<std::size_t>(tiles + 1) + static_cast<std::size_t>(tile + 1)];
  }
  // Walks core `core` of `cores` for a plan of `tiles` tiles (cores <= tiles <= max_tiles()),
  // whose progress() is `p`, reporting its steps to `sink`. Returns that core's peak footprint.
  // With `stop_unfit`, stops as soon as the peak does not fit (fits() false): it then returns
  // the peak so far, and the sink has seen only the steps before it (a search's probe that only
  // asks whether a tile count fits).
  Footprint walk(const std::vector<std::int64_t>& p, std::int64_t tiles, std::int64_t cores,
                 std::int64_t core, TileSink& sink, bool stop_unfit = false) const;

  // True when every buffer holds the peak of `f`.
  bool fits(const Footprint& f) const;

  // A bound from below on the compute cycles any plan of the group spends on one batch item,
  // summed over its cores: each member's rows computed once, as one tile (cutting them into
  // tiles, bands and input-centric chunks only adds folds and fills, and halos rows).
  std::int64_t compute_floor() const;

  // True when walking core `core` of `cores` would report to its sink what walking the core
  // `earlier` (1 <= earlier < core; core 0 reads the weights the others receive) reports, rows
  // shifted: the bands have as many tiles, every node's rows advance alike in both, the shifts
  // agree with the reads' strides, no read's window is cut by the top or the bottom of its
  // operand, and (detailed DRAM model) every node's rows keep their place in a burst. A sink
  // that sees DRAM offsets only through their place in a burst (CostSink) then sums the same for
  // both and the walks reach the same peak, so a search need not walk the later one.
  bool band_like(const std::vector<std::int64_t>& p, std::int64_t tiles, std::int64_t cores,
                 std::int64_t core, std::int64_t earlier) const;

 private:
  // A node is a member (indices 0..members-1, in topological order) or an external value.
  // How a member's output rows map to the rows of one operand it reads.
  enum class RowMap : std::uint8_t { Window, All, Same, Resize };
  struct Read {
    int node;     // the node read
    int member;   // the reading member
    int operand;  // which operand of the member
    RowMap map = RowMap::Same;
    std::int64_t stride = 1, pad = 0, extent = 1;  // Window: rows a*stride-pad .. +extent
    ResizeMode resize = ResizeMode::Nearest;       // Resize: by `stride` (resize_input_rows)
    std::int64_t rows = 0;                         // of the operand
  };
  struct Node {
    ValueRef value;
    int layer = -1;              // members: the network layer
    bool view = false;           // a view onto its inputs (concat, slice)
    bool copies = false;         // a concat that copies foreign operands (concat_copies)
    bool store = false;          // members: the group must write it to DRAM
    std::int64_t rows = 0;       // rows of the tensor (per batch item)
    std::int64_t row_bytes = 0;  // bytes of one row, all channels
    // Where its rows lie in DRAM (NHWC, full rows): row r of item b at b * item_bytes + r *
    // dram_row_bytes from the tensor's start.
    std::int64_t item_bytes = 0, dram_row_bytes = 0;
    TileLayout layout;       // pieces at a stride for a slice read from outside the group
    std::vector<int> reads;  // indices into reads_ of reads of this node
  };

  // Input rows [lo, hi) read `rd` needs for its member's output rows [a, b). Inline: the walks
  // call it for every read of every tile.
  static void input_rows(const Read& rd, std::int64_t a, std::int64_t b, std::int64_t& lo,
                         std::int64_t& hi) {
    switch (rd.map) {
      case RowMap::Window:
        lo = std::max<std::int64_t>(0, a * rd.stride - rd.pad);
        hi = std::min(rd.rows, (b - 1) * rd.stride - rd.pad + rd.extent);
        break;
      case RowMap::All:
        lo = 0, hi = rd.rows;
        break;
      case RowMap::Same:
        lo = std::min(a, rd.rows), hi = std::min(b, rd.rows);
        break;
      case RowMap::Resize:
        resize_input_rows(rd.resize, rd.stride, rd.rows, a, b, lo, hi);
        break;
    }
    if (hi < lo) hi = lo;
  }

  // Output bytes and work of a member's compute of `rows` rows (every channel): memoised, since
  // the tiles of a walk share few heights and a search walks one group many times. The
  // reference is valid until the next call.
  struct RowsWork {
    std::int64_t rows = 0;
    std::int64_t out_bytes = 0;
    TileWork work;
  };
  const RowsWork& rows_work(std::size_t member, std::int64_t rows) const;
  // The first rows of every node in a band that starts at tile t0: everything its first tile
  // needs, computed from scratch (0 for the first band).
  void band_start(const std::vector<std::int64_t>& p, std::int64_t tiles, std::int64_t t0,
                  std::vector<std::int64_t>& start) const;

  const Network* net_;
  const Arch* arch_;
  std::vector<int> layers_;
  std::vector<Node> nodes_;
  std::vector<Read> reads_;
  std::vector<std::vector<int>> member_reads_;            // per member: its reads, operand order
  std::vector<LayerGeometry> geometry_;                   // per member
  std::vector<std::int64_t> weight_of_;                   // per member: weight bytes
  std::vector<std::size_t> order_;                        // nodes, consumers before producers
  std::vector<std::vector<int>> effective_;               // per node: reads of it, through concats
  mutable std::vector<std::vector<RowsWork>> rows_work_;  // per member, the heights seen
  mutable std::vector<std::int64_t> band_scratch_, band_start_;  // band_like()
  bool bands_can_repeat_ = false;                                // band_like()
  std::int64_t burst_bytes_ = 0;  // the DRAM burst the cost model charges (DmaTiming), or 0
  int members_ = 0;
  std::int64_t max_tiles_ = 0;
  std::int64_t weight_bytes_ = 0;
  std::string unfusable_;

  // Input-centric pairs (CORF). A producer P (a dense conv, or a gemm with weights whose A is
  // laid out as tokens) whose only reader is a consumer Q of the same kinds, reading it as its
  // one operand, P not stored: P's rows of a tile are computed in chunks of its output channels
  // (the most whose rows of the band's largest tile fill at most half the output buffer and,
  // when the weights are loaded per tile, whose weights of both layers at most half the weight
  // buffer, so that loads overlap computes; a multiple of the PE array's columns when that many
  // fit); each chunk is scattered at once into Q's partial
  // sums, one compute per row of Q's kernel (out[m, o] += w[m, c, kh, .] x chunk[c, o s - pad + kh
  // d]) and dropped. Q's partial-sum rows stay in the output buffer from the tile that first
  // touches them to the tile that completes them (a row opened by one tile may be completed by a
  // later one); nothing of P stays between tiles. A kernel row's tap that falls in the padding is
  // computed with the first (above) or last (below) row of P, so the MACs are those of the
  // output-centric plan.
  bool input_centric_ = false;
  bool spill_ = true;
  std::vector<int> scatter_to_, scatter_from_;  // per member: Q of its pair, P of its pair
  std::int64_t chunk_unit_ = 1;                 // the PE array's columns
  // Bytes of Q's weights for its input channels [c0, c1) (its bias with the first chunk).
  std::int64_t consumer_weight_bytes(std::size_t q, std::int64_t c0, std::int64_t c1) const;
  // Q's output rows [lo, hi) that P's rows [pa, pb) reach through Q's kernel row kh, within Q's
  // rows [qlo, qhi) (see above for the padding's taps).
  void scatter_rows(std::size_t q, std::int64_t kh, std::int64_t pa, std::int64_t pb,
                    std::int64_t qlo, std::int64_t qhi, std::int64_t& lo, std::int64_t& hi) const;
  // The same through any of Q's kernel rows (empty: hi <= lo).
  void scatter_reach(std::size_t q, std::int64_t pa, std::int64_t pb, std::int64_t qlo,
                     std::int64_t qhi, std::int64_t& lo, std::int64_t& hi) const;
};

}  // namespace fusim
