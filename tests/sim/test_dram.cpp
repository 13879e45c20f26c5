// The detailed DRAM model against closed forms, DRAMSim3 style: exact cycles of single requests
// (row hit, miss, conflict, tFAW, refresh), streaming and random-read bandwidth, and N
// initiators sharing the memory through the interconnect.
#include <algorithm>
#include <memory>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include <catch2/catch.hpp>

#include "arch/arch.h"
#include "arch/arch_io.h"
#include "cost/cost_model.h"
#include "dram/detailed_dram.h"
#include "dram/dram_controller.h"
#include "interconnect/interconnect.h"
#include "kernel/sim_context.h"
#include "kernel/sim_time.h"
#include "streamer.h"
#include "test_util.h"

using fusim::DramController;
using fusim::DramStream;
using fusim::DramTick;

namespace {

// One DDR4-3200 channel as the mlu.yaml preset resolves it.
fusim::DramParams ddr4(std::vector<std::string> overrides = {}) {
  // The mapping as address_mapping cuts it (mlu.yaml hashes banks; one test turns that on).
  overrides.insert(overrides.begin(), "dram.address_hash=none");
  overrides.push_back("dram.channels=1");
  return fusim::load_arch(fusim::test::src("configs/mlu.yaml"), overrides).dram;
}

DramStream burst(DramTick arrival, std::int64_t addr, bool write = false) {
  DramStream s;
  s.arrival = arrival;
  s.addr = addr;
  s.row_bytes = 64;
  s.write = write;
  return s;
}

// Runs the controller to the end; returns each stream's completion tick by id.
std::vector<DramTick> run(DramController& c) {
  c.advance(fusim::kNever);
  std::vector<DramTick> done;
  for (const auto& [id, t] : c.take_completed()) {
    if (done.size() <= static_cast<std::size_t>(id)) done.resize(static_cast<std::size_t>(id) + 1);
    done[static_cast<std::size_t>(id)] = t;
  }
  return done;
}

// Address of burst `column` of `row` in bank `bank` of bank group `bg` (one channel, one rank,
// mapping row:bank:rank:column:bankgroup:channel).
std::int64_t addr(const fusim::DramParams& p, std::int64_t row, std::int64_t bank, std::int64_t bg,
                  std::int64_t column) {
  const std::int64_t cols = p.row_bytes / p.burst_bytes_detailed();
  return (((row * p.banks_per_group + bank) * cols + column) * p.bank_groups + bg) *
         p.burst_bytes_detailed();
}

}  // namespace

TEST_CASE("DDR4-3200 preset: the JESD79-4 3200AA numbers", "[dram]") {
  const fusim::DramParams p = ddr4();
  CHECK(p.model == fusim::DramModel::Detailed);
  CHECK(p.tck_ps == 625);
  CHECK(p.timing.tCL == 22);
  CHECK(p.timing.tRCD == 22);
  CHECK(p.timing.tRP == 22);
  CHECK(p.burst_bytes_detailed() == 64);
  CHECK(p.bytes_per_cycle_per_channel == Approx(25.6));  // at mlu.yaml's 1 GHz
}

TEST_CASE("the address mapping places fields as configured", "[dram]") {
  const fusim::DramParams p = ddr4();
  DramController c(p, 1e9);
  const auto l = c.decode(addr(p, 5, 3, 2, 7));
  CHECK(l.row == 5);
  CHECK(l.bank == 3);
  CHECK(l.bankgroup == 2);
  CHECK(l.column == 7);
  CHECK(l.channel == 0);
  const fusim::DramParams q = ddr4({"dram.address_mapping=row:column:bank:bankgroup:rank:channel"});
  DramController d(q, 1e9);
  CHECK(d.decode(64).bankgroup == 1);
  CHECK(d.decode(64 * 4).bank == 1);
  CHECK(d.decode(64 * 16).column == 1);
}

namespace {

// A stream of n pieces of `piece` bytes, `stride` apart, from `addr` (piece 0: `contiguous`
// bytes in one range), with the layout and bytes the cost model charges it by.
struct LaidOut {
  DramStream stream;
  fusim::TileLayout layout;
  std::int64_t bytes = 0;
};
LaidOut laid_out(std::int64_t addr, std::int64_t piece, std::int64_t stride, std::int64_t n,
                 std::int64_t contiguous) {
  LaidOut l;
  l.stream.addr = addr;
  l.bytes = contiguous;
  if (piece > 0) {
    l.layout = {piece, stride};
    l.bytes = piece * n;
    l.stream.rows = n;
    l.stream.stride_bytes = stride;
  }
  l.stream.row_bytes = piece > 0 ? piece : l.bytes;
  return l;
}

}  // namespace

