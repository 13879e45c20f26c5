// The energy model (sim/stats/energy.h, docs/energy.md): energy is action counts times table
// entries, component by component; DRAM energy from the datasheet currents matches the
// DRAMPower/DRAMSim3 formulas computed by hand; fewer DRAM bytes give less DRAM energy.
#include <catch2/catch.hpp>

#include "arch/arch_io.h"
#include "arch/energy_tables.h"
#include "dram/dram_controller.h"
#include "driver.h"
#include "stats/energy.h"
#include "stats/sim_stats.h"
#include "test_util.h"
#include "trace/trace.h"

using fusim::test::src;

TEST_CASE("the tables' figures at a data width and a buffer size", "[energy]") {
  const fusim::EnergyTable* h = fusim::find_energy_table("horowitz-45nm");
  REQUIRE(h);
  // Horowitz ISSCC'14, 45 nm: an 8-bit multiply 0.2 pJ plus a 32-bit accumulate 0.1 pJ; a 32-bit
  // multiply 3.1 pJ; 16 bits halfway on log-log axes, sqrt(0.2 x 3.1).
  CHECK(fusim::table_entries(*h, 8).mac_pj == Approx(0.3));
  CHECK(fusim::table_entries(*h, 32).mac_pj == Approx(3.2));
  CHECK(fusim::table_entries(*h, 16).mac_pj == Approx(std::sqrt(0.2 * 3.1) + 0.1));
  CHECK(fusim::table_entries(*h, 16).vector_op_pj == Approx(0.05));
  // SRAM per 64-bit access: 10 pJ at 8 KB, 20 at 32 KB, 100 at 1 MB; per byte an eighth.
  CHECK(fusim::sram_pj_per_byte(*h, 8 << 10) == Approx(10.0 / 8));
  CHECK(fusim::sram_pj_per_byte(*h, 32 << 10) == Approx(20.0 / 8));
  CHECK(fusim::sram_pj_per_byte(*h, 1 << 20) == Approx(100.0 / 8));
  CHECK(fusim::sram_pj_per_byte(*h, 16 << 10) == Approx(std::sqrt(10.0 * 20.0) / 8));
  // Registers: the SRAM rule (energy as the square root of the capacity) at 32 bytes.
  CHECK(fusim::table_entries(*h, 8).register_pj_per_byte ==
        Approx(10.0 * std::sqrt(32.0 / 8192) / 8));
  const fusim::EnergyTable* a = fusim::find_energy_table("archon-ics21");
  REQUIRE(a);
  CHECK(fusim::table_entries(*a, 16).mac_pj == Approx(2.2));
  CHECK(fusim::sram_pj_per_byte(*a, 100 << 10) == Approx(49.35 / 8));
  CHECK(fusim::table_entries(*a, 16).dram_pj_per_bit == Approx(8));
  CHECK(fusim::table_entries(*a, 16).register_pj_per_byte == Approx(0.251 / 2));
  // A mask test: one bit of ALADDIN's 32-bit bitwise operation, against its 32-bit add, times
  // the table's 32-bit add (Horowitz's 0.1 pJ; the artifact's 0.054 pJ add, listed at 16 bits,
  // taken to 32 in proportion).
  CHECK(fusim::table_entries(*h, 8).mask_pj == Approx(0.0181 / 32 / 0.21 * 0.1));
  CHECK(fusim::table_entries(*a, 16).mask_pj == Approx(0.0181 / 32 / 0.21 * 0.054 * 2));
}

TEST_CASE("an arch's energy entries: the table's, overrides, buffers by capacity", "[energy]") {
  const fusim::Arch arch = fusim::load_arch(src("configs/mlu.yaml"), {"energy.mac_pj=1.5"});
  const fusim::EnergyTable& h = *fusim::find_energy_table("horowitz-45nm");
  CHECK(arch.energy.mac_pj == 1.5);
  CHECK(arch.energy.add_pj == Approx(0.1));
  CHECK(arch.energy.weight_buffer_pj_per_byte ==
        Approx(fusim::sram_pj_per_byte(h, arch.core.weight_buffer.capacity_bytes)));
  const fusim::Arch b =
      fusim::load_arch(src("configs/mlu.yaml"),
                       {"energy.table=archon-ics21", "energy.input_buffer_pj_per_byte=0.5"});
  CHECK(b.energy.mac_pj == Approx(2.2));
  CHECK(b.energy.input_buffer_pj_per_byte == 0.5);
}

