#include "common/yaml_reader.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include <yaml-cpp/depthguard.h>

#include "common/error.h"
#include "common/limits.h"

namespace fusim {

namespace {

int line_of_node(const YAML::Node& n) {
  if (!n.IsDefined()) return 0;
  const YAML::Mark m = n.Mark();
  return m.line >= 0 ? m.line + 1 : 0;
}

// Edits (insertions, deletions, substitutions, swaps of neighbours) that turn `a` into `b`.
std::size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
  for (std::size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (std::size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t sub = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + sub});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.size()][b.size()];
}

// Close enough to be a misspelling: one edit between short names, two when either has six
// letters or more ("colums" for "cols"; "rows" and "cols" are two apart and both valid).
bool looks_misspelt(const std::string& typed, const std::string& name) {
  const std::size_t limit = std::max(typed.size(), name.size()) >= 6 ? 2 : 1;
  return typed != name && edit_distance(typed, name) <= limit;
}

// The name in `names` nearest to `typed` that `typed` looks like a misspelling of, or "".
std::string nearest_name(const std::string& typed, const std::set<std::string>& names) {
  std::string best;
  std::size_t best_d = 0;
  for (const std::string& n : names) {
    if (!looks_misspelt(typed, n)) continue;
    const std::size_t d = edit_distance(typed, n);
    if (best.empty() || d < best_d) best = n, best_d = d;
  }
  return best;
}

std::string unknown_key(const std::string& typed, const std::string& suggestion) {
  return "unknown key '" + typed + "'" +
         (suggestion.empty() ? "" : " (did you mean '" + suggestion + "'?)");
}

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
  return out;
}

// yaml-cpp's own guard against deep nesting (its parser recurses per level) throws
// DeepRecursion with the message "bad file"; say what is wrong instead.
std::string yaml_error_message(const YAML::Exception& e) {
  if (dynamic_cast<const YAML::DeepRecursion*>(&e)) {
    return "YAML nested too deeply (more than " + std::to_string(limits::kMaxYamlDepth) +
           " levels of lists and maps)";
  }
  return "malformed YAML: " + e.msg;
}

YAML::Node parse_checked(const std::string& text, const std::string& origin) {
  try {
    // A second document ("---") would be ignored by YAML::Load: which one counts is a guess.
    // Found by a line-by-line scan: yaml-cpp's LoadAll ran out of time and memory on a fuzzed
    // 686-byte input (fuzz/regressions/run/timeout-loadall.yaml).
    int line_no = 0;
    bool content = false;
    std::istringstream lines(text);
    for (std::string l; std::getline(lines, l);) {
      ++line_no;
      if (!l.empty() && l.back() == '\r') l.pop_back();
      const bool marker = l.rfind("---", 0) == 0 && (l.size() == 3 || l[3] == ' ' || l[3] == '\t');
      if (marker && content) {
        throw InputError(origin, line_no, "",
                         "holds more than one YAML document (a second starts here with '---'); "
                         "fusim reads one per file");
      }
      const auto first = l.find_first_not_of(" \t");
      if (marker || (first != std::string::npos && l[first] != '#' && l[0] != '%')) content = true;
    }
    return YAML::Load(text);
  } catch (const YAML::Exception& e) {
    throw InputError(origin, e.mark.line >= 0 ? e.mark.line + 1 : 0, "", yaml_error_message(e));
  }
}

std::string file_too_large(std::int64_t bytes_at_least) {
  return "file too large (" + std::string(bytes_at_least > limits::kMaxFileBytes ? "over " : "") +
         std::to_string(limits::kMaxFileBytes >> 20) + " MiB is fusim's limit for an input file)";
}

}  // namespace

std::string read_input_file(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    throw InputError(path, 0, "", "is a directory, not a file");
  }
  const auto size = std::filesystem::file_size(path, ec);  // fails for a pipe or a device
  if (!ec && size > static_cast<std::uintmax_t>(limits::kMaxFileBytes))
    throw InputError(path, 0, "", file_too_large(limits::kMaxFileBytes + 1));
  errno = 0;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    const int err = errno;  // the operating system's reason, when the stream kept it
    throw InputError(path, 0, "",
                     "cannot open file" + (err != 0 ? ": " + std::string(std::strerror(err)) : ""));
  }
  // Read at most one byte past the limit, so that /dev/zero or a pipe cannot exhaust memory.
  // On the heap: 64 KiB would be a whole small stack (ulimit -s 64).
  std::string text;
  std::vector<char> buf(std::size_t{1} << 16);
  while (in.read(buf.data(), static_cast<std::streamsize>(buf.size())) || in.gcount() > 0) {
    text.append(buf.data(), static_cast<std::size_t>(in.gcount()));
    if (static_cast<std::int64_t>(text.size()) > limits::kMaxFileBytes)
      throw InputError(path, 0, "", file_too_large(limits::kMaxFileBytes + 1));
  }
  if (in.bad()) {
    const int err = errno;
    throw InputError(path, 0, "",
                     "cannot read file" + (err != 0 ? ": " + std::string(std::strerror(err)) : ""));
  }
  return text;
}

