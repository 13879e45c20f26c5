// A whole run of a fuzzed network (workloads/*.yaml format) on configs/systolic32.yaml: load,
// schedule, lower, predict, simulate and report. Reaches the tiling, the lowering and the
// simulator with shapes nobody wrote by hand. Lines at the top of the input of the form
// "#p key=value" are -p overrides of the arch (YAML comments to the network reader), so that
// buffers, rates and latencies are fuzzed too. Networks whose tensors exceed 2^20 elements or
// whose layers exceed 64 are skipped so that every input runs in milliseconds.
#include <cstdint>
#include <sstream>
#include <string>

#include "common/error.h"
#include "common/yaml_reader.h"
#include "driver.h"
#include "fuzz_util.h"
#include "network/network_io.h"
#include "report.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace fusim;
  RunOptions o;
  o.arch_path = FUSIM_SOURCE_DIR "/configs/systolic32.yaml";
  o.net_path = fuzz::write_input(data, size, "run.yaml");
  std::istringstream lines(std::string(reinterpret_cast<const char*>(data), size));
  for (std::string line; std::getline(lines, line) && line.rfind("#p ", 0) == 0;)
    o.overrides.push_back(line.substr(3));
  try {
    const Network net = load_network(o.net_path);
    if (net.layers().size() > 64) return 0;
    for (const Layer& l : net.layers()) {
      if (l.out_shape.elements() * net.batch() > (1 << 20)) return 0;
      for (const Shape& s : l.in_shapes)
        if (s.elements() * net.batch() > (1 << 20)) return 0;
    }
    const auto run = run_fusim(o);
    const RunResult& r = run->result;
    // JSON has no nan or inf; a run of 0 cycles once printed "mac_utilisation": -nan.
    const std::string json = report_json(r);
    if (!is_valid_utf8(json)) fuzz::finding("report.json is not valid UTF-8");
    for (const char* bad : {": nan", ": -nan", ": inf", ": -inf"}) {
      if (json.find(bad) != std::string::npos)
        fuzz::finding(std::string("report.json holds '") + bad + "'");
    }
    (void)layers_csv(r);
    (void)groups_csv(r);
    (void)summary_text(r);
    for (std::size_t g = 0; g < r.predicted.size(); ++g) {
      if (r.sim.groups[g].traffic.weight_read != r.predicted[g].weight ||
          r.sim.groups[g].traffic.ifmap_read != r.predicted[g].ifmap ||
          r.sim.groups[g].traffic.ofmap_write != r.predicted[g].ofmap)
        fuzz::finding("simulated off-chip bytes differ from the cost model in group " +
                      std::to_string(g));
    }
  } catch (const InputError&) {
  }
  return 0;
}
