// The shared on-chip buffer against closed forms: which bank each byte of a transfer falls in
// (against counting byte by byte), then transfers through the SystemC module, alone and in
// conflict, and a program that loads from it.
//
// Buffer of bw = 64 bytes per cycle in 4 banks: each bank's port moves 16 bytes per cycle, words
// of 16 bytes interleave over the banks (word w in bank w mod 4). A transfer is done when the
// last of its banks is; k transfers on one bank each move 16 / k bytes per cycle:
//   S contiguous bytes alone:                         S / 64
//   two contiguous transfers of S at once:            2S / 64 each
//   S in 16-byte pieces 64 apart (all in one bank):   S / 16 (a bank conflict with itself)
//   two such on different banks at once:              S / 16 each (no conflict)
//   two such on the same bank at once:               2S / 16 each
//   S contiguous with B in one bank at once (S / 4 of S in that bank, S / 4 < B):
//     S done at 2 (S / 4) / 16, B done at (B + S / 4) / 16
#include <cstdint>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "arch/arch.h"
#include "arch/arch_io.h"
#include "buffer/shared_buffer.h"
#include "common/error.h"
#include "dram/simple_dram.h"
#include "driver.h"
#include "interconnect/interconnect.h"
#include "kernel/sim_context.h"
#include "schedule/program_io.h"
#include "simulate.h"
#include "streamer.h"
#include "test_util.h"

using fusim::bank_bytes;
using fusim::kSharedBufferBase;

namespace {

std::vector<std::int64_t> count_bytes(std::int64_t addr, std::int64_t piece, std::int64_t pieces,
                                      std::int64_t stride, int banks, std::int64_t word) {
  std::vector<std::int64_t> out(static_cast<std::size_t>(banks), 0);
  for (std::int64_t p = 0; p < pieces; ++p) {
    for (std::int64_t b = 0; b < piece; ++b)
      ++out[static_cast<std::size_t>((addr + p * stride + b) / word % banks)];
  }
  return out;
}

struct Read {
  std::int64_t addr = 0, bytes = 0, piece = 0, stride = 0;
};

struct BufferOutcome {
  std::vector<double> done;
  fusim::SharedBufferStats stats;
};

// Each read from its own initiator, through an interconnect much faster than the buffer (no
// latency), into a shared buffer of 64 B/cycle in 4 banks.
BufferOutcome run_reads(const std::vector<Read>& reads) {
  fusim::FreshSimContext context;
  fusim::BufferParams p;
  p.capacity_bytes = 1 << 20;
  p.banks = 4;
  p.bytes_per_cycle = 64;
  fusim::SharedBuffer buffer("shared", p);
  REQUIRE(buffer.word_bytes() == 16);
  fusim::InterconnectParams link;
  link.bytes_per_cycle = 1 << 20;
  link.latency_cycles = 0;
  fusim::Interconnect noc("noc", link);
  noc.shared.bind(buffer.socket);
  fusim::DramParams dram;  // unused: every address is the shared buffer's
  dram.channels = 1;
  dram.bytes_per_cycle_per_channel = 1;
  dram.burst_bytes = 64;
  fusim::SimpleDram memory("dram", dram);
  noc.memory.bind(memory.socket);
  std::vector<std::unique_ptr<fusim::test::Streamer>> streamers;
  for (std::size_t i = 0; i < reads.size(); ++i) {
    const Read& r = reads[i];
    streamers.push_back(std::make_unique<fusim::test::Streamer>(
        ("s" + std::to_string(i)).c_str(), static_cast<std::int64_t>(kSharedBufferBase) + r.addr,
        r.bytes, 0, r.piece, r.stride));
    streamers.back()->socket.bind(noc.cores);
  }
  sc_core::sc_start();
  BufferOutcome o;
  for (const auto& s : streamers) o.done.push_back(s->done);
  o.stats = buffer.stats();
  return o;
}

}  // namespace

