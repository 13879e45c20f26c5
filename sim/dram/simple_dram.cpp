#include "dram/simple_dram.h"

#include <algorithm>

namespace fusim {

SimpleDram::SimpleDram(sc_core::sc_module_name name, const DramParams& params)
    : sc_module(name),
      socket("socket"),
      params_(params),
      channels_(static_cast<std::size_t>(params.channels)),
      stats_(static_cast<std::size_t>(params.channels)) {
  for (auto& c : channels_) c.bytes_per_cycle = params.bytes_per_cycle_per_channel;
  socket.register_b_transport(this, &SimpleDram::b_transport);
}

std::vector<std::int64_t> SimpleDram::split_by_channel(std::int64_t addr,
                                                       std::int64_t bytes) const {
  const std::int64_t n = params_.channels, b = params_.burst_bytes;
  std::vector<std::int64_t> out(static_cast<std::size_t>(n), 0);
  if (bytes <= 0) return out;
  const std::int64_t end = addr + bytes;
  const std::int64_t first = addr / b, last = (end - 1) / b;  // burst slots touched
  if (first == last) {
    out[static_cast<std::size_t>(first % n)] += bytes;
    return out;
  }
  out[static_cast<std::size_t>(first % n)] += (first + 1) * b - addr;
  out[static_cast<std::size_t>(last % n)] += end - last * b;
  // Whole slots first+1 .. last-1: `rounds` full rounds over all channels, then a partial round.
  const std::int64_t whole = last - first - 1;
  const std::int64_t rounds = whole / n, rest = whole % n;
  for (std::int64_t c = 0; c < n; ++c) out[static_cast<std::size_t>(c)] += rounds * b;
  for (std::int64_t i = 0; i < rest; ++i) out[static_cast<std::size_t>((first + 1 + i) % n)] += b;
  return out;
}

void SimpleDram::b_transport(tlm::tlm_generic_payload& trans, sc_core::sc_time& delay) {
  const double arrival = time_to_cycles(sc_core::sc_time_stamp() + delay);
  const auto addr = static_cast<std::int64_t>(trans.get_address());
  const auto bytes = static_cast<std::int64_t>(trans.get_data_length());
  const bool write = trans.is_write();
  const std::vector<std::int64_t> per_channel = split_by_channel(addr, bytes);
  double done = arrival;
  for (std::size_t c = 0; c < per_channel.size(); ++c) {
    if (per_channel[c] == 0) continue;
    const double before = channels_[c].busy;
    done = std::max(done, channels_[c].serve(arrival, static_cast<double>(per_channel[c])));
    stats_[c].busy_cycles += channels_[c].busy - before;
    (write ? stats_[c].bytes_written : stats_[c].bytes_read) += per_channel[c];
  }
  done += static_cast<double>(params_.latency_cycles);
  delay = cycles_to_time(done) - sc_core::sc_time_stamp();
  trans.set_response_status(tlm::TLM_OK_RESPONSE);
}

std::vector<ChannelStats> SimpleDram::stats() const {
  return stats_;
}

}  // namespace fusim
