#include "config.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>

#include <cctype>
#include <charconv>
#include <cstdlib>
#include <map>
#include <optional>
#include <vector>

#ifndef MOCKCLOUD_VERSION
#define MOCKCLOUD_VERSION "0.0.0"
#endif

namespace mockcloud::http {
namespace {

struct Value {
  std::string text;
  std::string source;  // "--port" or "PORT", for the error message
};

using Apply = void (*)(std::string_view text, Config& config);  // throws std::invalid_argument

struct StartupSetting {
  std::string_view name;
  std::string_view help;
  Apply apply;
};

template <class Int>
Int parse_integer(std::string_view text, Int min, Int max, std::string_view what) {
  Int v{};
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc{} || end != text.data() + text.size() || v < min || v > max)
    throw std::invalid_argument(fmt::format("expected {}", what));
  return v;
}

double parse_number(std::string_view text) {
  double v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc{} || end != text.data() + text.size())
    throw std::invalid_argument("expected a number");
  return v;
}

bool is_ip_address(const std::string& host) {
  unsigned char buf[16];
  return inet_pton(AF_INET, host.c_str(), buf) == 1 || inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

// "scheme://host[:port]" as a browser sends it in Origin (lower case, no path); the canonical
// form, or nullopt.
std::optional<std::string> parse_origin(std::string_view text) {
  std::string out;
  for (char ch : text)
    out += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  const auto sep = out.find("://");
  if (sep == std::string::npos || sep == 0) return std::nullopt;
  for (std::size_t i = 0; i < sep; ++i) {
    const char ch = out[i];
    if (!(std::isalpha(static_cast<unsigned char>(ch)) ||
          (i > 0 &&
           (std::isdigit(static_cast<unsigned char>(ch)) || ch == '+' || ch == '-' || ch == '.'))))
      return std::nullopt;
  }
  std::string_view rest = std::string_view(out).substr(sep + 3);
  std::string_view host = rest, port;
  if (rest.starts_with('[')) {  // [::1]:8080
    const auto close = rest.find(']');
    if (close == std::string_view::npos || close == 1) return std::nullopt;
    for (char ch : rest.substr(1, close - 1))
      if (!std::isxdigit(static_cast<unsigned char>(ch)) && ch != ':' && ch != '.')
        return std::nullopt;
    host = rest.substr(0, close + 1);
    rest.remove_prefix(close + 1);
    if (!rest.empty() && rest.front() != ':') return std::nullopt;
    port = rest.empty() ? rest : rest.substr(1);
    if (!rest.empty() && port.empty()) return std::nullopt;
  } else {
    const auto colon = rest.find(':');
    host = rest.substr(0, colon);
    if (colon != std::string_view::npos) {
      port = rest.substr(colon + 1);
      if (port.empty()) return std::nullopt;
    }
    if (host.empty()) return std::nullopt;
    for (char ch : host)
      if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '-' && ch != '.')
        return std::nullopt;
  }
  if (!port.empty()) {
    unsigned v = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), v);
    if (ec != std::errc{} || end != port.data() + port.size() || v < 1 || v > 65535)
      return std::nullopt;
  }
  return out;
}

