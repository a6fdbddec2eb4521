// The built mockcloud-server run as a user would: flags, environment, printed address, exit codes,
// a data directory kept by one dialect and refused by the other.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <regex>
#include <string>
#include <vector>

#include "client.hpp"

extern char** environ;

namespace {

using namespace std::chrono_literals;

struct Process {
  pid_t pid = -1;
  int out = -1, err = -1;

  Process(std::vector<std::string> args, std::vector<std::string> env_extra) {
    std::vector<std::string> env;
    for (char** e = environ; *e != nullptr; ++e)
      env.emplace_back(*e);
    for (auto& e : env_extra)
      env.push_back(e);
    std::vector<char*> argv{const_cast<char*>(MOCKCLOUD_SERVER_BINARY)};
    for (auto& a : args)
      argv.push_back(a.data());
    argv.push_back(nullptr);
    std::vector<char*> envp;
    for (auto& e : env)
      envp.push_back(e.data());
    envp.push_back(nullptr);

    int out_pipe[2], err_pipe[2];
    REQUIRE(pipe(out_pipe) == 0);
    REQUIRE(pipe(err_pipe) == 0);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 1);
    posix_spawn_file_actions_adddup2(&actions, err_pipe[1], 2);
    posix_spawn_file_actions_addclose(&actions, out_pipe[0]);
    posix_spawn_file_actions_addclose(&actions, err_pipe[0]);
    REQUIRE(posix_spawn(&pid, MOCKCLOUD_SERVER_BINARY, &actions, nullptr, argv.data(),
                        envp.data()) == 0);
    posix_spawn_file_actions_destroy(&actions);
    close(out_pipe[1]);
    close(err_pipe[1]);
    out = out_pipe[0];
    err = err_pipe[0];
  }
  ~Process() {
    if (pid > 0) {
      kill(pid, SIGKILL);
      waitpid(pid, nullptr, 0);
    }
    close(out);
    close(err);
  }

  /// Reads one line from `fd` within `timeout` ("" on timeout or EOF).
  static std::string line(int fd, std::chrono::milliseconds timeout = 5s) {
    std::string s;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      pollfd p{fd, POLLIN, 0};
      if (poll(&p, 1, 100) <= 0) continue;
      char c;
      if (read(fd, &c, 1) != 1) break;
      if (c == '\n') return s;
      s += c;
    }
    return s;
  }

  /// Waits for the exit code within `timeout`; -1 when it is still running.
  int wait_exit(std::chrono::milliseconds timeout = 5s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      if (waitpid(pid, &status, WNOHANG) == pid) {
        pid = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
      usleep(10'000);
    }
    return -1;
  }
};

}  // namespace

TEST_CASE("mockcloud-server: --port 0, flags and environment, flag beats env, SIGTERM") {
  Process p({"--port", "0", "--clock=virtual", "--seed", "42", "--vm-creation-time-min", "1",
             "--vm_creation_time_max", "2"},
            {"VM_CREATION_TIME_MIN=7", "VOLUME_DELETION_TIME_MAX=9", "THREADS=2"});
  const std::string first = Process::line(p.out);
  std::smatch m;
  REQUIRE_MESSAGE(
      std::regex_search(
          first, m,
          std::regex(R"(listening on http://127\.0\.0\.1:(\d+) \(seed 42, clock virtual\))")),
      first);
  const auto port = static_cast<std::uint16_t>(std::stoi(m[1]));
  CHECK(port != 0);
  {
    test::Client c(port);
    auto config = c.get("/_mock/config").json();
    CHECK(config.at("vm_creation_time_min").to_number<double>() == 1);  // the flag, not the env
    CHECK(config.at("vm_creation_time_max").to_number<double>() == 2);
    CHECK(config.at("volume_deletion_time_max").to_number<double>() == 9);  // from the env
    CHECK(test::str(c.get("/_mock/clock").json().at("now")) == "2030-01-01T00:00:00.000Z");
  }
  kill(p.pid, SIGTERM);
  CHECK(p.wait_exit() == 0);
}

