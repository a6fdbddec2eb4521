// Flags over environment variables, and one-line errors naming the setting.
#include <doctest/doctest.h>

#include <map>
#include <vector>

#include "config.hpp"

using mockcloud::http::Config;
using mockcloud::http::ConfigError;

namespace {

Config load(std::vector<std::string_view> args, std::map<std::string, std::string> env = {}) {
  return mockcloud::http::load_config(args,
                                      [&](const std::string& name) -> std::optional<std::string> {
                                        auto it = env.find(name);
                                        if (it == env.end()) return std::nullopt;
                                        return it->second;
                                      });
}

std::string error_of(std::vector<std::string_view> args,
                     std::map<std::string, std::string> env = {}) {
  try {
    load(std::move(args), std::move(env));
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("defaults") {
  const auto c = load({});
  CHECK(c.server.host == "127.0.0.1");
  CHECK(c.server.port == 8000);
  CHECK(!c.seed);
  CHECK(c.clock == mockcloud::ClockMode::system);
  CHECK(c.virtual_start == mockcloud::VirtualClock::default_start());
  CHECK(c.settings == mockcloud::Settings{});
}

TEST_CASE("flags with dashes, underscores or =, environment variables, flag wins") {
  const auto c = load(
      {"--vm-creation-time-min", "1", "--vm_creation_time_max=2", "--port=0", "--clock", "virtual",
       "--seed", "42", "--threads", "3", "--virtual-start", "2026-01-01T00:00:00Z"},
      {{"VM_CREATION_TIME_MIN", "5"}, {"TIME_SCALE", "0.01"}, {"PORT", "9"}, {"HOST", "0.0.0.0"}});
  CHECK(c.settings.vm_creation_time_min == 1);
  CHECK(c.settings.vm_creation_time_max == 2);
  CHECK(c.settings.time_scale == 0.01);
  CHECK(c.server.port == 0);
  CHECK(c.server.host == "0.0.0.0");
  CHECK(c.server.threads == 3);
  CHECK(c.seed == 42u);
  CHECK(c.clock == mockcloud::ClockMode::virtual_);
  CHECK(mockcloud::format_rfc3339(c.virtual_start) == "2026-01-01T00:00:00.000Z");
  CHECK(load({"--help"}).help);
  CHECK(load({"--version"}).version);
  CHECK(mockcloud::http::version_text().starts_with("mockcloud-server "));
}

TEST_CASE("bad values name the setting") {
  CHECK(error_of({"--port", "70000"}).find("port") != std::string::npos);
  CHECK(error_of({"--vm-creation-time-min", "abc"}).find("vm_creation_time_min") !=
        std::string::npos);
  CHECK(error_of({}, {{"WORKER_FAILURE_RATE", "2"}}).find("worker_failure_rate") !=
        std::string::npos);
  CHECK(error_of({"--vm-creation-time-min", "100"}).find("vm_creation_time_min") !=
        std::string::npos);  // above its max
  CHECK(error_of({"--clock", "fast"}).find("clock") != std::string::npos);
  CHECK(error_of({"--virtual-start", "yesterday"}).find("virtual_start") != std::string::npos);
  CHECK(error_of({"--host", "example.com"}).find("host") != std::string::npos);
  CHECK(error_of({"--seed", "-1"}).find("seed") != std::string::npos);
  CHECK(error_of({"--threads", "0"}).find("threads") != std::string::npos);
  CHECK(error_of({"--nope", "1"}).find("--nope") != std::string::npos);
  CHECK(error_of({"--port"}).find("--port") != std::string::npos);
  CHECK(error_of({"--port", "1"}).empty());
}

TEST_CASE("database_url: a PostgreSQL URL, from DATABASE_URL too, never with data_dir") {
  CHECK(load({}).database_url.empty());
  const std::string url = "postgresql://u:p@127.0.0.1:5432/db";
  CHECK(load({"--database-url", url}).database_url == url);
  CHECK(load({}, {{"DATABASE_URL", url}}).database_url == url);
  CHECK(error_of({"--database-url", "mysql://x/y"}).find("database_url") != std::string::npos);
  CHECK(error_of({"--database-url", url, "--data-dir", "/tmp/x"}) ==
        "data_dir (from --data-dir) and database_url (from --database-url) exclude each other: "
        "keep the state in SQLite or in PostgreSQL, not both");
  CHECK(error_of({"--data-dir", "/tmp/x"}, {{"DATABASE_URL", url}})
            .find("database_url (from DATABASE_URL)") != std::string::npos);
}

TEST_CASE("cors_origins: *, none or a list of origins") {
  using V = std::vector<std::string>;
  CHECK(load({}).server.cors_origins == V{"*"});
  CHECK(load({"--cors-origins", "*"}).server.cors_origins == V{"*"});
  CHECK(load({"--cors-origins", "none"}).server.cors_origins.empty());
  CHECK(load({}, {{"CORS_ORIGINS", "none"}}).server.cors_origins.empty());
  CHECK(load({"--cors-origins=http://localhost:3000,https://app.example"}).server.cors_origins ==
        V{"http://localhost:3000", "https://app.example"});
  CHECK(load({"--cors-origins", "HTTP://LocalHost:3000 , http://[::1]:8080,http://127.0.0.1"})
            .server.cors_origins ==
        V{"http://localhost:3000", "http://[::1]:8080", "http://127.0.0.1"});
  for (const char* bad : {"", "localhost:3000", "http://", "http://localhost:3000/", "http://a/b",
                          "http://a:0", "http://a:70000", "http://a:", "http://a,", "*,http://a",
                          "http://a b", "://a", "http://[::1", "http://[]", "NONE", "1http://a"}) {
    CAPTURE(bad);
    const auto e = error_of({"--cors-origins", bad});
    CHECK(e.find("invalid cors_origins") != std::string::npos);
    CHECK(e.find("--cors-origins") != std::string::npos);
  }
  CHECK(error_of({}, {{"CORS_ORIGINS", "example.com"}}).find("(from CORS_ORIGINS)") !=
        std::string::npos);
}
