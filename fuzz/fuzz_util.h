// Shared by the fuzz harnesses: the loaders take file names, so each input is written to a file
// in a per-process folder first. A harness returns normally on success and on InputError (the
// one clear error fusim promises); anything else (another exception, a sanitizer report, a
// failed round-trip check) is a finding and aborts.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "temp_folder.h"  // tests/, on the harnesses' include path

namespace fusim::fuzz {

// Writes the input to `name` in this process's temporary folder and returns the path.
inline std::string write_input(const std::uint8_t* data, std::size_t size,
                               const std::string& name) {
  const std::string path = (fusim::test::process_temp_dir("fusim_fuzz_") / name).string();
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  return path;
}

inline std::string write_text(const std::string& text, const std::string& name) {
  return write_input(reinterpret_cast<const std::uint8_t*>(text.data()), text.size(), name);
}

// A broken invariant: print it and abort, which libFuzzer records as a crash.
[[noreturn]] inline void finding(const std::string& what) {
  std::fprintf(stderr, "fuzz finding: %s\n", what.c_str());
  std::abort();
}

}  // namespace fusim::fuzz
