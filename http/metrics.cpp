#include "metrics.hpp"

#include <fmt/format.h>

#include <iterator>

#include "api.hpp"
#include "mockcloud/manager.hpp"
#include "router.hpp"
#include "service.hpp"

#ifndef MOCKCLOUD_VERSION
#define MOCKCLOUD_VERSION "0.0.0"
#endif

namespace mockcloud::http {
namespace {

// A label value: backslash, quote and newline escaped.
void label(std::string& out, std::string_view v) {
  out += '"';
  for (char c : v) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  out += '"';
}

void header(std::string& out, std::string_view name, std::string_view type, std::string_view help) {
  fmt::format_to(std::back_inserter(out), "# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
}

void route_labels(std::string& out, std::string_view method, std::string_view route) {
  out += "method=";
  label(out, method);
  out += ",route=";
  label(out, route);
}

}  // namespace

void Metrics::allocate(std::size_t count) {
  stats_ = std::make_unique<RouteStats[]>(count + 1);
  count_ = count;
}

void Metrics::render(std::string& out, const Router& router, const ResourceManager& manager,
                     std::size_t open_connections) const {
  auto it = std::back_inserter(out);
  const auto& routes = router.routes();
  auto labels_of = [&](std::size_t i, std::string& o) {
    if (i < count_ && i < routes.size())
      route_labels(o, routes[i].method, routes[i].path);
    else
      route_labels(o, "", "unmatched");
  };

  header(out, "mockcloud_http_requests_total", "counter",
         "HTTP requests answered, by method, route template and status (route \"unmatched\": "
         "unknown paths, wrong methods, and requests rejected before routing)");
  for (std::size_t i = 0; i <= count_; ++i) {
    const RouteStats& s = stats_[i];
    for (std::size_t st = 0; st < statuses; ++st) {
      const auto n = s.by_status[st].load(std::memory_order_relaxed);
      if (n == 0) continue;
      out += "mockcloud_http_requests_total{";
      labels_of(i, out);
      if (st + 1 == statuses)
        out += ",status=\"other\"} ";
      else
        fmt::format_to(it, ",status=\"{}\"}} ", st + 100);
      fmt::format_to(it, "{}\n", n);
    }
  }

  header(out, "mockcloud_http_request_duration_seconds", "histogram",
         "Time to handle a request (routing, the cloud, the JSON; not socket I/O or injected "
         "latency), by method and route template");
  for (std::size_t i = 0; i <= count_; ++i) {
    const RouteStats& s = stats_[i];
    std::array<std::uint64_t, buckets.size() + 1> counts{};
    std::uint64_t total = 0;
    for (std::size_t b = 0; b < counts.size(); ++b)
      total += counts[b] = s.latency[b].load(std::memory_order_relaxed);
    if (total == 0) continue;
    std::string labels;
    labels_of(i, labels);
    std::uint64_t cumulative = 0;
    for (std::size_t b = 0; b < counts.size(); ++b) {
      cumulative += counts[b];
      if (b < buckets.size())
        fmt::format_to(it, "mockcloud_http_request_duration_seconds_bucket{{{},le=\"{}\"}} {}\n",
                       labels, buckets[b], cumulative);
      else
        fmt::format_to(it, "mockcloud_http_request_duration_seconds_bucket{{{},le=\"+Inf\"}} {}\n",
                       labels, cumulative);
    }
    fmt::format_to(it, "mockcloud_http_request_duration_seconds_sum{{{}}} {}\n", labels,
                   static_cast<double>(s.sum_ns.load(std::memory_order_relaxed)) / 1e9);
    fmt::format_to(it, "mockcloud_http_request_duration_seconds_count{{{}}} {}\n", labels,
                   cumulative);
  }

  header(out, "mockcloud_http_open_connections", "gauge", "Open client connections");
  fmt::format_to(it, "mockcloud_http_open_connections {}\n", open_connections);

  const Counts counts = manager.counts();
  const StatusCounts by_status = manager.status_counts();
  header(out, "mockcloud_resources", "gauge", "Resources that exist, by kind");
  fmt::format_to(it, "mockcloud_resources{{kind=\"environment\"}} {}\n", counts.environments);
  fmt::format_to(it, "mockcloud_resources{{kind=\"security_group\"}} {}\n", counts.security_groups);
  fmt::format_to(it, "mockcloud_resources{{kind=\"vm\"}} {}\n", counts.vms);
  fmt::format_to(it, "mockcloud_resources{{kind=\"volume\"}} {}\n", counts.volumes);

  header(out, "mockcloud_resources_by_status", "gauge", "VMs and volumes by status");
  for (auto s : all_vm_statuses)
    fmt::format_to(it, "mockcloud_resources_by_status{{kind=\"vm\",status=\"{}\"}} {}\n",
                   to_string(s), by_status.vms[static_cast<std::size_t>(s)]);
  for (auto s : all_volume_statuses)
    fmt::format_to(it, "mockcloud_resources_by_status{{kind=\"volume\",status=\"{}\"}} {}\n",
                   to_string(s), by_status.volumes[static_cast<std::size_t>(s)]);

  header(out, "mockcloud_tasks", "gauge", "Tasks held (they outlive their resources), by state");
  for (auto s : all_task_states)
    fmt::format_to(it, "mockcloud_tasks{{state=\"{}\"}} {}\n", to_string(s),
                   by_status.tasks[static_cast<std::size_t>(s)]);

  header(out, "mockcloud_uptime_seconds", "gauge", "Real seconds since the process started");
  fmt::format_to(it, "mockcloud_uptime_seconds {}\n", Api::uptime_seconds());

  header(out, "mockcloud_build_info", "gauge", "The server's version, as a label");
  fmt::format_to(it, "mockcloud_build_info{{version=\"{}\"}} 1\n", MOCKCLOUD_VERSION);
}

void metrics_text(Api& api, const Call&, Response& res) {
  res.status = 200;
  res.content_type = Metrics::content_type;
  res.body.reserve(16 * 1024);
  api.metrics().render(res.body, api.router(), api.manager(), api.open_connections());
}

}  // namespace mockcloud::http
