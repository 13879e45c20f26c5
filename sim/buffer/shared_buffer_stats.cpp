#include "buffer/shared_buffer_stats.h"

namespace fusim {

const StatSchema<SharedBufferStats>& SharedBufferStats::schema() {
  static const StatSchema<SharedBufferStats> s = [] {
    using B = SharedBufferStats;
    StatSchema<B> r;
    r.add("banks", &B::banks, "banks", "banks of the shared buffer");
    r.add("word_bytes", &B::word_bytes, "bytes",
          "interleaving granule: word w lives in bank w mod banks");
    r.add("reads", &B::reads, "transfers", "transfers read from the shared buffer");
    r.add("writes", &B::writes, "transfers", "transfers written to the shared buffer");
    r.add("bytes_read", &B::bytes_read, "bytes", "bytes read from the shared buffer");
    r.add("bytes_written", &B::bytes_written, "bytes", "bytes written to the shared buffer");
    r.add("bank_busy_cycles", &B::bank_busy_cycles, decimals(3), "bank-cycles",
          "summed over the banks: cycles a bank's port moved data");
    r.add("bank_conflict_cycles", &B::bank_conflict_cycles, decimals(3), "bank-cycles",
          "summed over the banks: cycles two or more transfers shared a bank's port");
    return r;
  }();
  return s;
}

}  // namespace fusim
