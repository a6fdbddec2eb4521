// The session of one connection and what it shares with the server. Private to server.cpp, the
// only translation unit that includes Beast and Asio.
#pragma once

#include <boost/asio/dispatch.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/http/string_body.hpp>

#include <array>
#include <atomic>
#include <charconv>
#include <condition_variable>
#include <cstdio>
#include <list>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "api.hpp"
#include "beast_request.hpp"
#include "events.hpp"
#include "mockcloud/http/server.hpp"

namespace mockcloud::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;
using namespace std::chrono_literals;

namespace detail {

constexpr auto linger_timeout = 2s;            // how long a closing connection may keep sending
constexpr auto stop_grace = 5s;                // how long stop() waits for in-flight requests
constexpr int stream_send_buffer = 64 * 1024;  // an event stream's socket send buffer

// `streaming`: an event stream waiting for events (writing them is `writing`).
enum class Phase : std::uint8_t {
  reading,
  handling,
  delaying,
  writing,
  streaming,
  lingering,
  closed
};

class Session;

/// What sessions share with the server; the base of Server::Impl.
struct ServerState {
  ServerState(ResourceManager& manager, ServerOptions o);

  ServerOptions options;
  unsigned thread_count;
  Api api;

  // The registry outlives the io_context (a base is destroyed last): sessions destroyed with
  // the io_context unregister themselves.
  std::mutex registry_mutex;
  std::list<Session*> registry;

  std::atomic<std::size_t> connections{0};  // served sessions (not rejected ones) alive
  std::atomic<std::uint64_t> tick{0};       // advanced by the sweep
  std::chrono::milliseconds sweep_period;
  std::uint64_t idle_ticks, linger_ticks;
  std::atomic<bool> stopping{false};
};

}  // namespace detail

namespace detail {

inline const boost::system::error_category& http_category() {
  static const auto& category = bhttp::make_error_code(bhttp::error::bad_method).category();
  return category;
}

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(ServerState& server, tcp::socket socket)
      : server_(server), socket_(std::move(socket)), timer_(socket_.get_executor()) {}

  ~Session() {
    if (counted_) server_.connections.fetch_sub(1, std::memory_order_relaxed);
    std::lock_guard lock(server_.registry_mutex);
    server_.registry.erase(registry_pos_);
  }

  /// Counts this session against ServerOptions::max_connections until it is destroyed.
  void count() {
    counted_ = true;
    server_.connections.fetch_add(1, std::memory_order_relaxed);
  }

  /// Instead of start(), for a connection over max_connections: answers 503 without reading a
  /// request, then closes (after draining what the client sends, up to the linger timeout).
  void reject() {
    {
      std::lock_guard lock(server_.registry_mutex);
      registry_pos_ = server_.registry.insert(server_.registry.end(), this);
    }
    asio::dispatch(socket_.get_executor(), [self = shared_from_this()] {
      self->fail(503, "Too many connections: the limit is " +
                          std::to_string(self->server_.options.max_connections));
    });
  }

  void start() {
    {
      std::lock_guard lock(server_.registry_mutex);
      registry_pos_ = server_.registry.insert(server_.registry.end(), this);
    }
    asio::dispatch(socket_.get_executor(), [self = shared_from_this()] { self->do_read(); });
  }

  asio::any_io_executor executor() { return socket_.get_executor(); }

  /// Called by the sweep under the registry lock, from any thread.
  bool expired(std::uint64_t now) const {
    const auto since = now - phase_tick_.load(std::memory_order_relaxed);
    switch (phase_.load(std::memory_order_relaxed)) {
      case Phase::reading:
      case Phase::writing:
        return since >= server_.idle_ticks;
      case Phase::lingering:
        return since >= server_.linger_ticks;
      default:
        return false;
    }
  }

  /// On the session's executor.
  void on_timeout() {
    if (expired(server_.tick.load(std::memory_order_relaxed))) close();
  }

  /// On the session's executor, at stop(): idle connections close now, busy ones after their
  /// response.
  void on_stop() {
    const Phase phase = phase_.load(std::memory_order_relaxed);
    const bool idle =
        phase == Phase::reading && buffer_.size() == 0 && (!parser_ || !parser_->got_some());
    if (idle || phase == Phase::lingering || stream_) close();
  }

