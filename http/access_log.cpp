#include "access_log.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <iterator>
#include <string>

#include "mockcloud/resources.hpp"
#include "mockcloud/time.hpp"

namespace mockcloud::http {

void write_string(std::string& out, std::string_view s);  // json_write.cpp

namespace log {
namespace {

std::atomic<int> g_level{static_cast<int>(Level::off)};
std::atomic<int> g_format{static_cast<int>(Format::text)};
std::atomic<int> g_fd{1};

constexpr std::string_view level_names[] = {"debug", "info", "warning", "error", "off"};
constexpr std::string_view text_level_names[] = {"DEBUG", "INFO ", "WARN ", "ERROR", "OFF  "};

bool json() noexcept {
  return g_format.load(std::memory_order_relaxed) == static_cast<int>(Format::json);
}

// A line under construction: the thread's buffer, reused from line to line.
std::string& begin_line(Level level) {
  thread_local std::string line;
  line.clear();
  char ts[24];
  format_rfc3339(std::chrono::system_clock::now(), ts);
  if (json()) {
    line += "{\"time\":\"";
    line.append(ts, sizeof ts);
    line += "\",\"level\":\"";
    line += level_names[static_cast<int>(level)];
    line += '"';
  } else {
    line.append(ts, sizeof ts);
    line += ' ';
    line += text_level_names[static_cast<int>(level)];
  }
  return line;
}

// A value of the text format: control characters escaped, so that one event stays one line.
void text_value(std::string& out, std::string_view v) {
  for (char c : v) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f)
      fmt::format_to(std::back_inserter(out), "\\x{:02x}", u);
    else
      out += c;
  }
}

// `,"key":"value"` or ` key=value`.
void field(std::string& line, std::string_view key, std::string_view value) {
  if (json()) {
    line += ",\"";
    line += key;
    line += "\":";
    write_string(line, value);
  } else {
    line += ' ';
    line += key;
    line += '=';
    if (value.find_first_of(" \"") == std::string_view::npos && !value.empty()) {
      text_value(line, value);
      return;
    }
    line += '"';
    for (char c : value) {
      if (c == '"' || c == '\\') line += '\\';
      text_value(line, std::string_view(&c, 1));
    }
    line += '"';
  }
}

void end_line(std::string& line) {
  if (json()) line += '}';
  line += '\n';
  const int fd = g_fd.load(std::memory_order_relaxed);
  const char* p = line.data();
  std::size_t left = line.size();
  while (left > 0) {
    const ssize_t n = ::write(fd, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // a closed stdout must not take the server down
    p += n;
    left -= static_cast<std::size_t>(n);
  }
}

std::string_view event_of(const Task& t) {
  const bool vm = t.kind == TaskKind::vm_create || t.kind == TaskKind::vm_delete;
  const bool create = t.kind == TaskKind::vm_create || t.kind == TaskKind::volume_create;
  switch (t.state) {
    case TaskState::success:
      if (create) return vm ? "VM running" : "volume available";
      return vm ? "VM deleted" : "volume deleted";
    case TaskState::failure:
      if (create) return vm ? "VM failed" : "volume failed";
      return vm ? "VM deletion failed" : "volume deletion failed";
    case TaskState::revoked:
      return vm ? "VM creation revoked" : "volume creation revoked";
    default:
      return vm ? "VM task settled" : "volume task settled";
  }
}

}  // namespace

std::optional<Level> parse_level(std::string_view name) noexcept {
  for (int i = 0; i < 5; ++i)
    if (level_names[i] == name) return static_cast<Level>(i);
  if (name == "warn") return Level::warning;
  return std::nullopt;
}

std::optional<Format> parse_format(std::string_view name) noexcept {
  if (name == "text") return Format::text;
  if (name == "json") return Format::json;
  return std::nullopt;
}

std::string_view to_string(Level level) noexcept {
  return level_names[static_cast<int>(level)];
}

void configure(Level level, Format format, int fd) noexcept {
  g_format.store(static_cast<int>(format), std::memory_order_relaxed);
  g_fd.store(fd, std::memory_order_relaxed);
  g_level.store(static_cast<int>(level), std::memory_order_relaxed);
}

bool enabled(Level level) noexcept {
  return level != Level::off && static_cast<int>(level) >= g_level.load(std::memory_order_relaxed);
}

void request(std::string_view method, std::string_view route, std::string_view path, int status,
             std::chrono::nanoseconds duration, std::string_view request_id) {
  if (!enabled(Level::info)) return;
  auto& line = begin_line(Level::info);
  const double ms = static_cast<double>(duration.count()) / 1e6;
  if (json()) {
    line += ",\"event\":\"request\"";
    field(line, "method", method);
    if (route.empty())
      line += ",\"route\":null";
    else
      field(line, "route", route);
    field(line, "path", path);
    fmt::format_to(std::back_inserter(line), ",\"status\":{},\"duration_ms\":{:.3f}", status, ms);
    field(line, "request_id", request_id);
  } else {
    line += " request ";
    text_value(line, method);
    line += ' ';
    line += route.empty() ? std::string_view{"-"} : route;
    fmt::format_to(std::back_inserter(line), " {} {:.3f}ms", status, ms);
    field(line, "path", path);
    field(line, "request_id", request_id);
  }
  end_line(line);
}

void task_settled(const Task& t) {
  if (!enabled(Level::info)) return;
  auto& line = begin_line(Level::info);
  const std::string_view event = event_of(t);
  char at[24];
  format_rfc3339(t.finished_at.value_or(t.eta), at);
  if (json()) {
    line += ",\"event\":\"task\"";
    field(line, "msg", event);
    field(line, "kind", to_string(t.kind));
    field(line, "state", to_string(t.state));
    field(line, "resource_id", t.resource_id);
    field(line, "task_id", t.id);
    if (t.error)
      field(line, "error", *t.error);
    else
      line += ",\"error\":null";
    field(line, "at", std::string_view(at, sizeof at));
  } else {
    line += " task ";
    line += event;
    field(line, "resource_id", t.resource_id);
    field(line, "kind", to_string(t.kind));
    field(line, "state", to_string(t.state));
    field(line, "task_id", t.id);
    if (t.error) field(line, "error", *t.error);
    field(line, "at", std::string_view(at, sizeof at));
  }
  end_line(line);
}

void message(Level level, std::string_view event, std::string_view text) {
  if (!enabled(level)) return;
  auto& line = begin_line(level);
  if (json()) {
    field(line, "event", event);
    field(line, "msg", text);
  } else {
    line += ' ';
    line += event;
    line += ": ";
    text_value(line, text);
  }
  end_line(line);
}

}  // namespace log
}  // namespace mockcloud::http
