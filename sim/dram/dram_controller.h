// The detailed DRAM model's memory controllers, one per channel, as plain C++ (no SystemC): the
// DetailedDram module drives them, and the component tests drive them directly and check the
// exact cycle of each completion against JEDEC closed forms.
//
// Per channel, as DRAMSim3's controller: a transaction queue (a read queue and a write queue of
// `queue_depth` bursts each) feeding per-bank command queues of `command_queue_depth` requests.
// Requests move from the transaction queue to their bank's queue oldest first, from the read
// queue or, during a write drain (`write_drain`: watermark or batch), from the write queue. The
// scheduler picks among the requests of the command queues, FR-FCFS: the command that can issue
// first goes first; at equal times a refresh, then an activate the tFAW window holds back, then
// a precharge the row-hit cap allows, then a row hit, then the oldest request. Only the request
// at the head of a bank's queue may close the bank's row, and only when no request of that queue
// hits the row or the row has served `row_hit_cap` column commands since its activate (its
// precharge then competes with the hits). Open- or closed-page row buffers, per-bank state
// machines, rank and bank group constraints (tRRD_S/L, tFAW, tCCD_S/L, tWTR_S/L), one command
// per DRAM cycle on the command bus, the data bus, and all-bank refresh every tREFI per rank.
// Writes are posted: a write burst is done when the write queue accepts it.
//
// Time is in DRAM clock cycles (ticks of dram.tck_ps). Commands are scheduled analytically: the
// controller computes the earliest legal cycle of each candidate command from the bank, rank
// and bus state, so nothing ticks per cycle.
#pragma once

#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <utility>
#include <vector>

#include "arch/arch.h"
#include "common/hash.h"
#include "dram/dram_stats.h"
#include "trace/trace.h"

namespace fusim {

using DramTick = std::int64_t;
constexpr DramTick kNever = std::numeric_limits<DramTick>::max() / 4;

// One DMA transfer: `rows` rows of `row_bytes` bytes, row r starting at addr + r * stride_bytes
// (rows = 1 is a contiguous range). It is split into bursts along this layout, so a strided tile
// touches more bursts (and rows) than a contiguous one of the same size.
struct DramStream {
  DramTick arrival = 0;  // when its first bursts reach the controllers
  std::int64_t addr = 0;
  std::int64_t row_bytes = 0;
  std::int64_t rows = 1;
  std::int64_t stride_bytes = 0;
  // Then `tail_bytes` at `tail_addr`, contiguous (the biases of interleaved weights); 0: none.
  std::int64_t tail_addr = 0, tail_bytes = 0;
  bool write = false;
  // Bursts in flight at once (the DMA engine's limit; cores.dma.outstanding_bursts).
  std::int64_t outstanding = DmaParams{}.outstanding_bursts;
  DramTick round_trip = 0;  // from a burst's completion to the arrival of its successor
  std::int32_t group = 0;   // the program group it belongs to, for statistics
};

class DramController {
 public:
  // `params` must be a resolved detailed-model DramParams (load_arch checks them).
  // `epoch_ticks`: the length of one bandwidth epoch in ticks.
  DramController(const DramParams& params, double epoch_ticks);

  struct Location {
    int channel = 0, rank = 0, bankgroup = 0, bank = 0;  // bank within its bank group
    std::int64_t row = 0, column = 0;                    // column in bursts
  };
  Location decode(std::int64_t addr) const;  // with dram.address_hash applied

  // Hands a transfer to the controllers; returns its id. Its arrival must not be earlier than
  // the `until` of an earlier advance() by more than the caller accepts as error: commands
  // already issued are never revised.
  int submit(const DramStream& s);
  // Issues, in time order over all channels, every event (command, refresh, queue admission)
  // at or before `until`.
  void advance(DramTick until);
  // The streams that completed since the last call, with the tick of their last burst's
  // completion (reads: the end of its data; writes: its acceptance by the write queue).
  std::vector<std::pair<int, DramTick>> take_completed();
  // The caller is done with a completed stream's id; a later submit may reuse it.
  void release(int id);
  bool busy() const;                         // a stream or a queued write is unfinished
  DramTick next_event();                     // kNever when there is none
  void count_refreshes_until(DramTick end);  // for the statistics at the end of a run

