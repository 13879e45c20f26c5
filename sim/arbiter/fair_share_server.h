// Fair-share links as a SystemC resource: any number of FairShareLinks (fair_share_link.h) advanced
// by one thread, and callers (TLM b_transport in an initiator's thread) that put a transfer on
// one or more of them and wait until every part is done. The interconnect is one such link; the
// shared buffer is one per bank.
#pragma once

#include <set>
#include <vector>

#include <systemc>

#include "arbiter/fair_share_link.h"

namespace fusim {

class FairShareServer : public sc_core::sc_module {
 public:
  // One link per entry, each of that many bytes per cycle.
  FairShareServer(sc_core::sc_module_name name, const std::vector<double>& bytes_per_cycle);

  // A transfer's parts, in flight: lives in the caller's frame until wait_done returns.
  struct Ticket {
    sc_core::sc_event done_event;
    double done = 0;  // cycles: the latest completion of a part so far
    int pending = 0;  // parts not done yet
  };

  // Puts `bytes` on link `link` from `start` (cycles, not before now) for `port`.
  void add(Ticket& ticket, int link, double start, double bytes, int port);
  // Blocks the calling thread until every part added to `ticket` is done; returns when the last
  // one ended (cycles; 0 when no part was added).
  double wait_done(Ticket& ticket);

  const FairShareLink& link(int i) const { return links_[static_cast<std::size_t>(i)]; }
  int links() const { return static_cast<int>(links_.size()); }

 private:
  void run();                       // advances the links and wakes the tickets whose parts are done
  bool finish_completed();          // false when no part was
  void wake_run_at(double cycles);  // no later than `cycles`
  double next_completion() const;

  std::vector<FairShareLink> links_;
  std::vector<std::vector<Ticket*>> waiting_;  // per link, by the link's transfer id
  std::set<int> busy_;                         // links with a transfer on or waiting for them
  sc_core::sc_event wake_;                     // run()'s only event, notified with a delay
  double wake_at_ = FairShareLink::kNone;      // when wake_ is due (cycles); kNone: not pending
};

}  // namespace fusim
