#include <algorithm>
#include <climits>
#include <cstdint>
#include <map>
#include <sstream>
#include <stdexcept>

#include "arch/arch.h"
#include "common/checked.h"
#include "common/error.h"
#include "common/yaml_reader.h"
#include "cost/cost_model.h"
#include "cost/fused_plan.h"
#include "cost/group_walk.h"
#include "cost/layer_walk.h"
#include "cost/shared_fmaps.h"
#include "cost/tile_sink.h"
#include "engines/engines.h"
#include "lower/lower.h"
#include "network/network.h"
#include "schedule/program_io.h"

namespace fusim {

namespace {

void write_list(std::ostream& os, const std::vector<std::uint32_t>& v) {
  os << "[";
  for (std::size_t i = 0; i < v.size(); ++i) os << (i ? ", " : "") << v[i];
  os << "]";
}

// An output stream that appends to a string its caller keeps: std::ostringstream::str() returns
// a copy, and a program's text is hundreds of MB for the largest networks (a 10,000-layer chain
// on mlu.yaml layer by layer), which then sat in memory twice beside the program.
class StringAppender : public std::streambuf {
 public:
  explicit StringAppender(std::string& out) : out_(out) { setp(buf_, buf_ + sizeof buf_); }
  ~StringAppender() override { flush(); }
  void flush() {
    out_.append(pbase(), static_cast<std::size_t>(pptr() - pbase()));
    setp(buf_, buf_ + sizeof buf_);
  }

 protected:
  int_type overflow(int_type c) override {
    flush();
    if (!traits_type::eq_int_type(c, traits_type::eof())) sputc(traits_type::to_char_type(c));
    return traits_type::not_eof(c);
  }
  int sync() override {
    flush();
    return 0;
  }

 private:
  std::string& out_;
  char buf_[1 << 16];
};

}  // namespace

std::string program_to_yaml(const Program& p, const Network& net) {
  std::string text;
  StringAppender buffer(text);
  std::ostream os(&buffer);
  os << "# fusim program: per-core tile commands (format: docs/usage.md, \"Programs\")\n";
  os << "network: " << yaml_quoted(net.name()) << "\n";
  os << "algorithm: " << yaml_quoted(p.schedule.algorithm) << "\n";
  os << "groups:\n";
  for (const Group& g : p.schedule.groups) {
    os << "  - {cores: " << g.cores;
    if (g.tiles > 0) os << ", tiles: " << g.tiles;
    if (g.layerwise() || g.input_centric()) os << ", mapping: " << to_string(g.mapping);
    os << ", layers: [";
    for (std::size_t i = 0; i < g.layers.size(); ++i)
      os << (i ? ", " : "") << yaml_quoted(net.layer(g.layers[i]).name);
    os << "]}\n";
  }
  os << "cores:\n";
  for (const auto& core : p.cores) {
    os << "  - commands:\n";
    for (const Command& c : core) {
      os << "      - {op: " << to_string(c.op);
      if (c.op != CommandOp::Sync && c.op != CommandOp::Barrier)
        os << ", layer: " << yaml_quoted(net.layer(c.layer).name);
      if (c.op == CommandOp::Prefetch) {
        os << ", bytes: " << c.bytes << ", addr: " << c.addr << ", to: " << c.to;
      } else if (c.op == CommandOp::Load || c.op == CommandOp::Store) {
        os << ", kind: " << to_string(c.kind) << ", buffer: " << to_string(c.buffer)
           << ", bytes: " << c.bytes << ", addr: " << c.addr;
        if (c.piece_bytes > 0) os << ", piece: " << c.piece_bytes << ", stride: " << c.stride_bytes;
        if (c.tail_bytes > 0)
          os << ", tail: {addr: " << c.tail_addr << ", bytes: " << c.tail_bytes << "}";
        if (c.memory == MemoryLevel::Shared) os << ", memory: shared";
        if (c.multicast_core >= 0) {
          os << ", multicast: {core: " << c.multicast_core << ", command: " << c.multicast_command
             << "}";
        }
      } else if (c.op == CommandOp::Compute) {
        os << ", bytes: " << c.bytes;
        if (c.work.kind == WorkKind::Gemm) {
          os << ", unit: pe_array, m: " << c.work.m << ", n: " << c.work.n << ", k: " << c.work.k
             << ", count: " << c.work.count;
          const GemmStream& st = c.work.stream;
          if (st.count > 0) {
            os << ", stream: {m: " << st.m << ", n: " << st.n << ", k: " << st.k
               << ", count: " << st.count << ", done: " << st.done << "}";
          }
          if (c.work.epilogue_ops > 0) os << ", epilogue_ops: " << c.work.epilogue_ops;
          if (c.work.accumulate) os << ", accumulate: true";
          if (c.work.density_q20 != TileWork::kDense) os << ", density_q20: " << c.work.density_q20;
        } else if (c.work.kind == WorkKind::FusedBottleneck) {
          const FusedBlockWork& f = c.work.fused;
          os << ", unit: fused_bottleneck, m: " << c.work.m << ", n: " << c.work.n
             << ", k: " << c.work.k << ", count: " << c.work.count << ", fused: {rows: " << f.rows
             << ", in_pixels: " << f.in_pixels << ", expand_channels: " << f.expand_channels
             << ", expand_reduction: " << f.expand_reduction << ", entries: " << f.entries
             << ", surviving: " << f.surviving << ", entry_bits: " << f.entry_bits
             << ", value_bits: " << f.value_bits << "}";
        } else {
          os << ", unit: vector, ops: " << c.work.ops;
        }
      }
      if (!c.deps.empty()) os << ", deps: ", write_list(os, c.deps);
      if (!c.frees.empty()) os << ", frees: ", write_list(os, c.frees);
      os << "}\n";
    }
  }
  buffer.flush();
  return text;
}

namespace {

int layer_by_name(YamlMap& m, const std::string& key, const Network& net) {
  const std::string name = m.get_string(key);
  const int i = net.find_layer(name);
  if (i < 0) m.fail(key, "no layer named '" + name + "' in network '" + net.name() + "'");
  return i;
}

std::vector<std::uint32_t> index_list(YamlMap& m, const std::string& key, std::size_t self) {
  std::vector<std::uint32_t> out;
  if (!m.has(key)) {
    m.raw(key);
    return out;
  }
  const YAML::Node v = m.raw(key);
  if (!v.IsSequence()) m.fail(key, "expected a list of command indices");
  for (const auto& e : v) {
    std::int64_t x = -1;
    try {
      x = e.as<std::int64_t>();
    } catch (const YAML::Exception&) {
      m.fail(key, "expected a list of command indices");
    }
    if (x < 0 || static_cast<std::size_t>(x) >= self) {
      m.fail(key, "index " + std::to_string(x) + " does not name an earlier command of this core");
    }
    out.push_back(static_cast<std::uint32_t>(x));
  }
  return out;
}

// A fused-bottleneck compute (`unit: fused_bottleneck`): its GEMM and its `fused` map, checked
// against its layer: a fused block (a network rewritten for the engine), the GEMM's k its taps
// times its input channels per group, m its rows times its output width, an entry's bits its
// value's and index's, and exactly the entries and survivors its output channels have.
void read_fused_work(YamlMap& m, const Layer& layer, TileWork& w) {
  if (!layer.is_fused_block()) {
    m.fail("unit", "layer '" + layer.name +
                       "' is not an inverted-bottleneck block fused for the fused_bottleneck "
                       "engine");
  }
  const std::int64_t c_g = layer.in_shapes[0].c / layer.groups;
  const std::int64_t per_group = layer.out_channels / layer.groups;
  w.m = m.get_int("m", 1, 1 << 30);
  w.n = m.get_int("n", 1, per_group);
  w.k = m.get_int("k", 1, 1 << 30);
  w.count = m.get_int("count", 1, layer.groups);
  if (w.k != c_g * layer.kernel_h * layer.kernel_w) {
    m.fail("k", "expected " + std::to_string(c_g * layer.kernel_h * layer.kernel_w) +
                    " (kernel taps x input channels per group of layer '" + layer.name + "')");
  }
  YamlMap f = m.get_map("fused");
  w.fused = FusedBlockWork{};
  FusedBlockWork& b = w.fused;
  b.rows = static_cast<std::int32_t>(f.get_int("rows", 1, layer.out_shape.h));
  if (w.m != b.rows * layer.out_shape.w) {
    m.fail("m", "expected `fused.rows` x the layer's width, " +
                    std::to_string(b.rows * layer.out_shape.w));
  }
  b.in_pixels = f.get_int("in_pixels", 1, layer.in_shapes[0].h * layer.in_shapes[0].w);
  const std::int64_t k_g = layer.fused.expand_channels / layer.groups;
  b.expand_channels = static_cast<std::int32_t>(f.get_int("expand_channels", 0, k_g * w.count));
  b.expand_reduction = static_cast<std::int32_t>(f.get_int("expand_reduction", c_g, c_g));
  const std::int64_t channels = w.n * w.count;
  b.entries = f.get_int("entries", channels * layer.fused_entries_per_channel(),
                        channels * layer.fused_entries_per_channel());
  b.surviving = f.get_int("surviving", channels * layer.fused_surviving_per_channel(),
                          channels * layer.fused_surviving_per_channel());
  const std::int64_t bits = layer.fused.value_bits + layer.fused.index_bits;
  b.entry_bits = static_cast<std::int16_t>(f.get_int("entry_bits", bits, bits));
  b.value_bits = static_cast<std::int16_t>(
      f.get_int("value_bits", layer.fused.value_bits, layer.fused.value_bits));
  f.finish();
}

// The PE-array MACs and vector operations of each layer over a walk's tiles.
class WorkSink : public TileSink {
 public:
  explicit WorkSink(std::size_t layers) : macs(layers, 0), ops(layers, 0) {}
  bool takes_runs() const override { return true; }
  Id load(TensorKind, BufferRole, int, const DramRange&, std::int64_t, std::int64_t) override {
    return 0;
  }
  Id compute(int layer, std::int64_t, const TileWork& work, std::int64_t, const std::vector<Id>&,
             std::int64_t times) override {
    const bool mac = work.kind != WorkKind::Elementwise;
    auto& sum = mac ? macs : ops;
    const std::int64_t one = mac ? work.macs() : work.ops;
    sum[static_cast<std::size_t>(layer)] += mul_checked(one, times);
    ops[static_cast<std::size_t>(layer)] += mul_checked(work.epilogue_ops, times);
    return 0;
  }
  void store(int, const DramRange&, std::int64_t, Id, Id, std::int64_t) override {}
  Id spill_psums(int, const DramRange&, std::int64_t, Id, Id, std::int64_t) override { return 0; }
  Id reload_psums(int, const DramRange&, std::int64_t, const std::vector<Id>&,
                  std::int64_t) override {
    return 0;
  }
  void add_frees(Id, const std::vector<Id>&) override {}

