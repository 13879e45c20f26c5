// A process's temporary folder, shared by the tests and the fuzz harnesses.
#pragma once

#include <filesystem>
#include <string>
#include <system_error>

#include <unistd.h>

namespace fusim::test {

// <temp>/<prefix><pid>, made on first use and removed with everything in it when the process
// exits normally. Each CTest test and each fuzz run is a process of its own, so a folder left
// behind per process fills the disk over a suite run (as it did a CI machine's /tmp).
class TempFolder {
 public:
  explicit TempFolder(const std::string& prefix)
      : path_(std::filesystem::temp_directory_path() / (prefix + std::to_string(::getpid()))) {
    std::filesystem::create_directories(path_);
  }
  TempFolder(const TempFolder&) = delete;
  TempFolder& operator=(const TempFolder&) = delete;
  ~TempFolder() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// This process's temporary folder, made on the first call (whose prefix names it) and removed
// when the process exits normally; a crash leaves it (beside a fuzz finding).
inline const std::filesystem::path& process_temp_dir(const std::string& prefix) {
  static const TempFolder folder(prefix);
  return folder.path();
}

}  // namespace fusim::test
