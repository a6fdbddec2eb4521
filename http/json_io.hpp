// JSON in and out: Boost.JSON parsing of request bodies into the library's specs, collecting every
// type error with its path (pydantic's vocabulary), and hand-written serialization of resources
// into a reused buffer.
#pragma once

#include <algorithm>
#include <boost/json/monotonic_resource.hpp>
#include <boost/json/value.hpp>
#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "mockcloud/describe.hpp"
#include "mockcloud/error.hpp"
#include "mockcloud/faults.hpp"
#include "mockcloud/resources.hpp"
#include "mockcloud/settings.hpp"
#include "mockcloud/validate.hpp"

namespace mockcloud::http {

namespace json = boost::json;

// ---------------------------------------------------------------------------------------------
// Writing

void write_string(std::string& out, std::string_view s);  // quoted and escaped
void write_time(std::string& out, TimePoint t);           // quoted RFC 3339
void write_double(std::string& out, double d);            // like Python: 30.0, 0.1, 1e+16
void write_int(std::string& out, std::int64_t v);

void write_json(std::string& out, const Environment& e);
void write_json(std::string& out, const SecurityGroup& g);
void write_json(std::string& out, const Vm& vm);
void write_json(std::string& out, const Volume& v);
void write_json(std::string& out, const Task& t);
void write_json(std::string& out, const Fault& f);
void write_json(std::string& out, const Settings& s);

template <class T>
void write_json_array(std::string& out, const std::vector<T>& items) {
  out += '[';
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i != 0) out += ',';
    write_json(out, items[i]);
  }
  out += ']';
}

/// One element of a 422 item's loc: a name as a string, an index as a number.
void write_loc_element(std::string& out, const PathElement& e);
/// `{"detail":"..."}`
void write_detail(std::string& out, std::string_view message);
/// `{"detail":[{"type":..,"loc":[..],"msg":..},...]}`
void write_field_errors(std::string& out, const std::vector<FieldError>& errors);

// ---------------------------------------------------------------------------------------------
// Reading

template <class T>
inline constexpr bool is_vector = false;
template <class T>
inline constexpr bool is_vector<std::vector<T>> = true;

/// Where a loc lies in the declaration order of T's fields (describe.hpp): member index, array
/// index, member index, ... A loc that names no field sorts last.
using OrderKey = std::vector<std::size_t>;
template <class T>
void append_order_key(std::span<const PathElement> loc, OrderKey& key) {
  constexpr auto none = std::numeric_limits<std::size_t>::max();
  if (loc.empty()) return;
  if constexpr (boost::describe::has_describe_members<T>::value) {
    const auto* name = std::get_if<std::string>(&loc[0]);
    std::size_t i = 0;
    bool found = false;
    boost::mp11::mp_for_each<boost::describe::describe_members<T, boost::describe::mod_public>>(
        [&](auto member) {
          if (!found && name != nullptr && *name == member.name) {
            found = true;
            key.push_back(i);
            using M = std::remove_cvref_t<decltype(std::declval<T&>().*member.pointer)>;
            append_order_key<M>(loc.subspan(1), key);
          }
          ++i;
        });
    if (!found) key.push_back(none);
  } else if constexpr (is_vector<T>) {
    const auto* index = std::get_if<std::size_t>(&loc[0]);
    key.push_back(index != nullptr ? *index : none);
    append_order_key<typename T::value_type>(loc.subspan(1), key);
  } else {
    key.push_back(none);
  }
}
template <class T>
OrderKey order_key(const std::vector<PathElement>& loc) {
  OrderKey key;
  append_order_key<T>(loc, key);
  return key;
}

