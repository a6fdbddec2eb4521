// Mapping request bodies onto the library's specs. Only JSON types are checked here; every rule
// about values (ranges, formats, names) is the library's.
#include <boost/json/parser.hpp>
#include <charconv>

#include <cmath>
#include <limits>
#include <optional>
#include <string>

#include "json_io.hpp"
#include "wire.hpp"

namespace mockcloud::http {

std::string_view type_error_message(std::string_view type) {
  if (type == "string_type") return "Input should be a valid string";
  if (type == "int_type") return "Input should be a valid integer";
  if (type == "int_from_float")
    return "Input should be a valid integer, got a number with a fractional part";
  if (type == "float_type") return "Input should be a valid number";
  if (type == "list_type") return "Input should be a valid list";
  if (type == "model_attributes_type")
    return "Input should be a valid dictionary or object to extract fields from";
  if (type == "missing") return "Field required";
  if (type == "json_invalid") return "JSON decode error";
  return "Invalid input";
}

namespace {

/// A json::parser and the depth limit it was made with.
struct DepthLimitedParser {
  DepthLimitedParser(json::storage_ptr sp, const json::parse_options& options)
      : depth_limit(options.max_depth), parser(std::move(sp), options) {}
  std::size_t depth_limit;
  json::parser parser;
};

void add_type_error(FieldErrors& errors, std::vector<PathElement> loc, std::string_view type) {
  errors.add(std::move(loc), std::string(type_error_message(type)), std::string(type));
}

bool only_whitespace(std::string_view s) {
  return s.find_first_not_of(" \t\r\n") == std::string_view::npos;
}

}  // namespace

const json::object* BodyDocument::parse(std::string_view body, FieldErrors& errors, bool required) {
  auto& storage = value_;
  if (only_whitespace(body)) {
    if (!required) {
      storage.emplace_object();
      return &storage.get_object();
    }
    add_type_error(errors, {}, "missing");
    return nullptr;
  }
  // One parser per thread: its internal stack keeps its capacity from request to request. Its
  // depth limit is fixed at construction, so a different limit makes a new one.
  thread_local std::optional<DepthLimitedParser> parser_slot;
  if (!parser_slot || parser_slot->depth_limit != max_depth_) {
    json::parse_options options;
    options.max_depth = max_depth_;
    parser_slot.emplace(json::storage_ptr(), options);
  }
  auto& parser = parser_slot->parser;
  parser.reset(json::storage_ptr(&resource_));
  json::error_code ec;
  const std::size_t consumed = parser.write(body.data(), body.size(), ec);
  if (ec) {
    parser.reset();
    std::vector<PathElement> loc{std::min(consumed, body.size())};
    if (ec == json::error::too_deep)
      errors.add(std::move(loc),
                 "JSON decode error: nesting deeper than " + std::to_string(max_depth_) + " levels",
                 "json_invalid");
    else
      add_type_error(errors, std::move(loc), "json_invalid");
    return nullptr;
  }
  storage = parser.release();
  parser.reset();  // drop the reference to this document's resource
  if (storage.is_object()) return &storage.get_object();
  if (storage.is_null() && !required) {
    storage.emplace_object();
    return &storage.get_object();
  }
  add_type_error(errors, {}, storage.is_null() ? "missing" : "model_attributes_type");
  return nullptr;
}

std::optional<std::int64_t> to_int64(const json::value& v, std::string_view& error_type) {
  switch (v.kind()) {
    case json::kind::int64:
      return v.get_int64();
    case json::kind::uint64:  // above INT64_MAX
      error_type = "int_type";
      return std::nullopt;
    case json::kind::double_: {
      const double d = v.get_double();
      if (!std::isfinite(d) || d != std::trunc(d)) {
        error_type = "int_from_float";
        return std::nullopt;
      }
      // 2^63 is exactly representable; anything at or beyond it overflows.
      if (d >= 9223372036854775808.0 || d < -9223372036854775808.0) {
        error_type = "int_type";
        return std::nullopt;
      }
      return static_cast<std::int64_t>(d);
    }
    default:
      error_type = "int_type";
      return std::nullopt;
  }
}

std::optional<double> to_double(const json::value& v) {
  switch (v.kind()) {
    case json::kind::int64:
      return static_cast<double>(v.get_int64());
    case json::kind::uint64:
      return static_cast<double>(v.get_uint64());
    case json::kind::double_:
      return v.get_double();
    default:
      return std::nullopt;
  }
}

std::vector<PathElement> ObjectReader::loc(std::string_view key) const {
  auto l = base_;
  l.emplace_back(std::string(key));
  return l;
}

std::optional<std::int64_t> parse_lax_integer(std::string_view s) {
  while (!s.empty() && s.front() == ' ')
    s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ')
    s.remove_suffix(1);
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  std::int64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc{} || end != s.data() + s.size()) return std::nullopt;
  return v;
}

