// SCALE-Sim v2's own input files (tests/data/scalesim/, copied unmodified from
// scalesim-project/scale-sim-v2, MIT licence): every topology and cfg field mapped, SCALE-Sim's
// output rounding, its compute-cycle counts for os/ws/is in closed form, and the errors.
#include <catch2/catch.hpp>

#include <cmath>
#include <fstream>
#include <functional>
#include <iterator>
#include <map>
#include <optional>
#include <sstream>
#include <string>

#include "common/error.h"
#include "driver.h"
#include "engines/engines.h"
#include "import/scalesim.h"
#include "lower/lower.h"
#include "report.h"
#include "search/search.h"
#include "simulate.h"
#include "test_util.h"

namespace {

using fusim::Dataflow;
using fusim::InputError;
using fusim::test::error_of;
using fusim::test::src;
using fusim::test::write_temp;

std::string data(const std::string& name) {
  return src("tests/data/scalesim/" + name);
}

const fusim::Layer& layer(const fusim::Network& net, const std::string& name) {
  const int i = net.find_layer(name);
  REQUIRE(i >= 0);
  return net.layer(i);
}

// SCALE-Sim's OFMAP extent (topology_utils.py): ceil((ifmap - filter + stride) / stride).
std::int64_t scalesim_out(std::int64_t in, std::int64_t f, std::int64_t s) {
  return (in - f + s + s - 1) / s;
}

// Simulates `net` on scale.cfg with dataflow `df` and SRAMs large enough that every layer is one
// tile, and returns each layer's PE-array compute cycles by name.
std::map<std::string, std::int64_t> sim_compute_cycles(const fusim::Network& net, Dataflow df) {
  fusim::Arch arch = fusim::load_scalesim_config(data("scale.cfg"));
  arch.core.pe_array.dataflow = df;
  for (fusim::BufferParams* b :
       {&arch.core.input_buffer, &arch.core.weight_buffer, &arch.core.output_buffer}) {
    b->capacity_bytes = std::int64_t{1} << 30;
  }
  const fusim::Program p = fusim::lower(net, arch, fusim::schedule_layer_by_layer(net, arch));
  const fusim::SimResult s = fusim::simulate(net, arch, p);
  std::map<std::string, std::int64_t> out;
  for (std::size_t i = 0; i < s.layers.size(); ++i) {
    out[net.layer(static_cast<int>(i)).name] = s.layers[i].compute_cycles;
  }
  return out;
}

}  // namespace

TEST_CASE("the shared SCALE-Sim files are the ones copied into tests/data", "[scalesim]") {
  // CI has shared/ beside the clone; elsewhere the copies are what the tests use.
  for (const char* f : {"scale.cfg", "mobilenet.csv", "Resnet18.csv", "gpt2_mnk.csv"}) {
    std::ifstream shared(std::string(FUSIM_SOURCE_DIR "/../shared/scalesim/") + f);
    if (!shared) continue;
    std::ifstream copy(data(f));
    const std::string a((std::istreambuf_iterator<char>(shared)), {});
    const std::string b((std::istreambuf_iterator<char>(copy)), {});
    CHECK(a == b);
  }
}