  const std::vector<ChannelStats>& channel_counters() const { return counters_; }
  // Read latency of a channel, in ticks: from a read's entry into the read queue to the end of
  // its data. Percentiles are nearest-rank. All 0 when the channel served no read.
  struct Latency {
    double mean = 0;
    DramTick p50 = 0, p95 = 0, p99 = 0;
  };
  Latency read_latency(int channel) const;
  const std::vector<DramGroupCounters>& group_counters() const { return groups_; }
  DramTick burst_ticks() const { return burst_ticks_; }  // BL / 2
  // --trace: each data burst's time on the bus goes to (*out)[channel].
  void record_busy(std::vector<BusyPeriods>* out) { busy_ = out; }
  std::int64_t burst_bytes() const { return burst_bytes_; }

 private:
  struct Request {
    // Its arrival; from its entry into the read or write queue on, the time of that entry (for
    // the read latency). They differ only when it entered later than it arrived (it waited for
    // room, or the channel had passed it), and then both are at or before the channel's last
    // command, earlier than any command to come: no command's time or choice changes.
    DramTick arrival = 0;
    std::uint64_t seq = 0;
    std::int32_t stream = 0;
    std::int32_t bytes = 0;
    std::int32_t bank = 0;  // index into the channel's banks
    bool write = false;
    bool started = false;  // its first command has issued (it is classified)
    std::int64_t row = 0;
  };
  // What the scheduler needs of a bank's command queue for its open row (or, closed, of every
  // request): per class (open: read hits and write hits; closed: all requests) the oldest
  // request's place and the latest arrival. When no request of a class arrives after the class's
  // command time, the oldest of the class is its candidate, so the queue need not be walked per
  // command. With them, the bank's own part of a precharge's time.
  struct QueueSummary {
    int oldest_read_hit = -1, oldest_write_hit = -1, oldest = -1;
    DramTick latest_read_hit = -kNever, latest_write_hit = -kNever, latest = -kNever;
    std::uint64_t seq_read_hit = 0, seq_write_hit = 0, seq_oldest = 0;
    bool pre = false;         // the head may close the open row
    bool pre_urgent = false;  // ... because the row-hit cap allows it although hits are queued
    DramTick pre_at = 0;      // max(pre_ok, the head's arrival)
    std::uint64_t seq_head = 0;
  };
  // Requests by (arrival, seq), taken from the front. Most arrive last (a burst's successor
  // arrives one round trip after its completion) and are appended; the others (a transfer's
  // first bursts, behind its window of later arrivals) find their place by binary search and
  // move the later ones in one block.
  class Pending {
   public:
    bool empty() const { return head_ == buf_.size(); }
    const Request& front() const { return buf_[head_]; }
    void pop_front() {
      if (++head_ == buf_.size()) {
        buf_.clear();
        head_ = 0;
      }
    }
    void insert(const Request& r);

