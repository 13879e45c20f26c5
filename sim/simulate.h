// Runs a Program on the SystemC model of an arch. Each call builds a fresh simulation context,
// so calls are independent and may be repeated in one process (tests, sweeps).
#pragma once

#include "arch/arch.h"
#include "network/network.h"
#include "schedule/program.h"
#include "stats/sim_stats.h"

namespace fusim {

// Throws InputError when the program deadlocks (a buffer never frees enough for an allocation).
SimResult simulate(const Network& net, const Arch& arch, const Program& program);

}  // namespace fusim