TEST_CASE("scale.cfg maps to a one-core arch", "[scalesim]") {
  const fusim::Arch a = fusim::load_scalesim_config(data("scale.cfg"));
  CHECK(a.name == "scale_example_run_32x32_os");  // run_name
  CHECK(a.core_count == 1);
  CHECK(a.core.pe_array.rows == 32);                              // ArrayHeight
  CHECK(a.core.pe_array.cols == 32);                              // ArrayWidth
  CHECK(a.core.pe_array.dataflow == Dataflow::OutputStationary);  // Dataflow: os
  CHECK(a.core.input_buffer.capacity_bytes == 64 * 1024);         // IfmapSramSzkB
  CHECK(a.core.weight_buffer.capacity_bytes == 64 * 1024);        // FilterSramSzkB
  CHECK(a.core.output_buffer.capacity_bytes == 64 * 1024);        // OfmapSramSzkB
  CHECK(a.core.input_buffer.banks == 1);                          // MemoryBanks
  CHECK(a.data_width_bits == 8);                                  // 1-byte words
  CHECK(a.dram.channels == 1);
  CHECK(a.dram.bytes_per_cycle_per_channel == 10);  // Bandwidth (CALC: used as given)
  CHECK(a.dram.latency_cycles == 0);
  CHECK(a.clock_mhz == 1000);  // assumption
  CHECK(a.core.vector_unit.lanes == 32);
  CHECK(a.kernel_launch_cycles == 0);

  const std::string ws = write_temp("ws.cfg", R"([general]
run_name = ws_run
[architecture_presets]
ArrayHeight: 16
ArrayWidth: 8
IfmapSramSzkB: 2
FilterSramSzkB: 3
OfmapSramSzkB: 4
IfmapOffset: 0
FilterOffset: 10000000
OfmapOffset: 20000000
Bandwidth: 7,7
Dataflow: ws
MemoryBanks: 2
[run_presets]
InterfaceBandwidth: USER
)");
  const fusim::Arch b = fusim::load_scalesim_config(ws);
  CHECK(b.core.pe_array.rows == 16);
  CHECK(b.core.pe_array.cols == 8);
  CHECK(b.core.pe_array.dataflow == Dataflow::WeightStationary);
  CHECK(b.core.input_buffer.capacity_bytes == 2048);
  CHECK(b.core.weight_buffer.capacity_bytes == 3072);
  CHECK(b.core.output_buffer.capacity_bytes == 4096);
  CHECK(b.core.output_buffer.banks == 2);
  CHECK(b.dram.bytes_per_cycle_per_channel == 7);
  std::string is_text = R"([general]
run_name = x
[architecture_presets]
ArrayHeight: 4
ArrayWidth: 4
IfmapSramSzkB: 1
FilterSramSzkB: 1
OfmapSramSzkB: 1
Dataflow: is
[run_presets]
InterfaceBandwidth: CALC
)";
  const fusim::Arch c = fusim::load_scalesim_config(write_temp("is.cfg", is_text));
  CHECK(c.core.pe_array.dataflow == Dataflow::InputStationary);
  CHECK(c.dram.bytes_per_cycle_per_channel == 10);  // CALC without Bandwidth: SCALE-Sim's 10
}

TEST_CASE("mobilenet.csv: one conv per row, SCALE-Sim's shapes", "[scalesim]") {
  const fusim::Network net = fusim::load_scalesim_topology(data("mobilenet.csv"), false);
  CHECK(net.name() == "mobilenet");
  REQUIRE(net.layers().size() == 27);
  REQUIRE(net.inputs().size() == 27);
  CHECK(net.layer(0).name == "Conv1");
  CHECK(net.layer(26).name == "Conv27");
  // Conv1, 224, 224, 3, 3, 3, 32, 2: every field.
  const fusim::Layer& c1 = layer(net, "Conv1");
  CHECK(net.inputs()[0].name == "Conv1_ifmap");
  CHECK(c1.in_shapes[0] == fusim::Shape{3, 224, 224});  // Channels, IFMAP Height, IFMAP Width
  CHECK(c1.kernel_h == 3);                              // Filter Height
  CHECK(c1.kernel_w == 3);                              // Filter Width
  CHECK(c1.out_channels == 32);                         // Num Filter
  CHECK(c1.stride_h == 2);                              // Strides
  CHECK(c1.stride_w == 2);
  CHECK(c1.pad_h == 0);
  CHECK(c1.groups == 1);
  // ceil((224 - 3 + 2) / 2) = 112; fusim's floor would give 111.
  CHECK(c1.out_shape == fusim::Shape{32, scalesim_out(224, 3, 2), scalesim_out(224, 3, 2)});
  CHECK(c1.out_shape.h == 112);
  // Conv2, 112, 112, 3, 3, 32, 1, 1: a depthwise layer as one filter over all 32 channels,
  // 110 x 110 (SCALE-Sim's IFMAP sizes include the padding; this file's do not).
  const fusim::Layer& c2 = layer(net, "Conv2");
  CHECK(c2.out_shape == fusim::Shape{1, 110, 110});
  CHECK(c2.groups == 1);
  CHECK(c2.runs_on_pe_array());
  CHECK(c2.macs_per_item() == 110 * 110 * 3 * 3 * 32);  // SCALE-Sim's num_mac
  // Conv4, 112, 112, 3, 3, 64, 1, 2: ceil((112 - 3 + 2) / 2) = 56.
  CHECK(layer(net, "Conv4").out_shape == fusim::Shape{1, 56, 56});
  // Every layer reads its own input.
  for (const fusim::Layer& l : net.layers()) {
    REQUIRE(l.inputs.size() == 1);
    CHECK(l.inputs[0].from_network_input);
    CHECK(net.inputs()[static_cast<std::size_t>(l.inputs[0].index)].name == l.name + "_ifmap");
  }
}

