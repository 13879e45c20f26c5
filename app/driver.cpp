#include "driver.h"

#include "common/error.h"
#include "cost/cost_model.h"
#include "lower/lower.h"
#include "search/layer_by_layer.h"
#include "simulate.h"

namespace fusim {

std::unique_ptr<Run> run_fusim(const RunOptions& o) {
  auto run = std::make_unique<Run>();
  run->arch = std::make_unique<Arch>(load_arch(o.arch_path, o.overrides));
  run->net = std::make_unique<Network>(load_network(o.net_path));
  const Network& net = *run->net;
  const Arch& arch = *run->arch;
  if (!o.schedule_in.empty()) {
    run->program = std::make_unique<Program>(load_program(o.schedule_in, net, arch));
  } else {
    if (o.fusion != "none") {
      throw InputError("", 0, "--fusion",
                       "unknown algorithm '" + o.fusion + "' (this version has: none)");
    }
    run->program = std::make_unique<Program>(lower(net, arch, schedule_layer_by_layer(net, arch)));
  }
  RunResult& r = run->result;
  r.net = run->net.get();
  r.arch = run->arch.get();
  r.program = run->program.get();
  for (const Group& g : run->program->schedule.groups)
    r.predicted.push_back(predict_group_traffic(net, arch, g));
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