 private:
  void set_phase(Phase p) {
    phase_.store(p, std::memory_order_relaxed);
    phase_tick_.store(server_.tick.load(std::memory_order_relaxed), std::memory_order_relaxed);
  }

  void do_read() {
    set_phase(Phase::reading);
    parser_.emplace();
    parser_->body_limit(server_.options.body_limit);
    parser_->header_limit(static_cast<std::uint32_t>(
        std::min<std::size_t>(server_.options.max_header_bytes, UINT32_MAX)));
    bhttp::async_read_header(
        socket_, buffer_, *parser_,
        [self = shared_from_this()](error_code ec, std::size_t) { self->on_header(ec); });
  }

  void on_header(error_code ec) {
    if (ec) return on_read_error(ec);
    if (parser_->is_done()) return process();
    const auto& msg = parser_->get();
    if (auto it = msg.find(bhttp::field::expect);
        it != msg.end() && beast::iequals(it->value(), "100-continue")) {
      static constexpr std::string_view continue_100 = "HTTP/1.1 100 Continue\r\n\r\n";
      asio::async_write(socket_, asio::buffer(continue_100.data(), continue_100.size()),
                        [self = shared_from_this()](error_code ec, std::size_t) {
                          if (ec) return self->close();
                          self->read_body();
                        });
      return;
    }
    read_body();
  }

  void read_body() {
    bhttp::async_read(socket_, buffer_, *parser_,
                      [self = shared_from_this()](error_code ec, std::size_t) {
                        if (ec) return self->on_read_error(ec);
                        self->process();
                      });
  }

  void on_read_error(error_code ec) {
    if (ec == bhttp::error::body_limit)
      return fail(413, "Request body too large: the limit is " +
                           std::to_string(server_.options.body_limit) + " bytes");
    if (ec == bhttp::error::header_limit) return fail(431, "Request header fields too large");
    if (ec.category() == http_category() && ec != bhttp::error::end_of_stream &&
        ec != bhttp::error::partial_message)
      return fail(400, "Invalid HTTP request");
    close();  // end of stream, reset, timeout, stop
  }

  void fail(int status, const std::string& detail) {
    Api::error_response(response_, status, detail);
    server_.api.record_rejected(response_);  // metrics and the access log
    keep_alive_ = false;
    http10_ = false;
    head_only_ = false;
    write_response();
  }

  void process() {
    // With a shared journal whose head another server holds, a write waits for the head off
    // this thread (taking it applies what the others committed) ...
    auto& support = server_.api.support();
    const auto method = parser_->get().method();
    const bool writes = method == bhttp::verb::post || method == bhttp::verb::put ||
                        method == bhttp::verb::patch || method == bhttp::verb::delete_;
    if (writes && !head_waited_ && support.needs_head()) {
      set_phase(Phase::delaying);
      support.wait_head_async([self = shared_from_this()](std::string why) {
        asio::post(self->socket_.get_executor(), [self, why = std::move(why)]() mutable {
          self->head_waited_ = true;
          self->head_kept_ = std::move(why);
          self->process();
        });
      });
      return;
    }
    // ... and a read on a server that holds neither the head nor a read lease first applies
    // what the others committed, off this thread, one round trip for every request that waits
    // meanwhile.
    if (!writes && !caught_up_ && support.needs_catch_up()) {
      set_phase(Phase::delaying);
      server_.api.support().catch_up_async([self = shared_from_this()] {
        asio::post(self->socket_.get_executor(), [self] {
          self->caught_up_ = true;
          self->process();
        });
      });
      return;
    }
    const mockcloud::ServerSupport::CaughtUp fresh(caught_up_);
    caught_up_ = head_waited_ = false;
    set_phase(Phase::handling);
    const auto& msg = parser_->get();
    keep_alive_ = msg.keep_alive() && !server_.stopping.load(std::memory_order_relaxed);
    http10_ = msg.version() < 11;
    head_only_ = msg.method() == bhttp::verb::head;
    if (!head_kept_.empty()) {
      // Another server kept the head for too long: 503, and the client retries.
      Api::error_response(response_, 503, head_kept_);
      response_.retry_after = 1;
      head_kept_.clear();
      server_.api.record_rejected(response_);
      return respond();
    }
    const Request request = to_request(msg);
    server_.api.handle(request, response_);
    if (server_.api.support().durable()) {
      // With --data-dir: answer once what this request changed or saw is on disk. The thread
      // goes on serving others meanwhile, so concurrent requests share one commit.
      set_phase(Phase::delaying);
      server_.api.support().after_durable([self = shared_from_this()](bool ok) {
        asio::post(self->socket_.get_executor(), [self, ok] {
          if (!ok) {
            const std::string request_id = self->response_.request_id;
            self->server_.api.store_failed(self->response_);
            self->response_.request_id = request_id;
          }
          self->respond();
        });
      });
      return;
    }
    respond();
  }

