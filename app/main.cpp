// fusim: a cycle-level simulator of multi-core DNN accelerators with a layer-fusion scheduler.
#include <unistd.h>
#include <CLI/CLI.hpp>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "arch/arch_io.h"
#include "build_info.h"
#include "common/error.h"
#include "driver.h"
#include "large_stack.h"
#include "network/network_io.h"
#include "output_dir.h"
#include "schedule/program_io.h"
#include "search/registry.h"
#include "trace.h"

namespace {

const char* kUsage = "usage: fusim --arch ARCH.yaml --net NET.yaml [options]";

// --max-group-layers accepts 1 to this many layers.
constexpr int kMaxGroupLayersLimit = 64;
// --judge-best accepts 0 to this many partitions (each state of the search keeps that many).
constexpr int kMaxJudgeBest = 1000;

const std::vector<std::pair<std::string, fusim::Objective>> kObjectives = {
    {"bytes", fusim::Objective::Bytes}, {"cycles", fusim::Objective::Cycles}};

std::string objective_name(fusim::Objective o) {
  for (const auto& [name, value] : kObjectives)
    if (value == o) return name;
  return "";
}

// The help text's layout: the usage line first, then "--arch FILE" and its line, then the
// searches, examples and exit status (the footer).
class HelpFormatter : public CLI::Formatter {
 public:
  HelpFormatter() { column_width(24); }
  std::string make_help(const CLI::App* app, std::string, CLI::AppFormatMode mode) const override {
    return std::string(kUsage) + "\n\n" + make_description(app) + make_groups(app, mode) + "\n" +
           make_footer(app);
  }
  std::string make_option_name(const CLI::Option* opt, bool) const override {
    std::string names = opt->get_name(false, true);  // "-h,--help"
    for (std::size_t i = names.find(','); i != std::string::npos; i = names.find(',', i + 2))
      names.replace(i, 1, ", ");
    return names;
  }
  std::string make_option_opts(const CLI::Option* opt) const override {
    return opt->get_option_text().empty() ? "" : " " + opt->get_option_text();
  }
};

// The searches (from the registry), examples and exit codes, after the options.
std::string help_footer() {
  std::string text = "searches (--fusion NAME):\n";
  for (const fusim::SearchAlgorithm& a : fusim::search_algorithms()) {
    std::string name = "  " + a.name;
    name.resize(std::max<std::size_t>(name.size() + 1, 15), ' ');
    text += name + a.description + "\n";
  }
  text +=
      "\n"
      "examples:\n"
      "  MobileNetV2 on the MLU-like chip, fused by the default search:\n"
      "    fusim --arch configs/mlu.yaml --net workloads/mobilenetv2.yaml\n"
      "  one point of a sweep: 16 cores, chain-only fusion, no summary, all files in out/c16:\n"
      "    fusim --arch configs/mlu.yaml --net workloads/mobilenetv2.yaml -p cores.count=16 \\\n"
      "          --fusion dnnvm --quiet --out out/c16\n"
      "  SCALE-Sim's own configuration and topology, layer by layer:\n"
      "    fusim --arch=tests/data/scalesim/scale.cfg --net=tests/data/scalesim/mobilenet.csv \\\n"
      "          --fusion none\n"
      "\n"
      "exit status: 0 success, 2 bad input (one line on stderr), 1 internal error\n";
  return text;
}

// A CLI11 validator with fusim's message: `check` returns "" or what is wrong with the value.
CLI::Validator validator(std::function<std::string(const std::string&)> check) {
  return CLI::Validator([check](std::string& v) { return check(v); }, "");
}

// A validator for a whole number from `lo` to `hi`.
CLI::Validator whole_number(long lo, long hi) {
  return validator([lo, hi](const std::string& v) {
    char* end = nullptr;
    const long n = std::strtol(v.c_str(), &end, 10);
    if (v.empty() || *end != '\0' || n < lo || n > hi) {
      return "expects a whole number from " + std::to_string(lo) + " to " + std::to_string(hi) +
             ", not '" + v + "'";
    }
    return std::string();
  });
}

// CLI11 reports an option's error as "NAME: what"; fusim's errors read "key 'NAME': what".
std::string parse_error_message(const CLI::ParseError& e, const CLI::App& app) {
  const std::string see = " (see fusim --help)";
  std::vector<std::string> extras = app.remaining();
  extras.erase(std::remove(extras.begin(), extras.end(), "--"), extras.end());
  if (dynamic_cast<const CLI::ExtrasError*>(&e) != nullptr && !extras.empty()) {
    const std::string arg = extras.front();
    return arg.rfind('-', 0) == 0 ? "key '" + arg + "': unknown option" + see
                                  : "unexpected argument '" + arg + "'" + see;
  }
  const std::string what = e.what();
  const std::size_t colon = what.find(": ");
  if (what.rfind('-', 0) != 0 || colon == std::string::npos) return what + see;
  const std::string key = what.substr(0, colon);
  if (dynamic_cast<const CLI::ArgumentMismatch*>(&e) != nullptr)
    return "key '" + key + "': expects a value";
  return "key '" + key + "': " + what.substr(colon + 2);
}

// What the command line asks for.
struct CommandLine {
  fusim::RunOptions run;
  std::string out_dir, schedule_out, trace;
  std::string objective;                  // a name in kObjectives
  std::string cores;                      // --cores: "", "auto" or a number
  std::string judge = "cost";             // --judge: cost or simulation
  std::string shared_fmaps = "on";        // --shared-fmaps: on or off
  std::string prefetch_weights = "on";    // --prefetch-weights: on or off
  std::string fusion_policy = "complex";  // --fusion-policy: simple or complex
  std::string input_centric = "on";       // --input-centric: on or off
  std::string out_program = "on";         // --out-program: on or off
  bool quiet = false, convert_only = false;
};

// Every option, its help line and its check; parsing fills `cl`.
void add_options(CLI::App& app, CommandLine& cl) {
  const fusim::SearchOptions defaults;
  cl.objective = objective_name(defaults.objective);
  app.formatter(std::make_shared<HelpFormatter>());
  app.footer(help_footer());
  // Given twice, an option's last value counts (sweep scripts append to a base command).
  app.option_defaults()->group("options")->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  app.set_help_flag();

  app.add_option("--arch", cl.run.arch_path, "architecture (configs/*.yaml, or a SCALE-Sim .cfg)")
      ->option_text("FILE");
  app.add_option("--net", cl.run.net_path,
                 "network (workloads/*.yaml, or a SCALE-Sim topology .csv)")
      ->option_text("FILE");
  app.add_flag("--scalesim-depthwise", cl.run.scalesim_depthwise,
               "SCALE-Sim rows with Num Filter 1 become depthwise convs");
  app.add_option("-p", cl.run.overrides,
                 "override an arch key (repeatable, in order), e.g. -p cores.count=16")
      ->option_text("KEY=VALUE")
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
      ->allow_extra_args(false);
  app.add_option("--fusion", cl.run.search.algorithm,
                 "fusion search, one of those below (default: " + defaults.algorithm + ")")
      ->option_text("NAME")
      ->check(validator([](const std::string& v) {
        try {
          fusim::find_search_algorithm(v);
          return std::string();
        } catch (const fusim::InputError& e) {
          return e.message();
        }
      }));
  std::string objectives;
  for (const auto& o : kObjectives) objectives += (objectives.empty() ? "" : " or ") + o.first;
  app.add_option("--objective", cl.objective,
                 "what the search minimises first: bytes (off-chip, then cycles) or\n"
                 "cycles (the cost model's estimate, then bytes); default: " +
                     objective_name(defaults.objective))
      ->option_text("OBJ")
      ->check(validator([objectives](const std::string& v) {
        for (const auto& o : kObjectives)
          if (o.first == v) return std::string();
        return "expects " + objectives + ", not '" + v + "'";
      }));
  app.add_option("--cores", cl.cores,
                 "cores per group: auto (the search chooses per group; with --fusion none,\n"
                 "per layer) or a number N (every group on N cores); default: auto, and\n"
                 "for --fusion none all cores, fewer for a layer whose estimate is 5 % lower\n"
                 "there (the layer-by-layer baseline)")
      ->option_text("N|auto")
      ->check(validator([](const std::string& v) {
        if (v == "auto") return std::string();
        char* end = nullptr;
        const long n = std::strtol(v.c_str(), &end, 10);
        if (v.empty() || *end != '\0' || n < 1 || n > (1L << 20))
          return "expects auto or a whole number of cores, not '" + v + "'";
        return std::string();
      }));
  // An option whose value is one of two words.
  auto one_of_two = [&](const std::string& name, std::string& value, const std::string& help,
                        const std::string& a, const std::string& b) {
    app.add_option(name, value, help)
        ->option_text(a + "|" + b)
        ->check(validator([a, b](const std::string& v) {
          if (v == a || v == b) return std::string();
          return "expects " + a + " or " + b + ", not '" + v + "'";
        }));
  };
  one_of_two("--judge", cl.judge,
             "what scores a candidate group: cost (the cost model's estimate; the\n"
             "default) or simulation (each group and core count simulated alone:\n"
             "the oracle, slow)",
             "cost", "simulation");
  app.add_option("--judge-best", cl.run.search.judge_best,
                 "with --judge simulation, optimal and dnnvm: simulate only the groups\n"
                 "of the cost model's K best partitions and take the best of those\n"
                 "(a reduced oracle); 0 (the default): every candidate group")
      ->option_text("K")
      ->check(whole_number(0, kMaxJudgeBest));
  one_of_two("--shared-fmaps", cl.shared_fmaps,
             "on (the default): feature maps between groups stay in the arch's\n"
             "shared buffer where they fit; off: every one goes through DRAM",
             "on", "off");
  one_of_two("--prefetch-weights", cl.prefetch_weights,
             "on (the default): a group with DRAM time to spare copies later groups'\n"
             "weights into the arch's shared buffer; off: each group loads its own\n"
             "weights from DRAM",
             "on", "off");
  one_of_two("--fusion-policy", cl.fusion_policy,
             "complex (the default): a group may hold several complex operators (conv,\n"
             "fc, gemm); simple: at most one, with only cheaper layers after it (TVM's\n"
             "default fusion)",
             "complex", "simple");
  one_of_two("--input-centric", cl.input_centric,
             "on (the default): a group of two complex operators may run its pair\n"
             "input-centric (CORF: the producer's tile scattered into the consumer's\n"
             "partial sums a chunk at a time); off: tiled and layerwise only",
             "on", "off");
  app.add_option("--max-group-layers", cl.run.search.max_group_layers,
                 "largest group optimal, dnnvm, efficient-s consider (default: " +
                     std::to_string(defaults.max_group_layers) + ")")
      ->option_text("N")
      ->check(whole_number(1, kMaxGroupLayersLimit));
  app.add_option("--out", cl.out_dir,
                 "write report.json, layers.csv, groups.csv, arch.yaml,\n"
                 "network.yaml and schedule.yaml there")
      ->option_text("DIR");
  one_of_two("--out-program", cl.out_program,
             "with --out: on (the default) writes the program, schedule.yaml, there\n"
             "too; off leaves it out (a sweep's points: the program is most of the\n"
             "bytes --out writes, and of the time it takes on big networks)",
             "on", "off");
  app.add_option("--schedule-out", cl.schedule_out, "write the program (per-core commands) as YAML")
      ->option_text("FILE");
  app.add_option("--schedule-in", cl.run.schedule_in, "simulate this program instead of scheduling")
      ->option_text("FILE");
  app.add_option("--trace", cl.trace,
                 "write the run's timeline as Chrome trace-event JSON\n"
                 "(Perfetto, chrome://tracing): core engines, DRAM, groups")
      ->option_text("FILE");
  app.add_flag("--quiet", cl.quiet, "no summary on stdout");
  app.add_flag("--convert-only", cl.convert_only,
               "with --out: write the inputs as fusim YAML (arch.yaml and/or\n"
               "network.yaml, e.g. from SCALE-Sim files) and simulate nothing");
  app.set_help_flag("-h,--help", "print this help and exit");
  app.set_version_flag("--version", "fusim " FUSIM_VERSION " (commit " FUSIM_GIT_COMMIT ")",
                       "print the version and the git commit built from, and exit");
}

// Writes `text` to standard output. A failed write (a full disk, a closed pipe, /dev/full) is
// an error: a run whose summary was lost did not succeed.
void write_stdout(const std::string& text) {
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(STDOUT_FILENO, text.data() + done, text.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw fusim::InputError("standard output", 0, "",
                              std::string("cannot write: ") + std::strerror(errno));
    }
    done += static_cast<std::size_t>(n);
  }
}

