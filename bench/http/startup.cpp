// mockcloud-bench-startup: the time from starting mockcloud-server to its first 200 on /health.
//
//   mockcloud-bench-startup [--runs 20] [--timeout-ms 5000] -- SERVER [ARGS...]
//
// Each run: note the time, fork + exec SERVER ARGS (which should include `--port 0`), read its
// stdout until the line `... listening on http://HOST:PORT ...`, then poll `GET /health` over a
// raw socket (connect, send, read the status line; again at once on a refused connection or a
// status other than 200) until a 200; note the time, SIGTERM the server and reap it. Prints one
// line per run and then `key=value` lines (medians, min, max, in milliseconds) that
// bench/http/run.sh parses:
//   startup_runs=20 startup_median_ms=... startup_min_ms=... startup_max_ms=...
//   listen_median_ms=...  (start to the printed port: the part before the first /health)
//   child_cpu_ms_per_run=...  (the servers' CPU time, user + system, per run, from
//   getrusage(RUSAGE_CHILDREN): what start-up costs when the cores are free)
// The exit code is 0 when every run got its 200 within --timeout-ms, 1 otherwise.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

struct Endpoint {
  std::string host;
  int port = 0;
};

/// Parses "... listening on http://127.0.0.1:PORT ..." (IPv4 hosts only: the benchmark's case).
std::optional<Endpoint> parse_listening(std::string_view out) {
  const auto at = out.find("listening on http://");
  if (at == std::string_view::npos) return std::nullopt;
  auto rest = out.substr(at + std::strlen("listening on http://"));
  const auto colon = rest.find(':');
  if (colon == std::string_view::npos) return std::nullopt;
  Endpoint e{std::string(rest.substr(0, colon)), 0};
  std::size_t i = colon + 1, digits = 0;
  for (; i < rest.size() && rest[i] >= '0' && rest[i] <= '9'; ++i, ++digits)
    e.port = e.port * 10 + (rest[i] - '0');
  if (digits == 0 || i == rest.size()) return std::nullopt;  // the port may still be arriving
  return e;
}

/// One GET /health on a fresh connection; the status code, or 0 if the exchange failed.
int get_health(const Endpoint& e) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return 0;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(e.port));
  ::inet_pton(AF_INET, e.host == "localhost" ? "127.0.0.1" : e.host.c_str(), &addr.sin_addr);
  int status = 0;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    static constexpr std::string_view req =
        "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    if (::send(fd, req.data(), req.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(req.size())) {
      char buf[64];
      std::size_t got = 0;
      while (got < 12) {  // "HTTP/1.1 200"
        const ssize_t n = ::recv(fd, buf + got, sizeof buf - got, 0);
        if (n <= 0) break;
        got += static_cast<std::size_t>(n);
      }
      if (got >= 12 && std::string_view(buf, 5) == "HTTP/") status = std::atoi(buf + 9);
    }
  }
  ::close(fd);
  return status;
}

struct Run {
  bool ok = false;
  double listen_ms = 0, health_ms = 0;
  std::string error;
};

Run run_once(char** argv, int timeout_ms) {
  Run r;
  int out[2];
  if (::pipe2(out, O_CLOEXEC) != 0) {
    r.error = std::string("pipe: ") + std::strerror(errno);
    return r;
  }
  const auto t0 = Clock::now();
  const pid_t pid = ::fork();
  if (pid < 0) {
    r.error = std::string("fork: ") + std::strerror(errno);
    return r;
  }
  if (pid == 0) {
    ::dup2(out[1], STDOUT_FILENO);  // dup2 clears FD_CLOEXEC on the copy
    ::execv(argv[0], argv);
    std::fprintf(stderr, "exec %s: %s\n", argv[0], std::strerror(errno));
    ::_exit(127);
  }
  ::close(out[1]);

  std::string printed;
  std::optional<Endpoint> endpoint;
  while (!endpoint) {
    const double left = timeout_ms - ms_since(t0);
    pollfd p{out[0], POLLIN, 0};
    if (left <= 0 || ::poll(&p, 1, static_cast<int>(left) + 1) <= 0) {
      r.error = "no `listening on` line in time";
      break;
    }
    char buf[512];
    const ssize_t n = ::read(out[0], buf, sizeof buf);
    if (n <= 0) {
      r.error = "the server exited before printing its port: " + printed;
      break;
    }
    printed.append(buf, static_cast<std::size_t>(n));
    endpoint = parse_listening(printed);
  }
  if (endpoint) {
    r.listen_ms = ms_since(t0);
    for (;;) {
      if (get_health(*endpoint) == 200) {
        r.health_ms = ms_since(t0);
        r.ok = true;
        break;
      }
      if (ms_since(t0) > timeout_ms) {
        r.error = "no 200 on /health in time";
        break;
      }
    }
  }
  ::kill(pid, SIGTERM);
  int status = 0;
  for (int i = 0; i < 500; ++i) {  // up to 5 s for a graceful stop, then SIGKILL
    if (::waitpid(pid, &status, WNOHANG) == pid) {
      ::close(out[0]);
      return r;
    }
    ::usleep(10'000);
  }
  ::kill(pid, SIGKILL);
  ::waitpid(pid, &status, 0);
  ::close(out[0]);
  return r;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const auto n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int usage() {
  std::fprintf(stderr,
               "usage: mockcloud-bench-startup [--runs N] [--timeout-ms MS] -- SERVER [ARGS...]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  int runs = 20, timeout_ms = 5000, i = 1;
  for (; i < argc; ++i) {
    const std::string_view a = argv[i];
    if (a == "--") {
      ++i;
      break;
    }
    if (i + 1 >= argc) return usage();
    if (a == "--runs")
      runs = std::atoi(argv[++i]);
    else if (a == "--timeout-ms")
      timeout_ms = std::atoi(argv[++i]);
    else
      return usage();
  }
  if (i >= argc || runs < 1) return usage();
  char** server_argv = argv + i;

  std::vector<double> health, listen;
  int failures = 0;
  for (int k = 0; k < runs; ++k) {
    const Run r = run_once(server_argv, timeout_ms);
    if (!r.ok) {
      ++failures;
      std::printf("run %2d: FAILED: %s\n", k + 1, r.error.c_str());
      continue;
    }
    health.push_back(r.health_ms);
    listen.push_back(r.listen_ms);
    std::printf("run %2d: port printed %.2f ms, first 200 on /health %.2f ms\n", k + 1, r.listen_ms,
                r.health_ms);
  }
  std::printf("startup_runs=%d startup_failures=%d\n", runs, failures);
  if (!health.empty()) {
    std::printf("startup_median_ms=%.2f startup_min_ms=%.2f startup_max_ms=%.2f\n", median(health),
                *std::min_element(health.begin(), health.end()),
                *std::max_element(health.begin(), health.end()));
    std::printf("listen_median_ms=%.2f\n", median(listen));
  }
  rusage children{};
  ::getrusage(RUSAGE_CHILDREN, &children);
  const double cpu_ms = (children.ru_utime.tv_sec + children.ru_stime.tv_sec) * 1e3 +
                        (children.ru_utime.tv_usec + children.ru_stime.tv_usec) / 1e3;
  std::printf("child_cpu_ms_per_run=%.2f\n", cpu_ms / runs);
  return failures == 0 ? 0 : 1;
}
