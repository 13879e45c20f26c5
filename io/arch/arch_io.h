// Reading and writing architecture YAML (the format: docs/arch-format.md).
#pragma once

#include <string>
#include <vector>

#include "arch/arch.h"

namespace fusim {

// Loads an arch YAML file (format: README, "Architecture format"), following `base:` files and
// then applying `overrides` ("key.path=value", from -p) in order. Throws InputError.
Arch load_arch(const std::string& path, const std::vector<std::string>& overrides = {});

// The resolved arch as YAML text in the input format, loadable again with load_arch.
std::string arch_to_yaml(const Arch& arch);

}  // namespace fusim