std::vector<std::string> parse_cors_origins(std::string_view text) {
  if (text == "*") return {"*"};
  if (text == "none") return {};
  std::vector<std::string> origins;
  while (true) {
    const auto comma = text.find(',');
    std::string_view item = text.substr(0, comma);
    while (!item.empty() && item.front() == ' ')
      item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ')
      item.remove_suffix(1);
    auto origin = parse_origin(item);
    if (!origin)
      throw std::invalid_argument(fmt::format(
          "expected *, none or comma-separated origins like http://localhost:3000 (not \"{}\")",
          item));
    origins.push_back(std::move(*origin));
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return origins;
}

const StartupSetting startup_settings[] = {
    {"host", "address to listen on (default 127.0.0.1)",
     [](std::string_view text, Config& c) {
       std::string host(text);
       if (host != "localhost" && !is_ip_address(host))
         throw std::invalid_argument("expected an IP address or localhost");
       c.server.host = std::move(host);
     }},
    {"port", "port to listen on; 0 picks a free one (default 8000)",
     [](std::string_view text, Config& c) {
       c.server.port = parse_integer<std::uint16_t>(text, 0, 65535, "an integer 0..65535");
     }},
    {"threads", "I/O threads (default: one per core)",
     [](std::string_view text, Config& c) {
       c.server.threads = parse_integer<unsigned>(text, 1, 1024, "an integer 1..1024");
     }},
    {"seed", "seed of every random draw (default: random, printed at start)",
     [](std::string_view text, Config& c) {
       c.seed = parse_integer<std::uint64_t>(text, 0, UINT64_MAX, "an unsigned 64-bit integer");
     }},
    {"dialect",
     "mockcloud | original: this service's API (the default), or the Python Mock Cloud API's "
     "wire format and rules (docs/original-dialect.md)",
     [](std::string_view text, Config& c) {
       if (text == "mockcloud")
         c.server.dialect = WireDialect::mockcloud;
       else if (text == "original")
         c.server.dialect = WireDialect::original;
       else
         throw std::invalid_argument("expected mockcloud or original");
     }},
    {"clock", "system | virtual (default system)",
     [](std::string_view text, Config& c) {
       if (text == "system")
         c.clock = ClockMode::system;
       else if (text == "virtual")
         c.clock = ClockMode::virtual_;
       else
         throw std::invalid_argument("expected system or virtual");
     }},
    {"data_dir", "keep state in a SQLite database in this directory (default: memory only)",
     [](std::string_view text, Config& c) {
       if (text.empty()) throw std::invalid_argument("expected a directory path");
       c.data_dir = std::string(text);
     }},
    {"database_url",
     "keep state in PostgreSQL, postgresql://user:password@host:port/db; one server per database "
     "for now (default: memory only)",
     [](std::string_view text, Config& c) {
       if (!text.starts_with("postgresql://") && !text.starts_with("postgres://"))
         throw std::invalid_argument("expected a URL like postgresql://user:password@host:5432/db");
       c.database_url = std::string(text);
     }},
    {"idle_timeout",
     "seconds a connection may idle, or take to send a request or read a response (default 30)",
     [](std::string_view text, Config& c) {
       const double s = parse_number(text);
       if (!(s >= 0.001 && s <= 86400))
         throw std::invalid_argument("expected seconds between 0.001 and 86400");
       c.server.idle_timeout = std::chrono::milliseconds(static_cast<std::int64_t>(s * 1000));
     }},
    {"max_connections", "connections served at once; more get 503 and are closed (default 10000)",
     [](std::string_view text, Config& c) {
       c.server.max_connections =
           parse_integer<std::size_t>(text, 1, 1'000'000, "an integer 1..1000000");
     }},
    {"max_header_bytes", "largest request line and headers; more is a 431 (default 16384)",
     [](std::string_view text, Config& c) {
       c.server.max_header_bytes =
           parse_integer<std::size_t>(text, 1024, 1 << 24, "an integer 1024..16777216");
     }},
    {"max_body_bytes", "largest request body; more is a 413 (default 1048576)",
     [](std::string_view text, Config& c) {
       c.server.body_limit =
           parse_integer<std::size_t>(text, 0, std::size_t{1} << 30, "an integer 0..1073741824");
     }},
    {"event_buffer",
     "events that may wait for a slow /api/v1/events subscriber before it gets a resync "
     "(default 1024)",
     [](std::string_view text, Config& c) {
       c.server.event_buffer =
           parse_integer<std::size_t>(text, 1, 1'000'000, "an integer 1..1000000");
     }},
    {"event_heartbeat", "seconds between heartbeats of an idle /api/v1/events stream (default 15)",
     [](std::string_view text, Config& c) {
       const double s = parse_number(text);
       if (!(s >= 0.01 && s <= 86400))
         throw std::invalid_argument("expected seconds between 0.01 and 86400");
       c.server.event_heartbeat = std::chrono::milliseconds(static_cast<std::int64_t>(s * 1000));
     }},
    {"control_token",
     "a secret that /_mock/* requires as Authorization: Bearer <token> (default: none)",
     [](std::string_view text, Config& c) {
       if (text.empty()) throw std::invalid_argument("expected a non-empty token");
       for (char ch : text)
         if (static_cast<unsigned char>(ch) <= ' ' || ch == 0x7f)
           throw std::invalid_argument("expected no spaces or control characters");
       c.server.control_token = std::string(text);
     }},
    {"max_json_depth", "deepest nesting of a JSON body; deeper is a 422 (default 64)",
     [](std::string_view text, Config& c) {
       c.server.max_json_depth = parse_integer<std::size_t>(text, 1, 10'000, "an integer 1..10000");
     }},
    {"cors_origins",
     "origins given CORS headers: * (all, the default), none, or a list like "
     "http://localhost:3000,https://app.example",
     [](std::string_view text, Config& c) { c.server.cors_origins = parse_cors_origins(text); }},
    {"virtual_start", "where a virtual clock starts (default 2030-01-01T00:00:00.000Z)",
     [](std::string_view text, Config& c) {
       auto t = parse_rfc3339(text);
       if (!t) throw std::invalid_argument("expected an RFC 3339 time like 2030-01-01T00:00:00Z");
       c.virtual_start = *t;
     }},
    {"log_level",
     "debug | info | warning | error | off: one line per request at info (default info)",
     [](std::string_view text, Config& c) {
       auto level = log::parse_level(text);
       if (!level) throw std::invalid_argument("expected debug, info, warning, error or off");
       c.log_level = *level;
     }},
    {"log_format", "text | json: the form of the log lines on stdout (default text)",
     [](std::string_view text, Config& c) {
       auto format = log::parse_format(text);
       if (!format) throw std::invalid_argument("expected text or json");
       c.log_format = *format;
     }},
    {"assets_dir",
     "where the /docs and /redoc pages' files are (default: the build tree's copy, else "
     "<prefix>/share/mockcloud/assets)",
     [](std::string_view text, Config& c) {
       if (text.empty()) throw std::invalid_argument("expected a directory path");
       c.assets_dir = std::string(text);
     }},
};

std::string upper(std::string_view name) {
  std::string out(name);
  for (auto& ch : out)
    ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  return out;
}

std::string flag_of(std::string_view name) {
  std::string out = "--";
  for (char ch : name)
    out += ch == '_' ? '-' : ch;
  return out;
}

bool is_known(std::string_view name) {
  for (const auto& s : startup_settings)
    if (s.name == name) return true;
  return find_setting(name) != nullptr;
}

std::vector<std::string_view> all_names() {
  std::vector<std::string_view> names;
  for (const auto& s : startup_settings)
    names.push_back(s.name);
  for (const auto& f : setting_fields())
    names.push_back(f.name);
  return names;
}

[[noreturn]] void bad_value(std::string_view name, const Value& v, std::string_view why) {
  throw ConfigError(fmt::format("invalid {} \"{}\" (from {}): {}", name, v.text, v.source, why));
}

}  // namespace

EnvLookup process_environment() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    if (v == nullptr || *v == '\0') return std::nullopt;
    return std::string(v);
  };
}