YAML::Node load_yaml_file(const std::string& path) {
  YAML::Node root = parse_checked(read_input_file(path), path);
  if (!root.IsMap())
    throw InputError(path, line_of_node(root), "", "expected a YAML mapping at the top level");
  return root;
}

YAML::Node load_yaml_string(const std::string& text, const std::string& origin) {
  // `origin` is not a file (e.g. "-p key=value"), so a syntax error has no line to point at.
  try {
    return YAML::Load(text);
  } catch (const YAML::Exception& e) {
    throw InputError(origin, 0, "", yaml_error_message(e));
  }
}

bool is_valid_utf8(const std::string& s) {
  std::size_t i = 0;
  const std::size_t n = s.size();
  while (i < n) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t len = 0;
    std::uint32_t cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      len = 2, cp = c & 0x1Fu;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3, cp = c & 0x0Fu;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4, cp = c & 0x07u;
    } else {
      return false;
    }
    if (i + len > n) return false;
    for (std::size_t k = 1; k < len; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3Fu);
    }
    const std::uint32_t min = len == 2 ? 0x80 : len == 3 ? 0x800 : 0x10000;
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += len;
  }
  return true;
}

std::string yaml_quoted(const std::string& s) {
  std::string out = "\"";
  for (const char ch : s) {
    if (ch == '"' || ch == '\\') out += '\\';
    if (static_cast<unsigned char>(ch) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", static_cast<unsigned char>(ch));
      out += buf;
      continue;
    }
    out += ch;
  }
  return out + "\"";
}

YamlMap::YamlMap(YAML::Node node, std::string file, std::string path)
    : node_(std::move(node)), file_(std::move(file)), path_(std::move(path)) {
  if (!node_.IsMap()) {
    throw InputError(file_, line_of_node(node_), path_, "expected a mapping of keys to values");
  }
  std::set<std::string> seen;
  for (const auto& kv : node_) {
    if (!kv.first.IsScalar())
      throw InputError(file_, line_of_node(kv.first), path_, "keys must be plain names");
    const std::string k = kv.first.Scalar();
    // yaml-cpp reads a merge key as a plain key named "<<", so the keys it should bring in would
    // be reported missing: name it instead.
    if (k == "<<") {
      throw InputError(file_, line_of_node(kv.first), path_of(k),
                       "YAML merge keys (<<) are not supported: write the keys out");
    }
    if (!seen.insert(k).second) {
      throw InputError(file_, line_of_node(kv.first), path_of(k), "duplicate key");
    }
  }
}

bool YamlMap::has(const std::string& key) const {
  return static_cast<bool>(node_[key]);
}

int YamlMap::line() const {
  return line_of_node(node_);
}

int YamlMap::line_of(const std::string& key) const {
  const YAML::Node v = node_[key];
  return v ? line_of_node(v) : line();
}

std::string YamlMap::path_of(const std::string& key) const {
  return path_.empty() ? key : path_ + "." + key;
}

void YamlMap::fail(const std::string& key, const std::string& message) const {
  throw InputError(file_, line_of(key), key.empty() ? path_ : path_of(key), message);
}

void YamlMap::fail_missing(const std::string& key) const {
  // Only keys of three letters or more: a gemm's `n` is one edit from its missing `m`, and
  // both are valid.
  if (key.size() >= 3) {
    for (const auto& kv : node_) {
      const std::string k = kv.first.Scalar();
      if (!used_.count(k) && k.size() >= 3 && looks_misspelt(k, key))
        throw InputError(file_, line_of_node(kv.first), path_of(k), unknown_key(k, key));
    }
  }
  fail(key, "missing required key");
}

YAML::Node YamlMap::value(const std::string& key) {
  used_.insert(key);
  const YAML::Node v = node_[key];
  if (!v) fail_missing(key);
  if (v.IsNull()) fail(key, "has no value");
  return v;
}

YAML::Node YamlMap::raw(const std::string& key) {
  used_.insert(key);
  return node_[key];
}

std::string YamlMap::get_string(const std::string& key) {
  const YAML::Node v = value(key);
  if (!v.IsScalar()) fail(key, "expected a string");
  if (!is_valid_utf8(v.Scalar())) fail(key, "the text is not valid UTF-8");
  return v.Scalar();
}

std::string YamlMap::get_string(const std::string& key, const std::string& fallback) {
  return has(key) ? get_string(key) : (used_.insert(key), fallback);
}

