// The network loader (workloads/*.yaml): any bytes give a Network or an InputError. A network
// that loads must write out (network_to_yaml) to a file that loads back to the same text, and
// its totals must be computable without overflow.
#include <cstdint>

#include "common/error.h"
#include "fuzz_util.h"
#include "network/network.h"
#include "network/network_io.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace fusim;
  std::string first;
  try {
    const Network net = load_network(fuzz::write_input(data, size, "net.yaml"));
    (void)net.total_macs();
    (void)net.total_params();
    for (const Layer& l : net.layers()) (void)l.vector_ops_per_item();
    first = network_to_yaml(net);
  } catch (const InputError&) {
    return 0;
  }
  try {
    const Network again = load_network(fuzz::write_text(first, "net_written.yaml"));
    if (network_to_yaml(again) != first) fuzz::finding("network_to_yaml does not round-trip");
  } catch (const InputError& e) {
    fuzz::finding(std::string("the written network does not load: ") + e.what());
  }
  return 0;
}
