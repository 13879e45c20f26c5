// The arch loader (configs/*.yaml, -p overrides): any bytes give an Arch or an InputError.
// Lines at the top of the input of the form "#p key=value" are passed as -p overrides (they are
// YAML comments to the file reader). An arch that loads must write out (arch_to_yaml) to a file
// that loads back to the same text.
#include <cstdint>
#include <sstream>
#include <string>
#include <vector>

#include "arch/arch.h"
#include "arch/arch_io.h"
#include "common/error.h"
#include "fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace fusim;
  const std::string text(reinterpret_cast<const char*>(data), size);
  std::vector<std::string> overrides;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line) && line.rfind("#p ", 0) == 0;)
    overrides.push_back(line.substr(3));
  std::string first;
  try {
    first = arch_to_yaml(load_arch(fuzz::write_text(text, "arch.yaml"), overrides));
  } catch (const InputError&) {
    return 0;
  }
  try {
    if (arch_to_yaml(load_arch(fuzz::write_text(first, "arch_written.yaml"), {})) != first)
      fuzz::finding("arch_to_yaml does not round-trip");
  } catch (const InputError& e) {
    fuzz::finding(std::string("the written arch does not load: ") + e.what());
  }
  return 0;
}