  std::vector<std::int64_t> macs, ops;
};

std::string with_commas(std::int64_t v) {
  std::string s = std::to_string(v);
  for (int i = static_cast<int>(s.size()) - 3; i > (v < 0 ? 1 : 0); i -= 3)
    s.insert(static_cast<std::size_t>(i), ",");
  return s;
}

// The layers (or network inputs: -1 - index) whose outputs operand `op` is, a concat seen
// through to the tensors it joins.
void sources(const Network& net, const Operand& op, std::vector<int>& out) {
  if (op.from_network_input) {
    out.push_back(-1 - op.index);
    return;
  }
  const Layer& l = net.layer(op.index);
  if (l.type != LayerType::Concat && !l.is_view()) {
    out.push_back(op.index);
    return;
  }
  for (const Operand& in : l.inputs) sources(net, in, out);
}

// A multicast load names a load of another core, in the same group, that reads the same bytes
// from DRAM itself.
void check_multicast(const Program& p, std::vector<std::vector<YamlMap>>& cmds) {
  std::vector<std::vector<std::size_t>> group_of(p.cores.size());
  for (std::size_t ci = 0; ci < p.cores.size(); ++ci) {
    std::size_t g = 0;
    for (const Command& c : p.cores[ci]) {
      group_of[ci].push_back(g);
      if (c.op == CommandOp::Sync || c.op == CommandOp::Barrier) ++g;
    }
  }
  for (std::size_t ci = 0; ci < p.cores.size(); ++ci) {
    for (std::size_t i = 0; i < p.cores[ci].size(); ++i) {
      const Command& c = p.cores[ci][i];
      if (c.multicast_core < 0) continue;
      YamlMap mm = cmds[ci][i].get_map("multicast");
      const auto lc = static_cast<std::size_t>(c.multicast_core);
      const auto li = static_cast<std::size_t>(c.multicast_command);
      if (li >= p.cores[lc].size())
        mm.fail("command", "core " + std::to_string(lc) + " has no command " + std::to_string(li));
      const Command& l = p.cores[lc][li];
      std::string why;
      if (l.op != CommandOp::Load || l.multicast_core >= 0)
        why = "is not a load from memory (a multicast reads its bytes once, on its leader core)";
      else if (group_of[lc][li] != group_of[ci][i])
        why = "is in another group, or across a barrier of this one";
      else if (!same_bytes(l, c))
        why =
            "does not load the same bytes (kind, memory, addr, bytes, piece, stride and tail "
            "must match)";
      if (!why.empty())
        mm.fail("command",
                "command " + std::to_string(li) + " of core " + std::to_string(lc) + " " + why);
    }
  }
}

// The feature maps the program keeps in the shared buffer (Schedule::shared_fmaps): a layer's
// output whose stores all go there, at the lowest address they write; empty when there is none.
std::vector<std::int64_t> shared_fmaps_of(const Program& p, const Network& net) {
  const std::size_t layers = net.layers().size();
  std::vector<std::int64_t> at(layers, -1);
  std::vector<char> in_dram(layers, 0);
  for (const std::vector<Command>& list : p.cores) {
    for (const Command& c : list) {
      if (c.op != CommandOp::Store) continue;
      const auto l = static_cast<std::size_t>(c.layer);
      if (c.memory != MemoryLevel::Shared)
        in_dram[l] = 1;
      else
        at[l] = at[l] < 0 ? c.addr : std::min(at[l], c.addr);
    }
  }
  bool any = false;
  for (std::size_t l = 0; l < layers; ++l) {
    if (in_dram[l]) at[l] = -1;
    any = any || at[l] >= 0;
  }
  if (!any) at.clear();
  return at;
}

// Per layer, the shared-buffer ranges its prefetches fill, with the group of each, in order.
struct Prefetched {
  std::int64_t begin = 0, end = 0;
  std::size_t group = 0;
};

std::vector<std::vector<Prefetched>> prefetched_ranges(const Program& p, const Network& net) {
  std::vector<std::vector<Prefetched>> at(net.layers().size());
  for (const std::vector<Command>& list : p.cores) {
    std::size_t g = 0;
    for (const Command& c : list) {
      if (c.op == CommandOp::Sync) ++g;
      if (c.op != CommandOp::Prefetch) continue;
      at[static_cast<std::size_t>(c.layer)].push_back({c.to, c.to + c.bytes, g});
    }
  }
  for (auto& v : at) {
    std::sort(v.begin(), v.end(),
              [](const Prefetched& a, const Prefetched& b) { return a.begin < b.begin; });
  }
  return at;
}

// A weight load from the shared buffer reads bytes its layer's prefetches of earlier groups
// wrote there (contiguous ranges, joined).
void check_prefetched(const Program& p, std::vector<std::vector<YamlMap>>& cmds,
                      const Network& net) {
  const auto ranges = prefetched_ranges(p, net);
  for (std::size_t ci = 0; ci < p.cores.size(); ++ci) {
    std::size_t g = 0;
    for (std::size_t i = 0; i < p.cores[ci].size(); ++i) {
      const Command& c = p.cores[ci][i];
      if (c.op == CommandOp::Sync) ++g;
      if (c.op != CommandOp::Load || c.kind != TensorKind::Weight ||
          c.memory != MemoryLevel::Shared || c.multicast_core >= 0)
        continue;
      const std::int64_t main = c.bytes - c.tail_bytes;
      const std::int64_t extent =
          c.piece_bytes > 0 ? (main / c.piece_bytes - 1) * c.stride_bytes + c.piece_bytes : main;
      // The pieces' reach, then the tail's.
      const std::pair<std::int64_t, std::int64_t> reads[] = {
          {c.addr, c.addr + extent}, {c.tail_addr, c.tail_addr + c.tail_bytes}};
      for (const auto& [begin, end] : reads) {
        if (end <= begin) continue;
        std::int64_t covered = begin;  // the reach of the earlier prefetches joined from begin
        for (const Prefetched& r : ranges[static_cast<std::size_t>(c.layer)]) {
          if (r.group < g && r.begin <= covered && r.end > covered) covered = r.end;
        }
        if (covered < end) {
          cmds[ci][i].fail("memory", "a weight load from the shared buffer reads bytes " +
                                         std::to_string(covered) + ".." + std::to_string(end) +
                                         " there that no prefetch of layer '" +
                                         net.layer(c.layer).name + "' in an earlier group wrote");
        }
      }
    }
  }
}

// The program's prefetches as the schedule's (Schedule::shared_weights, Schedule::prefetches):
// a layer's weights at the lowest address its prefetches write, and per group the bytes copied.
void set_prefetches(Program& p, const Network& net) {
  const auto ranges = prefetched_ranges(p, net);
  std::vector<std::int64_t> at(ranges.size(), -1), held(ranges.size(), 0);
  for (std::size_t l = 0; l < ranges.size(); ++l) {
    if (ranges[l].empty()) continue;
    at[l] = ranges[l].front().begin;
    for (const Prefetched& r : ranges[l]) {
      p.schedule.prefetches.push_back(
          {static_cast<int>(l), static_cast<int>(r.group), r.begin - at[l], r.end - r.begin});
      held[l] = std::max(held[l], r.end - at[l]);
    }
  }
  if (!p.schedule.prefetches.empty()) p.schedule.shared_weights = {std::move(at), std::move(held)};
}

// What the program's commands do, checked against the network (docs/usage.md, "Programs"):
// work, operands, allocations and stores, network outputs. `cmds` are the commands' YAML maps,
// for the errors; `tiles` each group's row tiles as the cost model resolves them.
void check_work(const Program& p, const std::vector<std::vector<YamlMap>>& cmds,
                const std::vector<YamlMap>& groups, const std::vector<std::int64_t>& tiles,
                const Network& net, const Arch& arch) {
  const std::size_t layers = net.layers().size();
  const std::int64_t elem = arch.element_bytes();
  std::vector<int> group_of(layers, -1);
  for (std::size_t gi = 0; gi < p.schedule.groups.size(); ++gi)
    for (int l : p.schedule.groups[gi].layers)
      group_of[static_cast<std::size_t>(l)] = static_cast<int>(gi);

  // Work: per layer, the computes of all cores do each MAC (or vector operation) of the layer
  // at least once, and at most as often as the cost model's tiles of its group do (a fused
  // group recomputes halo rows at tile and core boundaries).
  WorkSink walked(layers);
  for (std::size_t gi = 0; gi < p.schedule.groups.size(); ++gi) {
    Group g = p.schedule.groups[gi];
    g.tiles = tiles[gi];
    walk_group(net, arch, g, [&](std::int64_t) -> TileSink& { return walked; });
  }
  std::vector<std::int64_t> lo[2], hi[2];  // [0] PE-array MACs, [1] vector operations
  for (int u = 0; u < 2; ++u) lo[u].assign(layers, 0), hi[u].assign(layers, 0);
  for (std::size_t l = 0; l < layers; ++l) {
    const Layer& layer = net.layers()[l];
    const std::int64_t once[2] = {
        layer.runs_on_pe_array() ? mul_checked(layer.macs_per_item(), net.batch()) : 0,
        mul_checked(layer.vector_ops_per_item(), net.batch())};
    const std::int64_t model[2] = {walked.macs[l], walked.ops[l]};
    for (int u = 0; u < 2; ++u) {
      lo[u][l] = std::min(once[u], model[u]);
      hi[u][l] = std::max(once[u], model[u]);
    }
  }
  const char* what[2] = {"MACs on the PE array", "operations on the vector unit"};
  auto work_message = [&](std::size_t l, int u, std::int64_t done) {
    std::string s = "work check: layer '" + net.layers()[l].name + "' gets " + with_commas(done) +
                    " " + what[u] + " from the program's computes (all cores); it needs ";
    if (lo[u][l] == hi[u][l]) return s + "exactly " + with_commas(lo[u][l]) + ", each once";
    return s + with_commas(lo[u][l]) + ", each once, up to " + with_commas(hi[u][l]) +
           " with the halo rows its fused group recomputes";
  };
  std::vector<std::int64_t> done[2];
  for (int u = 0; u < 2; ++u) done[u].assign(layers, 0);
  // Per unit and layer, the last compute (core, index): where too little work is reported.
  std::vector<std::pair<std::size_t, std::size_t>> last_compute[2];
  for (auto& v : last_compute) v.assign(layers, {SIZE_MAX, 0});
  std::vector<std::pair<std::size_t, std::size_t>> last_store(layers, {SIZE_MAX, 0});
  std::vector<std::int64_t> stored(layers, 0);  // bytes stored per layer (DRAM or shared)

  for (std::size_t ci = 0; ci < p.cores.size(); ++ci) {
    const std::vector<Command>& list = p.cores[ci];
    // Per command: its group (segment), and for computes whether a weight load of its own layer
    // and an ifmap load are among its dependencies (directly, or through a compute of its layer).
    std::vector<std::size_t> seg(list.size(), 0);
    std::vector<char> has_w(list.size(), 0), has_i(list.size(), 0);
    // Per layer, in the current group on this core: the last compute, the last allocating one.
    std::vector<std::size_t> seen_compute(layers, SIZE_MAX), seen_alloc(layers, SIZE_MAX);
    // Per input-centric group and layer: the bytes the layer's computes allocate on this core.
    std::map<std::pair<std::size_t, std::int32_t>, std::int64_t> allocated;
    for (std::size_t i = 0, gi = 0; i < list.size(); ++i) {
      const Command& c = list[i];
      if (c.op == CommandOp::Sync) ++gi;
      if (c.op == CommandOp::Compute && c.bytes > 0 && gi < p.schedule.groups.size() &&
          p.schedule.groups[gi].input_centric()) {
        std::int64_t& a = allocated[{gi, c.layer}];
        a = add_checked(a, c.bytes);
      }
    }
    std::size_t g = 0;
    for (std::size_t i = 0; i < list.size(); ++i) {
      const Command& c = list[i];
      const YamlMap& m = cmds[ci][i];
      seg[i] = g;
      if (c.op == CommandOp::Sync) {
        ++g;
        continue;
      }
      if (c.op == CommandOp::Barrier) continue;
      const auto l = static_cast<std::size_t>(c.layer);
      const Layer& layer = net.layers()[l];
      if (c.op == CommandOp::Compute) {
        const int u = c.work.kind == WorkKind::Elementwise ? 1 : 0;
        std::int64_t amount = -1;
        try {
          amount = add_checked(
              done[u][l], u == 0
                              ? mul_checked(mul_checked(mul_checked(c.work.m, c.work.n), c.work.k),
                                            c.work.count)
                              : c.work.ops);
        } catch (const std::overflow_error&) {
        }
        if (amount < 0 || amount > hi[u][l]) {
          m.fail(u == 0 ? "m" : "ops", work_message(l, u, amount < 0 ? INT64_MAX : amount) +
                                           " (more, with this compute)");
        }
        done[u][l] = amount;
        last_compute[u][l] = {ci, i};
        if (c.work.epilogue_ops > 0) {  // a PE-array tile's activation, on the vector unit
          std::int64_t ops = -1;
          try {
            ops = add_checked(done[1][l], c.work.epilogue_ops);
          } catch (const std::overflow_error&) {
          }
          if (ops < 0 || ops > hi[1][l]) {
            m.fail("epilogue_ops",
                   work_message(l, 1, ops < 0 ? INT64_MAX : ops) + " (more, with this compute)");
          }
          done[1][l] = ops;
          last_compute[1][l] = {ci, i};
        }

        // Operands: weights loaded, inputs loaded or computed on this core in this group.
        for (std::uint32_t d : c.deps) {
          const Command& dc = list[d];
          if (seg[d] != g) continue;
          if (dc.op == CommandOp::Load) {
            if (dc.kind == TensorKind::Weight && dc.layer == c.layer) has_w[i] = 1;
            // Partial sums read back are the compute's own output, not an operand.
            if (dc.kind == TensorKind::Ifmap || dc.kind == TensorKind::Ofmap) has_i[i] = 1;
          } else if (dc.op == CommandOp::Compute && dc.layer == c.layer) {
            has_w[i] = static_cast<char>(has_w[i] | has_w[d]);
            has_i[i] = static_cast<char>(has_i[i] | has_i[d]);
          }
        }
        if (layer.has_weights() && !has_w[i]) {
          m.fail("deps", "operand check: the compute of layer '" + layer.name +
                             "' depends on no load of its weights (a load with kind: weight, "
                             "layer: '" +
                             layer.name + "' among its deps)");
        }
        std::vector<int> src;
        for (const Operand& op : layer.inputs) sources(net, op, src);
        for (int s : src) {
          if (has_i[i]) break;
          const bool member = s >= 0 && group_of[static_cast<std::size_t>(s)] == group_of[l];
          if (member && seen_compute[static_cast<std::size_t>(s)] != SIZE_MAX) continue;
          const std::string name =
              s >= 0
                  ? "layer '" + net.layer(s).name + "'"
                  : "network input '" + net.inputs()[static_cast<std::size_t>(-1 - s)].name + "'";
          m.fail("deps",
                 "operand check: the compute of layer '" + layer.name + "' reads " + name +
                     (member ? ", computed in this group but not earlier on this core,"
                             : ", from outside its group,") +
                     " and depends on no ifmap load (a load with kind: ifmap among its deps)");
        }

        // Its output fits the allocation it writes: its own, or (bytes 0, accumulating) the
        // last one of its layer on this core in this group. An input-centric group's consumer
        // scatters into partial-sum rows that several of its computes allocate: its output
        // fits what its layer's computes allocate on this core in this group.
        if (c.work.kind != WorkKind::Elementwise) {
          const bool scatter = g < p.schedule.groups.size() && p.schedule.groups[g].input_centric();
          const std::size_t a = c.bytes > 0 ? i : seen_alloc[l];
          if (!scatter && a == SIZE_MAX) {
            m.fail("bytes",
                   "allocation check: the compute allocates nothing (bytes: 0) and no "
                   "earlier compute of layer '" +
                       layer.name +
                       "' on this core in this group allocated an output to accumulate into");
          }
          std::int64_t held = 0;
          std::string holder;
          if (scatter) {
            const auto it = allocated.find({g, c.layer});
            held = it == allocated.end() ? 0 : it->second;
            holder = "layer '" + layer.name + "' allocates on this core in this group";
          } else {
            held = list[a].bytes;
            holder = a == i ? "it allocates" : "command " + std::to_string(a) + " allocated";
          }
          std::int64_t out = -1;
          try {
            out = mul_checked(mul_checked(mul_checked(c.work.m, c.work.n), c.work.count), elem);
          } catch (const std::overflow_error&) {
          }
          if (out < 0 || out > held) {
            m.fail("bytes", "allocation check: the compute's output (m x n x count = " +
                                std::to_string(c.work.m) + " x " + std::to_string(c.work.n) +
                                " x " + std::to_string(c.work.count) + " elements of " +
                                std::to_string(elem) + " bytes) does not fit the " +
                                with_commas(held) + " bytes " + holder);
          }
        }
        seen_compute[l] = i;
        if (c.bytes > 0) seen_alloc[l] = i;
      } else if (c.op == CommandOp::Store) {
        // A store moves no more than the allocations it frees hold (or, freeing none, the
        // largest output a compute among its deps allocated, or, for one that accumulates, the
        // last allocation of its layer on this core: a spilled block stored in two parts).
        std::int64_t held = 0;
        bool named = false;
        for (std::uint32_t f : c.frees) held += list[f].bytes, named = true;
        if (!named) {
          for (std::uint32_t d : c.deps) {
            const Command& dc = list[d];
            if (dc.op != CommandOp::Compute) continue;
            if (dc.bytes > 0) {
              held = std::max(held, dc.bytes), named = true;
            } else if (dc.work.accumulate && dc.layer == c.layer && seen_alloc[l] != SIZE_MAX) {
              held = std::max(held, list[seen_alloc[l]].bytes), named = true;
            }
          }
        }
        if (!named) {
          m.fail("deps",
                 "store check: the store names no allocation it moves (no command in "
                 "its frees, no allocating compute in its deps)");
        }
        if (c.bytes > held) {
          m.fail("bytes", "store check: the store moves " + with_commas(c.bytes) +
                              " bytes, but the allocations it " +
                              (c.frees.empty() ? "depends on hold " : "frees hold ") +
                              with_commas(held));
        }
        stored[l] += c.bytes;
        last_store[l] = {ci, i};
      }
      if (i + 1 == list.size() || list[i + 1].op == CommandOp::Sync) {
        std::fill(seen_compute.begin(), seen_compute.end(), SIZE_MAX);
        std::fill(seen_alloc.begin(), seen_alloc.end(), SIZE_MAX);
      }
    }
  }
  for (std::size_t l = 0; l < layers; ++l) {
    for (int u = 0; u < 2; ++u) {
      if (done[u][l] >= lo[u][l]) continue;
      auto at = last_compute[u][l];
      std::string key = u == 0 ? "m" : "ops";
      if (at.first == SIZE_MAX) at = last_compute[1 - u][l], key = "unit";  // the other unit's
      if (at.first == SIZE_MAX) {
        groups[static_cast<std::size_t>(group_of[l])].fail("layers", work_message(l, u, 0));
      }
      cmds[at.first][at.second].fail(key, work_message(l, u, done[u][l]));
    }
  }

  // Network outputs: every byte of each network output is stored, to DRAM or the shared buffer.
  // A concat's bytes are stored by the layers it joins; the parts it takes from network inputs
  // are in place already (as the cost model counts them) and need no store.
  for (std::size_t l = 0; l < layers; ++l) {
    if (!net.consumers(static_cast<int>(l)).empty()) continue;
    const Layer& layer = net.layers()[l];
    std::vector<int> src;
    sources(net, Operand{false, static_cast<int>(l)}, src);
    std::sort(src.begin(), src.end());
    src.erase(std::unique(src.begin(), src.end()), src.end());
    std::int64_t have = 0, need = 0;
    std::pair<std::size_t, std::size_t> at{SIZE_MAX, 0};
    for (int s : src) {
      if (s < 0) continue;
      const auto si = static_cast<std::size_t>(s);
      const std::int64_t bytes =
          mul_checked(mul_checked(net.layers()[si].out_shape.elements(), net.batch()), elem);
      need += bytes;
      have += std::min(stored[si], bytes);
      if (last_store[si].first != SIZE_MAX) at = last_store[si];
    }
    if (have >= need) continue;
    const std::string msg = "output check: layer '" + layer.name +
                            "' is a network output, but the program stores " + with_commas(have) +
                            " of its " + with_commas(need) + " bytes";
    if (at.first == SIZE_MAX) groups[static_cast<std::size_t>(group_of[l])].fail("layers", msg);
    cmds[at.first][at.second].fail("bytes", msg);
  }
}

}  // namespace

Program load_program(const std::string& path, const Network& net, const Arch& arch) {
  YamlMap root(load_yaml_file(path), path, "");
  Program p;
  const std::string network = root.get_string("network");
  if (network != net.name()) {
    root.fail("network", "the program is for network '" + network + "', not '" + net.name() + "'");
  }
  p.schedule.algorithm = root.get_string("algorithm");

  // Groups: every layer exactly once, each group after the groups that produce its inputs.
  std::vector<int> group_of(net.layers().size(), -1);
  std::vector<YamlMap> groups = root.get_map_list("groups");
  for (std::size_t gi = 0; gi < groups.size(); ++gi) {
    YamlMap& g = groups[gi];
    Group group;
    group.cores = g.get_int("cores", 1, arch.core_count);
    group.tiles = g.get_int("tiles", 0, std::int64_t{1} << 31, 0);
    if (g.has("mapping")) {
      constexpr GroupMapping kMappings[] = {GroupMapping::Tiled, GroupMapping::Layerwise,
                                            GroupMapping::InputCentric};
      std::vector<std::string> names;
      for (GroupMapping gm : kMappings) names.emplace_back(to_string(gm));
      const std::string m = g.get_choice("mapping", names);
      for (GroupMapping gm : kMappings)
        if (m == to_string(gm)) group.mapping = gm;
    }
    for (const std::string& name : g.get_string_list("layers")) {
      const int li = net.find_layer(name);
      if (li < 0) g.fail("layers", "no layer named '" + name + "'");
      if (group_of[static_cast<std::size_t>(li)] >= 0) {
        g.fail("layers", "layer '" + name + "' is already in group " +
                             std::to_string(group_of[static_cast<std::size_t>(li)]));
      }
      group_of[static_cast<std::size_t>(li)] = static_cast<int>(gi);
      group.layers.push_back(li);
    }
    if (group.layers.empty()) g.fail("layers", "a group needs at least one layer");
    std::sort(group.layers.begin(), group.layers.end());
    if (group.layers.size() == 1 && group.tiles != 0)
      g.fail("tiles", "a single layer is tiled by the cost model; tiles is for fused groups");
    if (group.mapping == GroupMapping::Layerwise && group.layers.size() == 1)
      g.fail("mapping",
             "a layerwise group runs several layers one after another; this one has one");
    if (group.mapping == GroupMapping::InputCentric && group.layers.size() == 1)
      g.fail("mapping",
             "an input-centric group runs a pair of complex operators; this one has one");
    if (group.layerwise() && group.tiles != 0)
      g.fail("tiles",
             "a layerwise group's members are tiled one by one; tiles is for tiled groups");
    // Convex: no path leaves the group and comes back into it.
    for (int a : group.layers) {
      for (int b : net.consumers(a)) {
        if (std::binary_search(group.layers.begin(), group.layers.end(), b)) continue;
        for (int c : group.layers) {
          if (c > b && net.reaches(b, c)) {
            g.fail("layers", "the group is not convex: '" + net.layer(a).name + "' reaches '" +
                                 net.layer(c).name + "' through '" + net.layer(b).name +
                                 "', which is outside the group");
          }
        }
      }
    }
    g.finish();
    p.schedule.groups.push_back(std::move(group));
  }
  for (std::size_t li = 0; li < group_of.size(); ++li) {
    const Layer& l = net.layers()[li];
    if (group_of[li] < 0) root.fail("groups", "layer '" + l.name + "' is in no group");
    for (const Operand& op : l.inputs) {
      if (!op.from_network_input && group_of[static_cast<std::size_t>(op.index)] > group_of[li]) {
        root.fail("groups", "layer '" + l.name + "' runs before its input '" +
                                net.layer(op.index).name + "'");
      }
    }
  }

  // Every group must fit the arch's buffers (the cost model's footprint).
  std::vector<std::int64_t> tiles;  // a fused group's row tiles, as the cost model resolves them
  for (std::size_t gi = 0; gi < p.schedule.groups.size(); ++gi) {
    const GroupCost c = evaluate_scheduled(net, arch, p.schedule.groups[gi]);
    if (!c.feasible) groups[gi].fail("", "the group cannot run on this arch: " + c.why);
    tiles.push_back(c.tiles);
  }
  // A schedule without commands: its groups lowered as fusim lowers its own schedules.
  if (!root.has("cores")) {
    root.finish();
    for (std::size_t gi = 0; gi < p.schedule.groups.size(); ++gi)
      if (p.schedule.groups[gi].layers.size() > 1 && !p.schedule.groups[gi].layerwise())
        p.schedule.groups[gi].tiles = tiles[gi];
    const ProgramSize size = count_commands(net, arch, p.schedule);
    if (size.commands > kMaxProgramCommands) {
      std::ostringstream msg;
      msg << "lowered, the schedule would have about " << static_cast<double>(size.commands)
          << " commands, beyond fusim's limit of " << static_cast<std::int64_t>(kMaxProgramCommands)
          << " (about 2 GB of memory): fewer tiles or larger buffers";
      root.fail("groups", msg.str());
    }
    return lower(net, arch, p.schedule);
  }
  std::vector<YamlMap> cores = root.get_map_list("cores");
  root.finish();
  if (static_cast<std::int64_t>(cores.size()) != arch.core_count) {
    root.fail("cores", "the program has " + std::to_string(cores.size()) + " cores, the arch " +
                           std::to_string(arch.core_count));
  }
  std::vector<std::vector<YamlMap>> core_cmds;     // kept for the checks of the program's work
  std::vector<std::vector<std::size_t>> barriers;  // per core, per group
  for (YamlMap& core : cores) {
    std::vector<Command> list;
    core_cmds.push_back(core.get_map_list("commands"));
    std::vector<YamlMap>& cmds = core_cmds.back();
    core.finish();
    std::vector<bool> freed(cmds.size(), false);
    std::size_t syncs = 0;
    barriers.emplace_back(p.schedule.groups.size(), 0);
    for (std::size_t i = 0; i < cmds.size(); ++i) {
      YamlMap& m = cmds[i];
      Command c;
      const std::string op =
          m.get_choice("op", {"load", "compute", "store", "sync", "prefetch", "barrier"});
      c.op = op == "load"       ? CommandOp::Load
             : op == "compute"  ? CommandOp::Compute
             : op == "store"    ? CommandOp::Store
             : op == "prefetch" ? CommandOp::Prefetch
             : op == "barrier"  ? CommandOp::Barrier
                                : CommandOp::Sync;
      if (c.op == CommandOp::Sync) {
        ++syncs;
      } else if (c.op == CommandOp::Barrier) {
        if (syncs >= p.schedule.groups.size() || !p.schedule.groups[syncs].layerwise()) {
          m.fail("op",
                 "a barrier separates the members of a layerwise group (mapping: "
                 "layerwise); group " +
                     std::to_string(syncs) + " is not one");
        }
        ++barriers.back()[syncs];
      } else {
        c.layer = layer_by_name(m, "layer", net);
        // Between a core's syncs k-1 and k, the commands of group k, for its layers only.
        if (syncs >= p.schedule.groups.size()) {
          m.fail("op", "the command comes after the core's last sync (one sync ends each of the " +
                           std::to_string(p.schedule.groups.size()) + " groups)");
        }
        const int own = group_of[static_cast<std::size_t>(c.layer)];
        if (c.op == CommandOp::Prefetch && static_cast<std::size_t>(own) <= syncs) {
          m.fail("layer", "a prefetch copies weights for a later group: layer '" +
                              net.layer(c.layer).name + "' is in group " + std::to_string(own) +
                              ", and the prefetch in group " + std::to_string(syncs) + " (after " +
                              std::to_string(syncs) + " syncs of this core)");
        }
        if (c.op != CommandOp::Prefetch && static_cast<std::size_t>(own) != syncs) {
          m.fail("layer", "layer '" + net.layer(c.layer).name + "' is in group " +
                              std::to_string(own) + ", but the command is in group " +
                              std::to_string(syncs) + " (after " + std::to_string(syncs) +
                              " syncs of this core)");
        }
        c.bytes = m.get_int("bytes", 0, std::int64_t{1} << 40);
      }
      if (c.op == CommandOp::Prefetch) {
        c.kind = TensorKind::Weight;
        c.buffer = BufferRole::Weight;
        if (!arch.shared_buffer)
          m.fail("op", "a prefetch needs a shared_buffer, and the arch has none");
        const std::int64_t core_index = static_cast<std::int64_t>(core_cmds.size()) - 1;
        if (core_index < arch.core_count - arch.core.dma.prefetch_engines) {
          m.fail("op", "core " + std::to_string(core_index) +
                           " has no prefetch engine (cores.dma.prefetch_engines: " +
                           std::to_string(arch.core.dma.prefetch_engines) + ", the last cores of " +
                           std::to_string(arch.core_count) + ")");
        }
        if (!net.layer(c.layer).has_weights())
          m.fail("layer", "layer '" + net.layer(c.layer).name + "' has no weights to prefetch");
        if (c.bytes == 0) m.fail("bytes", "a prefetch copies at least one byte");
        c.addr = m.get_int("addr", 0, kDramAddressBytes - c.bytes);
        c.to = m.get_int("to", 0, arch.shared_buffer->capacity_bytes - c.bytes);
      } else if (c.op == CommandOp::Load || c.op == CommandOp::Store) {
        const std::string kind = m.get_choice("kind", {"weight", "ifmap", "ofmap", "psum"});
        c.kind = kind == "weight"  ? TensorKind::Weight
                 : kind == "ifmap" ? TensorKind::Ifmap
                 : kind == "ofmap" ? TensorKind::Ofmap
                                   : TensorKind::Psum;
        const std::string buf = m.get_choice("buffer", {"input", "weight", "output"});
        c.buffer = buf == "input"    ? BufferRole::Input
                   : buf == "weight" ? BufferRole::Weight
                                     : BufferRole::Output;
        c.addr = m.get_int("addr", 0, kDramAddressBytes - 1);
        m.allow("piece");  // optional: finish() then suggests them for a misspelling
        m.allow("stride");
        m.allow("memory");
        if (c.op == CommandOp::Load) {
          m.allow("multicast");
          m.allow("tail");
        }
        if (c.op == CommandOp::Load && m.has("tail")) {
          // A range apart after the pieces: at least one byte, and at least one before it.
          YamlMap t = m.get_map("tail");
          if (c.bytes < 2)
            m.fail("bytes", "a load with a tail moves at least two bytes (one before the tail)");
          c.tail_bytes = t.get_int("bytes", 1, c.bytes - 1);
          c.tail_addr = t.get_int("addr", 0, kDramAddressBytes - 1);
          t.finish();
        }
        const std::int64_t main = c.bytes - c.tail_bytes;  // the bytes before the tail
        if (m.has("piece") || m.has("stride")) {
          // Pieces of at least one byte: zero bytes have none (named here, not as `piece`'s range).
          if (c.bytes == 0) {
            m.fail("bytes", std::string("a ") + (c.op == CommandOp::Load ? "load" : "store") +
                                " in pieces (piece, stride) moves at least one byte");
          }
          c.piece_bytes = m.get_int("piece", 1, main);
          c.stride_bytes = m.get_int("stride", c.piece_bytes, std::int64_t{1} << 40);
          if (main % c.piece_bytes != 0) {
            m.fail("piece", std::to_string(main) + " bytes" +
                                (c.tail_bytes > 0 ? " before the tail" : "") +
                                " are not a whole number of " + std::to_string(c.piece_bytes) +
                                "-byte pieces");
          }
        }
        if (m.has("memory") && m.get_choice("memory", {"dram", "shared"}) == "shared") {
          c.memory = MemoryLevel::Shared;
          if (!arch.shared_buffer) m.fail("memory", "the arch has no shared_buffer");
        }
        if (c.op == CommandOp::Load && m.has("multicast")) {
          YamlMap mm = m.get_map("multicast");
          c.multicast_core = static_cast<std::int32_t>(mm.get_int("core", 0, arch.core_count - 1));
          if (c.multicast_core == static_cast<std::int32_t>(core_cmds.size() - 1))
            mm.fail("core", "a load cannot receive its own core's load");
          c.multicast_command =
              static_cast<std::uint32_t>(mm.get_int("command", 0, std::int64_t{1} << 31));
          mm.finish();
        }
        // Every byte (of the last piece) inside the memory: the shared buffer's capacity, or
        // DRAM's 2^48-byte address space. Divided: no overflow.
        const std::int64_t pieces = c.piece_bytes > 0 ? main / c.piece_bytes : 1;
        const std::int64_t piece = c.piece_bytes > 0 ? c.piece_bytes : main;
        const bool shared = c.memory == MemoryLevel::Shared;
        const std::int64_t limit = shared ? arch.shared_buffer->capacity_bytes : kDramAddressBytes;
        const bool first_fits = c.addr <= limit - piece;
        const bool tail_fits = c.tail_addr <= limit - c.tail_bytes;
        if (!first_fits || !tail_fits ||
            (pieces > 1 && pieces - 1 > (limit - piece - c.addr) / c.stride_bytes)) {
          const std::string what = first_fits ? (tail_fits ? "stride" : "tail") : "addr";
          m.fail(what, "the " + std::string(c.op == CommandOp::Load ? "load" : "store") +
                           " reaches past " +
                           (shared ? "the shared buffer's " + std::to_string(limit) + " bytes"
                                   : std::string("the 2^48-byte DRAM address space")));
        }
      } else if (c.op == CommandOp::Compute) {
        c.buffer = BufferRole::Output;
        const std::string unit = m.get_choice("unit", {"pe_array", "vector", "fused_bottleneck"});
        c.work.kind = unit == "pe_array"           ? WorkKind::Gemm
                      : unit == "fused_bottleneck" ? WorkKind::FusedBottleneck
                                                   : WorkKind::Elementwise;
        if (c.work.kind == WorkKind::FusedBottleneck) {
          read_fused_work(m, net.layers()[static_cast<std::size_t>(c.layer)], c.work);
        } else if (c.work.kind == WorkKind::Gemm) {
          c.work.m = m.get_int("m", 1, 1 << 30);
          c.work.n = m.get_int("n", 1, 1 << 30);
          c.work.k = m.get_int("k", 1, 1 << 30);
          c.work.count = m.get_int("count", 1, 1 << 20);
          if (m.has("stream")) {
            YamlMap sm = m.get_map("stream");
            GemmStream& st = c.work.stream;
            st.m = sm.get_int("m", 1, std::int64_t{1} << 40);
            st.n = sm.get_int("n", 1, 1 << 30);
            st.k = sm.get_int("k", 1, 1 << 30);
            st.count = sm.get_int("count", 1, 1 << 20);
            // The stream's MACs must be a number, and the tile a part of them.
            std::int64_t stream_macs = -1;
            try {
              stream_macs = mul_checked(mul_checked(mul_checked(st.m, st.n), st.k), st.count);
            } catch (const std::overflow_error&) {
            }
            if (stream_macs < 0) sm.fail("m", "the stream has more than 2^63 MACs");
            st.done = sm.get_int("done", 0, stream_macs - 1);
            sm.finish();
            std::int64_t tile_macs = -1;
            try {
              tile_macs =
                  mul_checked(mul_checked(mul_checked(c.work.m, c.work.n), c.work.k), c.work.count);
            } catch (const std::overflow_error&) {
            }
            if (tile_macs < 0 || tile_macs > stream_macs) {
              m.fail("stream", "the compute does more MACs than the stream it is part of");
            }
          }
          c.work.epilogue_ops = m.get_int("epilogue_ops", 0, std::int64_t{1} << 44, 0);
          c.work.accumulate = m.get_bool("accumulate", false);
          c.work.density_q20 = static_cast<std::uint32_t>(
              m.get_int("density_q20", 1, TileWork::kDense, TileWork::kDense));
        } else {
          c.work.ops = m.get_int("ops", 0, std::int64_t{1} << 44);
        }
        // Simulated time holds about 2^54 cycles: one command may take at most 2^52.
        std::int64_t cycles = -1;
        try {
          cycles = compute_cycles(arch.core, c.work);
        } catch (const std::overflow_error&) {
        }
        if (cycles < 0 || cycles > (std::int64_t{1} << 52)) {
          m.fail("", "this compute takes more than 2^52 cycles on the arch's PE array");
        }
      }
      // No tile is larger than the buffer it lives in (a prefetch's bytes go to the shared one).
      if (c.op != CommandOp::Sync && c.op != CommandOp::Prefetch && c.op != CommandOp::Barrier) {
        const BufferParams& b = c.buffer == BufferRole::Input    ? arch.core.input_buffer
                                : c.buffer == BufferRole::Weight ? arch.core.weight_buffer
                                                                 : arch.core.output_buffer;
        if (c.bytes > b.capacity_bytes) {
          m.fail("bytes", std::to_string(c.bytes) + " bytes do not fit the " + to_string(c.buffer) +
                              " buffer (" + std::to_string(b.capacity_bytes) + " bytes)");
        }
      }
      c.deps = index_list(m, "deps", i);
      c.frees = index_list(m, "frees", i);
      for (std::uint32_t f : c.frees) {
        const CommandOp fo = list[f].op;
        if (fo != CommandOp::Load && fo != CommandOp::Compute) {
          m.fail("frees", "command " + std::to_string(f) + " allocates nothing");
        }
        if (freed[f]) m.fail("frees", "command " + std::to_string(f) + " is freed twice");
        freed[f] = true;
      }
      m.finish();
      list.push_back(std::move(c));
    }
    if (syncs != p.schedule.groups.size()) {
      core.fail("commands", "has " + std::to_string(syncs) + " syncs for " +
                                std::to_string(p.schedule.groups.size()) + " groups");
    }
    p.cores.push_back(std::move(list));
  }
  // Every core reaches the same barriers (the simulator would wait for the missing ones).
  for (std::size_t ci = 1; ci < barriers.size(); ++ci) {
    for (std::size_t gi = 0; gi < p.schedule.groups.size(); ++gi) {
      if (barriers[ci][gi] == barriers[0][gi]) continue;
      cores[ci].fail("commands", "has " + std::to_string(barriers[ci][gi]) + " barriers in group " +
                                     std::to_string(gi) + ", core 0 " +
                                     std::to_string(barriers[0][gi]));
    }
  }
  check_multicast(p, core_cmds);
  check_work(p, core_cmds, groups, tiles, net, arch);
  p.schedule.shared_fmaps = shared_fmaps_of(p, net);
  place_views(net, arch, p.schedule.shared_fmaps);
  check_prefetched(p, core_cmds, net);
  set_prefetches(p, net);
  return p;
}

}  // namespace fusim
