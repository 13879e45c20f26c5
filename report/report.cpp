#include "report.h"

#include "build_info.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>
#include <sstream>

#include <nlohmann/json.hpp>

#include "arch/arch_io.h"
#include "common/checked.h"
#include "common/error.h"
#include "cost/cost_model.h"
#include "network/network_io.h"
#include "schedule/program_io.h"
#include "stats/derived.h"

namespace fusim {

namespace {

// The summary's DRAM line says how many bytes the bursts carried for each byte asked for when
// that is over this (a run whose pieces all fill their bursts carries 1.00-1.01x).
constexpr double kBurstOverheadShown = 1.01;

// Fixed formatting so that output bytes do not depend on the locale or the platform.
std::string num(double v, int decimals = 3) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

// Ten significant digits: a small value (the seconds of a short run at a fast clock) is not
// printed as 0.
std::string sig10(double v) {
  return format_real(v, significant(10));
}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string out = "\"";
  for (char ch : s) out += ch == '"' ? std::string("\"\"") : std::string(1, ch);
  return out + "\"";
}

std::string group_name(const RunResult& r, std::size_t g) {
  const Group& grp = r.program->schedule.groups[g];
  std::string s = r.net->layer(grp.layers.front()).name;
  if (grp.layers.size() > 1) s += "..+" + std::to_string(grp.layers.size() - 1);
  return s;
}

double peak_macs_per_cycle(const Arch& a) {
  return static_cast<double>(a.core_count) * static_cast<double>(a.core.pe_array.rows) *
         static_cast<double>(a.core.pe_array.cols);
}

// The roofline bound: the off-chip floor at the DRAM peak, or the network's MACs at the PE
// arrays' peak, whichever is longer (vector work, latencies and launches not counted).
double roofline_cycles(const Network& net, const Arch& a) {
  const double bytes = static_cast<double>(compulsory_traffic(net, a).total());
  return std::max(bytes / std::max(1e-9, a.dram_peak_bytes_per_cycle()),
                  static_cast<double>(net.total_macs()) / std::max(1.0, peak_macs_per_cycle(a)));
}

// The cost model's cycle estimate against the simulation, over the groups it predicts cycles
// for: the median of simulated over predicted cycles, and how many are within 10 %.
struct EstimateAccuracy {
  double median = 0;
  std::size_t groups = 0, within_10pct = 0;
};

EstimateAccuracy estimate_accuracy(const RunResult& r) {
  std::vector<double> ratios;
  for (std::size_t g = 0; g < r.sim.groups.size() && g < r.predicted_costs.size(); ++g) {
    const auto predicted = static_cast<double>(r.predicted_costs[g].est_cycles);
    if (predicted <= 0) continue;
    const GroupStats& s = r.sim.groups[g];
    ratios.push_back(static_cast<double>(whole_cycles(s.end) - whole_cycles(s.start)) / predicted);
  }
  EstimateAccuracy a;
  a.groups = ratios.size();
  for (double x : ratios) a.within_10pct += std::abs(x - 1) <= 0.1 ? 1 : 0;
  if (!ratios.empty()) {
    std::sort(ratios.begin(), ratios.end());
    const std::size_t n = ratios.size();
    a.median = n % 2 ? ratios[n / 2] : (ratios[n / 2 - 1] + ratios[n / 2]) / 2;
  }
  return a;
}

std::string with_commas(std::int64_t v) {
  std::string s = std::to_string(v);
  for (int i = static_cast<int>(s.size()) - 3; i > (v < 0 ? 1 : 0); i -= 3)
    s.insert(static_cast<std::size_t>(i), ",");
  return s;
}

// Off-chip bytes per second achieved over the group's time, in GB/s.
double group_gbytes_per_s(const GroupStats& g, double clock_mhz) {
  return gbytes_per_s(static_cast<double>(g.traffic.read() + g.traffic.write()), g.end - g.start,
                      clock_mhz);
}

const char* compute_unit(const Layer& l) {
  return l.type == LayerType::Concat || l.is_view() ? "none"
         : l.is_fused_block()                       ? "fused_bottleneck"
         : l.runs_on_pe_array()                     ? "pe_array"
                                                    : "vector";
}

// One row of layers.csv and one entry of report.json's "layers": the network's layer joined
// with what the simulation measured for it.
struct LayerRow {
  std::int64_t index = 0;
  const Layer* layer = nullptr;
  const LayerStats* stats = nullptr;
  std::int64_t batch = 1;
};

const StatSchema<LayerRow>& layer_schema() {
  static const StatSchema<LayerRow> s = [] {
    using L = LayerRow;
    StatSchema<L> r;
    r.add("index", &L::index, "", "the layer's index in the network (topological order)", kCsv);
    r.text("name", "the layer's name", [](const L& l) { return l.layer->name; });
    r.text("type", "the operator", [](const L& l) { return type_name(*l.layer); });
    r.integers(
        "output_shape", "elements", "the output feature map's [channels, height, width]",
        [](const L& l) {
          const auto& o = l.layer->out_shape;
          return std::vector<std::int64_t>{o.c, o.h, o.w};
        },
        kJson);
    r.integer(
        "out_c", "channels", "output channels", [](const L& l) { return l.layer->out_shape.c; },
        kCsv);
    r.integer(
        "out_h", "rows", "output height", [](const L& l) { return l.layer->out_shape.h; }, kCsv);
    r.integer(
        "out_w", "columns", "output width", [](const L& l) { return l.layer->out_shape.w; }, kCsv);
    r.integer("macs", "MACs", "the layer's multiply-accumulates over the whole batch",
              [](const L& l) { return l.layer->macs_per_item() * l.batch; });
    r.integer("params", "parameters", "the layer's weights and biases",
              [](const L& l) { return l.layer->params(); });
    r.integer("vector_ops", "operations",
              "the layer's vector-unit element operations over the whole batch, each once "
              "(docs/network-format.md gives them per layer type and activation)",
              [](const L& l) { return l.layer->vector_ops_per_item() * l.batch; });
    r.integer("multiplications", "operations",
              "the layer's multiplications over the whole batch: one per MAC, plus those of "
              "average pools, mul and div, and activation functions (docs/network-format.md, "
              "\"Counting\")",
              [](const L& l) { return l.layer->arithmetic_per_item().multiplications * l.batch; });
    r.integer("additions", "operations",
              "the layer's additions over the whole batch: one per MAC, plus those of average "
              "pools, add and sub, and activation functions",
              [](const L& l) { return l.layer->arithmetic_per_item().additions * l.batch; });
    r.text("unit", "the compute unit that runs it: pe_array, vector or none (concat)",
           [](const L& l) { return std::string(compute_unit(*l.layer)); });
    r.include(LayerStats::schema(), [](const L& l) -> const LayerStats& { return *l.stats; });
    return r;
  }();
  return s;
}

// One row of groups.csv and one entry of report.json's "groups": the schedule's group joined
// with the simulation's measurements and the cost model's predictions.
struct GroupRow {
  std::int64_t index = 0;
  const RunResult* run = nullptr;
  std::size_t g = 0;
  const Group& group() const { return run->program->schedule.groups[g]; }
  const GroupStats& stats() const { return run->sim.groups[g]; }
  const GroupCost& cost() const { return run->predicted_costs[g]; }
  const Traffic& predicted() const { return run->predicted[g]; }
};

// A group none of whose layers runs a kernel (views of their inputs, concats their producers
// assemble in place) takes no time and no core: `no-kernel`.
std::string group_mapping(const Network& net, const Group& g) {
  if (std::none_of(g.layers.begin(), g.layers.end(),
                   [&](int li) { return layer_has_kernel(net, li); }))
    return "no-kernel";
  return g.layers.size() == 1 ? "single" : to_string(g.mapping);
}

const StatSchema<GroupRow>& group_schema() {
  static const StatSchema<GroupRow> s = [] {
    using G = GroupRow;
    StatSchema<G> r;
    r.add("index", &G::index, "", "the group's index in the schedule (execution order)", kCsv);
    r.texts("layers",
            "the group's layers in topological order (groups.csv: separated by `;`, a `;` "
            "or `\\` in a name written `\\;` or `\\\\`)",
            [](const G& g) {
              std::vector<std::string> names;
              for (int li : g.group().layers) names.push_back(g.run->net->layer(li).name);
              return names;
            });
    r.integer("cores", "cores", "cores the group is split across",
              [](const G& g) { return g.group().cores; });
    r.text("mapping",
           "how the group runs on its cores: `single` (one layer, split by rows and channels), "
           "`tiled` (fused: row tiles, a band of them per core), `input-centric` (tiled, its "
           "pairs of complex operators run input-centric: the producer's tile a chunk of channels "
           "at a time, scattered into the consumer's partial sums; docs/fusion.md), "
           "`layerwise` (the members one after another in one kernel, barriers between them; "
           "docs/multicore.md) or `no-kernel` (no layer of the group runs: views of their "
           "inputs, concats their producers assembled in place; 0 cycles)",
           [](const G& g) { return group_mapping(*g.run->net, g.group()); });
    r.integer(
        "tiles", "tiles",
        "row tiles of a tiled group's output (0 for a single layer or a layerwise group)",
        [](const G& g) { return g.group().tiles; }, kJson);
    r.include(GroupStats::schema(), [](const G& g) -> const GroupStats& { return g.stats(); });
    r.after("offchip_write_bytes");
    r.integer("predicted_offchip_read_bytes", "bytes",
              "the cost model's DRAM read bytes for the group (the simulation must match them)",
              [](const G& g) { return g.predicted().read(); });
    r.integer("predicted_offchip_write_bytes", "bytes",
              "the cost model's DRAM write bytes for the group",
              [](const G& g) { return g.predicted().write(); });
    r.integer(
        "predicted_shared_read_bytes", "bytes",
        "the cost model's shared-buffer load bytes for the group (the simulation must match them)",
        [](const G& g) { return g.cost().shared_read_bytes; }, kJson);
    r.integer(
        "predicted_shared_write_bytes", "bytes", "the cost model's shared-buffer store bytes",
        [](const G& g) { return g.cost().shared_write_bytes; }, kJson);
    r.integer(
        "predicted_macs", "MACs", "the cost model's PE-array MACs, halo recompute included",
        [](const G& g) { return g.cost().macs; }, kJson);
    r.integer(
        "predicted_buffer_read_bytes", "bytes", "the cost model's on-chip buffer read bytes",
        [](const G& g) { return g.cost().buffer_reads; }, kJson);
    r.integer(
        "predicted_buffer_write_bytes", "bytes", "the cost model's on-chip buffer write bytes",
        [](const G& g) { return g.cost().buffer_writes; }, kJson);
    r.integer(
        "predicted_psum_bytes", "bytes",
        "the cost model's partial sums read and written back by the computes that accumulate "
        "(an input-centric consumer's scatter, an input-channel piece after the first; each "
        "way; in the buffer reads and writes too)",
        [](const G& g) { return g.cost().psum_bytes; }, kJson);
    r.integer(
        "predicted_cycles", "cycles",
        "the cost model's estimate: the longest of the busiest core's compute, the memory time "
        "(off-chip bytes at the DRAM peak, shared-buffer bytes at its ports, all over the "
        "interconnect) and the slowest core's load-compute-store pipeline, plus the launch",
        [](const G& g) { return g.cost().est_cycles; }, kJson);
    r.after("dram_row_conflicts");
    r.real("dram_gbytes_per_s", decimals(3), "GB/s",
           "off-chip bytes over the group's time at the clock (1e9 bytes per second)",
           [](const G& g) { return group_gbytes_per_s(g.stats(), g.run->arch->clock_mhz); });
    return r;
  }();
  return s;
}

// The whole of report.json: the run's identity, the network's and the schedule's figures, and
// the simulation's tree with the layers and groups placed in it.
const StatSchema<RunInputs>& inputs_schema() {
  static const StatSchema<RunInputs> s = [] {
    using I = RunInputs;
    StatSchema<I> r;
    r.text("arch", "--arch, the file name as given", [](const I& x) { return x.arch_file; });
    r.text("net", "--net, the file name as given", [](const I& x) { return x.net_file; });
    r.text("schedule_in", "--schedule-in, the file name as given (empty: a search ran)",
           [](const I& x) { return x.schedule_in; });
    r.texts("overrides", "the -p KEY=VALUE overrides, in order",
            [](const I& x) { return x.overrides; });
    r.text("fusion", "--fusion (not used with schedule_in)", [](const I& x) { return x.fusion; });
    r.text("objective", "--objective", [](const I& x) { return x.objective; });
    r.text("cores", "--cores: auto, a number, or default (auto; all cores for none)",
           [](const I& x) { return x.cores; });
    r.text("judge", "--judge: cost or simulation", [](const I& x) { return x.judge; });
    r.integer("judge_best", "partitions",
              "--judge-best: with judge simulation, how many of the cost model's best partitions "
              "were judged (0: every candidate group)",
              [](const I& x) { return x.judge_best; });
    r.text("shared_fmaps",
           "--shared-fmaps: on or off (feature maps between groups in the shared buffer)",
           [](const I& x) { return x.shared_fmaps; });
    r.text("prefetch_weights",
           "--prefetch-weights: on or off (weights prefetched into the shared buffer by earlier "
           "groups)",
           [](const I& x) { return x.prefetch_weights; });
    r.text("fusion_policy",
           "--fusion-policy: complex or simple (at most one conv, fc or gemm per group, the "
           "cheaper layers after it)",
           [](const I& x) { return x.fusion_policy; });
    r.text("input_centric",
           "--input-centric: on or off (pairs of complex operators may run input-centric)",
           [](const I& x) { return x.input_centric; });
    r.integer("max_group_layers", "layers", "--max-group-layers",
              [](const I& x) { return x.max_group_layers; });
    r.text("scalesim_depthwise", "--scalesim-depthwise: true or false",
           [](const I& x) { return std::string(x.scalesim_depthwise ? "true" : "false"); });
    return r;
  }();
  return s;
}

const StatSchema<RunResult>& run_schema() {
  static const StatSchema<RunResult> s = [] {
    using R = RunResult;
    StatSchema<R> r;
    r.text("fusim_version", "the fusim that wrote the file",
           [](const R&) { return std::string(FUSIM_VERSION); });
    r.text("fusim_commit",
           "the git commit fusim was built from (-dirty: with uncommitted changes; unknown: "
           "built outside a git checkout)",
           [](const R&) { return std::string(FUSIM_GIT_COMMIT); });
    r.object("options", "what produced the run, as the command line gave it", inputs_schema(),
             [](const R& x) { return &x.inputs; });
    r.text("network", "the network's name", [](const R& x) { return x.net->name(); });
    r.text("arch", "the architecture's name", [](const R& x) { return x.arch->name; });
    r.integer("batch", "samples", "the network's batch size",
              [](const R& x) { return x.net->batch(); });
    r.text("algorithm", "the fusion search that made the schedule (none: layer by layer)",
           [](const R& x) { return x.program->schedule.algorithm; });
    // The search's wall time is on stdout only: this file is byte-identical across runs.
    r.integer("search_groups_evaluated", "groups", "candidate groups the search costed",
              [](const R& x) { return x.program->schedule.groups_evaluated; });
    r.text("search_judge",
           "what scored the search's candidate groups: cost (the cost model's estimate), "
           "simulation (each simulated alone, --judge simulation) or none (no search scored "
           "any: --fusion none, a --schedule-in program)",
           [](const R& x) { return x.program->schedule.judge; });
    r.real("clock_mhz", significant(10), "MHz", "the accelerator clock",
           [](const R& x) { return x.arch->clock_mhz; });
    r.include(SimResult::schema(), [](const R& x) -> const SimResult& { return x.sim; });
    r.after("cycles");
    r.real("seconds", significant(10), "s", "cycles at the clock",
           [](const R& x) { return seconds(whole_cycles(x.sim.cycles), x.arch->clock_mhz); });
    r.integer("macs", "MACs", "the network's multiply-accumulates over the whole batch",
              [](const R& x) { return x.net->total_macs(); });
    r.integer("multiplications", "operations",
              "the network's multiplications over the whole batch, a MAC counting one (the "
              "layers' sum)",
              [](const R& x) { return x.net->total_arithmetic().multiplications; });
    r.integer("additions", "operations",
              "the network's additions over the whole batch, a MAC counting one (the layers' sum)",
              [](const R& x) { return x.net->total_arithmetic().additions; });
    r.integer("params", "parameters", "the network's weights and biases",
              [](const R& x) { return x.net->total_params(); });
    r.real("mac_utilisation", significant(10), "fraction",
           "macs over cycles times the peak MACs per cycle (cores x PE rows x PE columns)",
           [](const R& x) {
             return mac_utilisation(x.net->total_macs(), whole_cycles(x.sim.cycles),
                                    peak_macs_per_cycle(*x.arch));
           });
    r.after("offchip_ifmap_read_bytes");
    r.integer("compulsory_offchip_bytes", "bytes",
              "the off-chip floor, the bytes that must move: weights, the network-input elements "
              "layers read, network outputs, each once",
              [](const R& x) { return compulsory_traffic(*x.net, *x.arch).total(); });
    r.after("offchip_ofmap_write_bytes");
    r.real("roofline_cycles", significant(10), "cycles",
           "the roofline bound: the off-chip floor at the DRAM peak or the MACs at the PE arrays' "
           "peak, whichever is longer",
           [](const R& x) { return roofline_cycles(*x.net, *x.arch); });
    r.real("x_of_roofline", significant(10), "ratio", "cycles over roofline_cycles",
           [](const R& x) {
             return static_cast<double>(whole_cycles(x.sim.cycles)) /
                    std::max(1.0, roofline_cycles(*x.net, *x.arch));
           });
    r.integer("bottleneck_blocks_found", "blocks",
              "the inverted-bottleneck blocks found for the arch's fused-bottleneck engine (-1: "
              "the arch has none)",
              [](const R& x) { return static_cast<std::int64_t>(x.bottleneck_blocks_found); });
    r.integer("bottleneck_blocks_fused", "blocks",
              "of those, the blocks that run fused, where the cost model finds that faster",
              [](const R& x) { return static_cast<std::int64_t>(x.bottleneck_blocks_fused); });
    r.real("estimate_median_ratio", significant(10), "ratio",
           "the median over the groups of simulated over predicted cycles (predicted_cycles); 0 "
           "when no group has an estimate",
           [](const R& x) { return estimate_accuracy(x).median; });
    r.real("estimate_within_10pct", significant(10), "fraction",
           "the share of the groups whose simulated cycles are within 10 % of predicted_cycles",
           [](const R& x) {
             const EstimateAccuracy a = estimate_accuracy(x);
             return a.groups ? static_cast<double>(a.within_10pct) / static_cast<double>(a.groups)
                             : 0.0;
           });
    // An area proxy for design-space plots (scripts/sweep_plots.py): what the arch spends
    // silicon on, counted, not an area model.
    r.integer("pe_count", "PEs", "processing elements: cores x PE rows x PE columns",
              [](const R& x) { return static_cast<std::int64_t>(peak_macs_per_cycle(*x.arch)); });
    r.integer("sram_bytes", "bytes",
              "on-chip SRAM: cores x (input + weight + output buffer), plus the shared buffer",
              [](const R& x) {
                const Arch& a = *x.arch;
                const std::int64_t core = a.core.input_buffer.capacity_bytes +
                                          a.core.weight_buffer.capacity_bytes +
                                          a.core.output_buffer.capacity_bytes;
                return mul_checked(a.core_count, core) +
                       (a.shared_buffer ? a.shared_buffer->capacity_bytes : 0);
              });
    r.list("layers", "one entry per network layer, by index", layer_schema(), [](const R& x) {
      std::vector<LayerRow> rows(x.net->layers().size());
      for (std::size_t i = 0; i < rows.size(); ++i)
        rows[i] = LayerRow{static_cast<std::int64_t>(i), &x.net->layers()[i], &x.sim.layers[i],
                           x.net->batch()};
      return rows;
    });
    r.list("groups", "one entry per schedule group, in execution order", group_schema(),
           [](const R& x) {
             std::vector<GroupRow> rows(x.sim.groups.size());
             for (std::size_t g = 0; g < rows.size(); ++g)
               rows[g] = GroupRow{static_cast<std::int64_t>(g), &x, g};
             return rows;
           });
    return r;
  }();
  return s;
}

nlohmann::ordered_json to_json(const StatNode& n) {
  switch (n.kind) {
    case StatKind::Int:
      return n.integer;
    case StatKind::Real:
      return n.real;
    case StatKind::Text:
      return n.text;
    case StatKind::IntList:
      return n.integers;
    case StatKind::TextList:
      return n.texts;
    case StatKind::Object: {
      nlohmann::ordered_json o = nlohmann::ordered_json::object();
      for (const StatNode& c : n.children)
        if (c.info->outputs & kJson) o.emplace(c.info->name, to_json(c));
      return o;
    }
    case StatKind::List: {
      nlohmann::ordered_json a = nlohmann::ordered_json::array();
      for (const StatNode& c : n.children) a.push_back(to_json(c));
      return a;
    }
    case StatKind::Null:
      break;
  }
  return nullptr;
}

std::string csv_cell(const StatNode& n) {
  switch (n.kind) {
    case StatKind::Int:
      return std::to_string(n.integer);
    case StatKind::Real:
      return format_real(n.real, n.info->rounding);
    case StatKind::Text:
      return csv_field(n.text);
    case StatKind::IntList: {
      std::string s;
      for (std::int64_t v : n.integers) s += (s.empty() ? "" : " ") + std::to_string(v);
      return s;
    }
    case StatKind::TextList: {
      // Separated by ';', a backslash before each ';' or backslash inside a text: a layer name
      // may hold any character, a space or a ';' among them, and the cell still splits one way.
      std::string s;
      for (std::size_t i = 0; i < n.texts.size(); ++i) {
        if (i) s += ';';
        for (char ch : n.texts[i]) {
          if (ch == ';' || ch == '\\') s += '\\';
          s += ch;
        }
      }
      return csv_field(s);
    }
    default:
      return "";
  }
}

// A CSV of the list `rows` (elements described by `schema`): a header of the schema's CSV fields,
// then one line per element.
template <class Row>
std::string csv(const StatNode& rows, const StatSchema<Row>& schema) {
  std::vector<FieldDoc> columns;
  schema.describe("", kCsv, columns);
  std::string out;
  for (std::size_t i = 0; i < columns.size(); ++i) out += (i ? "," : "") + columns[i].path;
  out += "\n";
  for (const StatNode& row : rows.children) {
    bool first = true;
    for (const StatNode& c : row.children) {
      if (!(c.info->outputs & kCsv)) continue;
      if (!first) out += ",";
      out += csv_cell(c);
      first = false;
    }
    out += "\n";
  }
  return out;
}

std::string json_text(const StatNode& tree) {
  return to_json(tree).dump(2) + "\n";
}

}  // namespace

