// The memory cost model of a schedule group: predicted off-chip bytes, by kind, from the tiling
// alone (no commands, no simulation). The simulator must move exactly these bytes.
#pragma once

#include "arch/arch.h"
#include "cost/tiling.h"
#include "network/network.h"
#include "schedule/schedule.h"

namespace fusim {

Traffic predict_group_traffic(const Network& net, const Arch& arch, const Group& group);

}  // namespace fusim
