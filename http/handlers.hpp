// Helpers shared by the route groups: responses, error mapping and query parameters.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "api.hpp"
#include "json_io.hpp"
#include "mockcloud/error.hpp"
#include "mockcloud/resources.hpp"

namespace mockcloud::http {

void respond_detail(Response& response, int status, std::string_view message);
/// 422 with every problem; `prefix` ("body", "query") is put in front of each loc unless empty.
void respond_fields(Response& response, std::vector<FieldError> fields,
                    std::string_view prefix = "body");
/// A library error: not_found 404, conflict 409, invalid 422 (locs under "body").
void respond_error(Response& response, const Error& error);

template <class T>
void respond_json(Response& response, int status, const T& value) {
  response.status = status;
  write_json(response.body, value);
}

template <class T>
void respond_list(Response& response, const Listing<T>& listing) {
  response.status = 200;
  response.total = listing.total;
  write_json_array(response.body, listing.items);
}

/// 202 with `Location: <collection>/<id>` and the resource.
template <class T>
void respond_accepted(Response& response, std::string_view collection, const T& resource) {
  response.status = 202;
  response.location.assign(collection).append("/").append(resource.id);
  write_json(response.body, resource);
}

/// An integer in min..max (pydantic's lax parsing: "5", "+5"), or a 422 item at `loc`.
std::optional<std::int64_t> bounded_integer(std::string_view text, std::vector<PathElement> loc,
                                            std::int64_t min, std::int64_t max,
                                            FieldErrors& errors);

/// The query string of a request. Values are percent-decoded; the last of repeated names wins.
class Query {
 public:
  explicit Query(std::string_view raw) : raw_(raw) {}
  std::optional<std::string> get(std::string_view name) const;

  /// skip (>= 0, default 0) and limit (1..1000 unless said, default 100); errors at
  /// ["query", name].
  Page page(FieldErrors& errors, std::int64_t min_limit = 1, std::int64_t max_limit = 1000) const;
  /// An integer parameter in min..max (bounded_integer); nullopt when absent or wrong.
  std::optional<std::int64_t> integer(std::string_view name, std::int64_t min, std::int64_t max,
                                      FieldErrors& errors) const;
  /// An enum filter; an unknown value is an `enum` error listing the allowed ones.
  template <class Enum>
  std::optional<Enum> enumeration(std::string_view name, FieldErrors& errors) const {
    auto text = get(name);
    if (!text) return std::nullopt;
    if (auto e = from_string<Enum>(*text);
        e && static_cast<std::size_t>(*e) < wire::default_model_enumerators<Enum>)
      return e;
    errors.add({std::string("query"), std::string(name)}, enum_expected_message<Enum>(), "enum");
    return std::nullopt;
  }

 private:
  std::string_view raw_;
};

}  // namespace mockcloud::http