std::string summary_text(const RunResult& r) {
  const Arch& a = *r.arch;
  const Network& net = *r.net;
  const SimResult& s = r.sim;
  const std::int64_t cycles = whole_cycles(s.cycles);
  const double secs = seconds(cycles, a.clock_mhz);
  const std::int64_t macs = net.total_macs();
  std::ostringstream os;
  os << "fusim: " << net.name() << " (batch " << net.batch() << ") on " << a.name << ", "
     << a.core_count << " cores at " << sig10(a.clock_mhz) << " MHz, schedule '"
     << r.program->schedule.algorithm << "'\n";
  os << "  cycles            " << with_commas(cycles) << "\n";
  // Milliseconds to 3 decimals, or to 10 significant digits when that would show 0.000.
  os << "  time              " << (secs > 0 && secs < 1e-6 ? sig10(secs * 1e3) : num(secs * 1e3, 3))
     << " ms\n";
  os << "  MACs              " << with_commas(macs) << "\n";
  os << "  MAC utilisation   "
     << num(100.0 * mac_utilisation(macs, cycles, peak_macs_per_cycle(a)), 2) << " % of "
     << with_commas(static_cast<std::int64_t>(peak_macs_per_cycle(a))) << " MACs/cycle\n";
  // Spilled partial sums (input-centric groups) are named only when there are any.
  const auto psums = [](std::int64_t b) {
    return b > 0 ? ", partial sums " + with_commas(b) : std::string();
  };
  os << "  off-chip read     " << with_commas(s.traffic.read()) << " B  (weights "
     << with_commas(s.traffic.weight_read) << ", input fmaps " << with_commas(s.traffic.ifmap_read)
     << psums(s.traffic.psum_read) << ")\n";
  os << "  off-chip write    " << with_commas(s.traffic.write()) << " B  (output fmaps "
     << with_commas(s.traffic.ofmap_write) << psums(s.traffic.psum_write) << ")\n";
  os << "  off-chip floor    " << with_commas(compulsory_traffic(net, a).total())
     << " B  (weights, input elements read, outputs, each once)\n";
  {
    const double roof = roofline_cycles(net, a);
    os << "  roofline          " << with_commas(static_cast<std::int64_t>(std::ceil(roof)))
       << " cycles (floor at the DRAM peak, or MACs at the PE peak); this run "
       << num(static_cast<double>(cycles) / std::max(1.0, roof), 2) << "x of roofline\n";
  }
  if (r.bottleneck_blocks_found >= 0) {
    os << "  fused blocks      " << r.bottleneck_blocks_fused << " of " << r.bottleneck_blocks_found
       << " inverted-bottleneck blocks on the fused-bottleneck engine (the others faster "
          "unfused)\n";
  }
  if (const EstimateAccuracy e = estimate_accuracy(r); e.groups > 0) {
    os << "  estimate          simulated / predicted cycles per group: median " << num(e.median, 2)
       << ", " << e.within_10pct << " of " << e.groups << " groups within 10 %\n";
  }
  {
    std::int64_t hits = 0, misses = 0, conflicts = 0, bursts = 0, requested = 0;
    for (const ChannelStats& c : s.dram_channels) {
      hits += c.row_hits;
      misses += c.row_misses;
      conflicts += c.row_conflicts;
      bursts += c.reads + c.writes;
      requested += c.bytes_read + c.bytes_written;
    }
    const double bytes = static_cast<double>(s.traffic.read() + s.traffic.write());
    os << "  DRAM              " << s.dram_model << " model, "
       << num(gbytes_per_s(bytes, static_cast<double>(cycles), a.clock_mhz), 2)
       << " GB/s achieved of " << num(a.dram_peak_bytes_per_cycle() * a.clock_mhz * 1e6 / 1e9, 2)
       << " GB/s peak";
    if (const std::int64_t all = hits + misses + conflicts; all > 0)
      os << ", row-hit rate "
         << num(100.0 * static_cast<double>(hits) / static_cast<double>(all), 1) << " %";
    // The detailed model moves whole bursts: a piece of a pixel's channels narrower than a
    // burst, or across its edge, costs the whole burst (docs/dram.md, "Not modelled yet").
    const double carried = static_cast<double>(mul_checked(bursts, a.dram.burst_bytes_detailed()));
    if (requested > 0 && carried > kBurstOverheadShown * static_cast<double>(requested))
      os << ", bursts carry " << num(carried / static_cast<double>(requested), 2) << "x the bytes";
    os << "\n";
  }
  {
    // Total energy, average power, and the three largest consumers.
    const EnergyStats& e = s.energy;
    std::vector<std::pair<double, const char*>> parts = {{e.dram, "DRAM"},
                                                         {e.pe_array, "PE arrays"},
                                                         {e.registers, "PE registers"},
                                                         {e.vector_unit, "vector units"},
                                                         {e.input_buffer, "input buffers"},
                                                         {e.weight_buffer, "weight buffers"},
                                                         {e.output_buffer, "output buffers"},
                                                         {e.shared_buffer, "shared buffer"},
                                                         {e.interconnect, "interconnect"},
                                                         {e.leakage, "leakage"}};
    std::stable_sort(parts.begin(), parts.end(),
                     [](const auto& x, const auto& y) { return x.first > y.first; });
    os << "  energy            " << num(e.total * 1e-6, 3) << " uJ (" << e.table << ", "
       << num(e.average_power_mw() * 1e-3, 3) << " W average)";
    for (std::size_t i = 0; i < 3 && e.total > 0 && parts[i].first > 0; ++i) {
      os << (i == 0 ? ": " : ", ") << parts[i].second << " "
         << num(100.0 * parts[i].first / e.total, 1) << " %";
    }
    os << "\n";
  }
  if (const auto& sb = s.shared_buffer; sb && sb->reads + sb->writes > 0) {
    os << "  shared buffer     " << with_commas(sb->bytes_read) << " B read, "
       << with_commas(sb->bytes_written) << " B written, "
       << with_commas(std::llround(sb->bank_conflict_cycles)) << " bank-cycles in conflict\n";
  }
  os << "  groups            " << r.program->schedule.groups.size();
  if (r.program->schedule.groups_evaluated > 0) {
    os << "  (search: " << with_commas(r.program->schedule.groups_evaluated) << " candidate groups";
    if (r.program->schedule.partitions_evaluated > 0)
      os << " and " << with_commas(r.program->schedule.partitions_evaluated) << " partitions";
    os << (r.program->schedule.judge == "simulation" ? " simulated" : " evaluated") << " in "
       << num(r.program->schedule.search_seconds, 3) << " s)";
  }
  os << "\n";
  char line[256];
  std::snprintf(line, sizeof line, "  %-4s %-28s %-13s %6s %12s %14s %14s %7s %8s %11s\n", "#",
                "group", "mapping", "cores", "cycles", "read B", "write B", "hit %", "GB/s",
                "mem stall");
  os << line;
  for (std::size_t g = 0; g < s.groups.size(); ++g) {
    const GroupStats& gs = s.groups[g];
    const double hit = row_hit_rate(gs.dram.row_hits, gs.dram.row_misses, gs.dram.row_conflicts);
    std::snprintf(
        line, sizeof line, "  %-4zu %-28s %-13s %6lld %12lld %14lld %14lld %7s %8.2f %11lld\n", g,
        group_name(r, g).substr(0, 28).c_str(),
        group_mapping(*r.net, r.program->schedule.groups[g]).c_str(),
        static_cast<long long>(r.program->schedule.groups[g].cores),
        static_cast<long long>(whole_cycles(gs.end) - whole_cycles(gs.start)),
        static_cast<long long>(gs.traffic.read()), static_cast<long long>(gs.traffic.write()),
        hit < 0 ? "-" : num(100.0 * hit, 1).c_str(), group_gbytes_per_s(gs, a.clock_mhz),
        static_cast<long long>(whole_cycles(gs.memory_stall_cycles)));
    os << line;
  }
  return os.str();
}