  // Writes the response, after any injected latency.
  void respond() {
    if (response_.delay > 0ms) {
      set_phase(Phase::delaying);
      timer_.expires_after(response_.delay);
      timer_.async_wait([self = shared_from_this()](error_code ec) {
        if (ec) return self->close();
        self->write_response();
      });
      return;
    }
    write_response();
  }

  void write_response() {
    set_phase(Phase::writing);
    const bool event_stream = response_.stream && response_.status == 200;
    if (event_stream && !head_only_) {
      stream_ = std::move(response_.stream);  // the body goes on until either side closes
      keep_alive_ = false;
    }
    response_.stream.reset();  // a HEAD's: the head says what a GET would get
    const Response& r = response_;
    head_.clear();
    head_ += "HTTP/1.1 ";
    append_number(r.status);
    head_ += ' ';
    const auto reason = bhttp::obsolete_reason(static_cast<bhttp::status>(r.status));
    if (reason.empty() || reason.front() == '<')
      head_ += "Unknown";
    else
      head_.append(reason.data(), reason.size());
    head_ += "\r\n";
    if (event_stream) {
      head_ += "Content-Type: text/event-stream\r\nCache-Control: no-store\r\n";
      head_ += "X-Accel-Buffering: no\r\n";  // nor may a proxy hold the events back
    } else if (r.has_body()) {
      if (!r.body.empty()) {  // an empty body (a CORS preflight) has no type
        head_ += "Content-Type: ";
        head_ += r.content_type;
        head_ += "\r\n";
      }
      head_ += "Content-Length: ";
      append_number(r.body.size());
      head_ += "\r\n";
    } else {
      response_.body.clear();
    }
    head_ += "X-Request-Id: ";
    head_ += r.request_id;
    head_ += "\r\n";
    if (!r.location.empty()) head_.append("Location: ").append(r.location).append("\r\n");
    if (!r.allow.empty()) head_.append("Allow: ").append(r.allow).append("\r\n");
    if (!r.challenge.empty()) head_.append("WWW-Authenticate: ").append(r.challenge).append("\r\n");
    if (r.retry_after > 0) {
      head_ += "Retry-After: ";
      append_number(r.retry_after);
      head_ += "\r\n";
    }
    if (r.total) {
      head_ += "X-Total-Count: ";
      append_number(*r.total);
      head_ += "\r\n";
    }
    if (!r.cors_origin.empty()) write_cors(r);
    if (!keep_alive_)
      head_ += "Connection: close\r\n";
    else if (http10_)
      head_ += "Connection: keep-alive\r\n";
    head_ += "\r\n";
    if (head_only_) response_.body.clear();  // the head says how long it would have been
    const std::array<asio::const_buffer, 2> buffers{asio::buffer(head_),
                                                    asio::buffer(response_.body)};
    asio::async_write(socket_, buffers, [self = shared_from_this()](error_code ec, std::size_t) {
      self->on_write(ec);
    });
  }

  void on_write(error_code ec) {
    if (ec) return close();
    if (stream_) return start_stream();
    if (!keep_alive_ || server_.stopping.load(std::memory_order_relaxed)) return linger();
    do_read();
  }

  // Half-close and drain what the client still sends, so that it reads our last response
  // instead of a reset (a 413 leaves most of the body unread).
  void linger() {
    error_code ec;
    socket_.shutdown(tcp::socket::shutdown_send, ec);
    if (ec || server_.stopping.load(std::memory_order_relaxed)) return close();
    set_phase(Phase::lingering);
    buffer_.clear();
    drain();
  }

  void drain() {
    socket_.async_read_some(buffer_.prepare(16 * 1024),
                            [self = shared_from_this()](error_code ec, std::size_t) {
                              if (ec) return self->close();
                              self->drain();
                            });
  }

