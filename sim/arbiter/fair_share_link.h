// The fair-share link as plain C++ (no SystemC), in cycles: k transfers on a link each move
// bytes_per_cycle / k. This is the fluid limit of round-robin arbitration per burst (each
// requester in turn sends one burst): it differs from it by about a burst per requester, small
// against the transfers. Computed per event (an arrival or a completion), never per burst.
//
// Generalised processor sharing with equal weights: a virtual clock v counts the bytes each
// active transfer has moved since the link was last idle (every active transfer moves the same),
// advancing at bytes_per_cycle / k; a transfer that joins at virtual time v with b bytes is done
// when v reaches its tag v + b. Transfers join in order of (start, port, arrival order);
// completions at the same time are reported in order of (port, arrival order). Nothing depends
// on addresses or hashing.
#pragma once

#include <cstdint>
#include <limits>
#include <utility>
#include <vector>

namespace fusim {

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
  bool has_completed() const { return !completed_.empty(); }  // completions not yet taken

  double now() const { return t_; }
  double busy_cycles() const { return busy_; }  // time with at least one transfer on the link
  double contended_cycles() const { return contended_; }  // time with two or more
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
  double t_ = 0;          // cycles: the link's state is known up to here
  double v_ = 0;          // virtual clock: bytes moved per active transfer since the link was idle
  double busy_ = 0;       // cycles with a transfer on the link
  double contended_ = 0;  // cycles with two or more
  std::uint64_t seq_ = 0;
  std::vector<Flow> pending_;  // by (start, port, arrival order)
  std::vector<Flow> active_;
  std::vector<std::pair<int, double>> completed_;
  std::vector<int> free_ids_;
  int next_id_ = 0;
};

}  // namespace fusim