TEST_CASE("the --scalesim-depthwise option makes one-filter rows real depthwise convs",
          "[scalesim]") {
  const fusim::Network net = fusim::load_scalesim_topology(data("mobilenet.csv"), true);
  const fusim::Layer& c2 = layer(net, "Conv2");
  CHECK(c2.groups == 32);
  CHECK(c2.out_channels == 32);
  CHECK(c2.is_depthwise());
  CHECK(!c2.runs_on_pe_array());
  CHECK(c2.out_shape == fusim::Shape{32, 110, 110});
  CHECK(c2.macs_per_item() == 110 * 110 * 3 * 3 * 32);  // the same MACs as the one-filter row
  CHECK(layer(net, "Conv3").groups == 1);               // other rows unchanged
}

TEST_CASE("Resnet18.csv: SCALE-Sim's ceil keeps windows that floor drops", "[scalesim]") {
  const fusim::Network net = fusim::load_scalesim_topology(data("Resnet18.csv"), false);
  REQUIRE(net.layers().size() == 21);
  // Conv1, 224, 224, 7, 7, 3, 64, 2: ceil((224 - 7 + 2) / 2) = 110 (floor: 109).
  CHECK(layer(net, "Conv1").out_shape == fusim::Shape{64, 110, 110});
  // Conv3_s, 56, 56, 1, 1, 64, 128, 2: ceil((56 - 1 + 2) / 2) = 29, one more than floor and
  // than PyTorch's ceil_mode (whose last window would start outside the input).
  CHECK(layer(net, "Conv3_s").out_shape ==
        fusim::Shape{128, scalesim_out(56, 1, 2), scalesim_out(56, 1, 2)});
  CHECK(layer(net, "Conv3_s").out_shape.h == 29);
  // FC, 1, 1, 1, 1, 512, 1000, 1 (the last line of the file, without a final newline).
  CHECK(layer(net, "FC").out_shape == fusim::Shape{1000, 1, 1});
}

TEST_CASE("gpt2_mnk.csv: the M, N, K form becomes gemm layers", "[scalesim]") {
  const fusim::Network net = fusim::load_scalesim_topology(data("gpt2_mnk.csv"), false);
  REQUIRE(net.layers().size() == 6);
  // QKTV, 1024, 64, 1024: SCALE-Sim's M output pixels, N filters, a window of K.
  const fusim::Layer& l = layer(net, "QKTV");
  CHECK(l.type == fusim::LayerType::Gemm);
  CHECK(l.m == 1024);
  CHECK(l.n == 64);
  CHECK(l.k == 1024);
  CHECK(l.in_shapes[0] == fusim::Shape{1024, 1024, 1});  // A: m rows of k
  CHECK(l.out_shape == fusim::Shape{64, 1024, 1});
  CHECK(l.macs_per_item() == 1024 * 64 * 1024);
  CHECK(layer(net, "PW-FF-L2").k == 3072);
}