  // ---- GET /api/v1/events, once its head is written ----

  void start_stream() {
    set_phase(Phase::streaming);
    // What a reader has not taken waits in the subscription's bounded queue (then a resync),
    // not in an autotuned socket buffer of megabytes per subscriber.
    error_code ec;
    socket_.set_option(asio::socket_base::send_buffer_size(stream_send_buffer), ec);
    watch_peer();
    beat();
    pump();
  }

  // Reads (and drops) what the client sends, to learn when it goes away.
  void watch_peer() {
    socket_.async_read_some(buffer_.prepare(512),
                            [self = shared_from_this()](error_code ec, std::size_t) {
                              if (ec) return self->close();
                              self->watch_peer();
                            });
  }

  void beat() {
    timer_.expires_after(server_.options.event_heartbeat);
    timer_.async_wait([self = shared_from_this()](error_code ec) {
      if (ec || !self->stream_) return;
      if (!self->stream_writing_) {
        self->stream_out_ = ": heartbeat\n\n";
        self->write_stream();
      }
      self->beat();
    });
  }

  // Writes what waits, or asks the stream to say when something does. While that is asked, only
  // its callback takes events (the subscription delivers to one taker at a time).
  void pump() {
    if (!stream_ || stream_writing_ || stream_armed_) return;
    constexpr std::size_t batch = 256;
    stream_out_.clear();
    std::size_t taken = 0;
    do {
      taken = stream_->take(stream_out_, batch);
    } while (stream_out_.empty() && taken == batch);  // all filtered out: look further
    if (!stream_out_.empty()) return write_stream();
    stream_armed_ = true;
    stream_->when_ready([weak = weak_from_this(), executor = socket_.get_executor()] {
      asio::post(executor, [weak] {
        if (auto self = weak.lock()) {
          self->stream_armed_ = false;
          self->pump();
        }
      });
    });
  }

  void write_stream() {
    stream_writing_ = true;
    set_phase(Phase::writing);  // a reader too slow for idle_timeout is cut off by the sweep
    asio::async_write(socket_, asio::buffer(stream_out_),
                      [self = shared_from_this()](error_code ec, std::size_t) {
                        self->stream_writing_ = false;
                        if (ec || !self->stream_) return self->close();
                        self->set_phase(Phase::streaming);
                        self->pump();
                      });
  }

  void close() {
    set_phase(Phase::closed);
    stream_.reset();  // unsubscribes
    error_code ec;
    timer_.cancel();
    socket_.shutdown(tcp::socket::shutdown_both, ec);
    socket_.close(ec);
  }

  void write_cors(const Response& r) {
    head_.append("Access-Control-Allow-Origin: ").append(r.cors_origin);
    head_ += "\r\nAccess-Control-Allow-Credentials: true\r\nVary: Origin\r\n";
    if (r.cors_methods.empty()) {
      head_ += "Access-Control-Expose-Headers: Location, X-Request-Id, X-Total-Count\r\n";
      return;
    }
    head_.append("Access-Control-Allow-Methods: ").append(r.cors_methods);
    head_.append("\r\nAccess-Control-Allow-Headers: ").append(r.cors_headers);
    head_ += "\r\nAccess-Control-Max-Age: 600\r\n";
  }

  template <class Int>
  void append_number(Int v) {
    char buf[24];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
    head_.append(buf, end);
  }

  ServerState& server_;
  tcp::socket socket_;
  asio::steady_timer timer_;  // injected latency
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  Response response_;
  std::string head_;
  bool keep_alive_ = true;
  bool caught_up_ = false;    // this request waited for catch_up_async()
  bool head_waited_ = false;  // ... for wait_head_async()
  std::string head_kept_;     // ... which gave up, saying why
  bool http10_ = false;
  bool head_only_ = false;               // a HEAD request: no body on the wire
  bool counted_ = false;                 // holds one of ServerState::connections
  std::shared_ptr<EventStream> stream_;  // GET /api/v1/events once its head is written
  std::string stream_out_;               // the frames being written
  bool stream_writing_ = false;
  bool stream_armed_ = false;  // waiting for EventStream::when_ready()
  std::atomic<Phase> phase_{Phase::reading};
  std::atomic<std::uint64_t> phase_tick_{0};
  std::list<Session*>::iterator registry_pos_;
};

}  // namespace detail

}  // namespace mockcloud::http