TEST_CASE("the energy is the action counts times the entries, component by component", "[energy]") {
  for (const char* fusion : {"none", "optimal"}) {
    INFO(fusion);
    const auto r = fusim::test::run(src("configs/mlu.yaml"), src("workloads/mobilenetv2.yaml"),
                                    {"energy.core_leakage_mw=10"}, fusion);
    const fusim::SimResult& s = r->result.sim;
    const fusim::EnergyParams& e = r->arch->energy;
    fusim::ActionCounts a;
    for (const fusim::CoreStats& c : s.cores) a += c.actions;
    const auto n = [](std::int64_t x) { return static_cast<double>(x); };
    CHECK(s.energy.pe_array ==
          Approx(n(a.macs) * e.mac_pj + n(a.adds) * e.add_pj + n(a.mask_ops) * e.mask_pj));
    CHECK(s.energy.registers == Approx(n(a.registers.total()) * e.register_pj_per_byte));
    CHECK(s.energy.vector_unit == Approx(n(a.vector_ops) * e.vector_op_pj));
    CHECK(s.energy.input_buffer == Approx(n(a.input_buffer.total()) * e.input_buffer_pj_per_byte));
    CHECK(s.energy.weight_buffer ==
          Approx(n(a.weight_buffer.total()) * e.weight_buffer_pj_per_byte));
    CHECK(s.energy.output_buffer ==
          Approx(n(a.output_buffer.total()) * e.output_buffer_pj_per_byte));
    CHECK(s.energy.leakage == Approx(10e-3 * 32 * s.cycles / (r->arch->clock_mhz * 1e6) * 1e12));
    CHECK(s.energy.total == Approx(s.energy.pe_array + s.energy.registers + s.energy.vector_unit +
                                   s.energy.input_buffer + s.energy.weight_buffer +
                                   s.energy.output_buffer + s.energy.shared_buffer +
                                   s.energy.interconnect + s.energy.dram + s.energy.leakage));
    // Every MAC and vector operation of the run is counted once, on the core that ran it; the
    // DRAM bytes are the off-chip traffic.
    std::int64_t layer_macs = 0, layer_dram = 0;
    for (const fusim::LayerStats& l : s.layers) {
      layer_macs += l.actions.macs;
      layer_dram += l.actions.dram_bytes;
    }
    CHECK(layer_macs == a.macs);
    CHECK(a.dram_bytes == s.traffic.read() + s.traffic.ofmap_write);
    CHECK(layer_dram == a.dram_bytes);
    // The groups' energies add up to the run's.
    double groups = 0;
    for (const fusim::GroupStats& g : s.groups) groups += g.energy_pj;
    CHECK(groups == Approx(s.energy.total).epsilon(1e-6));
  }
}

TEST_CASE("ARCHON's mask tests are priced in the PE arrays' energy", "[energy]") {
  // FusioNet's blocks on the fused-bottleneck engine test two mask bits per fused weight per
  // pixel (hundreds of millions): their energy is small beside the MACs', but counted.
  const auto r =
      fusim::test::run(src("configs/archon.yaml"), src("workloads/fusionet.yaml"), {}, "optimal");
  const fusim::SimResult& s = r->result.sim;
  const fusim::EnergyParams& e = r->arch->energy;
  fusim::ActionCounts a;
  for (const fusim::CoreStats& c : s.cores) a += c.actions;
  REQUIRE(a.mask_ops > 0);
  REQUIRE(e.mask_pj > 0);
  const auto n = [](std::int64_t x) { return static_cast<double>(x); };
  const double without = n(a.macs) * e.mac_pj + n(a.adds) * e.add_pj;
  CHECK(s.energy.pe_array == Approx(without + n(a.mask_ops) * e.mask_pj).epsilon(1e-12));
  CHECK(s.energy.pe_array > without);
}

