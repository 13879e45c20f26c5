#include "interconnect/interconnect.h"

#include <algorithm>
#include <stdexcept>

#include "buffer/shared_buffer.h"
#include "dram/dma_extension.h"
#include "kernel/sim_time.h"

namespace fusim {

Interconnect::Interconnect(sc_core::sc_module_name name, const InterconnectParams& params)
    : sc_module(name),
      cores("cores"),
      memory("memory"),
      shared("shared"),
      params_(params),
      link_("link", {params.bytes_per_cycle}) {
  cores.register_b_transport(this, &Interconnect::b_transport);
}

void Interconnect::b_transport(int port, tlm::tlm_generic_payload& trans, sc_core::sc_time& delay) {
  // The request crosses the link, the target serves it, the data streams through the link: the
  // link and the target overlap (pipelined), so the transfer ends when the slower one is done.
  const double arrival = time_to_cycles(sc_core::sc_time_stamp() + delay);
  const double latency = static_cast<double>(params_.latency_cycles);
  if (DmaExtension* dma = trans.get_extension<DmaExtension>())
    dma->round_trip_cycles += 2 * latency;
  // The link phase starts one latency after the arrival, shared with whatever else is on the
  // link then or later.
  FairShareServer::Ticket link;
  link_.add(link, 0, arrival + latency, static_cast<double>(trans.get_data_length()), port);
  sc_core::sc_time target_delay = delay + cycles_to_time(latency);
  const bool to_shared = trans.get_address() >= kSharedBufferBase;
  if (to_shared && shared.size() == 0) {
    throw std::logic_error(
        "a shared-buffer transfer without a shared buffer");  // the loader checks
  }
  if (to_shared)
    shared->b_transport(trans, target_delay);
  else
    memory->b_transport(trans, target_delay);
  // The target may have waited (a blocking target): measure from the current time.
  const double target_done = time_to_cycles(sc_core::sc_time_stamp() + target_delay);
  const double link_done = link_.wait_done(link);
  const double done = std::max(target_done, link_done) + latency;
  delay = std::max(cycles_to_time(done), sc_core::sc_time_stamp()) - sc_core::sc_time_stamp();
}

}  // namespace fusim
