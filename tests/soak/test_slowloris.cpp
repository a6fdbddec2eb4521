// Slow clients (issue #6): 500 connections that each send a byte of a request per second do not
// delay a normal client by more than a few milliseconds, and the idle timeout closes each of
// them (a request must arrive whole within it, however it trickles).
//
//   MOCKCLOUD_SLOWLORIS_CONNECTIONS   slow connections (default 500)
//   MOCKCLOUD_SLOWLORIS_SECONDS       how long they trickle (default 5)
//   MOCKCLOUD_SLOWLORIS_SLACK_MS      allowed rise of the normal client's p99 (default 5)
//   MOCKCLOUD_SLOWLORIS_ROUNDS        attempts at the latency bound (default 3)
#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <thread>
#include <vector>

#include "soak_support.hpp"

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

int open_nonblocking(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 && errno != EINPROGRESS) {
    ::close(fd);
    return -1;
  }
  return fd;
}

/// Latencies of sequential keep-alive requests for `duration`.
std::vector<std::chrono::nanoseconds> measure(test::Client& c, std::chrono::milliseconds duration,
                                              int& failures) {
  std::vector<std::chrono::nanoseconds> out;
  const auto end = Clock::now() + duration;
  while (Clock::now() < end) {
    const auto t0 = Clock::now();
    if (c.get("/api/v1/vms?limit=5").status != 200) ++failures;
    out.push_back(Clock::now() - t0);
    std::this_thread::sleep_for(2ms);
  }
  return out;
}

}  // namespace