StatNode report_tree(const RunResult& r) {
  return run_schema().snapshot(r);
}

std::string report_json(const RunResult& r) {
  return json_text(report_tree(r));
}

std::string layers_csv(const RunResult& r) {
  return csv(report_tree(r)["layers"], layer_schema());
}

std::string groups_csv(const RunResult& r) {
  return csv(report_tree(r)["groups"], group_schema());
}

const std::vector<ReportColumn>& compute_report_columns() {
  static const std::vector<ReportColumn> c = {
      {"LayerID", "", "the layer's index in the network (SCALE-Sim's row, from 0)"},
      {"Total Cycles", "cycles",
       "the layer's cycles: its first command's start to its last command's end (SCALE-Sim "
       "reports the index of its last cycle, one less)"},
      {"Stall Cycles", "cycles",
       "Total Cycles less the busiest core's compute cycles for the layer: the time its compute "
       "waited for memory"},
      {"Overall Util %", "%",
       "MACs x 100 / (Total Cycles x the PEs of every core): SCALE-Sim's num_compute / (cycles x "
       "num_mac_unit)"},
      {"Mapping Efficiency %", "%",
       "the mean over the layer's folds of the PEs a fold uses, x 100 / (rows x cols), for the "
       "whole layer's GEMM on one core's array (empty for a layer not on the PE array)"},
      {"Compute Util %", "%",
       "the mean over the folds of PEs used x T x 100 / (rows x cols x the fold's span, as "
       "SCALE-Sim counts it; engines.md) (empty for a layer not on the PE array)"},
  };
  return c;
}

