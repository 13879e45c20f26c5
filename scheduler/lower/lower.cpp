#include "lower/lower.h"

#include <algorithm>

#include "common/checked.h"
#include "common/error.h"
#include "cost/cost_model.h"
#include "cost/fused_plan.h"
#include "cost/tiling.h"

namespace fusim {

namespace {

constexpr std::int64_t kAlign = 4096;

std::int64_t align_up(std::int64_t x) {
  return ceil_div(x, kAlign) * kAlign;
}

// A load or store in pieces: kept only when it really has more than one.
void set_layout(Command& c, const TileLayout& t) {
  if (t.piece_bytes > 0 && c.bytes > t.piece_bytes) {
    c.piece_bytes = t.piece_bytes;
    c.stride_bytes = t.stride_bytes;
  }
}

// Emits the commands of one core's channel slice of one layer.
class SliceEmitter {
 public:
  SliceEmitter(std::vector<Command>& out, const Network& net, int layer_index,
               const LayerGeometry& g, const AddressMap& map, std::int64_t elem)
      : out_(out), net_(net), li_(layer_index), g_(g), map_(map), elem_(elem) {}

  void emit(ChannelSlice s, const LayerTiling& t) {
    const std::int64_t batch = net_.batch();
    const std::int64_t rows = g_.rows(), h = t.rows_per_tile, kc = t.channels_per_tile;
    const bool has_weights = g_.weight_bytes(0, 1) > 0;
    if (g_.b_is_activation()) {
      for (std::int64_t b = 0; b < batch; ++b) {
        for (std::int64_t k = s.begin; k < s.end; k += kc) {
          const std::int64_t k1 = std::min(k + kc, s.end);
          const std::uint32_t wl = load_b_operand(b, k, k1);
          for (std::int64_t r = 0; r < rows; r += h) {
            tile(b, r, std::min(r + h, rows), k, k1, wl, r + h >= rows);
          }
        }
      }
    } else if (t.weights_outer) {
      for (std::int64_t k = s.begin; k < s.end; k += kc) {
        const std::int64_t k1 = std::min(k + kc, s.end);
        const std::uint32_t wl = has_weights ? load_weights(k, k1) : kNone;
        for (std::int64_t b = 0; b < batch; ++b) {
          for (std::int64_t r = 0; r < rows; r += h) {
            const std::int64_t r1 = std::min(r + h, rows);
            const bool last = b + 1 == batch && r + h >= rows;
            if (t.in_channels_per_tile > 0) {
              tile_in_channel_pieces(b, r, r1, k, k1, wl, last, t.in_channels_per_tile);
            } else {
              tile(b, r, r1, k, k1, wl, last);
            }
          }
        }
      }
    } else {
      for (std::int64_t b = 0; b < batch; ++b) {
        for (std::int64_t r = 0; r < rows; r += h) {
          const std::int64_t r1 = std::min(r + h, rows);
          const std::vector<std::uint32_t> in = load_inputs(b, r, r1, s.begin, s.end);
          for (std::int64_t k = s.begin; k < s.end; k += kc) {
            const std::int64_t k1 = std::min(k + kc, s.end);
            const std::uint32_t wl = load_weights(k, k1);
            compute_and_store(b, r, r1, k, k1, in, wl, true, k1 >= s.end);
          }
        }
      }
    }
  }

 private:
  static constexpr std::uint32_t kNone = UINT32_MAX;

  std::uint32_t push(Command c) {
    c.layer = li_;
    out_.push_back(std::move(c));
    return static_cast<std::uint32_t>(out_.size() - 1);
  }

  std::uint32_t load_weights(std::int64_t k0, std::int64_t k1) {
    Command c;
    c.op = CommandOp::Load;
    c.kind = TensorKind::Weight;
    c.buffer = BufferRole::Weight;
    c.bytes = g_.weight_bytes(k0, k1);
    c.addr = map_.weight_base[static_cast<std::size_t>(li_)] + g_.weight_bytes(0, k0);
    return push(std::move(c));
  }

