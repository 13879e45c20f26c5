// The stats registry: every figure fusim writes (a simulator counter, a cost-model prediction,
// a network or schedule fact, a derived figure) is registered once, with its name, unit and
// description, in the StatSchema of the struct that holds it.
//
// How it works, and why this way:
// - Counters stay plain typed members of a stats struct that lives next to the module that
//   counts (CoreStats in sim/core, ChannelStats in sim/dram, ...). The hot path does `++s.reads`;
//   nothing is looked up by name while simulating.
// - Each such struct has one `static const StatSchema<T>& schema()` that registers its members
//   by pointer to member (name, unit, description, rounding). A schema is a type-level table,
//   built once (a function-local static) and never changed afterwards, so it needs no instance:
//   the docs table of output fields is generated from the schemas without running anything.
// - Where a figure sits in the tree is said by the parent's schema: SimResult's schema lists the
//   per-core and per-channel structs, the report's schema includes SimResult's and adds the
//   network, schedule and cost-model figures around it. `include` splices another schema's
//   fields in; `after` places the next fields behind a named one, so a composed view keeps the
//   order of the files it writes.
// - Values survive the SystemC modules because the structs themselves do: simulate() moves
//   them into SimResult (plain data), and `snapshot` turns a struct into a StatNode tree (values
//   plus a pointer to each field's registration) when the report dumps stats. The report writes
//   report.json, layers.csv and groups.csv by walking that one tree.
// - Reals are rounded when the tree is built (to fixed decimals or significant digits, as the
//   field says), so JSON and CSV show the same value; NaN and infinity never reach a file.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace fusim {

// How a real figure is rounded for output: `digits` decimals ("%.3f"), or `digits` significant
// digits ("%.10g").
struct Rounding {
  bool significant = false;
  int digits = 3;
};
constexpr Rounding decimals(int d) {
  return Rounding{false, d};
}
constexpr Rounding significant(int d) {
  return Rounding{true, d};
}
// `v` rounded as `r` says (the double nearest the printed text); 0 for NaN and infinity.
double round_for_output(double v, Rounding r);
// `v` printed as `r` says (C locale); "0" style text for NaN and infinity.
std::string format_real(double v, Rounding r);

// Which files show a field. A field may be registered for the tree and the docs alone (kNone).
enum Outputs : unsigned { kNone = 0, kJson = 1, kCsv = 2, kJsonAndCsv = 3 };

enum class StatKind : std::uint8_t { Null, Int, Real, Text, IntList, TextList, Object, List };

// The registration of one field. Owned by its schema, which lives for the whole process.
struct StatInfo {
  std::string name, unit, description;
  StatKind kind = StatKind::Int;
  Rounding rounding;
  unsigned outputs = kJsonAndCsv;
};

// One value of the tree. `info` points at the field's registration (static storage).
struct StatNode {
  const StatInfo* info = nullptr;
  StatKind kind = StatKind::Null;
  std::int64_t integer = 0;
  double real = 0;  // already rounded
  std::string text;
  std::vector<std::int64_t> integers;
  std::vector<std::string> texts;
  std::vector<StatNode> children;  // Object: its fields in order; List: its elements (Objects)

  // Object: the field called `name`. Throws std::out_of_range when there is none.
  const StatNode& operator[](std::string_view name) const;
};

// One row of the generated docs table: a field at its place in an output.
struct FieldDoc {
  std::string path;  // e.g. "groups[].dram_row_hits"
  std::string type;  // integer, number, string, ...
  std::string unit, description;
  unsigned outputs = kNone;
};

// The fields of a struct T, in output order. Register with the builder calls, then only read.
template <class T>
class StatSchema {
 public:
  // A counter: a plain member, read when the tree is built.
  StatSchema& add(const char* name, std::int64_t T::*member, const char* unit, const char* desc,
                  unsigned outputs = kJsonAndCsv) {
    return integer(
        name, unit, desc, [member](const T& t) { return t.*member; }, outputs);
  }
  StatSchema& add(const char* name, double T::*member, Rounding r, const char* unit,
                  const char* desc, unsigned outputs = kJsonAndCsv) {
    return real(
        name, r, unit, desc, [member](const T& t) { return t.*member; }, outputs);
  }

  // A figure computed from T when the tree is built: get(const T&) returns the value.
  template <class F>
  StatSchema& integer(const char* name, const char* unit, const char* desc, F get,
                      unsigned outputs = kJsonAndCsv) {
    return leaf(name, unit, desc, StatKind::Int, {}, outputs,
                [get](const T& t, StatNode& n) { n.integer = static_cast<std::int64_t>(get(t)); });
  }
  template <class F>
  StatSchema& real(const char* name, Rounding r, const char* unit, const char* desc, F get,
                   unsigned outputs = kJsonAndCsv) {
    return leaf(name, unit, desc, StatKind::Real, r, outputs, [get, r](const T& t, StatNode& n) {
      n.real = round_for_output(static_cast<double>(get(t)), r);
    });
  }
  template <class F>
  StatSchema& text(const char* name, const char* desc, F get, unsigned outputs = kJsonAndCsv) {
    return leaf(name, "", desc, StatKind::Text, {}, outputs,
                [get](const T& t, StatNode& n) { n.text = get(t); });
  }
  template <class F>
  StatSchema& integers(const char* name, const char* unit, const char* desc, F get,
                       unsigned outputs = kJsonAndCsv) {
    return leaf(name, unit, desc, StatKind::IntList, {}, outputs,
                [get](const T& t, StatNode& n) { n.integers = get(t); });
  }
  template <class F>
  StatSchema& texts(const char* name, const char* desc, F get, unsigned outputs = kJsonAndCsv) {
    return leaf(name, "", desc, StatKind::TextList, {}, outputs,
                [get](const T& t, StatNode& n) { n.texts = get(t); });
  }

