// The energy model, Accelergy's way: every component counts its actions while the simulation
// runs (ActionCounts in the cores, the DRAM commands in ChannelStats), and the arch's energy
// entries (EnergyParams, filled from a named table) price them. DRAM energy comes from the
// device's datasheet currents and the detailed model's commands, as DRAMPower and DRAMSim3
// compute it, or from a figure per bit. docs/energy.md gives every formula.
#pragma once

#include <string>

#include "arch/arch.h"
#include "stats/stats.h"

namespace fusim {

struct SimResult;

// Energy of a run by component, in pJ.
struct EnergyStats {
  std::string table;
  double pe_array = 0;   // MACs and partial-sum additions
  double registers = 0;  // the PEs' registers
  double vector_unit = 0;
  double input_buffer = 0, weight_buffer = 0, output_buffer = 0;  // all cores
  double shared_buffer = 0;
  double interconnect = 0;
  double dram = 0;  // the sum of the five parts below with currents; else bits x pJ/bit
  double dram_activate = 0, dram_read = 0, dram_write = 0, dram_refresh = 0, dram_background = 0;
  std::string dram_from;  // "currents" or "per_bit"
  double leakage = 0;
  double total = 0;
  double seconds = 0;  // the run's duration at the arch's clock

  double average_power_mw() const { return seconds > 0 ? total * 1e-9 / seconds : 0; }
  double edp_joule_seconds() const { return total * 1e-12 * seconds; }

  static const StatSchema<EnergyStats>& schema();
};

// The energy of `r` (a finished simulation of `arch`): sets r.energy, and the energy of every
// layer and group (their own actions, plus DRAM energy in proportion to their DRAM bytes;
// leakage goes to the groups by duration, not to layers).
void compute_energy(const Arch& arch, SimResult& r);

}  // namespace fusim
