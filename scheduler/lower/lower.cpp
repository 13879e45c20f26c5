#include "lower/lower.h"

#include <algorithm>
#include <functional>
#include <map>
#include <stdexcept>
#include <tuple>

#include "common/checked.h"
#include "common/error.h"
#include "cost/concat_copy.h"
#include "cost/cost_model.h"
#include "cost/fused_plan.h"
#include "cost/group_walk.h"
#include "cost/layer_walk.h"
#include "cost/prefetch.h"
#include "cost/tile_sink.h"
#include "cost/tiling.h"

namespace fusim {

namespace {

constexpr std::int64_t kAlign = 4096;

std::int64_t align_up(std::int64_t x) {
  return ceil_div(x, kAlign) * kAlign;
}

// A load or store in pieces: kept only when it really has more than one.
void set_layout(Command& c, const TileLayout& t) {
  if (t.piece_bytes > 0 && c.bytes - c.tail_bytes > t.piece_bytes) {
    c.piece_bytes = t.piece_bytes;
    c.stride_bytes = t.stride_bytes;
  }
}

// Emits the steps of a walk as one core's commands.
class CommandEmitter : public TileSink {
 public:
  // `group`: the emitters of every core, for the loads this one receives by multicast (from a
  // core of lower index, emitted before it).
  // `schedule`: its feature maps and weights in the shared buffer (Schedule::shared_fmaps,
  // Schedule::shared_weights).
  CommandEmitter(std::vector<Command>& out, const AddressMap& map, const Schedule& schedule,
                 const std::vector<CommandEmitter>& group)
      : out_(out), map_(map), schedule_(schedule), group_(group) {}
  bool takes_runs() const override { return false; }
  const SharedWeights* shared_weights() const override { return &schedule_.shared_weights; }

  // A load served by both memories (load_parts: weights of which the shared buffer holds the
  // first bytes) is two commands, the shared buffer's then DRAM's; the step's id is the second's,
  // and whatever waits for it or frees it does so for the first too (with_parts).
  Id load(TensorKind kind, BufferRole buffer, int layer, const DramRange& from, std::int64_t bytes,
          std::int64_t) override {
    const LoadParts p =
        load_parts(&schedule_.shared_fmaps, &schedule_.shared_weights, kind, from, bytes);
    Id first = 0, id = 0;
    if (p.from_shared())
      first = id = load_part(kind, buffer, layer, p.shared, p.shared_bytes, p.shared_at);
    if (p.from_dram()) id = load_part(kind, buffer, layer, p.dram, p.dram_bytes, -1);
    if (p.from_shared() && p.from_dram()) parts_[id] = first;
    return id;
  }
  Id compute(int layer, std::int64_t out_bytes, const TileWork& work, std::int64_t,
             const std::vector<Id>& deps, std::int64_t) override {
    Command c;
    c.op = CommandOp::Compute;
    c.buffer = BufferRole::Output;
    c.layer = layer;
    c.bytes = out_bytes;
    c.work = stream_.place(work, 1);
    c.deps = with_parts(deps);
    return push(std::move(c));
  }
  void store(int layer, const DramRange& to, std::int64_t bytes, Id dep, Id owner,
             std::int64_t) override {
    store_as(TensorKind::Ofmap, layer, to, bytes, dep, owner);
  }
  Id spill_psums(int layer, const DramRange& to, std::int64_t bytes, Id dep, Id owner,
                 std::int64_t) override {
    return store_as(TensorKind::Psum, layer, to, bytes, dep, owner);
  }
  Id reload_psums(int layer, const DramRange& from, std::int64_t bytes,
                  const std::vector<Id>& after, std::int64_t times) override {
    const Id id = load(TensorKind::Psum, BufferRole::Output, layer, from, bytes, times);
    out_[id].deps = with_parts(after);
    return id;
  }
  void add_frees(Id id, const std::vector<Id>& frees) override {
    auto& f = out_[id].frees;
    const std::vector<Id> all = with_parts(frees);
    f.insert(f.end(), all.begin(), all.end());
  }

