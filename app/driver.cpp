#include "driver.h"

#include <cmath>
#include <filesystem>
#include <iomanip>
#include <memory>
#include <sstream>

#include "arch/arch_io.h"
#include "common/error.h"
#include "cost/cost_model.h"
#include "cost/prefetch.h"
#include "cost/shared_fmaps.h"
#include "import/scalesim.h"
#include "lower/lower.h"
#include "network/network_io.h"
#include "rewrite/bottleneck.h"
#include "schedule/program_io.h"
#include "search/search.h"
#include "simulate.h"

namespace fusim {

namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// What simulation_judge scores a group it cannot run: 2^52 cycles, the end of simulated time.
constexpr std::int64_t kUnrunnable = std::int64_t{1} << 52;

// A tensor within the size limits can still need more tiles than memory holds when the buffers
// are small (a 2^38-element conv on 64 KiB buffers: billions of commands). Rejects the run when
// lowering `schedule` would emit more than kMaxProgramCommands, counted before anything is built.
void check_program_size(const Network& net, const Arch& arch, const Schedule& schedule,
                        const std::string& net_file) {
  const ProgramSize size = count_commands(net, arch, schedule);
  if (size.commands > kMaxProgramCommands) {
    const Layer& l = net.layer(size.largest_group_layer);
    std::ostringstream msg;
    msg << "the program for this network on this arch would have about " << std::setprecision(3)
        << static_cast<double>(size.commands) << " commands, beyond fusim's limit of "
        << static_cast<std::int64_t>(kMaxProgramCommands) << " (about 2 GB of memory); layer '"
        << l.name << "' alone needs " << static_cast<double>(size.largest_group)
        << ": its tensors are too large for the buffers of '" << arch.name << "'";
    throw InputError(net_file, l.source_line, "layers." + l.name, msg.str());
  }
}

}  // namespace

GroupJudge simulation_judge(const Network& net, const Arch& arch, bool shared_fmaps) {
  // A group alone reads and writes its maps where the cost model assumes they are.
  auto candidates = std::make_shared<const std::vector<std::int64_t>>(
      shared_fmaps ? shared_fmap_candidates(net, arch) : std::vector<std::int64_t>{});
  return [&net, &arch, candidates](const Group& group) -> std::int64_t {
    Schedule one;
    one.groups.push_back(group);
    one.shared_fmaps = *candidates;
    if (count_commands(net, arch, one).commands > kMaxProgramCommands) return kUnrunnable;
    try {
      return static_cast<std::int64_t>(
          std::ceil(simulate(net, arch, lower(net, arch, one)).cycles));
    } catch (const Deadlock& e) {
      throw std::logic_error(e.message() +
                             " (judging a group by simulation; fusim made this "
                             "program, so the fault is fusim's)");
    }
  };
}

std::string install_data_dir() {
  std::error_code ec;
  const std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return "";
  const std::filesystem::path data = exe.parent_path() / FUSIM_DATA_FROM_BINDIR;
  return std::filesystem::is_directory(data / "configs", ec) ? data.lexically_normal().string()
                                                             : "";
}

std::string find_input(const std::string& path, const std::string& data_dir) {
  std::error_code ec;
  if (data_dir.empty() || path.empty() || std::filesystem::path(path).is_absolute() ||
      std::filesystem::exists(path, ec))
    return path;
  const std::filesystem::path installed = std::filesystem::path(data_dir) / path;
  return std::filesystem::is_regular_file(installed, ec) ? installed.string() : path;
}

Arch load_any_arch(const RunOptions& o) {
  const std::string path = find_input(o.arch_path, o.data_dir);
  if (!ends_with(path, ".cfg")) return load_arch(path, o.overrides);
  if (!o.overrides.empty()) {
    throw InputError("", 0, "-p",
                     "overrides apply to YAML arch files, not to a SCALE-Sim .cfg (" + path +
                         "); run it once with --out DIR and override DIR/arch.yaml");
  }
  return load_scalesim_config(path);
}

Network load_any_network(const RunOptions& o) {
  const std::string path = find_input(o.net_path, o.data_dir);
  return ends_with(path, ".csv") ? load_scalesim_topology(path, o.scalesim_depthwise)
                                 : load_network(path);
}