  std::uint32_t load_b_operand(std::int64_t b, std::int64_t k0, std::int64_t k1) {
    const Layer& l = net_.layer(li_);
    Command c;
    c.op = CommandOp::Load;
    c.kind = TensorKind::Ifmap;
    c.buffer = BufferRole::Weight;
    c.bytes = g_.weight_bytes(k0, k1);
    c.addr = map_.operand_base(l.inputs[1]) + b * l.in_shapes[1].elements() * elem_ +
             g_.weight_bytes(0, k0);
    return push(std::move(c));
  }

  std::vector<std::uint32_t> load_inputs(std::int64_t b, std::int64_t r0, std::int64_t r1,
                                         std::int64_t k0, std::int64_t k1) {
    const Layer& l = net_.layer(li_);
    std::vector<std::uint32_t> ids;
    for (int i = 0; i < g_.input_count(); ++i) {
      const std::int64_t bytes = g_.input_bytes(i, r0, r1, k0, k1);
      if (bytes == 0) continue;
      Command c;
      c.op = CommandOp::Load;
      c.kind = TensorKind::Ifmap;
      c.buffer = BufferRole::Input;
      c.bytes = bytes;
      c.addr = map_.operand_base(l.inputs[static_cast<std::size_t>(i)]) +
               b * l.in_shapes[static_cast<std::size_t>(i)].elements() * elem_ +
               g_.input_offset(i, r0, k0);
      set_layout(c, g_.input_layout(i, k0, k1));
      ids.push_back(push(std::move(c)));
    }
    return ids;
  }

  void compute_and_store(std::int64_t b, std::int64_t r0, std::int64_t r1, std::int64_t k0,
                         std::int64_t k1, const std::vector<std::uint32_t>& in, std::uint32_t wl,
                         bool free_weights, bool free_inputs) {
    Command c;
    c.op = CommandOp::Compute;
    c.buffer = BufferRole::Output;
    c.bytes = g_.output_bytes(r0, r1, k0, k1);
    c.work = g_.work(r0, r1, k0, k1);
    c.deps = in;
    if (wl != kNone) c.deps.push_back(wl);
    if (free_inputs) c.frees = in;
    if (free_weights && wl != kNone) c.frees.push_back(wl);
    const std::uint32_t comp = push(std::move(c));
    store(b, r0, r1, k0, k1, comp, comp);
  }

  // Stores an output tile once command `last` has computed it; frees the allocation of `owner`.
  void store(std::int64_t b, std::int64_t r0, std::int64_t r1, std::int64_t k0, std::int64_t k1,
             std::uint32_t last, std::uint32_t owner) {
    Command st;
    st.op = CommandOp::Store;
    st.kind = TensorKind::Ofmap;
    st.buffer = BufferRole::Output;
    st.bytes = g_.output_bytes(r0, r1, k0, k1);
    st.addr = map_.output_base[static_cast<std::size_t>(li_)] +
              b * net_.layer(li_).out_shape.elements() * elem_ + g_.output_offset(r0, k0);
    set_layout(st, g_.output_layout(k0, k1));
    st.deps = {last};
    st.frees = {owner};
    push(std::move(st));
  }

  void tile(std::int64_t b, std::int64_t r0, std::int64_t r1, std::int64_t k0, std::int64_t k1,
            std::uint32_t wl, bool last_use_of_weights) {
    const std::vector<std::uint32_t> in = load_inputs(b, r0, r1, k0, k1);
    compute_and_store(b, r0, r1, k0, k1, in, wl, last_use_of_weights, true);
  }