TEST_CASE("a transfer's bytes per bank match counting byte by byte", "[shared_buffer]") {
  // Whole rounds of the banks, both ends mid-word, pieces within a word and across words, and
  // strides whose bank pattern repeats after 1, 2, 4 or many pieces (the counting by periods).
  for (int banks : {1, 3, 4, 16}) {
    for (std::int64_t word : {1, 4, 32}) {
      for (std::int64_t addr : {0, 5, 37, 1000}) {
        for (std::int64_t piece : {1, 3, 16, 100}) {
          for (std::int64_t stride :
               {piece, piece + 1, std::int64_t{64}, std::int64_t{96}, std::int64_t{1027}}) {
            for (std::int64_t pieces : {1, 2, 7, 300}) {
              INFO("banks " << banks << " word " << word << " addr " << addr << " piece " << piece
                            << " stride " << stride << " pieces " << pieces);
              CHECK(bank_bytes(addr, piece, pieces, stride, banks, word) ==
                    count_bytes(addr, piece, pieces, stride, banks, word));
            }
          }
        }
      }
    }
  }
  // Closed forms: 4096 contiguous bytes spread evenly; 16-byte pieces 64 apart stay in a bank.
  CHECK(bank_bytes(0, 4096, 1, 4096, 4, 16) == std::vector<std::int64_t>{1024, 1024, 1024, 1024});
  CHECK(bank_bytes(16, 16, 256, 64, 4, 16) == std::vector<std::int64_t>{0, 4096, 0, 0});
  // A large strided transfer is counted by periods, not piece by piece: 2^32 one-byte pieces.
  CHECK(bank_bytes(0, 1, std::int64_t{1} << 32, 64, 4, 16) ==
        std::vector<std::int64_t>{std::int64_t{1} << 32, 0, 0, 0});
}

TEST_CASE("shared buffer banks: bandwidth alone, shared, and in conflict", "[shared_buffer]") {
  constexpr std::int64_t S = 4096;
  SECTION("contiguous alone moves the whole buffer's bandwidth") {
    const BufferOutcome o = run_reads({{0, S}});
    CHECK(o.done[0] == Approx(S / 64.0));
    CHECK(o.stats.reads == 1);
    CHECK(o.stats.bytes_read == S);
    CHECK(o.stats.bank_busy_cycles == Approx(4 * S / 64.0));
    CHECK(o.stats.bank_conflict_cycles == 0);
  }
  SECTION("two contiguous transfers share it") {
    const BufferOutcome o = run_reads({{0, S}, {S, S}});
    CHECK(o.done[0] == Approx(2 * S / 64.0));
    CHECK(o.done[1] == Approx(2 * S / 64.0));
    CHECK(o.stats.bank_conflict_cycles == Approx(4 * 2 * S / 64.0));
  }
  SECTION("pieces at a stride of banks x word all fall in one bank") {
    const BufferOutcome o = run_reads({{0, S, 16, 64}});
    CHECK(o.done[0] == Approx(S / 16.0));
  }
  SECTION("two such transfers on different banks do not conflict") {
    const BufferOutcome o = run_reads({{0, S, 16, 64}, {16, S, 16, 64}});
    CHECK(o.done[0] == Approx(S / 16.0));
    CHECK(o.done[1] == Approx(S / 16.0));
    CHECK(o.stats.bank_conflict_cycles == 0);
  }
  SECTION("two such transfers on the same bank do") {
    const BufferOutcome o = run_reads({{0, S, 16, 64}, {S, S, 16, 64}});
    CHECK(o.done[0] == Approx(2 * S / 16.0));
    CHECK(o.done[1] == Approx(2 * S / 16.0));
    CHECK(o.stats.bank_conflict_cycles == Approx(2 * S / 16.0));
  }
  SECTION("a contiguous transfer is held back only in the bank it shares") {
    const BufferOutcome o = run_reads({{0, S}, {S, S, 16, 64}});
    CHECK(o.done[0] == Approx(2 * (S / 4) / 16.0));
    CHECK(o.done[1] == Approx((S + S / 4) / 16.0));
    CHECK(o.stats.bank_conflict_cycles == Approx(2 * (S / 4) / 16.0));
  }
}

