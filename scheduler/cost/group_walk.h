// One walk of a scheduled group over all its cores, for the lowering, the program-size guard and
// the program reader's work check (the cost model walks the same steps per candidate).
#pragma once

#include <cstdint>
#include <functional>

#include "arch/arch.h"
#include "cost/tile_sink.h"
#include "network/network.h"
#include "schedule/schedule.h"

namespace fusim {

// Walks every core of `group` into sink_for(core): a tiled group's bands of row tiles (its
// `tiles` resolved, at least the cores), a single layer's grid (cost/layer_walk.h), or a
// layerwise group's members one after another, each as its single-layer grid on the group's
// cores, calling `barrier` between consecutive members that run a kernel (layer_has_kernel).
void walk_group(const Network& net, const Arch& arch, const Group& group,
                const std::function<TileSink&(std::int64_t)>& sink_for,
                const std::function<void()>& barrier = {});

}  // namespace fusim
