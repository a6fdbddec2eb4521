// The HTTP API as a plain function from Request to Response: routing, injected faults and
// latency, idempotency, request ids and error mapping. No Beast here; the session converts.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>

#include "message.hpp"
#include "mockcloud/manager.hpp"
#include "router.hpp"

namespace mockcloud::http {

class Api {
 public:
  /// Builds the route table of API.md. The manager must outlive the Api.
  explicit Api(ResourceManager& manager);
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
  /// The route table; add routes before serving.
  Router& router() noexcept { return router_; }
  const Router& router() const noexcept { return router_; }
  /// Forgets the server's own state (the idempotency cache); part of /_mock/reset.
  void clear_caches();
  /// A response the session makes itself (400, 413, ...): `{"detail": ...}`, a new request id.
  static void error_response(Response& response, int status, std::string_view detail);
  /// Real seconds since the process started.
  static double uptime_seconds();

 private:
  void dispatch(const Request& request, Response& response);
  void run_idempotent(const Route& route, const Call& call, Response& response);

  struct Replay {
    std::uint64_t fingerprint = 0;
    TimePoint at;
    int status = 0;
    std::string body, location;
  };

  ResourceManager& manager_;
  Router router_;
  std::mutex idempotency_mutex_;  // held across a keyed create, so a retry waits for the first
  std::unordered_map<std::string, Replay> replays_;
};

/// The route groups (routes_*.cpp).
void add_environment_routes(Router& router);
void add_security_group_routes(Router& router);
void add_vm_routes(Router& router);
void add_volume_routes(Router& router);
void add_task_routes(Router& router);
void add_service_routes(Router& router);
void add_control_routes(Router& router);

}  // namespace mockcloud::http
