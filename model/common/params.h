// Parameter tables: each parameter struct declares its keys once, beside the struct, as a table
// of key, type, range, whether it is required, unit and description. The table drives the
// loader (io/arch: reading, unknown keys, required keys), the resolved arch it writes, and the
// generated reference page (docs/reference/arch-keys.md). A table knows no YAML: it reaches the
// fields through accessors made from member pointers. Defaults are the structs' member
// initialisers, read from a default-constructed struct; they are written nowhere else.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

namespace fusim {

enum class ParamType : std::uint8_t {
  Int,          // std::int64_t in [min, max]
  Real,         // double in [min, max]
  Text,         // std::string; one of `choices` when there are any
  Choice,       // an enum: one of `choices`, the index being the enum's value
  Names,        // a set of `choices`, a bit each (std::uint32_t), written as a list
  Map,          // a nested table: a struct, or more keys of the same struct (no member path)
  OptionalMap,  // a nested table over a std::optional struct, present when the key is given
};

enum class Need : std::uint8_t {
  Default,                // optional; the member initialiser (or default_text) is the default
  Required,               // must be set by some file or -p
  RequiredWithoutPreset,  // must be set unless the table's owner names a preset
};

struct ParamTable;

struct Param {
  const char* key = "";
  ParamType type = ParamType::Int;
  Need need = Need::Default;
  const char* unit = "";
  const char* description = "";
  double min = 0, max = 0;                 // Int, Real: the accepted range, inclusive
  std::vector<std::string> choices;        // Choice, Names; Text: the accepted values, if any
  const ParamTable& (*table)() = nullptr;  // Map, OptionalMap
  std::string default_text;                // docs: a default that is derived, not a value
  // Applies only when the sibling key `only_key` has the value `only_value` (a Choice equal to
  // it, a Names set holding it); set while it does not apply it is refused with `only_error`.
  const char* only_key = nullptr;
  std::string only_value;
  std::string only_error;
  bool from_preset = false;   // a preset fills it when it is not set
  bool names_preset = false;  // Text: the name of the preset of its table (empty: none)
  bool written = true;        // false: resolved away, not in the resolved arch (e.g. the preset)
  std::string (*check)(const void* owner) = nullptr;  // after reading: why it is refused, or ""

  // The field within its owner: int64/double/string/uint32 for Int/Real/Text/Names, the enum
  // for Choice (read and written through get_choice/set_choice), the nested struct for Map. Made by
  // the builders below from member pointers.
  void* (*field)(void* owner) = nullptr;
  int (*get_choice)(const void* owner) = nullptr;  // Choice
  void (*set_choice)(void* owner, int index) = nullptr;
  void* (*present)(void* owner) = nullptr;  // OptionalMap: the struct, or null when absent
  void* (*emplace)(void* owner) = nullptr;  // OptionalMap: the struct, created if absent

  // Modifiers for the table literals.
  Param required() && { return need = Need::Required, std::move(*this); }
  Param required_without_preset() && {
    return need = Need::RequiredWithoutPreset, std::move(*this);
  }
  Param filled_by_preset() && { return from_preset = true, std::move(*this); }
  Param names_the_preset() && { return names_preset = true, std::move(*this); }
  Param not_written() && { return written = false, std::move(*this); }
  Param with_default(std::string text) && {
    return default_text = std::move(text), std::move(*this);
  }
  Param with_check(std::string (*f)(const void*)) && { return check = f, std::move(*this); }
  Param only_when(const char* selector, std::string value, std::string error) && {
    only_key = selector, only_value = std::move(value), only_error = std::move(error);
    return std::move(*this);
  }

  bool is_map() const { return type == ParamType::Map || type == ParamType::OptionalMap; }
  const void* cfield(const void* owner) const { return field(const_cast<void*>(owner)); }
};

struct ParamTable {
  const char* title;          // the struct, for the docs ("DRAM", "PE array")
  std::vector<Param> params;  // in reading and writing order

