// SCALE-Sim topology CSV reader (--net x.csv), both with and without --scalesim-depthwise
// (chosen by the input's length, so that the fuzzer reaches both): a Network or an InputError.
// A topology that loads must convert to fusim YAML that loads back to the same text.
#include <cstdint>

#include "common/error.h"
#include "fuzz_util.h"
#include "import/scalesim.h"
#include "network/network.h"
#include "network/network_io.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace fusim;
  std::string first;
  try {
    const Network net =
        load_scalesim_topology(fuzz::write_input(data, size, "topology.csv"), size % 2 == 1);
    (void)net.total_macs();
    (void)net.total_params();
    // A DP row expands to one layer per channel; the round trip of 64,512 layers through
    // yaml-cpp (15 MB) takes seconds, so only smaller networks take it.
    if (net.layers().size() > 2000) return 0;
    first = network_to_yaml(net);
  } catch (const InputError&) {
    return 0;
  }
  try {
    if (network_to_yaml(load_network(fuzz::write_text(first, "topology.yaml"))) != first)
      fuzz::finding("the converted topology does not round-trip");
  } catch (const InputError& e) {
    fuzz::finding(std::string("the converted topology does not load: ") + e.what());
  }
  return 0;
}
