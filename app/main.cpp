// fusim: a cycle-level simulator of multi-core DNN accelerators with a layer-fusion scheduler.
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "arch/arch_io.h"
#include "common/error.h"
#include "driver.h"
#include "network/network_io.h"
#include "schedule/program_io.h"

namespace {

const char* kUsage =
    "usage: fusim --arch ARCH.yaml --net NET.yaml [options]\n"
    "\n"
    "Simulates NET on ARCH and prints cycles, off-chip traffic and the schedule.\n"
    "\n"
    "options:\n"
    "  --arch FILE          architecture (configs/*.yaml, or a SCALE-Sim .cfg)\n"
    "  --net FILE           network (workloads/*.yaml, or a SCALE-Sim topology .csv)\n"
    "  --scalesim-depthwise SCALE-Sim rows with Num Filter 1 become depthwise convs\n"
    "  -p KEY=VALUE         override an arch key, e.g. -p cores.count=16 (repeatable)\n"
    "  --fusion NAME        fusion search: none (layer by layer), dnnvm,\n"
    "                       efficient-s, optimal (the default), online, oracle\n"
    "  --objective OBJ      what the search minimises first: bytes (off-chip, the default)\n"
    "                       or cycles (the cost model's estimate)\n"
    "  --max-group-layers N largest group optimal, dnnvm and efficient-s consider (16)\n"
    "  --out DIR            write report.json, layers.csv, groups.csv, arch.yaml, schedule.yaml\n"
    "  --schedule-out FILE  write the program (per-core commands) as YAML\n"
    "  --schedule-in FILE   simulate this program instead of scheduling\n"
    "  --quiet              no summary on stdout\n"
    "  --convert-only       with --out: write the inputs as fusim YAML (arch.yaml and/or\n"
    "                       network.yaml, e.g. from SCALE-Sim files) and simulate nothing\n"
    "  --help, --version\n"
    "\n"
    "exit status: 0 success, 2 bad input (one line on stderr), 1 internal error\n";

}  // namespace

int main(int argc, char** argv) {
  fusim::RunOptions opt;
  std::string out_dir, schedule_out;
  bool quiet = false, convert_only = false;
  try {
    for (int i = 1; i < argc; ++i) {
      const std::string a = argv[i];
      auto value = [&]() -> std::string {
        if (i + 1 >= argc) throw fusim::InputError("", 0, a, "expects a value");
        return argv[++i];
      };
      if (a == "--help" || a == "-h") {
        std::cout << kUsage;
        return 0;
      } else if (a == "--version") {
        std::cout << "fusim " << FUSIM_VERSION << "\n";
        return 0;
      } else if (a == "--arch") {
        opt.arch_path = value();
      } else if (a == "--net") {
        opt.net_path = value();
      } else if (a == "-p") {
        opt.overrides.push_back(value());
      } else if (a == "--fusion") {
        opt.search.algorithm = value();
      } else if (a == "--objective") {
        const std::string v = value();
        if (v != "bytes" && v != "cycles")
          throw fusim::InputError("", 0, a, "expects bytes or cycles, not '" + v + "'");
        opt.search.objective = v == "bytes" ? fusim::Objective::Bytes : fusim::Objective::Cycles;
      } else if (a == "--max-group-layers") {
        const std::string v = value();
        char* end = nullptr;
        const long n = std::strtol(v.c_str(), &end, 10);
        if (v.empty() || *end != '\0' || n < 1 || n > 64)
          throw fusim::InputError("", 0, a, "expects a whole number from 1 to 64, not '" + v + "'");
        opt.search.max_group_layers = static_cast<int>(n);
      } else if (a == "--out") {
        out_dir = value();
      } else if (a == "--schedule-out") {
        schedule_out = value();
      } else if (a == "--schedule-in") {
        opt.schedule_in = value();
      } else if (a == "--scalesim-depthwise") {
        opt.scalesim_depthwise = true;
      } else if (a == "--quiet") {
        quiet = true;
      } else if (a == "--convert-only") {
        convert_only = true;
      } else {
        throw fusim::InputError("", 0, a, "unknown option (see fusim --help)");
      }
    }
    if (convert_only) {
      if (out_dir.empty()) throw fusim::InputError("", 0, "--convert-only", "needs --out DIR");
      if (opt.arch_path.empty() && opt.net_path.empty()) {
        throw fusim::InputError("", 0, "--convert-only", "needs --arch or --net");
      }
      std::filesystem::create_directories(out_dir);
      auto write = [&](const std::string& name, const std::string& text) {
        std::ofstream f(out_dir + "/" + name, std::ios::binary);
        f << text;
        if (!f) throw fusim::InputError(out_dir + "/" + name, 0, "--out", "cannot write the file");
      };
      if (!opt.arch_path.empty())
        write("arch.yaml", fusim::arch_to_yaml(fusim::load_any_arch(opt)));
      if (!opt.net_path.empty())
        write("network.yaml", fusim::network_to_yaml(fusim::load_any_network(opt)));
      return 0;
    }
    if (opt.arch_path.empty() || opt.net_path.empty()) {
      throw fusim::InputError("", 0, opt.arch_path.empty() ? "--arch" : "--net",
                              "is required (see fusim --help)");
    }
    auto run = fusim::run_fusim(opt);
    if (!quiet) std::cout << fusim::summary_text(run->result);
    if (!out_dir.empty()) fusim::write_outputs(run->result, out_dir);
    if (!schedule_out.empty()) {
      std::ofstream f(schedule_out, std::ios::binary);
      f << fusim::program_to_yaml(*run->program, *run->net);
      if (!f) throw fusim::InputError(schedule_out, 0, "--schedule-out", "cannot write the file");
    }
    return 0;
  } catch (const fusim::InputError& e) {
    std::cerr << "fusim: error: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "fusim: internal error: " << e.what() << "\n";
    return 1;
  }
}