TEST_CASE("a row named DP is expanded per channel as SCALE-Sim does", "[scalesim]") {
  const std::string csv = write_temp("dp.csv",
                                     "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter "
                                     "Width, Channels, Num Filter, Strides,\n"
                                     "DP1, 8, 8, 3, 3, 3, 2, 1,\n"
                                     "C2, 9, 7, 3, 1, 4, 5, 2, 1,\n");
  const fusim::Network net = fusim::load_scalesim_topology(csv, false);
  REQUIRE(net.layers().size() == 4);
  CHECK(net.layer(0).name == "DP1Channel_0");
  CHECK(net.layer(2).name == "DP1Channel_2");
  CHECK(net.layer(2).in_shapes[0] == fusim::Shape{1, 8, 8});
  CHECK(net.layer(2).out_shape == fusim::Shape{2, 6, 6});
  // The older two-stride form: stride 2 down, 1 across: ceil((9-3+2)/2) = 4, 7 - 1 + 1 = 7.
  CHECK(net.layer(3).out_shape == fusim::Shape{5, 4, 7});
}

TEST_CASE("fusim's compute cycles equal SCALE-Sim's closed form on a 32x32 array",
          "[scalesim][pe_model]") {
  // SCALE-Sim v2 (compute/systolic_compute_{os,ws,is}.py) folds the layer's M x N x K GEMM
  // (M = OFMAP pixels, N = filters, K = filter height * width * channels) onto the R x C array:
  //   os: Sr = M, Sc = N, T = K; ws: Sr = K, Sc = N, T = M; is: Sr = K, Sc = M, T = N;
  // ceil(Sr/R) * ceil(Sc/C) folds run one after another, each R + C + T - 2 cycles for os and
  // 2R + C + T - 2 for ws and is (R more to load the stationary operand). R = C = 32.
  // The layers are simulated whole (SRAMs large enough for one tile), as SCALE-Sim runs them.
  const fusim::Network mobilenet = fusim::load_scalesim_topology(data("mobilenet.csv"), false);
  const fusim::Network gpt2 = fusim::load_scalesim_topology(data("gpt2_mnk.csv"), false);
  const auto os = sim_compute_cycles(mobilenet, Dataflow::OutputStationary);
  const auto ws = sim_compute_cycles(mobilenet, Dataflow::WeightStationary);
  const auto is = sim_compute_cycles(mobilenet, Dataflow::InputStationary);

  // Conv1, a 3x3 conv: 224x224x3, 32 filters, stride 2 -> 112 x 112.
  // M = 12544, N = 32, K = 27.
  // os: 392 x 1 folds of 32 + 32 + 27 - 2 = 89     -> 34,888
  // ws: 1 x 1 fold of 64 + 32 + 12544 - 2 = 12638   -> 12,638
  // is: 1 x 392 folds of 64 + 32 + 32 - 2 = 126     -> 49,392
  CHECK(os.at("Conv1") == 34888);
  CHECK(ws.at("Conv1") == 12638);
  CHECK(is.at("Conv1") == 49392);

  // Conv3, a 1x1 conv: 112x112x32, 64 filters -> M = 12544, N = 64, K = 32.
  // os: 392 x 2 folds of 32 + 32 + 32 - 2 = 94      -> 73,696
  // ws: 1 x 2 folds of 64 + 32 + 12544 - 2 = 12638  -> 25,276
  // is: 1 x 392 folds of 64 + 32 + 64 - 2 = 158     -> 61,936
  CHECK(os.at("Conv3") == 73696);
  CHECK(ws.at("Conv3") == 25276);
  CHECK(is.at("Conv3") == 61936);

  // Conv2, standing for a depthwise 3x3 over 32 channels: one filter, 110 x 110.
  // M = 12100, N = 1, K = 288.
  // os: ceil(12100/32) = 379 x 1 folds of 32 + 32 + 288 - 2 = 350  -> 132,650
  // ws: ceil(288/32) = 9 x 1 folds of 64 + 32 + 12100 - 2 = 12194   -> 109,746
  // is: 9 x 379 = 3411 folds of 64 + 32 + 1 - 2 = 95                -> 324,045
  CHECK(os.at("Conv2") == 132650);
  CHECK(ws.at("Conv2") == 109746);
  CHECK(is.at("Conv2") == 324045);

  // QKT, a GEMM: M = 1024, N = 1024, K = 64.
  // os: 32 x 32 folds of 32 + 32 + 64 - 2 = 126     -> 129,024
  // ws: 2 x 32 folds of 64 + 32 + 1024 - 2 = 1118   -> 71,552
  // is: 2 x 32 folds of 64 + 32 + 1024 - 2 = 1118   -> 71,552
  CHECK(sim_compute_cycles(gpt2, Dataflow::OutputStationary).at("QKT") == 129024);
  CHECK(sim_compute_cycles(gpt2, Dataflow::WeightStationary).at("QKT") == 71552);
  CHECK(sim_compute_cycles(gpt2, Dataflow::InputStationary).at("QKT") == 71552);

  // The same numbers straight from the PE model.
  const fusim::PeArrayParams pe{32, 32, Dataflow::InputStationary};
  CHECK(fusim::systolic_cycles(pe, 12100, 1, 288) == 324045);
}

