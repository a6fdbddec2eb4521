// A server on a free loopback port over a manager with a virtual clock, seed 42 and no random
// failures, so that every test is deterministic and fast.
#pragma once

#include <doctest/doctest.h>

#include <chrono>

#include "client.hpp"
#include "mockcloud/clock.hpp"
#include "mockcloud/http/server.hpp"
#include "mockcloud/manager.hpp"
#include "test_options.hpp"

namespace test {

inline mockcloud::ManagerOptions deterministic_options() {
  return options();
}

struct ServerFixture {
  explicit ServerFixture(std::chrono::milliseconds idle_timeout = std::chrono::seconds(30),
                         unsigned threads = 1)
      : manager(deterministic_options(), clock),
        server(manager,
               {.host = "127.0.0.1", .port = 0, .threads = threads, .idle_timeout = idle_timeout}) {
    server.start();
  }

  Client connect() { return Client(server.port()); }

  /// Creates an environment and returns its id.
  std::string environment(Client& c, std::string_view name = "dev",
                          std::string_view cidr = "10.0.0.0/16") {
    auto r = c.post("/api/v1/environments", std::string(R"({"name":")") + std::string(name) +
                                                R"(","cidr":")" + std::string(cidr) + R"("})");
    REQUIRE(r.status == 201);
    return str(r.json().at("id"));
  }

  mockcloud::VirtualClock clock;
  mockcloud::ResourceManager manager;
  mockcloud::http::Server server;
};

}  // namespace test
