#include "common/error.h"

namespace fusim {

namespace {
std::string format(const std::string& file, int line, const std::string& key,
                   const std::string& message) {
  std::string out;
  if (!file.empty()) out = file + (line > 0 ? ":" + std::to_string(line) : std::string()) + ": ";
  if (!key.empty()) out += "key '" + key + "': ";
  return out + message;
}
}  // namespace

InputError::InputError(std::string file, int line, std::string key, const std::string& message)
    : std::runtime_error(format(file, line, key, message)),
      file_(std::move(file)),
      line_(line),
      key_(std::move(key)),
      message_(message) {}

}  // namespace fusim
