// The Program: what the simulator executes. Per core, a list of load / compute / store / sync
// commands. The simulator decides nothing: every byte moved and every tile computed is here.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engines/engines.h"
#include "schedule/schedule.h"

namespace fusim {

class Network;
struct Arch;

enum class CommandOp : std::uint8_t { Load, Compute, Store, Sync, Prefetch, Barrier };
// Psum: an input-centric consumer's partial sums that do not fit on chip, stored to its output
// tensor in DRAM (or the shared buffer) before they are complete and loaded back into the output
// buffer to be added to (cost/fused_plan.h).
enum class TensorKind : std::uint8_t { Weight, Ifmap, Ofmap, Psum };
enum class BufferRole : std::uint8_t { Input, Weight, Output };
enum class MemoryLevel : std::uint8_t { Dram, Shared };

const char* to_string(CommandOp o);
const char* to_string(TensorKind k);
const char* to_string(BufferRole b);

// Contract, per core list:
//  - Load allocates `bytes` in `buffer` (waiting until they are free), then moves them from DRAM
//    address `addr`. Compute allocates `bytes` for its output in the output buffer (0 = none),
//    then runs `work`. Store moves `bytes` from the output buffer to DRAM at `addr`. Loads and
//    stores may be strided (piece_bytes, stride_bytes), a load may end with a range apart
//    (tail_addr, tail_bytes), and both may use the shared on-chip buffer instead of DRAM
//    (`memory`).
//  - A command starts only after every command in `deps` has completed; loads, computes and
//    stores each run in list order on their own engine, so they overlap each other.
//  - When a command completes, the allocations made by the commands in `frees` are released.
//  - deps and frees name earlier commands of the same core (indices into its list).
//  - Sync ends a group: the core waits until all earlier commands are done and every core has
//    reached the same sync; the next group then starts after the kernel launch overhead.
//  - Barrier separates the members of a layerwise group (Group::mapping): the core waits until
//    all its earlier commands of the group but its prefetches are done and every core has
//    reached the same barrier; the commands after it then start after the arch's
//    barrier_cycles (no kernel launch). Every core has the same barriers in a group.
//  - Prefetch copies `bytes` of a layer's weights from DRAM address `addr` to shared-buffer
//    address `to`, for a later group, whose weight loads then read the shared buffer. It runs on
//    the core's fourth DMA engine, in list order among the core's prefetches, beside the
//    group's own loads, computes and stores, from the group's start (its barriers do not wait
//    for it); the group's sync waits for it.
// DRAM addresses are below 2^48 (the shared buffer's are mapped above them in the simulator).
constexpr std::int64_t kDramAddressBytes = std::int64_t{1} << 48;

struct Command {
  CommandOp op = CommandOp::Sync;
  TensorKind kind = TensorKind::Ifmap;
  BufferRole buffer = BufferRole::Input;
  std::int32_t layer = -1;
  std::int64_t bytes = 0;
  std::int64_t addr = 0;
  // A load's or store's layout in DRAM: `bytes` in pieces of `piece_bytes`, `stride_bytes` apart
  // from `addr` (a channel slice of an NHWC tensor); piece_bytes 0 = one contiguous range.
  std::int64_t piece_bytes = 0;
  std::int64_t stride_bytes = 0;
  // Of `bytes`, the last `tail_bytes` lie apart, one contiguous range at `tail_addr` in the same
  // memory (the biases of weights interleaved by channel); the pieces then hold the rest.
  // tail_bytes 0: none.
  std::int64_t tail_addr = 0;
  std::int64_t tail_bytes = 0;
  // Where a load reads or a store writes: DRAM (off-chip) or the shared on-chip buffer, whose
  // addresses then start at 0. The scheduler's searches use DRAM only, for now; programs given
  // with --schedule-in may use the shared buffer.
  MemoryLevel memory = MemoryLevel::Dram;
  // A load received by multicast: command `multicast_command` of core `multicast_core` (a load
  // from DRAM of the same bytes, in the same group) reads them once, and the interconnect
  // delivers them to this core too. This load allocates its bytes, waits until that load has
  // completed, then writes them into its buffer; it moves no off-chip bytes. -1: a plain load.
  std::int32_t multicast_core = -1;
  std::uint32_t multicast_command = 0;
  std::int64_t to = 0;  // Prefetch: the shared-buffer address the bytes go to
  TileWork work;
  std::vector<std::uint32_t> deps;
  std::vector<std::uint32_t> frees;
};

// Whether loads (or stores) `a` and `b` move the same bytes: the same kind, memory, addresses,
// bytes, pieces and tail (what a multicast load must share with its leader's).
bool same_bytes(const Command& a, const Command& b);

struct Program {
  Schedule schedule;                        // the groups this program implements
  std::vector<std::vector<Command>> cores;  // one list per core of the arch
};

}  // namespace fusim
