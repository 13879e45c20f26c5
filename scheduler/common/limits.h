// fusim's size limits on inputs (README, "Rejected inputs"). They keep every element, byte, MAC
// and cycle count of a run inside 64 bits with room to spare, and stop absurd inputs before
// anything is allocated for them. One place, so that the loaders agree.
#pragma once

#include <cstddef>
#include <cstdint>

namespace fusim::limits {

constexpr std::int64_t kMaxExtent = 1 << 16;    // height, width, kernel, stride, padding
constexpr std::int64_t kMaxChannels = 1 << 20;  // channels, features, filters, m, n, k
constexpr std::int64_t kMaxBatch = 1 << 12;
constexpr std::int64_t kMaxElements = std::int64_t{1} << 40;  // one tensor, whole batch
constexpr std::int64_t kMaxLayerMacs = std::int64_t{1} << 52;
constexpr std::size_t kMaxLayers = 1 << 20;
// Any input file. yaml-cpp needs a few hundred bytes per node, so this bounds its memory to a
// few GB at worst; the largest shipped file is under 100 KiB and a 10,000-layer network ~1 MiB.
constexpr std::int64_t kMaxFileBytes = std::int64_t{64} << 20;
// YAML nesting: yaml-cpp's parser recurses once per level and stops itself at this depth
// (DepthGuard<500> in its singledocparser.cpp, yaml-cpp 0.7), which fusim reports clearly;
// fusim's formats nest at most 5 deep.
constexpr int kMaxYamlDepth = 500;
// Nodes in one -p value, whose aliases could otherwise expand exponentially when it is copied.
constexpr int kMaxOverrideNodes = 100000;

}  // namespace fusim::limits
