// Energy tables: named sets of energy-per-action figures, each from a published source, that
// fill the entries of an arch's `energy:` section it does not set (as a DRAM preset fills
// `dram:`). A table's arithmetic figures depend on the data width, and its buffer figures on
// each buffer's capacity (its SRAM rule), so an arch's entries are made for both
// (table_entries, sram_pj_per_byte). docs/energy.md lists the tables and their sources.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "arch/arch.h"

namespace fusim {

struct EnergyTable {
  const char* name;
  const char* source;  // where its figures come from, for the docs and report.json
  // Points (data width in bits, pJ) of an integer multiply and of an integer add; a width
  // between points is interpolated on log-log axes, one outside them extrapolated from the
  // nearest two (one point: scaled in proportion to the width).
  std::vector<std::pair<double, double>> multiply, add;
  double accumulator_bits;  // a MAC's add, and a partial-sum add, are this wide
  // A MAC's energy when the source gives it whole (0: multiply + add at accumulator_bits).
  double mac_pj;
  double partial_sum_add_pj;  // 0: the add at accumulator_bits
  // Points (capacity in bytes, pJ per 64-bit access) of an SRAM read; writes cost the same.
  // Interpolated on log-log axes like the arithmetic (one point: the same at every size).
  std::vector<std::pair<double, double>> sram_64bit;
  double register_pj_per_byte;  // a PE's registers, read or written
  double interconnect_pj_per_byte;
  double dram_pj_per_bit;
  double core_leakage_mw;
};

const std::vector<EnergyTable>& energy_tables();
const EnergyTable* find_energy_table(const std::string& name);  // null when there is none
std::vector<std::string> energy_table_names();

// The table's entries at a data width, buffer entries 0 (they depend on the capacity).
EnergyParams table_entries(const EnergyTable& t, std::int64_t data_width_bits);
// pJ per byte read or written of an SRAM of `capacity_bytes`, by the table's rule.
double sram_pj_per_byte(const EnergyTable& t, std::int64_t capacity_bytes);

}  // namespace fusim
