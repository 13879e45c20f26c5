// fusim_arch_keys: prints docs/reference/arch-keys.md, the reference of every arch key, from the
// parameter tables. A CTest test (arch_keys_doc) fails when the committed page differs.
#include <iostream>

#include "arch/arch_io.h"

int main() {
  std::cout << fusim::arch_keys_markdown();
  return 0;
}