std::unique_ptr<Run> run_fusim(const RunOptions& o) {
  auto run = std::make_unique<Run>();
  run->arch = std::make_unique<Arch>(load_any_arch(o));
  const Arch& arch = *run->arch;
  run->net = std::make_unique<Network>(load_any_network(o));
  if (has_fused_bottleneck(arch)) {
    run->loaded_net = std::move(run->net);
    BottleneckCount blocks;
    run->net = std::make_unique<Network>(
        fuse_bottlenecks(*run->loaded_net, arch, find_input(o.net_path, o.data_dir), &blocks));
    run->result.bottleneck_blocks_found = blocks.found;
    run->result.bottleneck_blocks_fused = blocks.fused;
  }
  const Network& net = *run->net;
  if (!o.schedule_in.empty()) {
    run->program = std::make_unique<Program>(load_program(o.schedule_in, net, arch));
  } else {
    if (o.search.cores > arch.core_count) {
      throw InputError("", 0, "--cores",
                       std::to_string(o.search.cores) + " cores asked for, but the arch has " +
                           std::to_string(arch.core_count));
    }
    // A network whose layer-by-layer program cannot fit in memory is refused before a search
    // spends time on it; the chosen schedule is checked again below.
    check_address_space(plan_addresses(net, arch), o.net_path);
    SearchOptions all_cores;  // the largest layer-by-layer program: every layer on all cores
    all_cores.cores = arch.core_count;
    check_program_size(net, arch, schedule_layer_by_layer(net, arch, all_cores), o.net_path);
    SearchOptions search = o.search;
    if (o.judge_by_simulation) search.judge = simulation_judge(net, arch, search.shared_fmaps);
    Schedule schedule = search_schedule(net, arch, search);
    if (schedule.groups_evaluated > 0) schedule.judge = search.judge ? "simulation" : "cost";
    check_program_size(net, arch, schedule, o.net_path);
    run->program = std::make_unique<Program>(lower(net, arch, schedule));
  }
  RunInputs& in = run->result.inputs;
  in.arch_file = o.arch_path;
  in.net_file = o.net_path;
  in.schedule_in = o.schedule_in;
  in.overrides = o.overrides;
  in.fusion = o.search.algorithm;
  in.objective = o.search.objective == Objective::Bytes ? "bytes" : "cycles";
  in.cores = o.search.cores == kCoresDefault ? "default"
             : o.search.cores == kCoresAuto  ? "auto"
                                             : std::to_string(o.search.cores);
  in.judge = o.judge_by_simulation ? "simulation" : "cost";
  in.judge_best = o.search.judge_best;
  in.shared_fmaps = o.search.shared_fmaps ? "on" : "off";
  in.prefetch_weights = o.search.prefetch_weights ? "on" : "off";
  in.fusion_policy = fusion_policy_name(o.search.fusion_policy);
  in.input_centric = o.search.input_centric ? "on" : "off";
  in.max_group_layers = o.search.max_group_layers;
  in.scalesim_depthwise = o.scalesim_depthwise;
  simulate_run(run, o.schedule_in, o.trace);
  run->result.scalesim_inputs = ends_with(o.arch_path, ".cfg") || ends_with(o.net_path, ".csv");
  return run;
}

void simulate_run(std::unique_ptr<Run>& run, const std::string& schedule_in, bool trace) {
  const Network& net = *run->net;
  const Arch& arch = *run->arch;
  RunResult& r = run->result;
  r.net = run->net.get();
  r.loaded_net = run->loaded_net.get();
  r.arch = run->arch.get();
  r.program = run->program.get();
  r.predicted.clear();
  r.predicted_costs.clear();
  const Schedule& s = run->program->schedule;
  r.predicted_costs = scheduled_costs(net, arch, s);
  for (const GroupCost& c : r.predicted_costs) r.predicted.push_back(c.traffic);
  try {
    r.sim = simulate(net, arch, *run->program, trace);
  } catch (const Deadlock& e) {
    // A program that deadlocks is a problem with the schedule file when one was given, and
    // fusim's own when fusim made it.
    if (schedule_in.empty()) {
      throw InternalDeadlock(e.message() + "; fusim made this program, so the fault is fusim's",
                             std::shared_ptr<Run>(std::move(run)));
    }
    throw InputError(schedule_in, 0, e.key(), e.message());
  }
}

}  // namespace fusim
