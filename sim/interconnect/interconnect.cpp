#include "interconnect/interconnect.h"

#include <algorithm>

#include "dram/dma_extension.h"

namespace fusim {

Interconnect::Interconnect(sc_core::sc_module_name name, const InterconnectParams& params)
    : sc_module(name), cores("cores"), memory("memory"), params_(params) {
  link_.bytes_per_cycle = params.bytes_per_cycle;
  cores.register_b_transport(this, &Interconnect::b_transport);
}

void Interconnect::b_transport(int /*port*/, tlm::tlm_generic_payload& trans,
                               sc_core::sc_time& delay) {
  // The request crosses the link, the memory serves it, the data streams through the link: the
  // link and the memory overlap (pipelined), so the transfer ends when the slower one is done.
  const double arrival = time_to_cycles(sc_core::sc_time_stamp() + delay);
  const double latency = static_cast<double>(params_.latency_cycles);
  if (DmaExtension* dma = trans.get_extension<DmaExtension>())
    dma->round_trip_cycles += 2 * latency;
  sc_core::sc_time mem_delay = delay + cycles_to_time(latency);
  memory->b_transport(trans, mem_delay);
  // The memory may have waited (a blocking target): measure from the current time.
  const double mem_done = time_to_cycles(sc_core::sc_time_stamp() + mem_delay);
  const double link_done =
      link_.serve(arrival + latency, static_cast<double>(trans.get_data_length()));
  const double done = std::max(mem_done, link_done) + latency;
  delay = cycles_to_time(done) - sc_core::sc_time_stamp();
}

}  // namespace fusim
