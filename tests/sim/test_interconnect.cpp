// The interconnect's fair sharing against closed forms: the link on its own (FairShareLink,
// plain C++) and the SystemC module between initiators and the simple DRAM model.
//
// Link of bw bytes per cycle, latency L cycles each way. A transfer arriving at t starts on the
// link at t + L; while k transfers are on the link each moves bw / k bytes per cycle; the
// transfer is done L after the later of its link phase and its memory service. The memory here
// is much faster than the link, so every transfer is link bound:
//   alone:                       done = t + 2L + bytes / bw           (as first come first served)
//   B and S (S < B) both at 0:   S done = 2L + 2S / bw,  B done = 2L + (B + S) / bw
//   B at 0, S at d:              S done = d + 2L + 2S / bw (B still on the link), B as above
// where first come first served would give S 2L + (B + S) / bw.
#include <cmath>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#define CATCH_CONFIG_ENABLE_PAIR_STRINGMAKER  // readable (id, time) pairs in failures
#include <catch2/catch.hpp>

#include "arch/arch.h"
#include "dram/simple_dram.h"
#include "interconnect/interconnect.h"
#include "kernel/sim_context.h"
#include "kernel/sim_time.h"
#include "streamer.h"

using fusim::FairShareLink;

namespace {

constexpr double kBw = 16;       // link bytes per cycle
constexpr std::int64_t kL = 20;  // link latency, each way
constexpr double kL2 = 2.0 * kL;

// A memory fast enough that the link bounds every transfer here: 4 channels x 256 B/cycle.
fusim::DramParams fast_dram() {
  fusim::DramParams p;
  p.model = fusim::DramModel::Simple;
  p.channels = 4;
  p.bytes_per_cycle_per_channel = 256;
  p.latency_cycles = 10;
  p.burst_bytes = 64;
  return p;
}

struct Request {
  std::int64_t bytes = 0;
  double start = 0;  // cycles
};

struct Outcome {
  std::vector<double> done;  // by port
  double busy = 0;           // the interconnect's busy cycles
};

// Each request from its own initiator, bound to interconnect port i in order, through a link of
// kBw bytes per cycle and latency kL to `dram`.
Outcome run(const std::vector<Request>& requests, const fusim::DramParams& dram = fast_dram()) {
  fusim::FreshSimContext context;
  Outcome out;
  {
    fusim::InterconnectParams ip;
    ip.bytes_per_cycle = kBw;
    ip.latency_cycles = kL;
    fusim::SimpleDram memory("dram", dram);
    fusim::Interconnect noc("noc", ip);
    noc.memory.bind(memory.socket);
    std::vector<std::unique_ptr<fusim::test::Streamer>> s;
    for (std::size_t i = 0; i < requests.size(); ++i) {
      // Regions 1 MiB apart: each request spreads over every channel.
      s.push_back(std::make_unique<fusim::test::Streamer>(("s" + std::to_string(i)).c_str(),
                                                          static_cast<std::int64_t>(i) << 20,
                                                          requests[i].bytes, requests[i].start));
      s.back()->socket.bind(noc.cores);
    }
    sc_core::sc_start();
    for (const auto& x : s) out.done.push_back(x->done);
    out.busy = noc.busy_cycles();
  }
  return out;
}

// SystemC time is whole picoseconds (1/1000 of a cycle): the closed forms hold to that.
Approx ps(double cycles) {
  return Approx(cycles).margin(1e-3);
}

// What the old first-come-first-served link gave: the transfers in order of arrival, each
// streaming alone on the link after the previous one.
std::vector<double> fcfs(const std::vector<Request>& requests) {
  fusim::StreamResource link;
  link.bytes_per_cycle = kBw;
  std::vector<double> out;
  for (const Request& r : requests)
    out.push_back(link.serve(r.start + kL, static_cast<double>(r.bytes)) + kL);
  return out;
}

}  // namespace