TEST_CASE("DRAM energy from the currents: the DRAMPower/DRAMSim3 formulas by hand", "[energy]") {
  // DDR4-3200 (DRAMSim3's DDR4_8Gb_x8_3200.ini): VDD 1.2 V, IDD0 57, IDD2N 37, IDD3N 52,
  // IDD4R 168, IDD4W 150, IDD5B 250 mA; 8 devices; tCK 0.625 ns; tRC 74, tRAS 52, tRP 22,
  // tRFC 560 nCK, BL8 (4 nCK a burst). Per device, mA x V x ns = pJ:
  //   activate: 1.2 x (57 x 74 - (52 x 52 + 37 x 22)) x 0.625 x 8 = 4200 pJ
  //   read burst: 1.2 x (168 - 52) x 4 x 0.625 x 8 = 2784 pJ; write: 1.2 x 98 x 4 x 5 = 2352
  //   refresh: 1.2 x (250 - 52) x 560 x 5 = 665280 pJ
  //   background: 1.2 x 5 x (52 per active tick + 37 per precharged tick)
  const fusim::Arch arch = fusim::load_arch(src("configs/mlu.yaml"), {"dram.channels=1"});
  fusim::SimResult r;
  fusim::ChannelStats c;
  c.activates = 3;
  c.reads = 10;
  c.writes = 4;
  c.refreshes = 2;
  c.active_ticks = 1000;
  c.run_ticks = 5000;
  r.dram_channels.push_back(c);
  r.cycles = 5000 * 0.625;  // 1 GHz
  fusim::compute_energy(arch, r);
  CHECK(r.energy.dram_from == "currents");
  CHECK(r.energy.dram_activate == Approx(3 * 4200.0));
  CHECK(r.energy.dram_read == Approx(10 * 2784.0));
  CHECK(r.energy.dram_write == Approx(4 * 2352.0));
  CHECK(r.energy.dram_refresh == Approx(2 * 665280.0));
  CHECK(r.energy.dram_background == Approx(6.0 * (52 * 1000 + 37 * 4000)));
  CHECK(r.energy.dram == Approx(12600 + 27840 + 9408 + 1330560 + 6.0 * (52000 + 148000)));
  // The simple model: bits times the table's figure (Horowitz: 1.3 nJ per 64 bits).
  const fusim::Arch simple =
      fusim::load_arch(src("configs/mlu.yaml"), {"dram.channels=1", "dram.model=simple"});
  fusim::SimResult s;
  fusim::ChannelStats sc;
  sc.bytes_read = 640;
  sc.bytes_written = 64;
  s.dram_channels.push_back(sc);
  fusim::compute_energy(simple, s);
  CHECK(s.energy.dram_from == "per_bit");
  CHECK(s.energy.dram == Approx(704 * 8 * 1300.0 / 64));
}

TEST_CASE("the controller counts a rank's active-standby time from activate to precharge",
          "[energy]") {
  // Banks as the mapping cuts them (mlu.yaml hashes them with the row): 1 << 30 is bank 0 too.
  const fusim::DramParams p =
      fusim::load_arch(src("configs/mlu.yaml"), {"dram.channels=1", "dram.address_hash=none"}).dram;
  fusim::DramController c(p, 1e9);
  fusim::DramStream s;
  s.arrival = 100;
  s.row_bytes = 64;
  c.submit(s);  // bank 0, row 0: activate at 100, the row stays open (open page)
  s.arrival = 1000;
  s.addr = std::int64_t{1} << 30;  // another row of the same bank: precharge, activate
  c.submit(s);
  c.advance(fusim::kNever);
  c.count_refreshes_until(3000);
  const fusim::ChannelStats& n = c.channel_counters()[0];
  CHECK(n.activates == 2);
  CHECK(n.precharges == 1);
  // Open from the first activate to the end, except tRP around the conflict's precharge.
  CHECK(n.active_ticks == 3000 - 100 - p.timing.tRP);
  // The energy of this small trace by hand (DDR4-3200 figures of the test above): 2 activates,
  // 2 read bursts, no refresh (tREFI is 12480), 2878 active and 122 precharged ticks.
  const fusim::Arch arch = fusim::load_arch(src("configs/mlu.yaml"), {"dram.channels=1"});
  fusim::SimResult r;
  r.dram_channels.push_back(n);
  r.dram_channels.back().run_ticks = 3000;
  fusim::compute_energy(arch, r);
  CHECK(n.reads == 2);
  CHECK(n.refreshes == 0);
  CHECK(r.energy.dram == Approx(2 * 4200.0 + 2 * 2784.0 + 6.0 * (52 * 2878 + 37 * 122)));
}

