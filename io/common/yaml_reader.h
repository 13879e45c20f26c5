// Strict reading of YAML maps: every key read is checked for type and range, every key not read
// is an error, and every error names the file, the line and the key path.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

namespace fusim {

// The whole of an input file as text; a missing file, a directory or a file beyond
// limits::kMaxFileBytes (also a pipe or a device that never ends) is an InputError.
std::string read_input_file(const std::string& path);
// Loads a YAML file; a missing file, a file too large (read_input_file), a syntax error or
// nesting deeper than limits::kMaxYamlDepth becomes an InputError.
YAML::Node load_yaml_file(const std::string& path);
// Parses YAML text (used for -p overrides); `origin` names the source in errors, which carry
// no line (the text is not a file).
YAML::Node load_yaml_string(const std::string& text, const std::string& origin);

// True when `s` is well-formed UTF-8 (no overlong forms, surrogates or code points past
// U+10FFFF). Names must be: they are written into report.json, which must be valid JSON.
bool is_valid_utf8(const std::string& s);

// `s` as a double-quoted YAML scalar that reads back as exactly `s` (for the files fusim writes).
std::string yaml_quoted(const std::string& s);

// A view of one YAML mapping. Reads mark keys as used; finish() rejects the keys never read.
// The node is shared (yaml-cpp nodes are handles); the reader never mutates it.
class YamlMap {
 public:
  YamlMap(YAML::Node node, std::string file, std::string path);

  bool has(const std::string& key) const;
  int line() const;                           // 1-based line of the map itself
  int line_of(const std::string& key) const;  // 1-based line of a key's value
  const std::string& file() const { return file_; }
  std::string path_of(const std::string& key) const;

  std::string get_string(const std::string& key);
  std::string get_string(const std::string& key, const std::string& fallback);
  std::int64_t get_int(const std::string& key, std::int64_t min, std::int64_t max);
  std::int64_t get_int(const std::string& key, std::int64_t min, std::int64_t max,
                       std::int64_t fallback);
  double get_double(const std::string& key, double min, double max);
  double get_double(const std::string& key, double min, double max, double fallback);
  bool get_bool(const std::string& key, bool fallback);
  // A value that is either a single integer or a list of `n` integers (e.g. kernel: 3 or [3, 1]).
  std::vector<std::int64_t> get_int_or_list(const std::string& key, std::size_t n, std::int64_t min,
                                            std::int64_t max, std::int64_t fallback);
  std::vector<std::string> get_string_list(const std::string& key);
  // One of `choices`; anything else is an error listing them.
  std::string get_choice(const std::string& key, const std::vector<std::string>& choices);
  std::string get_choice(const std::string& key, const std::vector<std::string>& choices,
                         const std::string& fallback);

  YamlMap get_map(const std::string& key);
  // A list of maps, e.g. `layers:`; each element is returned as a reader with path key[i].
  std::vector<YamlMap> get_map_list(const std::string& key);
  YAML::Node raw(const std::string& key);  // marks the key used; no checks
  // Names a key this map may hold that the caller does not read because it is absent (the arch
  // loader reads only the keys present); finish() then suggests it for a misspelt key.
  void allow(const std::string& key) { used_.insert(key); }

  // Throws on the first key that was never read, naming the nearest key that was read or
  // allowed when the unknown one looks like its misspelling.
  void finish() const;

  [[noreturn]] void fail(const std::string& key, const std::string& message) const;
  // A required `key` is absent. When an unread key of the map looks like its misspelling
  // (`out_channel` for `out_channels`), that key is reported as unknown, with the suggestion;
  // otherwise `key` is reported missing.
  [[noreturn]] void fail_missing(const std::string& key) const;

 private:
  YAML::Node value(const std::string& key);
  std::int64_t to_int(const YAML::Node& n, const std::string& key, std::int64_t min,
                      std::int64_t max) const;

  YAML::Node node_;
  std::string file_;
  std::string path_;
  std::set<std::string> used_;
};

}  // namespace fusim
