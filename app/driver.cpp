#include "driver.h"

#include "common/error.h"
#include "cost/cost_model.h"
#include "import/scalesim.h"
#include "lower/lower.h"
#include "search/search.h"
#include "simulate.h"

namespace fusim {

namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// SCALE-Sim's .cfg architecture, or fusim's YAML.
}  // namespace

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
    run->program =
        std::make_unique<Program>(lower(net, arch, search_schedule(net, arch, o.search)));
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
