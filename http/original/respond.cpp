#include "respond.hpp"

#include <boost/json/serialize.hpp>
#include <limits>

#include <fmt/format.h>

namespace mockcloud::http::original {
namespace {

constexpr std::string_view kErrorsUrl = "https://errors.pydantic.dev/2.5/v/";

// The library's names of the fields the original spells otherwise.
std::string original_field(std::string field) {
  if (field == "cidr") return "network_cidr";
  if (field == "security_group_ids") return "security_group_id";
  if (field == "rules_text") return "rules";
  return field;
}

/// The value at `loc` (after its "body"), or for a missing last member the object lacking it.
std::string input_at(const json::object* body, const std::vector<PathElement>& loc) {
  if (body == nullptr) return "{}";
  const json::value root = *body;  // a copy only on this error path
  const json::value* at = &root;
  for (std::size_t i = 1; i < loc.size(); ++i) {
    const json::value* next = nullptr;
    if (const auto* key = std::get_if<std::string>(&loc[i]); key && at->is_object())
      next = at->as_object().if_contains(*key);
    else if (const auto* index = std::get_if<std::size_t>(&loc[i]);
             index && at->is_array() && *index < at->as_array().size())
      next = &at->as_array()[*index];
    if (next == nullptr) break;  // missing: the container is the input
    at = next;
  }
  return json::serialize(*at);
}

/// pydantic's ctx of the bound errors, from the bound in the message.
std::string ctx_of(const FieldError& e) {
  std::string_view key;
  if (e.type == "greater_than") key = "gt";
  if (e.type == "greater_than_equal") key = "ge";
  if (e.type == "less_than_equal") key = "le";
  if (e.type == "string_too_short") key = "min_length";
  if (e.type == "string_too_long") key = "max_length";
  if (key.empty()) return {};
  // The bound is the message's last number ("... at most 100 characters", "... than 0").
  const auto end = e.msg.find_last_of("0123456789");
  if (end == std::string::npos) return {};
  auto begin = e.msg.find_last_not_of("0123456789", end);
  begin = begin == std::string::npos ? 0 : begin + 1;
  return "{\"" + std::string(key) + "\":" + e.msg.substr(begin, end - begin + 1) + "}";
}

struct NotFound {
  std::string_view type, id;
};
/// "VM 9 not found" (the library's wording) → {"vm", "9"}.
std::optional<NotFound> parse_not_found(std::string_view message) {
  constexpr std::string_view suffix = " not found";
  if (!message.ends_with(suffix)) return std::nullopt;
  message.remove_suffix(suffix.size());
  static constexpr std::pair<std::string_view, std::string_view> nouns[] = {
      {"Environment ", "environment"},
      {"Security group ", "security_group"},
      {"VM ", "vm"},
      {"Volume ", "volume"},
      {"Task ", "task"}};
  for (const auto& [noun, type] : nouns)
    if (message.starts_with(noun)) return NotFound{type, message.substr(noun.size())};
  return std::nullopt;
}

/// "VM name 'web-1' already exists" → "web-1".
std::optional<std::string_view> duplicate_name(std::string_view message) {
  const auto open = message.find(" name '");
  constexpr std::string_view tail = "' already exists";
  if (open == std::string_view::npos || !message.ends_with(tail)) return std::nullopt;
  const auto start = open + 7;
  return message.substr(start, message.size() - tail.size() - start);
}

}  // namespace

const FieldRule* field_rule(std::string_view field) {
  for (const auto& r : field_rules)
    if (r.field == field) return &r;
  return nullptr;
}

void respond_validation(Response& res, const std::vector<FieldError>& errors,
                        const json::object* body, const Call& call,
                        std::optional<std::string_view> input) {
  res.status = 422;
  auto& out = res.body;
  out.clear();
  out += "{\"detail\":[";
  for (std::size_t i = 0; i < errors.size(); ++i) {
    // The library's field names as the original spells them, in the loc and the message.
    FieldError e = errors[i];
    if (e.loc.size() > 1) {
      if (auto* field = std::get_if<std::string>(&e.loc[1])) {
        std::string spelled = original_field(*field);
        if (spelled != *field) {
          const std::string mention = ", " + *field + " ";
          if (const auto at = e.msg.find(mention); at != std::string::npos)
            e.msg.replace(at, mention.size(), ", " + spelled + " ");
          *field = std::move(spelled);
        }
      }
    }
    if (i != 0) out += ',';
    out += "{\"type\":";
    write_string(out, e.type);
    out += ",\"loc\":[";
    for (std::size_t j = 0; j < e.loc.size(); ++j) {
      if (j != 0) out += ',';
      write_loc_element(out, e.loc[j]);
    }
    out += "],\"msg\":";
    write_string(out, e.msg);
    out += ",\"input\":";
    const auto* where = e.loc.empty() ? nullptr : std::get_if<std::string>(&e.loc[0]);
    const auto* name = e.loc.size() > 1 ? std::get_if<std::string>(&e.loc[1]) : nullptr;
    if (input) {
      write_string(out, *input);
    } else if (where && *where == "query" && name) {
      const auto value = Query{call.query}.get(*name);
      if (value)
        write_string(out, *value);
      else
        out += "null";
    } else {
      out += input_at(body, e.loc);
    }
    if (auto ctx = ctx_of(e); !ctx.empty()) out.append(",\"ctx\":").append(ctx);
    out += ",\"url\":";
    write_string(out, std::string(kErrorsUrl) + e.type);
    out += '}';
  }
  out += "]}";
}

void respond_envelope(Response& res, int status, std::string_view code, std::string message,
                      std::string_view resource_type, std::string_view resource_id) {
  ErrorResponse e{{std::string(code), std::move(message), status, std::nullopt, std::nullopt}};
  if (!resource_type.empty()) e.error.resource_type = std::string(resource_type);
  if (!resource_id.empty()) e.error.resource_id = std::string(resource_id);
  res.status = status;
  res.body.clear();
  JsonWriter<Dialect>::value(res.body, e);
}

void respond_error(Response& res, const Error& error, Subject subject, const Call& call) {
  switch (error.kind) {
    case ErrorKind::not_found:
      if (auto nf = parse_not_found(error.message))
        return respond_envelope(res, 404, "RESOURCE_NOT_FOUND",
                                fmt::format("{} with id {} not found", nf->type, nf->id), nf->type,
                                nf->id);
      return respond_envelope(res, 404, "RESOURCE_NOT_FOUND", error.message, subject.type,
                              subject.id);
    case ErrorKind::conflict:
      if (auto name = duplicate_name(error.message)) {
        const std::string message =
            fmt::format("{} with name '{}' already exists", subject.type, *name);
        if (subject.type == "security_group") return respond_detail(res, 400, message);
        res.status = 409;
        res.body.clear();
        write_string(res.body, message);
        return;
      }
      [[fallthrough]];
    case ErrorKind::cancelled:
      return respond_envelope(res, 409, "RESOURCE_CONFLICT", error.message, subject.type,
                              subject.id);
    case ErrorKind::invalid:
      if (!error.fields.empty())
        return respond_validation(res, prefixed(error.fields, "body"), nullptr, call);
      break;
    case ErrorKind::not_settled:
      break;
  }
  respond_envelope(res, 500, "INTERNAL_SERVER_ERROR", "Internal Server Error");
}

std::optional<std::string> path_id(const Call& call, std::size_t index, std::string_view name,
                                   Response& res) {
  std::string_view text = call.params[index];
  std::string_view digits = text;
  bool negative = false;
  if (!digits.empty() && (digits.front() == '+' || digits.front() == '-')) {
    negative = digits.front() == '-';
    digits.remove_prefix(1);
  }
  const bool numeric =
      !digits.empty() && digits.find_first_not_of("0123456789") == std::string_view::npos;
  if (!numeric) {
    respond_validation(res,
                       {{{std::string("path"), std::string(name)},
                         "Input should be a valid integer, unable to parse string as an integer",
                         "int_parsing"}},
                       nullptr, call, text);
    return std::nullopt;
  }
  while (digits.size() > 1 && digits.front() == '0')
    digits.remove_prefix(1);
  return (negative && digits != "0" ? "-" : "") + std::string(digits);
}

std::optional<Page> page(const Call& call, Response& res) {
  // skip and limit: integers >= 0 (the original has no bounds, and a negative one fails there).
  FieldErrors errors;
  const Page p = Query{call.query}.page(errors, 0, std::numeric_limits<std::int64_t>::max());
  if (errors.empty()) return p;
  respond_validation(res, errors.list(), nullptr, call);
  return std::nullopt;
}

}  // namespace mockcloud::http::original
