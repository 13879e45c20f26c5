#include "dram/detailed_dram.h"

#include <algorithm>
#include <cmath>

#include "dram/dma_extension.h"
#include "kernel/sim_context.h"
#include "kernel/sim_time.h"

namespace fusim {

namespace {
double ticks_per_cycle(const DramParams& p, double clock_mhz) {
  return (1e6 / clock_mhz) / p.tck_ps;
}
}  // namespace

DetailedDram::DetailedDram(sc_core::sc_module_name name, const DramParams& params, double clock_mhz)
    : sc_module(name),
      socket("socket"),
      params_(params),
      ticks_per_cycle_(ticks_per_cycle(params, clock_mhz)),
      ctrl_(params, static_cast<double>(params.epoch_cycles) * ticks_per_cycle_) {
  socket.register_b_transport(this, &DetailedDram::b_transport);
  SC_HAS_PROCESS(DetailedDram);
  SC_THREAD(run);
  set_stack_size(kThreadStackBytes);
}

DramTick DetailedDram::to_tick(double cycles) const {
  return static_cast<DramTick>(std::ceil(cycles * ticks_per_cycle_ - 1e-6));
}

void DetailedDram::b_transport(tlm::tlm_generic_payload& trans, sc_core::sc_time& delay) {
  DramStream s;
  s.arrival = to_tick(time_to_cycles(sc_core::sc_time_stamp() + delay));
  s.addr = static_cast<std::int64_t>(trans.get_address());
  s.write = trans.is_write();
  s.row_bytes = static_cast<std::int64_t>(trans.get_data_length());
  s.outstanding = std::int64_t{1} << 40;  // no limit unless the initiator sets one
  if (const DmaExtension* ext = trans.get_extension<DmaExtension>()) {
    if (ext->row_bytes > 0) {
      s.row_bytes = ext->row_bytes;
      s.rows = ext->rows;
      s.stride_bytes = ext->stride_bytes;
    }
    s.tail_addr = ext->tail_addr;
    s.tail_bytes = ext->tail_bytes;
    s.outstanding = ext->outstanding_bursts;
    s.round_trip = to_tick(ext->round_trip_cycles);
    s.group = ext->group;
  }
  const int id = ctrl_.submit(s);
  if (static_cast<std::size_t>(id) >= waiting_.size())
    waiting_.resize(static_cast<std::size_t>(id) + 1, nullptr);
  sc_core::sc_event done;
  waiting_[static_cast<std::size_t>(id)] = &done;
  kick_.notify(sc_core::SC_ZERO_TIME);
  wait(done);
  waiting_[static_cast<std::size_t>(id)] = nullptr;
  ctrl_.release(id);
  delay = sc_core::SC_ZERO_TIME;
  trans.set_response_status(tlm::TLM_OK_RESPONSE);
}

void DetailedDram::run() {
  const auto lookahead = static_cast<double>(params_.lookahead_cycles);
  for (;;) {
    const double now = now_cycles();
    ctrl_.advance(static_cast<DramTick>(std::floor((now + lookahead) * ticks_per_cycle_ + 1e-6)));
    for (const auto& [id, tick] : ctrl_.take_completed()) {
      const sc_core::sc_time at = cycles_to_time(std::max(to_cycles(tick), now));
      waiting_[static_cast<std::size_t>(id)]->notify(at - sc_core::sc_time_stamp());
    }
    const DramTick next = ctrl_.busy() ? ctrl_.next_event() : kNever;
    if (next == kNever) {
      wait(kick_);
    } else {
      const double at = std::max(to_cycles(next), now + lookahead);
      wait(cycles_to_time(at) - sc_core::sc_time_stamp(), kick_);
    }
  }
}

std::vector<ChannelStats> DetailedDram::stats() {
  const auto end = static_cast<DramTick>(now_cycles() * ticks_per_cycle_);
  ctrl_.count_refreshes_until(end);
  std::vector<ChannelStats> out = ctrl_.channel_counters();
  for (std::size_t c = 0; c < out.size(); ++c) {
    ChannelStats& s = out[c];
    s.run_ticks = end;
    s.busy_cycles = to_cycles(s.busy_ticks);
    const DramController::Latency l = ctrl_.read_latency(static_cast<int>(c));
    s.read_latency_mean = l.mean / ticks_per_cycle_;
    s.read_latency_p50 = to_cycles(l.p50);
    s.read_latency_p95 = to_cycles(l.p95);
    s.read_latency_p99 = to_cycles(l.p99);
  }
  return out;
}

}  // namespace fusim
