// A schedule: the network partitioned into groups (kernels), each run on some number of cores.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace fusim {

struct Group {
  std::vector<int> layers;  // network layer indices, in topological order
  std::int64_t cores = 1;   // cores the group is split across
};

struct Schedule {
  std::string algorithm;  // which search produced it ("none" = layer by layer)
  std::vector<Group> groups;
};

}  // namespace fusim
