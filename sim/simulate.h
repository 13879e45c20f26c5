// Runs a Program on the SystemC model of an arch. Each call builds a fresh simulation context,
// so calls are independent and may be repeated in one process (tests, sweeps).
#pragma once

#include "arch/arch.h"
#include "common/error.h"
#include "network/network.h"
#include "schedule/program.h"
#include "stats/sim_stats.h"

namespace fusim {

// A program that never finishes: a command waits for room in a buffer that nothing left to run
// frees. Whether that is the user's fault (a --schedule-in program) or fusim's (a program it
// made) is for the caller to say.
class Deadlock : public InputError {
 public:
  using InputError::InputError;
};

// Throws Deadlock when the program deadlocks, InputError when it runs past simulated time.
// With `trace`, the result also holds what --trace shows (SimResult::trace).
SimResult simulate(const Network& net, const Arch& arch, const Program& program,
                   bool trace = false);

}  // namespace fusim