  // A dense conv tile whose input rows are loaded in pieces of `cc` input channels; every piece
  // accumulates into the output allocation of the first piece's compute.
  void tile_in_channel_pieces(std::int64_t b, std::int64_t r0, std::int64_t r1, std::int64_t k0,
                              std::int64_t k1, std::uint32_t wl, bool last_use_of_weights,
                              std::int64_t cc) {
    const Layer& l = net_.layer(li_);
    const std::int64_t channels = g_.input_channel_count();
    std::uint32_t owner = kNone, prev = kNone;
    for (std::int64_t c0 = 0; c0 < channels; c0 += cc) {
      const std::int64_t c_len = std::min(cc, channels - c0);
      Command in;
      in.op = CommandOp::Load;
      in.kind = TensorKind::Ifmap;
      in.buffer = BufferRole::Input;
      in.bytes = g_.input_bytes(0, r0, r1, k0, k1, c_len);
      in.addr = map_.operand_base(l.inputs[0]) + b * l.in_shapes[0].elements() * elem_ +
                g_.input_offset(0, r0, k0, c0);
      set_layout(in, g_.input_layout(0, k0, k1, c_len));
      const std::uint32_t load = push(std::move(in));
      Command c;
      c.op = CommandOp::Compute;
      c.buffer = BufferRole::Output;
      c.bytes = owner == kNone ? g_.output_bytes(r0, r1, k0, k1) : 0;
      c.work = g_.work(r0, r1, k0, k1, c_len);
      c.deps = {load};
      if (wl != kNone) c.deps.push_back(wl);
      if (prev != kNone) c.deps.push_back(prev);
      c.frees = {load};
      if (c0 + c_len >= channels && last_use_of_weights && wl != kNone) c.frees.push_back(wl);
      prev = push(std::move(c));
      if (owner == kNone) owner = prev;
    }
    store(b, r0, r1, k0, k1, prev, owner);
  }

  std::vector<Command>& out_;
  const Network& net_;
  int li_;
  const LayerGeometry& g_;
  const AddressMap& map_;
  std::int64_t elem_;
};

// Emits the steps of a fused group's walk as one core's commands.
class FusedEmitter : public PlanSink {
 public:
  FusedEmitter(std::vector<Command>& out, const Network& net, const AddressMap& map,
               std::int64_t elem)
      : out_(out), net_(net), map_(map), elem_(elem) {}

  std::uint32_t load(TensorKind kind, BufferRole buffer, int layer, ValueRef value,
                     std::int64_t item, std::int64_t row0, std::int64_t bytes) override {
    Command c;
    c.op = CommandOp::Load;
    c.kind = kind;
    c.buffer = buffer;
    c.layer = layer;
    c.bytes = bytes;
    c.addr = kind == TensorKind::Weight ? map_.weight_base[static_cast<std::size_t>(layer)]
                                        : address(value, item, row0);
    return push(std::move(c));
  }
  std::uint32_t compute(int layer, std::int64_t out_bytes, const TileWork& work, std::int64_t,
                        const std::vector<std::uint32_t>& deps) override {
    Command c;
    c.op = CommandOp::Compute;
    c.buffer = BufferRole::Output;
    c.layer = layer;
    c.bytes = out_bytes;
    c.work = work;
    c.deps = deps;
    return push(std::move(c));
  }
  void store(int layer, std::int64_t item, std::int64_t row0, std::int64_t bytes, std::uint32_t dep,
             std::uint32_t owner) override {
    Command c;
    c.op = CommandOp::Store;
    c.kind = TensorKind::Ofmap;
    c.buffer = BufferRole::Output;
    c.layer = layer;
    c.bytes = bytes;
    c.addr = address({false, layer}, item, row0);
    c.deps = {dep};
    c.frees = {owner};
    push(std::move(c));
  }
  void add_frees(std::uint32_t id, const std::vector<std::uint32_t>& frees) override {
    auto& f = out_[id].frees;
    f.insert(f.end(), frees.begin(), frees.end());
  }

 private:
  std::uint32_t push(Command c) {
    out_.push_back(std::move(c));
    return static_cast<std::uint32_t>(out_.size() - 1);
  }
  // Rows are full width and all channels (NHWC), so row r of item b starts at a fixed stride.
  std::int64_t address(ValueRef v, std::int64_t item, std::int64_t row0) const {
    const Shape& s = v.network_input ? net_.inputs()[static_cast<std::size_t>(v.index)].shape
                                     : net_.layer(v.index).out_shape;
    const std::int64_t base = v.network_input ? map_.input_base[static_cast<std::size_t>(v.index)]
                                              : map_.output_base[static_cast<std::size_t>(v.index)];
    return base + (item * s.elements() + row0 * s.w * s.c) * elem_;
  }

