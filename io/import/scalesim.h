// Readers for SCALE-Sim v2's own input files (scalesim-project/scale-sim-v2): the topology CSV
// (convolution form or M, N, K form) and the architecture .cfg. Conventions: docs/importers.md.
// Errors are InputError naming the file, the 1-based line and the column or key.
#pragma once

#include <string>

#include "arch/arch.h"
#include "network/network.h"

namespace fusim {

// One layer per CSV row, in file order, each reading its own network input "<name>_ifmap"
// (SCALE-Sim simulates layers independently). Convolution rows become conv layers with padding 0
// (SCALE-Sim's IFMAP sizes already include it) and SCALE-Sim's output rounding (ceil_mode); a row
// with Num Filter 1 stands for a depthwise layer and is kept as a one-filter dense conv over all
// channels (SCALE-Sim's MACs and PE-array mapping) unless `true_depthwise`, which makes it a real
// depthwise conv (groups = channels = out_channels) on the vector unit. A row whose name
// contains "DP" is expanded per channel as SCALE-Sim does. M, N, K rows become gemm layers.
Network load_scalesim_topology(const std::string& csv_path, bool true_depthwise);

// The .cfg as a one-core Arch (mapping and assumptions: docs/importers.md).
Arch load_scalesim_config(const std::string& cfg_path);

}  // namespace fusim
