// JSON in and out: Boost.JSON parsing of request bodies into the library's specs, collecting every
// type error with its path (pydantic's vocabulary), and hand-written serialization of resources
// into a reused buffer.
#pragma once

#include <algorithm>
#include <boost/json/monotonic_resource.hpp>
#include <boost/json/value.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

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

/// `{"detail":"..."}`
void write_detail(std::string& out, std::string_view message);
/// `{"detail":[{"type":..,"loc":[..],"msg":..},...]}`
void write_field_errors(std::string& out, const std::vector<FieldError>& errors);

// ---------------------------------------------------------------------------------------------
// Reading

/// Every problem found in a request, in the order found; the 422 list.
class FieldErrors {
 public:
  void add(std::vector<PathElement> loc, std::string msg, std::string type) {
    list_.push_back({std::move(loc), std::move(msg), std::move(type)});
  }
  bool empty() const noexcept { return list_.empty(); }
  std::vector<FieldError>& list() noexcept { return list_; }
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
    for (auto& e : rule_errors)
      if (!covered(e)) list_.push_back(std::move(e));
  }

 private:
  std::vector<FieldError> list_;
};

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
  /// The member if present (and not rejected), for hand-made reading.
  const json::value* find(std::string_view key) const;
  std::vector<PathElement> loc(std::string_view key) const;
  FieldErrors& errors() noexcept { return errors_; }

 private:
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
