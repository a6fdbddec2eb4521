// The route table: data that dispatch, 405 + Allow and (later) the OpenAPI document come from.
#pragma once

#include <array>
#include <cstddef>
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

struct Route {
  std::string_view method;     // "GET"
  std::string_view path;       // "/api/v1/vms/{id}"; static storage
  std::string_view operation;  // "get_vm", unique
  std::string_view tag;        // "vms", "test control", ...
  std::string_view summary;    // one line for the OpenAPI document
  Handler handler = nullptr;
  bool creates = false;  // a creating POST: honours Idempotency-Key
};

class Router {
 public:
  /// Adds a route; its strings must outlive the router (string literals).
  void add(const Route& route);
  const std::vector<Route>& routes() const noexcept { return routes_; }

  enum class Outcome { found, method_not_allowed, not_found };
  struct Match {
    Outcome outcome = Outcome::not_found;
    const Route* route = nullptr;
    Params params;
    std::string allow;  // for method_not_allowed: "GET, POST"
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