TEST_CASE("mockcloud-server: a bad setting is one line naming it, exit code 2") {
  for (const auto& [args, env, name] :
       std::vector<std::tuple<std::vector<std::string>, std::vector<std::string>, std::string>>{
           {{"--vm-creation-time-min", "abc"}, {}, "vm_creation_time_min"},
           {{"--port", "0"}, {"WORKER_FAILURE_RATE=1.5"}, "worker_failure_rate"},
           {{"--clock", "sundial"}, {}, "clock"},
           {{"--port", "0"}, {"CORS_ORIGINS=localhost:3000"}, "cors_origins"},
       }) {
    CAPTURE(name);
    Process p(args, env);
    const std::string line = Process::line(p.err);
    CHECK(line.find(name) != std::string::npos);
    CHECK(p.wait_exit() == 2);
    CHECK(Process::line(p.err, 200ms).empty());  // one line only
  }
}

TEST_CASE("mockcloud-server --help") {
  Process p({"--help"}, {});
  CHECK(Process::line(p.out).find("mockcloud-server") != std::string::npos);
  CHECK(p.wait_exit() == 0);
}

TEST_CASE("mockcloud-server: a data dir of --dialect original is refused by the default dialect") {
  const std::string dir = "/tmp/mockcloud-binary-original-" + std::to_string(getpid());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  auto serve = [&](std::vector<std::string> args, std::vector<std::string> env) {
    auto p = std::make_unique<Process>(std::move(args), std::move(env));
    const std::string first = Process::line(p->out);
    std::smatch m;
    REQUIRE_MESSAGE(
        std::regex_search(
            first, m,
            std::regex(
                R"(listening on http://127\.0\.0\.1:(\d+) \(seed \d+, clock virtual, dialect original, data dir (.+)\))")),
        first);
    CHECK(m[2] == dir);
    return std::pair{std::move(p), static_cast<std::uint16_t>(std::stoi(m[1]))};
  };
  {
    auto [p, port] =
        serve({"--port", "0", "--clock", "virtual", "--data-dir", dir}, {"DIALECT=original"});
    test::Client c(port);
    auto env = c.post("/api/v1/environments/", R"({"name":"dev"})");
    REQUIRE(env.status == 200);
    CHECK(env.json().at("id") == 1);
    kill(p->pid, SIGTERM);
    CHECK(p->wait_exit() == 0);
  }
  {
    Process p({"--port", "0", "--clock", "virtual", "--data-dir", dir}, {});
    const std::string line = Process::line(p.err);
    CHECK(line.find("mockcloud-server: data_dir: ") == 0);
    CHECK(line.find("model") != std::string::npos);
    CHECK(line.find("dialect") != std::string::npos);
    CHECK(p.wait_exit() == 2);
  }
  {
    auto [p, port] = serve(
        {"--port", "0", "--clock", "virtual", "--dialect", "original", "--data-dir", dir}, {});
    test::Client c(port);
    auto list = c.get("/api/v1/environments/");
    REQUIRE(list.status == 200);
    CHECK(list.json().at("total") == 1);
    CHECK(c.post("/api/v1/environments/", R"({"name":"prod"})").json().at("id") == 2);
    kill(p->pid, SIGTERM);
    CHECK(p->wait_exit() == 0);
  }
  std::filesystem::remove_all(dir);
}

TEST_CASE("mockcloud-server: beyond loopback without --control-token it warns; with one, not") {
  {
    Process p({"--port", "0", "--host", "0.0.0.0"}, {});
    CHECK(Process::line(p.out).find("listening on http://0.0.0.0:") != std::string::npos);
    const std::string warning = Process::line(p.err);
    CHECK(warning.find("warning: listening on 0.0.0.0 without --control-token") !=
          std::string::npos);
  }
  {
    Process p({"--port", "0", "--host", "0.0.0.0"}, {"CONTROL_TOKEN=s3cret"});
    const std::string first = Process::line(p.out);
    std::smatch m;
    REQUIRE(std::regex_search(first, m, std::regex(R"(listening on http://0\.0\.0\.0:(\d+) )")));
    CHECK(Process::line(p.err, 300ms).empty());  // no warning
    test::Client c(static_cast<std::uint16_t>(std::stoi(m[1])));
    CHECK(c.get("/_mock/config").status == 401);
    CHECK(c.get("/_mock/config", {{"Authorization", "Bearer s3cret"}}).status == 200);
  }
  {
    Process p({"--port", "0"}, {});  // loopback: no warning
    CHECK(!Process::line(p.out).empty());
    CHECK(Process::line(p.err, 300ms).empty());
  }
  {
    Process p({"--port", "0", "--control-token", "two words"}, {});
    CHECK(Process::line(p.err).find("control_token") != std::string::npos);
    CHECK(p.wait_exit() == 2);
  }
}