TEST_CASE("the cost model's DRAM bytes are the bursts the controller moves", "[dram]") {
  // The layouts the cost model charges (cost/tile_sink.h, DmaTiming::dram_bytes): contiguous
  // ranges, and pieces at a stride closer than a burst, a block apart or more, at every
  // alignment; against the controller's reads and writes (bursts) of the same stream.
  const fusim::DramParams p = ddr4();
  fusim::DmaTiming d;
  d.burst_bytes = p.burst_bytes_detailed();
  int tried = 0;
  for (const auto& [piece, stride] : std::vector<std::pair<std::int64_t, std::int64_t>>{{0, 0},
                                                                                        {60, 480},
                                                                                        {32, 64},
                                                                                        {8, 16},
                                                                                        {30, 40},
                                                                                        {100, 130},
                                                                                        {64, 128},
                                                                                        {100, 164},
                                                                                        {100, 163},
                                                                                        {1, 3},
                                                                                        {192, 1000},
                                                                                        {7, 71}}) {
    for (std::int64_t offset : {0, 1, 4, 33, 60, 63, 64 * 7 + 5}) {
      for (std::int64_t n : {1, 2, 10, 67}) {
        for (bool write : {false, true}) {
          DramController c(p, 1e9);
          auto [s, t, bytes] = laid_out(4096 * 16 + offset, piece, stride, n, 60 * n + 1);
          s.write = write;
          c.submit(s);
          c.advance(fusim::kNever);
          const auto& counted = c.channel_counters()[0];
          CHECK(d.dram_bytes(bytes, t, offset) == (counted.reads + counted.writes) * d.burst_bytes);
          ++tried;
        }
      }
    }
  }
  CHECK(tried == 12 * 7 * 4 * 2);
}

TEST_CASE("a stream's range apart moves the bursts the cost model charges for it", "[dram]") {
  // Interleaved weights (cost/tiling.h, LayerSlice::weight_parts): a slice's channels, pieces a
  // stride apart, then its biases, one contiguous range after every channel's weights. The
  // controller moves the pieces' bursts and the tail's, as DmaTiming::dram_bytes charges each.
  const fusim::DramParams p = ddr4();
  fusim::DmaTiming d;
  d.burst_bytes = p.burst_bytes_detailed();
  for (const auto& [piece, stride] : std::vector<std::pair<std::int64_t, std::int64_t>>{
           {768, 768 * 32}, {64, 64 * 4}, {100, 130}, {0, 0}}) {
    for (std::int64_t tail : {1, 24, 65}) {
      for (std::int64_t tail_at : {0, 63, 64 * 5 + 7}) {
        INFO(piece << " / " << stride << ", tail " << tail << " at " << tail_at);
        DramController c(p, 1e9);
        auto [s, t, bytes] = laid_out(4096 * 16, piece, stride, 6, 700);
        s.tail_addr = 1 << 20 | tail_at;
        s.tail_bytes = tail;
        c.submit(s);
        const std::vector<DramTick> done = run(c);
        REQUIRE(done.size() == 1);
        CHECK(done[0] > 0);
        const auto& counted = c.channel_counters()[0];
        CHECK(counted.reads * d.burst_bytes ==
              d.dram_bytes(bytes, t, 0) + d.dram_bytes(tail, {}, tail_at));
      }
    }
  }
}

TEST_CASE("address_hash xor: streams a bank period apart use different banks", "[dram]") {
  // Four sequential streams a bank period apart (rows r, r + 1, ...; the cores' slices of a
  // weight matrix whose size is a power of two): as the mapping cuts them, all four fall into
  // the same bank at once, each in its own row, and conflict; XORed with the row's bits, each
  // stream's banks differ from the others'. The hash keeps decode one to one.
  const auto conflicts = [](const char* hash, DramTick* last) {
    const fusim::DramParams p = ddr4({std::string("dram.address_hash=") + hash});
    DramController c(p, 1e9);
    const std::int64_t period = p.row_bytes * p.bank_groups * p.banks_per_group * p.ranks;
    for (int k = 0; k < 4; ++k) {
      DramStream s;
      s.addr = 64 * period + k * period;
      s.row_bytes = 32 * 1024;
      s.outstanding = 16;
      c.submit(s);
    }
    const auto done = run(c);
    *last = *std::max_element(done.begin(), done.end());
    return c.channel_counters()[0].row_conflicts;
  };
  DramTick plain_end = 0, hashed_end = 0;
  const std::int64_t plain = conflicts("none", &plain_end);
  const std::int64_t hashed = conflicts("xor", &hashed_end);
  CHECK(plain > 100);
  CHECK(hashed == 0);
  CHECK(hashed_end < plain_end);

  // One to one, xor and mix, with powers of two (XOR) and with counts that are not (sums modulo
  // them).
  for (const std::vector<std::string>& o :
       {std::vector<std::string>{"dram.channels=1"},
        std::vector<std::string>{"dram.banks_per_group=3", "dram.ranks=2", "dram.channels=3"}}) {
    for (const char* hash : {"xor", "mix"}) {
      std::vector<std::string> all = o;
      all.push_back(std::string("dram.address_hash=") + hash);
      const fusim::DramParams p = fusim::load_arch(fusim::test::src("configs/mlu.yaml"), all).dram;
      DramController c(p, 1e9);
      std::set<std::tuple<int, int, int, int, std::int64_t, std::int64_t>> seen;
      const std::int64_t cols = p.row_bytes / p.burst_bytes_detailed();
      const std::int64_t blocks =
          8 * cols * p.bank_groups * p.banks_per_group * p.ranks * p.channels;
      for (std::int64_t b = 0; b < blocks; ++b) {
        const auto l = c.decode(b * p.burst_bytes_detailed());
        CHECK((l.bank < p.banks_per_group && l.bankgroup < p.bank_groups && l.rank < p.ranks &&
               l.channel < p.channels && l.column < cols));
        seen.emplace(l.channel, l.rank, l.bankgroup, l.bank, l.row, l.column);
      }
      CHECK(static_cast<std::int64_t>(seen.size()) == blocks);
    }
  }
}