std::string compute_report_csv(const RunResult& r) {
  const Arch& a = *r.arch;
  std::ostringstream os;
  for (const ReportColumn& c : compute_report_columns())
    os << (&c == &compute_report_columns().front() ? "" : ", ") << c.name;
  os << ",\n";
  const double pes = static_cast<double>(a.core.pe_array.rows) *
                     static_cast<double>(a.core.pe_array.cols) * static_cast<double>(a.core_count);
  auto real = [](double v) {
    char b[64];
    std::snprintf(b, sizeof b, "%.6f", v);
    return std::string(b);
  };
  for (std::size_t i = 0; i < r.net->layers().size(); ++i) {
    const Layer& l = r.net->layer(static_cast<int>(i));
    const LayerStats& st = r.sim.layers[i];
    const std::int64_t total = st.cycles();
    const std::int64_t macs = l.macs_per_item() * r.net->batch();
    os << i << ", " << total << ", " << std::max<std::int64_t>(0, total - st.compute_cycles) << ", "
       << real(total > 0 ? 100.0 * static_cast<double>(macs) / (static_cast<double>(total) * pes)
                         : 0.0)
       << ", ";
    if (l.runs_on_pe_array() && !l.is_fused_block()) {
      const LayerGeometry g(l, a.element_bytes());
      const TileWork w = g.work(0, g.rows(), 0, g.channels());
      const SystolicFoldStats f = systolic_fold_stats(
          a.core.pe_array, mul_checked(w.m, g.b_is_activation() ? 1 : r.net->batch()), w.n, w.k);
      os << real(100.0 * f.mapping_efficiency) << ", " << real(100.0 * f.compute_utilization);
    } else {
      os << ", ";
    }
    os << ",\n";
  }
  return os.str();
}

