#include "common/error.h"

namespace fusim {

namespace {

// Control characters as JSON writes them (\n, \t, \u001b, ...), so that a file or layer name
// holding one cannot split the error's one line or drive the terminal.
std::string escape_controls(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u != 0x7f) {
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\r') {
      out += "\\r";
    } else {
      static const char* hex = "0123456789abcdef";
      out += "\\u00";
      out += hex[u >> 4];
      out += hex[u & 15];
    }
  }
  return out;
}

std::string format(const std::string& file, int line, const std::string& key,
                   const std::string& message) {
  std::string out;
  if (!file.empty()) out = file + (line > 0 ? ":" + std::to_string(line) : std::string()) + ": ";
  if (!key.empty()) out += "key '" + key + "': ";
  return escape_controls(out + message);
}

}  // namespace

InputError::InputError(std::string file, int line, std::string key, const std::string& message)
    : std::runtime_error(format(file, line, key, message)),
      file_(std::move(file)),
      line_(line),
      key_(std::move(key)),
      message_(message) {}

}  // namespace fusim
