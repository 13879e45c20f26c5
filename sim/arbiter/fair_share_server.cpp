#include "arbiter/fair_share_server.h"

#include <algorithm>

#include "kernel/sim_time.h"

namespace fusim {

FairShareServer::FairShareServer(sc_core::sc_module_name name,
                                 const std::vector<double>& bytes_per_cycle)
    : sc_module(name), waiting_(bytes_per_cycle.size()) {
  links_.reserve(bytes_per_cycle.size());
  for (double bw : bytes_per_cycle) links_.emplace_back(bw);
  SC_HAS_PROCESS(FairShareServer);
  SC_THREAD(run);
}

void FairShareServer::add(Ticket& ticket, int link, double start, double bytes, int port) {
  FairShareLink& l = links_[static_cast<std::size_t>(link)];
  std::vector<Ticket*>& waiting = waiting_[static_cast<std::size_t>(link)];
  const int id = l.add(start, bytes, port);
  if (static_cast<std::size_t>(id) >= waiting.size())
    waiting.resize(static_cast<std::size_t>(id) + 1, nullptr);
  waiting[static_cast<std::size_t>(id)] = &ticket;
  ++ticket.pending;
  ticket.done = std::max(ticket.done, start);
  busy_.insert(link);
  wake_run_at(l.next_completion());  // the new transfer may end first
}

double FairShareServer::wait_done(Ticket& ticket) {
  while (ticket.pending > 0) wait(ticket.done_event);
  return ticket.done;
}

bool FairShareServer::finish_completed() {
  bool any = false;
  for (auto it = busy_.begin(); it != busy_.end();) {
    const auto i = static_cast<std::size_t>(*it);
    for (const auto& [id, t] : links_[i].take_completed()) {
      Ticket*& ticket = waiting_[i][static_cast<std::size_t>(id)];
      ticket->done = std::max(ticket->done, t);
      if (--ticket->pending == 0) ticket->done_event.notify();
      ticket = nullptr;
      any = true;
    }
    it = links_[i].next_event() == FairShareLink::kNone ? busy_.erase(it) : std::next(it);
  }
  return any;
}

double FairShareServer::next_completion() const {
  double next = FairShareLink::kNone;
  for (int i : busy_) next = std::min(next, links_[static_cast<std::size_t>(i)].next_completion());
  return next;
}

void FairShareServer::wake_run_at(double cycles) {
  if (cycles >= wake_at_) return;  // run() is due by then anyway
  wake_at_ = cycles;
  const sc_core::sc_time now = sc_core::sc_time_stamp();
  wake_.notify(std::max(cycles_to_time(cycles), now) - now);  // an earlier one overrides
}

void FairShareServer::run() {
  // Every transfer added later starts no earlier than the time it is added, so the links' state
  // up to the current time is final: advance them to it, wake the tickets that are done, then
  // sleep until the next completion. add() moves that wake-up earlier when a transfer it adds
  // ends first; a transfer that delays the next completion costs one wake-up that finds nothing.
  for (;;) {
    const double now = now_cycles();
    for (int i : busy_) links_[static_cast<std::size_t>(i)].advance_to(now);
    finish_completed();
    const double next = next_completion();
    if (next != FairShareLink::kNone && cycles_to_time(next) <= sc_core::sc_time_stamp()) {
      // Within a picosecond of now, or beyond the range of SystemC time (the simulation is then
      // rejected, see kMaxSimCycles): process it without waiting.
      for (int i : busy_) {
        FairShareLink& l = links_[static_cast<std::size_t>(i)];
        if (l.next_completion() > next) continue;
        l.advance_to(next);
        // In case rounding left the completion a hair later: step until it is done.
        while (!l.has_completed() && l.next_event() != FairShareLink::kNone) l.step();
      }
      finish_completed();
      continue;
    }
    wake_at_ = FairShareLink::kNone;
    wake_run_at(next);
    wait(wake_);
  }
}

}  // namespace fusim
