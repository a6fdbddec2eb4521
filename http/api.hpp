// The HTTP API as a plain function from Request to Response: routing, injected faults and
// latency, idempotency, request ids and error mapping. No Beast here; the session converts.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "message.hpp"
#include "metrics.hpp"
#include "mockcloud/http/server.hpp"
#include "mockcloud/manager.hpp"
#include "mockcloud/server_support.hpp"
#include "router.hpp"

namespace mockcloud::http {

class Api {
 public:
  /// Builds the route table of the dialect. The manager must outlive the Api.
  explicit Api(ResourceManager& manager, WireDialect dialect = WireDialect::mockcloud);
  Api(const Api&) = delete;
  Api& operator=(const Api&) = delete;

  /// Answers one request; never throws (anything unexpected is a 500). Thread-safe.
  void handle(const Request& request, Response& response);
  Response handle(const Request& request) {
    Response response;
    handle(request, response);
    return response;
  }

  ResourceManager& manager() const noexcept { return manager_; }
  WireDialect dialect() const noexcept { return dialect_; }
  /// Route faults, injected latency and durable acknowledgements.
  ServerSupport& support() noexcept { return support_; }
  /// The route table; add routes before serving.
  Router& router() noexcept { return router_; }
  const Router& router() const noexcept { return router_; }
  /// Deepest nesting of a JSON body (ServerOptions::max_json_depth); set before serving.
  std::size_t max_json_depth() const noexcept { return max_json_depth_; }
  void set_max_json_depth(std::size_t depth) noexcept { max_json_depth_ = depth; }
  /// How many events wait for one /api/v1/events subscriber before it gets a `resync`
  /// (ServerOptions::event_buffer); set before serving.
  std::size_t event_buffer() const noexcept { return event_buffer_; }
  void set_event_buffer(std::size_t events) noexcept { event_buffer_ = events; }
  /// The origins that get CORS headers (ServerOptions::cors_origins): {"*"} for every origin
  /// (the default), empty for none; set before serving.
  void set_cors_origins(std::vector<std::string> origins);
  /// Makes /_mock/* require `Authorization: Bearer <token>` (ServerOptions::control_token);
  /// empty for none. Set before serving.
  void set_control_token(std::string token) { control_token_ = std::move(token); }
  bool has_control_token() const noexcept { return !control_token_.empty(); }
  /// Forgets the server's own state (the idempotency cache); part of /_mock/reset.
  void clear_caches();
  /// A response the session makes itself (400, 413, ...): `{"detail": ...}`, a new request id.
  static void error_response(Response& response, int status, std::string_view detail);
  /// 503 with Retry-After: the database is unreachable (`why` says so).
  static void unavailable(Response& response, std::string_view why);
  /// The response for a request whose change could not be made durable: 503 while the
  /// database is unreachable, 500 otherwise.
  void store_failed(Response& response);
  /// Real seconds since the process started.
  static double uptime_seconds();

  /// Counts and logs a response the session made itself (Api::error_response) for a request
  /// that never reached handle(): it has no route.
  void record_rejected(const Response& response, std::chrono::nanoseconds duration = {});
  /// The request metrics, by route index (GET /metrics).
  const Metrics& metrics() const noexcept { return metrics_; }
  /// Where GET /metrics reads the open connections from (the server sets it).
  void set_open_connections(std::function<std::size_t()> gauge) {
    open_connections_ = std::move(gauge);
  }
  std::size_t open_connections() const { return open_connections_ ? open_connections_() : 0; }
  /// The OpenAPI document of the route table (openapi.cpp), built on first use.
  const std::string& openapi_document();

 private:
  /// Sets `matched` as soon as a route matches, so that a handler that throws is counted too.
  void dispatch(const Request& request, Response& response, const Route*& matched);
  void run_idempotent(const Route& route, const Call& call, Response& response);
  bool cors_allows(std::string_view origin) const;
  /// Answers a CORS preflight on a known path; false on an unknown one (dispatch's 404).
  bool preflight(const Request& request, Response& response);

  struct Replay {
    std::uint64_t fingerprint = 0;
    TimePoint at;
    int status = 0;
    std::string body, location;
  };

  /// The original dialect's redirect of a collection spelled without its trailing slash (and of
  /// an item spelled with one), as FastAPI answers it: 307 to the other spelling. Only for the
  /// original's routes (Route::redirects_slash): /_mock, the tasks and /metrics answer both.
  bool redirected(const Request& request, const Route& route, Response& response) const;

  ResourceManager& manager_;
  const WireDialect dialect_;
  ServerSupport support_;
  Router router_;
  std::size_t max_json_depth_ = 64;
  std::size_t event_buffer_ = 1024;
  std::string control_token_;
  /// The request may use a /_mock route: no token is set, or it carries the token.
  bool controls_allowed(const Request& request) const;
  bool cors_enabled_ = true;
  bool cors_any_ = true;
  std::vector<std::string> cors_origins_;  // when not cors_any_
  std::mutex idempotency_mutex_;  // held across a keyed create, so a retry waits for the first
  std::unordered_map<std::string, Replay> replays_;
  Metrics metrics_;
  std::function<std::size_t()> open_connections_;
  std::once_flag openapi_once_;
  std::string openapi_;
};

/// The OpenAPI 3.1 document of `router`'s routes (openapi.cpp).
std::string build_openapi_document(const Router& router);

/// The route groups (routes_*.cpp).
void add_environment_routes(Router& router);
void add_security_group_routes(Router& router);
void add_vm_routes(Router& router);
void add_volume_routes(Router& router);
void add_task_routes(Router& router);
void add_task_list_route(Router& router);
/// /health and add_docs_routes.
void add_service_routes(Router& router);
/// /openapi.json, /docs, /redoc and their assets, /metrics.
void add_docs_routes(Router& router);
void add_control_routes(Router& router);
/// GET /api/v1/events and GET /_mock/journal (events.cpp), in both dialects.
void add_event_routes(Router& router);

}  // namespace mockcloud::http
