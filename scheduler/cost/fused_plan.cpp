#include "cost/fused_plan.h"

#include <algorithm>
#include <array>
#include <stdexcept>

#include "common/checked.h"
#include "cost/concat_copy.h"
#include "cost/cost_model.h"
#include "cost/tiling.h"

namespace fusim {

namespace {

constexpr std::int64_t kNoRead = std::numeric_limits<std::int64_t>::max();
constexpr std::int64_t kUnknownLo = std::numeric_limits<std::int64_t>::min();  // not asked yet

bool same(const ValueRef& a, const ValueRef& b) {
  return a.network_input == b.network_input && a.index == b.index;
}

// A gemm whose A is laid out as tokens, [heads k, m, 1]: output row r (token r) reads row r of
// A alone. With weights, B is its weights; of two activations (attention's Q K^T and P V), B is
// read whole by every tile (as a global pool reads its input), so a tile of query rows holds
// whole rows of scores, which its softmax needs.
bool token_gemm(const Layer& l) {
  return l.type == LayerType::Gemm && l.in_shapes[0] == Shape{l.heads * l.k, l.m, 1};
}

// Rows of the tensor a layer produces, as the tiling sees them (fc: one row of features).
std::int64_t output_rows(const Layer& l) {
  return l.type == LayerType::Fc ? 1 : l.out_shape.h;
}

const Shape& shape_of(const Network& net, const ValueRef& v) {
  return v.network_input ? net.inputs()[static_cast<std::size_t>(v.index)].shape
                         : net.layer(v.index).out_shape;
}

// Channels of one pixel of the tensor in memory a value is read from (a slice's: the viewed
// tensor's).
std::int64_t pixel_channels_of(const Network& net, const ValueRef& v) {
  return v.network_input ? net.inputs()[static_cast<std::size_t>(v.index)].shape.c
                         : net.layer(v.index).out_pixel_channels;
}

// Input-centric pairs: a dense conv, or a gemm with weights over tokens, one operand: its output
// channels come in chunks, and its reduction (input channels, k) can be cut into pieces.
bool scatter_operator(const Layer& l) {
  if (l.inputs.size() != 1) return false;
  if (l.type == LayerType::Conv) return l.groups == 1 && !l.is_depthwise() && !l.is_fused_block();
  return token_gemm(l) && l.heads == 1;
}

// The layer whose output `q` scatters into input-centric when both are in `layers` (sorted), or
// -1: q's one operand, computed by such an operator in the group that nothing else reads.
int scatter_producer(const Network& net, const std::vector<int>& layers, int q) {
  const Layer& lq = net.layer(q);
  if (!scatter_operator(lq) || lq.inputs[0].from_network_input) return -1;
  const int p = lq.inputs[0].index;
  const Layer& lp = net.layer(p);
  if (!std::binary_search(layers.begin(), layers.end(), p) || !scatter_operator(lp) ||
      net.consumers(p).size() != 1 || lp.out_pixel_channels != lp.out_shape.c ||
      lq.in_shapes[0].c != lp.out_shape.c)
    return -1;
  return p;
}

}  // namespace

bool has_input_centric_pair(const Network& net, const std::vector<int>& layers) {
  return std::any_of(layers.begin(), layers.end(),
                     [&](int q) { return scatter_producer(net, layers, q) >= 0; });
}

FusedGroup::FusedGroup(const Network& net, const Arch& arch, std::vector<int> layers,
                       bool input_centric, bool spill)
    : net_(&net),
      arch_(&arch),
      layers_(std::move(layers)),
      input_centric_(input_centric),
      spill_(spill) {
  std::sort(layers_.begin(), layers_.end());
  const std::int64_t elem = arch.element_bytes();
  members_ = static_cast<int>(layers_.size());
  auto member_index = [&](int layer) {
    const auto it = std::lower_bound(layers_.begin(), layers_.end(), layer);
    return it != layers_.end() && *it == layer ? static_cast<int>(it - layers_.begin()) : -1;
  };
  // Every member and, at most, one external node per operand.
  std::size_t operands = 0;
  for (int li : layers_) operands += net.layer(li).inputs.size();
  nodes_.reserve(layers_.size() + operands);
  reads_.reserve(operands);
  geometry_.reserve(layers_.size());
  weight_of_.reserve(layers_.size());
  nodes_.resize(layers_.size());
  bool computes = false;
  for (int m = 0; m < members_; ++m) {
    const Layer& l = net.layer(layers_[static_cast<std::size_t>(m)]);
    Node& n = nodes_[static_cast<std::size_t>(m)];
    n.value = {false, layers_[static_cast<std::size_t>(m)]};
    n.layer = n.value.index;
    n.view = l.type == LayerType::Concat || l.is_view();
    n.rows = output_rows(l);
    geometry_.emplace_back(l, elem);
    const LayerGeometry& g = geometry_.back();
    n.row_bytes = g.output_bytes(0, 1, 0, g.channels());
    computes = computes || !n.view;
    // A gemm fuses when its A operand is laid out as tokens (token_gemm).
    if (l.type == LayerType::Gemm && unfusable_.empty() && !token_gemm(l)) {
      unfusable_ = "layer '" + l.name +
                   "' is a gemm whose input is not laid out as [heads k, m, 1], which is not fused";
    }
    // A gemm of two activations has no weights: its B is an operand read whole (below), from
    // outside the group. Computed in the group, every core's band would compute all of it (each
    // tile needs all of B; only layers with one row of output, whose groups run on one core,
    // read a member so).
    if (g.b_is_activation() && unfusable_.empty() && !l.inputs[1].from_network_input &&
        member_index(l.inputs[1].index) >= 0) {
      unfusable_ = "gemm '" + l.name + "' reads its B operand ('" +
                   net.layer(l.inputs[1].index).name +
                   "') whole from a layer of the same group, which every core would compute again";
    }
    const std::int64_t w = g.b_is_activation() ? 0 : g.weight_bytes(0, g.channels());
    weight_of_.push_back(w);
    weight_bytes_ += w;
  }
  if (!computes && unfusable_.empty()) {
    const bool slices = std::any_of(layers_.begin(), layers_.end(),
                                    [&](int li) { return net.layer(li).is_view(); });
    unfusable_ = slices ? "a group of views (concats and slices) alone computes nothing"
                        : "a group of concats alone computes nothing";
  }
  // A transpose's output row reads a channel of every input row: no row tiles hold it.
  for (int m = 0; m < members_ && unfusable_.empty(); ++m) {
    const Layer& l = net.layer(layers_[static_cast<std::size_t>(m)]);
    if (l.type == LayerType::Transpose)
      unfusable_ = "transpose '" + l.name +
                   "' reads a channel of every input row for each output row: it runs alone "
                   "or layer by layer";
  }
  // A slice's consumers in the group read the rows its input's member computes; a slice of a
  // tensor from outside the group is loaded by its consumers as a strided external value.
  for (int m = 0; m < members_ && unfusable_.empty(); ++m) {
    const Layer& l = net.layer(layers_[static_cast<std::size_t>(m)]);
    if (!l.is_view()) continue;
    const Operand& op = l.inputs[0];
    if (!op.from_network_input && member_index(op.index) >= 0) continue;
    unfusable_ = "slice '" + l.name +
                 "' views a tensor from outside the group (its consumers "
                 "load its channels there)";
  }
  // Reads, and external nodes for the values read from outside the group.
  member_reads_.resize(layers_.size());
  for (int m = 0; m < members_; ++m) {
    const Layer& l = net.layer(layers_[static_cast<std::size_t>(m)]);
    for (std::size_t i = 0; i < l.inputs.size(); ++i) {
      const Operand& op = l.inputs[i];
      const ValueRef v{op.from_network_input, op.index};
      int node = v.network_input ? -1 : member_index(v.index);
      if (node < 0) {
        for (std::size_t k = layers_.size(); k < nodes_.size(); ++k)
          if (same(nodes_[k].value, v)) node = static_cast<int>(k);
      }
      if (node < 0) {
        Node ext;
        ext.value = v;
        ext.rows = l.in_shapes[i].h;
        ext.row_bytes = mul_checked(l.in_shapes[i].w * l.in_shapes[i].c, elem);
        nodes_.push_back(ext);
        node = static_cast<int>(nodes_.size() - 1);
      }
      Read rd{node, m, static_cast<int>(i)};
      rd.rows = l.in_shapes[i].h;
      // An operand broadcast along rows ([C, 1, 1], an SE gate): its one row for every row.
      const bool row_broadcast = is_elementwise_binary(l.type) && rd.rows < l.out_shape.h;
      if (token_gemm(l)) {
        rd.map = i == 0 ? RowMap::Same : RowMap::All;
      } else if (l.type == LayerType::Fc || l.type == LayerType::Gemm || l.global_pool ||
                 row_broadcast) {
        rd.map = RowMap::All;
      } else if (l.type == LayerType::Conv || l.type == LayerType::Pool ||
                 l.type == LayerType::Pad) {  // a pad: a 1x1 window over its padding
        rd.map = RowMap::Window;
        rd.stride = l.stride_h;
        rd.pad = l.pad_h;
        rd.extent = (l.kernel_h - 1) * l.dilation + 1;
      } else if (l.type == LayerType::Resize) {
        rd.map = RowMap::Resize;
        rd.stride = l.resize_h;
        rd.resize = l.resize_mode;
      }
      reads_.push_back(rd);
      nodes_[static_cast<std::size_t>(node)].reads.push_back(static_cast<int>(reads_.size() - 1));
      member_reads_[static_cast<std::size_t>(m)].push_back(static_cast<int>(reads_.size() - 1));
    }
  }
  // What must be stored: members read outside the group or by nobody, and the producers of a
  // concat that must be stored (they write into its tensor). Consumers come later in the order.
  for (int m = members_ - 1; m >= 0; --m) {
    Node& n = nodes_[static_cast<std::size_t>(m)];
    const std::vector<int>& consumers = net.consumers(n.layer);
    n.store = consumers.empty();
    // A slice is read where it lies, in its input's tensor: a stored concat does not store it
    // (it is a foreign operand), but a slice read outside the group stores its input.
    const bool slice = net.layer(n.layer).is_view();
    for (int c : consumers) {
      const int cm = member_index(c);
      if (cm < 0 || (!slice && nodes_[static_cast<std::size_t>(cm)].view &&
                     nodes_[static_cast<std::size_t>(cm)].store)) {
        n.store = true;
      }
    }
  }
  // A concat that must be written copies its foreign operands after the tiles
  // (cost/concat_copy.h): from DRAM, so not from a member, whose rows the group is still writing.
  for (int m = 0; m < members_; ++m) {
    Node& n = nodes_[static_cast<std::size_t>(m)];
    n.copies = n.view && concat_copies(net, n.layer);
  }
  for (int m = 0; m < members_ && unfusable_.empty(); ++m) {
    const Node& n = nodes_[static_cast<std::size_t>(m)];
    if (!n.copies) continue;
    const Layer& l = net.layer(n.layer);
    for (std::size_t j = 0; j < l.inputs.size(); ++j) {
      const Operand& op = l.inputs[j];
      if (op.from_network_input || in_concat_tensor(net, n.layer, j) || member_index(op.index) < 0)
        continue;
      unfusable_ = "concat '" + l.name + "' copies the output of '" + net.layer(op.index).name +
                   "', which the group computes";
      break;
    }
  }
  // Input-centric pairs, producers in topological order.
  scatter_to_.assign(layers_.size(), -1);
  scatter_from_.assign(layers_.size(), -1);
  chunk_unit_ = std::max<std::int64_t>(1, arch.core.pe_array.cols);
  if (input_centric_ && unfusable_.empty()) {
    // A consumer of one pair is not the producer of another: its reader reads it output-centric.
    for (int q = 0; q < members_; ++q) {
      const int p =
          member_index(scatter_producer(net, layers_, layers_[static_cast<std::size_t>(q)]));
      if (p < 0 || scatter_from_[static_cast<std::size_t>(p)] >= 0) continue;
      scatter_to_[static_cast<std::size_t>(p)] = q;
      scatter_from_[static_cast<std::size_t>(q)] = p;
    }
    if (std::all_of(scatter_to_.begin(), scatter_to_.end(), [](int q) { return q < 0; })) {
      unfusable_ =
          "no pair of complex operators to run input-centric (a dense conv, or a gemm with "
          "weights over tokens, whose only reader is another, not stored)";
    }
  }
  // Consumers first: members backwards, then the external values.
  for (int m = members_ - 1; m >= 0; --m) order_.push_back(static_cast<std::size_t>(m));
  for (std::size_t v = layers_.size(); v < nodes_.size(); ++v) order_.push_back(v);
  // Reads that touch a node's rows, looking through concats (views) to the readers behind them.
  effective_.resize(nodes_.size());
  for (std::size_t v : order_) {
    for (int r : nodes_[v].reads) {
      const auto m = static_cast<std::size_t>(reads_[static_cast<std::size_t>(r)].member);
      if (nodes_[m].view) {
        effective_[v].insert(effective_[v].end(), effective_[m].begin(), effective_[m].end());
      } else {
        effective_[v].push_back(r);
      }
    }
  }
  for (Node& node : nodes_) {
    const Shape& s = shape_of(net, node.value);
    const std::int64_t pc = pixel_channels_of(net, node.value);
    node.item_bytes = s.h * s.w * pc * elem;
    node.dram_row_bytes = s.w * pc * elem;
    // An external slice: one piece of its channels per pixel of the tensor it views.
    if (pc > s.c) node.layout = {s.c * elem, pc * elem};
  }
  max_tiles_ = std::numeric_limits<std::int64_t>::max();
  for (int m = 0; m < members_; ++m) {
    const Node& n = nodes_[static_cast<std::size_t>(m)];
    if (n.reads.empty()) max_tiles_ = std::min(max_tiles_, n.rows);
  }
  // Bands can repeat one another (band_like) only when no concat copies (its copy depends on
  // the core) and every read maps rows by a window or one to one.
  burst_bytes_ = dma_timing(arch).burst_bytes;
  bands_can_repeat_ =
      std::none_of(nodes_.begin(), nodes_.end(), [](const Node& n) { return n.copies; }) &&
      std::all_of(reads_.begin(), reads_.end(), [](const Read& rd) {
        return rd.map == RowMap::Window || rd.map == RowMap::Same;
      });
}

const FusedGroup::RowsWork& FusedGroup::rows_work(std::size_t member, std::int64_t rows) const {
  if (rows_work_.empty()) rows_work_.resize(static_cast<std::size_t>(members_));
  // A walk's tiles have two or three heights: a short list, searched from its newest entry.
  std::vector<RowsWork>& seen = rows_work_[member];
  for (auto it = seen.rbegin(); it != seen.rend(); ++it)
    if (it->rows == rows) return *it;
  const LayerGeometry& g = geometry_[member];
  if (seen.empty()) seen.reserve(4);
  seen.push_back(
      RowsWork{rows, g.output_bytes(0, rows, 0, g.channels()), g.work(0, rows, 0, g.channels())});
  return seen.back();
}

std::int64_t FusedGroup::compute_floor() const {
  std::int64_t cycles = 0;
  for (int m = 0; m < members_; ++m) {
    const auto mi = static_cast<std::size_t>(m);
    if (nodes_[mi].view) continue;
    cycles = add_checked(cycles, compute_cycles(arch_->core, rows_work(mi, nodes_[mi].rows).work));
  }
  return cycles;
}

std::int64_t FusedGroup::consumer_weight_bytes(std::size_t q, std::int64_t c0,
                                               std::int64_t c1) const {
  const Layer& l = net_->layer(layers_[q]);
  const std::int64_t elem = arch_->element_bytes();
  const std::int64_t taps = l.type == LayerType::Conv ? l.kernel_h * l.kernel_w : 1;
  const std::int64_t outs = l.type == LayerType::Conv ? l.out_channels : l.n;
  const std::int64_t bias = c0 == 0 && l.bias ? outs : 0;
  return mul_checked(add_checked(mul_checked(mul_checked(c1 - c0, taps), outs), bias), elem);
}

void FusedGroup::scatter_rows(std::size_t q, std::int64_t kh, std::int64_t pa, std::int64_t pb,
                              std::int64_t qlo, std::int64_t qhi, std::int64_t& lo,
                              std::int64_t& hi) const {
  const Read& rd = reads_[static_cast<std::size_t>(member_reads_[q][0])];
  const Layer& l = net_->layer(layers_[q]);
  const std::int64_t s = rd.map == RowMap::Window ? rd.stride : 1;
  const std::int64_t off = rd.map == RowMap::Window ? kh * l.dilation - rd.pad : 0;
  // Row o reads row o s + off of P; a tap above P's first row or below its last is computed
  // with that row.
  auto first_at_or_above = [&](std::int64_t r) {  // the least o with o s + off >= r
    const std::int64_t x = r - off;
    return x >= 0 ? (x + s - 1) / s : -((-x) / s);
  };
  lo = pa == 0 ? 0 : first_at_or_above(pa);
  hi = pb >= rd.rows ? net_->layer(layers_[q]).out_shape.h : first_at_or_above(pb);
  lo = std::max(lo, qlo);
  hi = std::min(hi, qhi);
  if (hi < lo) hi = lo;
}

void FusedGroup::scatter_reach(std::size_t q, std::int64_t pa, std::int64_t pb, std::int64_t qlo,
                               std::int64_t qhi, std::int64_t& lo, std::int64_t& hi) const {
  const Layer& l = net_->layer(layers_[q]);
  lo = qhi, hi = qlo;
  for (std::int64_t kh = 0; kh < (l.type == LayerType::Conv ? l.kernel_h : 1); ++kh) {
    std::int64_t o0 = 0, o1 = 0;
    scatter_rows(q, kh, pa, pb, qlo, qhi, o0, o1);
    if (o1 > o0) lo = std::min(lo, o0), hi = std::max(hi, o1);
  }
}

bool FusedGroup::weights_resident() const {
  return weight_bytes_ <= arch_->core.weight_buffer.capacity_bytes;
}

bool FusedGroup::fits(const Footprint& f) const {
  const CoreParams& c = arch_->core;
  return f.input <= c.input_buffer.capacity_bytes && f.weight <= c.weight_buffer.capacity_bytes &&
         f.output <= c.output_buffer.capacity_bytes;
}

void FusedGroup::band_start(const std::vector<std::int64_t>& hi, std::int64_t tiles,
                            std::int64_t t0, std::vector<std::int64_t>& start) const {
  const std::int64_t T = tiles;
  auto H = [&](std::size_t v, std::int64_t t) { return rows_done(hi, T, v, t); };
  start.assign(nodes_.size(), 0);
  if (t0 == 0) return;
  for (std::size_t v : order_) {
    const Node& node = nodes_[v];
    std::int64_t s = H(v, t0 - 1);
    if (node.layer >= 0 && node.reads.empty()) {
      s = t0 * node.rows / T;
    } else {
      for (int r : node.reads) {
        const Read& rd = reads_[static_cast<std::size_t>(r)];
        const auto m = static_cast<std::size_t>(rd.member);
        if (H(m, t0) <= start[m]) continue;
        std::int64_t lo = 0, top = 0;
        input_rows(rd, start[m], H(m, t0), lo, top);
        s = std::min(s, lo);
      }
    }
    start[v] = s;
  }
}

bool FusedGroup::band_like(const std::vector<std::int64_t>& hi, std::int64_t tiles,
                           std::int64_t cores, std::int64_t core, std::int64_t earlier) const {
  if (!bands_can_repeat_ || earlier < 1 || earlier >= core || core >= cores) return false;
  const std::int64_t T = tiles;
  const std::int64_t s0 = ceil_div(mul_checked(T, earlier), cores);
  const std::int64_t s1 = ceil_div(mul_checked(T, earlier + 1), cores);
  const std::int64_t t0 = ceil_div(mul_checked(T, core), cores);
  const std::int64_t t1 = ceil_div(mul_checked(T, core + 1), cores);
  const std::int64_t L = t1 - t0, D = t0 - s0;  // tiles per band; from one band to the other
  if (s1 - s0 != L || L <= 0) return false;
  const std::size_t n = nodes_.size();
  auto H = [&](std::size_t v, std::int64_t t) { return rows_done(hi, T, v, t); };
  // Every node's rows shift by the same amount at every tile of the band.
  std::vector<std::int64_t>& shift = band_scratch_;
  shift.assign(n, 0);
  // Under the detailed DRAM model a transfer's bursts depend on where it starts in a burst
  // (DmaTiming::dram_bytes): the shift must keep every node's rows at the same place in theirs.
  for (std::size_t v = 0; v < n; ++v) {
    shift[v] = H(v, t0 - 1) - H(v, s0 - 1);
    if (burst_bytes_ > 0 && mul_checked(shift[v], nodes_[v].dram_row_bytes) % burst_bytes_ != 0)
      return false;
    for (std::int64_t t = t0; t < t1; ++t)
      if (H(v, t) - H(v, t - D) != shift[v]) return false;
  }
  // The earlier band's first rows, as walk() computes them.
  std::vector<std::int64_t>& start = band_start_;
  band_start(hi, T, s0, start);
  // Each read maps its member's rows to its operand's without a cut: from the earlier band's
  // first rows (the lowest either band reads) to the later band's last (the highest).
  for (const Read& rd : reads_) {
    const auto m = static_cast<std::size_t>(rd.member), v = static_cast<std::size_t>(rd.node);
    const std::int64_t a = start[m], b = H(m, t1 - 1);
    switch (rd.map) {
      case RowMap::Window:
        if (shift[v] != shift[m] * rd.stride) return false;
        if (b > a &&
            (a * rd.stride - rd.pad < 0 || (b - 1) * rd.stride - rd.pad + rd.extent > rd.rows))
          return false;
        break;
      case RowMap::Same:
        if (shift[v] != shift[m] || b > rd.rows) return false;
        break;
      case RowMap::All:
      case RowMap::Resize:
        return false;  // excluded by bands_can_repeat_
    }
  }
  return true;
}

std::vector<std::int64_t> FusedGroup::progress(std::int64_t tiles) const {
  const std::int64_t T = tiles;
  const std::size_t n = nodes_.size(), stride = static_cast<std::size_t>(T) + 1;
  // hi[v * (T + 1) + t + 1]: rows [0, hi) of node v exist once tile t is done; the column
  // before tile 0 holds no rows.
  std::vector<std::int64_t> hi(n * stride, 0);
  auto H = [&](std::size_t v, std::int64_t t) -> std::int64_t {
    return hi[v * stride + static_cast<std::size_t>(t + 1)];
  };
  for (std::int64_t t = 0; t < T; ++t) {
    for (std::size_t v : order_) {
      const Node& node = nodes_[v];
      std::int64_t h = H(v, t - 1);
      if (node.layer >= 0 && node.reads.empty()) {
        h = (t + 1) * node.rows / T;
      } else {
        for (int r : node.reads) {
          const Read& rd = reads_[static_cast<std::size_t>(r)];
          const auto m = static_cast<std::size_t>(rd.member);
          if (H(m, t) <= H(m, t - 1)) continue;
          std::int64_t lo = 0, top = 0;
          input_rows(rd, H(m, t - 1), H(m, t), lo, top);
          h = std::max(h, top);
        }
      }
      if (node.layer >= 0 && t == T - 1) h = node.rows;
      hi[v * stride + static_cast<std::size_t>(t + 1)] = h;
    }
  }
  return hi;
}

Footprint FusedGroup::walk(const std::vector<std::int64_t>& hi, std::int64_t tiles,
                           std::int64_t cores, std::int64_t core, TileSink& sink,
                           bool stop_unfit) const {
  const std::int64_t T = tiles;
  // Bands as even as can be, the first the largest.
  const std::int64_t t0 = ceil_div(mul_checked(T, core), cores);
  const std::int64_t t1 = ceil_div(mul_checked(T, core + 1), cores);
  const std::size_t n = nodes_.size();
  // Rows [0, H(v, t)) of node v exist once tile t is done (t >= -1; see progress()).
  auto H = [&](std::size_t v, std::int64_t t) { return rows_done(hi, T, v, t); };
  struct Chunk {
    std::int64_t a, b;
    std::uint32_t id;
    std::int64_t bytes;
    std::int64_t free_tile;
    bool read = false;  // each-step walks: some compute depends on it (a load chunk)
  };
  // The bookkeeping, kept between walks (a search walks thousands of groups) so that
  // it is not allocated again per walk; a walk started from within a walk gets its own.
  struct Scratch {
    std::vector<std::vector<Chunk>> chunks;
    std::vector<std::size_t> head;
    std::vector<std::int64_t> ptr, last, start, lo_at;
    std::vector<std::uint32_t> frees, deps, weight_id;
    bool in_use = false;
  };
  thread_local Scratch shared_scratch;
  Scratch own_scratch;
  Scratch& scratch = shared_scratch.in_use ? own_scratch : shared_scratch;
  scratch.in_use = true;
  struct Release {
    Scratch& s;
    ~Release() { s.in_use = false; }
  } release{scratch};
  // Where this core's band starts: everything its first tile needs, computed from scratch.
  std::vector<std::int64_t>& start = scratch.start;
  band_start(hi, T, t0, start);
  auto first_row = [&](std::size_t v, std::int64_t t) { return t == t0 ? start[v] : H(v, t - 1); };
  // The lowest row read `r` needs at tile t, kNoRead when its member computes nothing then.
  auto read_lo = [&](int r, std::int64_t t) {
    const Read& rd = reads_[static_cast<std::size_t>(r)];
    const auto m = static_cast<std::size_t>(rd.member);
    const std::int64_t a = first_row(m, t), b = H(m, t);
    if (b <= a) return kNoRead;
    std::int64_t lo = 0, top = 0;
    input_rows(rd, a, b, lo, top);
    return lo;
  };

  Footprint peak;
  Footprint live;
  // True when the walk is to stop: the peak no longer fits and `stop_unfit` asks for no more.
  auto note_peak = [&] {
    peak.input = std::max(peak.input, live.input);
    peak.weight = std::max(peak.weight, live.weight);
    peak.output = std::max(peak.output, live.output);
    return stop_unfit && !fits(peak);
  };
  const bool resident = weights_resident();
  // Weights reloaded per tile: core 0 reads each load, the others receive it by multicast (its
  // band has the most tiles, so it makes every load any other core makes, in the same order).
  const std::int64_t leader = core > 0 ? 0 : -1;
  // Totals: one item stands for all of them.
  const bool runs = sink.takes_runs();
  const bool deps_wanted = !runs;
  std::vector<std::uint32_t>& frees = scratch.frees;
  std::vector<std::uint32_t>& deps = scratch.deps;
  std::vector<std::uint32_t>& weight_id = scratch.weight_id;
  weight_id.assign(static_cast<std::size_t>(members_), 0);
  const std::vector<std::int64_t>& weight_of = weight_of_;
  const std::int64_t items = runs ? 1 : net_->batch(), times = runs ? net_->batch() : 1;
  auto at = [&](std::size_t v, std::int64_t item, std::int64_t row) {
    const Node& node = nodes_[v];
    return DramRange{node.value, item * node.item_bytes + row * node.dram_row_bytes, node.layout};
  };
  // The last compute so far (stores and frees wait for it), and whether the band computed.
  std::uint32_t last_compute = 0;
  bool any_compute = false;
  // Input-centric pairs: the producer's chunk of output channels (the most whose rows of the
  // group's tallest tile, over every core's band, fill at most half the output buffer, so that
  // every core cuts the same chunks and its weight loads are core 0's, received by multicast;
  // and whose weights, the producer's
  // and the consumer's, at most half the weight buffer when they are loaded per tile, so that
  // the next chunk's load overlaps this chunk's computes; a multiple of the PE array's columns
  // when that many fit, at least one channel), the consumer's open partial-sum rows, and chunks
  // freed with no consumer compute.
  std::vector<std::int64_t> chunk_of, chunk_bytes_of, open_rows;
  if (input_centric_) {
    chunk_of.assign(layers_.size(), 0);
    chunk_bytes_of.assign(layers_.size(), 0);  // a chunk's rows of the tallest tile
    open_rows.assign(layers_.size(), 0);
  }
  std::vector<std::uint32_t> scatter_frees;
  std::vector<std::pair<std::int64_t, std::int64_t>> scatter_pieces;
  std::vector<std::array<std::int64_t, 3>> chunk_runs;
  // The tallest tile's rows per node: every tile's own, and the first of each band from its
  // band's start (halo rows computed again).
  std::vector<std::int64_t> tallest;
  if (input_centric_) {
    tallest.assign(n, 1);
    for (std::size_t v = 0; v < n; ++v)
      for (std::int64_t t = 0; t < T; ++t) tallest[v] = std::max(tallest[v], H(v, t) - H(v, t - 1));
    std::vector<std::int64_t> band;
    for (std::int64_t c = 1; c < cores; ++c) {
      const std::int64_t b0 = ceil_div(mul_checked(T, c), cores);
      if (b0 >= T) continue;
      band_start(hi, T, b0, band);
      for (std::size_t v = 0; v < n; ++v) tallest[v] = std::max(tallest[v], H(v, b0) - band[v]);
    }
  }
  for (std::size_t pi = 0; pi < layers_.size() && input_centric_; ++pi) {
    if (scatter_to_[pi] < 0) continue;
    const std::int64_t channels = geometry_[pi].channels();
    const std::int64_t rows = tallest[pi];
    const std::int64_t per_channel = std::max<std::int64_t>(
        1, mul_checked(rows, nodes_[pi].row_bytes) / std::max<std::int64_t>(1, channels));
    std::int64_t kc = arch_->core.output_buffer.capacity_bytes / 2 / per_channel;
    if (!resident) {  // and the two layers' weights for a chunk fill at most half their buffer
      const auto qi = static_cast<std::size_t>(scatter_to_[pi]);
      const std::int64_t w_per_channel = std::max<std::int64_t>(
          1, (weight_of_[pi] + weight_of_[qi]) / std::max<std::int64_t>(1, channels));
      kc = std::min(kc, arch_->core.weight_buffer.capacity_bytes / 2 / w_per_channel);
    }
    if (kc >= chunk_unit_) kc = kc / chunk_unit_ * chunk_unit_;
    chunk_of[pi] = std::clamp<std::int64_t>(kc, 1, channels);
    chunk_bytes_of[pi] = mul_checked(chunk_of[pi], per_channel);
  }
  // Input-centric consumers whose partial sums spill: those whose rows open at once in some tile
  // (from the first row not yet complete to the last a kernel row reaches) do not fit the output
  // buffer beside the producer's chunk, and that nothing else in the group reads. Their sums
  // then live in their output tensor and a block of output channels at a time is loaded back,
  // added to and stored again (scatter_spilled below); the block is the most channels whose
  // rows a tile reaches fill a third of the room the chunk leaves (the others: the block loaded
  // back, and the previous block while it is stored). 0: the sums stay on chip.
  std::vector<std::int64_t> spill_block;
  if (input_centric_) spill_block.assign(layers_.size(), 0);
  for (std::size_t q = 0; q < layers_.size() && input_centric_ && spill_; ++q) {
    const int p = scatter_from_[q];
    if (p < 0 || !effective_[q].empty() || !nodes_[q].store) continue;
    const auto pi = static_cast<std::size_t>(p);
    const std::int64_t qlo = start[q], qhi = H(q, t1 - 1);
    std::int64_t open = qlo, live_rows = 0, reach_rows = 0;
    for (std::int64_t t = t0; t < t1; ++t) {
      const std::int64_t pa = first_row(pi, t), pb = H(pi, t);
      if (pb <= pa) continue;
      std::int64_t r_lo = 0, r_hi = 0;
      scatter_reach(q, pa, pb, qlo, qhi, r_lo, r_hi);
      open = std::max({open, H(q, t), r_hi});
      live_rows = std::max(live_rows, open - std::max(qlo, H(q, t - 1)));
      reach_rows = std::max(reach_rows, r_hi - r_lo);
    }
    const std::int64_t cap = arch_->core.output_buffer.capacity_bytes;
    const std::int64_t chunk_bytes = chunk_bytes_of[pi];
    if (mul_checked(live_rows, nodes_[q].row_bytes) + chunk_bytes <= cap) continue;
    const std::int64_t channels = geometry_[q].channels();
    // A block of channels is a strided piece of NHWC rows: only where Q's rows are its own
    // tensor's (not a slice of a concat's).
    std::int64_t qb = channels;
    if (nodes_[q].layout.piece_bytes == 0 && nodes_[q].dram_row_bytes == nodes_[q].row_bytes) {
      const std::int64_t per_channel = std::max<std::int64_t>(
          1, mul_checked(reach_rows, nodes_[q].row_bytes) / std::max<std::int64_t>(1, channels));
      qb = std::max<std::int64_t>(0, cap - chunk_bytes) / 3 / per_channel;
      if (qb >= chunk_unit_) qb = qb / chunk_unit_ * chunk_unit_;
      qb = std::clamp<std::int64_t>(qb, 1, channels);
    }
    spill_block[q] = qb;
  }
  for (std::int64_t item = 0; item < items; ++item) {
    // Per node, its live chunks from index head[v] on (in creation order).
    std::vector<std::vector<Chunk>>& chunks = scratch.chunks;
    if (chunks.size() < n) chunks.resize(n);
    for (std::size_t v = 0; v < n; ++v) chunks[v].clear();
    std::vector<std::size_t>& head = scratch.head;
    head.assign(n, 0);
    std::vector<std::int64_t>& ptr = scratch.ptr;
    std::vector<std::int64_t>& last = scratch.last;
    ptr.assign(reads_.size(), t0);
    last.assign(reads_.size(), -1);
    // read_lo(r, ptr[r]), or kUnknownLo until it is asked for.
    std::vector<std::int64_t>& lo_at = scratch.lo_at;
    lo_at.assign(reads_.size(), kUnknownLo);
    // The last tile a chunk [a, b) of node v is read in (at least `t`).
    auto free_tile = [&](std::size_t v, std::int64_t b, std::int64_t t) {
      std::int64_t f = t;
      for (int r : effective_[v]) {
        const auto ri = static_cast<std::size_t>(r);
        while (ptr[ri] < t1) {
          std::int64_t& lo = lo_at[ri];
          if (lo == kUnknownLo) lo = read_lo(r, ptr[ri]);
          if (lo != kNoRead && lo >= b) break;
          if (lo != kNoRead) last[ri] = ptr[ri];
          ++ptr[ri];
          lo = kUnknownLo;
        }
        f = std::max(f, last[ri]);
      }
      return f;
    };
    // Bytes of the operand rows member mi reads for its rows [a, b); with deps wanted, the
    // external chunks among them are added to `deps` (member rows were computed earlier on
    // this core's in-order compute engine).
    auto operands = [&](std::size_t mi, std::int64_t a, std::int64_t b) {
      std::int64_t bytes = 0;
      for (int r : member_reads_[mi]) {
        const Read& rd = reads_[static_cast<std::size_t>(r)];
        std::int64_t lo = 0, top = 0;
        input_rows(rd, a, b, lo, top);
        bytes += mul_checked(top - lo, nodes_[static_cast<std::size_t>(rd.node)].row_bytes);
        if (!deps_wanted) continue;
        std::vector<int> stack{rd.node};
        while (!stack.empty()) {
          const auto v = static_cast<std::size_t>(stack.back());
          stack.pop_back();
          if (nodes_[v].view) {
            for (int cr : member_reads_[v])
              stack.push_back(reads_[static_cast<std::size_t>(cr)].node);
          } else if (nodes_[v].layer < 0) {
            for (std::size_t k = head[v]; k < chunks[v].size(); ++k) {
              if (Chunk& c = chunks[v][k]; c.a < top && lo < c.b) {
                deps.push_back(c.id);
                c.read = true;
              }
            }
          }
        }
      }
      return bytes;
    };
    // Input-centric pairs: the partial-sum rows of each consumer opened so far in this band
    // (spilled: reached so far), and the last spill of each block of a spilling consumer.
    for (std::size_t q = 0; q < layers_.size() && input_centric_; ++q)
      if (scatter_from_[q] >= 0) open_rows[q] = start[q];
    std::vector<std::vector<std::uint32_t>> spill_ids(input_centric_ ? layers_.size() : 0);
    std::uint32_t last_owner = 0;  // the last allocating compute of a spilling consumer
    // Producer pi's chunk of channels [k0, k1) of its rows [pa, pb), and then consumer q's
    // weights for those channels (laid out input channel first, its bias ahead of them) unless
    // they stay resident: their steps' ids and bytes. True when the walk is to stop (note_peak).
    struct ChunkSteps {
      std::uint32_t pid = 0, qw_id = 0;
      std::int64_t chunk_bytes = 0, qw = 0;
    };
    auto produce_chunk = [&](std::size_t pi, std::size_t q, std::int64_t pa, std::int64_t pb,
                             std::int64_t k0, std::int64_t k1, std::int64_t reps, ChunkSteps& st) {
      const Node& pn = nodes_[pi];
      const Node& qn = nodes_[q];
      const LayerGeometry& gp = geometry_[pi];
      deps.clear();
      const std::int64_t pw = gp.weight_bytes(k0, k1);
      const std::int64_t read_bytes = pw + operands(pi, pa, pb);
      std::uint32_t pw_id = 0;
      if (pw > 0) {
        if (!resident) {
          pw_id = sink.load(TensorKind::Weight, BufferRole::Weight, pn.layer,
                            DramRange{pn.value, gp.weight_bytes(0, k0), {}, leader}, pw, reps);
          live.weight += pw;
        }
        if (deps_wanted) deps.push_back(resident ? weight_id[pi] : pw_id);
      }
      std::sort(deps.begin(), deps.end());
      deps.erase(std::unique(deps.begin(), deps.end()), deps.end());
      st.chunk_bytes = gp.output_bytes(pa, pb, k0, k1);
      st.pid =
          sink.compute(pn.layer, st.chunk_bytes, gp.work(pa, pb, k0, k1), read_bytes, deps, reps);
      last_compute = st.pid;
      any_compute = true;
      live.output += st.chunk_bytes;
      if (note_peak()) return true;
      if (pw > 0 && !resident) {
        if (!runs) sink.add_frees(st.pid, {pw_id});
        live.weight -= pw;
      }
      st.qw = consumer_weight_bytes(q, k0, k1);
      st.qw_id = weight_id[q];
      if (!resident) {
        st.qw_id = sink.load(
            TensorKind::Weight, BufferRole::Weight, qn.layer,
            DramRange{qn.value, k0 == 0 ? 0 : consumer_weight_bytes(q, 0, k0), {}, leader}, st.qw,
            reps);
        live.weight += st.qw;
        if (note_peak()) return true;
      }
      return false;
    };
    // After a chunk's last compute: the next chunk's loads wait for it where they do not fit
    // beside it; the chunk's outputs and its consumer's weights (`qw`, unless resident) are freed
    // as it ends.
    auto hold_chunk = [&](std::int64_t qw, std::int64_t chunk_bytes) {
      const std::int64_t qw_freed = resident ? 0 : qw;
      sink.hold({0, qw_freed, chunk_bytes}, 0,
                {live.input, live.weight - qw_freed, live.output - chunk_bytes});
    };
    // Consumer q's turn in tile t: its producer's rows of the tile, a chunk of channels at a
    // time, each scattered into q's partial sums. True when the walk is to stop (note_peak).
    auto scatter = [&](std::size_t q, std::int64_t t) {
      const auto pi = static_cast<std::size_t>(scatter_from_[q]);
      const Node& qn = nodes_[q];
      const LayerGeometry& gp = geometry_[pi];
      const LayerGeometry& gq = geometry_[q];
      const Layer& lq = net_->layer(qn.layer);
      const std::int64_t pa = first_row(pi, t), pb = H(pi, t);
      if (pb <= pa) return false;
      const std::int64_t qlo = start[q], qhi = H(q, t1 - 1);
      const std::int64_t kernel_rows = lq.type == LayerType::Conv ? lq.kernel_h : 1;
      // The rows this tile opens: those its producer's rows reach, and those it completes.
      std::int64_t& open = open_rows[q];
      // The computes of a chunk: one per kernel row that reaches some of Q's rows.
      std::int64_t opened = std::max(open, H(q, t));
      std::size_t computes = 0;
      for (std::int64_t kh = 0; kh < kernel_rows; ++kh) {
        std::int64_t o0 = 0, o1 = 0;
        scatter_rows(q, kh, pa, pb, qlo, qhi, o0, o1);
        if (o1 > o0) opened = std::max(opened, o1), ++computes;
      }
      // The opened rows, cut where a tile completes them: each piece its own allocation, freed
      // (stored) by the tile that completes it. The first chunk's computes allocate them, one
      // each; pieces beyond its computes join the last.
      std::vector<std::pair<std::int64_t, std::int64_t>>& pieces = scatter_pieces;
      pieces.clear();
      for (std::int64_t u = t, a = open; a < opened; ++u) {
        const std::int64_t b = std::min(opened, H(q, u));
        if (b > a) pieces.emplace_back(a, b), a = b;
      }
      if (computes > 0 && pieces.size() > computes) {
        pieces[computes - 1].second = pieces.back().second;
        pieces.resize(computes);
      }
      std::size_t next_piece = 0;
      const std::int64_t channels = gp.channels(), kc = chunk_of[pi];
      const std::int64_t out_channels = gq.channels();
      const std::int64_t elem = arch_->element_bytes();
      const std::int64_t taps_w = lq.type == LayerType::Conv ? lq.kernel_w : 1;
      bool allocated = false;
      // The chunks in order; a sink that takes runs gets the chunks after the first that are
      // alike (as wide: the same work and bytes) as one.
      std::vector<std::array<std::int64_t, 3>>& runs_of = chunk_runs;  // k0, k1, chunks
      runs_of.clear();
      if (runs) {
        const std::int64_t full = channels / kc;
        runs_of.push_back({0, kc, 1});
        if (full > 1) runs_of.push_back({kc, 2 * kc, full - 1});
        if (channels % kc > 0) runs_of.push_back({full * kc, channels, 1});
      } else {
        for (std::int64_t k0 = 0; k0 < channels; k0 += kc)
          runs_of.push_back({k0, std::min(channels, k0 + kc), 1});
      }
      for (const auto& [k0, k1, alike] : runs_of) {
        const std::int64_t reps = mul_checked(times, alike);
        ChunkSteps st;
        if (produce_chunk(pi, q, pa, pb, k0, k1, reps, st)) return true;
        const std::int64_t chunk_bytes = st.chunk_bytes, qw = st.qw;
        const std::uint32_t pid = st.pid, qw_id = st.qw_id;
        std::uint32_t last_q = 0;
        bool any_q = false;
        for (std::int64_t kh = 0; kh < kernel_rows; ++kh) {
          std::int64_t o0 = 0, o1 = 0;
          scatter_rows(q, kh, pa, pb, qlo, qhi, o0, o1);
          if (o1 <= o0) continue;
          TileWork w = gq.work(o0, o1, 0, out_channels, k1 - k0);
          w.k = mul_checked(k1 - k0, taps_w);
          w.accumulate = true;  // into rows allocated with the bias, or reached before
          // The activation of the rows this tile opens, once, with their first contribution.
          w.epilogue_ops = allocated ? 0 : gq.work(open, opened, 0, out_channels).epilogue_ops;
          const bool allocates = k0 == 0 && next_piece < pieces.size();
          const std::int64_t out =
              allocates
                  ? mul_checked(pieces[next_piece].second - pieces[next_piece].first, qn.row_bytes)
                  : 0;
          const std::int64_t w_read =
              mul_checked(mul_checked(mul_checked(k1 - k0, taps_w), out_channels), elem) +
              (k0 == 0 && kh == 0 && lq.bias ? mul_checked(out_channels, elem) : 0);
          deps.clear();
          if (deps_wanted) deps.push_back(qw_id);
          const std::uint32_t id = sink.compute(qn.layer, out, w, chunk_bytes + w_read, deps, reps);
          if (allocates) {
            // Complete, and read by no one, once some tile completes its last row.
            const auto [a, b] = pieces[next_piece++];
            std::int64_t tc = t;
            while (H(q, tc) < b) ++tc;
            chunks[q].push_back({a, b, id, out, free_tile(q, b, tc)});
            live.output += out;
          }
          allocated = true;
          last_q = id;
          any_q = true;
          last_compute = id;
          if (note_peak()) return true;
        }
        hold_chunk(qw, chunk_bytes);
        live.output -= chunk_bytes;
        if (!runs) {
          std::vector<std::uint32_t> done{pid};
          if (!resident) done.push_back(qw_id);
          if (any_q) {
            sink.add_frees(last_q, done);
          } else {
            scatter_frees.insert(scatter_frees.end(), done.begin(), done.end());
          }
        }
        if (!resident) live.weight -= qw;
      }
      if (next_piece < pieces.size())
        throw std::logic_error("an input-centric tile opens rows it does not compute");
      open = opened;
      return false;
    };
    // Consumer q's turn in tile t when its partial sums spill (spill_block[q] > 0): per chunk of
    // its producer's channels (computed as in scatter), per block of its output channels, the
    // rows the tile reaches that an earlier chunk or tile reached are loaded back, the kernel
    // rows' computes add to them, and they are stored again: in the last chunk the rows this
    // tile completes as output, the others as partial sums. True when the walk is to stop.
    auto scatter_spilled = [&](std::size_t q, std::int64_t t) {
      const auto pi = static_cast<std::size_t>(scatter_from_[q]);
      const Node& qn = nodes_[q];
      const LayerGeometry& gp = geometry_[pi];
      const LayerGeometry& gq = geometry_[q];
      const Layer& lq = net_->layer(qn.layer);
      const std::int64_t pa = first_row(pi, t), pb = H(pi, t);
      if (pb <= pa) return false;
      const std::int64_t qlo = start[q], qhi = H(q, t1 - 1);
      if (qlo != H(q, t0 - 1)) throw std::logic_error("a spilling consumer's band starts low");
      const std::int64_t kernel_rows = lq.type == LayerType::Conv ? lq.kernel_h : 1;
      std::int64_t r_lo = 0, r_hi = 0;
      scatter_reach(q, pa, pb, qlo, qhi, r_lo, r_hi);
      if (r_hi <= r_lo) return false;
      // Rows below `reached` have sums in DRAM (or are complete); rows below `done` have all
      // their contributions once this tile's last chunk is in: their last kernel row reads a
      // row of P below pb (a row a later tile completes may be complete before that tile).
      std::int64_t& reached = open_rows[q];
      std::int64_t whole = 0, done = 0;
      scatter_rows(q, kernel_rows - 1, 0, pb, qlo, qhi, whole, done);
      done = std::clamp(done, r_lo, r_hi);
      const std::int64_t channels = gp.channels(), kc = chunk_of[pi], qb = spill_block[q];
      const std::int64_t out_channels = gq.channels();
      const std::int64_t elem = arch_->element_bytes();
      const std::int64_t taps_w = lq.type == LayerType::Conv ? lq.kernel_w : 1;
      const auto range = [&](std::int64_t a, std::int64_t j0, std::int64_t j1) {
        if (qb == out_channels) return at(q, item, a);
        return DramRange{qn.value, item * qn.item_bytes + gq.output_offset(a, j0),
                         gq.output_layout(j0, j1)};
      };
      std::vector<std::uint32_t>& last_spill = spill_ids[q];
      std::vector<std::uint32_t> after;
      std::int64_t storing = 0;  // the bytes of the block last stored (until the next allocation)
      last_spill.resize(static_cast<std::size_t>(ceil_div(out_channels, qb)), 0);
      // The chunks: the first, the full ones between (alike), the last.
      const std::int64_t n_chunks = ceil_div(channels, kc);
      std::vector<std::array<std::int64_t, 3>>& runs_of = chunk_runs;  // k0, k1, chunks
      runs_of.clear();
      runs_of.push_back({0, std::min(kc, channels), 1});
      if (runs && n_chunks > 2) {
        runs_of.push_back({kc, 2 * kc, n_chunks - 2});
      } else {
        for (std::int64_t c = 1; c + 1 < n_chunks; ++c)
          runs_of.push_back({c * kc, (c + 1) * kc, 1});
      }
      if (n_chunks > 1) runs_of.push_back({(n_chunks - 1) * kc, channels, 1});
      for (const auto& [k0, k1, alike] : runs_of) {
        const std::int64_t reps = mul_checked(times, alike);
        const bool first = k0 == 0, final_chunk = k1 == channels;
        ChunkSteps st;
        if (produce_chunk(pi, q, pa, pb, k0, k1, reps, st)) return true;
        const std::int64_t chunk_bytes = st.chunk_bytes, qw = st.qw;
        const std::uint32_t pid = st.pid, qw_id = st.qw_id;
        std::uint32_t last_q = 0;
        for (std::int64_t j0 = 0, b = 0; j0 < out_channels; j0 += qb, ++b) {
          const std::int64_t j1 = std::min(out_channels, j0 + qb);
          // The block's sums an earlier chunk or tile stored, loaded back.
          const std::int64_t back = first ? std::min(r_hi, reached) : r_hi;
          std::uint32_t back_id = 0;
          const std::int64_t back_bytes = back > r_lo ? gq.output_bytes(r_lo, back, j0, j1) : 0;
          // Loaded once the previous block has its allocation (the load engine runs ahead of
          // the computes: it must not take the room that allocation waits for).
          if (back_bytes > 0) {
            after.clear();
            if (deps_wanted) after = {last_spill[static_cast<std::size_t>(b)], last_owner};
            back_id = sink.reload_psums(qn.layer, range(r_lo, j0, j1), back_bytes, after, reps);
            live.output += back_bytes;
            if (note_peak()) return true;
          }
          const std::int64_t block_bytes = gq.output_bytes(r_lo, r_hi, j0, j1);
          std::uint32_t owner = 0;
          bool allocated = false;
          for (std::int64_t kh = 0; kh < kernel_rows; ++kh) {
            std::int64_t o0 = 0, o1 = 0;
            scatter_rows(q, kh, pa, pb, qlo, qhi, o0, o1);
            if (o1 <= o0) continue;
            TileWork w = gq.work(o0, o1, j0, j1, k1 - k0);
            w.k = mul_checked(k1 - k0, taps_w);
            w.accumulate = true;
            // The activation of the rows this tile reaches first, once, with their first
            // contribution.
            w.epilogue_ops = first && !allocated && r_hi > std::max(r_lo, reached)
                                 ? gq.work(std::max(r_lo, reached), r_hi, j0, j1).epilogue_ops
                                 : 0;
            const std::int64_t w_read =
                mul_checked(mul_checked(mul_checked(k1 - k0, taps_w), j1 - j0), elem) +
                (first && !allocated && lq.bias ? mul_checked(j1 - j0, elem) : 0);
            deps.clear();
            if (deps_wanted) {
              deps.push_back(qw_id);
              if (back_bytes > 0 && !allocated) deps.push_back(back_id);
            }
            const std::uint32_t id = sink.compute(qn.layer, allocated ? 0 : block_bytes, w,
                                                  chunk_bytes + w_read, deps, reps);
            if (!allocated) {
              // The previous block may still be in its store: counted until this allocation.
              owner = last_owner = id;
              live.output += block_bytes;
              if (note_peak()) return true;
              live.output -= storing;
              storing = 0;
              if (back_bytes > 0) {
                if (!runs) sink.add_frees(id, {back_id});
                live.output -= back_bytes;
              }
            }
            allocated = true;
            last_q = id;
            last_compute = id;
          }
          if (!allocated) throw std::logic_error("a spilling block computes nothing");
          // Stored again: the rows complete after the last chunk as output, the rest spilled.
          const std::int64_t final_hi = final_chunk ? done : r_lo;
          if (final_hi > r_lo) {
            sink.store(qn.layer, range(r_lo, j0, j1), gq.output_bytes(r_lo, final_hi, j0, j1),
                       last_q, final_hi < r_hi ? TileSink::kKeep : owner, reps);
          }
          if (final_hi < r_hi) {
            last_spill[static_cast<std::size_t>(b)] =
                sink.spill_psums(qn.layer, range(final_hi, j0, j1),
                                 gq.output_bytes(final_hi, r_hi, j0, j1), last_q, owner, reps);
          }
          storing = block_bytes;
        }
        hold_chunk(qw, chunk_bytes);
        live.output -= chunk_bytes;
        if (!runs) {
          std::vector<std::uint32_t> freed{pid};
          if (!resident) freed.push_back(qw_id);
          sink.add_frees(last_q, freed);
        }
        if (!resident) live.weight -= qw;
      }
      reached = std::max(reached, r_hi);
      live.output -= storing;
      storing = 0;
      return false;
    };
    for (std::int64_t t = t0; t < t1; ++t) {
      // The external rows this tile reads, loaded first. An external value only a concat views
      // and no member computes from (the concat's other inputs, when the concat is stored) is
      // not loaded by the tiles: it is already in the concat's tensor in DRAM, or it is a
      // foreign operand, copied there after the tiles when the tensor must be written.
      for (std::size_t v = layers_.size(); v < n; ++v) {
        const std::int64_t a = first_row(v, t), b = H(v, t);
        if (b <= a || effective_[v].empty()) continue;
        const int reader = layers_[static_cast<std::size_t>(
            reads_[static_cast<std::size_t>(nodes_[v].reads[0])].member)];
        const std::int64_t bytes = mul_checked(b - a, nodes_[v].row_bytes);
        const std::uint32_t id =
            sink.load(TensorKind::Ifmap, BufferRole::Input, reader, at(v, item, a), bytes, times);
        live.input += bytes;
        chunks[v].push_back({a, b, id, bytes, free_tile(v, b, t)});
      }
      bool computed = false;
      std::int64_t reloaded = 0;  // weights loaded for this tile only
      for (int m = 0; m < members_; ++m) {
        const auto mi = static_cast<std::size_t>(m);
        const Node& node = nodes_[mi];
        // Resident weights: each member's are loaded once, in the band's first tile just before
        // the member computes, so that the first computes wait for their own weights only.
        // Every core loads them all, in the same order: core 0 reads them, the others receive
        // them by multicast.
        if (resident && item == 0 && t == t0 && weight_of[mi] > 0) {
          weight_id[mi] =
              sink.load(TensorKind::Weight, BufferRole::Weight, layers_[mi],
                        DramRange{nodes_[mi].value, 0, {}, core > 0 ? 0 : -1}, weight_of[mi], 1);
          live.weight += weight_of[mi];
        }
        // An input-centric producer computes at its consumer's turn, a chunk at a time.
        if (scatter_to_[mi] >= 0) continue;
        if (scatter_from_[mi] >= 0) {
          if (spill_block[mi] > 0 ? scatter_spilled(mi, t) : scatter(mi, t)) return peak;
          continue;
        }
        const std::int64_t a = first_row(mi, t), b = H(mi, t);
        if (node.view || b <= a) continue;
        deps.clear();
        std::int64_t read_bytes = weight_of[mi] + operands(mi, a, b);
        if (weight_of[mi] > 0) {
          if (!resident) {
            weight_id[mi] = sink.load(TensorKind::Weight, BufferRole::Weight, node.layer,
                                      DramRange{node.value, 0, {}, leader}, weight_of[mi], times);
            live.weight += weight_of[mi];
          }
          if (deps_wanted) deps.push_back(weight_id[mi]);
        }
        std::sort(deps.begin(), deps.end());
        deps.erase(std::unique(deps.begin(), deps.end()), deps.end());
        const RowsWork& rw = rows_work(mi, b - a);
        const std::int64_t out_bytes = rw.out_bytes;
        const std::uint32_t id =
            sink.compute(node.layer, out_bytes, rw.work, read_bytes, deps, times);
        live.output += out_bytes;
        if (note_peak()) return peak;
        if (weight_of[mi] > 0 && !resident) {
          if (!runs) sink.add_frees(id, {weight_id[mi]});
          live.weight -= weight_of[mi];
          reloaded += weight_of[mi];
        }
        chunks[mi].push_back({a, b, id, out_bytes, free_tile(mi, b, t)});
        computed = true;
        last_compute = id;
        any_compute = true;
      }
      if (note_peak()) return peak;
      // What the tile frees as its computes end (weights loaded per tile too: the next tile's
      // load of them waits for those computes) and as its stores end.
      const Footprint before{live.input, live.weight + reloaded, live.output};
      std::int64_t stored = 0;
      // An input-centric consumer may complete rows whose last contributions came earlier.
      if (!computed && !input_centric_) throw std::logic_error("fused group tile computes nothing");
      if (!any_compute) throw std::logic_error("fused group band computes nothing");
      // End of the tile: release what no later tile reads; store finished output rows.
      frees.clear();
      frees.insert(frees.end(), scatter_frees.begin(), scatter_frees.end());
      scatter_frees.clear();
      for (std::size_t v = 0; v < n; ++v) {
        const Node& node = nodes_[v];
        while (head[v] < chunks[v].size() && chunks[v][head[v]].free_tile <= t) {
          const Chunk c = chunks[v][head[v]++];
          // The simulator frees a load's bytes when the tile's last compute completes; only a
          // compute that depends on the load is sure to come after it (else the bytes leak).
          if (deps_wanted && node.layer < 0 && !c.read)
            throw std::logic_error("a fused group loads rows that no compute reads");
          (node.layer < 0 ? live.input : live.output) -= c.bytes;
          // Rows below this band's first own row were stored by the previous core.
          const std::int64_t own = std::max(c.a, H(v, t0 - 1));
          if (node.store && own < c.b) {
            sink.store(node.layer, at(v, item, own), mul_checked(c.b - own, node.row_bytes),
                       last_compute, c.id, times);
            stored += c.bytes;
          } else {
            frees.push_back(c.id);
          }
        }
        if (head[v] == chunks[v].size()) {  // none live: start the node's list again
          chunks[v].clear();
          head[v] = 0;
        }
      }
      if (resident && item + 1 == items && t + 1 == t1) {
        for (int m = 0; m < members_; ++m) {
          const auto mi = static_cast<std::size_t>(m);
          if (weight_of[mi] > 0) frees.push_back(weight_id[mi]), live.weight -= weight_of[mi];
        }
      }
      if (!runs && !frees.empty()) sink.add_frees(last_compute, frees);
      sink.hold({before.input - live.input, before.weight - live.weight,
                 before.output - live.output - stored},
                stored, {live.input, live.weight, live.output});
    }
  }
  // Concats that must be written copy their foreign operands into their tensors, every item at
  // once (such a concat is stored: a network output, or inside one).
  for (int m = 0; m < members_; ++m) {
    const Node& node = nodes_[static_cast<std::size_t>(m)];
    if (!node.copies) continue;
    walk_concat_copy(*net_, *arch_, node.layer, cores, core, sink);
    peak.output = std::max(peak.output, concat_copy_chunk_bytes(*arch_));
  }
  return peak;
}

}  // namespace fusim
