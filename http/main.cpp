// mockcloud-server: the configuration from flags and environment, a clock, a manager and the
// server; runs until SIGINT or SIGTERM, then stops gracefully.
#include <fmt/format.h>
#include <pthread.h>
#include <sys/resource.h>

#include <csignal>
#include <cstdio>
#include <memory>
#include <vector>

#include "access_log.hpp"
#include "config.hpp"
#include "mockcloud/clock.hpp"
#include "mockcloud/http/server.hpp"
#include "mockcloud/manager.hpp"
#include "mockcloud/memory.hpp"
#include "service.hpp"

int main(int argc, char** argv) {
  using namespace mockcloud;
  const std::vector<std::string_view> args(argv + 1, argv + argc);
  http::Config config;
  try {
    config = http::load_config(args, http::process_environment());
  } catch (const http::ConfigError& e) {
    fmt::print(stderr, "mockcloud-server: {}\n", e.what());
    return 2;
  }
  if (config.help) {
    fmt::print("{}", http::usage());
    return 0;
  }
  if (config.version) {
    fmt::print("{}", http::version_text());
    return 0;
  }

  // Block the stop signals before any thread starts, so that only sigwait() below sees them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  // Room for --max-connections sockets: the soft descriptor limit is often 1024.
  if (rlimit limit{}; getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
  }

  // Small page faults: no request pays for zeroing a 2 MiB page (mockcloud/memory.hpp).
  set_huge_pages(false);

  std::unique_ptr<Clock> clock;
  if (config.clock == ClockMode::virtual_)
    clock = std::make_unique<VirtualClock>(config.virtual_start);
  else
    clock = std::make_unique<SystemClock>();
  ManagerOptions options;
  options.seed = config.seed;
  options.settings = config.settings;
  if (config.server.dialect == http::WireDialect::original) options.model = CloudModel::original();
  options.on_task_settled = [](const Task& task) { http::log::task_settled(task); };
  if (!config.assets_dir.empty()) http::set_assets_dir(config.assets_dir);
  std::unique_ptr<ResourceManager> manager_ptr;
  try {
    if (!config.data_dir.empty()) options.store = open_sqlite_store(config.data_dir);
    if (!config.database_url.empty()) options.store = open_postgres_store(config.database_url);
    // Sessions hold each response with after_durable().
    if (options.store) options.wait_for_durability = false;
    manager_ptr = std::make_unique<ResourceManager>(std::move(options), *clock);
  } catch (const std::exception& e) {
    fmt::print(stderr, "mockcloud-server: {}: {}\n",
               config.database_url.empty() ? "data_dir" : "database_url", e.what());
    return 2;
  }
  ResourceManager& manager = *manager_ptr;
  http::Server server{manager, config.server};
  try {
    server.start();
  } catch (const std::exception& e) {
    fmt::print(stderr, "mockcloud-server: cannot listen on {}:{}: {}\n", config.server.host,
               config.server.port, e.what());
    return 1;
  }
  fmt::print("mockcloud-server listening on {} (seed {}, clock {}{}{})\n", server.url(),
             manager.seed(), to_string(clock->mode()),
             config.server.dialect == http::WireDialect::original ? ", dialect original" : "",
             !config.data_dir.empty() ? ", data dir " + config.data_dir
             : !config.database_url.empty()
                 ? ", database " + redact_database_url(config.database_url)
                 : "");
  if (config.server.control_token.empty() && !http::is_loopback_host(config.server.host))
    fmt::print(stderr,
               "mockcloud-server: warning: listening on {} without --control-token: anyone who "
               "can reach it can reset the cloud, change its settings and inject faults\n",
               config.server.host);
  std::fflush(stdout);
  // The log writes to stdout too, after the start-up line: a client waits for that line.
  http::log::configure(config.log_level, config.log_format);

  int signal = 0;
  sigwait(&stop_signals, &signal);
  fmt::print("mockcloud-server: stopping ({})\n", signal == SIGINT ? "SIGINT" : "SIGTERM");
  std::fflush(stdout);
  server.stop();
  return 0;
}
