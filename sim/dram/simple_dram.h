// The simple DRAM model: `channels` independent channels interleaved every `burst_bytes`, each
// streaming at bytes_per_cycle_per_channel first come first served, plus a fixed latency.
// Loosely timed: b_transport adds to `delay` the time until the whole transfer has been served.
#pragma once

#include <vector>

#include <tlm_utils/simple_target_socket.h>
#include <systemc>
#include <tlm>

#include "arch/arch.h"
#include "dram/dram_stats.h"
#include "kernel/sim_time.h"

namespace fusim {

class SimpleDram : public sc_core::sc_module {
 public:
  tlm_utils::simple_target_socket<SimpleDram> socket;

  SimpleDram(sc_core::sc_module_name name, const DramParams& params);

  // Bytes of [addr, addr + bytes) that fall on each channel.
  std::vector<std::int64_t> split_by_channel(std::int64_t addr, std::int64_t bytes) const;
  std::vector<ChannelStats> stats() const;

 private:
  void b_transport(tlm::tlm_generic_payload& trans, sc_core::sc_time& delay);

  DramParams params_;
  std::vector<StreamResource> channels_;
  std::vector<ChannelStats> stats_;
};

}  // namespace fusim