std::string output_fields_markdown() {
  struct Table {
    const char* file;
    unsigned outputs;
    std::vector<FieldDoc> rows;
    const char* note = "";
  };
  std::vector<Table> tables = {
      {"report.json", kJson, {}}, {"layers.csv", kCsv, {}}, {"groups.csv", kCsv, {}}};
  run_schema().describe("", kJson, tables[0].rows);
  layer_schema().describe("", kCsv, tables[1].rows);
  group_schema().describe("", kCsv, tables[2].rows);
  tables.push_back({"COMPUTE_REPORT.csv",
                    kCsv,
                    {},
                    "Written only when the arch is a SCALE-Sim `.cfg` or the network a SCALE-Sim "
                    "topology `.csv`, in SCALE-Sim v2's layout (its header, `, ` between values, a "
                    "trailing comma), one row per layer.\n\n"});
  for (const ReportColumn& c : compute_report_columns()) {
    const std::string unit = c.unit;
    tables.back().rows.push_back(
        FieldDoc{c.name, unit == "%" ? "number" : "integer", unit, c.description, kCsv});
  }
  auto cell = [](const std::string& s) { return s.empty() ? std::string("-") : s; };
  std::ostringstream os;
  os << "<!-- Generated by `build/report/fusim_output_fields > docs/reference/output-fields.md`; "
        "do not edit. -->\n";
  os << "# Output fields\n\n"
        "Every field fusim writes with `--out DIR`, as registered in the code (each stats struct's "
        "`schema()`, the report's views in report/report.cpp). A path `a[].b` is field `b` of each "
        "entry of list `a`. Numbers are rounded as written (counts are exact). The CTest "
        "`output_fields_doc` fails when this page and the code disagree.\n";
  for (const Table& t : tables) {
    os << "\n## " << t.file << "\n\n" << t.note;
    os << (t.outputs == kJson ? "| field | type | unit | description |\n"
                              : "| column | type | unit | description |\n");
    os << "|---|---|---|---|\n";
    for (const FieldDoc& d : t.rows)
      os << "| `" << d.path << "` | " << d.type << " | " << cell(d.unit) << " | " << d.description
         << " |\n";
  }
  return os.str();
}

