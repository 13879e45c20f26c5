// Turns a run (network, arch, schedule, predictions, simulation) into the stdout summary and the
// files written with --out.
#pragma once

#include <string>
#include <vector>

#include "cost/cost_model.h"

#include "arch/arch.h"
#include "cost/tiling.h"
#include "network/network.h"
#include "schedule/program.h"
#include "stats/sim_stats.h"

namespace fusim {

struct RunResult {
  const Network* net = nullptr;
  const Arch* arch = nullptr;
  const Program* program = nullptr;
  // Per group, from the cost model: off-chip bytes (the simulation must move exactly these),
  // and the whole estimate (MACs with halo recompute, on-chip buffer traffic, cycles).
  std::vector<Traffic> predicted;
  std::vector<GroupCost> predicted_costs;
  SimResult sim;
};

std::string summary_text(const RunResult& r);
std::string report_json(const RunResult& r);
std::string layers_csv(const RunResult& r);
std::string groups_csv(const RunResult& r);

// Writes report.json, layers.csv, groups.csv, arch.yaml, network.yaml and schedule.yaml into `dir`
// (created if missing). Throws InputError when the directory cannot be written.
void write_outputs(const RunResult& r, const std::string& dir);

}  // namespace fusim
