// The listener, the idle sweep and graceful shutdown; sessions are in session.hpp. A session
// reads a request with Beast's parser, hands a plain Request to Api::handle and writes the
// Response from a reused head buffer and the body.
#include "mockcloud/http/server.hpp"

#include "session.hpp"

namespace mockcloud::http {

struct Server::Impl : detail::ServerState {
  Impl(ResourceManager& manager, ServerOptions options);
  ~Impl() { stop(); }

  void start();
  void stop();
  void do_accept();
  void sweep();
  using SessionList = std::vector<std::shared_ptr<detail::Session>>;
  void close_expired(std::shared_ptr<SessionList> expired, std::size_t from);
  asio::any_io_executor session_executor();
  /// Live sessions, for the sweep and for stop(); `pick` filters under the registry lock.
  template <class Pick>
  std::vector<std::shared_ptr<detail::Session>> sessions_where(Pick pick);

  asio::io_context ioc;
  tcp::acceptor acceptor{ioc};
  asio::steady_timer sweep_timer{ioc};
  asio::steady_timer accept_retry_timer{ioc};  // after a failed accept (EMFILE, ...)
  std::vector<std::thread> threads;
  std::uint16_t bound_port = 0;

  std::mutex lifecycle_mutex;  // start/stop
  bool started = false, stopped = false;
  std::mutex run_mutex;
  std::condition_variable run_cv;
  unsigned running = 0;
};

// ---------------------------------------------------------------------------------------------

namespace {

unsigned resolve_threads(unsigned requested) {
  if (requested != 0) return requested;
  return std::max(1u, std::thread::hardware_concurrency());
}

std::uint64_t ticks_for(std::chrono::milliseconds timeout, std::chrono::milliseconds period) {
  return std::max<std::uint64_t>(1, (timeout.count() + period.count() - 1) / period.count());
}

}  // namespace

detail::ServerState::ServerState(ResourceManager& manager, ServerOptions o)
    : options(std::move(o)),
      thread_count(resolve_threads(options.threads)),
      api(manager, options.dialect),
      sweep_period(std::clamp<std::chrono::milliseconds>(options.idle_timeout / 4, 10ms, 1000ms)),
      idle_ticks(ticks_for(options.idle_timeout, sweep_period)),
      linger_ticks(ticks_for(
          std::min<std::chrono::milliseconds>(options.idle_timeout, detail::linger_timeout),
          sweep_period)) {
  api.set_max_json_depth(options.max_json_depth);
  api.set_event_buffer(options.event_buffer);
  api.set_control_token(options.control_token);
  api.set_cors_origins(options.cors_origins);
  api.set_open_connections([this] { return connections.load(std::memory_order_relaxed); });
}

Server::Impl::Impl(ResourceManager& manager, ServerOptions options)
    : ServerState(manager, std::move(options)), ioc(static_cast<int>(thread_count)) {}

asio::any_io_executor Server::Impl::session_executor() {
  // One thread needs no strand; several serialize each session's handlers on its own strand.
  if (thread_count == 1) return ioc.get_executor();
  return asio::make_strand(ioc);
}

template <class Pick>
std::vector<std::shared_ptr<detail::Session>> Server::Impl::sessions_where(Pick pick) {
  std::vector<std::shared_ptr<detail::Session>> out;
  std::lock_guard lock(registry_mutex);
  for (detail::Session* s : registry) {
    if (!pick(*s)) continue;
    if (auto strong = s->weak_from_this().lock()) out.push_back(std::move(strong));
  }
  return out;  // released outside the lock: a last reference unregisters in ~Session
}

void Server::Impl::start() {
  std::lock_guard lock(lifecycle_mutex);
  if (started) return;
  const auto address = options.host == "localhost" ? asio::ip::make_address("127.0.0.1")
                                                   : asio::ip::make_address(options.host);
  const tcp::endpoint endpoint{address, options.port};
  acceptor.open(endpoint.protocol());
  acceptor.set_option(asio::socket_base::reuse_address(true));
  acceptor.bind(endpoint);
  acceptor.listen(asio::socket_base::max_listen_connections);
  bound_port = acceptor.local_endpoint().port();
  started = true;
  do_accept();
  sweep();
  running = thread_count;
  for (unsigned i = 0; i < thread_count; ++i) {
    threads.emplace_back([this] {
      for (;;) {
        try {
          ioc.run();
          break;
        } catch (const std::exception& e) {
          std::fprintf(stderr, "mockcloud-server: unexpected error: %s\n", e.what());
        }
      }
      std::lock_guard run_lock(run_mutex);
      --running;
      run_cv.notify_all();
    });
  }
}

void Server::Impl::do_accept() {
  acceptor.async_accept(session_executor(), [this](error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !acceptor.is_open()) return;
    if (ec) {
      // Out of file descriptors or memory: the pending connection stays queued, so accepting
      // again at once would spin. Retry shortly.
      accept_retry_timer.expires_after(50ms);
      accept_retry_timer.async_wait([this](error_code ec) {
        if (!ec && !stopping.load()) do_accept();
      });
      return;
    }
    socket.set_option(tcp::no_delay(true), ec);
    auto session = std::make_shared<detail::Session>(static_cast<detail::ServerState&>(*this),
                                                     std::move(socket));
    if (connections.load(std::memory_order_relaxed) >= options.max_connections) {
      session->reject();
    } else {
      session->count();
      session->start();
    }
    do_accept();
  });
}