TEST_CASE("address_hash xor: the cores' pieces at one offset into their slices use every channel",
          "[dram]") {
  // A 14 x 14 map of 1024 channels (one byte each) in DRAM, stored by 32 cores as a 1 x 1
  // conv's output on a grid of 8 row bands by 4 channel slices: core j stores 28 pixels of
  // band j / 4 and 256 channels from 256 x (j % 4), in chunks of 64 channels, every core its
  // chunk k at once: pixel p's piece at p x 1024 + (j % 4) x 256 + k x 64 (layer3_1_conv3 of
  // ResNet-50 under --fusion none --cores 32 --shared-fmaps off). As the mapping cuts it (the
  // channel in the address bits just above the burst) every piece falls into channel k; with
  // xor the fields above the channel move it, and the pieces spread evenly.
  const auto most_on_one = [](const char* hash) {
    const fusim::DramParams p = fusim::load_arch(fusim::test::src("configs/mlu.yaml"),
                                                 {std::string("dram.address_hash=") + hash})
                                    .dram;
    REQUIRE(p.channels == 4);
    const DramController c(p, 1e9);
    int worst = 0;
    for (int k = 0; k < 4; ++k) {
      std::vector<int> on(static_cast<std::size_t>(p.channels));
      for (int j = 0; j < 32; ++j)
        for (int px = 0; px < 28; ++px) {
          const auto l = c.decode(((j / 4) * 28 + px) * 1024 + (j % 4) * 256 + k * 64);
          ++on[static_cast<std::size_t>(l.channel)];
        }
      worst = std::max(worst, *std::max_element(on.begin(), on.end()));
    }
    return worst;
  };
  CHECK(most_on_one("none") == 32 * 28);
  CHECK(most_on_one("xor") == 32 * 28 / 4);
}

// The most streams on one bank at once, averaged over where they are: 32 streams S bytes
// apart (the cores' slices of a weight matrix), each with a DMA window of 64 bursts in flight,
// all at the same offset t into their slices, t sampled over one slice. With mlu.yaml's 4
// channels x 16 banks each window covers 16 banks, so 8 streams a bank is the even spread.
double streams_per_bank(const DramController& c, const fusim::DramParams& p, std::int64_t stride) {
  const int streams = 32, window = 64, samples = 16;
  const std::int64_t burst = p.burst_bytes_detailed();
  const std::int64_t step = std::max<std::int64_t>(burst, stride / samples / burst * burst);
  double sum = 0;
  int n = 0;
  for (std::int64_t t = 0; t < stride && n < samples; t += step, ++n) {
    std::vector<int> on(
        static_cast<std::size_t>(p.channels * p.ranks * p.bank_groups * p.banks_per_group));
    for (int k = 0; k < streams; ++k) {
      std::set<std::int64_t> banks;
      for (int j = 0; j < window; ++j) {
        const auto l = c.decode(k * stride + t + j * burst);
        banks.insert(((l.channel * p.ranks + l.rank) * p.bank_groups + l.bankgroup) *
                         p.banks_per_group +
                     l.bank);
      }
      for (const std::int64_t b : banks) ++on[static_cast<std::size_t>(b)];
    }
    sum += *std::max_element(on.begin(), on.end());
  }
  return sum / n;
}

TEST_CASE("address_hash mix: no stride between 32 streams crowds them onto few banks", "[dram]") {
  // Strides: multiples of the bank period (512 KiB: the slices of power-of-two matrices), the
  // slices of VGG's fc6 (25,088 x 128 B) and of a 50,176-input fc, which xor serves slowly
  // (docs/dram.md), and 100 pseudo-random multiples of 64 B from 64 KiB to 8 MiB.
  std::vector<std::int64_t> strides = {512 << 10, 1 << 20,     2 << 20,
                                       4 << 20,   25088 * 128, 50176 * 128};
  std::uint64_t x = 12345;
  for (int i = 0; i < 100; ++i) {
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;  // Knuth's MMIX LCG
    strides.push_back(64 * (1024 + static_cast<std::int64_t>((x >> 33) % (131072 - 1024))));
  }
  const auto hashed = [](const char* h) {
    return fusim::load_arch(fusim::test::src("configs/mlu.yaml"),
                            {std::string("dram.address_hash=") + h})
        .dram;
  };
  const fusim::DramParams none = hashed("none"), mix = hashed("mix");
  const DramController plain(none, 1e9), mixed(mix, 1e9);
  // As the mapping cuts them, streams a bank period apart all share their 16 banks.
  CHECK(streams_per_bank(plain, none, 512 << 10) == 32);
  double worst = 0;
  for (const std::int64_t s : strides) worst = std::max(worst, streams_per_bank(mixed, mix, s));
  // Pseudo-random bank digits spread 32 streams over 4 as a multinomial does: about 11 on the
  // fullest; the worst of these strides 13 when this was written (xor's worst of them: 15.25,
  // at 851,840 bytes; none's: 32).
  INFO("mix: most streams on one bank, worst stride " << worst);
  CHECK(worst <= 14);
  CHECK(worst > 8);  // not an even spread: the price of having no resonant stride
}

