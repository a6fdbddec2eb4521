// Injected faults for test suites (`/_mock/faults`, docs/http-api.md).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "mockcloud/resources.hpp"

namespace mockcloud {

/// One of three shapes:
///  - operation + fail_next: the next N operations of that kind, in request order, fail when
///    they complete;
///  - route + status (+ rate, default 1): that route ("POST /api/v1/vms", trailing slash
///    ignored) answers the status at that rate, drawn from the seed;
///  - latency_ms: a real-time delay before every `/api/v1` response.
struct FaultSpec {
  std::optional<TaskKind> operation;
  std::optional<std::int64_t> fail_next;
  std::optional<std::string> route;
  std::optional<std::int64_t> status;
  std::optional<double> rate;
  std::optional<std::int64_t> latency_ms;
};

struct Fault {
  std::string id;
  std::optional<TaskKind> operation;
  std::optional<std::int64_t> fail_next;  // how many are left
  std::optional<std::string> route;       // normalized: "POST /api/v1/vms"
  std::optional<int> status;
  std::optional<double> rate;
  std::optional<std::int64_t> latency_ms;
  TimePoint created_at;
  friend bool operator==(const Fault&, const Fault&) = default;
};

}  // namespace mockcloud
