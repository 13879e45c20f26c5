// The program loader (--schedule-in): any bytes give a checked Program or an InputError, and a
// Program that loads simulates to the end or stops with an InputError (a deadlock), never a
// crash or a hang. The network and arch are fixed: workloads/tiny_dag.yaml on
// configs/systolic32.yaml with two cores (so that cores contend) and a 64 KiB shared buffer in
// 4 banks; fuzz/seeds/program/ holds programs for them (one with its feature maps in the shared
// buffer, one that runs every layer in one layerwise group, one a schedule without commands).
#include <cstdint>
#include <memory>

#include "arch/arch.h"
#include "arch/arch_io.h"
#include "common/error.h"
#include "fuzz_util.h"
#include "network/network.h"
#include "network/network_io.h"
#include "schedule/program.h"
#include "schedule/program_io.h"
#include "simulate.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace fusim;
  static const Network net = load_network(FUSIM_SOURCE_DIR "/workloads/tiny_dag.yaml");
  static const Arch arch = load_arch(
      FUSIM_SOURCE_DIR "/configs/systolic32.yaml",
      {"cores.count=2", "shared_buffer={capacity_bytes: 65536, banks: 4, bytes_per_cycle: 64}"});
  try {
    const Program p = load_program(fuzz::write_input(data, size, "program.yaml"), net, arch);
    (void)simulate(net, arch, p);
    // What loads must write out to the same program.
    const std::string text = program_to_yaml(p, net);
    const Program again = load_program(fuzz::write_text(text, "program_written.yaml"), net, arch);
    if (program_to_yaml(again, net) != text) fuzz::finding("program_to_yaml does not round-trip");
  } catch (const InputError&) {
  }
  return 0;
}
