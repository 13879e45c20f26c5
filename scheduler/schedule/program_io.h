// Reading and writing programs as YAML (--schedule-out, --schedule-in).
#pragma once

#include <string>

#include "arch/arch.h"
#include "network/network.h"
#include "schedule/program.h"

namespace fusim {

// YAML round trip. Loading checks the program against the network and arch and throws
// InputError naming the file, line and key of the first problem.
std::string program_to_yaml(const Program& p, const Network& net);
Program load_program(const std::string& path, const Network& net, const Arch& arch);

}  // namespace fusim
