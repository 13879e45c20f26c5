#include "interconnect/interconnect.h"

#include <algorithm>

#include "dram/dma_extension.h"

namespace fusim {

int FairShareLink::add(double start, double bytes, int port) {
  Flow f;
  f.start = std::max(start, t_);
  f.bytes = std::max(bytes, 0.0);
  f.port = port;
  f.seq = seq_++;
  if (free_ids_.empty()) {
    f.id = next_id_++;
  } else {
    f.id = free_ids_.back();
    free_ids_.pop_back();
  }
  const auto at =
      std::upper_bound(pending_.begin(), pending_.end(), f, [](const Flow& x, const Flow& y) {
        return x.start != y.start ? x.start < y.start : before(x, y);
      });
  pending_.insert(at, f);
  return f.id;
}

double FairShareLink::active_completion() const {
  if (active_.empty()) return kNone;
  double tag = active_.front().bytes;
  for (const Flow& f : active_) tag = std::min(tag, f.bytes);
  // Every active transfer moves bytes_per_cycle / k: the one with the smallest tag ends first.
  const double k = static_cast<double>(active_.size());
  return t_ + std::max(tag - v_, 0.0) * k / bytes_per_cycle_;
}

double FairShareLink::next_event() const {
  return std::min(pending_.empty() ? kNone : pending_.front().start, active_completion());
}

double FairShareLink::next_completion() const {
  // The joins before the first completion, replayed on a copy of the clocks, as step() would.
  double t = t_, v = v_, tag = kNone;
  double k = static_cast<double>(active_.size());
  for (const Flow& f : active_) tag = std::min(tag, f.bytes);
  for (const Flow& f : pending_) {
    if (k > 0) {
      const double end = t + std::max(tag - v, 0.0) * k / bytes_per_cycle_;
      if (end <= f.start) return end;
      v += (f.start - t) * bytes_per_cycle_ / k;
    }
    t = std::max(t, f.start);
    k += 1;
    tag = std::min(tag, v + f.bytes);
  }
  return k > 0 ? t + std::max(tag - v, 0.0) * k / bytes_per_cycle_ : kNone;
}

void FairShareLink::move_to(double t) {
  if (t <= t_) return;
  if (!active_.empty()) {
    v_ += (t - t_) * bytes_per_cycle_ / static_cast<double>(active_.size());
    busy_ += t - t_;
  }
  t_ = t;
}

void FairShareLink::complete() {
  const double end = active_completion();
  double tag = active_.front().bytes;
  for (const Flow& f : active_) tag = std::min(tag, f.bytes);
  if (end > t_) busy_ += end - t_;
  t_ = std::max(t_, end);
  v_ = std::max(v_, tag);  // exactly the tag: transfers with equal tags end together
  // Done: every transfer whose tag the virtual clock has reached, in (port, arrival) order.
  std::vector<Flow> done;
  auto keep = active_.begin();
  for (auto it = active_.begin(); it != active_.end(); ++it) {
    if (it->bytes <= v_)
      done.push_back(*it);
    else
      *keep++ = *it;
  }
  active_.erase(keep, active_.end());
  std::sort(done.begin(), done.end(), before);
  for (const Flow& f : done) completed_.emplace_back(f.id, t_);
  if (active_.empty()) v_ = 0;  // idle: restart the virtual clock (keeps its precision)
}

void FairShareLink::join() {
  Flow f = pending_.front();
  pending_.erase(pending_.begin());
  move_to(f.start);
  f.bytes += v_;  // the finish tag
  active_.push_back(f);
}

void FairShareLink::step() {
  const double join_at = pending_.empty() ? kNone : pending_.front().start;
  const double complete_at = active_completion();
  if (complete_at == kNone && join_at == kNone) return;
  // A completion and a join at the same time: the completion first (either order gives the same
  // times; this one keeps the reported order independent of it).
  if (complete_at <= join_at)
    complete();
  else
    join();
}

void FairShareLink::advance_to(double until) {
  while (next_event() <= until) step();
  move_to(until);
}

std::vector<std::pair<int, double>> FairShareLink::take_completed() {
  std::vector<std::pair<int, double>> out;
  out.swap(completed_);
  for (const auto& c : out) free_ids_.push_back(c.first);
  return out;
}

Interconnect::Interconnect(sc_core::sc_module_name name, const InterconnectParams& params)
    : sc_module(name),
      cores("cores"),
      memory("memory"),
      params_(params),
      link_(params.bytes_per_cycle) {
  cores.register_b_transport(this, &Interconnect::b_transport);
  SC_HAS_PROCESS(Interconnect);
  SC_THREAD(run);
}

void Interconnect::b_transport(int port, tlm::tlm_generic_payload& trans, sc_core::sc_time& delay) {
  // The request crosses the link, the memory serves it, the data streams through the link: the
  // link and the memory overlap (pipelined), so the transfer ends when the slower one is done.
  const double arrival = time_to_cycles(sc_core::sc_time_stamp() + delay);
  const double latency = static_cast<double>(params_.latency_cycles);
  if (DmaExtension* dma = trans.get_extension<DmaExtension>())
    dma->round_trip_cycles += 2 * latency;
  // The link phase starts one latency after the arrival, shared with whatever else is on the
  // link then or later; run() wakes this transfer when its link phase is done.
  Waiter w;
  const double start = arrival + latency;
  const int id = link_.add(start, static_cast<double>(trans.get_data_length()), port);
  if (static_cast<std::size_t>(id) >= waiting_.size())
    waiting_.resize(static_cast<std::size_t>(id) + 1, nullptr);
  waiting_[static_cast<std::size_t>(id)] = &w;
  wake_run_at(link_.next_completion());  // the new transfer may end first
  sc_core::sc_time mem_delay = delay + cycles_to_time(latency);
  memory->b_transport(trans, mem_delay);
  // The memory may have waited (a blocking target): measure from the current time.
  const double mem_done = time_to_cycles(sc_core::sc_time_stamp() + mem_delay);
  while (!w.done) wait(w.done_event);
  const double done = std::max(mem_done, w.link_done) + latency;
  delay = std::max(cycles_to_time(done), sc_core::sc_time_stamp()) - sc_core::sc_time_stamp();
}

bool Interconnect::finish_completed() {
  const auto completed = link_.take_completed();
  for (const auto& [id, t] : completed) {
    Waiter*& w = waiting_[static_cast<std::size_t>(id)];
    w->link_done = t;
    w->done = true;
    w->done_event.notify();
    w = nullptr;
  }
  return !completed.empty();
}

void Interconnect::wake_run_at(double cycles) {
  if (cycles >= wake_at_) return;  // run() is due by then anyway
  wake_at_ = cycles;
  const sc_core::sc_time now = sc_core::sc_time_stamp();
  wake_.notify(std::max(cycles_to_time(cycles), now) - now);  // an earlier one overrides
}

void Interconnect::run() {
  // Every transfer added later starts no earlier than the time it is added, so the link's state
  // up to the current time is final: advance to it, wake the transfers that are done, then sleep
  // until the next completion. b_transport moves that wake-up earlier when a transfer it adds
  // ends first; a transfer that delays the next completion costs one wake-up that finds nothing.
  for (;;) {
    link_.advance_to(now_cycles());
    finish_completed();
    const double next = link_.next_completion();
    if (next != FairShareLink::kNone && cycles_to_time(next) <= sc_core::sc_time_stamp()) {
      // Within a picosecond of now, or beyond the range of SystemC time (the simulation is then
      // rejected, see kMaxSimCycles): process it without waiting.
      link_.advance_to(next);
      while (!finish_completed()) link_.step();  // in case rounding left it a hair later
      continue;
    }
    wake_at_ = FairShareLink::kNone;
    wake_run_at(next);
    wait(wake_);
  }
}

}  // namespace fusim