   private:
    std::vector<Request> buf_;  // taken from head_ on; the front is dropped now and then
    std::size_t head_ = 0;
  };
  // The classes of candidate commands a bank's summary holds (next_command's lists).
  enum Class { kReadHit, kWriteHit, kAct, kPre, kClasses };
  static constexpr std::uint64_t kUnlisted = std::numeric_limits<std::uint64_t>::max();
  struct Bank {
    std::int64_t open_row = -1;
    std::int64_t hits = 0;  // column commands since the activate
    DramTick act_ok = 0, pre_ok = 0, col_ok = 0;
    std::int32_t rank = 0, group = 0;  // group: index into the channel's bank groups
    // A cache of the bank's queue and open row, rebuilt by summarize once either changed
    // (stale = true); mutable because it changes no result.
    mutable QueueSummary summary;
    mutable bool stale = true;
    bool sorted = true;  // its queue's requests are in seq order, front to back
    // The order key it has in the channel's list of each class (Channel::listed), or kUnlisted.
    mutable std::uint64_t listed[kClasses] = {kUnlisted, kUnlisted, kUnlisted, kUnlisted};
  };
  struct Rank {
    DramTick act_ok = 0, rd_ok = 0, wr_ok = 0;
    DramTick faw[4] = {-kNever, -kNever, -kNever, -kNever};
    int faw_pos = 0;
    DramTick refresh_due = 0;
    // Banks open, and since when one has been (active standby, for the energy model).
    int open_banks = 0;
    DramTick open_since = 0;
  };
  struct BankGroup {
    DramTick act_ok = 0, rd_ok = 0, wr_ok = 0;
  };
  enum class Kind : std::uint8_t { None, Refresh, Pre, Act, Col };
  struct Event {
    Kind kind = Kind::None;
    DramTick time = kNever;
    int index = -1;  // the request's bank, or the rank to refresh
    int pos = -1;    // the request's place in its bank's queue
    // The order among events at the same time (tie_key): a refresh first (0), then by the kind
    // of command, then the oldest request.
    std::uint64_t key = 0;
    // An activate at the end of its rank's tFAW window, or a precharge the row-hit cap allows.
    bool urgent = false;
  };
  // The rank's and the bus's part of the candidates' times, the same for every bank of a rank.
  struct RankTerms {
    DramTick act = 0, faw = 0, rd = 0, wr = 0;
  };
  struct Listed {
    std::uint64_t key;  // the order of the bank's candidates of the class: their key or seq
    int bank;
  };
  struct Channel {
    std::vector<Bank> banks;
    std::vector<Rank> ranks;
    std::vector<BankGroup> groups;
    // The transaction queues, oldest first, as each request's place in `slots` and its bank:
    // dispatch's walk reads only these, and its erase moves little.
    struct Queued {
      std::int32_t slot, bank;
    };
    std::vector<Queued> reads, writes;
    // How many requests at the front of each are known to be for banks whose queue is full,
    // so that dispatch's walk starts after them.
    std::size_t full_reads = 0, full_writes = 0;
    std::vector<Request> slots;
    std::vector<std::int32_t> free_slots;
    std::vector<std::vector<Request>> commands;  // per bank: its command queue
    Pending pending_reads, pending_writes;       // not yet admitted
    std::int64_t queued_commands = 0, queued_read_commands = 0;
    std::vector<char> full;  // per bank: its command queue is full (dispatch's walk)
    // Per bank: its requests in the read and in the write queue; and those of banks whose command
    // queue has room, so that dispatch walks a transaction queue only when one can move.
    std::vector<std::int32_t> waiting_reads, waiting_writes;
    std::int64_t movable_reads = 0, movable_writes = 0;
    std::int64_t drain = 0;    // batch: writes still to send in this drain
    std::vector<int> changed;  // scratch of compute_next: banks dispatch added requests to
    mutable std::vector<RankTerms> terms;  // scratch of next_command, per rank
    // Per rank and class (index rank * kClasses + class): the banks with a candidate of that
    // class, in the order of the oldest's key; kept by summarize. A candidate's time is the
    // later of its bank's part and its rank's, so once one goes at its rank's part, no later
    // one of the list can go before it, and next_command's walk stops there.
    mutable std::vector<std::vector<Listed>> listed;
    // Banks marked stale since next_command last summarized them (with repeats).
    mutable std::vector<int> stale;
    DramTick last_cmd = -1, bus_free = 0;
    bool bus_last_read = true, write_mode = false;
    bool dirty = true;
    Event next;
  };
  struct Stream {
    DramStream spec;
    std::int64_t row = 0, offset = 0;  // the next burst to generate
    std::int64_t in_flight = 0;
    DramTick done = 0;
    bool finished = false;
  };

