// The interconnect between the cores and the memory controller: one link of bytes_per_cycle
// shared by all cores, first come first served, plus a fixed latency each way.
#pragma once

#include <tlm_utils/multi_passthrough_target_socket.h>
#include <tlm_utils/simple_initiator_socket.h>
#include <systemc>
#include <tlm>

#include "arch/arch.h"
#include "sim_time.h"

namespace fusim {

class Interconnect : public sc_core::sc_module {
 public:
  tlm_utils::multi_passthrough_target_socket<Interconnect> cores;  // one binding per core
  tlm_utils::simple_initiator_socket<Interconnect> memory;

  Interconnect(sc_core::sc_module_name name, const InterconnectParams& params);

  double busy_cycles() const { return link_.busy; }

 private:
  void b_transport(int port, tlm::tlm_generic_payload& trans, sc_core::sc_time& delay);

  InterconnectParams params_;
  StreamResource link_;
};

}  // namespace fusim
