// The shared on-chip buffer: a TLM target behind the interconnect, at addresses from
// kSharedBufferBase. It has `banks` banks, each with one port of bytes_per_cycle / banks bytes
// per cycle, interleaved by words of word_bytes() = max(1, floor(bytes_per_cycle / banks))
// bytes: word w lives in bank w mod banks. A transfer (contiguous, or pieces at a stride: the
// DMA extension's layout) puts its bytes of each bank on that bank's port; a bank's port is
// shared fairly by the transfers on it (FairShareLink), and the transfer is done when its last
// bank is. So a sequential transfer alone moves bytes_per_cycle, two at once share it, and a
// transfer whose pieces all fall in one bank (a stride of banks x word_bytes) moves at one
// bank's rate: a bank conflict.
#pragma once

#include <cstdint>
#include <vector>

#include <tlm_utils/simple_target_socket.h>
#include <systemc>
#include <tlm>

#include "arbiter/fair_share_server.h"
#include "arch/arch.h"
#include "buffer/shared_buffer_stats.h"

namespace fusim {

// Interconnect addresses of the shared buffer start here (DRAM addresses are below 2^48).
constexpr std::uint64_t kSharedBufferBase = std::uint64_t{1} << 48;

// The bytes of `pieces` pieces of `piece` bytes, `stride` apart from `addr`, that fall in each of
// `banks` banks interleaved by `word` bytes. Time O(banks + min(pieces, banks x word)).
std::vector<std::int64_t> bank_bytes(std::int64_t addr, std::int64_t piece, std::int64_t pieces,
                                     std::int64_t stride, int banks, std::int64_t word);

class SharedBuffer : public sc_core::sc_module {
 public:
  tlm_utils::simple_target_socket<SharedBuffer> socket;

  SharedBuffer(sc_core::sc_module_name name, const BufferParams& params);

  std::int64_t word_bytes() const { return word_; }
  SharedBufferStats stats() const;

 private:
  void b_transport(tlm::tlm_generic_payload& trans, sc_core::sc_time& delay);

  std::int64_t word_;
  FairShareServer banks_;  // one link per bank
  SharedBufferStats stats_;
};

}  // namespace fusim