TEST_CASE("a row miss on an idle bank completes in tRCD + tCL + burst", "[dram]") {
  const fusim::DramParams p = ddr4();
  DramController c(p, 1e9);
  c.submit(burst(100, 0));
  const auto done = run(c);
  CHECK(done[0] == 100 + p.timing.tRCD + p.timing.tCL + p.burst_length / 2);
  CHECK(c.channel_counters()[0].row_misses == 1);
}

TEST_CASE("a row hit completes in tCL + burst", "[dram]") {
  const fusim::DramParams p = ddr4();
  DramController c(p, 1e9);
  c.submit(burst(0, addr(p, 9, 1, 0, 0)));
  c.submit(burst(1000, addr(p, 9, 1, 0, 5)));  // same row, another column, long after
  const auto done = run(c);
  CHECK(done[1] == 1000 + p.timing.tCL + p.burst_length / 2);
  CHECK(c.channel_counters()[0].row_hits == 1);
}

TEST_CASE("a row conflict completes in tRP + tRCD + tCL + burst", "[dram]") {
  const fusim::DramParams p = ddr4();
  DramController c(p, 1e9);
  c.submit(burst(0, addr(p, 9, 1, 0, 0)));
  c.submit(burst(1000, addr(p, 10, 1, 0, 0)));  // same bank, another row
  const auto done = run(c);
  CHECK(done[1] == 1000 + p.timing.tRP + p.timing.tRCD + p.timing.tCL + p.burst_length / 2);
  CHECK(c.channel_counters()[0].row_conflicts == 1);
}

TEST_CASE("closed page: the second access to a row is a miss, not a hit", "[dram]") {
  const fusim::DramParams p = ddr4({"dram.page_policy=closed"});
  DramController c(p, 1e9);
  c.submit(burst(0, addr(p, 9, 1, 0, 0)));
  c.submit(burst(1000, addr(p, 9, 1, 0, 5)));
  const auto done = run(c);
  CHECK(done[1] == 1000 + p.timing.tRCD + p.timing.tCL + p.burst_length / 2);
  CHECK(c.channel_counters()[0].row_misses == 2);
}

TEST_CASE("tFAW: the fifth activate in a rank waits for the window", "[dram]") {
  // tRCD 23 keeps the fourth read's command off the cycle of the fifth activate (one command per
  // cycle), so the closed form holds exactly.
  const fusim::DramParams p = ddr4({"dram.timing_ck.tRCD=23"});
  const auto& t = p.timing;
  REQUIRE(4 * t.tRRD_S < t.tFAW);
  DramController c(p, 1e9);
  for (int bg = 0; bg < 4; ++bg) c.submit(burst(0, addr(p, 0, 0, bg, 0)));
  c.submit(burst(0, addr(p, 0, 1, 0, 0)));  // a fifth bank
  const auto done = run(c);
  for (int i = 0; i < 4; ++i) {
    INFO("read " << i);
    CHECK(done[static_cast<std::size_t>(i)] == i * t.tRRD_S + t.tRCD + t.tCL + p.burst_length / 2);
  }
  CHECK(done[4] == t.tFAW + t.tRCD + t.tCL + p.burst_length / 2);
}

TEST_CASE("refresh: a request at tREFI waits tRFC", "[dram]") {
  const fusim::DramParams p = ddr4();
  const auto& t = p.timing;
  DramController c(p, 1e9);
  c.submit(burst(t.tREFI, 0));
  const auto done = run(c);
  CHECK(done[0] == t.tREFI + t.tRFC + t.tRCD + t.tCL + p.burst_length / 2);
  CHECK(c.channel_counters()[0].refreshes == 1);
  // And an open row is closed by the refresh: the next access to it is a miss.
  DramController d(p, 1e9);
  d.submit(burst(t.tREFI - 1000, 0));
  d.submit(burst(t.tREFI + 2000, 64 * 4));
  const auto done2 = run(d);
  CHECK(done2[1] == t.tREFI + 2000 + t.tRCD + t.tCL + p.burst_length / 2);
}

TEST_CASE("tREFI 0 turns refresh off, an interval no longer than tRFC is refused", "[dram]") {
  // It looped for ever: a refresh due every 0 ticks.
  const fusim::DramParams p = ddr4({"dram.timing_ck.tREFI=0"});
  const auto& t = p.timing;
  DramController c(p, 1e9);
  c.submit(burst(12480, 0));
  const auto done = run(c);
  CHECK(done[0] == 12480 + t.tRCD + t.tCL + p.burst_length / 2);
  CHECK(c.channel_counters()[0].refreshes == 0);
  const auto e = fusim::test::error_of([] { (void)ddr4({"dram.timing_ck.tREFI=560"}); });
  REQUIRE(e);
  CHECK(e->key() == "dram.timing_ck.tREFI");
}