Config load_config(std::span<const std::string_view> args, const EnvLookup& env) {
  Config config;
  std::map<std::string, Value, std::less<>> values;
  for (auto name : all_names()) {
    const std::string var = upper(name);
    if (auto v = env(var)) values.insert_or_assign(std::string(name), Value{*v, var});
  }
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string_view arg = args[i];
    if (arg == "--help" || arg == "-h") {
      config.help = true;
      return config;
    }
    if (arg == "--version") {
      config.version = true;
      return config;
    }
    if (!arg.starts_with("--") || arg.size() == 2)
      throw ConfigError(fmt::format("unexpected argument \"{}\" (see --help)", arg));
    const auto eq = arg.find('=');
    std::string name(arg.substr(2, eq == std::string_view::npos ? arg.npos : eq - 2));
    for (auto& ch : name)
      if (ch == '-') ch = '_';
    if (!is_known(name))
      throw ConfigError(fmt::format("unknown option {} (see --help)", arg.substr(0, eq)));
    std::string text;
    if (eq != std::string_view::npos) {
      text = arg.substr(eq + 1);
    } else {
      if (i + 1 >= args.size()) throw ConfigError(fmt::format("option {} needs a value", arg));
      text = args[++i];
    }
    values.insert_or_assign(name, Value{std::move(text), flag_of(name)});
  }

  if (values.contains("data_dir") && values.contains("database_url"))
    throw ConfigError(fmt::format(
        "data_dir (from {}) and database_url (from {}) exclude each other: keep the state in "
        "SQLite or in PostgreSQL, not both",
        values.at("data_dir").source, values.at("database_url").source));
  for (const auto& s : startup_settings) {
    auto it = values.find(s.name);
    if (it == values.end()) continue;
    try {
      s.apply(it->second.text, config);
    } catch (const std::invalid_argument& e) {
      bad_value(s.name, it->second, e.what());
    }
  }
  std::map<std::string, const Value*, std::less<>> runtime_sources;
  for (const auto& f : setting_fields()) {
    auto it = values.find(f.name);
    if (it == values.end()) continue;
    try {
      config.settings.*f.member = parse_number(it->second.text);
    } catch (const std::invalid_argument& e) {
      bad_value(f.name, it->second, e.what());
    }
    runtime_sources.emplace(std::string(f.name), &it->second);
  }
  if (auto errors = validate(config.settings); !errors.empty()) {
    const auto& e = errors.front();
    std::string name = e.loc.empty() ? std::string("settings")
                       : std::holds_alternative<std::string>(e.loc.front())
                           ? std::get<std::string>(e.loc.front())
                           : std::string("settings");
    if (auto it = runtime_sources.find(name); it != runtime_sources.end())
      bad_value(name, *it->second, e.msg);
    throw ConfigError(fmt::format("invalid {}: {}", name, e.msg));
  }
  return config;
}

std::string usage() {
  std::string out = fmt::format(
      "mockcloud-server {} - a mock cloud over HTTP (see docs/http-api.md)\n\n"
      "Usage: mockcloud-server [--setting value | --setting=value]...\n\n"
      "Every setting is also an environment variable in upper case (PORT=0,\n"
      "VM_CREATION_TIME_MIN=1); a flag wins over the environment. Dashes and\n"
      "underscores are interchangeable in flags.\n\nStart-up settings:\n",
      MOCKCLOUD_VERSION);
  for (const auto& s : startup_settings)
    out += fmt::format("  {:<30} {}\n", flag_of(s.name), s.help);
  out += "\nRuntime settings (also GET/PATCH /_mock/config; seconds unless noted):\n";
  const Settings defaults;
  for (const auto& f : setting_fields())
    out += fmt::format("  {:<30} default {}\n", flag_of(f.name), defaults.*f.member);
  out += "\n  --help                         this text\n";
  out += "  --version                      print the version and exit\n";
  return out;
}

std::string version_text() {
  return fmt::format("mockcloud-server {}\n", MOCKCLOUD_VERSION);
}

}  // namespace mockcloud::http
