#include "common/params.h"

#include <cstdio>
#include <cstdlib>
#include <string>

namespace fusim {

const Param* ParamTable::find(const std::string& key) const {
  for (const Param& p : params) {
    if (key == p.key) return &p;
  }
  return nullptr;
}

bool param_applies(const ParamTable& table, const Param& p, const void* owner) {
  if (!p.only_key) return true;
  const Param* sel = table.find(p.only_key);
  if (!sel) return true;
  if (sel->type == ParamType::Choice) {
    return sel->choices[static_cast<std::size_t>(sel->get_choice(owner))] == p.only_value;
  }
  if (sel->type == ParamType::Names) {
    const auto set = *static_cast<const std::uint32_t*>(sel->cfield(owner));
    for (std::size_t i = 0; i < sel->choices.size(); ++i) {
      if (sel->choices[i] == p.only_value) return (set >> i & 1u) != 0;
    }
    return false;
  }
  if (sel->type == ParamType::Text) {
    return *static_cast<const std::string*>(sel->cfield(owner)) == p.only_value;
  }
  return true;
}

std::string param_path(const ParamTable& table, const void* root, const void* field) {
  for (const Param& p : table.params) {
    if (p.is_map()) {
      void* sub = p.type == ParamType::Map ? p.field(const_cast<void*>(root))
                                           : p.present(const_cast<void*>(root));
      if (!sub) continue;
      const std::string rest = param_path(p.table(), sub, field);
      if (!rest.empty()) return std::string(p.key) + "." + rest;
    } else if (p.cfield(root) == field) {
      return p.key;
    }
  }
  return "";
}

std::string format_real(double v) {
  if (v == static_cast<double>(static_cast<std::int64_t>(v)) && v > -1e15 && v < 1e15)
    return std::to_string(static_cast<std::int64_t>(v));
  char buf[32];
  for (int precision = 1; precision <= 17; ++precision) {
    std::snprintf(buf, sizeof buf, "%.*g", precision, v);
    if (std::strtod(buf, nullptr) == v) break;
  }
  return buf;
}

}  // namespace fusim
