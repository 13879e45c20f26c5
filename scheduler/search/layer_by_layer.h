// The no-fusion baseline: every layer is its own group, split across all cores.
#pragma once

#include "arch/arch.h"
#include "network/network.h"
#include "schedule/schedule.h"

namespace fusim {

Schedule schedule_layer_by_layer(const Network& net, const Arch& arch);

}  // namespace fusim
