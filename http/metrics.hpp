// Request metrics in the Prometheus text format (GET /metrics). Recording a request costs a few
// relaxed atomic increments on counters pre-allocated per route; no lock, no allocation.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace mockcloud {
class ResourceManager;
}

namespace mockcloud::http {

class Router;

class Metrics {
 public:
  /// The slot of requests that matched no route: unknown paths, 405s, and requests the
  /// connection rejected before routing (400, 413, 431, 503).
  static constexpr std::size_t unmatched = static_cast<std::size_t>(-1);

  Metrics() = default;
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  /// Allocates the counters of routes 0..count-1 (the router's indices); call before serving.
  /// Routes added later count as unmatched.
  void allocate(std::size_t count);

  /// Counts one answered request of route `route` (a router index, or `unmatched`).
  void observe(std::size_t route, int status, std::chrono::nanoseconds duration) noexcept {
    RouteStats& s = stats_[route < count_ ? route : count_];
    const unsigned slot = status >= 100 && status <= 599 ? static_cast<unsigned>(status - 100)
                                                         : static_cast<unsigned>(statuses - 1);
    s.by_status[slot].fetch_add(1, std::memory_order_relaxed);
    const auto ns = static_cast<std::uint64_t>(duration.count() < 0 ? 0 : duration.count());
    std::size_t b = 0;
    while (b < bucket_ns.size() && ns > bucket_ns[b])
      ++b;
    s.latency[b].fetch_add(1, std::memory_order_relaxed);
    s.sum_ns.fetch_add(ns, std::memory_order_relaxed);
  }

  /// Appends every metric (docs/http-api.md, "GET /metrics"): requests by route and status, the
  /// latency histogram by route, open connections, resources by kind and status, tasks by state,
  /// uptime.
  void render(std::string& out, const Router& router, const ResourceManager& manager,
              std::size_t open_connections) const;

  /// The Content-Type of render()'s output.
  static constexpr std::string_view content_type = "text/plain; version=0.0.4; charset=utf-8";

  /// The histogram's upper bounds, in seconds.
  static constexpr std::array<double, 16> buckets{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
                                                  0.01,   0.025,   0.05,   0.1,   0.25,   0.5,
                                                  1,      2.5,     5,      10};

 private:
  static constexpr std::array<std::uint64_t, buckets.size()> bucket_ns{
      100'000,       250'000,       500'000,       1'000'000,     2'500'000,   5'000'000,
      10'000'000,    25'000'000,    50'000'000,    100'000'000,   250'000'000, 500'000'000,
      1'000'000'000, 2'500'000'000, 5'000'000'000, 10'000'000'000};
  static constexpr std::size_t statuses = 501;  // 100..599, then "other"

  struct alignas(64) RouteStats {
    std::array<std::atomic<std::uint64_t>, statuses> by_status{};
    std::array<std::atomic<std::uint64_t>, buckets.size() + 1> latency{};  // not cumulative
    std::atomic<std::uint64_t> sum_ns{0};
  };

  std::unique_ptr<RouteStats[]> stats_ = std::make_unique<RouteStats[]>(1);  // [count_]: unmatched
  std::size_t count_ = 0;
};

}  // namespace mockcloud::http
