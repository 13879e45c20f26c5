// The interconnect between the cores, the memory controller and the shared on-chip buffer: one
// link of bytes_per_cycle shared by all cores, plus a fixed latency each way. Addresses from
// kSharedBufferBase up go to the shared buffer (when one is bound), the others to the memory.
//
// The link is shared fairly: while k transfers are on it, each moves at bytes_per_cycle / k
// (FairShareLink, fair_share_link.h). A small transfer that arrives while a large one streams is
// therefore not held back until the large one is done (as first come first served at
// whole-transfer granularity would), it takes its share.
// The link is computed per event (an arrival or a completion), never per burst.
#pragma once

#include <tlm_utils/multi_passthrough_target_socket.h>
#include <tlm_utils/simple_initiator_socket.h>
#include <systemc>
#include <tlm>

#include "arbiter/fair_share_server.h"
#include "arch/arch.h"

namespace fusim {

class Interconnect : public sc_core::sc_module {
 public:
  tlm_utils::multi_passthrough_target_socket<Interconnect> cores;  // one binding per core
  tlm_utils::simple_initiator_socket<Interconnect> memory;
  tlm_utils::simple_initiator_socket_optional<Interconnect> shared;  // unbound: no shared buffer

  Interconnect(sc_core::sc_module_name name, const InterconnectParams& params);

  // Cycles the link was transferring anything: overlapping transfers count once.
  double busy_cycles() const { return link_.link(0).busy_cycles(); }

 private:
  void b_transport(int port, tlm::tlm_generic_payload& trans, sc_core::sc_time& delay);

  InterconnectParams params_;
  FairShareServer link_;  // one link
};

}  // namespace fusim
