// Simulated time is counted in accelerator clock cycles: one cycle is 1 ns of SystemC time at the
// default 1 ps resolution, so fractional cycles (from fractional bytes per cycle) are kept to
// 1/1000 of a cycle. The report converts cycles to seconds with the arch's clock.
#pragma once

#include <cmath>

#include <systemc>

namespace fusim {

inline sc_core::sc_time cycles_to_time(double cycles) {
  return sc_core::sc_time(std::ceil(cycles * 1000.0 - 1e-6), sc_core::SC_PS);
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
