// The bottleneck rewrite: on an arch whose cores have the fused-bottleneck engine (ARCHON,
// engines/fused_bottleneck/), every inverted-bottleneck block of the network becomes one conv
// that the engine runs (Layer::FusedBlock); the other layers stay as they are and run on the
// core's other engines. A block is, in any network:
//   expand:    a 1x1 conv, stride 1, no padding, `g` groups (not depthwise), ReLU, read only by
//   depthwise: a depthwise conv with a square window, no dilation, ReLU, read only by
//   project:   a 1x1 conv, stride 1, no padding, the same `g` groups, no activation.
// (The identity of docs/archon.md needs both ReLUs: relu6 clips above and is not fused, nor is
// a block whose intermediate maps another layer reads.) A block is fused where the cost model
// finds the fused conv feasible (one output channel's fused weights fit the weight buffer,
// through which the engine streams them) and estimates it faster than the block unfused (its
// three layers in one fused group, or each alone, whichever is faster) on all the arch's cores.
// The fused conv reads the expand's input with the depthwise window and groups g, writes the
// project's output, and is named "expand+depthwise+project".
#pragma once

#include "arch/arch.h"
#include "network/network.h"

namespace fusim {

// True when the arch's cores have the fused-bottleneck engine.
bool has_fused_bottleneck(const Arch& arch);

// How many blocks the rewrite found, and how many of them it fused.
struct BottleneckCount {
  int found = 0, fused = 0;
};

// The network with its blocks fused when the arch has the engine; a copy of it otherwise.
// `file` names the network file in errors (none is expected: the rewrite keeps every shape);
// `count`, when given, says how many blocks there were and how many were fused.
Network fuse_bottlenecks(const Network& net, const Arch& arch, const std::string& file,
                         BottleneckCount* count = nullptr);

}  // namespace fusim