const std::vector<std::string>& output_file_names() {
  static const std::vector<std::string> names = {
      "report.json",  "layers.csv",    "groups.csv",        "arch.yaml",
      "network.yaml", "schedule.yaml", "COMPUTE_REPORT.csv"};
  return names;
}

std::vector<OutputFile> output_files(const RunResult& r, bool program) {
  // The report tree is built once, when the first of the three files that walk it is made.
  auto tree = std::make_shared<std::unique_ptr<StatNode>>();
  auto walk = [tree, &r]() -> const StatNode& {
    if (!*tree) *tree = std::make_unique<StatNode>(report_tree(r));
    return **tree;
  };
  std::vector<OutputFile> files = {
      {"report.json", [walk] { return json_text(walk()); }},
      {"layers.csv", [walk] { return csv(walk()["layers"], layer_schema()); }},
      {"groups.csv", [walk] { return csv(walk()["groups"], group_schema()); }},
      {"arch.yaml", [&r] { return arch_to_yaml(*r.arch); }},
      {"network.yaml", [&r] { return network_to_yaml(r.loaded_net ? *r.loaded_net : *r.net); }},
  };
  if (program)
    files.push_back({"schedule.yaml", [&r] { return program_to_yaml(*r.program, *r.net); }});
  if (r.scalesim_inputs)
    files.push_back({"COMPUTE_REPORT.csv", [&r] { return compute_report_csv(r); }});
  return files;
}

}  // namespace fusim
