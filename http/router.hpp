// The route table: data that dispatch, 405 + Allow, the metrics and the OpenAPI document come
// from, so that they cannot drift apart.
#pragma once

#include <array>
#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "message.hpp"

namespace mockcloud::http {

class Api;

/// Path parameters of a matched route, in template order ("{id}", "{vm_id}").
struct Params {
  static constexpr std::size_t capacity = 4;
  std::array<std::string_view, capacity> values{};
  std::size_t size = 0;
  std::string_view operator[](std::size_t i) const noexcept { return values[i]; }
};

/// What a handler gets: the request, its path (query and trailing slash removed), its raw query
/// string and the path parameters (as sent: ids never need percent-decoding).
struct Call {
  const Request& request;
  std::string_view path;
  std::string_view query;
  Params params;
};

using Handler = void (*)(Api& api, const Call& call, Response& response);

// ---- what the OpenAPI document (openapi.cpp) says of a route ----

/// Response headers a reply documents besides X-Request-Id, which every response carries.
enum ReplyHeader : unsigned { location = 1u, total_count = 2u };

/// One status a route answers. `schema` names a schema of the document's components
/// ("Vm", "ErrorDetail"); "[Vm]" is an array of them; empty for no body or a non-JSON body.
struct Reply {
  int status = 200;
  std::string_view schema;
  std::string_view description;
  unsigned headers = 0;                         // ReplyHeader bits
  std::string_view media = "application/json";  // several: "text/css application/javascript"
};

/// A query parameter; `schema` is JSON Schema text.
struct QueryParam {
  std::string_view name;
  std::string_view schema;
  std::string_view description;
};

/// The request body (a components schema name, empty for none), query parameters and every
/// status the route answers itself. The document adds what every route may answer: 500, 413
/// with a body, and a default (injected faults, malformed HTTP) of the FastAPI detail shape.
struct RouteDoc {
  std::string_view body{};
  bool body_required = true;
  std::span<const QueryParam> query{};
  std::span<const Reply> replies{};
  bool integer_ids = false;  // the path parameters are integers (the original dialect's)
};

struct Route {
  std::string_view method;     // "GET"
  std::string_view path;       // "/api/v1/vms/{id}"; static storage
  std::string_view operation;  // "get_vm", unique
  std::string_view tag;        // "vms", "test control", ...
  std::string_view summary;    // one line for the OpenAPI document
  Handler handler = nullptr;
  bool creates = false;  // a creating POST: honours Idempotency-Key
  RouteDoc doc{};        // for the OpenAPI document; every route of the Api has one
  /// A collection: a path with items right below it (`/api/v1/vms` beside `/api/v1/vms/{id}`),
  /// which documents and clients spell with a trailing slash. Set by the Router.
  bool collection = false;
  /// The original dialect's own routes (FastAPI's redirect_slashes): the other spelling of the
  /// path (a collection without its trailing slash, anything else with one) answers 307 instead
  /// of being served. Every other route answers both spellings.
  bool redirects_slash = false;
};

class Router {
 public:
  /// Adds a route; its strings must outlive the router (string literals).
  void add(const Route& route);
  /// Adds a route with its documentation (what the OpenAPI document says of it).
  void add(Route route, const RouteDoc& doc) {
    route.doc = doc;
    add(route);
  }
  const std::vector<Route>& routes() const noexcept { return routes_; }
  /// The spelling of a route's path that documents and clients use: a collection's with the
  /// trailing slash (`/api/v1/vms/`), any other as the table spells it.
  static std::string documented_path(const Route& route);

  enum class Outcome { found, method_not_allowed, not_found };
  struct Match {
    Outcome outcome = Outcome::not_found;
    const Route* route = nullptr;
    Params params;
    std::string allow;               // for method_not_allowed: "GET, POST"
    const Route* of_path = nullptr;  // for method_not_allowed: a route of the path
  };
  /// `path` without the query string; one trailing slash is ignored.
  Match match(std::string_view method, std::string_view path) const;

  /// Splits off the query and drops one trailing slash (but not of "/").
  static std::string_view normalize(std::string_view target, std::string_view& query);

 private:
  static constexpr std::size_t max_segments = 8;
  struct Compiled {
    std::array<std::string_view, max_segments> segments{};  // "{...}" marks a parameter
    std::size_t size = 0;
  };
  std::vector<Route> routes_;
  std::vector<Compiled> compiled_;
};

}  // namespace mockcloud::http
