// Lowering: a Schedule becomes a Program of per-core tile commands.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "arch/arch.h"
#include "network/network.h"
#include "schedule/program.h"

namespace fusim {

// Where every tensor lives in DRAM: network inputs, weights and outputs of each layer, in one
// flat byte address space (4 KiB aligned). A concat's producers write straight into the
// concat's tensor, so a concat moves no data, but for a network output the copies of its
// foreign operands (network inputs, outputs placed in another concat: cost/concat_copy.h).
// A slice's base is its first channel in the tensor it views (its pixels are that tensor's).
struct AddressMap {
  std::vector<std::int64_t> input_base;   // per network input
  std::vector<std::int64_t> weight_base;  // per layer
  std::vector<std::int64_t> output_base;  // per layer
  std::int64_t end = 0;                   // bytes of address space used (at most ~2^61)
  std::int64_t operand_base(const Operand& op) const;
};

AddressMap plan_addresses(const Network& net, const Arch& arch);

// Throws InputError (naming `net_file`) when the map's tensors need more than the
// kDramAddressBytes of DRAM addresses.
void check_address_space(const AddressMap& map, const std::string& net_file);

// Throws InputError for a group the lowering cannot build (one that does not fit the arch's
// buffers; a group with more cores than the arch has). Fused groups given with tiles = 0 get
// the fewest tiles that fit, recorded in the program's schedule.
Program lower(const Network& net, const Arch& arch, const Schedule& schedule);

// The size of the Program lower(net, arch, schedule) builds, counted by the same tile loops
// (cost/tile_sink.h) without building it: in time proportional to the kinds of tiles, not their
// number, so that a program far too large for memory is found before it is built.
struct ProgramSize {
  long double commands = 0;       // every command, syncs included
  long double largest_group = 0;  // the commands of the largest group, syncs excluded
  int largest_group_layer = -1;   // that group's first layer
};
ProgramSize count_commands(const Network& net, const Arch& arch, const Schedule& schedule);
// Commands in one Program: about 120 bytes each in memory, so this bounds a program to about
// 2 GB. The 10,000-layer chain of tests/scale has 1.3 million on configs/mlu.yaml.
constexpr long double kMaxProgramCommands = 1 << 24;

}  // namespace fusim
