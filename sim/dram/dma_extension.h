// What a DMA engine tells the memory system about a transfer besides its address and length:
// the tensor layout of the tile, its outstanding-burst limit and the group it belongs to. A TLM
// extension on the generic payload; the payload owns it (TLM frees extensions with the payload).
#pragma once

#include <cstdint>

#include <tlm>

#include "arch/arch.h"

namespace fusim {

struct DmaExtension : tlm::tlm_extension<DmaExtension> {
  // Layout: `rows` rows of `row_bytes` bytes, `stride_bytes` apart, from the payload's address.
  // row_bytes 0 means one contiguous row of the payload's data length.
  std::int64_t row_bytes = 0;
  std::int64_t rows = 1;
  std::int64_t stride_bytes = 0;
  // Then `tail_bytes` more at `tail_addr`, one contiguous range (the biases of interleaved
  // weights); 0: none. The payload's data length counts them.
  std::int64_t tail_addr = 0;
  std::int64_t tail_bytes = 0;
  std::int64_t outstanding_bursts = DmaParams{}.outstanding_bursts;  // cores.dma's default
  // Accelerator cycles from a burst's completion at the memory to the arrival of the engine's
  // next burst there (response and request path); each hop on the way adds its share.
  double round_trip_cycles = 0;
  std::int32_t group = -1;  // program group, for per-group memory statistics (-1: none)

  tlm::tlm_extension_base* clone() const override { return new DmaExtension(*this); }
  void copy_from(const tlm::tlm_extension_base& e) override {
    *this = static_cast<const DmaExtension&>(e);
  }
};

}  // namespace fusim