TEST_CASE("a program's loads from the shared buffer are on-chip traffic", "[shared_buffer]") {
  // tiny_chain on systolic32 with a shared buffer: its ifmap loads moved to the shared buffer.
  const std::string arch = fusim::test::src("configs/systolic32.yaml");
  const std::vector<std::string> with_shared = {
      "shared_buffer={capacity_bytes: 1048576, banks: 8, bytes_per_cycle: 256}",
      "cores.dma.prefetch_engines=0"};
  const auto a = fusim::test::run(arch, fusim::test::src("workloads/tiny_chain.yaml"), with_shared,
                                  "none", false);
  fusim::Program p = *a->program;
  std::int64_t moved = 0;
  for (auto& core : p.cores) {
    for (fusim::Command& c : core) {
      if (c.op == fusim::CommandOp::Load && c.kind == fusim::TensorKind::Ifmap) {
        c.memory = fusim::MemoryLevel::Shared;
        c.addr = 0;
        c.piece_bytes = c.stride_bytes = 0;
        moved += c.bytes;
      }
    }
  }
  REQUIRE(moved > 0);
  const std::string text = fusim::program_to_yaml(p, *a->net);
  CHECK(text.find("memory: shared") != std::string::npos);
  const fusim::Program back =
      fusim::load_program(fusim::test::write_temp("shared_prog.yaml", text), *a->net, *a->arch);
  CHECK(fusim::program_to_yaml(back, *a->net) == text);
  const fusim::SimResult s = fusim::simulate(*a->net, *a->arch, back);
  const fusim::SimResult& before = a->result.sim;
  CHECK(s.traffic.ifmap_read == 0);  // off chip: only weights and outputs are left
  CHECK(s.traffic.weight_read == before.traffic.weight_read);
  CHECK(s.traffic.ofmap_write == before.traffic.ofmap_write);
  REQUIRE(s.shared_buffer);
  CHECK(s.shared_buffer->bytes_read == moved);
  CHECK(s.shared_buffer->bytes_written == 0);
  std::int64_t loaded = 0;
  for (const fusim::CoreStats& c : s.cores) loaded += c.shared_bytes_loaded;
  CHECK(loaded == moved);
  std::int64_t dram_read = 0;
  for (const auto& ch : s.dram_channels) dram_read += ch.bytes_read;
  CHECK(dram_read == s.traffic.read());
}

TEST_CASE("a program's shared-buffer commands are checked against the arch", "[shared_buffer]") {
  const std::string arch_path = fusim::test::src("configs/systolic32.yaml");
  const auto a = fusim::test::run(arch_path, fusim::test::src("workloads/tiny_chain.yaml"),
                                  {"shared_buffer={capacity_bytes: 4096, banks: 2, "
                                   "bytes_per_cycle: 64}",
                                   "cores.dma.prefetch_engines=0"});
  auto with_load = [&](std::int64_t addr, std::int64_t bytes, std::int64_t piece,
                       std::int64_t stride) {
    fusim::Program p = *a->program;
    for (fusim::Command& c : p.cores[0]) {
      if (c.op == fusim::CommandOp::Load && c.kind != fusim::TensorKind::Weight) {
        c.memory = fusim::MemoryLevel::Shared;
        c.addr = addr;
        c.bytes = bytes;
        c.piece_bytes = piece;
        c.stride_bytes = stride;
        break;
      }
    }
    return fusim::test::write_temp("shared_check.yaml", fusim::program_to_yaml(p, *a->net));
  };
  CHECK_NOTHROW(fusim::load_program(with_load(4000, 96, 0, 0), *a->net, *a->arch));
  CHECK_NOTHROW(fusim::load_program(with_load(0, 64, 16, 1360), *a->net, *a->arch));
  CHECK_THROWS_WITH(fusim::load_program(with_load(4001, 96, 0, 0), *a->net, *a->arch),
                    Catch::Contains("reaches past the shared buffer's 4096 bytes"));
  CHECK_THROWS_WITH(fusim::load_program(with_load(0, 64, 16, 1361), *a->net, *a->arch),
                    Catch::Contains("reaches past the shared buffer's 4096 bytes"));
  const fusim::Arch no_shared = fusim::load_arch(arch_path, {});
  REQUIRE(!no_shared.shared_buffer);
  CHECK_THROWS_WITH(fusim::load_program(with_load(0, 64, 0, 0), *a->net, no_shared),
                    Catch::Contains("key 'cores[0].commands[") &&
                        Catch::Contains("memory': the arch has no shared_buffer"));
}