  void rank_terms(const Channel& ch) const;  // into ch.terms
  void summarize(const Channel& ch, std::size_t bank) const;
  // The rest of a summary once its hit (open) or request (closed) fields are set: the head's
  // precharge and the list keys.
  void finish_summary(const Channel& ch, std::size_t bank) const;
  // Keep a bank's summary without walking its queue: after a request was appended to it, and
  // after the column command of the request at `pos` removed it (marks it stale when only a
  // walk can tell).
  void pushed(Channel& ch, std::size_t bank) const;
  void served(Channel& ch, std::size_t bank, int pos, bool write) const;
  // Moves `bank`'s entry in the list of `cls` to a new order key `key` (kUnlisted: out of it).
  void relist(const Channel& ch, std::size_t bank, int cls, std::uint64_t key) const;
  void mark_stale(Channel& ch, std::size_t bank) const;
  // Both replace `best` by the command of `bank`'s queue that goes before it: consider_bank
  // walks the queue; offer_bank takes it from the summary and falls back to consider_bank when a
  // request of the chosen class arrives after its command time.
  void offer_bank(const Channel& ch, std::size_t bank, const RankTerms& rt, Event& best) const;
  void compute_next(Channel& ch);
  void execute(int c);
  Event next_command(const Channel& ch) const;
  void consider_bank(const Channel& ch, std::size_t bank, Event& best) const;
  void switch_mode(Channel& ch) const;
  bool dispatch(Channel& ch);  // moves requests to the command queues; false when none moved
  bool admit(Channel& ch, DramTick limit);  // false when nothing entered
  // Enters `r` into a transaction queue: `q` is ch.reads or ch.writes.
  void enqueue(Channel& ch, std::vector<Channel::Queued>& q, const Request& r) const;
  void refresh(Channel& ch, int c, int rank);
  // A bank of `rank` opens or closes at `t`: the rank's active-standby time (ChannelStats).
  void bank_opened(Rank& rk, DramTick t);
  void bank_closed(Rank& rk, int c, DramTick t);
  void issue_next_burst(int stream, DramTick arrival);
  void burst_done(int stream, DramTick t);