TEST_CASE("fair link: k transfers share the bandwidth equally", "[interconnect]") {
  // 12 B/cycle; 12, 24 and 36 bytes join at 0: each moves 4 B/cycle until the first is done at
  // 3, then 6 B/cycle until the second is done at 3 + 12/6 = 5, then the last alone until 6.
  FairShareLink link(12);
  const int a = link.add(0, 12, 0), b = link.add(0, 24, 1), c = link.add(0, 36, 2);
  link.advance_to(100);
  const auto done = link.take_completed();
  REQUIRE(done.size() == 3);
  CHECK(done[0] == std::make_pair(a, 3.0));
  CHECK(done[1] == std::make_pair(b, 5.0));
  CHECK(done[2] == std::make_pair(c, 6.0));
  CHECK(link.busy_cycles() == 6.0);  // (12 + 24 + 36) / 12: overlapping transfers count once
  CHECK(link.now() == 100.0);
  CHECK(link.active() == 0);
}

TEST_CASE("fair link: joins, idle gaps, and ties in port then arrival order", "[interconnect]") {
  FairShareLink link(10);
  // 100 bytes at 0; 20 bytes join at 5 (50 moved, 50 left): both at 5 B/cycle, the small one
  // is done at 5 + 20/5 = 9, the big one has 30 left then, alone: 9 + 3 = 12.
  const int big = link.add(0, 100, 0);
  const int small = link.add(5, 20, 1);
  CHECK(link.next_event() == 0.0);
  link.advance_to(7);  // the state up to 7 is final: the small one is on the link
  CHECK(link.active() == 2);
  CHECK(link.next_event() == 9.0);
  link.advance_to(20);
  auto done = link.take_completed();
  REQUIRE(done.size() == 2);
  CHECK(done[0] == std::make_pair(small, 9.0));
  CHECK(done[1] == std::make_pair(big, 12.0));
  CHECK(link.busy_cycles() == 12.0);
  // Idle from 12 to 30, then three equal transfers at 30 added on ports 2, 0, 1 (and one more
  // on port 0 later in arrival order): all end together at 30 + 4 x 10 / 10 = 34, reported by
  // port, then arrival order.
  const int p2 = link.add(30, 10, 2), p0 = link.add(30, 10, 0), p1 = link.add(30, 10, 1);
  const int p0b = link.add(30, 10, 0);
  CHECK(link.next_event() == 30.0);
  link.step();  // one join at a time
  CHECK(link.active() == 1);
  link.advance_to(50);
  done = link.take_completed();
  REQUIRE(done.size() == 4);
  CHECK(done[0] == std::make_pair(p0, 34.0));
  CHECK(done[1] == std::make_pair(p0b, 34.0));
  CHECK(done[2] == std::make_pair(p1, 34.0));
  CHECK(done[3] == std::make_pair(p2, 34.0));
  CHECK(link.busy_cycles() == 16.0);  // 12 + 4: the gap is not busy
  CHECK(link.next_event() == FairShareLink::kNone);
}

TEST_CASE("fair link: the fluid limit of round-robin per burst", "[interconnect]") {
  // Random transfers (sizes in bursts, starts in cycles) on a link of one burst per cycle, against
  // a round-robin arbiter that sends one burst per cycle from the next port in turn with data:
  // each transfer ends within a burst per transfer on the link of the round-robin end. And
  // next_completion() predicts, across the joins before it, the first completion stepping finds.
  std::uint64_t x = 42;
  auto rnd = [&x](std::uint64_t n) {
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    return (x >> 33) % n;
  };
  for (int round = 0; round < 20; ++round) {
    const int n = 2 + static_cast<int>(rnd(7));
    std::vector<std::int64_t> start(static_cast<std::size_t>(n)), size(start);
    FairShareLink link(1);
    for (std::size_t i = 0; i < start.size(); ++i) {
      start[i] = static_cast<std::int64_t>(rnd(200));
      size[i] = 1 + static_cast<std::int64_t>(rnd(100));
      link.add(static_cast<double>(start[i]), static_cast<double>(size[i]), static_cast<int>(i));
    }
    std::vector<double> fluid(start.size());
    while (link.next_event() != FairShareLink::kNone) {
      const double predicted = link.next_completion();
      std::vector<std::pair<int, double>> done;
      while (done.empty()) {
        link.step();
        done = link.take_completed();
      }
      CHECK(done.front().second == predicted);
      for (const auto& [id, t] : done) fluid[static_cast<std::size_t>(id)] = t;
    }
    // Round robin: port i is the transfer added i-th (ids 0.. in order of add on a new link).
    std::vector<std::int64_t> left = size, rr(start.size(), 0);
    std::size_t last = start.size() - 1, remaining = start.size();
    for (std::int64_t cycle = 0; remaining > 0; ++cycle) {
      for (std::size_t k = 1; k <= start.size(); ++k) {
        const std::size_t i = (last + k) % start.size();
        if (start[i] <= cycle && left[i] > 0) {
          if (--left[i] == 0) {
            rr[i] = cycle + 1;
            --remaining;
          }
          last = i;
          break;
        }
      }
    }
    for (std::size_t i = 0; i < start.size(); ++i) {
      INFO("round " << round << " transfer " << i << " of " << n);
      CHECK(std::abs(fluid[i] - static_cast<double>(rr[i])) <= n);
    }
  }
}