  // A nested object described by `schema`; get(const T&) returns a `const U*`, null when absent
  // (written as JSON null).
  template <class U, class F>
  StatSchema& object(const char* name, const char* desc, const StatSchema<U>& schema, F get,
                     unsigned outputs = kJson) {
    Entry& e = push(name, "", desc, StatKind::Object, {}, outputs);
    e.fill = [get, &schema](const T& t, StatNode& n) {
      if (const U* u = get(t)) {
        schema.fill_object(*u, n);
      } else {
        n.kind = StatKind::Null;
      }
    };
    e.describe = [&schema](const std::string& path, unsigned out, std::vector<FieldDoc>& docs) {
      schema.describe(path + ".", out, docs);
    };
    return *this;
  }

  // A list of objects described by `schema`; get(const T&) returns a std::vector<U> (views by
  // value) or a const reference to one.
  template <class U, class F>
  StatSchema& list(const char* name, const char* desc, const StatSchema<U>& schema, F get,
                   unsigned outputs = kJson) {
    Entry& e = push(name, "", desc, StatKind::List, {}, outputs);
    e.fill = [get, &schema](const T& t, StatNode& n) {
      const auto& items = get(t);
      n.children.reserve(items.size());
      for (const U& u : items) {
        n.children.emplace_back();
        schema.fill_object(u, n.children.back());
      }
    };
    e.describe = [&schema](const std::string& path, unsigned out, std::vector<FieldDoc>& docs) {
      schema.describe(path + "[].", out, docs);
    };
    return *this;
  }

  // Every field of `schema`, read through part(const T&) -> const U&: the fields keep their one
  // registration (name, unit, description) and appear here as if registered on T.
  template <class U, class F>
  StatSchema& include(const StatSchema<U>& schema, F part) {
    for (const auto& src : schema.entries_) {
      Entry& e = push_info(src->info);
      auto fill = src->fill;
      e.fill = [fill, part](const T& t, StatNode& n) { fill(part(t), n); };
      e.describe = src->describe;
    }
    return *this;
  }

  // The fields registered next go right after the field `name` (registered or included
  // earlier), in the order they are registered; at the end when `name` is not there.
  StatSchema& after(std::string_view name) {
    insert_at_ = entries_.size();
    for (std::size_t i = 0; i < entries_.size(); ++i)
      if (entries_[i]->info.name == name) insert_at_ = i + 1;
    return *this;
  }

  // `t` as an Object node.
  StatNode snapshot(const T& t) const {
    StatNode n;
    fill_object(t, n);
    return n;
  }
  void fill_object(const T& t, StatNode& n) const {
    n.kind = StatKind::Object;
    n.children.resize(entries_.size());
    for (std::size_t i = 0; i < entries_.size(); ++i) {
      StatNode& c = n.children[i];
      c.info = &entries_[i]->info;
      c.kind = entries_[i]->info.kind;
      entries_[i]->fill(t, c);
    }
  }

  // The docs rows of every field, depth first, paths prefixed by `prefix`; a nested field is
  // shown in the outputs its parent is shown in.
  void describe(const std::string& prefix, unsigned outputs, std::vector<FieldDoc>& docs) const {
    for (const auto& e : entries_) {
      const unsigned out = outputs & e->info.outputs;
      if (out == kNone) continue;
      docs.push_back(FieldDoc{prefix + e->info.name, kind_name(e->info.kind), e->info.unit,
                              e->info.description, out});
      if (e->describe) e->describe(prefix + e->info.name, out, docs);
    }
  }

 private:
  template <class>
  friend class StatSchema;

  struct Entry {
    StatInfo info;
    std::function<void(const T&, StatNode&)> fill;
    std::function<void(const std::string&, unsigned, std::vector<FieldDoc>&)> describe;
  };

  static const char* kind_name(StatKind k) {
    switch (k) {
      case StatKind::Int:
        return "integer";
      case StatKind::Real:
        return "number";
      case StatKind::Text:
        return "string";
      case StatKind::IntList:
        return "list of integers";
      case StatKind::TextList:
        return "list of strings";
      case StatKind::Object:
        return "object or null";
      case StatKind::List:
        return "list of objects";
      case StatKind::Null:
        break;
    }
    return "null";
  }

  Entry& push_info(const StatInfo& info) {
    auto e = std::make_unique<Entry>();
    e->info = info;
    if (insert_at_ > entries_.size()) insert_at_ = entries_.size();
    const auto at = entries_.begin() + static_cast<std::ptrdiff_t>(insert_at_);
    Entry& ref = **entries_.insert(at, std::move(e));
    ++insert_at_;
    return ref;
  }
  Entry& push(const char* name, const char* unit, const char* desc, StatKind kind, Rounding r,
              unsigned outputs) {
    return push_info(StatInfo{name, unit, desc, kind, r, outputs});
  }
  template <class Fill>
  StatSchema& leaf(const char* name, const char* unit, const char* desc, StatKind kind, Rounding r,
                   unsigned outputs, Fill fill) {
    push(name, unit, desc, kind, r, outputs).fill = std::move(fill);
    return *this;
  }

  // unique_ptr: StatNode::info points into entries, which must not move as entries are added.
  std::vector<std::unique_ptr<Entry>> entries_;
  std::size_t insert_at_ = static_cast<std::size_t>(-1);  // at the end
};

}  // namespace fusim
