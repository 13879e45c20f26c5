// Derived figures: the one place where utilisation, time, bandwidth and hit rates are computed
// from counters, for the stats tree (report.json, CSVs) and the stdout summary alike.
#pragma once

#include <cmath>
#include <cstdint>

namespace fusim {

// A time in (fractional) cycles as whole cycles, rounded up; an epsilon absorbs float noise.
inline std::int64_t whole_cycles(double cycles) {
  return static_cast<std::int64_t>(std::ceil(cycles - 1e-9));
}

// Seconds of `cycles` at `clock_mhz`.
inline double seconds(std::int64_t cycles, double clock_mhz) {
  return static_cast<double>(cycles) / (clock_mhz * 1e6);
}

// MACs over cycles times the peak MACs per cycle; 0 for a run of 0 cycles (a network of concats
// alone does no work).
inline double mac_utilisation(std::int64_t macs, std::int64_t cycles, double peak_per_cycle) {
  if (cycles <= 0 || peak_per_cycle <= 0) return 0;
  return static_cast<double>(macs) / (static_cast<double>(cycles) * peak_per_cycle);
}

// Busy cycles over the run's cycles; 0 for a run of 0 cycles.
inline double busy_fraction(double busy_cycles, std::int64_t cycles) {
  return cycles > 0 ? busy_cycles / static_cast<double>(cycles) : 0.0;
}

// Bytes moved over `cycles` at `clock_mhz`, in GB/s (1e9 bytes per second); 0 for no time.
inline double gbytes_per_s(double bytes, double cycles, double clock_mhz) {
  return cycles > 0 ? bytes / cycles * clock_mhz * 1e6 / 1e9 : 0.0;
}

// DRAM row-hit rate, or -1 when no request was classified (the simple model classifies none).
inline double row_hit_rate(std::int64_t hits, std::int64_t misses, std::int64_t conflicts) {
  const std::int64_t n = hits + misses + conflicts;
  return n > 0 ? static_cast<double>(hits) / static_cast<double>(n) : -1.0;
}

}  // namespace fusim
