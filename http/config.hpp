// The server's configuration (docs/http-api.md "Settings"): every setting is a command-line flag
// (`--vm-creation-time-min 1`, `--vm_creation_time_min=1`) and an environment variable of the
// same name in upper case (`VM_CREATION_TIME_MIN=1`); a flag wins over the environment.
#pragma once

#include <functional>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>

#include "access_log.hpp"
#include "mockcloud/clock.hpp"
#include "mockcloud/http/server.hpp"
#include "mockcloud/settings.hpp"
#include "mockcloud/time.hpp"

namespace mockcloud::http {

struct Config {
  ServerOptions server{.host = "127.0.0.1", .port = 8000, .threads = 0};
  std::optional<std::uint64_t> seed;  // random when empty
  ClockMode clock = ClockMode::system;
  TimePoint virtual_start = VirtualClock::default_start();
  Settings settings;         // the runtime settings the server starts (and resets) with
  std::string data_dir;      // durable state lives here (SQLite); in memory only when empty
  std::string database_url;  // or in this PostgreSQL database (never both)
  log::Level log_level = log::Level::info;
  log::Format log_format = log::Format::text;
  std::string assets_dir;  // the /docs assets; the default when empty (see service.hpp)
  bool help = false;
  bool version = false;  // --version: print "mockcloud-server <version>" and exit
};

/// A bad flag or value; what() is one line naming the setting.
class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Looks an environment variable up; nullopt when unset.
using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;
EnvLookup process_environment();

/// Reads the flags (argv without the program name) over the environment. Throws ConfigError.
Config load_config(std::span<const std::string_view> args, const EnvLookup& env);

/// The --help text.
std::string usage();

/// The --version text: "mockcloud-server <version>\n".
std::string version_text();

}  // namespace mockcloud::http
