// fusim's size limits on inputs (docs/limits-and-fuzzing.md, "Rejected inputs"). They keep every
// element, byte, MAC and cycle count of a run inside 64 bits with room to spare, and stop absurd
// inputs before anything is allocated for them. One place, so that the loaders agree.
#pragma once

#include <cstddef>
#include <cstdint>

namespace fusim::limits {

constexpr std::int64_t kMaxExtent = 1 << 16;    // height, width, kernel, stride, padding
constexpr std::int64_t kMaxChannels = 1 << 20;  // channels, features, filters, m, n, k
constexpr std::int64_t kMaxResize = 64;         // a resize's factor per dimension
constexpr std::int64_t kMaxBatch = 1 << 12;
constexpr std::int64_t kMaxElements = std::int64_t{1} << 40;  // one tensor, whole batch
constexpr std::int64_t kMaxLayerMacs = std::int64_t{1} << 52;
// The whole network's MACs (and vector operations), so that totals and cycle sums fit 64 bits:
// 100,000 layers at the per-layer limit would reach 2^69.
constexpr std::int64_t kMaxNetworkMacs = std::int64_t{1} << 60;
// A layer's input read once per output channel (the most a tiling can re-read it), in elements:
// keeps the cost model's off-chip byte counts inside 64 bits with 8-byte elements.
constexpr std::int64_t kMaxRereadElements = std::int64_t{1} << 58;
// Layers of one network, SCALE-Sim's per-channel expansion included: ten times the 10,000-layer
// chain that tests/scale holds to its time and memory bounds.
constexpr std::size_t kMaxLayers = 100000;
// Any input file. yaml-cpp needs 60-100 bytes of memory per byte of YAML (measured on network and
// program files), so this bounds a parse to about 2-3 GB. The largest shipped file is under
// 100 KiB and a 10,000-layer network about 1 MiB; a program for one (--schedule-in) can exceed it.
constexpr std::int64_t kMaxFileBytes = std::int64_t{32} << 20;
// YAML nesting: yaml-cpp's parser recurses once per level and stops itself at this depth
// (DepthGuard<500> in its singledocparser.cpp, yaml-cpp 0.7), which fusim reports clearly;
// fusim's formats nest at most 5 deep.
constexpr int kMaxYamlDepth = 500;
// Nodes in one -p value, whose aliases could otherwise expand exponentially when it is copied.
constexpr int kMaxOverrideNodes = 100000;

// Architecture parameters (the parameter tables' ranges).
constexpr std::int64_t kMaxCount = 1 << 16;  // rows, cols, lanes, channels, banks
// Each core is three SystemC threads with their own stacks. A sanitizer build runs out of memory
// mappings (vm.max_map_count, 65,530 by default) between 8,192 and 12,000 cores; 4,096 keeps a
// factor of two, and is a hundred times the core counts of the accelerators fusim models.
constexpr std::int64_t kMaxCores = 1 << 12;
// Any buffer capacity: one tile moves as one TLM transaction, whose length is 32 bits.
constexpr std::int64_t kMaxBufferBytes = (std::int64_t{1} << 32) - 1;
constexpr std::int64_t kMaxLatencyCycles = std::int64_t{1} << 32;
constexpr double kMaxBytesPerCycle = 1 << 20;

}  // namespace fusim::limits
