// SCALE-Sim architecture .cfg reader (--arch x.cfg): an Arch or an InputError. A .cfg that loads
// must convert to fusim YAML that loads back to the same text.
#include <cstdint>

#include "arch/arch.h"
#include "arch/arch_io.h"
#include "common/error.h"
#include "fuzz_util.h"
#include "import/scalesim.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace fusim;
  std::string first;
  try {
    first = arch_to_yaml(load_scalesim_config(fuzz::write_input(data, size, "arch.cfg")));
  } catch (const InputError&) {
    return 0;
  }
  try {
    if (arch_to_yaml(load_arch(fuzz::write_text(first, "cfg.yaml"), {})) != first)
      fuzz::finding("the converted .cfg does not round-trip");
  } catch (const InputError& e) {
    fuzz::finding(std::string("the converted .cfg does not load: ") + e.what());
  }
  return 0;
}