void Server::Impl::sweep() {
  sweep_timer.expires_after(sweep_period);
  sweep_timer.async_wait([this](error_code ec) {
    if (ec || stopping.load()) return;
    const auto now = tick.fetch_add(1, std::memory_order_relaxed) + 1;
    auto expired = std::make_shared<SessionList>(
        sessions_where([now](const detail::Session& s) { return s.expired(now); }));
    if (!expired->empty()) close_expired(std::move(expired), 0);
    sweep();
  });
}

// A few at a time: a wave of expiring connections (500 slow clients opened together) would
// otherwise queue ahead of every other connection's I/O for the whole wave.
void Server::Impl::close_expired(std::shared_ptr<SessionList> expired, std::size_t from) {
  constexpr std::size_t batch = 16;
  const std::size_t end = std::min(expired->size(), from + batch);
  for (std::size_t i = from; i < end; ++i) {
    auto& s = (*expired)[i];
    auto executor = s->executor();
    asio::post(executor, [s = std::move(s)] { s->on_timeout(); });
  }
  if (end < expired->size())
    asio::post(ioc, [this, expired = std::move(expired), end]() mutable {
      close_expired(std::move(expired), end);
    });
}

void Server::Impl::stop() {
  {
    std::lock_guard lock(lifecycle_mutex);
    if (!started || stopped) return;
    stopped = true;
  }
  stopping.store(true);
  asio::post(ioc, [this] {
    error_code ec;
    acceptor.close(ec);
    sweep_timer.cancel();
    accept_retry_timer.cancel();
    for (auto& s : sessions_where([](const detail::Session&) { return true; }))
      asio::post(s->executor(), [s] { s->on_stop(); });
  });
  {
    std::unique_lock lock(run_mutex);
    if (!run_cv.wait_for(lock, detail::stop_grace, [this] { return running == 0; })) ioc.stop();
  }
  for (auto& t : threads)
    t.join();
  threads.clear();
  // A session waiting for a commit (--data-dir) is held by its callback in the store's writer
  // thread; that callback posts to the stopped io_context, whose queue drops it with this
  // server. Wait for every such callback here, so that none outlives the sessions' registry.
  api.support().wait_callbacks();
}

// ---------------------------------------------------------------------------------------------

Server::Server(ResourceManager& manager, ServerOptions options)
    : impl_(std::make_unique<Impl>(manager, std::move(options))) {}

Server::~Server() = default;

void Server::start() {
  impl_->start();
}
void Server::stop() {
  impl_->stop();
}
std::uint16_t Server::port() const noexcept {
  return impl_->bound_port;
}
const ServerOptions& Server::options() const noexcept {
  return impl_->options;
}

bool is_loopback_host(std::string_view host) {
  if (host == "localhost") return true;
  error_code ec;
  const auto address = asio::ip::make_address(std::string(host), ec);
  return !ec && address.is_loopback();
}

std::string Server::url() const {
  const auto& host = impl_->options.host;
  const bool v6 = host.find(':') != std::string::npos;
  return "http://" + (v6 ? "[" + host + "]" : host) + ":" + std::to_string(impl_->bound_port);
}

}  // namespace mockcloud::http
