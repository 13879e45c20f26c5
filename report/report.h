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
#include "stats/stats.h"

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
  // An input was SCALE-Sim's (a .cfg arch or a .csv topology): --out adds COMPUTE_REPORT.csv.
  bool scalesim_inputs = false;
};

std::string summary_text(const RunResult& r);

// Everything report.json, layers.csv and groups.csv hold, as one tree of registered fields (the
// schemas in report.cpp, which include the simulator's). The three files are walks of it.
StatNode report_tree(const RunResult& r);
std::string report_json(const RunResult& r);
std::string layers_csv(const RunResult& r);
std::string groups_csv(const RunResult& r);

// SCALE-Sim's COMPUTE_REPORT.csv for the run, in SCALE-Sim's own layout (compute_report_columns()
// names and describes its columns), so that the two tools' reports diff directly.
std::string compute_report_csv(const RunResult& r);
struct ReportColumn {
  const char* name;
  const char* unit;
  const char* description;
};
const std::vector<ReportColumn>& compute_report_columns();

// The Markdown page docs/reference/output-fields.md: every field of the three files with its
// type, unit and description, generated from the same registrations (fusim_output_fields).
std::string output_fields_markdown();

// Writes report.json, layers.csv, groups.csv, arch.yaml, network.yaml and schedule.yaml into `dir`
// (created if missing), and COMPUTE_REPORT.csv when the inputs were SCALE-Sim's. Throws InputError when the directory cannot be written.
void write_outputs(const RunResult& r, const std::string& dir);

}  // namespace fusim
