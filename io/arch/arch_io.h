// Reading and writing architecture YAML, driven by the parameter tables of model/arch (every key:
// docs/reference/arch-keys.md, generated from them by fusim_arch_keys).
#pragma once

#include <string>
#include <vector>

#include "arch/arch.h"

namespace fusim {

// The key naming a file an arch file extends (a loader feature, not a field of Arch).
constexpr const char* kArchBaseKey = "base";

// Loads an arch YAML file (keys: docs/reference/arch-keys.md), following `base:` files and
// then applying `overrides` ("key.path=value", from -p) in order. Throws InputError.
Arch load_arch(const std::string& path, const std::vector<std::string>& overrides = {});

// The resolved arch as YAML text in the input format, loadable again with load_arch.
std::string arch_to_yaml(const Arch& arch);

// The reference page of every arch key (docs/reference/arch-keys.md), from the tables.
std::string arch_keys_markdown();

}  // namespace fusim