namespace {

// The numbers of one line of a COMPUTE_REPORT.csv ("0, 34887, 0, 30.3, 100.0, 30.3,"); an
// empty field is NaN.
std::vector<double> report_row(const std::string& line) {
  std::vector<double> v;
  std::size_t p = 0;
  while (p < line.size()) {
    const std::size_t e = line.find(',', p);
    const std::string f = line.substr(p, e == std::string::npos ? std::string::npos : e - p);
    if (e == std::string::npos && f.find_first_not_of(" \r") == std::string::npos) break;
    v.push_back(f.find_first_not_of(' ') == std::string::npos ? std::nan("") : std::stod(f));
    if (e == std::string::npos) break;
    p = e + 1;
  }
  return v;
}

std::vector<std::vector<double>> report_rows(std::istream& in) {
  std::vector<std::vector<double>> rows;
  std::string line;
  std::getline(in, line);  // the header
  while (std::getline(in, line)) {
    if (!line.empty()) rows.push_back(report_row(line));
  }
  return rows;
}

}  // namespace

TEST_CASE("SCALE-Sim's method on its files as given: every layer's compute cycles, 64 KiB SRAMs",
          "[scalesim]") {
  // SCALE-Sim v2's count, derived here from the topology rows alone (topology_utils.py and
  // compute/systolic_compute_*.py), against fusim's simulation of the files as given: scale.cfg's
  // 64 KiB SRAMs, so most layers take many tiles, which must not change the PE array's cycles.
  //   conv row (H, W, R, S, C, N, stride): M = ceil((H - R + st) / st) * ceil((W - S + st) / st),
  //     K = R S C;  gemm row: M, N, K as given.
  //   os: Sr = M, Sc = N, T = K, R + C + T - 2 per fold; ws: Sr = K, Sc = N, T = M; is: Sr = K,
  //   Sc = M, T = N, 2R + C + T - 2 per fold; ceil(Sr/32) * ceil(Sc/32) folds.
  struct Gemm {
    std::string name;
    std::int64_t m, n, k;
  };
  const auto rows_of = [](const std::string& file) {
    std::ifstream f(data(file));
    std::string line;
    std::getline(f, line);  // header
    const bool mnk = line.rfind("Layer,", 0) == 0;
    std::vector<Gemm> out;
    while (std::getline(f, line)) {
      std::vector<std::string> cells;
      std::stringstream ss(line);
      for (std::string c; std::getline(ss, c, ',');) {
        const auto b = c.find_first_not_of(" \t\r"), e = c.find_last_not_of(" \t\r");
        if (b != std::string::npos) cells.push_back(c.substr(b, e - b + 1));
      }
      if (cells.size() < 4) continue;
      if (mnk) {
        out.push_back({cells[0], std::stoll(cells[1]), std::stoll(cells[2]), std::stoll(cells[3])});
        continue;
      }
      const std::int64_t h = std::stoll(cells[1]), w = std::stoll(cells[2]),
                         r = std::stoll(cells[3]), s = std::stoll(cells[4]),
                         c = std::stoll(cells[5]), n = std::stoll(cells[6]),
                         st = std::stoll(cells[7]);
      out.push_back({cells[0], scalesim_out(h, r, st) * scalesim_out(w, s, st), n, r * s * c});
    }
    return out;
  };
  const auto folds = [](std::int64_t a, std::int64_t b) { return (a + 31) / 32 * ((b + 31) / 32); };
  for (const char* file : {"mobilenet.csv", "Resnet18.csv", "gpt2_mnk.csv"}) {
    const auto gemms = rows_of(file);
    const fusim::Network net = fusim::load_scalesim_topology(data(file), false);
    REQUIRE(gemms.size() == net.layers().size());
    for (const Dataflow df :
         {Dataflow::OutputStationary, Dataflow::WeightStationary, Dataflow::InputStationary}) {
      fusim::Arch arch = fusim::load_scalesim_config(data("scale.cfg"));  // SRAMs as given
      arch.core.pe_array.dataflow = df;
      const fusim::Program p = fusim::lower(net, arch, fusim::schedule_layer_by_layer(net, arch));
      const fusim::SimResult sim = fusim::simulate(net, arch, p);
      std::int64_t expected_total = 0, total = 0;
      for (std::size_t i = 0; i < gemms.size(); ++i) {
        const Gemm& g = gemms[i];
        std::int64_t expected = 0;
        if (df == Dataflow::OutputStationary) expected = folds(g.m, g.n) * (62 + g.k);
        if (df == Dataflow::WeightStationary) expected = folds(g.k, g.n) * (94 + g.m);
        if (df == Dataflow::InputStationary) expected = folds(g.k, g.m) * (94 + g.n);
        INFO(file << " " << fusim::to_string(df) << " " << g.name);
        CHECK(sim.layers[i].compute_cycles == expected);
        expected_total += expected;
        total += sim.layers[i].compute_cycles;
      }
      CHECK(total == expected_total);
    }
  }
}

