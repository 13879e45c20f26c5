// One accelerator core: a load DMA engine, a compute engine (PE array and vector unit), a
// store DMA engine and a prefetch DMA engine (DRAM to the shared buffer, for later groups), each
// walking its commands of the core's list in order, and three local
// buffers whose capacity is enforced (an allocation waits until earlier frees make room).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <tlm_utils/simple_initiator_socket.h>
#include <systemc>
#include <tlm>

#include "arch/arch.h"
#include "core/core_stats.h"
#include "dram/dma_extension.h"
#include "kernel/sim_time.h"
#include "schedule/program.h"
#include "trace/trace.h"

namespace fusim {

struct CoreSetup {
  int index = 0;
  CoreParams params;
  const std::vector<Command>* commands = nullptr;  // owned by the Program, outlives the core
  std::size_t layer_count = 0;
  std::size_t group_count = 0;
  std::int64_t element_bytes = 1;  // the engines count operands in elements
  SimTrace* trace = nullptr;       // --trace: where the core records its commands
};

class Core : public sc_core::sc_module {
 public:
  tlm_utils::simple_initiator_socket<Core> socket;

  Core(sc_core::sc_module_name name, const CoreSetup& setup);

  // Controller side: epoch `epoch` may start; how many of its commands are still to complete.
  // The core's list is cut into epochs by its syncs (which end groups) and its barriers (which
  // separate the members of a layerwise group); the controller releases them in order.
  void release(std::size_t epoch);
  std::size_t remaining(std::size_t epoch) const { return remaining_[epoch]; }
  const sc_core::sc_event& finished_event() const { return finished_event_; }

  // The group's cores, for the loads this core receives by multicast; set before the simulation.
  void set_peers(const std::vector<Core*>* peers) { peers_ = peers; }
  bool done(std::size_t command) const { return done_[command] != 0; }
  const sc_core::sc_event& progress_event() const { return progress_event_; }

  bool all_done() const;
  // The group (epoch) of the first command not done; past the last group when all are done.
  std::size_t stuck_group() const;

  // What one engine (load, compute, store) waits for, for the deadlock message.
  struct Wait {
    enum class For : std::uint8_t { Nothing, Release, Dep, Space, Peer };
    For what = For::Nothing;
    std::size_t command = 0;  // the command the engine is at
    std::uint32_t dep = 0;    // For::Dep: the dependency not done; For::Peer: the peer's command
    int peer = -1;            // For::Peer: the core whose load a multicast load waits for
    // For::Space: the bytes it allocates in `buffer`, and the buffer's use and capacity.
    BufferRole buffer = BufferRole::Input;
    std::int64_t bytes = 0, used = 0, capacity = 0;
  };
  // The engines that wait at a command of group `group`, the first command not done first.
  std::vector<Wait> waits(std::size_t group) const;

  const CoreStats& stats() const { return stats_; }
  const std::vector<LayerStats>& layer_stats() const { return layers_; }
  const std::vector<TrafficCounters>& group_traffic() const { return group_traffic_; }
  const std::vector<double>& group_memory_stalls() const { return group_stalls_; }
  const std::vector<ActionCounts>& group_actions() const { return group_actions_; }

 private:
  struct Buffer {
    std::int64_t capacity = 0, used = 0;
    StreamResource port;
    sc_core::sc_event freed;
  };

  void load_thread() { run_engine(CommandOp::Load); }
  void compute_thread() { run_engine(CommandOp::Compute); }
  void store_thread() { run_engine(CommandOp::Store); }
  void prefetch_thread() { run_engine(CommandOp::Prefetch); }
  void run_engine(CommandOp op);
  void wait_released(std::size_t i);
  void wait_deps(std::size_t i);
  void allocate(std::size_t i, BufferRole role, std::int64_t bytes);
  void transfer(const Command& c, std::size_t group);
  void receive(std::size_t i);
  // A prefetch: reads its bytes from DRAM, then writes them to the shared buffer.
  void prefetch(const Command& c, std::size_t group);
  // Sets up transaction `e` (0 load, 1 store, 2 prefetch) for `bytes` at `addr` (a DMA of
  // `c`'s layout in DRAM) and runs it; returns when the target's delay ends, in cycles.
  double issue(int e, bool write, std::uint64_t addr, const Command& c, std::size_t group);
  // Adds what command `i` of group `g` made the core's components do (ActionCounts).
  void count_actions(const Command& c, std::size_t g);
  void complete(std::size_t i, double start);
  Buffer& buffer(BufferRole r) { return buffers_[static_cast<int>(r)]; }

  Wait& wait_of(CommandOp op) { return waits_[static_cast<int>(op)]; }

  CoreSetup setup_;
  const std::vector<Core*>* peers_ = nullptr;
  Wait waits_[5];  // by engine: CommandOp Load, Compute, Store, (Sync: none), Prefetch
  std::vector<std::size_t> epoch_of_, group_of_;  // per command
  std::vector<std::size_t> first_epoch_;          // per group
  std::vector<char> done_;
  std::vector<std::int64_t> allocated_;
  std::vector<std::size_t> remaining_;
  long released_ = -1;
  Buffer buffers_[3];
  sc_core::sc_event released_event_, progress_event_, finished_event_;
  tlm::tlm_generic_payload trans_[3];                   // one per DMA engine: load, store, prefetch
  DmaExtension* dma_[3] = {nullptr, nullptr, nullptr};  // owned by trans_ (TLM frees extensions)
  unsigned char dummy_data_ = 0;

  CoreStats stats_;
  std::vector<LayerStats> layers_;
  std::vector<TrafficCounters> group_traffic_;
  std::vector<double> group_stalls_;  // compute engine waiting on loads or output space
  std::vector<ActionCounts> group_actions_;
};

}  // namespace fusim
