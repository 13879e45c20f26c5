// Turns a run (network, arch, schedule, predictions, simulation) into the stdout summary and the
// files written with --out.
#pragma once

#include <functional>
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

// What produced a run, as the command line gave it (report.json's `options`): the input file
// names and every option that shapes the result; not the output paths, so that the same run
// written to two directories stays byte-identical.
struct RunInputs {
  std::string arch_file, net_file, schedule_in;
  std::vector<std::string> overrides;  // -p, in order
  std::string fusion, objective, cores, judge;
  std::string shared_fmaps = "on";
  std::string prefetch_weights = "on";
  std::string fusion_policy = "complex";
  std::string input_centric = "on";
  std::int64_t max_group_layers = 0;
  std::int64_t judge_best = 0;  // --judge-best (0: every candidate group judged)
  bool scalesim_depthwise = false;
};

struct RunResult {
  const Network* net = nullptr;
  // The network as loaded, when the run rewrote it (scheduler/rewrite/bottleneck.h: its blocks
  // fused for a fused-bottleneck engine); --out writes this one, which a replay rewrites again.
  const Network* loaded_net = nullptr;
  const Arch* arch = nullptr;
  const Program* program = nullptr;
  // Per group, from the cost model: off-chip bytes (the simulation must move exactly these),
  // and the whole estimate (MACs with halo recompute, on-chip buffer traffic, cycles).
  std::vector<Traffic> predicted;
  std::vector<GroupCost> predicted_costs;
  SimResult sim;
  // With a fused-bottleneck engine: the inverted-bottleneck blocks the rewrite found and those
  // it fused (scheduler/rewrite/bottleneck.h); found is -1 on an arch without the engine.
  int bottleneck_blocks_found = -1, bottleneck_blocks_fused = 0;
  // An input was SCALE-Sim's (a .cfg arch or a .csv topology): --out adds COMPUTE_REPORT.csv.
  bool scalesim_inputs = false;
  RunInputs inputs;
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

// One file of --out DIR: its name in the directory and what makes its text (called once, when
// the file is written, so that only one file's text is in memory at a time).
struct OutputFile {
  std::string name;
  std::function<std::string()> text;
};

// The files of --out DIR for a run: report.json, layers.csv, groups.csv, arch.yaml, network.yaml
// and, with `program` (--out-program on), schedule.yaml, and COMPUTE_REPORT.csv when the inputs
// were SCALE-Sim's. They refer to `r`, which must outlive them. Writing them (atomically) is the
// caller's: app/output_dir.h.
std::vector<OutputFile> output_files(const RunResult& r, bool program = true);

// Every name output_files() can give: an existing --out directory that holds anything else is
// not fusim's, and fusim will not replace it.
const std::vector<std::string>& output_file_names();

}  // namespace fusim