TEST_CASE("a sequential stream reaches at least 90 % of the channel's peak", "[dram]") {
  const fusim::DramParams p = ddr4();
  DramController c(p, 1e9);
  DramStream s;
  s.row_bytes = 4 << 20;  // 4 MiB, several refresh intervals
  s.outstanding = 64;
  c.submit(s);
  const auto done = run(c);
  const double peak = static_cast<double>(p.bus_bytes * 2);  // bytes per tick
  const double achieved = static_cast<double>(s.row_bytes) / static_cast<double>(done[0]);
  INFO("achieved " << achieved / peak * 100 << " % of peak");
  CHECK(achieved >= 0.9 * peak);
  CHECK(achieved <= peak);
}

TEST_CASE("random 64-byte reads reach the bandwidth that tFAW predicts", "[dram]") {
  // Every read opens a row (open page, random rows: conflicts). Activates are limited to 4 per
  // tFAW (tFAW = 34 > 4 tRRD_S = 16, and 16 banks / tRC = 0.22 activates per cycle > 4 / 34),
  // and refresh takes tRFC of every tREFI, so the channel moves
  //   4 x 64 B / tFAW x (1 - tRFC / tREFI) = 7.19 B per DRAM cycle = 11.5 GB/s (45 % of peak).
  const fusim::DramParams p = ddr4();
  const auto& t = p.timing;
  DramController c(p, 1e9);
  std::uint64_t x = 12345;
  const int n = 20000;
  for (int i = 0; i < n; ++i) {
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    c.submit(burst(0, static_cast<std::int64_t>((x >> 20) % (std::uint64_t{1} << 33)) & ~63LL));
  }
  DramTick end = 0;
  for (DramTick d : run(c)) end = std::max(end, d);
  const double predicted = 4.0 * 64.0 / static_cast<double>(t.tFAW) *
                           (1.0 - static_cast<double>(t.tRFC) / static_cast<double>(t.tREFI));
  const double achieved = 64.0 * n / static_cast<double>(end);
  INFO("achieved " << achieved << " B/cycle, predicted " << predicted);
  CHECK(predicted == Approx(7.19).epsilon(0.01));
  CHECK(achieved == Approx(predicted).epsilon(0.05));
}

TEST_CASE("activate-bound reads reach the tFAW bound exactly without refresh", "[dram]") {
  // Single-burst reads, each to a new row, cycling over the 16 banks (bank groups fastest): every
  // read needs an activate, and four activates fit in each tFAW (4 tRRD_S = 16 < tFAW = 34; a
  // bank comes back every 4 tFAW = 136 cycles > tRC = 74). Activate k then issues at
  // (k / 4) tFAW + (k mod 4) tRRD_S, never a cycle later: no column command takes an activate's
  // cycle at the end of the tFAW window.
  const fusim::DramParams p = ddr4({"dram.timing_ck.tREFI=16777216"});  // no refresh in the run
  const auto& t = p.timing;
  DramController c(p, 1e9);
  const int n = 4000;
  for (int k = 0; k < n; ++k) {
    c.submit(burst(0, addr(p, k / 16, (k / 4) % 4, k % 4, 0)));
  }
  const auto done = run(c);
  CHECK(c.channel_counters()[0].activates == n);
  CHECK(c.channel_counters()[0].refreshes == 0);
  const DramTick last_act = (n - 1) / 4 * t.tFAW + (n - 1) % 4 * t.tRRD_S;
  CHECK(done[n - 1] == last_act + t.tRCD + t.tCL + p.burst_length / 2);
}

TEST_CASE("random single-burst reads: the tFAW bound, less refresh", "[dram]") {
  // Uniformly random addresses (random banks and rows, every read a row miss or conflict).
  // Without refresh the channel moves 4 bursts per tFAW; with refresh, tRFC of every tREFI
  // goes, and a little more: the refresh first precharges every bank, and the activates after
  // it start a new tFAW window.
  std::uint64_t x = 99;
  std::vector<std::int64_t> addrs;
  for (int i = 0; i < 20000; ++i) {
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    addrs.push_back(static_cast<std::int64_t>((x >> 20) % (std::uint64_t{1} << 33)) & ~63LL);
  }
  const auto bytes_per_cycle = [&](const fusim::DramParams& p) {
    DramController c(p, 1e9);
    for (std::int64_t a : addrs) c.submit(burst(0, a));
    DramTick end = 0;
    for (DramTick d : run(c)) end = std::max(end, d);
    return 64.0 * static_cast<double>(addrs.size()) / static_cast<double>(end);
  };
  const fusim::DramParams on = ddr4();
  const auto& t = on.timing;
  const double bound = 4.0 * 64.0 / static_cast<double>(t.tFAW);
  const double refresh = 1.0 - static_cast<double>(t.tRFC) / static_cast<double>(t.tREFI);
  const double off = bytes_per_cycle(ddr4({"dram.timing_ck.tREFI=16777216"}));
  INFO("no refresh: " << off << " B/cycle of the bound " << bound);
  CHECK(off == Approx(bound).epsilon(0.002));  // the first activates' latency only
  const double with = bytes_per_cycle(on);
  INFO("refresh: " << with << " B/cycle, bound less refresh " << bound * refresh);
  CHECK(with <= bound * refresh);
  CHECK(with == Approx(bound * refresh).epsilon(0.01));
}

