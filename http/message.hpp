// Plain request and response values between the Beast session and the router, so that routing,
// handlers and JSON mapping never see Beast (and can be fuzzed or driven directly in tests).
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace mockcloud::http {

class EventStream;  // events.hpp

/// A parsed request. Views into the session's buffers: valid during handle().
struct Request {
  std::string_view method;           // "GET", "POST", ...
  std::string_view target;           // path and query: "/api/v1/vms?limit=5"
  std::string_view request_id;       // X-Request-Id, empty when absent
  std::string_view idempotency_key;  // Idempotency-Key, empty when absent
  std::string_view body;
  std::string_view content_type;   // Content-Type, empty when absent
  std::string_view authorization;  // Authorization, empty when absent
  std::string_view last_event_id;  // Last-Event-ID (an EventSource reconnecting), empty when absent
  // CORS (Api::handle): Origin, and on an OPTIONS with an Origin the preflight's
  // Access-Control-Request-Method and -Headers; empty when absent.
  std::string_view origin;
  std::string_view cors_request_method;
  std::string_view cors_request_headers;
};

/// A response under construction. Reused by a session from request to request, so its
/// buffers keep their capacity: call clear() before each use.
struct Response {
  int status = 200;
  std::string body;  // JSON unless content_type says otherwise; empty for 204
  std::string_view content_type = "application/json";  // static storage
  std::string request_id;
  std::string location;                // Location, empty when absent
  std::string allow;                   // Allow (405), empty when absent
  std::string_view challenge;          // WWW-Authenticate (401), static storage; empty when none
  int retry_after = 0;                 // Retry-After in seconds (503); 0: none
  std::optional<std::size_t> total;    // X-Total-Count
  std::chrono::milliseconds delay{0};  // injected latency before the response is sent
  // CORS, set by Api::handle for an allowed Origin, empty otherwise. The writer sends
  // Access-Control-Allow-Origin (this), -Allow-Credentials and Vary: Origin; then on a preflight
  // (cors_methods not empty) -Allow-Methods, -Allow-Headers and -Max-Age, else -Expose-Headers.
  std::string cors_origin;
  std::string cors_methods;  // a preflight's Access-Control-Allow-Methods: "GET, POST"
  std::string cors_headers;  // a preflight's Access-Control-Allow-Headers
  /// GET /api/v1/events: the stream the session goes on writing after the head and `body`,
  /// until either side closes. Such a response has no Content-Length.
  std::shared_ptr<EventStream> stream;

  void clear() {
    status = 200;
    body.clear();
    content_type = "application/json";
    request_id.clear();
    location.clear();
    allow.clear();
    challenge = {};
    retry_after = 0;
    total.reset();
    delay = std::chrono::milliseconds{0};
    cors_origin.clear();
    cors_methods.clear();
    cors_headers.clear();
    stream.reset();
  }
  bool has_body() const noexcept { return status != 204 && status != 304 && status >= 200; }
};

}  // namespace mockcloud::http
