// Shared by the fuzz targets: one Api over a manager with a virtual clock, kept across inputs
// and reset now and then so that state (and memory) stays bounded, and the response oracle.
#pragma once

#include <boost/json/parse.hpp>
#include <cstdio>
#include <cstdlib>

#include "api.hpp"
#include "mockcloud/clock.hpp"
#include "mockcloud/manager.hpp"

namespace fuzz {

inline mockcloud::ManagerOptions manager_options(
    mockcloud::CloudModel model = mockcloud::CloudModel{}) {
  mockcloud::ManagerOptions o;
  o.seed = 42;
  o.model = model;
  return o;
}

struct Harness {
  Harness()
      : manager(manager_options(), clock),
        api(manager),
        original_manager(manager_options(mockcloud::CloudModel::original()), original_clock),
        original_api(original_manager, mockcloud::http::WireDialect::original) {
    prime();
  }

  /// Called before each input: every 1000 inputs, back to the start state.
  void next_input() {
    if (++inputs % 1000 != 0) return;
    manager.reset(42);
    api.clear_caches();
    original_manager.reset(42);
    original_api.clear_caches();
    prime();
  }

  /// An environment "dev" (id fixed by the seed, see the corpus) with a security group, a VM and
  /// a volume, so that bodies naming them reach deeper code.
  void prime() {
    auto env = manager.create_environment({.name = "dev", .cidr = "10.0.0.0/28"});
    if (!env) std::abort();
    (void)manager.create_security_group({.name = "sg", .environment_id = env->id});
    (void)manager.create_vm({.name = "web", .environment_id = env->id});
    (void)manager.create_volume({.name = "data", .environment_id = env->id, .size_gb = 1});
    // The same under the original dialect's model: every id is 1 there.
    auto original_env = original_manager.create_environment({.name = "dev", .cidr = "10.0.0.0/28"});
    if (!original_env) std::abort();
    (void)original_manager.create_security_group({.name = "sg"});
    (void)original_manager.create_vm(
        {.name = "web", .environment_id = original_env->id, .security_group_ids = {"1"}});
    (void)original_manager.create_volume(
        {.name = "data", .environment_id = original_env->id, .size_gb = 1});
  }

  mockcloud::VirtualClock clock;
  mockcloud::ResourceManager manager;
  mockcloud::http::Api api;
  mockcloud::VirtualClock original_clock;
  mockcloud::ResourceManager original_manager;
  mockcloud::http::Api original_api;  // --dialect original
  std::size_t inputs = 0;
};

inline Harness& harness() {
  static Harness h;
  return h;
}

/// What every response must be: a known status class and, for JSON, a body that parses.
inline void check_response(const mockcloud::http::Response& r) {
  if (r.status < 100 || r.status > 599) {
    std::fprintf(stderr, "status %d out of range\n", r.status);
    std::abort();
  }
  if (r.status >= 500 && r.body != R"({"detail":"injected fault"})") {
    std::fprintf(stderr, "unexpected %d: %s\n", r.status, r.body.c_str());
    std::abort();
  }
  const bool redirect = r.status >= 300 && r.status < 400;  // the original dialect's 307: no body
  if (redirect && (!r.body.empty() || r.location.empty())) {
    std::fprintf(stderr, "a %d with a body or without a Location: %s\n", r.status, r.body.c_str());
    std::abort();
  }
  if (r.has_body() && !redirect && r.content_type == "application/json") {
    boost::json::error_code ec;
    (void)boost::json::parse(r.body, ec);
    if (ec) {
      std::fprintf(stderr, "response body is not JSON (%s): %s\n", ec.message().c_str(),
                   r.body.c_str());
      std::abort();
    }
  }
}

}  // namespace fuzz