TEST_CASE("row-hit cap: a waiting conflict closes the row after N column commands", "[dram]") {
  // Bank 1 of bank group 0 has row 9 open (one read, long before). At 1000 a read of row 10
  // arrives, then six more reads of row 9, all in the bank's command queue with row 10's at the
  // head. tCCD_L = 20 > tRTP = 12 leaves room for a precharge between two hits. Without a cap
  // the hits go first (FR-FCFS), all six; with cap N the row is closed once it has served N
  // column commands (the first read counts): after N - 1 of the six, the precharge goes tRTP
  // after the last of them, then row 10's activate and read.
  for (int cap : {0, 2, 4}) {
    const fusim::DramParams p = ddr4({"dram.timing_ck.tCCD_L=20", "dram.timing_ck.tREFI=16777216",
                                      "dram.row_hit_cap=" + std::to_string(cap)});
    const auto& t = p.timing;
    DramController c(p, 1e9);
    c.submit(burst(0, addr(p, 9, 1, 0, 0)));
    c.submit(burst(1000, addr(p, 10, 1, 0, 0)));
    for (int i = 1; i <= 6; ++i) c.submit(burst(1000, addr(p, 9, 1, 0, i)));
    const auto done = run(c);
    const int hits_first = cap == 0 ? 6 : cap - 1;
    const DramTick last_hit = 1000 + (hits_first - 1) * t.tCCD_L;
    INFO("cap " << cap);
    CHECK(done[1] == last_hit + t.tRTP + t.tRP + t.tRCD + t.tCL + p.burst_length / 2);
    CHECK(done[static_cast<std::size_t>(1 + hits_first)] == last_hit + t.tCL + p.burst_length / 2);
  }
}

TEST_CASE("write drain: watermark stops at the low watermark, batch sends the whole batch",
          "[dram]") {
  // A write queue of 8 (high watermark 0.75: 6 writes, low 0.25: 2) gets 6 writes at 0 beside
  // a long read stream. Watermark: the writes drain from 6 down to 2 while reads wait, so 4 go
  // before the reads; the last 2 wait until no read does. Batch: all 6 go, then the reads.
  for (const char* policy : {"watermark", "batch"}) {
    const fusim::DramParams p =
        ddr4({"dram.queue_depth=8", std::string("dram.write_drain=") + policy});
    DramController c(p, 1e9);
    for (int i = 0; i < 6; ++i) c.submit(burst(0, addr(p, 100, 2, i % 4, i / 4), true));
    DramStream reads;
    reads.row_bytes = 64 * 1024;  // 1,024 bursts
    c.submit(reads);
    c.advance(800);  // writes first, then reads; the read queue is far from empty
    const auto& n = c.channel_counters()[0];
    INFO(policy);
    REQUIRE(n.reads > 0);
    REQUIRE(n.reads < 900);
    CHECK(n.writes == (std::string(policy) == "watermark" ? 4 : 6));
    run(c);
    CHECK(c.channel_counters()[0].writes == 6);
    CHECK(!c.busy());
  }
}

TEST_CASE("read latency: an unloaded read takes tRCD + tCL + burst, at every percentile",
          "[dram]") {
  const fusim::DramParams p = ddr4();
  const auto& t = p.timing;
  DramController c(p, 1e9);
  c.submit(burst(100, 0));
  run(c);
  const DramController::Latency l = c.read_latency(0);
  const DramTick miss = t.tRCD + t.tCL + p.burst_length / 2;
  CHECK(l.mean == Approx(static_cast<double>(miss)));
  CHECK(l.p50 == miss);
  CHECK(l.p95 == miss);
  CHECK(l.p99 == miss);
  // A row hit long after: tCL + burst; the median is then the hit (nearest rank: 1 of 2).
  c.submit(burst(5000, 64 * 4));
  run(c);
  const DramController::Latency m = c.read_latency(0);
  const DramTick hit = t.tCL + p.burst_length / 2;
  CHECK(m.mean == Approx(static_cast<double>(miss + hit) / 2));
  CHECK(m.p50 == hit);
  CHECK(m.p99 == miss);
}