  const Param* find(const std::string& key) const;
};

// True when `p` applies to `owner` (the struct of `p`'s table): it has no condition, or its
// sibling selector holds the value it names.
bool param_applies(const ParamTable& table, const Param& p, const void* owner);

// The key path of a field, found by its address below `root` (whose table is `table`): e.g.
// param_path(arch_params(), &arch, &arch.dram.row_bytes) is "dram.row_bytes". Lets code that
// checks a rule between keys name them without spelling them again. "" when not found.
std::string param_path(const ParamTable& table, const void* root, const void* field);

// A value as text, for the docs and the resolved arch: integers exactly, reals as the shortest
// decimal that reads back to the same double.
std::string format_real(double v);

namespace params {

template <class M>
struct member_of;
template <class S, class F>
struct member_of<F S::*> {
  using owner = S;
  using type = F;
};

// Applies a chain of member pointers: at<&A::b, &B::c>(a) is a.b.c.
template <auto M, auto... Ms, class T>
auto& at(T& t) {
  if constexpr (sizeof...(Ms) == 0)
    return t.*M;
  else
    return at<Ms...>(t.*M);
}

template <auto M, auto... Ms>
struct first_owner {
  using type = typename member_of<decltype(M)>::owner;
};
template <auto... Ms>
using owner_t = typename first_owner<Ms...>::type;

template <auto... Ms>
void* field_of(void* o) {
  if constexpr (sizeof...(Ms) == 0) {
    return o;
  } else {
    return &at<Ms...>(*static_cast<owner_t<Ms...>*>(o));
  }
}

inline Param base(const char* key, ParamType type, const char* unit, const char* description) {
  Param p;
  p.key = key;
  p.type = type;
  p.unit = unit;
  p.description = description;
  return p;
}

template <auto... Ms>
Param integer(const char* key, std::int64_t min, std::int64_t max, const char* unit,
              const char* description) {
  Param p = base(key, ParamType::Int, unit, description);
  p.min = static_cast<double>(min);
  p.max = static_cast<double>(max);
  p.field = &field_of<Ms...>;
  return p;
}

template <auto... Ms>
Param real(const char* key, double min, double max, const char* unit, const char* description) {
  Param p = base(key, ParamType::Real, unit, description);
  p.min = min;
  p.max = max;
  p.field = &field_of<Ms...>;
  return p;
}

template <auto... Ms>
Param text(const char* key, std::vector<std::string> choices, const char* description) {
  Param p = base(key, ParamType::Text, "", description);
  p.choices = std::move(choices);
  p.field = &field_of<Ms...>;
  return p;
}

// An enum whose values are 0, 1, ... in the order of `names`.
template <auto... Ms>
Param choice(const char* key, std::vector<std::string> names, const char* description) {
  Param p = base(key, ParamType::Choice, "", description);
  p.choices = std::move(names);
  p.field = &field_of<Ms...>;
  p.get_choice = [](const void* o) {
    return static_cast<int>(at<Ms...>(*static_cast<const owner_t<Ms...>*>(o)));
  };
  p.set_choice = [](void* o, int i) {
    auto& f = at<Ms...>(*static_cast<owner_t<Ms...>*>(o));
    f = static_cast<std::remove_reference_t<decltype(f)>>(i);
  };
  return p;
}

template <auto... Ms>
Param names(const char* key, std::vector<std::string> names, const char* description) {
  Param p = base(key, ParamType::Names, "", description);
  p.choices = std::move(names);
  p.field = &field_of<Ms...>;
  return p;
}

template <auto... Ms>
Param map(const char* key, const ParamTable& (*table)(), const char* description) {
  Param p = base(key, ParamType::Map, "", description);
  p.table = table;
  p.field = &field_of<Ms...>;
  return p;
}

template <auto... Ms>
Param optional_map(const char* key, const ParamTable& (*table)(), const char* description) {
  Param p = base(key, ParamType::OptionalMap, "", description);
  p.table = table;
  p.present = [](void* o) -> void* {
    auto& opt = at<Ms...>(*static_cast<owner_t<Ms...>*>(o));
    return opt ? &*opt : nullptr;
  };
  p.emplace = [](void* o) -> void* {
    auto& opt = at<Ms...>(*static_cast<owner_t<Ms...>*>(o));
    if (!opt) opt.emplace();
    return &*opt;
  };
  return p;
}

}  // namespace params
}  // namespace fusim