TEST_CASE("interconnect: one transfer alone takes what first come first served gave",
          "[interconnect]") {
  const std::int64_t S = 4096;
  const Outcome link_bound = run({{S, 0}});
  CHECK(link_bound.done[0] == ps(kL2 + S / kBw));
  CHECK(link_bound.done[0] == ps(fcfs({{S, 0}})[0]));
  CHECK(link_bound.busy == ps(S / kBw));
  const Outcome later = run({{S, 300}});
  CHECK(later.done[0] == ps(300 + kL2 + S / kBw));
  // Memory bound (one channel of 2 B/cycle behind the 16 B/cycle link): the link phase overlaps
  // the memory's, the transfer ends L after the memory is done: 2L + dram latency + S / 2.
  fusim::DramParams slow = fast_dram();
  slow.channels = 1;
  slow.bytes_per_cycle_per_channel = 2;
  const Outcome memory_bound = run({{S, 0}}, slow);
  CHECK(memory_bound.done[0] == ps(kL2 + 10 + S / 2.0));
  CHECK(memory_bound.busy == ps(S / kBw));
}

TEST_CASE("interconnect: a small transfer beside a big one takes its share, not the queue",
          "[interconnect]") {
  const std::int64_t B = 64 * 1024, S = 4096;  // B / bw = 4096 cycles, S / bw = 256
  SECTION("both at 0") {
    const std::vector<Request> r = {{B, 0}, {S, 0}};  // big on port 0, small on port 1
    const Outcome o = run(r);
    CHECK(o.done[1] == ps(kL2 + 2 * S / kBw));
    CHECK(o.done[0] == ps(kL2 + (B + S) / kBw));
    CHECK(o.busy == ps((B + S) / kBw));  // fully overlapped: total bytes / bw
    // First come first served made the small one wait for the whole big one.
    CHECK(fcfs(r)[1] == kL2 + (B + S) / kBw);
    CHECK(o.done[1] < fcfs(r)[1]);
  }
  SECTION("small at d while the big one streams") {
    const double d = 1000;
    const std::vector<Request> r = {{B, 0}, {S, d}};
    REQUIRE(d + 2 * S / kBw < (B + S) / kBw);  // the big one is still on the link
    const Outcome o = run(r);
    CHECK(o.done[1] == ps(d + kL2 + 2 * S / kBw));
    CHECK(o.done[0] == ps(kL2 + (B + S) / kBw));
    CHECK(o.busy == ps((B + S) / kBw));
    CHECK(fcfs(r)[1] == kL2 + (B + S) / kBw);
    CHECK(o.done[1] < fcfs(r)[1]);
  }
  SECTION("the port does not matter: small on port 0 at d") {
    const double d = 1000;
    const Outcome o = run({{S, d}, {B, 0}});
    CHECK(o.done[0] == ps(d + kL2 + 2 * S / kBw));
    CHECK(o.done[1] == ps(kL2 + (B + S) / kBw));
  }
  SECTION("small after the big one is done: no overlap") {
    const double d = 5000;
    const Outcome o = run({{B, 0}, {S, d}});
    CHECK(o.done[0] == ps(kL2 + B / kBw));
    CHECK(o.done[1] == ps(d + kL2 + S / kBw));
    CHECK(o.busy == ps((B + S) / kBw));
  }
  SECTION("three at once") {
    // 3 x S at 0: each at bw / 3, all done at 3S / bw.
    const Outcome o = run({{S, 0}, {S, 0}, {S, 0}});
    for (double t : o.done) CHECK(t == ps(kL2 + 3 * S / kBw));
  }
}