// The checks on the command line as a whole, before anything is read, simulated or written.
void check_command_line(const CLI::App& app, const CommandLine& cl) {
  const fusim::RunOptions& opt = cl.run;
  // Options that name one input each: given twice, which one counts would be a guess.
  for (const char* name : {"--arch", "--net", "--fusion"}) {
    const std::vector<std::string> given = app.get_option(name)->results();
    if (given.size() > 1) {
      throw fusim::InputError("", 0, name,
                              "given more than once ('" + given[given.size() - 2] + "', '" +
                                  given.back() + "'); give it once");
    }
  }
  // An empty path is a mistake (an unset shell variable), not "no file".
  const std::vector<std::pair<const char*, const std::string*>> paths = {
      {"--arch", &opt.arch_path}, {"--net", &opt.net_path},
      {"--out", &cl.out_dir},     {"--schedule-out", &cl.schedule_out},
      {"--trace", &cl.trace},     {"--schedule-in", &opt.schedule_in}};
  for (const auto& [name, value] : paths) {
    if (app.get_option(name)->count() > 0 && value->empty())
      throw fusim::InputError("", 0, name, "expects a path, not an empty string");
  }
  if (!opt.schedule_in.empty() && app.get_option("--fusion")->count() > 0) {
    throw fusim::InputError("", 0, "--fusion",
                            "does not apply with --schedule-in (the program is simulated as "
                            "it is, without a search)");
  }
  if (!opt.schedule_in.empty() && app.get_option("--shared-fmaps")->count() > 0) {
    throw fusim::InputError("", 0, "--shared-fmaps",
                            "does not apply with --schedule-in (the program's loads and stores "
                            "say where each feature map is)");
  }
  if (!opt.schedule_in.empty() && app.get_option("--input-centric")->count() > 0) {
    throw fusim::InputError("", 0, "--input-centric",
                            "does not apply with --schedule-in (the program's groups say how "
                            "each runs)");
  }
  if (!opt.schedule_in.empty() && app.get_option("--fusion-policy")->count() > 0) {
    throw fusim::InputError("", 0, "--fusion-policy",
                            "does not apply with --schedule-in (the program is simulated as "
                            "it is, without a search)");
  }
  if (!opt.schedule_in.empty() && app.get_option("--prefetch-weights")->count() > 0) {
    throw fusim::InputError("", 0, "--prefetch-weights",
                            "does not apply with --schedule-in (the program's prefetches say "
                            "which weights are in the shared buffer)");
  }
  if (app.get_option("--out-program")->count() > 0 && (cl.out_dir.empty() || cl.convert_only)) {
    throw fusim::InputError("", 0, "--out-program",
                            cl.convert_only ? "does not apply with --convert-only (it writes no "
                                              "program)"
                                            : "applies only with --out DIR (use --schedule-out "
                                              "FILE for the program alone)");
  }
  if (opt.search.judge_best > 0 && cl.judge != "simulation") {
    throw fusim::InputError("", 0, "--judge-best",
                            "applies only with --judge simulation (it picks which partitions "
                            "the simulation judges)");
  }
  if (opt.search.judge_best > 0 && !fusim::find_search_algorithm(opt.search.algorithm).ranks) {
    std::string ranking;
    for (const fusim::SearchAlgorithm& a : fusim::search_algorithms())
      if (a.ranks) ranking += (ranking.empty() ? "" : ", ") + a.name;
    throw fusim::InputError("", 0, "--judge-best",
                            "applies only to the searches that rank whole partitions (" + ranking +
                                "), not '" + opt.search.algorithm + "'");
  }
  if (!opt.schedule_in.empty() && opt.judge_by_simulation) {
    throw fusim::InputError("", 0, "--judge",
                            "does not apply with --schedule-in (the program is simulated as "
                            "it is, without a search)");
  }
  // An output must not replace an input.
  const std::vector<std::pair<const char*, const std::string*>> inputs = {
      {"--arch", &opt.arch_path}, {"--net", &opt.net_path}, {"--schedule-in", &opt.schedule_in}};
  for (const auto& [name, input] : inputs) {
    if (input->empty()) continue;
    if (!cl.schedule_out.empty() && fusim::same_path(cl.schedule_out, *input)) {
      throw fusim::InputError(cl.schedule_out, 0, "--schedule-out",
                              std::string("is also the ") + name +
                                  " input; the program would replace it: choose another file");
    }
    if (!cl.trace.empty() && fusim::same_path(cl.trace, *input)) {
      throw fusim::InputError(cl.trace, 0, "--trace",
                              std::string("is also the ") + name +
                                  " input; the trace would replace it: choose another file");
    }
    if (!cl.out_dir.empty() &&
        (fusim::directly_inside(*input, cl.out_dir) || fusim::same_path(*input, cl.out_dir))) {
      throw fusim::InputError(cl.out_dir, 0, "--out",
                              std::string("holds the ") + name + " input '" + *input +
                                  "'; fusim replaces the whole directory: choose another one");
    }
  }
  for (const auto& [name, file] :
       {std::pair<const char*, const std::string*>{"--schedule-out", &cl.schedule_out},
        {"--trace", &cl.trace}}) {
    if (!cl.out_dir.empty() && !file->empty() &&
        (fusim::directly_inside(*file, cl.out_dir) || fusim::same_path(*file, cl.out_dir))) {
      throw fusim::InputError(*file, 0, name,
                              "is inside --out " + cl.out_dir +
                                  ", which fusim replaces as a whole: choose a file outside it");
    }
  }
  if (!cl.trace.empty() && !cl.schedule_out.empty() && fusim::same_path(cl.trace, cl.schedule_out))
    throw fusim::InputError(cl.trace, 0, "--trace", "is also --schedule-out: choose another file");
}

}  // namespace