  std::vector<Command>& out_;
  const Network& net_;
  const AddressMap& map_;
  std::int64_t elem_;
};

}  // namespace

std::int64_t AddressMap::operand_base(const Operand& op) const {
  return op.from_network_input ? input_base[static_cast<std::size_t>(op.index)]
                               : output_base[static_cast<std::size_t>(op.index)];
}

AddressMap plan_addresses(const Network& net, const Arch& arch) {
  const std::int64_t elem = arch.element_bytes();
  const std::int64_t batch = net.batch();
  AddressMap m;
  std::int64_t next = 0;
  for (const NetworkInput& in : net.inputs()) {
    m.input_base.push_back(next);
    next = align_up(next + in.shape.elements() * batch * elem);
  }
  for (const Layer& l : net.layers()) {
    m.weight_base.push_back(next);
    next = align_up(next + l.params() * elem);
  }
  const std::size_t n = net.layers().size();
  m.output_base.assign(n, -1);
  // Reverse topological order: a concat is placed before its producers, which it then places
  // inside itself.
  for (std::size_t i = n; i-- > 0;) {
    const Layer& l = net.layers()[i];
    if (m.output_base[i] < 0) {
      m.output_base[i] = next;
      next = align_up(next + l.out_shape.elements() * batch * elem);
    }
    if (l.type != LayerType::Concat) continue;
    std::int64_t offset = 0;
    for (std::size_t j = 0; j < l.inputs.size(); ++j) {
      const Operand& op = l.inputs[j];
      if (!op.from_network_input && m.output_base[static_cast<std::size_t>(op.index)] < 0) {
        m.output_base[static_cast<std::size_t>(op.index)] = m.output_base[i] + offset;
      }
      offset += l.in_shapes[j].elements() * batch * elem;
    }
  }
  m.end = next;
  return m;
}

void check_address_space(const AddressMap& map, const std::string& net_file) {
  const std::int64_t end = map.end;
  if (end > kDramAddressBytes) {
    throw InputError(net_file, 0, "",
                     "the network's inputs, weights and feature maps need " + std::to_string(end) +
                         " bytes of DRAM, beyond fusim's 2^48-byte address space");
  }
}

Program lower(const Network& net, const Arch& arch, const Schedule& schedule) {
  Program p;
  p.schedule = schedule;
  p.cores.assign(static_cast<std::size_t>(arch.core_count), {});
  const AddressMap map = plan_addresses(net, arch);
  check_address_space(map, "");
  for (std::size_t gi = 0; gi < schedule.groups.size(); ++gi) {
    Group& group = p.schedule.groups[gi];
    if (group.cores < 1 || group.cores > arch.core_count) {
      throw InputError("", 0, "groups[" + std::to_string(gi) + "].cores",
                       "a group must run on 1 to " + std::to_string(arch.core_count) + " cores");
    }
    if (group.layers.size() > 1) {
      group.tiles = group_cost(net, arch, group).tiles;
      const FusedGroup fg(net, arch, group.layers);
      const std::vector<std::int64_t> progress = fg.progress(group.tiles);
      for (std::int64_t c = 0; c < group.cores; ++c) {
        FusedEmitter e(p.cores[static_cast<std::size_t>(c)], net, map, arch.element_bytes());
        fg.walk(progress, group.tiles, group.cores, c, e);
      }
    }
    const int li = group.layers.front();
    const Layer& l = net.layer(li);
    if (group.layers.size() == 1 && l.type != LayerType::Concat) {
      const LayerGeometry g(l, arch.element_bytes());
      for (std::int64_t c = 0; c < group.cores; ++c) {
        const ChannelSlice s = channel_slice(g.channels(), group.cores, c);
        if (s.end <= s.begin) continue;
        const LayerTiling t = plan_layer_tiling(l, arch, s.end - s.begin, net.batch());
        SliceEmitter(p.cores[static_cast<std::size_t>(c)], net, li, g, map, arch.element_bytes())
            .emit(s, t);
      }
    }
    for (auto& core : p.cores) {
      Command sync;
      sync.op = CommandOp::Sync;
      core.push_back(std::move(sync));
    }
  }
  return p;
}

}  // namespace fusim
