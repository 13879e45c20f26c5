// Reading and writing network YAML (the format: docs/network-format.md).
#pragma once

#include <string>

#include "network/network.h"

namespace fusim {

// Loads a network YAML file (format: docs/network-format.md).
Network load_network(const std::string& path);

// The network in that format, every key explicit; load_network reads it back to the same network.
std::string network_to_yaml(const Network& net);

}  // namespace fusim
