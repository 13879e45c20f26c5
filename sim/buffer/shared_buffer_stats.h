// What the shared on-chip buffer counts. Registered in shared_buffer_stats.cpp.
#pragma once

#include <cstdint>

#include "stats/stats.h"

namespace fusim {

struct SharedBufferStats {
  std::int64_t banks = 0, word_bytes = 0;
  std::int64_t reads = 0, writes = 0;  // transfers
  std::int64_t bytes_read = 0, bytes_written = 0;
  double bank_busy_cycles = 0;      // summed over the banks: cycles a bank's port moved data
  double bank_conflict_cycles = 0;  // summed over the banks: cycles two or more transfers shared it

  static const StatSchema<SharedBufferStats>& schema();
};

}  // namespace fusim
