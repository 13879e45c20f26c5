#include "stats/energy.h"

#include <algorithm>

#include "stats/sim_stats.h"

namespace fusim {

namespace {

// On-chip dynamic energy of a set of actions, pJ.
double on_chip(const EnergyParams& e, const ActionCounts& a) {
  return static_cast<double>(a.macs) * e.mac_pj + static_cast<double>(a.adds) * e.add_pj +
         static_cast<double>(a.mask_ops) * e.mask_pj +
         static_cast<double>(a.vector_ops) * e.vector_op_pj +
         static_cast<double>(a.input_buffer.total()) * e.input_buffer_pj_per_byte +
         static_cast<double>(a.weight_buffer.total()) * e.weight_buffer_pj_per_byte +
         static_cast<double>(a.output_buffer.total()) * e.output_buffer_pj_per_byte +
         static_cast<double>(a.registers.total()) * e.register_pj_per_byte +
         static_cast<double>(a.shared_buffer.total()) * e.shared_buffer_pj_per_byte +
         static_cast<double>(a.interconnect_bytes) * e.interconnect_pj_per_byte;
}

}  // namespace

void compute_energy(const Arch& arch, SimResult& r) {
  const EnergyParams& e = arch.energy;
  EnergyStats& s = r.energy;
  s = EnergyStats{};
  s.table = e.table;
  ActionCounts all;
  for (const CoreStats& c : r.cores) all += c.actions;
  const auto pj = [](std::int64_t n, double each) { return static_cast<double>(n) * each; };
  s.pe_array = pj(all.macs, e.mac_pj) + pj(all.adds, e.add_pj) + pj(all.mask_ops, e.mask_pj);
  s.registers = pj(all.registers.total(), e.register_pj_per_byte);
  s.vector_unit = pj(all.vector_ops, e.vector_op_pj);
  // A byte written costs what a byte read does (both tables give one figure per access).
  s.input_buffer = pj(all.input_buffer.total(), e.input_buffer_pj_per_byte);
  s.weight_buffer = pj(all.weight_buffer.total(), e.weight_buffer_pj_per_byte);
  s.output_buffer = pj(all.output_buffer.total(), e.output_buffer_pj_per_byte);
  s.shared_buffer = pj(all.shared_buffer.total(), e.shared_buffer_pj_per_byte);
  s.interconnect = pj(all.interconnect_bytes, e.interconnect_pj_per_byte);

  const DramParams& d = arch.dram;
  const DramPower& p = d.power;
  if (d.model == DramModel::Detailed && p.known()) {
    // DRAMPower's and DRAMSim3's per-command energies: mA x V x ns = pJ, per device, times the
    // devices of a rank. An activate's energy covers its precharge (IDD0 is measured over tRC).
    s.dram_from = "currents";
    const double ns = d.tck_ps / 1000.0 * p.vdd * static_cast<double>(p.devices);
    const DramTiming& t = d.timing;
    const auto ck = [](std::int64_t n) { return static_cast<double>(n); };
    const double act = (p.idd0 * ck(t.tRC) - (p.idd3n * ck(t.tRAS) + p.idd2n * ck(t.tRP))) * ns;
    const double burst = ck(std::max<std::int64_t>(1, d.burst_length / 2));
    const double rd = (p.idd4r - p.idd3n) * burst * ns;
    const double wr = (p.idd4w - p.idd3n) * burst * ns;
    const double ref = (p.idd5b - p.idd3n) * ck(t.tRFC) * ns;
    for (const ChannelStats& c : r.dram_channels) {
      s.dram_activate += pj(c.activates, act);
      s.dram_read += pj(c.reads, rd);
      s.dram_write += pj(c.writes, wr);
      s.dram_refresh += pj(c.refreshes, ref);
      const std::int64_t rank_ticks = c.run_ticks * d.ranks;
      s.dram_background += (p.idd3n * ck(c.active_ticks) +
                            p.idd2n * ck(std::max<std::int64_t>(0, rank_ticks - c.active_ticks))) *
                           ns;
    }
    s.dram = s.dram_activate + s.dram_read + s.dram_write + s.dram_refresh + s.dram_background;
  } else {
    // Bits moved: whole bursts in the detailed model, requested bytes in the simple one.
    s.dram_from = "per_bit";
    std::int64_t bytes = 0;
    for (const ChannelStats& c : r.dram_channels) {
      bytes += d.model == DramModel::Detailed ? (c.reads + c.writes) * d.burst_bytes_detailed()
                                              : c.bytes_read + c.bytes_written;
    }
    s.dram = pj(bytes, 8 * e.dram_pj_per_bit);
  }
  s.seconds = r.cycles / (arch.clock_mhz * 1e6);
  // mW x s = 1e-3 J = 1e9 pJ.
  s.leakage = e.core_leakage_mw * static_cast<double>(arch.core_count) * s.seconds * 1e9;
  s.total = s.pe_array + s.registers + s.vector_unit + s.input_buffer + s.weight_buffer +
            s.output_buffer + s.shared_buffer + s.interconnect + s.dram + s.leakage;

  // Layers and groups: their own on-chip actions, and the DRAM energy by their share of bytes.
  const double dram_per_byte =
      all.dram_bytes > 0 ? s.dram / static_cast<double>(all.dram_bytes) : 0;
  for (LayerStats& l : r.layers)
    l.energy_pj = on_chip(e, l.actions) + pj(l.actions.dram_bytes, dram_per_byte);
  for (GroupStats& g : r.groups) {
    g.energy_pj = on_chip(e, g.actions) + pj(g.actions.dram_bytes, dram_per_byte);
    if (r.cycles > 0) g.energy_pj += s.leakage * (g.end - g.start) / r.cycles;
  }
}

const StatSchema<EnergyStats>& EnergyStats::schema() {
  static const StatSchema<EnergyStats> s = [] {
    using E = EnergyStats;
    StatSchema<E> r;
    const Rounding pj = significant(10);
    r.text("table", "the energy table the arch's energy entries come from",
           [](const E& x) { return x.table; });
    r.add("total_pj", &E::total, pj, "pJ", "the run's energy: the sum of the components below");
    r.real("average_power_mw", significant(10), "mW", "total energy over the run's duration",
           [](const E& x) { return x.average_power_mw(); });
    r.real("energy_delay_product", significant(10), "J x s",
           "energy times the run's duration (EDP)",
           [](const E& x) { return x.edp_joule_seconds(); });
    r.add("pe_array_pj", &E::pe_array, pj, "pJ",
          "MACs, partial-sum additions and mask tests, all cores");
    r.add("registers_pj", &E::registers, pj, "pJ",
          "the PEs' register reads and writes (operands passed between PEs, stationary "
          "operands, partial sums)");
    r.add("vector_unit_pj", &E::vector_unit, pj, "pJ", "vector-unit element operations");
    r.add("input_buffer_pj", &E::input_buffer, pj, "pJ",
          "input-buffer reads and writes, all cores (engine operands, DMA fills and drains)");
    r.add("weight_buffer_pj", &E::weight_buffer, pj, "pJ", "weight-buffer reads and writes");
    r.add("output_buffer_pj", &E::output_buffer, pj, "pJ", "output-buffer reads and writes");
    r.add("shared_buffer_pj", &E::shared_buffer, pj, "pJ", "shared-buffer reads and writes");
    r.add("interconnect_pj", &E::interconnect, pj, "pJ", "bytes over the core-memory link");
    r.add("dram_pj", &E::dram, pj, "pJ", "DRAM: the five parts below, or bits x dram_pj_per_bit");
    r.text("dram_from", "currents: from dram.power and the detailed model's commands; per_bit",
           [](const E& x) { return x.dram_from; });
    r.add("dram_activate_pj", &E::dram_activate, pj, "pJ",
          "activates and their precharges (currents only)");
    r.add("dram_read_pj", &E::dram_read, pj, "pJ", "read bursts (currents only)");
    r.add("dram_write_pj", &E::dram_write, pj, "pJ", "write bursts (currents only)");
    r.add("dram_refresh_pj", &E::dram_refresh, pj, "pJ", "refreshes (currents only)");
    r.add("dram_background_pj", &E::dram_background, pj, "pJ",
          "standby: active while a rank has a bank open, precharged otherwise (currents only)");
    r.add("leakage_pj", &E::leakage, pj, "pJ", "the cores' static power over the run");
    return r;
  }();
  return s;
}

}  // namespace fusim