TEST_CASE("SCALE-Sim's own reports: compute cycles, mapping efficiency and compute utilisation",
          "[scalesim]") {
  // tests/data/scalesim/reference/TOPOLOGY_DATAFLOW.csv are the COMPUTE_REPORT.csv files that
  // SCALE-Sim v2 itself wrote for its topologies with scale.cfg in each dataflow
  // (scripts/scalesim_compare.py --scalesim SRC --write-reference). SCALE-Sim's compute cycles
  // are Total Cycles - Stall Cycles, the index of the layer's last cycle: fusim's count, the
  // number of cycles, is one more, layer by layer, with the SRAMs of scale.cfg (64 KiB) as given.
  // Mapping efficiency and compute utilisation are SCALE-Sim's per-fold means, in closed form.
  const std::map<std::string, std::string> dataflows = {
      {"os", "output_stationary"}, {"ws", "weight_stationary"}, {"is", "input_stationary"}};
  std::string cfg_text;
  {
    std::ifstream f(data("scale.cfg"));
    cfg_text.assign(std::istreambuf_iterator<char>(f), {});
  }
  int compared = 0;
  for (const char* topology : {"mobilenet", "Resnet18", "gpt2_mnk"}) {
    for (const auto& [df, name] : dataflows) {
      INFO(topology << " " << df);
      std::ifstream ref(data("reference/" + std::string(topology) + "_" + df + ".csv"));
      if (!ref) continue;  // the runs collected so far (docs/importers.md lists them)
      ++compared;
      const auto expected = report_rows(ref);

      std::string cfg = cfg_text;
      cfg.replace(cfg.find("Dataflow : os"), 13, "Dataflow : " + df);
      fusim::RunOptions o;
      o.arch_path = write_temp(std::string("scale_") + df + ".cfg", cfg);
      o.net_path = data(std::string(topology) + ".csv");
      const auto run = fusim::run_fusim(o);
      REQUIRE(run->arch->core.pe_array.dataflow ==
              (df == std::string("os")   ? Dataflow::OutputStationary
               : df == std::string("ws") ? Dataflow::WeightStationary
                                         : Dataflow::InputStationary));
      std::istringstream mine(fusim::compute_report_csv(run->result));
      const auto got = report_rows(mine);
      REQUIRE(got.size() == expected.size());
      REQUIRE(run->result.sim.layers.size() == expected.size());
      for (std::size_t i = 0; i < expected.size(); ++i) {
        INFO("layer " << i << " (" << run->net->layer(static_cast<int>(i)).name << ")");
        REQUIRE(expected[i].size() == 6);
        REQUIRE(got[i].size() == 6);
        CHECK(got[i][0] == expected[i][0]);  // LayerID
        const auto scalesim_compute = static_cast<std::int64_t>(expected[i][1] - expected[i][2]);
        CHECK(run->result.sim.layers[i].compute_cycles == scalesim_compute + 1);
        CHECK(got[i][4] == Approx(expected[i][4]).margin(1e-5));  // Mapping Efficiency %
        CHECK(got[i][5] == Approx(expected[i][5]).margin(1e-5));  // Compute Util %
      }
    }
  }
  CHECK(compared >= 3);
}