std::int64_t YamlMap::to_int(const YAML::Node& n, const std::string& key, std::int64_t min,
                             std::int64_t max) const {
  if (!n.IsScalar()) fail(key, "expected an integer");
  const std::string& s = n.Scalar();
  errno = 0;
  char* end = nullptr;
  const long long v = std::strtoll(s.c_str(), &end, 10);
  if (s.empty() || end != s.c_str() + s.size() || errno == ERANGE) {
    fail(key, "expected an integer, got '" + s + "'");
  }
  if (v < min || v > max) {
    fail(key, "value " + s + " is out of range [" + std::to_string(min) + ", " +
                  std::to_string(max) + "]");
  }
  return v;
}

std::int64_t YamlMap::get_int(const std::string& key, std::int64_t min, std::int64_t max) {
  return to_int(value(key), key, min, max);
}

std::int64_t YamlMap::get_int(const std::string& key, std::int64_t min, std::int64_t max,
                              std::int64_t fallback) {
  return has(key) ? get_int(key, min, max) : (used_.insert(key), fallback);
}

double YamlMap::get_double(const std::string& key, double min, double max) {
  const YAML::Node v = value(key);
  if (!v.IsScalar()) fail(key, "expected a number");
  const std::string& s = v.Scalar();
  errno = 0;
  char* end = nullptr;
  const double d = std::strtod(s.c_str(), &end);
  if (s.empty() || end != s.c_str() + s.size() || errno == ERANGE || !std::isfinite(d)) {
    fail(key, "expected a number, got '" + s + "'");
  }
  if (d < min || d > max) {
    std::ostringstream msg;
    msg << "value " << s << " is out of range [" << min << ", " << max << "]";
    fail(key, msg.str());
  }
  return d;
}

double YamlMap::get_double(const std::string& key, double min, double max, double fallback) {
  return has(key) ? get_double(key, min, max) : (used_.insert(key), fallback);
}

bool YamlMap::get_bool(const std::string& key, bool fallback) {
  if (!has(key)) {
    used_.insert(key);
    return fallback;
  }
  const YAML::Node v = value(key);
  if (v.IsScalar()) {
    const std::string& s = v.Scalar();
    if (s == "true") return true;
    if (s == "false") return false;
  }
  fail(key, "expected true or false");
}

std::vector<std::int64_t> YamlMap::get_int_or_list(const std::string& key, std::size_t n,
                                                   std::int64_t min, std::int64_t max,
                                                   std::int64_t fallback) {
  if (!has(key)) {
    used_.insert(key);
    return std::vector<std::int64_t>(n, fallback);
  }
  const YAML::Node v = value(key);
  if (v.IsScalar()) return std::vector<std::int64_t>(n, to_int(v, key, min, max));
  if (!v.IsSequence() || v.size() != n) {
    fail(key, "expected an integer or a list of " + std::to_string(n) + " integers");
  }
  std::vector<std::int64_t> out;
  for (const auto& e : v) out.push_back(to_int(e, key, min, max));
  return out;
}

std::vector<std::string> YamlMap::get_string_list(const std::string& key) {
  const YAML::Node v = value(key);
  if (!v.IsSequence()) fail(key, "expected a list of names");
  std::vector<std::string> out;
  for (const auto& e : v) {
    if (!e.IsScalar()) fail(key, "expected a list of names");
    if (!is_valid_utf8(e.Scalar())) fail(key, "the text is not valid UTF-8");
    out.push_back(e.Scalar());
  }
  return out;
}

std::string YamlMap::get_choice(const std::string& key, const std::vector<std::string>& choices) {
  const std::string s = get_string(key);
  for (const auto& c : choices) {
    if (c == s) return s;
  }
  fail(key, "unknown value '" + s + "' (expected one of: " + join(choices) + ")");
}

std::string YamlMap::get_choice(const std::string& key, const std::vector<std::string>& choices,
                                const std::string& fallback) {
  return has(key) ? get_choice(key, choices) : (used_.insert(key), fallback);
}

YamlMap YamlMap::get_map(const std::string& key) {
  const YAML::Node v = value(key);
  if (!v.IsMap()) fail(key, "expected a mapping of keys to values");
  return YamlMap(v, file_, path_of(key));
}

std::vector<YamlMap> YamlMap::get_map_list(const std::string& key) {
  const YAML::Node v = value(key);
  if (!v.IsSequence()) fail(key, "expected a list");
  std::vector<YamlMap> out;
  std::size_t i = 0;
  for (const auto& e : v) {
    const std::string p = path_of(key) + "[" + std::to_string(i++) + "]";
    if (!e.IsMap())
      throw InputError(file_, line_of_node(e), p, "expected a mapping of keys to values");
    out.emplace_back(e, file_, p);
  }
  return out;
}

void YamlMap::finish() const {
  for (const auto& kv : node_) {
    const std::string k = kv.first.Scalar();
    if (!used_.count(k)) {
      throw InputError(file_, line_of_node(kv.first), path_of(k),
                       unknown_key(k, nearest_name(k, used_)));
    }
  }
}

}  // namespace fusim
