// Errors raised on bad user input. They are caught once, in main, and printed as one line.
#pragma once

#include <stdexcept>
#include <string>

namespace fusim {

// A problem with something the user gave us: a file, a key, a value, a command-line argument.
// `file` is the path as the user wrote it, `line` is 1-based (0 when unknown), `key` is a dotted
// key path such as "layers[3].kernel" (empty when the problem is with the file as a whole).
class InputError : public std::runtime_error {
 public:
  InputError(std::string file, int line, std::string key, const std::string& message);

  const std::string& file() const { return file_; }
  int line() const { return line_; }
  const std::string& key() const { return key_; }
  const std::string& message() const { return message_; }  // without file, line and key

 private:
  std::string file_;
  int line_;
  std::string key_;
  std::string message_;
};

}  // namespace fusim