/// Every problem found in a request, in the order found; the 422 list.
class FieldErrors {
 public:
  void add(std::vector<PathElement> loc, std::string msg, std::string type) {
    list_.push_back({std::move(loc), std::move(msg), std::move(type)});
  }
  /// An error of a value that the library would have reported among its rule errors (an enum
  /// name it does not know), merged in its place by add_rule_errors: in declaration order of
  /// `Spec`'s fields, and dropped under a rule error at a path above it (the library checks the
  /// whole before the parts).
  template <class Spec>
  void add_value_error(std::vector<PathElement> loc, std::string msg, std::string type) {
    order_ = &order_key<Spec>;
    value_errors_.push_back({std::move(loc), std::move(msg), std::move(type)});
  }
  bool empty() const noexcept { return list_.empty() && value_errors_.empty(); }
  std::vector<FieldError>& list() noexcept {
    if (!value_errors_.empty()) add_rule_errors({});
    return list_;
  }
  /// Adds the library's rule errors (mockcloud::validate of the spec read so far) for the fields
  /// that had no type error, so that one 422 lists every problem, as pydantic does.
  void add_rule_errors(std::vector<FieldError> rule_errors) {
    const std::size_t type_errors = list_.size();
    auto covered = [&](const FieldError& e) {  // by a type error at or above its path
      for (std::size_t i = 0; i < type_errors; ++i) {
        const auto& t = list_[i].loc;
        if (t.size() <= e.loc.size() && std::equal(t.begin(), t.end(), e.loc.begin())) return true;
      }
      return false;
    };
    std::vector<FieldError> rules;
    for (auto& e : rule_errors)
      if (!covered(e)) rules.push_back(std::move(e));
    for (auto& v : value_errors_) {
      auto above = [&](const FieldError& r) {
        return r.loc.size() < v.loc.size() && std::equal(r.loc.begin(), r.loc.end(), v.loc.begin());
      };
      if (std::any_of(rules.begin(), rules.end(), above)) continue;
      const auto key = order_(v.loc);
      auto at = std::find_if(rules.begin(), rules.end(),
                             [&](const FieldError& r) { return order_(r.loc) > key; });
      rules.insert(at, std::move(v));
    }
    value_errors_.clear();
    for (auto& e : rules)
      list_.push_back(std::move(e));
  }

 private:
  std::vector<FieldError> list_;
  std::vector<FieldError> value_errors_;
  OrderKey (*order_)(const std::vector<PathElement>&) = nullptr;
};

/// pydantic's message for an unknown enum value: "Input should be 'a', 'b' or 'c'".
template <class E, wire::Spelling S = wire::spelling<E>>
std::string enum_expected_message() {
  std::string msg = "Input should be ";
  const auto& names = wire::enum_names<E, S>;
  const std::size_t n = wire::default_model_enumerators<E>;
  for (std::size_t i = 0; i < n; ++i) {
    if (i != 0) msg += i + 1 == n ? " or " : ", ";
    msg.append("'").append(names[i].view()).append("'");
  }
  return msg;
}

/// pydantic's parsing of a string as an integer (a query parameter, a lax body field):
/// surrounding spaces, an optional sign, decimal digits; nullopt otherwise (or beyond 64 bits).
std::optional<std::int64_t> parse_lax_integer(std::string_view s);

/// A request body parsed as a JSON object, allocated from a small local buffer first, so that a
/// typical body costs no heap allocation.
class BodyDocument {
 public:
  /// Nesting of arrays and objects deeper than `max_depth` is a json_invalid error saying so.
  explicit BodyDocument(std::size_t max_depth = 64) : max_depth_(max_depth) {}
  BodyDocument(const BodyDocument&) = delete;
  BodyDocument& operator=(const BodyDocument&) = delete;

  /// The object, or nullptr with the error recorded (json_invalid, missing,
  /// model_attributes_type; paths relative to the body). An empty body (or `null`) is
  /// `missing` when `required`, else an empty object.
  const json::object* parse(std::string_view body, FieldErrors& errors, bool required = true);

 private:
  std::size_t max_depth_;
  unsigned char buffer_[4096];
  json::monotonic_resource resource_{buffer_, sizeof buffer_};
  json::value value_ = json::value(json::storage_ptr(&resource_));
};

