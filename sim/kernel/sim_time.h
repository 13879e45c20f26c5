// Simulated time is counted in accelerator clock cycles: one cycle is 1 ns of SystemC time at the
// default 1 ps resolution, so fractional cycles (from fractional bytes per cycle) are kept to
// 1/1000 of a cycle. The report converts cycles to seconds with the arch's clock.
#pragma once

#include <algorithm>
#include <cmath>

#include <systemc>

namespace fusim {

// SystemC's time is 64 bits of picoseconds and its conversion from a double goes through a
// signed 64-bit integer: beyond 2^63 ps (about 9.2e15 cycles) a time silently saturates or wraps.
// fusim caps simulated time well below, at 2^52 cycles, where cycles_to_time saturates;
// simulate() rejects a run that reaches the cap instead of reporting a wrong cycle count.
constexpr double kMaxSimCycles = 4503599627370496.0;  // 2^52

inline sc_core::sc_time cycles_to_time(double cycles) {
  return sc_core::sc_time(std::ceil(std::min(cycles, kMaxSimCycles) * 1000.0 - 1e-6),
                          sc_core::SC_PS);
}

inline double time_to_cycles(const sc_core::sc_time& t) {
  return t.to_seconds() * 1e9;
}

inline double now_cycles() {
  return time_to_cycles(sc_core::sc_time_stamp());
}

// A streaming resource (a DRAM channel, the interconnect, a buffer port): it serves `bytes` at
// `bytes_per_cycle` after it is free, first come first served. Returns when its service ends.
struct StreamResource {
  double bytes_per_cycle = 1;
  double free_at = 0;  // cycles
  double busy = 0;     // cycles spent serving
  double serve(double arrival, double bytes) {
    const double start = std::max(arrival, free_at);
    const double d = bytes / bytes_per_cycle;
    free_at = start + d;
    busy += d;
    return free_at;
  }
};

}  // namespace fusim
