// The server's log: one line per request (method, route template, path, status, duration,
// request id) and one per settled task (a VM running or failed, a volume available, a deletion,
// a revocation), as text or JSON lines. Process-wide, like a logger: mockcloud-server configures
// it from --log-level / --log-format; an embedded server logs nothing until configure() is called.
//
// Cheap on the hot path: a disabled level costs one relaxed atomic load; an enabled line is
// formatted into a thread-local buffer, with no lock, and leaves in one write(2).
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

namespace mockcloud {
struct Task;
}

namespace mockcloud::http::log {

enum class Level : int { debug, info, warning, error, off };
enum class Format : int { text, json };

std::optional<Level> parse_level(std::string_view name) noexcept;    // "debug" ... "off"
std::optional<Format> parse_format(std::string_view name) noexcept;  // "text" | "json"
std::string_view to_string(Level level) noexcept;

/// Lines at `level` and above go to file descriptor `fd` (stdout by default) in `format`.
void configure(Level level, Format format, int fd = 1) noexcept;
bool enabled(Level level) noexcept;

/// One request: `route` is the template ("/api/v1/vms/{id}"), empty when none matched.
void request(std::string_view method, std::string_view route, std::string_view path, int status,
             std::chrono::nanoseconds duration, std::string_view request_id);
/// A settled task (ManagerOptions::on_task_settled), at info.
void task_settled(const Task& task);
/// A free-form event ("unhandled exception", ...).
void message(Level level, std::string_view event, std::string_view text);

}  // namespace mockcloud::http::log