 private:
  // One command of a load, from the shared buffer at `shared_at` or, when it is -1, from DRAM.
  Id load_part(TensorKind kind, BufferRole buffer, int layer, const DramRange& from,
               std::int64_t bytes, std::int64_t shared_at) {
    Command c;
    c.op = CommandOp::Load;
    c.kind = kind;
    c.buffer = buffer;
    c.layer = layer;
    c.bytes = bytes;
    place(c, from, shared_at);
    set_layout(c, from.layout);
    std::vector<Id>& mine = loads_[{layer, static_cast<int>(kind), static_cast<int>(buffer)}];
    if (from.multicast_from >= 0) multicast(c, from.multicast_from, mine.size());
    const Id id = push(std::move(c));
    mine.push_back(id);
    return id;
  }
  // `ids` with the first command of every load among them that is two (load).
  std::vector<Id> with_parts(const std::vector<Id>& ids) const {
    if (parts_.empty()) return ids;
    std::vector<Id> all = ids;
    for (Id i : ids) {
      const auto it = parts_.find(i);
      if (it != parts_.end()) all.push_back(it->second);
    }
    return all;
  }
  Id store_as(TensorKind kind, int layer, const DramRange& to, std::int64_t bytes, Id dep,
              Id owner) {
    Command c;
    c.op = CommandOp::Store;
    c.kind = kind;
    c.buffer = BufferRole::Output;
    c.layer = layer;
    c.bytes = bytes;
    place(c, to, shared_address(&schedule_.shared_fmaps, nullptr, kind, to));
    set_layout(c, to.layout);
    c.deps = with_parts({dep});
    if (owner != kKeep) c.frees = with_parts({owner});
    return push(std::move(c));
  }
  Id push(Command c) {
    out_.push_back(std::move(c));
    return static_cast<Id>(out_.size() - 1);
  }
  // Makes `c`, this core's k-th load of its layer, kind and buffer, receive the k-th such load
  // of core `leader`. The walks guarantee that the leader has it and loads the same bytes.
  void multicast(Command& c, std::int64_t leader, std::size_t k) const {
    const CommandEmitter& from = group_.at(static_cast<std::size_t>(leader));
    const auto it =
        from.loads_.find({c.layer, static_cast<int>(c.kind), static_cast<int>(c.buffer)});
    if (&from == this || it == from.loads_.end() || k >= it->second.size())
      throw std::logic_error("a multicast load has no matching load on its leader core");
    const Command& l = from.out_[it->second[k]];
    if (!same_bytes(l, c) || l.multicast_core >= 0)
      throw std::logic_error("a multicast load differs from its leader core's load");
    c.multicast_core = static_cast<std::int32_t>(leader);
    c.multicast_command = it->second[k];
  }
  // The memory and address of `c`'s range `r`: the shared buffer where its tensor is at
  // `shared` there (>= 0), otherwise DRAM.
  void place(Command& c, const DramRange& r, std::int64_t shared) const {
    const auto i = static_cast<std::size_t>(r.value.index);
    std::int64_t base = shared;
    if (shared >= 0) {
      c.memory = MemoryLevel::Shared;
    } else {
      base = c.kind == TensorKind::Weight ? map_.weight_base[i]
             : r.value.network_input      ? map_.input_base[i]
                                          : map_.output_base[i];
    }
    c.addr = base + r.offset;
    if (r.tail_bytes > 0) {
      c.tail_addr = base + r.tail_offset;
      c.tail_bytes = r.tail_bytes;
    }
  }

