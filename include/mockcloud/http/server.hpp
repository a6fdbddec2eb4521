// The HTTP server of docs/http-api.md on top of a ResourceManager, embeddable in a test binary:
//
//   mockcloud::VirtualClock clock;
//   mockcloud::ResourceManager cloud{{.seed = 42}, clock};
//   mockcloud::http::Server server{cloud, {.host = "127.0.0.1", .port = 0, .threads = 1}};
//   server.start();                      // binds and serves on background threads
//   auto base = server.url();            // "http://127.0.0.1:41234"
//   ...
//   server.stop();                       // graceful: in-flight requests finish
//
// This header is free of Boost.Beast and Boost.Asio; link the mockcloud::http target.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace mockcloud {
class ResourceManager;
}

namespace mockcloud::http {

/// The wire format served: this service's own (docs/http-api.md), or the Python Mock Cloud
/// API's (docs/original-dialect.md), whose rules the manager should follow too
/// (ManagerOptions::model = CloudModel::original()).
enum class WireDialect : std::uint8_t { mockcloud, original };

struct ServerOptions {
  /// An IP address to listen on ("127.0.0.1", "0.0.0.0", "::1") or "localhost".
  std::string host = "127.0.0.1";
  /// 0 picks a free port; read it back with Server::port().
  std::uint16_t port = 8000;
  /// I/O threads; 0 means one per core.
  unsigned threads = 0;
  /// A connection that stays idle (or sends or reads a message slowly) this long is closed.
  /// Checked by a coarse periodic sweep, so the actual cut-off is up to a quarter later.
  std::chrono::milliseconds idle_timeout{30'000};
  /// Largest request body accepted (1 MiB by default); a larger one gets 413.
  std::size_t body_limit = 1024 * 1024;
  /// Largest request head (request line and header fields) accepted; a larger one gets 431.
  std::size_t max_header_bytes = 16 * 1024;
  /// Open connections served at once. One more is answered 503 (`Connection: close`) without
  /// reading its request, then closed.
  std::size_t max_connections = 10'000;
  /// Deepest nesting of arrays and objects in a JSON body; deeper is a 422 saying so.
  std::size_t max_json_depth = 64;
  /// Origins whose browser requests get CORS headers (docs/http-api.md "CORS"): exact
  /// serialized origins ("http://localhost:3000"), or {"*"} for every origin (the default, like
  /// the original service); empty for none (no CORS headers, OPTIONS is a 405).
  std::vector<std::string> cors_origins{"*"};
  /// GET /api/v1/events: how many events may wait for one subscriber that reads slower than
  /// the cloud changes; one more and the waiting ones are dropped for a `resync` event. A
  /// subscriber that takes idle_timeout to read what was written is disconnected.
  std::size_t event_buffer = 1024;
  /// GET /api/v1/events: a `: heartbeat` comment after this long without an event.
  std::chrono::milliseconds event_heartbeat{15'000};
  /// When not empty, the test-control routes (/_mock/*: reset, settings, clock, faults, ...)
  /// answer 401 unless the request carries `Authorization: Bearer <control_token>`. Set it
  /// whenever the server listens beyond loopback: anyone who can reach it could reset the cloud.
  std::string control_token;
  WireDialect dialect = WireDialect::mockcloud;
};

/// A loopback address ("127.0.0.1", "::1", "localhost", 127.x.y.z): only this host can connect.
bool is_loopback_host(std::string_view host);

/// Serves the manager over HTTP/1.1. The manager must outlive the server.
class Server {
 public:
  Server(ResourceManager& manager, ServerOptions options = {});
  ~Server();  // stop()
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  /// Binds, listens and starts the I/O threads. Throws std::system_error when the address
  /// cannot be bound, std::invalid_argument for a host that is not an address.
  void start();
  /// Stops accepting, lets in-flight requests finish (up to a few seconds), closes idle
  /// connections and joins the threads. Idempotent; safe to call from any thread but an I/O one.
  void stop();

  /// The bound port (the real one when 0 was asked), valid after start().
  std::uint16_t port() const noexcept;
  /// "http://host:port", valid after start().
  std::string url() const;
  const ServerOptions& options() const noexcept;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mockcloud::http