/// Reads the members of one JSON object into typed fields. Absent optional members keep their
/// defaults; unknown members are ignored; each wrong type is recorded with its path.
class ObjectReader {
 public:
  ObjectReader(const json::object& object, FieldErrors& errors, std::vector<PathElement> base)
      : object_(object), errors_(errors), base_(std::move(base)) {}

  void string(std::string_view key, std::string& out, bool required = false);
  void nullable_string(std::string_view key, std::optional<std::string>& out);
  void integer(std::string_view key, std::int64_t& out, bool required = false);
  void integer(std::string_view key, std::optional<int>& out);  // nullable, clamped to int
  void nullable_integer(std::string_view key, std::optional<std::int64_t>& out);
  void nullable_number(std::string_view key, std::optional<double>& out);
  void string_list(std::string_view key, std::vector<std::string>& out);
  /// An enum by its wire name; a string that names none leaves `out` as it is and is a value
  /// error (`enum`) of `Spec`. False for such a string.
  template <class Spec, class E, wire::Spelling S = wire::spelling<E>>
  bool enumeration(std::string_view key, E& out) {
    const auto* v = member(key, false);
    return v == nullptr || enum_value<Spec, E, S>(key, *v, out);
  }
  /// The same, nullable; a string that names none sets `out` to some value, so that the rules
  /// that look at whether it is given see it given.
  template <class Spec, class E, wire::Spelling S = wire::spelling<E>>
  bool nullable_enumeration(std::string_view key, std::optional<E>& out) {
    const auto* v = member(key, false);
    if (v == nullptr) return true;
    if (v->is_null()) {
      out.reset();
      return true;
    }
    E e = wire::enum_values<E>[0];
    const bool known = enum_value<Spec, E, S>(key, *v, e);
    if (v->is_string()) out = e;
    return known;
  }
  /// The member if present (and not rejected), for hand-made reading.
  const json::value* find(std::string_view key) const;
  std::vector<PathElement> loc(std::string_view key) const;
  FieldErrors& errors() noexcept { return errors_; }

 private:
  template <class Spec, class E, wire::Spelling S>
  bool enum_value(std::string_view key, const json::value& v, E& out) {
    if (!v.is_string()) {
      type_error(key, "string_type");
      return true;
    }
    const std::string_view name(v.get_string().data(), v.get_string().size());
    if (auto e = wire::enum_from_name<E, S>(name)) {
      out = *e;
      return true;
    }
    errors_.add_value_error<Spec>(loc(key), enum_expected_message<E, S>(), "enum");
    return false;
  }
  void type_error(std::string_view key, std::string_view type);
  const json::value* member(std::string_view key, bool required);
  const json::object& object_;
  FieldErrors& errors_;
  std::vector<PathElement> base_;
};

/// A JSON number as an int64 the way pydantic's lax mode takes it (2.0 is 2, 2.5 is not).
/// On failure returns the pydantic error type ("int_type", "int_from_float").
std::optional<std::int64_t> to_int64(const json::value& v, std::string_view& error_type);
/// A JSON number as a double; nullopt for anything else.
std::optional<double> to_double(const json::value& v);
/// The pydantic message of a type error.
std::string_view type_error_message(std::string_view type);

EnvironmentSpec read_environment_spec(const json::object& body, FieldErrors& errors);
SecurityGroupSpec read_security_group_spec(const json::object& body, FieldErrors& errors);
VmSpec read_vm_spec(const json::object& body, FieldErrors& errors);
VolumeSpec read_volume_spec(const json::object& body, FieldErrors& errors);
FaultSpec read_fault_spec(const json::object& body, FieldErrors& errors);

/// Prepends `first` ("body", "query") to every loc.
std::vector<FieldError> prefixed(std::vector<FieldError> errors, std::string_view first);

}  // namespace mockcloud::http
