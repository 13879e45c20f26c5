// The interconnect between the cores and the memory controller: one link of bytes_per_cycle
// shared by all cores, plus a fixed latency each way.
//
// The link is shared fairly: while k transfers are on it, each moves at bytes_per_cycle / k.
// This is the fluid limit of round-robin arbitration per burst (each requester in turn sends one
// burst): it differs from it by about a burst per requester, small against the transfers. A small
// transfer that arrives while a large one streams is therefore not held back until the large one
// is done (as first come first served at whole-transfer granularity would), it takes its share.
// The link is computed per event (an arrival or a completion), never per burst.
#pragma once

#include <cstdint>
#include <limits>
#include <utility>
#include <vector>

#include <tlm_utils/multi_passthrough_target_socket.h>
#include <tlm_utils/simple_initiator_socket.h>
#include <systemc>
#include <tlm>

#include "arch/arch.h"
#include "sim_time.h"

namespace fusim {

// The fair-share link as plain C++ (no SystemC), in cycles. Generalised processor sharing with
// equal weights: a virtual clock v counts the bytes each active transfer has moved since the link
// was last idle (every active transfer moves the same), advancing at bytes_per_cycle / k; a
// transfer that joins at virtual time v with b bytes is done when v reaches its tag v + b.
// Transfers join in order of (start, port, arrival order); completions at the same time are
// reported in order of (port, arrival order). Nothing depends on addresses or hashing.
class FairShareLink {
 public:
  static constexpr double kNone = std::numeric_limits<double>::infinity();

  explicit FairShareLink(double bytes_per_cycle) : bytes_per_cycle_(bytes_per_cycle) {}

  // A transfer of `bytes` joins the link at `start` (cycles; a start before the time the link
  // has been advanced to joins at that time). Returns its id, reused after its completion is
  // taken.
  int add(double start, double bytes, int port);
  // Processes every join and completion at or before `until`, then moves the link to `until`.
  // The caller must have added every transfer that starts before `until`.
  void advance_to(double until);
  // Processes the next event (a join or a completion) whatever its time.
  void step();
  // The time of the next join or completion with the transfers added so far; kNone when idle.
  double next_event() const;
  // The time of the next completion with the transfers added so far (joins before it
  // included); kNone when nothing is on or waiting for the link.
  double next_completion() const;
  // The transfers completed since the last call, with their completion times (cycles).
  std::vector<std::pair<int, double>> take_completed();

  double now() const { return t_; }
  double busy_cycles() const { return busy_; }  // time with at least one transfer on the link
  std::size_t active() const { return active_.size(); }

 private:
  struct Flow {
    double start = 0;  // pending: the join time; active: unused
    double bytes = 0;  // pending: the size; active: the finish tag on the virtual clock
    int port = 0;
    std::uint64_t seq = 0;
    int id = 0;
  };
  static bool before(const Flow& a, const Flow& b) {  // tie-break by port, then arrival order
    return a.port != b.port ? a.port < b.port : a.seq < b.seq;
  }
  double active_completion() const;  // of the active transfers only
  void move_to(double t);            // no event in between
  void complete();
  void join();  // the first pending transfer

  double bytes_per_cycle_;
  double t_ = 0;     // cycles: the link's state is known up to here
  double v_ = 0;     // virtual clock: bytes moved per active transfer since the link was idle
  double busy_ = 0;  // cycles with a transfer on the link
  std::uint64_t seq_ = 0;
  std::vector<Flow> pending_;  // by (start, port, arrival order)
  std::vector<Flow> active_;
  std::vector<std::pair<int, double>> completed_;
  std::vector<int> free_ids_;
  int next_id_ = 0;
};

class Interconnect : public sc_core::sc_module {
 public:
  tlm_utils::multi_passthrough_target_socket<Interconnect> cores;  // one binding per core
  tlm_utils::simple_initiator_socket<Interconnect> memory;

  Interconnect(sc_core::sc_module_name name, const InterconnectParams& params);

  // Cycles the link was transferring anything: overlapping transfers count once.
  double busy_cycles() const { return link_.busy_cycles(); }

 private:
  struct Waiter {
    sc_core::sc_event done_event;
    double link_done = 0;
    bool done = false;
  };

  void b_transport(int port, tlm::tlm_generic_payload& trans, sc_core::sc_time& delay);
  void run();               // advances the link and wakes the transfers whose link phase is done
  bool finish_completed();  // false when none was
  void wake_run_at(double cycles);  // no later than `cycles`

  InterconnectParams params_;
  FairShareLink link_;
  std::vector<Waiter*> waiting_;           // by link id; the waiters live in b_transport frames
  sc_core::sc_event wake_;                 // run()'s only event, notified with a delay
  double wake_at_ = FairShareLink::kNone;  // when wake_ is due (cycles); kNone: not pending
};

}  // namespace fusim
