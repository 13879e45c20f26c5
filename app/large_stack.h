#pragma once

#include <cstddef>

namespace fusim {

// The stack fusim's work runs on, whatever `ulimit -s` gives the main thread: parsing YAML
// (yaml-cpp recurses once per nesting level, up to its 500-level guard), the searches and
// SystemC's elaboration all run on it. (SystemC's threads have stacks of their own.)
inline constexpr std::size_t kWorkStackBytes = std::size_t{64} << 20;

// Runs `body(argc, argv)` on a thread with a stack of at least kWorkStackBytes and returns what
// it returns; the calling thread waits. When the main thread's stack limit is already that large
// (or unlimited), or no such thread can be made (ulimit -v), `body` runs on the calling thread.
// Only virtual memory is reserved: the pages of the stack are touched as they are used.
int run_on_large_stack(int (*body)(int, char**), int argc, char** argv);

}  // namespace fusim
