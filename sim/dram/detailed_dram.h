// The detailed DRAM model as a SystemC module: the memory controllers of every channel
// (DramController, plain C++) behind one TLM target socket.
//
// Loosely timed, blocking: b_transport hands the transfer to the controllers and waits until its
// last burst is done. One thread advances the controllers in steps of lookahead_cycles: at each
// step it commits the commands of the next lookahead_cycles with the requests present, so a
// request that arrives within a step may be scheduled up to that much later than an ideal
// controller would (the only approximation; lookahead_cycles 1 removes it at a cost in speed).
// SystemC waits happen per step and per transfer, never per burst.
#pragma once

#include <vector>

#include <tlm_utils/simple_target_socket.h>
#include <systemc>
#include <tlm>

#include "arch/arch.h"
#include "dram/dram_controller.h"
#include "dram/dram_stats.h"

namespace fusim {

class DetailedDram : public sc_core::sc_module {
 public:
  tlm_utils::simple_target_socket<DetailedDram> socket;

  // `clock_mhz`: the accelerator clock, in which SystemC time is counted (sim_time.h).
  DetailedDram(sc_core::sc_module_name name, const DramParams& params, double clock_mhz);

  // Per channel, at the end of a run (counts the refreshes up to now).
  std::vector<ChannelStats> stats();
  // --trace: the channels' busy periods go to `out` (one per channel), in DRAM ticks.
  void record_busy(std::vector<BusyPeriods>* out) { ctrl_.record_busy(out); }
  double dram_ticks_per_cycle() const { return ticks_per_cycle_; }
  const std::vector<DramGroupCounters>& group_stats() const { return ctrl_.group_counters(); }

 private:
  void b_transport(tlm::tlm_generic_payload& trans, sc_core::sc_time& delay);
  void run();
  DramTick to_tick(double cycles) const;
  double to_cycles(DramTick t) const { return static_cast<double>(t) / ticks_per_cycle_; }

  DramParams params_;
  double ticks_per_cycle_;
  DramController ctrl_;
  sc_core::sc_event kick_;
  std::vector<sc_core::sc_event*> waiting_;  // by stream id; events live in b_transport frames
};

}  // namespace fusim
