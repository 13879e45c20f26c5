#include "arch/energy_tables.h"

#include <cmath>

namespace fusim {

namespace {

// y at x through `points` (x increasing), linear on log-log axes between neighbours and along
// the nearest segment outside them.
double log_log(const std::vector<std::pair<double, double>>& points, double x) {
  if (points.empty()) return 0;
  if (points.size() == 1) return points.front().second;
  std::size_t i = 1;
  while (i + 1 < points.size() && x > points[i].first) ++i;
  const auto [x0, y0] = points[i - 1];
  const auto [x1, y1] = points[i];
  const double slope = std::log(y1 / y0) / std::log(x1 / x0);
  return y0 * std::exp(slope * std::log(x / x0));
}

// Horowitz, "Computing's energy problem (and what we can do about it)", ISSCC 2014, 45 nm,
// 0.9 V: integer add 8 b 0.03 pJ, 16 b 0.05, 32 b 0.1; integer multiply 8 b 0.2, 32 b 3.1;
// SRAM (cache) 64-bit read 8 KB 10 pJ, 32 KB 20 pJ, 1 MB 100 pJ; DRAM 1.3-2.6 nJ per 64-bit
// access (the lower end here: 20.3 pJ/bit). No interconnect or leakage figures: 0. No register
// figure either: the SRAM rule taken down to a 32-byte register file (0.625 pJ per 64 bits,
// 0.078 pJ per byte), the size of the ARCHON artifact's PE scratchpads (12 and 16 words of 16
// bits), whose own figures are of the same order (0.125 and 0.151 pJ per byte at most).
EnergyTable horowitz_45nm() {
  const std::vector<std::pair<double, double>> sram = {
      {8 * 1024.0, 10}, {32 * 1024.0, 20}, {1024 * 1024.0, 100}};
  return EnergyTable{
      "horowitz-45nm",
      "M. Horowitz, Computing's energy problem (and what we can do about it), ISSCC 2014, "
      "45 nm",
      {{8, 0.2}, {32, 3.1}},
      {{8, 0.03}, {16, 0.05}, {32, 0.1}},
      32,
      0,
      0,
      sram,
      log_log(sram, 32) / 8,
      0,
      1300.0 / 64,
      0,
  };
}

// The ICS'21 ARCHON artifact (compstruct/fusion-timeloop-model), Accelergy's 45 nm ERT for
// 16-bit words (area/baseline_output/ERT.yaml and area/fusion_overhead_output/ERT.yaml): intmac
// mac_random 2.2 pJ, 20-bit intadder 0.054 pJ (partial sums and vector operations alike), SRAM
// per 64-bit read: the 100 KB shared_glb 49.35 pJ and the 448-byte weights_spad 0.759 pJ per
// 16-bit read (3.036 per 64 bits); PE registers: the 12-word ifmap_spad, 0.251 pJ per 16-bit
// read at most (0.1255 per byte); DRAM (LPDDR4, the Accelergy CACTI plug-in) 512 pJ per 64-bit
// access, 8 pJ/bit. Its MAC figure is for 16-bit data whatever the arch's width.
EnergyTable archon_ics21() {
  return EnergyTable{
      "archon-ics21",
      "Olyaiy, Ng, Lis, Accelerating DNNs inference with predictive layer fusion, ICS 2021: "
      "the artifact's Accelergy ERT, 45 nm, 16-bit words",
      {{16, 2.2}},
      {{16, 0.054}},
      16,
      2.2,
      0.054,
      {{448, 0.759 * 4}, {100 * 1024.0, 49.35}},
      0.251 / 2,
      0,
      8,
      0,
  };
}

}  // namespace

const std::vector<EnergyTable>& energy_tables() {
  static const std::vector<EnergyTable> tables = {horowitz_45nm(), archon_ics21()};
  return tables;
}

const EnergyTable* find_energy_table(const std::string& name) {
  for (const EnergyTable& t : energy_tables()) {
    if (name == t.name) return &t;
  }
  return nullptr;
}

std::vector<std::string> energy_table_names() {
  std::vector<std::string> names;
  for (const EnergyTable& t : energy_tables()) names.emplace_back(t.name);
  return names;
}

// A mask test (an AND of two bits) against a 32-bit add: ALADDIN's 40 nm characterisation of
// its functional units (Shao et al., ISCA 2014; its power model, as tabulated in Accelergy's
// Aladdin plug-in) gives a 32-bit bitwise operation 0.0181 pJ and a 32-bit add 0.21 pJ; one bit
// of the former is 0.0181 / 32 / 0.21 of the latter. Neither table has a logic-gate figure: the
// ratio scales the table's own 32-bit add.
constexpr double kMaskTestPerAdd32 = 0.0181 / 32 / 0.21;

EnergyParams table_entries(const EnergyTable& t, std::int64_t data_width_bits) {
  const auto bits = static_cast<double>(data_width_bits);
  const auto scaled = [bits](const std::vector<std::pair<double, double>>& pts) {
    if (pts.size() == 1) return pts.front().second * bits / pts.front().first;
    return log_log(pts, bits);
  };
  EnergyParams e;
  e.table = t.name;
  const double acc_add = log_log(t.add, t.accumulator_bits);
  e.mac_pj = t.mac_pj > 0 ? t.mac_pj : scaled(t.multiply) + acc_add;
  e.add_pj = t.partial_sum_add_pj > 0 ? t.partial_sum_add_pj : acc_add;
  e.vector_op_pj = scaled(t.add);
  const double add32 =
      t.add.size() == 1 ? t.add.front().second * 32 / t.add.front().first : log_log(t.add, 32);
  e.mask_pj = kMaskTestPerAdd32 * add32;
  e.register_pj_per_byte = t.register_pj_per_byte;
  e.interconnect_pj_per_byte = t.interconnect_pj_per_byte;
  e.dram_pj_per_bit = t.dram_pj_per_bit;
  e.core_leakage_mw = t.core_leakage_mw;
  return e;
}

double sram_pj_per_byte(const EnergyTable& t, std::int64_t capacity_bytes) {
  return log_log(t.sram_64bit, static_cast<double>(capacity_bytes)) / 8.0;
}

}  // namespace fusim
