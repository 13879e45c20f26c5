#include "arbiter/fair_share_link.h"

#include <algorithm>

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
    if (active_.size() > 1) contended_ += t - t_;
  }
  t_ = t;
}

void FairShareLink::complete() {
  const double end = active_completion();
  double tag = active_.front().bytes;
  for (const Flow& f : active_) tag = std::min(tag, f.bytes);
  if (end > t_) {
    busy_ += end - t_;
    if (active_.size() > 1) contended_ += end - t_;
  }
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

}  // namespace fusim