const json::value* ObjectReader::find(std::string_view key) const {
  return object_.if_contains(key);
}

void ObjectReader::type_error(std::string_view key, std::string_view type) {
  add_type_error(errors_, loc(key), type);
}

const json::value* ObjectReader::member(std::string_view key, bool required) {
  const auto* v = object_.if_contains(key);
  if (v == nullptr && required) add_type_error(errors_, loc(key), "missing");
  return v;
}

void ObjectReader::string(std::string_view key, std::string& out, bool required) {
  const auto* v = member(key, required);
  if (v == nullptr) return;
  if (v->is_string())
    out.assign(v->get_string().data(), v->get_string().size());
  else
    add_type_error(errors_, loc(key), "string_type");
}

void ObjectReader::nullable_string(std::string_view key, std::optional<std::string>& out) {
  const auto* v = member(key, false);
  if (v == nullptr) return;
  if (v->is_null())
    out.reset();
  else if (v->is_string())
    out.emplace(v->get_string().data(), v->get_string().size());
  else
    add_type_error(errors_, loc(key), "string_type");
}

void ObjectReader::integer(std::string_view key, std::int64_t& out, bool required) {
  const auto* v = member(key, required);
  if (v == nullptr) return;
  std::string_view error;
  if (auto i = to_int64(*v, error))
    out = *i;
  else
    add_type_error(errors_, loc(key), error);
}

void ObjectReader::integer(std::string_view key, std::optional<int>& out) {
  std::optional<std::int64_t> wide;
  nullable_integer(key, wide);
  if (!wide) {
    out.reset();
    return;
  }
  // Out of int's range is out of every range the library checks: clamp and let it say so.
  constexpr std::int64_t lo = std::numeric_limits<int>::min();
  constexpr std::int64_t hi = std::numeric_limits<int>::max();
  out = static_cast<int>(std::clamp(*wide, lo, hi));
}

void ObjectReader::nullable_integer(std::string_view key, std::optional<std::int64_t>& out) {
  const auto* v = member(key, false);
  if (v == nullptr) return;
  if (v->is_null()) {
    out.reset();
    return;
  }
  std::string_view error;
  if (auto i = to_int64(*v, error))
    out = *i;
  else
    add_type_error(errors_, loc(key), error);
}

void ObjectReader::nullable_number(std::string_view key, std::optional<double>& out) {
  const auto* v = member(key, false);
  if (v == nullptr) return;
  if (v->is_null()) {
    out.reset();
    return;
  }
  if (auto d = to_double(*v))
    out = *d;
  else
    add_type_error(errors_, loc(key), "float_type");
}

void ObjectReader::string_list(std::string_view key, std::vector<std::string>& out) {
  const auto* v = member(key, false);
  if (v == nullptr) return;
  if (!v->is_array()) {
    add_type_error(errors_, loc(key), "list_type");
    return;
  }
  const auto& array = v->get_array();
  out.clear();
  out.reserve(array.size());
  for (std::size_t i = 0; i < array.size(); ++i) {
    if (array[i].is_string()) {
      out.emplace_back(array[i].get_string().data(), array[i].get_string().size());
    } else {
      auto l = loc(key);
      l.emplace_back(i);
      add_type_error(errors_, std::move(l), "string_type");
    }
  }
}

// The specs: the generic reader over their declarations (wire.hpp).
EnvironmentSpec read_environment_spec(const json::object& body, FieldErrors& errors) {
  return read_spec<EnvironmentSpec>(body, errors);
}
SecurityGroupSpec read_security_group_spec(const json::object& body, FieldErrors& errors) {
  return read_spec<SecurityGroupSpec>(body, errors);
}
VmSpec read_vm_spec(const json::object& body, FieldErrors& errors) {
  return read_spec<VmSpec>(body, errors);
}
VolumeSpec read_volume_spec(const json::object& body, FieldErrors& errors) {
  return read_spec<VolumeSpec>(body, errors);
}
FaultSpec read_fault_spec(const json::object& body, FieldErrors& errors) {
  return read_spec<FaultSpec>(body, errors);
}

std::vector<FieldError> prefixed(std::vector<FieldError> errors, std::string_view first) {
  for (auto& e : errors)
    e.loc.insert(e.loc.begin(), PathElement{std::string(first)});
  return errors;
}

}  // namespace mockcloud::http