TEST_CASE("fusim runs SCALE-Sim's files end to end", "[scalesim]") {
  fusim::RunOptions o;
  o.arch_path = data("scale.cfg");
  o.net_path = data("mobilenet.csv");
  const auto run = fusim::run_fusim(o);
  CHECK(run->result.sim.cycles > 0);
  CHECK(run->net->total_macs() > 0);
  o.overrides = {"cores.count=2"};
  const auto e = error_of([&] { fusim::run_fusim(o); });
  REQUIRE(e);
  CHECK(e->key() == "-p");
}

TEST_CASE("bad SCALE-Sim topologies name the file, row and column", "[scalesim]") {
  const std::string header =
      "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, "
      "Strides,\n";
  struct Case {
    const char* row;
    const char* column;
    const char* message;
  };
  const Case cases[] = {
      {"C1, 8, x, 3, 3, 3, 2, 1,", "IFMAP Width", "whole number"},
      {"C1, 8, 8, 3, 3, 3, 2,", "Strides", "missing column"},
      {"C1, 8, 8, 3, 3, 0, 2, 1,", "Channels", "out of range"},
      {"C1, 8, 8, 9, 3, 3, 2, 1,", "Filter Height", "larger than the IFMAP"},
      {"C1, 8, 8, 3, 9, 3, 2, 1,", "Filter Width", "larger than the IFMAP"},
      {"C1, 8, 8, 3, 3, 3, -2, 1,", "Num Filter", "whole number"},
      {"C1, 8, 8, 3, 3, 3, 2, 1, 2:4,", "column 9", "sparsity"},
      {", 8, 8, 3, 3, 3, 2, 1,", "Layer name", "empty layer name"},
  };
  for (const Case& c : cases) {
    const std::string path = write_temp("bad.csv", header + "ok, 4, 4, 1, 1, 1, 1, 1,\n" + c.row);
    const auto e = error_of([&] { fusim::load_scalesim_topology(path, false); });
    INFO(c.row);
    REQUIRE(e);
    CHECK(e->file() == path);
    CHECK(e->line() == 3);
    CHECK(e->key() == c.column);
    CHECK_THAT(e->message(), Catch::Contains(c.message));
  }
  const std::string dup = write_temp("dup.csv", header +
                                                    "A, 4, 4, 1, 1, 1, 1, 1,\n\nA, 4, 4, 1, "
                                                    "1, 1, 1, 1,\n");
  auto e = error_of([&] { fusim::load_scalesim_topology(dup, false); });
  REQUIRE(e);
  CHECK(e->line() == 4);
  CHECK_THAT(e->message(), Catch::Contains("duplicate"));
  const std::string gemm = write_temp("g.csv", "Layer, M, N, K,\nG, 4, 0, 2,\n");
  e = error_of([&] { fusim::load_scalesim_topology(gemm, false); });
  REQUIRE(e);
  CHECK(e->line() == 2);
  CHECK(e->key() == "N");
  e = error_of([&] { fusim::load_scalesim_topology(write_temp("h.csv", "a, b\n"), false); });
  REQUIRE(e);
  CHECK(e->line() == 1);
  CHECK(e->key() == "header");
  e = error_of([&] { fusim::load_scalesim_topology(write_temp("e.csv", header), false); });
  REQUIRE(e);
  CHECK_THAT(e->message(), Catch::Contains("no layers"));
  e = error_of([&] { fusim::load_scalesim_topology(src("no/such.csv"), false); });
  REQUIRE(e);
  CHECK_THAT(e->message(), Catch::Contains("cannot open"));
}