  DramParams p_;
  DramTiming t_;
  double epoch_ticks_;
  std::int64_t burst_bytes_;
  DramTick burst_ticks_;
  std::size_t high_watermark_, low_watermark_;
  std::vector<std::pair<int, std::int64_t>> mapping_;  // (field, count), least significant first
  Location decode_fields(std::int64_t addr) const;     // the fields as the mapping cuts them
  // dram.address_hash, v = {bank, bank group, rank, channel}.
  // xor: the first three are XORed with the row folded onto their width (the row's chunks of
  // that width XORed together, so that every bit of the row moves the bank), least significant
  // first; the channel with the row's bits above that width (rows 16 apart, whose fold can
  // meet, then differ in channel). Where a count is not a power of two: the fold is the
  // chunks' sum modulo the counts' product, and each field is advanced by its digit, modulo
  // its count.
  // mix: the same, with the row's bits mixed (splitmix64, common/hash.h) in place of the fold:
  // every field moves by a pseudo-random digit of the row, so no stride between rows keeps
  // streams in step (the xor fold is linear in the row's bits: some strides fold onto few
  // banks).
  // xor also moves the channel by the fields between it and the row (`mid`: the column and the
  // others the mapping puts above the channel, as one number), folded onto the channel's width
  // as the row is onto the banks': with the channel the mapping's lowest field, the cores'
  // pieces of a map, equal in size and all at the same offset into their slices at once, would
  // otherwise all fall into one channel (docs/dram.md).
  void rehash(std::int64_t row, std::int64_t mid, std::int64_t* v) const {
    if (mix_) {
      // 63 pseudo-random bits of the row
      auto f = static_cast<std::int64_t>(splitmix64(static_cast<std::uint64_t>(row)) >> 1);
      const auto step = [&](std::int64_t* x, const HashStep& s) {
        *x = hash_pow2_ ? (*x ^ f) & s.mask : (*x + f % s.count) % s.count;
        f = hash_pow2_ ? f >> s.shift : f / s.count;
      };
      for (const HashStep& s : hash_steps_) step(v++, s);
      step(v, channel_step_);
      return;
    }
    if (hash_pow2_) {
      std::int64_t f = 0;
      for (std::int64_t r = row; r != 0; r >>= hash_bits_) f ^= r & hash_mask_;
      for (const HashStep& s : hash_steps_) {
        *v = (*v ^ f) & s.mask;
        ++v;
        f >>= s.shift;
      }
      std::int64_t m = 0;
      if (channel_step_.shift > 0)
        for (; mid != 0; mid >>= channel_step_.shift) m ^= mid & channel_step_.mask;
      *v = (*v ^ (row >> hash_bits_) ^ m) & channel_step_.mask;
      return;
    }
    std::int64_t f = 0;
    for (std::int64_t r = row; r != 0; r /= hash_span_) f = (f + r % hash_span_) % hash_span_;
    for (const HashStep& s : hash_steps_) {
      *v = (*v + f % s.count) % s.count;
      ++v;
      f /= s.count;
    }
    std::int64_t m = 0;
    if (channel_step_.count > 1)
      for (; mid != 0; mid /= channel_step_.count) m += mid % channel_step_.count;
    *v = (*v + (row / hash_span_) % channel_step_.count + m % channel_step_.count) %
         channel_step_.count;
  }
  // The `mid` of rehash for an address of `bursts` bursts: (bursts / mid_below_) % mid_span_,
  // by shift and mask where the counts are powers of two (mid_shift_ >= 0).
  std::int64_t mid_of(std::int64_t bursts) const {
    if (mid_shift_ >= 0) return (bursts >> mid_shift_) & (mid_span_ - 1);
    return bursts / mid_below_ % mid_span_;
  }
  std::int64_t mid_below_ = 1, mid_span_ = 1;
  int mid_shift_ = -1;
  struct HashStep {
    std::int64_t count = 1, mask = 0;
    int shift = 0;
  };
  bool hash_ = false, hash_pow2_ = false, mix_ = false;
  HashStep hash_steps_[3], channel_step_;
  // The fold's width: bits (powers of two: hash_bits_ > 0, hash_mask_) or the counts' product.
  int hash_bits_ = 0;
  std::int64_t hash_mask_ = 0, hash_span_ = 1;
  // The same as bit ranges of the address, when the burst size and every count are powers of
  // two (the usual case); by the fields' enum (row, rank, bank group, bank, column, channel).
  struct BitField {
    int shift = 0;
    std::int64_t mask = 0;
  };
  bool bit_fields_ = false;
  int burst_shift_ = 0;
  BitField fields_[6];
  std::vector<Channel> channels_;
  std::vector<Stream> streams_;
  std::vector<int> free_streams_;
  std::vector<std::pair<int, DramTick>> completed_;
  std::vector<ChannelStats> counters_;
  // Reads by latency in ticks, one per channel: a dense count per tick up to kDenseTicks, and
  // the rare longer latencies (a read starved behind other streams) by value, so that memory
  // stays bounded by the distinct long latencies seen, not by the longest one.
  struct LatencyHistogram {
    static constexpr std::size_t kDenseTicks = 4096;
    std::vector<std::int64_t> dense;
    std::map<DramTick, std::int64_t> tail;
    void add(DramTick latency);
    template <class F>
    void for_each(F f) const;  // f(latency, reads) in increasing latency, nonzero counts only
  };
  std::vector<LatencyHistogram> latency_;
  std::vector<DramGroupCounters> groups_;
  std::uint64_t seq_ = 0;
  std::int64_t active_streams_ = 0;
  std::vector<BusyPeriods>* busy_ = nullptr;
};

}  // namespace fusim