static int fusim_main(int argc, char** argv) {
  // Past a size limit (ulimit -f), a write fails with EFBIG instead of killing fusim, so that
  // the error is reported and the temporary files are removed.
  signal(SIGXFSZ, SIG_IGN);
  CommandLine cl;
  fusim::RunOptions& opt = cl.run;
  CLI::App app("Simulates NET on ARCH and prints cycles, off-chip traffic and the schedule.",
               "fusim");
  try {
    add_options(app, cl);
  } catch (const std::exception& e) {
    std::cerr << "fusim: internal error: " << e.what() << "\n";
    return 1;
  }
  // Staged before the run, committed after it (output_dir.h); removed if never committed.
  std::optional<fusim::StagedDirectory> out_dir;
  std::optional<fusim::StagedFile> schedule_out;
  std::optional<fusim::StagedFile> trace;
  try {
    // No arguments: the user is asking what fusim is, not running it.
    if (argc <= 1) {
      write_stdout(app.help());
      return 0;
    }
    try {
      app.parse(argc, argv);
    } catch (const CLI::CallForHelp&) {
      write_stdout(app.help());
      return 0;
    } catch (const CLI::CallForVersion& e) {
      write_stdout(std::string(e.what()) + "\n");
      return 0;
    }
    for (const auto& o : kObjectives)
      if (o.first == cl.objective) opt.search.objective = o.second;
    if (cl.cores == "auto")
      opt.search.cores = fusim::kCoresAuto;
    else if (!cl.cores.empty())
      opt.search.cores = std::strtol(cl.cores.c_str(), nullptr, 10);
    opt.judge_by_simulation = cl.judge == "simulation";
    opt.search.shared_fmaps = cl.shared_fmaps == "on";
    opt.search.prefetch_weights = cl.prefetch_weights == "on";
    opt.search.fusion_policy = *fusim::fusion_policy_of(cl.fusion_policy);  // CLI11 checked it
    opt.search.input_centric = cl.input_centric == "on";
    opt.data_dir = fusim::install_data_dir();
    check_command_line(app, cl);

    if (cl.convert_only) {
      if (cl.out_dir.empty()) throw fusim::InputError("", 0, "--convert-only", "needs --out DIR");
      if (opt.arch_path.empty() && opt.net_path.empty()) {
        throw fusim::InputError("", 0, "--convert-only", "needs --arch or --net");
      }
      out_dir.emplace(cl.out_dir, "--out");
      std::vector<fusim::OutputFile> files;
      if (!opt.arch_path.empty()) {
        files.push_back(
            {"arch.yaml", [&opt] { return fusim::arch_to_yaml(fusim::load_any_arch(opt)); }});
      }
      if (!opt.net_path.empty()) {
        files.push_back({"network.yaml",
                         [&opt] { return fusim::network_to_yaml(fusim::load_any_network(opt)); }});
      }
      // The inputs are read before anything is written.
      for (fusim::OutputFile& f : files) {
        auto text = std::make_shared<std::string>(f.text());
        f.text = [text] { return *text; };
      }
      out_dir->commit(files);
      return 0;
    }
    if (opt.arch_path.empty() || opt.net_path.empty()) {
      throw fusim::InputError("", 0, opt.arch_path.empty() ? "--arch" : "--net",
                              "is required (see fusim --help)");
    }
    // An output path that cannot be written fails here, before the search and the simulation.
    if (!cl.out_dir.empty()) out_dir.emplace(cl.out_dir, "--out");
    if (!cl.schedule_out.empty()) schedule_out.emplace(cl.schedule_out, "--schedule-out");
    if (!cl.trace.empty()) trace.emplace(cl.trace, "--trace");
    opt.trace = !cl.trace.empty();
    auto run = fusim::run_fusim(opt);
    if (!cl.quiet) write_stdout(fusim::summary_text(run->result));
    if (out_dir) out_dir->commit(fusim::output_files(run->result, cl.out_program == "on"));
    if (schedule_out) schedule_out->commit(fusim::program_to_yaml(*run->program, *run->net));
    if (trace) trace->commit(fusim::trace_json(run->result));
    return 0;
  } catch (const CLI::ParseError& e) {
    std::cerr << "fusim: error: " << parse_error_message(e, app) << "\n";
    return 2;
  } catch (const fusim::InputError& e) {
    std::cerr << "fusim: error: " << e.what() << "\n";
    return 2;
  } catch (const fusim::InternalDeadlock& e) {
    // Still a fault of fusim's: the program is written so that it can be inspected.
    std::string written;
    if (schedule_out) {
      try {
        schedule_out->commit(fusim::program_to_yaml(*e.run->program, *e.run->net));
        written = " (the program is in " + cl.schedule_out + ")";
      } catch (const std::exception& w) {
        written = " (and the program could not be written: " + std::string(w.what()) + ")";
      }
    }
    std::cerr << "fusim: internal error: " << e.what() << written << "\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "fusim: internal error: " << e.what() << "\n";
    return 1;
  }
}

// The run is on a stack of its own: the main thread's is as small as `ulimit -s` makes it.
int main(int argc, char** argv) {
  return fusim::run_on_large_stack(fusim_main, argc, argv);
}