TEST_CASE("bad SCALE-Sim configs name the file, line and key", "[scalesim]") {
  const std::string good = R"([general]
run_name = r
[architecture_presets]
ArrayHeight: 32
ArrayWidth: 32
IfmapSramSzkB: 64
FilterSramSzkB: 64
OfmapSramSzkB: 64
Bandwidth: 10
Dataflow: os
MemoryBanks: 1
[run_presets]
InterfaceBandwidth: USER
)";
  REQUIRE_NOTHROW(fusim::load_scalesim_config(write_temp("good.cfg", good)));
  struct Case {
    const char* from;
    const char* to;
    int line;
    const char* key;
    const char* message;
  };
  const Case cases[] = {
      {"ArrayHeight: 32", "ArrayHeight: 3x2", 4, "architecture_presets.ArrayHeight",
       "whole number"},
      {"ArrayWidth: 32", "ArrayWidth: 0", 5, "architecture_presets.ArrayWidth", "out of range"},
      {"OfmapSramSzkB: 64", "OfmapSramSzkB: -1", 8, "architecture_presets.OfmapSramSzkB",
       "whole number"},
      // 4 GiB is past the largest buffer fusim's arch holds (a tile is one 32-bit transaction).
      {"OfmapSramSzkB: 64", "OfmapSramSzkB: 4194304", 8, "architecture_presets.OfmapSramSzkB",
       "out of range"},
      {"Dataflow: os", "Dataflow: rs", 10, "architecture_presets.Dataflow", "unknown dataflow"},
      {"MemoryBanks: 1", "Banks: 1", 11, "architecture_presets.Banks", "unknown key"},
      {"[run_presets]", "[sparsity]", 12, "sparsity", "unknown section"},
      {"InterfaceBandwidth: USER", "InterfaceBandwidth: FAST", 13, "run_presets.InterfaceBandwidth",
       "USER or CALC"},
      {"Bandwidth: 10", "Bandwidth: 10,10", 9, "architecture_presets.Bandwidth", "memory bank"},
      {"Bandwidth: 10", "Bandwidth: ", 9, "architecture_presets.Bandwidth", "whole number"},
      // A missing key is reported at its section's header.
      {"ArrayHeight: 32\n", "", 3, "architecture_presets.ArrayHeight", "missing"},
      {"Bandwidth: 10\n", "", 3, "architecture_presets.Bandwidth", "missing"},  // USER needs it
      {"run_name = r", "run_name = r\nrun_name = s", 3, "general.run_name", "duplicate"},
  };
  for (const Case& c : cases) {
    std::string text = good;
    text.replace(text.find(c.from), std::string(c.from).size(), c.to);
    const std::string path = write_temp("bad.cfg", text);
    const auto e = error_of([&] { fusim::load_scalesim_config(path); });
    INFO(c.to);
    REQUIRE(e);
    CHECK(e->file() == path);
    CHECK(e->line() == c.line);
    CHECK(e->key() == c.key);
    CHECK_THAT(e->message(), Catch::Contains(c.message));
  }
}