TEST_CASE("a schedule that moves fewer DRAM bytes spends less DRAM energy", "[energy]") {
  // Every feature map through DRAM, where fusion saves bytes (with the shared buffer, layer by
  // layer keeps them all on chip).
  const auto none = fusim::test::run(src("configs/mlu.yaml"), src("workloads/mobilenetv2.yaml"), {},
                                     "none", false);
  const auto fused = fusim::test::run(src("configs/mlu.yaml"), src("workloads/mobilenetv2.yaml"),
                                      {}, "optimal", false);
  const auto bytes = [](const fusim::SimResult& s) {
    return s.traffic.read() + s.traffic.ofmap_write;
  };
  REQUIRE(bytes(fused->result.sim) < bytes(none->result.sim));
  CHECK(fused->result.sim.energy.dram < none->result.sim.energy.dram);
  CHECK(fused->result.sim.energy.dram_read + fused->result.sim.energy.dram_write <
        none->result.sim.energy.dram_read + none->result.sim.energy.dram_write);
  CHECK(fused->result.sim.energy.total < none->result.sim.energy.total);
}

TEST_CASE("a trace stays bounded: runs of commands, merged DRAM periods", "[trace]") {
  fusim::TraceTrack t;
  t.per_span = 3;
  for (int i = 0; i < 7; ++i) t.add(10.0 * i, 10.0 * i + 5, i, 0, 100);
  t.add(70, 75, 7, 1, 100);  // another group starts a span of its own
  REQUIRE(t.spans.size() == 4);
  CHECK(t.spans[0].commands == 3);
  CHECK(t.spans[0].start == 0);
  CHECK(t.spans[0].end == 25);
  CHECK(t.spans[0].first_layer == 0);
  CHECK(t.spans[0].last_layer == 2);
  CHECK(t.spans[0].bytes == 300);
  CHECK(t.spans[2].commands == 1);
  CHECK(t.spans[3].group == 1);
  fusim::BusyPeriods b;
  for (std::int64_t i = 0; i < 3 * fusim::kMaxBusyPeriods; ++i) b.add(10 * i, 10 * i + 4);
  CHECK(static_cast<std::int64_t>(b.periods.size()) <= fusim::kMaxBusyPeriods);
  CHECK(b.merge_gap > 0);
  CHECK(b.periods.front().first == 0);
  CHECK(b.periods.back().second == 10 * (3 * fusim::kMaxBusyPeriods - 1) + 4);
  for (std::size_t i = 1; i < b.periods.size(); ++i)
    CHECK(b.periods[i].first > b.periods[i - 1].second);
}

TEST_CASE("dram.power that would price a command below zero is refused", "[energy]") {
  const auto e1 = fusim::test::error_of(
      [] { fusim::load_arch(src("configs/mlu.yaml"), {"dram.power.idd4r=10"}); });
  REQUIRE(e1);
  CHECK(e1->key() == "dram.power.idd4r");
  const auto e2 = fusim::test::error_of(
      [] { fusim::load_arch(src("configs/mlu.yaml"), {"dram.power.idd0=1"}); });
  REQUIRE(e2);
  CHECK(e2->key() == "dram.power.idd0");
}
