#include "driver.h"

#include <cmath>
#include <iomanip>
#include <sstream>

#include "arch/arch_io.h"
#include "common/error.h"
#include "cost/cost_model.h"
#include "cost/tiling.h"
#include "import/scalesim.h"
#include "lower/lower.h"
#include "network/network_io.h"
#include "schedule/program_io.h"
#include "search/search.h"
#include "simulate.h"

namespace fusim {

namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// Commands in one Program: about 120 bytes each in memory, so this bounds a program to about
// 2 GB. The 10,000-layer chain of tests/scale has 1.3 million on configs/mlu.yaml.
constexpr long double kMaxProgramCommands = 1 << 24;

// A tensor within the size limits can still need more tiles than memory holds when the buffers
// are small (a 2^38-element conv on 64 KiB buffers: billions of commands). Counts the commands
// lowering will emit for `schedule`, from the same tiling, before anything is allocated, and
// rejects the run when they exceed kMaxProgramCommands. Per layer, as the layer-by-layer
// lowering emits them: per tile, a load and a compute per input-channel piece, a weight load
// and a store; fused groups by their tiles.
struct CommandEstimate {
  long double total = 0, worst = 0;
  int worst_layer = -1;
};

CommandEstimate estimate_commands(const Network& net, const Arch& arch, const Schedule& schedule) {
  using LD = long double;
  LD total = LD(schedule.groups.size()) * LD(arch.core_count);  // syncs
  LD worst = 0;
  int worst_layer = -1;
  for (const Group& group : schedule.groups) {
    if (group.layers.size() > 1) {
      // A fused tile: per member at most a weight load, a compute and a store, per operand a
      // load; plus each core's resident weights.
      const std::int64_t tiles = group.tiles > 0 ? group.tiles : group_cost(net, arch, group).tiles;
      LD per_tile = 0;
      for (const int li : group.layers) per_tile += 3 + LD(net.layer(li).inputs.size());
      const LD group_total =
          LD(net.batch()) * LD(tiles) * per_tile + LD(group.cores) * LD(group.layers.size());
      total += group_total;
      if (group_total > worst) worst = group_total, worst_layer = group.layers.front();
      continue;
    }
    for (const int li : group.layers) {
      const Layer& l = net.layer(li);
      if (l.type == LayerType::Concat) continue;
      const LayerGeometry g(l, arch.element_bytes());
      LD layer_total = 0;
      for (std::int64_t c = 0; c < group.cores; ++c) {
        const ChannelSlice s = channel_slice(g.channels(), group.cores, c);
        if (s.end <= s.begin) continue;
        const LayerTiling t = plan_layer_tiling(l, arch, s.end - s.begin, net.batch());
        const LD row_tiles = std::ceil(LD(g.rows()) / LD(t.rows_per_tile));
        const LD channel_tiles = std::ceil(LD(s.end - s.begin) / LD(t.channels_per_tile));
        const LD pieces = t.in_channels_per_tile > 0
                              ? std::ceil(LD(g.input_channel_count()) / LD(t.in_channels_per_tile))
                              : 1;
        layer_total += LD(net.batch()) * row_tiles * channel_tiles * (2 * pieces + 2);
      }
      total += layer_total;
      if (layer_total > worst) {
        worst = layer_total;
        worst_layer = li;
      }
    }
  }
  return {total, worst, worst_layer};
}

void check_program_size(const Network& net, const Arch& arch, const Schedule& schedule,
                        const std::string& net_file) {
  const auto [total, worst, worst_layer] = estimate_commands(net, arch, schedule);
  if (total > kMaxProgramCommands) {
    const Layer& l = net.layer(worst_layer);
    std::ostringstream msg;
    msg << "the program for this network on this arch would have about " << std::setprecision(3)
        << static_cast<double>(total) << " commands, beyond fusim's limit of "
        << static_cast<std::int64_t>(kMaxProgramCommands) << " (about 2 GB of memory); layer '"
        << l.name << "' alone needs " << static_cast<double>(worst)
        << ": its tensors are too large for the buffers of '" << arch.name << "'";
    throw InputError(net_file, l.source_line, "layers." + l.name, msg.str());
  }
}

}  // namespace

double estimate_program_commands(const Network& net, const Arch& arch, const Schedule& schedule) {
  return static_cast<double>(estimate_commands(net, arch, schedule).total);
}

Arch load_any_arch(const RunOptions& o) {
  if (!ends_with(o.arch_path, ".cfg")) return load_arch(o.arch_path, o.overrides);
  if (!o.overrides.empty()) {
    throw InputError("", 0, "-p",
                     "overrides apply to YAML arch files, not to a SCALE-Sim .cfg (" + o.arch_path +
                         "); run it once with --out DIR and override DIR/arch.yaml");
  }
  return load_scalesim_config(o.arch_path);
}

Network load_any_network(const RunOptions& o) {
  return ends_with(o.net_path, ".csv") ? load_scalesim_topology(o.net_path, o.scalesim_depthwise)
                                       : load_network(o.net_path);
}

std::unique_ptr<Run> run_fusim(const RunOptions& o) {
  auto run = std::make_unique<Run>();
  run->arch = std::make_unique<Arch>(load_any_arch(o));
  run->net = std::make_unique<Network>(load_any_network(o));
  const Network& net = *run->net;
  const Arch& arch = *run->arch;
  if (!o.schedule_in.empty()) {
    run->program = std::make_unique<Program>(load_program(o.schedule_in, net, arch));
  } else {
    // A network whose layer-by-layer program cannot fit in memory is refused before a search
    // spends time on it; the chosen schedule is checked again below.
    check_address_space(plan_addresses(net, arch), o.net_path);
    check_program_size(net, arch, schedule_layer_by_layer(net, arch), o.net_path);
    const Schedule schedule = search_schedule(net, arch, o.search);
    check_program_size(net, arch, schedule, o.net_path);
    run->program = std::make_unique<Program>(lower(net, arch, schedule));
  }
  RunResult& r = run->result;
  r.net = run->net.get();
  r.arch = run->arch.get();
  r.program = run->program.get();
  for (const Group& g : run->program->schedule.groups) {
    const GroupCost c = group_cost(net, arch, g);
    r.predicted.push_back(c.traffic);
    r.predicted_costs.push_back(c);
  }
  try {
    r.sim = simulate(net, arch, *run->program);
  } catch (const InputError& e) {
    // A program that deadlocks is a problem with the schedule file when one was given.
    if (o.schedule_in.empty() || !e.file().empty()) throw;
    throw InputError(o.schedule_in, 0, e.key(), e.message());
  }
  return run;
}

}  // namespace fusim
