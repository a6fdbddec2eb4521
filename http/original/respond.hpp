// How the original dialect reads requests and answers errors: pydantic 2's 422 items (with the
// input that failed), its error envelope, and a duplicate name as the original reports it.
#pragma once

#include <algorithm>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "../handlers.hpp"
#include "views.hpp"

namespace mockcloud::http::original {

/// The fields the original constrains beyond their types (its pydantic Field()s): the same for
/// every model that has the field. The reader checks them; the OpenAPI schemas state them.
struct FieldRule {
  std::string_view field;
  std::int64_t min_length = -1, max_length = -1;  // strings
  std::optional<std::int64_t> gt, le;             // integers
  std::string_view default_json{};                // the default of an optional request field
};
inline constexpr FieldRule field_rules[] = {
    {"name", 1, 100},
    {"instance_type", 1, 50},
    {"size_gb", -1, -1, 0, 10000},
    {"network_cidr", -1, -1, std::nullopt, std::nullopt, R"("10.0.0.0/16")"},
};
const FieldRule* field_rule(std::string_view field);

/// The characters (code points) of UTF-8 text: its bytes but continuation bytes.
inline std::size_t characters(std::string_view utf8) {
  std::size_t n = 0;
  for (unsigned char c : utf8)
    n += (c & 0xC0) != 0x80;
  return n;
}

/// 422 `{"detail": [{"type", "loc", "msg", "input", "ctx"?, "url"}]}`: `input` is what the request
/// held at the loc (for a missing field, the object that lacks it), found in `body` (locs under
/// "body") or the query string; or `input` (a string) when given, for every item.
void respond_validation(Response& res, const std::vector<FieldError>& errors,
                        const json::object* body, const Call& call,
                        std::optional<std::string_view> input = std::nullopt);

/// `{"error": {"code", "message", "status_code", "resource_type"?, "resource_id"?}}`.
void respond_envelope(Response& res, int status, std::string_view code, std::string message,
                      std::string_view resource_type = {}, std::string_view resource_id = {});

/// The resource a request is about, for the error envelope.
struct Subject {
  std::string_view type;  // "vm", "volume", "environment", "security_group"
  std::string_view id;    // the path's id, if any
};
/// A library error as the original answers it: not found, a 404 envelope naming what is
/// missing; a duplicate name, 409 with the message as a bare JSON string (400 `{"detail"}` for
/// a security group); any other conflict, a 409 RESOURCE_CONFLICT envelope about `subject`;
/// invalid, a 422 (field names as the original spells them).
void respond_error(Response& res, const Error& error, Subject subject, const Call& call);

/// A path parameter that must be an integer (pydantic's int parsing): its decimal form, or a
/// 422 `int_parsing` answered (nullopt).
std::optional<std::string> path_id(const Call& call, std::size_t index, std::string_view name,
                                   Response& res);

/// skip (default 0) and limit (default 100), integers >= 0; a 422 answered (nullopt) otherwise.
std::optional<Page> page(const Call& call, Response& res);

/// The field rules of `model`'s fields, but of those that already have an error (a wrong type,
/// missing).
template <class Model>
void check_rules(const Model& model, FieldErrors& errors) {
  std::vector<FieldError> found;  // only copied when there are errors already
  if (!errors.empty()) found = errors.list();
  for_each_field<Model>([&](auto d) {
    constexpr std::string_view name = decltype(d)::name;
    const FieldRule* rule = field_rule(name);
    if (rule == nullptr) return;
    for (const auto& e : found)
      if (!e.loc.empty() && e.loc[0] == PathElement{std::string(name)}) return;
    const auto& v = model.*decltype(d)::pointer;
    using M = std::remove_cvref_t<decltype(v)>;
    auto add = [&](std::string msg, const char* type) {
      errors.add({std::string(name)}, std::move(msg), type);
    };
    if constexpr (std::is_same_v<M, std::string>) {
      const std::size_t length = characters(v);  // pydantic counts characters, not bytes
      if (rule->min_length >= 0 && length < static_cast<std::size_t>(rule->min_length))
        add("String should have at least " + std::to_string(rule->min_length) +
                (rule->min_length == 1 ? " character" : " characters"),
            "string_too_short");
      else if (rule->max_length >= 0 && length > static_cast<std::size_t>(rule->max_length))
        add("String should have at most " + std::to_string(rule->max_length) + " characters",
            "string_too_long");
    } else if constexpr (std::is_same_v<M, std::int64_t>) {
      if (rule->gt && v <= *rule->gt)
        add("Input should be greater than " + std::to_string(*rule->gt), "greater_than");
      else if (rule->le && v > *rule->le)
        add("Input should be less than or equal to " + std::to_string(*rule->le),
            "less_than_equal");
    }
  });
}

/// Reads a request body into a model of the dialect: the JSON, the types, the required fields,
/// the field rules. False with the 422 answered.
template <class Model>
bool read_body(Api& api, const Call& call, Response& res, Model& out) {
  FieldErrors errors;
  BodyDocument doc{api.max_json_depth()};
  const auto* body = doc.parse(call.request.body, errors);
  if (body) {
    SpecReader<Model, Dialect>::object(*body, errors, {}, out);
    check_rules(out, errors);
  }
  if (errors.empty()) return true;
  auto list = std::move(errors.list());
  // In the model's field order, as pydantic lists them.
  std::stable_sort(list.begin(), list.end(), [](const FieldError& a, const FieldError& b) {
    return order_key<Model>(a.loc) < order_key<Model>(b.loc);
  });
  respond_validation(res, prefixed(std::move(list), "body"), body, call);
  return false;
}

}  // namespace mockcloud::http::original