TEST_CASE("read latency: latencies beyond the dense histogram count the same", "[dram]") {
  // The histogram counts latencies under 4096 ticks per tick and longer ones by value: a miss
  // with tRCD 6000 lands beyond, the later row hit within.
  fusim::DramParams p = ddr4();
  p.timing.tRCD = 6000;
  const auto& t = p.timing;
  DramController c(p, 1e9);
  c.submit(burst(100, 0));
  run(c);
  const DramTick miss = t.tRCD + t.tCL + p.burst_length / 2;
  CHECK(c.read_latency(0).p50 == miss);
  c.submit(burst(7000, 64 * 4));  // after the miss, before the first refresh
  run(c);
  const DramController::Latency m = c.read_latency(0);
  const DramTick hit = t.tCL + p.burst_length / 2;
  CHECK(m.mean == Approx(static_cast<double>(miss + hit) / 2));
  CHECK(m.p50 == hit);
  CHECK(m.p95 == miss);
  CHECK(m.p99 == miss);
}

TEST_CASE("a strided tile costs more than a contiguous one of the same bytes", "[dram]") {
  const fusim::DramParams p = ddr4();
  DramStream contiguous;
  contiguous.row_bytes = 64 * 1024;
  DramStream strided;
  strided.row_bytes = 96;  // rows of 96 B, 1 MiB apart: two bursts each, new rows each
  strided.rows = 64 * 1024 / 96;
  strided.stride_bytes = 1 << 20;
  DramController a(p, 1e9), b(p, 1e9);
  a.submit(contiguous);
  b.submit(strided);
  const DramTick ta = run(a)[0], tb = run(b)[0];
  CHECK(tb > 2 * ta);
  CHECK(b.channel_counters()[0].bytes_read == strided.rows * strided.row_bytes);
  CHECK(b.channel_counters()[0].reads > a.channel_counters()[0].reads);
}

namespace {

// N initiators each reading `bytes` from their own region at once; returns each one's time.
std::vector<double> stream_together(int n, std::int64_t bytes, std::int64_t spacing,
                                    const fusim::Arch& arch, std::int64_t outstanding = 32) {
  fusim::FreshSimContext context;
  std::vector<double> out;
  {
    fusim::DetailedDram dram("dram", arch.dram, arch.clock_mhz);
    fusim::Interconnect noc("noc", arch.interconnect);
    noc.memory.bind(dram.socket);
    std::vector<std::unique_ptr<fusim::test::Streamer>> s;
    for (int i = 0; i < n; ++i) {
      s.push_back(std::make_unique<fusim::test::Streamer>(("s" + std::to_string(i)).c_str(),
                                                          std::int64_t{i} * spacing, bytes));
      s.back()->outstanding = outstanding;
      s.back()->socket.bind(noc.cores);
    }
    sc_core::sc_start();
    for (const auto& x : s) out.push_back(x->done);
  }
  return out;
}

}  // namespace

TEST_CASE("N cores streaming at once saturate the DRAM peak, each takes longer", "[dram]") {
  // mlu.yaml: DDR4-3200 x 4 channels (102.4 B/cycle at 1 GHz), interconnect latency 20 cycles
  // each way. Each core reads 128 KiB from its own banks (128 KiB apart: the bank field sits
  // above 4 channels x 4 bank groups x 8 KiB rows) with 32 bursts outstanding.
  const fusim::Arch arch = fusim::load_arch(fusim::test::src("configs/mlu.yaml"));
  const double peak = arch.dram_peak_bytes_per_cycle();
  const std::int64_t bytes = 128 * 1024;
  const std::int64_t spacing = bytes;
  double t1 = 0;
  for (int n : {1, 2, 4}) {
    const std::vector<double> t = stream_together(n, bytes, spacing, arch);
    double end = 0;
    for (double x : t) end = std::max(end, x);
    const double aggregate = static_cast<double>(bytes) * n / end;
    INFO(n << " cores: " << aggregate << " B/cycle of " << peak << ", slowest " << end);
    CHECK(aggregate <= peak);
    if (n == 1) {
      t1 = end;
      CHECK(aggregate < 0.5 * peak);  // one DMA engine's window cannot fill the channels
    } else {
      CHECK(end > t1);  // sharing costs every core time
    }
    if (n == 4) {
      CHECK(aggregate >= 0.85 * peak);                      // saturated at the DRAM peak
      CHECK(end >= static_cast<double>(bytes) * n / peak);  // so per-core time grows with N
    }
  }
  // Eight cores: pairs now share banks with different rows, so rows conflict and the aggregate
  // stays below the peak while each core takes longer still.
  const std::vector<double> t8 = stream_together(8, bytes, spacing, arch);
  double end8 = 0;
  for (double x : t8) end8 = std::max(end8, x);
  CHECK(static_cast<double>(bytes) * 8 / end8 <= peak);
  CHECK(end8 > static_cast<double>(bytes) * 8 / peak);
}