TEST_CASE("slowloris: trickling connections are cut by the idle timeout, others are not slowed") {
  const int slow = static_cast<int>(soak::env_number("MOCKCLOUD_SLOWLORIS_CONNECTIONS", 500));
  const auto trickle_for = std::chrono::milliseconds(
      static_cast<std::int64_t>(soak::env_number("MOCKCLOUD_SLOWLORIS_SECONDS", 5) * 1000));
  const double slack_ms = soak::env_number("MOCKCLOUD_SLOWLORIS_SLACK_MS", 5);
  REQUIRE(soak::raise_fd_limit() >= static_cast<rlim_t>(2 * slow + 64));

  constexpr auto idle_timeout = 1500ms;
  mockcloud::ManagerOptions options;
  options.seed = 42;
  soak::InProcessServer s(
      options, {.host = "127.0.0.1", .port = 0, .threads = 1, .idle_timeout = idle_timeout});
  const auto port = s.server.port();
  {
    test::Client setup(port);
    auto env = setup.post("/api/v1/environments", R"({"name":"dev"})");
    REQUIRE(env.status == 201);
    const auto id = test::str(env.json().at("id"));
    for (int i = 0; i < 5; ++i)
      REQUIRE(setup
                  .post("/api/v1/vms", R"({"name":"vm-)" + std::to_string(i) +
                                           R"(","environment_id":")" + id + "\"}")
                  .status == 202);
  }

  // On a shared machine another process may steal the CPU at the wrong moment: the latency
  // bound must hold in one of `rounds` rounds (a real regression fails them all).
  const int rounds = static_cast<int>(soak::env_number("MOCKCLOUD_SLOWLORIS_ROUNDS", 3));
  bool latency_ok = false;
  for (int round = 1; round <= rounds; ++round) {
    test::Client normal(port);
    int failures = 0;
    measure(normal, 300ms, failures);  // warm up
    auto baseline = measure(normal, 1500ms, failures);

    // The attack: one thread keeps `slow` connections open, each sending the next byte of a
    // request once a second, reopening any the server closes; it records how long each lived.
    std::atomic<int> opened{0}, closed_by_server{0}, overdue{0};
    std::chrono::nanoseconds longest{0};
    std::thread attacker([&] {
      static constexpr std::string_view request =
          "GET /api/v1/vms HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: slowloris\r\n"
          "X-Padding: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n\r\n";
      struct Slow {
        int fd = -1;
        std::size_t sent = 0;
        Clock::time_point opened_at, next_byte;
      };
      std::vector<Slow> conns(static_cast<std::size_t>(slow));
      const int epoll = ::epoll_create1(0);
      auto reopen = [&](Slow& c, std::size_t i, Clock::time_point now) {
        c.fd = open_nonblocking(port);
        c.sent = 0;
        c.opened_at = now;
        c.next_byte = now;
        if (c.fd < 0) return;
        ++opened;
        epoll_event ev{};
        ev.events = EPOLLIN | EPOLLRDHUP;
        ev.data.u64 = i;
        ::epoll_ctl(epoll, EPOLL_CTL_ADD, c.fd, &ev);
      };
      // The connections open over the first second, so the server sees a steady trickle of
      // bytes (and of timeouts) rather than waves.
      const auto start = Clock::now();
      for (std::size_t i = 0; i < conns.size(); ++i)
        conns[i].next_byte = start + std::chrono::milliseconds(i * 1000 / conns.size());
      std::vector<epoll_event> events(conns.size());
      while (Clock::now() - start < trickle_for) {
        const int ready = ::epoll_wait(epoll, events.data(), static_cast<int>(events.size()), 5);
        auto now = Clock::now();
        for (int e = 0; e < ready; ++e) {  // closed (or reset) by the server
          const auto i = static_cast<std::size_t>(events[static_cast<std::size_t>(e)].data.u64);
          Slow& c = conns[i];
          char buf[512];
          const auto n = ::recv(c.fd, buf, sizeof buf, 0);
          if (n > 0 || (n < 0 && errno == EAGAIN)) continue;
          const auto lived = now - c.opened_at;
          longest = std::max<std::chrono::nanoseconds>(longest, lived);
          if (lived > idle_timeout * 5 / 4 + 1s) ++overdue;
          ++closed_by_server;
          ::close(c.fd);
          reopen(c, i, now);
        }
        for (std::size_t i = 0; i < conns.size(); ++i) {
          Slow& c = conns[i];
          if (c.fd < 0) {
            if (now >= c.next_byte) reopen(c, i, now);
            continue;
          }
          if (now >= c.next_byte && c.sent < request.size()) {
            if (::send(c.fd, request.data() + c.sent, 1, MSG_NOSIGNAL) == 1) ++c.sent;
            c.next_byte += 1s;
          }
        }
      }
      for (auto& c : conns)
        if (c.fd >= 0) ::close(c.fd);
      ::close(epoll);
    });

    std::this_thread::sleep_for(1s);  // let the connections open
    auto attacked = measure(normal, trickle_for - 1200ms, failures);
    attacker.join();

    const double base_p50 = soak::quantile_ms(baseline, 0.5);
    const double base_p99 = soak::quantile_ms(baseline, 0.99);
    const double p50 = soak::quantile_ms(attacked, 0.5);
    const double p99 = soak::quantile_ms(attacked, 0.99);
    MESSAGE("slowloris round " << round << ": " << slow << " slow connections (" << opened.load()
                               << " opened, " << closed_by_server.load()
                               << " closed by the server, longest lived "
                               << std::chrono::duration<double>(longest).count()
                               << " s); normal client p50/p99 " << base_p50 << "/" << base_p99
                               << " ms before, " << p50 << "/" << p99 << " ms during, "
                               << attacked.size() << " requests");
    CHECK(failures == 0);
    CHECK(attacked.size() > 100);
    // Every slow connection opened in the first second was cut once the timeout passed, none late.
    CHECK(closed_by_server.load() >= slow);
    CHECK(overdue.load() == 0);
    CHECK(normal.get("/health").status == 200);  // the normal client was never cut
    if (p99 <= base_p99 + slack_ms) {
      latency_ok = true;
      break;
    }
  }
  CHECK_MESSAGE(latency_ok,
                "the normal client's p99 rose by more than " << slack_ms << " ms in every round");
}
