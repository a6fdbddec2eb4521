#include "handlers.hpp"

#include <limits>

namespace mockcloud::http {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string percent_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%' && i + 2 < s.size() && hex_value(s[i + 1]) >= 0 &&
               hex_value(s[i + 2]) >= 0) {
      out += static_cast<char>(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

}  // namespace

void respond_detail(Response& response, int status, std::string_view message) {
  response.status = status;
  response.body.clear();
  write_detail(response.body, message);
}

void respond_fields(Response& response, std::vector<FieldError> fields, std::string_view prefix) {
  response.status = 422;
  response.body.clear();
  if (!prefix.empty()) fields = prefixed(std::move(fields), prefix);
  write_field_errors(response.body, fields);
}

void respond_error(Response& response, const Error& error) {
  switch (error.kind) {
    case ErrorKind::not_found:
      return respond_detail(response, 404, error.message);
    case ErrorKind::conflict:
    case ErrorKind::cancelled:
      return respond_detail(response, 409, error.message);
    case ErrorKind::invalid:
      if (error.fields.empty()) return respond_detail(response, 422, error.message);
      return respond_fields(response, error.fields);
    case ErrorKind::not_settled:
      break;
  }
  respond_detail(response, 500, "Internal Server Error");
}

std::optional<std::string> Query::get(std::string_view name) const {
  std::optional<std::string> found;
  std::string_view rest = raw_;
  while (!rest.empty()) {
    const auto amp = rest.find('&');
    const std::string_view pair = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view{} : rest.substr(amp + 1);
    const auto eq = pair.find('=');
    const std::string_view key = pair.substr(0, eq);
    if (key != name) continue;
    found = percent_decode(eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1));
  }
  return found;
}

std::optional<std::int64_t> bounded_integer(std::string_view text, std::vector<PathElement> loc,
                                            std::int64_t min, std::int64_t max,
                                            FieldErrors& errors) {
  auto v = parse_lax_integer(text);
  if (!v) {
    errors.add(std::move(loc),
               "Input should be a valid integer, unable to parse string as an integer",
               "int_parsing");
  } else if (*v < min) {
    errors.add(std::move(loc), "Input should be greater than or equal to " + std::to_string(min),
               "greater_than_equal");
  } else if (*v > max) {
    errors.add(std::move(loc), "Input should be less than or equal to " + std::to_string(max),
               "less_than_equal");
  } else {
    return v;
  }
  return std::nullopt;
}

std::optional<std::int64_t> Query::integer(std::string_view name, std::int64_t min,
                                           std::int64_t max, FieldErrors& errors) const {
  auto text = get(name);
  if (!text) return std::nullopt;
  return bounded_integer(*text, {std::string("query"), std::string(name)}, min, max, errors);
}

Page Query::page(FieldErrors& errors, std::int64_t min_limit, std::int64_t max_limit) const {
  Page page;
  if (auto v = integer("skip", 0, std::numeric_limits<std::int64_t>::max(), errors))
    page.skip = static_cast<std::size_t>(*v);
  if (auto v = integer("limit", min_limit, max_limit, errors))
    page.limit = static_cast<std::size_t>(*v);
  return page;
}

}  // namespace mockcloud::http
