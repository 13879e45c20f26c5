#include <algorithm>
#include <map>
#include <sstream>
#include <stdexcept>

#include "arch/arch.h"
#include "common/checked.h"
#include "common/error.h"
#include "common/yaml_reader.h"
#include "cost/cost_model.h"
#include "engines/engines.h"
#include "network/network.h"
#include "schedule/program_io.h"

namespace fusim {

namespace {

void write_list(std::ostream& os, const std::vector<std::uint32_t>& v) {
  os << "[";
  for (std::size_t i = 0; i < v.size(); ++i) os << (i ? ", " : "") << v[i];
  os << "]";
}

}  // namespace

std::string program_to_yaml(const Program& p, const Network& net) {
  std::ostringstream os;
  os << "# fusim program: per-core tile commands (format: docs/usage.md, \"Programs\")\n";
  os << "network: " << yaml_quoted(net.name()) << "\n";
  os << "algorithm: " << yaml_quoted(p.schedule.algorithm) << "\n";
  os << "groups:\n";
  for (const Group& g : p.schedule.groups) {
    os << "  - {cores: " << g.cores;
    if (g.tiles > 0) os << ", tiles: " << g.tiles;
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
      if (c.op != CommandOp::Sync) os << ", layer: " << yaml_quoted(net.layer(c.layer).name);
      if (c.op == CommandOp::Load || c.op == CommandOp::Store) {
        os << ", kind: " << to_string(c.kind) << ", buffer: " << to_string(c.buffer)
           << ", bytes: " << c.bytes << ", addr: " << c.addr;
        if (c.piece_bytes > 0) os << ", piece: " << c.piece_bytes << ", stride: " << c.stride_bytes;
        if (c.memory == MemoryLevel::Shared) os << ", memory: shared";
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
        } else {
          os << ", unit: vector, ops: " << c.work.ops;
        }
      }
      if (!c.deps.empty()) os << ", deps: ", write_list(os, c.deps);
      if (!c.frees.empty()) os << ", frees: ", write_list(os, c.frees);
      os << "}\n";
    }
  }
  return os.str();
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
  for (std::size_t gi = 0; gi < p.schedule.groups.size(); ++gi) {
    const GroupCost c = evaluate_group(net, arch, p.schedule.groups[gi].layers,
                                       p.schedule.groups[gi].cores, p.schedule.groups[gi].tiles);
    if (!c.feasible) groups[gi].fail("", "the group cannot run on this arch: " + c.why);
  }
  std::vector<YamlMap> cores = root.get_map_list("cores");
  root.finish();
  if (static_cast<std::int64_t>(cores.size()) != arch.core_count) {
    root.fail("cores", "the program has " + std::to_string(cores.size()) + " cores, the arch " +
                           std::to_string(arch.core_count));
  }
  for (YamlMap& core : cores) {
    std::vector<Command> list;
    std::vector<YamlMap> cmds = core.get_map_list("commands");
    core.finish();
    std::vector<bool> freed(cmds.size(), false);
    std::size_t syncs = 0;
    for (std::size_t i = 0; i < cmds.size(); ++i) {
      YamlMap& m = cmds[i];
      Command c;
      const std::string op = m.get_choice("op", {"load", "compute", "store", "sync"});
      c.op = op == "load"      ? CommandOp::Load
             : op == "compute" ? CommandOp::Compute
             : op == "store"   ? CommandOp::Store
                               : CommandOp::Sync;
      if (c.op == CommandOp::Sync) {
        ++syncs;
      } else {
        c.layer = layer_by_name(m, "layer", net);
        c.bytes = m.get_int("bytes", 0, std::int64_t{1} << 40);
      }
      if (c.op == CommandOp::Load || c.op == CommandOp::Store) {
        const std::string kind = m.get_choice("kind", {"weight", "ifmap", "ofmap"});
        c.kind = kind == "weight"  ? TensorKind::Weight
                 : kind == "ifmap" ? TensorKind::Ifmap
                                   : TensorKind::Ofmap;
        const std::string buf = m.get_choice("buffer", {"input", "weight", "output"});
        c.buffer = buf == "input"    ? BufferRole::Input
                   : buf == "weight" ? BufferRole::Weight
                                     : BufferRole::Output;
        c.addr = m.get_int("addr", 0, kDramAddressBytes - 1);
        m.allow("piece");  // optional: finish() then suggests them for a misspelling
        m.allow("stride");
        m.allow("memory");
        if (m.has("piece") || m.has("stride")) {
          c.piece_bytes = m.get_int("piece", 1, std::max<std::int64_t>(1, c.bytes));
          c.stride_bytes = m.get_int("stride", c.piece_bytes, std::int64_t{1} << 40);
          if (c.bytes % c.piece_bytes != 0) {
            m.fail("piece", std::to_string(c.bytes) + " bytes are not a whole number of " +
                                std::to_string(c.piece_bytes) + "-byte pieces");
          }
        }
        if (m.has("memory") && m.get_choice("memory", {"dram", "shared"}) == "shared") {
          c.memory = MemoryLevel::Shared;
          if (!arch.shared_buffer) m.fail("memory", "the arch has no shared_buffer");
        }
        // Every byte (of the last piece) inside the memory: the shared buffer's capacity, or
        // DRAM's 2^48-byte address space. Divided: no overflow.
        const std::int64_t pieces = c.piece_bytes > 0 ? c.bytes / c.piece_bytes : 1;
        const std::int64_t piece = c.piece_bytes > 0 ? c.piece_bytes : c.bytes;
        const bool shared = c.memory == MemoryLevel::Shared;
        const std::int64_t limit = shared ? arch.shared_buffer->capacity_bytes : kDramAddressBytes;
        const bool first_fits = c.addr <= limit - piece;
        if (!first_fits || (pieces > 1 && pieces - 1 > (limit - piece - c.addr) / c.stride_bytes)) {
          m.fail(first_fits ? "stride" : "addr",
                 "the " + std::string(c.op == CommandOp::Load ? "load" : "store") +
                     " reaches past " +
                     (shared ? "the shared buffer's " + std::to_string(limit) + " bytes"
                             : std::string("the 2^48-byte DRAM address space")));
        }
      } else if (c.op == CommandOp::Compute) {
        c.buffer = BufferRole::Output;
        c.work.kind = m.get_choice("unit", {"pe_array", "vector"}) == "pe_array"
                          ? WorkKind::Gemm
                          : WorkKind::Elementwise;
        if (c.work.kind == WorkKind::Gemm) {
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
              tile_macs = mul_checked(
                  mul_checked(mul_checked(c.work.m, c.work.n), c.work.k), c.work.count);
            } catch (const std::overflow_error&) {
            }
            if (tile_macs < 0 || tile_macs > stream_macs) {
              m.fail("stream", "the compute does more MACs than the stream it is part of");
            }
          }
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
      if (c.op != CommandOp::Sync) {  // no tile is larger than the buffer it lives in
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
  return p;
}

}  // namespace fusim