TEST_CASE("dram config: models, strict keys and the resolved YAML round trip", "[dram]") {
  using fusim::test::error_of;
  const std::string mlu = fusim::test::src("configs/mlu.yaml");
  // A preset makes the detailed model the default; simple stays selectable.
  CHECK(fusim::load_arch(mlu).dram.model == fusim::DramModel::Detailed);
  const fusim::Arch simple = fusim::load_arch(mlu, {"dram.model=simple"});
  CHECK(simple.dram.model == fusim::DramModel::Simple);
  CHECK(simple.dram.latency_cycles == 28);  // tRCD + tCL = 27.5 ns at 1 GHz
  CHECK(simple.dram_peak_bytes_per_cycle() ==
        Approx(fusim::load_arch(mlu).dram_peak_bytes_per_cycle()));
  // Unknown model, unknown timing key, a key of the other model, a bad mapping.
  const auto e1 = error_of([&] { fusim::load_arch(mlu, {"dram.model=ramulator"}); });
  REQUIRE(e1);
  CHECK(e1->key() == "dram.model");
  const auto e2 = error_of([&] { fusim::load_arch(mlu, {"dram.timing_ck.tXYZ=3"}); });
  REQUIRE(e2);
  CHECK(e2->key() == "dram.timing_ck.tXYZ");
  const std::string file = fusim::test::write_temp(
      "dram_latency.yaml", "base: " + mlu + "\ndram:\n  latency_cycles: 40\n");
  const auto e3 = error_of([&] { fusim::load_arch(file); });
  REQUIRE(e3);
  CHECK(e3->file() == file);
  CHECK(e3->line() == 3);
  CHECK(e3->key() == "dram.latency_cycles");
  CHECK(std::string(e3->what()).find("simple") != std::string::npos);
  const auto e4 = error_of([&] {
    fusim::load_arch(mlu, {"dram.model=simple", "dram.tck_ps=500"});
  });
  REQUIRE(e4);
  CHECK(e4->key() == "dram.tck_ps");
  const auto e5 =
      error_of([&] { fusim::load_arch(mlu, {"dram.address_mapping=row:bank:column"}); });
  REQUIRE(e5);
  CHECK(e5->key() == "dram.address_mapping");
  // The write drain: a known policy, and a low watermark not above the high one.
  const auto e6 = error_of([&] { fusim::load_arch(mlu, {"dram.write_drain=fifo"}); });
  REQUIRE(e6);
  CHECK(e6->key() == "dram.write_drain");
  const auto e7 = error_of([&] {
    fusim::load_arch(mlu, {"dram.write_high_watermark=0.5", "dram.write_low_watermark=0.6"});
  });
  REQUIRE(e7);
  CHECK(e7->key() == "dram.write_low_watermark");
  // Every preset and policy writes a resolved arch that loads back to the same text.
  for (const char* preset : {"DDR4-3200", "LPDDR4-3200", "HBM2"}) {
    for (const char* model : {"simple", "detailed"}) {
      const fusim::Arch a = fusim::load_arch(
          mlu, {std::string("dram.preset=") + preset, std::string("dram.model=") + model,
                "cores.dma.outstanding_bursts=8"});
      const std::string text = fusim::arch_to_yaml(a);
      const fusim::Arch b = fusim::load_arch(fusim::test::write_temp("dram_rt.yaml", text));
      CHECK(fusim::arch_to_yaml(b) == text);
      CHECK(b.dram.model == a.dram.model);
      CHECK(b.dram_peak_bytes_per_cycle() == Approx(a.dram_peak_bytes_per_cycle()));
    }
  }
}

TEST_CASE("the detailed model changes time, not bytes, and its lookahead barely matters",
          "[dram]") {
  const std::string mlu = fusim::test::src("configs/mlu.yaml");
  const std::string net = fusim::test::src("workloads/tiny_dag.yaml");
  const auto d = fusim::test::run(mlu, net);
  const auto s = fusim::test::run(mlu, net, {"dram.model=simple"});
  const auto exact = fusim::test::run(mlu, net, {"dram.lookahead_cycles=1"});
  CHECK(d->result.sim.traffic.read() == s->result.sim.traffic.read());
  CHECK(d->result.sim.traffic.ofmap_write == s->result.sim.traffic.ofmap_write);
  CHECK(d->result.sim.cycles != s->result.sim.cycles);
  CHECK(d->result.sim.cycles == Approx(exact->result.sim.cycles).epsilon(0.02));
  std::int64_t hits = 0;
  for (const auto& g : d->result.sim.groups) hits += g.dram.row_hits;
  CHECK(hits > 0);
}

TEST_CASE("one DMA engine's stream runs at the pace the cost model gives it", "[dram]") {
  // Alone on mlu.yaml's DRAM and interconnect, a stream of 64 outstanding bursts is paced by its
  // window over the round trip (Little's law), not by the DRAM peak: the cost model's
  // DmaTiming::stream_bytes_per_cycle, which times the weight prefetch engines.
  const fusim::Arch arch = fusim::load_arch(fusim::test::src("configs/mlu.yaml"));
  const fusim::DmaTiming dma = fusim::dma_timing(arch);
  REQUIRE(dma.stream_bytes_per_cycle < 0.75 * arch.dram_peak_bytes_per_cycle());
  for (std::int64_t bytes : {12288, 131072, 1 << 20}) {
    const double t = stream_together(1, bytes, bytes, arch, arch.core.dma.outstanding_bursts)[0];
    const double predicted =
        dma.latency_cycles + static_cast<double>(bytes) / dma.stream_bytes_per_cycle;
    INFO(bytes << " bytes: " << t << " cycles simulated, " << predicted << " predicted");
    CHECK(t == Approx(predicted).epsilon(0.05));
  }
}
