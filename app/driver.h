// One fusim run, from file names to results: load, schedule (or read a schedule), lower,
// predict, simulate. main() and the end-to-end tests both go through here.
#pragma once

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "arch/arch.h"
#include "network/network.h"
#include "report.h"
#include "schedule/program.h"
#include "search/search.h"

namespace fusim {

struct RunOptions {
  std::string arch_path;
  std::string net_path;
  std::vector<std::string> overrides;  // -p key=value
  std::string schedule_in;             // a Program YAML to replay instead of scheduling
  SearchOptions search;                // --fusion, --objective, --max-group-layers
  // SCALE-Sim topologies (--net x.csv): rows with Num Filter 1 become real depthwise convs
  // instead of one-filter dense convs (--scalesim-depthwise).
  bool scalesim_depthwise = false;
  // --judge simulation: the search scores each candidate group by simulating it alone
  // (simulation_judge) instead of by the cost model's estimate.
  bool judge_by_simulation = false;
  // An installed fusim's data directory (configs/, workloads/; install_data_dir()), or empty:
  // a relative --arch or --net that names no file is looked up there too (find_input).
  std::string data_dir;
  // --trace: the simulation records its timeline (SimResult::trace).
  bool trace = false;
};

// `<prefix>/share/fusim` when this executable runs from `<prefix>/bin` of an install that has
// it (cmake --install), else empty (a build tree).
std::string install_data_dir();

// `path` as given when it names a file, or is absolute, or data_dir is empty; else data_dir/path
// when that names a file; else `path` (whose error then names it as given).
std::string find_input(const std::string& path, const std::string& data_dir);

// Owns everything a RunResult points to.
struct Run {
  std::unique_ptr<Network> net;
  std::unique_ptr<Network> loaded_net;  // when `net` is it rewritten (RunResult::loaded_net)
  std::unique_ptr<Arch> arch;
  std::unique_ptr<Program> program;
  RunResult result;
};

// A program fusim made itself deadlocked in the simulator: a fault of fusim's scheduler, not of
// the input. Carries the run, its program included, so that the program can still be written
// out and inspected.
class InternalDeadlock : public std::logic_error {
 public:
  InternalDeadlock(const std::string& what, std::shared_ptr<Run> deadlocked)
      : std::logic_error(what), run(std::move(deadlocked)) {}
  std::shared_ptr<Run> run;
};

// Throws InputError on bad input (a --schedule-in program that deadlocks included) and
// InternalDeadlock when a program fusim made deadlocks.
std::unique_ptr<Run> run_fusim(const RunOptions& options);

// The last step of run_fusim: predicts every group's cost and simulates run->program, filling
// run->result. `schedule_in` names the file the program came from, empty when fusim made it.
// On InternalDeadlock the run has moved into the exception (run is then null). With `trace`,
// the simulation records its timeline (--trace).
void simulate_run(std::unique_ptr<Run>& run, const std::string& schedule_in, bool trace = false);

// Simulates one group alone (a program of that group only) and returns its cycles, launch
// included: the judge of --judge simulation. A group whose program would pass fusim's command
// limit scores 2^52 cycles (never chosen); a program that deadlocks is fusim's fault and
// throws std::logic_error.
// `shared_fmaps`: SearchOptions::shared_fmaps (the group's maps where the searches assume them).
GroupJudge simulation_judge(const Network& net, const Arch& arch, bool shared_fmaps = true);

// The inputs alone, by file type: YAML, or SCALE-Sim's .cfg and .csv.
Arch load_any_arch(const RunOptions& options);
Network load_any_network(const RunOptions& options);

}  // namespace fusim
