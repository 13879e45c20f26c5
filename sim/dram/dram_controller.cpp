#include "dram/dram_controller.h"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <string>

namespace fusim {

namespace {

enum Field { kRow, kRank, kBankGroup, kBank, kColumn, kChannel };

// Earliest first; equal arrivals in submission order.
template <class R>
bool later(const R& a, const R& b) {
  return a.arrival != b.arrival ? a.arrival > b.arrival : a.seq > b.seq;
}

// Read to write on the data bus: JEDEC's minimum RD-to-WR command distance is
// CL - CWL + BL/2 + 2, i.e. the write data may start 2 cycles after the read data ended.
constexpr DramTick kReadToWriteBusGap = 2;

}  // namespace

DramController::DramController(const DramParams& params, double epoch_ticks)
    : p_(params),
      t_(params.timing),
      epoch_ticks_(epoch_ticks),
      burst_bytes_(params.burst_bytes_detailed()),
      burst_ticks_(params.burst_length / 2 > 0 ? params.burst_length / 2 : 1) {
  const auto depth = static_cast<double>(p_.queue_depth);
  // Rounded to the nearest request; a drain needs at least one write.
  high_watermark_ = std::max<std::size_t>(
      1, static_cast<std::size_t>(std::llround(p_.write_high_watermark * depth)));
  low_watermark_ = std::min(high_watermark_ - 1,
                            static_cast<std::size_t>(std::llround(p_.write_low_watermark * depth)));
  // Mapping: fields listed most significant first; store least significant first.
  std::vector<std::string> names;
  std::stringstream ss(p_.address_mapping);
  for (std::string part; std::getline(ss, part, ':');) names.push_back(part);
  for (auto it = names.rbegin(); it != names.rend(); ++it) {
    const std::string& n = *it;
    if (n == "row") mapping_.emplace_back(kRow, p_.rows);
    if (n == "rank") mapping_.emplace_back(kRank, p_.ranks);
    if (n == "bankgroup") mapping_.emplace_back(kBankGroup, p_.bank_groups);
    if (n == "bank") mapping_.emplace_back(kBank, p_.banks_per_group);
    if (n == "column") mapping_.emplace_back(kColumn, p_.row_bytes / burst_bytes_);
    if (n == "channel") mapping_.emplace_back(kChannel, p_.channels);
  }
  const auto pow2 = [](std::int64_t n) { return n > 0 && (n & (n - 1)) == 0; };
  bit_fields_ = pow2(burst_bytes_);
  if (bit_fields_) burst_shift_ = __builtin_ctzll(static_cast<unsigned long long>(burst_bytes_));
  int shift = 0;
  for (const auto& [field, count] : mapping_) {
    if (!pow2(count)) bit_fields_ = false;
    if (!bit_fields_) break;
    fields_[field] = BitField{shift, count - 1};
    shift += __builtin_ctzll(static_cast<unsigned long long>(count));
  }
  hash_ = p_.address_hash != AddressHash::None;
  mix_ = p_.address_hash == AddressHash::Mix;
  const std::int64_t counts[3] = {p_.banks_per_group, p_.bank_groups, p_.ranks};
  hash_pow2_ = true;
  for (int i = 0; i < 3; ++i) {
    hash_steps_[i].count = counts[i];
    hash_steps_[i].mask = counts[i] - 1;
    hash_steps_[i].shift = __builtin_ctzll(static_cast<unsigned long long>(counts[i]));
    hash_bits_ += hash_steps_[i].shift;
    hash_span_ *= counts[i];
    if (!pow2(counts[i])) hash_pow2_ = false;
  }
  hash_mask_ = hash_span_ - 1;
  // The fields between the channel and the row, for the xor hash's channel (rehash).
  bool above = false;
  for (const auto& [field, count] : mapping_) {
    if (above && field == kRow) break;
    (above ? mid_span_ : mid_below_) *= count;
    if (field == kChannel) above = true;
  }
  if (pow2(mid_below_) && pow2(mid_span_))
    mid_shift_ = __builtin_ctzll(static_cast<unsigned long long>(mid_below_));
  channel_step_.count = p_.channels;
  channel_step_.mask = p_.channels - 1;
  channel_step_.shift = __builtin_ctzll(static_cast<unsigned long long>(p_.channels));
  if (!pow2(p_.channels)) hash_pow2_ = false;
  if (hash_span_ <= 1 && !mix_) hash_ = false;  // xor over one bank: no width to fold onto
  channels_.resize(static_cast<std::size_t>(p_.channels));
  counters_.resize(channels_.size());
  latency_.resize(channels_.size());
  const auto nbanks = static_cast<std::size_t>(p_.ranks * p_.bank_groups * p_.banks_per_group);
  for (Channel& ch : channels_) {
    ch.banks.resize(nbanks);
    ch.commands.resize(nbanks);
    ch.full.assign(nbanks, 0);
    ch.waiting_reads.assign(nbanks, 0);
    ch.waiting_writes.assign(nbanks, 0);
    ch.ranks.resize(static_cast<std::size_t>(p_.ranks));
    ch.listed.resize(static_cast<std::size_t>(p_.ranks * kClasses));
    ch.terms.resize(ch.ranks.size());
    ch.groups.resize(static_cast<std::size_t>(p_.ranks * p_.bank_groups));
    for (std::size_t b = 0; b < nbanks; ++b) {
      ch.banks[b].group =
          static_cast<std::int32_t>(b / static_cast<std::size_t>(p_.banks_per_group));
      ch.banks[b].rank = static_cast<std::int32_t>(
          b / static_cast<std::size_t>(p_.banks_per_group * p_.bank_groups));
    }
    // Ranks refresh staggered over one tREFI (tREFI 0: never).
    for (std::size_t r = 0; r < ch.ranks.size(); ++r) {
      ch.ranks[r].refresh_due =
          t_.tREFI == 0 ? kNever : t_.tREFI * static_cast<DramTick>(r + 1) / p_.ranks;
    }
  }
}

DramController::Location DramController::decode(std::int64_t addr) const {
  Location l = decode_fields(addr);
  if (hash_) {
    std::int64_t v[4] = {l.bank, l.bankgroup, l.rank, l.channel};
    rehash(l.row, mid_of(addr / burst_bytes_), v);
    l.bank = static_cast<int>(v[0]);
    l.bankgroup = static_cast<int>(v[1]);
    l.rank = static_cast<int>(v[2]);
    l.channel = static_cast<int>(v[3]);
  }
  return l;
}

DramController::Location DramController::decode_fields(std::int64_t addr) const {
  Location l;
  if (bit_fields_) {
    const std::int64_t x = addr >> burst_shift_;
    const auto get = [&](int f) { return (x >> fields_[f].shift) & fields_[f].mask; };
    l.row = get(kRow);
    l.rank = static_cast<int>(get(kRank));
    l.bankgroup = static_cast<int>(get(kBankGroup));
    l.bank = static_cast<int>(get(kBank));
    l.column = get(kColumn);
    l.channel = static_cast<int>(get(kChannel));
    return l;
  }
  std::int64_t x = addr / burst_bytes_;
  for (const auto& [field, count] : mapping_) {
    std::int64_t v;
    if ((count & (count - 1)) == 0) {  // powers of two (the usual case): no division
      v = x & (count - 1);
      x >>= __builtin_ctzll(static_cast<unsigned long long>(count));
    } else {
      v = x % count;
      x /= count;
    }
    switch (field) {
      case kRow:
        l.row = v;
        break;
      case kRank:
        l.rank = static_cast<int>(v);
        break;
      case kBankGroup:
        l.bankgroup = static_cast<int>(v);
        break;
      case kBank:
        l.bank = static_cast<int>(v);
        break;
      case kColumn:
        l.column = v;
        break;
      default:
        l.channel = static_cast<int>(v);
    }
  }
  return l;
}

int DramController::submit(const DramStream& s) {
  int id;
  if (!free_streams_.empty()) {
    id = free_streams_.back();
    free_streams_.pop_back();
    streams_[static_cast<std::size_t>(id)] = Stream{};
  } else {
    id = static_cast<int>(streams_.size());
    streams_.emplace_back();
  }
  Stream& st = streams_[static_cast<std::size_t>(id)];
  st.spec = s;
  st.done = s.arrival;
  ++active_streams_;
  if (s.group >= 0 && static_cast<std::size_t>(s.group) >= groups_.size())
    groups_.resize(static_cast<std::size_t>(s.group) + 1);
  const std::int64_t window = std::max<std::int64_t>(1, s.outstanding);
  for (std::int64_t i = 0; i < window; ++i) {
    if (st.row >= st.spec.rows || st.spec.row_bytes <= 0) break;
    issue_next_burst(id, s.arrival);
  }
  if (st.in_flight == 0) {  // an empty transfer
    st.finished = true;
    completed_.emplace_back(id, s.arrival);
    --active_streams_;
  }
  return id;
}

// The functions a command runs through are always_inline, into advance (callgrind: the
// controller's instructions 6.6 % fewer); perf then shows their time as advance's: remove the
// attributes to profile them one by one.
[[gnu::always_inline]] inline void DramController::issue_next_burst(int id, DramTick arrival) {
  Stream& st = streams_[static_cast<std::size_t>(id)];
  const DramStream& s = st.spec;
  const std::int64_t a = s.addr + st.row * s.stride_bytes + st.offset;
  const std::int64_t block_end = a - a % burst_bytes_ + burst_bytes_;
  // One burst carries every piece of the tile that falls into its block (rows closer together
  // than a burst share it), as a gathering DMA engine would fetch it once.
  std::int64_t len = 0, taken_to = a;
  for (;;) {
    const std::int64_t at = s.addr + st.row * s.stride_bytes + st.offset;
    if (at >= block_end || at < taken_to) break;  // past the block, or rows that overlap
    const std::int64_t take = std::min(block_end - at, s.row_bytes - st.offset);
    len += take;
    taken_to = at + take;
    st.offset += take;
    if (st.offset < s.row_bytes) break;  // the rest of this row is in the next block
    st.offset = 0;
    if (++st.row >= s.rows) {
      if (s.tail_bytes > 0) {  // the range apart comes next: a transfer of its own
        st.spec.addr = s.tail_addr;
        st.spec.row_bytes = s.tail_bytes;
        st.spec.rows = 1;
        st.spec.stride_bytes = 0;
        st.spec.tail_bytes = 0;
        st.row = 0;
      }
      break;
    }
  }
  Request r;
  r.arrival = arrival;
  r.seq = seq_++;
  r.stream = id;
  r.bytes = static_cast<std::int32_t>(len);
  r.write = s.write;
  std::int64_t channel;
  if (bit_fields_) {  // decode's bit fields, inline: only what a request needs
    const std::int64_t x = a >> burst_shift_;
    const auto get = [&](int f) { return (x >> fields_[f].shift) & fields_[f].mask; };
    std::int64_t v[4] = {get(kBank), get(kBankGroup), get(kRank), get(kChannel)};
    r.row = get(kRow);
    if (hash_) rehash(r.row, mid_of(x), v);
    r.bank = static_cast<std::int32_t>((v[2] * p_.bank_groups + v[1]) * p_.banks_per_group + v[0]);
    channel = v[3];
  } else {
    const Location l = decode(a);
    r.bank = static_cast<std::int32_t>(
        (l.rank * p_.bank_groups + l.bankgroup) * p_.banks_per_group + l.bank);
    r.row = l.row;
    channel = l.channel;
  }
  Channel& ch = channels_[static_cast<std::size_t>(channel)];
  (r.write ? ch.pending_writes : ch.pending_reads).insert(r);
  // It can change the channel's next command only if it arrives by then.
  if (ch.next.kind == Kind::None || arrival <= ch.next.time) ch.dirty = true;
  ++st.in_flight;
}

[[gnu::always_inline]] inline void DramController::Pending::insert(const Request& r) {
  if (head_ >= 64 && 2 * head_ >= buf_.size()) {
    buf_.erase(buf_.begin(), buf_.begin() + static_cast<std::ptrdiff_t>(head_));
    head_ = 0;
  }
  if (empty() || !later(buf_.back(), r)) {
    buf_.push_back(r);
    return;
  }
  // Before the first that comes after it (keys are unique: seq is).
  const auto at = std::upper_bound(buf_.begin() + static_cast<std::ptrdiff_t>(head_), buf_.end(), r,
                                   [](const Request& v, const Request& e) { return later(e, v); });
  buf_.insert(at, r);
}

[[gnu::always_inline]] inline void DramController::burst_done(int id, DramTick t) {
  Stream& st = streams_[static_cast<std::size_t>(id)];
  --st.in_flight;
  st.done = std::max(st.done, t);
  if (st.row < st.spec.rows) {
    issue_next_burst(id, t + st.spec.round_trip);
  } else if (st.in_flight == 0) {
    st.finished = true;
    completed_.emplace_back(id, st.done);
    --active_streams_;
  }
}

[[gnu::always_inline]] inline void DramController::compute_next(Channel& ch) {
  ch.dirty = false;
  dispatch(ch);
  ch.next = next_command(ch);
  ch.changed.clear();
  for (;;) {
    // Bursts that arrive before that command enter the queues first (while there is room) and
    // may change the choice. With empty queues, the earliest arrivals enter.
    DramTick limit = ch.next.time;
    if (ch.next.kind == Kind::None) {
      if (!ch.pending_reads.empty()) limit = ch.pending_reads.front().arrival;
      if (!ch.pending_writes.empty()) limit = std::min(limit, ch.pending_writes.front().arrival);
    }
    if (!admit(ch, limit)) return;
    ch.changed.clear();
    if (!dispatch(ch)) return;  // the command queues, and so the choice, are as they were
    // New requests add candidates and can take away only a precharge (a new hit in its bank):
    // look again at the banks that changed, unless the choice was such a precharge or nothing.
    const bool full = ch.next.kind == Kind::None ||
                      (ch.next.kind == Kind::Pre && std::find(ch.changed.begin(), ch.changed.end(),
                                                              ch.next.index) != ch.changed.end());
    if (full) {
      ch.next = next_command(ch);
    } else {
      rank_terms(ch);
      for (int b : ch.changed) {
        const auto bi = static_cast<std::size_t>(b);
        offer_bank(ch, bi, ch.terms[static_cast<std::size_t>(ch.banks[bi].rank)], ch.next);
      }
    }
  }
}

[[gnu::always_inline]] inline void DramController::switch_mode(Channel& ch) const {
  const std::size_t w = ch.writes.size();
  const bool no_read = ch.reads.empty() && ch.queued_read_commands == 0;
  if (p_.write_drain == WriteDrain::Batch) {
    // DRAMSim3's: a drain sends the writes the queue holds when it starts, then reads resume.
    if (ch.drain == 0 && w > 0 &&
        (w >= high_watermark_ || (w > low_watermark_ && ch.queued_commands == 0) || no_read)) {
      ch.drain = static_cast<std::int64_t>(w);
    }
    ch.write_mode = ch.drain > 0;
    return;
  }
  // Reads wait while any is in the read queue or in a command queue.
  if (!ch.write_mode) {
    if ((no_read && w > 0) || w >= high_watermark_) ch.write_mode = true;
  } else if (w == 0 || (!no_read && w <= low_watermark_)) {
    ch.write_mode = false;
  }
}

[[gnu::always_inline]] inline bool DramController::dispatch(Channel& ch) {
  const auto depth = static_cast<std::size_t>(p_.command_queue_depth);
  bool any = false;
  for (;;) {
    switch_mode(ch);
    if ((ch.write_mode ? ch.movable_writes : ch.movable_reads) == 0) return any;
    std::vector<Channel::Queued>& q = ch.write_mode ? ch.writes : ch.reads;
    // The oldest request whose bank's queue has room.
    std::size_t& skip = ch.write_mode ? ch.full_writes : ch.full_reads;
    auto it = std::find_if(
        q.begin() + static_cast<std::ptrdiff_t>(skip), q.end(),
        [&](const Channel::Queued& r) { return ch.full[static_cast<std::size_t>(r.bank)] == 0; });
    skip = static_cast<std::size_t>(it - q.begin());
    if (it == q.end()) return any;
    const auto bank = static_cast<std::size_t>(it->bank);
    std::vector<Request>& to = ch.commands[bank];
    const Request& r = ch.slots[static_cast<std::size_t>(it->slot)];
    Bank& b = ch.banks[bank];
    b.sorted = b.sorted && (to.empty() || to.back().seq < r.seq);
    to.push_back(r);
    ch.free_slots.push_back(it->slot);
    --(r.write ? ch.waiting_writes : ch.waiting_reads)[bank];
    --(r.write ? ch.movable_writes : ch.movable_reads);
    if (to.size() == depth) {
      ch.full[bank] = 1;
      ch.movable_reads -= ch.waiting_reads[bank];
      ch.movable_writes -= ch.waiting_writes[bank];
    }
    pushed(ch, bank);
    ch.changed.push_back(it->bank);
    ++ch.queued_commands;
    if (!r.write) ++ch.queued_read_commands;
    if (r.write && ch.drain > 0) --ch.drain;
    q.erase(it);
    any = true;
  }
}

namespace {

// The order at equal times as one key, smallest first: a refresh (0), then an urgent activate,
// an urgent precharge, a row hit, the rest; within each, the oldest request. `seq` counts the
// bursts of a run, far below 2^59 (a run that long would take years).
std::uint64_t tie_key(bool urgent, bool act, bool col, std::uint64_t seq) {
  const std::uint64_t rank = urgent ? (act ? 1 : 2) : col ? 3 : 4;
  return rank << 59 | seq;
}

}  // namespace

[[gnu::always_inline]] inline void DramController::rank_terms(const Channel& ch) const {
  const DramTick floor = ch.last_cmd + 1;
  const DramTick rd_bus = std::max(ch.bus_free - t_.tCL, floor);
  const DramTick wr_bus =
      std::max(ch.bus_free + (ch.bus_last_read ? kReadToWriteBusGap : 0) - t_.tCWL, floor);
  const DramTick faw = t_.tFAW;
  const std::size_t nranks = ch.ranks.size();
  for (std::size_t r = 0; r < nranks; ++r) {
    const Rank& rk = ch.ranks[r];
    RankTerms& t = ch.terms[r];
    t.faw = rk.faw[rk.faw_pos] + faw;
    t.act = std::max({rk.act_ok, t.faw, floor});
    t.rd = std::max(rk.rd_ok, rd_bus);
    t.wr = std::max(rk.wr_ok, wr_bus);
  }
}

// consider_bank's choice for bank `bi`, from its summary and the rank's terms: the same event,
// without walking the queue unless a request of the chosen class arrives after its command time.
[[gnu::always_inline]] inline void DramController::offer_bank(const Channel& ch, std::size_t bi,
                                                              const RankTerms& rt,
                                                              Event& best) const {
  const Bank& b = ch.banks[bi];
  if (b.stale) summarize(ch, bi);
  const QueueSummary& sm = b.summary;
  const BankGroup& g = ch.groups[static_cast<std::size_t>(b.group)];
  const auto offer = [&](Kind k, DramTick t, std::uint64_t key, bool urgent, int pos) {
    if (t < best.time || (t == best.time && key < best.key))
      best = Event{k, t, static_cast<int>(bi), pos, key, urgent};
  };
  if (b.open_row < 0) {
    const DramTick act = std::max({b.act_ok, g.act_ok, rt.act});
    if (sm.latest > act) {
      consider_bank(ch, bi, best);
      return;
    }
    const bool urgent = act == rt.faw;
    offer(Kind::Act, act, tie_key(urgent, true, false, sm.seq_oldest), urgent, sm.oldest);
    return;
  }
  if (sm.oldest_read_hit >= 0) {
    const DramTick rd = std::max({b.col_ok, g.rd_ok, rt.rd});
    if (sm.latest_read_hit > rd) {
      consider_bank(ch, bi, best);
      return;
    }
    offer(Kind::Col, rd, tie_key(false, false, true, sm.seq_read_hit), false, sm.oldest_read_hit);
  }
  if (sm.oldest_write_hit >= 0) {
    const DramTick wr = std::max({b.col_ok, g.wr_ok, rt.wr});
    if (sm.latest_write_hit > wr) {
      consider_bank(ch, bi, best);
      return;
    }
    offer(Kind::Col, wr, tie_key(false, false, true, sm.seq_write_hit), false, sm.oldest_write_hit);
  }
  if (sm.pre) {
    offer(Kind::Pre, std::max(sm.pre_at, ch.last_cmd + 1),
          tie_key(sm.pre_urgent, false, false, sm.seq_head), sm.pre_urgent, 0);
  }
}

// The next event: a refresh, or a command of a request in the command queues. The same as
// offering every bank (offer_bank), but each class's list is walked only until a candidate goes
// at its rank's part of the time: the later ones go no earlier and have larger keys.
[[gnu::always_inline]] inline DramController::Event DramController::next_command(
    const Channel& ch) const {
  for (int bi : ch.stale) {
    if (ch.banks[static_cast<std::size_t>(bi)].stale) summarize(ch, static_cast<std::size_t>(bi));
  }
  ch.stale.clear();
  Event best;
  if (ch.queued_commands == 0) return best;
  // Refresh has priority once due.
  const std::size_t nranks = ch.ranks.size();
  for (std::size_t rk = 0; rk < nranks; ++rk) {
    const DramTick due = std::max(ch.ranks[rk].refresh_due, ch.last_cmd + 1);
    if (due < best.time) best = Event{Kind::Refresh, due, static_cast<int>(rk), -1, 0, false};
  }
  rank_terms(ch);
  const DramTick floor = ch.last_cmd + 1;
  const auto offer = [&](Kind k, DramTick t, std::uint64_t key, bool urgent, int bank, int pos) {
    if (t < best.time || (t == best.time && key < best.key))
      best = Event{k, t, bank, pos, key, urgent};
  };
  // Row hits of one direction: `group_ok` and `rank_ok` the bank group's and the rank's earliest
  // column command of it, `latest` and `oldest` the bank summary's hits of it.
  const auto hits = [&](const std::vector<Listed>& list, DramTick BankGroup::*group_ok,
                        DramTick rank_ok, DramTick QueueSummary::*latest,
                        int QueueSummary::*oldest) {
    for (const Listed& e : list) {
      const Bank& b = ch.banks[static_cast<std::size_t>(e.bank)];
      const DramTick t =
          std::max({b.col_ok, ch.groups[static_cast<std::size_t>(b.group)].*group_ok, rank_ok});
      if (b.summary.*latest > t) {
        consider_bank(ch, static_cast<std::size_t>(e.bank), best);
        continue;
      }
      offer(Kind::Col, t, tie_key(false, false, true, e.key), false, e.bank, b.summary.*oldest);
      if (t == rank_ok) break;
    }
  };
  for (std::size_t r = 0; r < nranks; ++r) {
    const RankTerms& rt = ch.terms[r];
    const std::vector<Listed>* lists = &ch.listed[r * kClasses];
    hits(lists[kReadHit], &BankGroup::rd_ok, rt.rd, &QueueSummary::latest_read_hit,
         &QueueSummary::oldest_read_hit);
    hits(lists[kWriteHit], &BankGroup::wr_ok, rt.wr, &QueueSummary::latest_write_hit,
         &QueueSummary::oldest_write_hit);
    // Activates at the same time are all held by tFAW or none is, so their keys go by seq.
    for (const Listed& e : lists[kAct]) {
      const Bank& b = ch.banks[static_cast<std::size_t>(e.bank)];
      const DramTick t =
          std::max({b.act_ok, ch.groups[static_cast<std::size_t>(b.group)].act_ok, rt.act});
      if (b.summary.latest > t) {
        consider_bank(ch, static_cast<std::size_t>(e.bank), best);
        continue;
      }
      const bool urgent = t == rt.faw;
      offer(Kind::Act, t, tie_key(urgent, true, false, e.key), urgent, e.bank, b.summary.oldest);
      if (t == rt.act) break;
    }
    for (const Listed& e : lists[kPre]) {
      const QueueSummary& sm = ch.banks[static_cast<std::size_t>(e.bank)].summary;
      const DramTick t = std::max(sm.pre_at, floor);
      offer(Kind::Pre, t, e.key, sm.pre_urgent, e.bank, 0);
      if (t == floor) break;
    }
  }
  return best;
}

void DramController::summarize(const Channel& ch, std::size_t bi) const {
  const std::vector<Request>& q = ch.commands[bi];
  const Bank& b = ch.banks[bi];
  QueueSummary& sm = b.summary;
  // Closed, the oldest (smallest seq) and latest arrival of every request; open, those of the
  // read hits and of the write hits (only these have candidates).
  const Request* const rq = q.data();
  const auto n = static_cast<int>(q.size());
  const std::int64_t row = b.open_row;
  if (row < 0) {
    std::uint64_t seq = kUnlisted;
    int oldest = -1;
    DramTick latest = -kNever;
    for (int i = 0; i < n; ++i) {
      if (rq[i].seq < seq) {
        seq = rq[i].seq;
        oldest = i;
      }
      latest = std::max(latest, rq[i].arrival);
    }
    sm.oldest_read_hit = sm.oldest_write_hit = -1;
    sm.latest_read_hit = sm.latest_write_hit = -kNever;
    sm.seq_read_hit = sm.seq_write_hit = kUnlisted;
    sm.oldest = oldest;
    sm.latest = latest;
    sm.seq_oldest = seq;
  } else {
    // Per kind (0 reads, 1 writes): the oldest hit's seq and place, and the latest arrival.
    std::uint64_t seq[2] = {kUnlisted, kUnlisted};
    int oldest[2] = {-1, -1};
    DramTick latest[2] = {-kNever, -kNever};
    for (int i = 0; i < n; ++i) {
      const Request& r = rq[i];
      if (r.row != row) continue;
      const int w = r.write ? 1 : 0;
      if (r.seq < seq[w]) {
        seq[w] = r.seq;
        oldest[w] = i;
      }
      latest[w] = std::max(latest[w], r.arrival);
    }
    sm.oldest_read_hit = oldest[0];
    sm.oldest_write_hit = oldest[1];
    sm.latest_read_hit = latest[0];
    sm.latest_write_hit = latest[1];
    sm.seq_read_hit = seq[0];
    sm.seq_write_hit = seq[1];
    sm.oldest = -1;
    sm.latest = -kNever;
    sm.seq_oldest = kUnlisted;
  }
  finish_summary(ch, bi);
}

[[gnu::always_inline]] inline void DramController::finish_summary(const Channel& ch,
                                                                  std::size_t bi) const {
  const std::vector<Request>& q = ch.commands[bi];
  const Bank& b = ch.banks[bi];
  QueueSummary& sm = b.summary;
  sm.pre = sm.pre_urgent = false;
  sm.pre_at = 0;
  sm.seq_head = 0;
  std::uint64_t keys[kClasses] = {sm.seq_read_hit, sm.seq_write_hit, sm.seq_oldest, kUnlisted};
  // The head, for another row, may close this one while no request of the queue hits it, or
  // once the row has served row_hit_cap column commands.
  if (b.open_row >= 0 && !q.empty() && q.front().row != b.open_row) {
    const bool hit_queued = sm.oldest_read_hit >= 0 || sm.oldest_write_hit >= 0;
    const bool capped = p_.row_hit_cap > 0 && b.hits >= p_.row_hit_cap;
    sm.pre = !hit_queued || capped;
    sm.pre_urgent = hit_queued;
    sm.pre_at = std::max(b.pre_ok, q.front().arrival);
    sm.seq_head = q.front().seq;
    if (sm.pre) keys[kPre] = tie_key(sm.pre_urgent, false, false, sm.seq_head);
  }
  b.stale = false;
  for (int c = 0; c < kClasses; ++c) {
    if (b.listed[c] != keys[c]) relist(ch, bi, c, keys[c]);
  }
}

[[gnu::always_inline]] inline void DramController::pushed(Channel& ch, std::size_t bi) const {
  const Bank& b = ch.banks[bi];
  if (b.stale) {  // summarize rebuilds it from the queue (a bank starts stale, unlisted)
    mark_stale(ch, bi);
    return;
  }
  const std::vector<Request>& q = ch.commands[bi];
  const Request& r = q.back();
  const int pos = static_cast<int>(q.size()) - 1;
  QueueSummary& sm = b.summary;
  // Only a new head (its precharge) or a new oldest of a class (a key; a first hit also takes
  // away the head's precharge) changes more than a latest arrival.
  bool changed = pos == 0;
  if (b.open_row < 0) {
    if (r.seq < sm.seq_oldest) {
      sm.seq_oldest = r.seq;
      sm.oldest = pos;
      changed = true;
    }
    sm.latest = std::max(sm.latest, r.arrival);
  } else if (r.row == b.open_row) {
    std::uint64_t& seq = r.write ? sm.seq_write_hit : sm.seq_read_hit;
    if (r.seq < seq) {
      seq = r.seq;
      (r.write ? sm.oldest_write_hit : sm.oldest_read_hit) = pos;
      changed = true;
    }
    DramTick& latest = r.write ? sm.latest_write_hit : sm.latest_read_hit;
    latest = std::max(latest, r.arrival);
  }
  if (changed) finish_summary(ch, bi);
}

[[gnu::always_inline]] inline void DramController::served(Channel& ch, std::size_t bi, int pos,
                                                          bool write) const {
  const Bank& b = ch.banks[bi];
  if (b.stale) {
    mark_stale(ch, bi);
    return;
  }
  QueueSummary& sm = b.summary;
  int& oldest = write ? sm.oldest_write_hit : sm.oldest_read_hit;
  int& other = write ? sm.oldest_read_hit : sm.oldest_write_hit;
  if (other > pos) --other;
  if (oldest > pos) {
    --oldest;
  } else if (oldest == pos) {
    // It was the oldest hit of its kind: the oldest left of that kind is looked up, in a queue
    // in seq order as the next one of the kind after it, else over the whole queue.
    const std::vector<Request>& q = ch.commands[bi];
    std::uint64_t& seq = write ? sm.seq_write_hit : sm.seq_read_hit;
    oldest = -1;
    seq = kUnlisted;
    const std::size_t n = q.size();
    for (std::size_t i = b.sorted ? static_cast<std::size_t>(pos) : 0; i < n; ++i) {
      const Request& r = q[i];
      if (r.row != b.open_row || r.write != write || r.seq >= seq) continue;
      oldest = static_cast<int>(i);
      seq = r.seq;
      if (b.sorted) break;
    }
    // The latest arrival stays a bound from above: the served request arrived by its command,
    // before any later command's time, so no comparison with a later time changes.
    if (oldest < 0) (write ? sm.latest_write_hit : sm.latest_read_hit) = -kNever;
  }
  finish_summary(ch, bi);
}

[[gnu::always_inline]] inline void DramController::relist(const Channel& ch, std::size_t bi,
                                                          int cls, std::uint64_t key) const {
  const Bank& b = ch.banks[bi];
  std::uint64_t& listed = b.listed[cls];
  std::vector<Listed>& list =
      ch.listed[static_cast<std::size_t>(b.rank) * kClasses + static_cast<std::size_t>(cls)];
  // The entry moves to its new place by shifting the ones in between (a list holds at most a
  // rank's banks, and a bank's key mostly grows by a few places).
  std::size_t at;
  if (listed == kUnlisted) {
    at = list.size();
    list.push_back(Listed{key, static_cast<int>(bi)});
  } else {
    at = 0;
    while (list[at].bank != static_cast<int>(bi)) ++at;
  }
  listed = key;
  if (key == kUnlisted) {
    list.erase(list.begin() + static_cast<std::ptrdiff_t>(at));
    return;
  }
  const Listed moved{key, static_cast<int>(bi)};
  for (; at > 0 && list[at - 1].key > key; --at) list[at] = list[at - 1];
  const std::size_t n = list.size();
  for (; at + 1 < n && list[at + 1].key < key; ++at) list[at] = list[at + 1];
  list[at] = moved;
}

[[gnu::always_inline]] inline void DramController::mark_stale(Channel& ch, std::size_t bi) const {
  ch.banks[bi].stale = true;
  ch.stale.push_back(static_cast<int>(bi));
}

// Replaces `best` by a command of bank `bi`'s queue that goes before it. The order: first ready;
// then a refresh; then an activate held by tFAW (letting a column command go first would push
// it, and every later activate, back a cycle); then a precharge the cap allows; then a row hit;
// then the oldest.
void DramController::consider_bank(const Channel& ch, std::size_t bi, Event& best) const {
  const std::vector<Request>& q = ch.commands[bi];
  if (q.empty()) return;
  const Bank& b = ch.banks[bi];
  const Rank& rk = ch.ranks[static_cast<std::size_t>(b.rank)];
  const BankGroup& g = ch.groups[static_cast<std::size_t>(b.group)];
  const DramTick floor = ch.last_cmd + 1;
  const auto offer = [&](Kind k, DramTick t, bool urgent, std::size_t i) {
    const std::uint64_t key = tie_key(urgent, k == Kind::Act, k == Kind::Col, q[i].seq);
    if (t < best.time || (t == best.time && key < best.key))
      best = Event{k, t, static_cast<int>(bi), static_cast<int>(i), key, urgent};
  };
  if (b.stale) summarize(ch, bi);
  const QueueSummary& sm = b.summary;
  if (b.open_row < 0) {
    // Every request needs an activate, at the same time but for its arrival.
    const DramTick act =
        std::max({b.act_ok, rk.act_ok, g.act_ok, rk.faw[rk.faw_pos] + t_.tFAW, floor});
    if (sm.latest <= act) {  // all at `act`: the oldest goes first
      offer(Kind::Act, act, act == rk.faw[rk.faw_pos] + t_.tFAW,
            static_cast<std::size_t>(sm.oldest));
      return;
    }
    for (std::size_t i = 0; i < q.size(); ++i) {
      const DramTick t = std::max(act, q[i].arrival);
      offer(Kind::Act, t, t == rk.faw[rk.faw_pos] + t_.tFAW, i);
    }
    return;
  }
  // Row hits: a column command, at the same time for all reads and for all writes but for
  // their arrivals.
  const DramTick rd = std::max({b.col_ok, rk.rd_ok, g.rd_ok, ch.bus_free - t_.tCL, floor});
  const DramTick wr =
      std::max({b.col_ok, rk.wr_ok, g.wr_ok,
                ch.bus_free + (ch.bus_last_read ? kReadToWriteBusGap : 0) - t_.tCWL, floor});
  const bool hit_queued = sm.oldest_read_hit >= 0 || sm.oldest_write_hit >= 0;
  const auto hits = [&](bool write, int oldest, DramTick latest, DramTick at) {
    if (oldest < 0) return;
    if (latest <= at) {  // all at `at`: the oldest goes first
      offer(Kind::Col, at, false, static_cast<std::size_t>(oldest));
      return;
    }
    for (std::size_t i = 0; i < q.size(); ++i) {
      if (q[i].row != b.open_row || q[i].write != write) continue;
      offer(Kind::Col, std::max(at, q[i].arrival), false, i);
    }
  };
  hits(false, sm.oldest_read_hit, sm.latest_read_hit, rd);
  hits(true, sm.oldest_write_hit, sm.latest_write_hit, wr);
  // The head, for another row, may close this one while no request of the queue hits it, or
  // once the row has served row_hit_cap column commands.
  if (q.front().row == b.open_row) return;
  const bool capped = p_.row_hit_cap > 0 && b.hits >= p_.row_hit_cap;
  if (hit_queued && !capped) return;
  offer(Kind::Pre, std::max({b.pre_ok, floor, q.front().arrival}), hit_queued, 0);
}

[[gnu::always_inline]] inline bool DramController::admit(Channel& ch, DramTick limit) {
  const auto depth = static_cast<std::size_t>(p_.queue_depth);
  bool any = false;
  while (!ch.pending_reads.empty() && ch.reads.size() < depth &&
         ch.pending_reads.front().arrival <= limit) {
    Request r = ch.pending_reads.front();
    ch.pending_reads.pop_front();
    r.arrival = std::max(r.arrival, ch.last_cmd);
    enqueue(ch, ch.reads, r);
    const auto bank = static_cast<std::size_t>(r.bank);
    ++ch.waiting_reads[bank];
    if (ch.full[bank] == 0) ++ch.movable_reads;
    any = true;
  }
  while (!ch.pending_writes.empty() && ch.writes.size() < depth &&
         ch.pending_writes.front().arrival <= limit) {
    Request r = ch.pending_writes.front();
    ch.pending_writes.pop_front();
    r.arrival = std::max(r.arrival, ch.last_cmd);
    enqueue(ch, ch.writes, r);
    ++ch.waiting_writes[static_cast<std::size_t>(r.bank)];
    if (ch.full[static_cast<std::size_t>(r.bank)] == 0) ++ch.movable_writes;
    // A posted write is done once the queue holds it: at its arrival, or when a slot freed.
    burst_done(r.stream, r.arrival);
    any = true;
  }
  return any;
}

[[gnu::always_inline]] inline void DramController::enqueue(Channel& ch,
                                                           std::vector<Channel::Queued>& q,
                                                           const Request& r) const {
  std::int32_t slot;
  if (!ch.free_slots.empty()) {
    slot = ch.free_slots.back();
    ch.free_slots.pop_back();
    ch.slots[static_cast<std::size_t>(slot)] = r;
  } else {
    slot = static_cast<std::int32_t>(ch.slots.size());
    ch.slots.push_back(r);
  }
  q.push_back(Channel::Queued{slot, r.bank});
}

void DramController::bank_opened(Rank& rk, DramTick t) {
  if (rk.open_banks++ == 0) rk.open_since = t;
}

void DramController::bank_closed(Rank& rk, int c, DramTick t) {
  if (--rk.open_banks == 0)
    counters_[static_cast<std::size_t>(c)].active_ticks += t - rk.open_since;
}

void DramController::refresh(Channel& ch, int c, int rank) {
  Rank& rk = ch.ranks[static_cast<std::size_t>(rank)];
  DramTick t = std::max(rk.refresh_due, ch.last_cmd + 1);
  ChannelStats& n = counters_[static_cast<std::size_t>(c)];
  // Precharge all open banks of the rank (PREA), then REF once every bank may be activated.
  DramTick prea = -1;
  for (const Bank& b : ch.banks) {
    if (b.rank == rank && b.open_row >= 0) prea = std::max({prea, b.pre_ok, t});
  }
  DramTick ref = t;
  if (prea >= 0) {
    ch.last_cmd = prea;
    ref = prea + t_.tRP;
  }
  for (std::size_t bi = 0; bi < ch.banks.size(); ++bi) {
    Bank& b = ch.banks[bi];
    if (b.rank != rank) continue;
    mark_stale(ch, bi);
    if (b.open_row >= 0) ++n.precharges, bank_closed(rk, c, prea);
    b.open_row = -1;
    b.hits = 0;
    ref = std::max(ref, b.act_ok);
  }
  ref = std::max(ref, ch.last_cmd + 1);
  for (Bank& b : ch.banks) {
    if (b.rank == rank) b.act_ok = ref + t_.tRFC;
  }
  ch.last_cmd = ref;
  rk.refresh_due += t_.tREFI;
  ++n.refreshes;
}

[[gnu::always_inline]] inline void DramController::execute(int c) {
  Channel& ch = channels_[static_cast<std::size_t>(c)];
  const Event e = ch.next;
  ch.dirty = true;
  if (e.kind == Kind::Refresh) {
    refresh(ch, c, e.index);
    return;
  }
  std::vector<Request>& q = ch.commands[static_cast<std::size_t>(e.index)];
  Request& r = q[static_cast<std::size_t>(e.pos)];
  Bank& b = ch.banks[static_cast<std::size_t>(r.bank)];
  Rank& rk = ch.ranks[static_cast<std::size_t>(b.rank)];
  BankGroup& g = ch.groups[static_cast<std::size_t>(b.group)];
  ChannelStats& n = counters_[static_cast<std::size_t>(c)];
  const DramTick t = e.time;
  ch.last_cmd = t;
  auto classify = [&](std::int64_t ChannelStats::*chan, std::int64_t DramGroupCounters::*grp) {
    if (r.started) return;
    r.started = true;
    ++(n.*chan);
    const std::int32_t gi = streams_[static_cast<std::size_t>(r.stream)].spec.group;
    if (gi >= 0) ++(groups_[static_cast<std::size_t>(gi)].*grp);
  };
  switch (e.kind) {
    case Kind::Pre:
      mark_stale(ch, static_cast<std::size_t>(e.index));  // its row changes
      classify(&ChannelStats::row_conflicts, &DramGroupCounters::row_conflicts);
      bank_closed(rk, c, t);
      b.open_row = -1;
      b.hits = 0;
      b.act_ok = std::max(b.act_ok, t + t_.tRP);
      ++n.precharges;
      return;
    case Kind::Act:
      mark_stale(ch, static_cast<std::size_t>(e.index));
      classify(&ChannelStats::row_misses, &DramGroupCounters::row_misses);
      bank_opened(rk, t);
      b.open_row = r.row;
      b.hits = 0;
      b.col_ok = t + t_.tRCD;
      b.pre_ok = std::max(b.pre_ok, t + t_.tRAS);
      b.act_ok = t + t_.tRC;
      rk.act_ok = t + t_.tRRD_S;
      g.act_ok = t + t_.tRRD_L;
      rk.faw[rk.faw_pos] = t;
      rk.faw_pos = (rk.faw_pos + 1) % 4;
      ++n.activates;
      return;
    default:
      break;
  }
  // Column command.
  classify(&ChannelStats::row_hits, &DramGroupCounters::row_hits);
  const Request done = r;
  ++b.hits;
  DramTick end;
  if (!done.write) {
    end = t + t_.tCL + burst_ticks_;
    rk.rd_ok = std::max(rk.rd_ok, t + t_.tCCD_S);
    g.rd_ok = std::max(g.rd_ok, t + t_.tCCD_L);
    b.pre_ok = std::max(b.pre_ok, t + t_.tRTP);
    ch.bus_last_read = true;
    ++n.reads;
    n.bytes_read += done.bytes;
    latency_[static_cast<std::size_t>(c)].add(end - done.arrival);
  } else {
    end = t + t_.tCWL + burst_ticks_;
    rk.wr_ok = std::max(rk.wr_ok, t + t_.tCCD_S);
    g.wr_ok = std::max(g.wr_ok, t + t_.tCCD_L);
    rk.rd_ok = std::max(rk.rd_ok, end + t_.tWTR_S);
    g.rd_ok = std::max(g.rd_ok, end + t_.tWTR_L);
    b.pre_ok = std::max(b.pre_ok, end + t_.tWR);
    ch.bus_last_read = false;
    ++n.writes;
    n.bytes_written += done.bytes;
  }
  ch.bus_free = end;
  n.busy_ticks += burst_ticks_;
  if (busy_) (*busy_)[static_cast<std::size_t>(c)].add(end - burst_ticks_, end);
  const auto epoch = static_cast<std::size_t>(static_cast<double>(end) / epoch_ticks_);
  if (n.epoch_bytes.size() <= epoch) n.epoch_bytes.resize(epoch + 1, 0);
  n.epoch_bytes[epoch] += done.bytes;
  if (q.size() == static_cast<std::size_t>(p_.command_queue_depth)) {
    ch.full[static_cast<std::size_t>(e.index)] = 0;
    ch.full_reads = ch.full_writes = 0;
    ch.movable_reads += ch.waiting_reads[static_cast<std::size_t>(e.index)];
    ch.movable_writes += ch.waiting_writes[static_cast<std::size_t>(e.index)];
  }
  q.erase(q.begin() + e.pos);
  if (q.empty()) b.sorted = true;
  served(ch, static_cast<std::size_t>(e.index), e.pos, done.write);
  --ch.queued_commands;
  if (!done.write) --ch.queued_read_commands;
  if (p_.page_policy == PagePolicy::Closed) {
    // Auto-precharge unless a queued request still hits this row.
    bool keep = false;
    const auto hits = [&](const Request& o) { return o.bank == done.bank && o.row == done.row; };
    for (const auto* queue : {&ch.reads, &ch.writes}) {
      for (const Channel::Queued& o : *queue)
        keep = keep || hits(ch.slots[static_cast<std::size_t>(o.slot)]);
    }
    for (const Request& o : q) keep = keep || hits(o);
    if (!keep) {
      mark_stale(ch, static_cast<std::size_t>(e.index));
      bank_closed(rk, c, t);
      b.open_row = -1;
      b.hits = 0;
      b.act_ok = std::max(b.act_ok, b.pre_ok + t_.tRP);
      ++n.precharges;
    }
  }
  if (!done.write) burst_done(done.stream, end);
}

void DramController::advance(DramTick until) {
  for (;;) {
    // The earliest channel, the first of equals, without branches: which channel goes next is
    // hard to predict. A channel without an event (Kind::None) has the time kNever, and every
    // event is earlier.
    int best = 0;
    DramTick best_time = kNever;
    const int n = static_cast<int>(channels_.size());
    for (int c = 0; c < n; ++c) {
      Channel& ch = channels_[static_cast<std::size_t>(c)];
      if (ch.dirty) compute_next(ch);
      const DramTick t = ch.next.time;
      const bool earlier = t < best_time;
      best_time = earlier ? t : best_time;
      best = earlier ? c : best;
    }
    if (best_time >= kNever || best_time > until) return;
    execute(best);
  }
}

DramTick DramController::next_event() {
  DramTick t = kNever;
  for (Channel& ch : channels_) {
    if (ch.dirty) compute_next(ch);
    if (ch.next.kind != Kind::None) t = std::min(t, ch.next.time);
  }
  return t;
}

std::vector<std::pair<int, DramTick>> DramController::take_completed() {
  std::vector<std::pair<int, DramTick>> out;
  out.swap(completed_);
  return out;
}

void DramController::release(int id) {
  free_streams_.push_back(id);
}

bool DramController::busy() const {
  if (active_streams_ > 0) return true;
  for (const Channel& ch : channels_) {
    if (!ch.writes.empty() || !ch.reads.empty() || ch.queued_commands > 0) return true;
  }
  return false;
}

[[gnu::always_inline]] inline void DramController::LatencyHistogram::add(DramTick latency) {
  const auto lat = static_cast<std::size_t>(latency);
  if (lat >= kDenseTicks) {
    ++tail[latency];
    return;
  }
  if (dense.size() <= lat) dense.resize(lat + 1, 0);
  ++dense[lat];
}

template <class F>
void DramController::LatencyHistogram::for_each(F f) const {
  for (std::size_t i = 0; i < dense.size(); ++i) {
    if (dense[i] != 0) f(static_cast<DramTick>(i), dense[i]);
  }
  for (const auto& [lat, reads] : tail) f(lat, reads);
}

DramController::Latency DramController::read_latency(int channel) const {
  const LatencyHistogram& hist = latency_[static_cast<std::size_t>(channel)];
  Latency l;
  std::int64_t n = 0;
  double sum = 0;
  hist.for_each([&](DramTick t, std::int64_t reads) {
    n += reads;
    sum += static_cast<double>(reads) * static_cast<double>(t);
  });
  if (n == 0) return l;
  l.mean = sum / static_cast<double>(n);
  // Nearest rank: the smallest latency with at least ceil(q n) reads at or below it.
  const auto rank = [n](std::int64_t pct) { return (pct * n + 99) / 100; };
  const std::int64_t r50 = rank(50), r95 = rank(95), r99 = rank(99);
  std::int64_t seen = 0;
  hist.for_each([&](DramTick t, std::int64_t reads) {
    const std::int64_t before = seen;
    seen += reads;
    if (before < r50 && seen >= r50) l.p50 = t;
    if (before < r95 && seen >= r95) l.p95 = t;
    if (before < r99 && seen >= r99) l.p99 = t;
  });
  return l;
}

void DramController::count_refreshes_until(DramTick end) {
  for (std::size_t c = 0; c < channels_.size(); ++c) {
    Channel& ch = channels_[c];
    for (std::size_t r = 0; r < ch.ranks.size(); ++r) {
      while (ch.ranks[r].refresh_due <= end) refresh(ch, static_cast<int>(c), static_cast<int>(r));
      // Banks still open at the end were open until then.
      Rank& rk = ch.ranks[r];
      if (rk.open_banks > 0 && end > rk.open_since) {
        counters_[c].active_ticks += end - rk.open_since;
        rk.open_since = end;
      }
    }
    ch.dirty = true;
  }
}

}  // namespace fusim