  std::vector<Command>& out_;
  const AddressMap& map_;
  const Schedule& schedule_;
  const std::vector<CommandEmitter>& group_;
  // This core's loads of each (layer, kind, buffer), in order.
  std::map<std::tuple<int, int, int>, std::vector<Id>> loads_;
  // The loads that are two commands (load): the second's id to the first's.
  std::map<Id, Id> parts_;
  StreamCursor stream_;
};

// The prefetches of group `g` (Schedule::prefetches): each range split over the arch's
// prefetch engines (the last cores) as split_prefetch says.
template <typename Emit>
void for_each_prefetch(const Arch& arch, const Schedule& schedule, std::size_t g, Emit emit) {
  for (const Schedule::Prefetch& f : schedule.prefetches) {
    if (f.group != static_cast<int>(g)) continue;
    split_prefetch(arch, f.bytes, [&](std::int64_t k, std::int64_t begin, std::int64_t bytes) {
      emit(arch.core_count - 1 - k, f, f.offset + begin, bytes);
    });
  }
}

void emit_prefetches(const Arch& arch, const Schedule& schedule, const AddressMap& map,
                     std::size_t g, std::vector<std::vector<Command>>& out) {
  for_each_prefetch(
      arch, schedule, g,
      [&](std::int64_t k, const Schedule::Prefetch& f, std::int64_t offset, std::int64_t bytes) {
        const auto l = static_cast<std::size_t>(f.layer);
        Command c;
        c.op = CommandOp::Prefetch;
        c.kind = TensorKind::Weight;
        c.buffer = BufferRole::Weight;
        c.layer = f.layer;
        c.bytes = bytes;
        c.addr = map.weight_base[l] + offset;
        c.to = schedule.shared_weights.at[l] + offset;
        out[static_cast<std::size_t>(k)].push_back(std::move(c));
      });
}

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
  // inside itself (its foreign operands are copied there instead: cost/concat_copy.h).
  for (std::size_t i = n; i-- > 0;) {
    const Layer& l = net.layers()[i];
    if (m.output_base[i] < 0 && !l.is_view()) {
      m.output_base[i] = next;
      next = align_up(next + l.out_shape.elements() * batch * elem);
    }
    if (l.type != LayerType::Concat) continue;
    std::int64_t offset = 0;
    for (std::size_t j = 0; j < l.inputs.size(); ++j) {
      const int li = static_cast<int>(i);
      if (in_concat_tensor(net, li, j)) {
        m.output_base[static_cast<std::size_t>(l.inputs[j].index)] = m.output_base[i] + offset;
      }
      offset += l.in_shapes[j].elements() * batch * elem;
    }
  }
  // A slice is a view: its channels start `slice_begin` elements into each pixel of the tensor
  // it views (placed above; a slice of a slice after it, in topological order).
  for (std::size_t i = 0; i < n; ++i) {
    const Layer& l = net.layers()[i];
    if (!l.is_view()) continue;
    m.output_base[i] = m.operand_base(l.inputs[0]) + l.slice_begin * elem;
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
    if (group.layers.size() > 1 && !group.layerwise())
      group.tiles = group_cost(net, arch, group).tiles;
    else
      group.tiles = 0;
    std::vector<CommandEmitter> emitters;
    emitters.reserve(p.cores.size());
    for (auto& core : p.cores) emitters.emplace_back(core, map, schedule, emitters);
    walk_group(
        net, arch, group,
        [&](std::int64_t c) -> TileSink& { return emitters[static_cast<std::size_t>(c)]; },
        [&] {
          for (auto& core : p.cores) {
            Command barrier;
            barrier.op = CommandOp::Barrier;
            core.push_back(std::move(barrier));
          }
        });
    emit_prefetches(arch, schedule, map, gi, p.cores);
    for (auto& core : p.cores) {
      Command sync;
      sync.op = CommandOp::Sync;
      core.push_back(std::move(sync));
    }
  }
  return p;
}

ProgramSize count_commands(const Network& net, const Arch& arch, const Schedule& schedule) {
  ProgramSize size;
  for (const Group& g : schedule.groups) {
    Group group = g;  // a fused group's tiles as lower() resolves them (the search's are)
    if (group.layers.size() > 1 && !group.layerwise() && group.tiles == 0)
      group.tiles = group_cost(net, arch, group).tiles;
    CountSink sink(true, &schedule.shared_weights);
    long double barriers = 0;
    walk_group(
        net, arch, group, [&](std::int64_t) -> TileSink& { return sink; },
        [&] { barriers += static_cast<long double>(arch.core_count); });
    // + the syncs and barriers
    size.commands += sink.commands + barriers + static_cast<long double>(arch.core_count);
    for_each_prefetch(arch, schedule, static_cast<std::size_t>(&g - schedule.groups.data()),
                      [&](std::int64_t, const Schedule::Prefetch&, std::int64_t, std::int64_t) {
                        size.commands += 1;
                      });
    if (sink.commands > size.largest_group) {
      size.largest_group = sink.commands;
      size.largest_group_layer = group.layers.front();
    }
  }
  return size;
}

}  // namespace fusim
