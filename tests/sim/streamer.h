// A DMA initiator for the SystemC component tests (test_dram.cpp, test_interconnect.cpp,
// test_shared_buffer.cpp): one read of `bytes` at `addr`, issued at cycle `start`, recording the
// cycle it ends; contiguous, or in pieces of `piece` bytes `stride` apart.
#pragma once

#include <cstdint>

#include <tlm_utils/simple_initiator_socket.h>
#include <systemc>
#include <tlm>

#include "dram/dma_extension.h"
#include "kernel/sim_time.h"

namespace fusim::test {

class Streamer : public sc_core::sc_module {
 public:
  tlm_utils::simple_initiator_socket<Streamer> socket;
  Streamer(sc_core::sc_module_name name, std::int64_t addr, std::int64_t bytes, double start = 0,
           std::int64_t piece = 0, std::int64_t stride = 0)
      : sc_module(name),
        socket("socket"),
        addr_(addr),
        bytes_(bytes),
        start_(start),
        piece_(piece),
        stride_(stride) {
    SC_HAS_PROCESS(Streamer);
    SC_THREAD(run);
  }
  double done = 0;
  std::int64_t outstanding = 32;  // the DMA engine's window (cores.dma.outstanding_bursts)

 private:
  void run() {
    if (start_ > 0) wait(fusim::cycles_to_time(start_));
    tlm::tlm_generic_payload t;
    auto* ext = new fusim::DmaExtension;  // owned by t
    ext->outstanding_bursts = outstanding;
    if (piece_ > 0) {
      ext->row_bytes = piece_;
      ext->rows = bytes_ / piece_;
      ext->stride_bytes = stride_;
    }
    t.set_extension(ext);
    t.set_command(tlm::TLM_READ_COMMAND);
    t.set_address(static_cast<sc_dt::uint64>(addr_));
    t.set_data_ptr(&data_);
    t.set_data_length(static_cast<unsigned int>(bytes_));
    t.set_streaming_width(static_cast<unsigned int>(bytes_));
    sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
    socket->b_transport(t, delay);
    wait(delay);
    done = fusim::now_cycles();
  }
  std::int64_t addr_, bytes_;
  double start_;
  std::int64_t piece_, stride_;
  unsigned char data_ = 0;
};

}  // namespace fusim::test
