// Shared by the load tests: an in-process server, settings from the environment, latency stats.
#pragma once

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <string>
#include <vector>

#include "client.hpp"
#include "mockcloud/clock.hpp"
#include "mockcloud/http/server.hpp"
#include "mockcloud/manager.hpp"

namespace soak {

/// A number from the environment, or `fallback` when unset or not a number.
inline double env_number(const char* name, double fallback) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return fallback;
  char* end = nullptr;
  const double d = std::strtod(v, &end);
  return end != v && *end == '\0' ? d : fallback;
}

/// Raises the soft descriptor limit to the hard one; returns the new soft limit.
inline rlim_t raise_fd_limit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return 0;
  if (limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
    getrlimit(RLIMIT_NOFILE, &limit);
  }
  return limit.rlim_cur;
}

struct InProcessServer {
  InProcessServer(mockcloud::ManagerOptions manager_options,
                  mockcloud::http::ServerOptions server_options)
      : manager(std::move(manager_options), clock), server(manager, server_options) {
    server.start();
  }
  mockcloud::VirtualClock clock;
  mockcloud::ResourceManager manager;
  mockcloud::http::Server server;
};

/// The q-quantile (0..1) of `samples` in milliseconds; sorts them.
inline double quantile_ms(std::vector<std::chrono::nanoseconds>& samples, double q) {
  if (samples.empty()) return 0;
  std::sort(samples.begin(), samples.end());
  const auto i = std::min(samples.size() - 1, static_cast<std::size_t>(q * samples.size()));
  return std::chrono::duration<double, std::milli>(samples[i]).count();
}

}  // namespace soak
