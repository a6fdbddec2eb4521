// Crash consistency of `mockcloud-server --data-dir` (issue #4). Round after round, on one data
// directory: clients drive the server concurrently, a thread SIGKILLs it while requests are in
// flight, the server is restarted on the same directory, and the restored state is checked over the
// API against what the clients saw acknowledged (a 2xx answer), and for its own consistency.
//
// Environment knobs (all optional):
//   MOCKCLOUD_CRASH_SEED=N           repeat the clients' choices and kill times of an earlier run
//   MOCKCLOUD_CRASH_ROUNDS=N         rounds with a kill mid-traffic (default 5; one quiet round
//   more) MOCKCLOUD_CRASH_SIMULATE_LOSS=1  restart on a fresh directory instead: the test must then
//   fail,
//                                    reporting the acknowledged resources as missing
//   MOCKCLOUD_CRASH_KEEP=1           keep the temporary directory (data and server logs)
//   MOCKCLOUD_CRASH_SERVER=PATH      run another mockcloud-server than the one built alongside
//   MOCKCLOUD_CRASH_DATABASE_URL=URL keep the state in this PostgreSQL database (--database-url)
//                                    instead of a directory (SIMULATE_LOSS then does not apply)
#include <doctest/doctest.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "client.hpp"

extern char** environ;

namespace {

using namespace std::chrono_literals;
using SteadyClock = std::chrono::steady_clock;
namespace fs = std::filesystem;
namespace json = boost::json;

constexpr int kWorkers = 6;

std::optional<std::string> getenv_str(const char* name) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return std::nullopt;
  return std::string(v);
}

long long ms_since(SteadyClock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(SteadyClock::now() - t).count();
}

std::string str_or_empty(const json::value& v) {
  return v.is_string() ? std::string(v.as_string()) : std::string();
}

/// "2026-01-01T00:00:00.000Z" → milliseconds since the epoch (0 when malformed).
std::int64_t parse_time_ms(const std::string& s) {
  std::tm tm{};
  int ms = 0;
  if (std::sscanf(s.c_str(), "%d-%d-%dT%d:%d:%d.%dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                  &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &ms) != 7)
    return 0;
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return static_cast<std::int64_t>(timegm(&tm)) * 1000 + ms;
}

std::optional<std::uint32_t> parse_ipv4(const std::string& s) {
  unsigned a, b, c, d;
  char tail;
  if (std::sscanf(s.c_str(), "%u.%u.%u.%u%c", &a, &b, &c, &d, &tail) != 4) return std::nullopt;
  if (a > 255 || b > 255 || c > 255 || d > 255) return std::nullopt;
  return (a << 24) | (b << 16) | (c << 8) | d;
}

/// True when `ip` is a host address of `cidr` (not its network or broadcast address).
bool host_of(const std::string& ip, const std::string& cidr) {
  const auto slash = cidr.find('/');
  if (slash == std::string::npos) return false;
  const auto net = parse_ipv4(cidr.substr(0, slash));
  const auto addr = parse_ipv4(ip);
  const int prefix = std::atoi(cidr.c_str() + slash + 1);
  if (!net || !addr || prefix < 1 || prefix > 30) return false;
  const std::uint32_t mask = ~std::uint32_t{0} << (32 - prefix);
  return (*addr & mask) == *net && *addr != *net && *addr != (*net | ~mask);
}

// ---- the server process ----

/// The built mockcloud-server, its stdout and stderr in a log file (nothing can block on a pipe).
class Server {
 public:
  Server(const fs::path& data_dir, const fs::path& log, std::uint64_t seed) : log_(log) {
    const std::string binary =
        getenv_str("MOCKCLOUD_CRASH_SERVER").value_or(MOCKCLOUD_SERVER_BINARY);
    // The state in PostgreSQL instead, when asked (tests/pg: the same rounds with --database-url).
    const auto database_url = getenv_str("MOCKCLOUD_CRASH_DATABASE_URL");
    std::vector<std::string> args{binary,
                                  "--host",
                                  "127.0.0.1",
                                  "--port",
                                  "0",
                                  database_url ? "--database-url" : "--data-dir",
                                  database_url.value_or(data_dir.string()),
                                  "--clock",
                                  "system",
                                  "--time-scale",
                                  "0.001",
                                  "--seed",
                                  std::to_string(seed)};
    std::vector<char*> argv;
    for (auto& a : args)
      argv.push_back(a.data());
    argv.push_back(nullptr);
    // The environment minus the server's own settings (HOST, THREADS, VM_..., ...), which a CI
    // machine may happen to define.
    static constexpr std::string_view settings =
        ",HOST,PORT,THREADS,SEED,CLOCK,DATA_DIR,DATABASE_URL,IDLE_TIMEOUT,MAX_CONNECTIONS,"
        "MAX_HEADER_BYTES,MAX_BODY_BYTES,MAX_JSON_DEPTH,VIRTUAL_START,WORKER_FAILURE_RATE,"
        "TIME_SCALE,LOG_LEVEL,LOG_FORMAT,";
    std::vector<char*> envp;
    for (char** e = environ; *e != nullptr; ++e) {
      const std::string_view var(*e);
      const std::string name(var.substr(0, var.find('=')));
      if (settings.find("," + name + ",") == std::string_view::npos && !name.starts_with("VM_") &&
          !name.starts_with("VOLUME_"))
        envp.push_back(*e);
    }
    envp.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    const int rc = posix_spawn(&pid_, binary.c_str(), &actions, nullptr, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) pid_ = -1;
  }
  ~Server() { kill_and_reap(); }
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  pid_t pid() const { return pid_; }
  std::uint16_t port() const { return port_; }

  /// Waits for the "listening on" line; false (with the reason in `why`) when the server exits or
  /// stays silent for `timeout`.
  bool wait_ready(std::chrono::milliseconds timeout, std::string& why) {
    if (pid_ <= 0) {
      why = "posix_spawn failed";
      return false;
    }
    static const std::regex listening(R"(listening on http://127\.0\.0\.1:(\d+))");
    const auto deadline = SteadyClock::now() + timeout;
    while (SteadyClock::now() < deadline) {
      const std::string text = log_text();
      std::smatch m;
      if (std::regex_search(text, m, listening)) {
        port_ = static_cast<std::uint16_t>(std::stoi(m[1]));
        return true;
      }
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        why = "the server exited with code " + std::to_string(exit_code_) + ": " + log_text();
        return false;
      }
      std::this_thread::sleep_for(5ms);
    }
    why = "no 'listening on' line within " + std::to_string(timeout.count()) + " ms: " + log_text();
    return false;
  }

  /// Waits for the process to exit on its own; its exit code, or -1 if it is still running.
  int wait_exit(std::chrono::milliseconds timeout) {
    const auto deadline = SteadyClock::now() + timeout;
    while (pid_ > 0 && SteadyClock::now() < deadline) {
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        return exit_code_;
      }
      std::this_thread::sleep_for(5ms);
    }
    return pid_ > 0 ? -1 : exit_code_;
  }

  /// SIGKILL, then reaps it: once this returns the process is gone and its lock released.
  /// True when it was running and died of the SIGKILL.
  bool kill_and_reap() {
    if (pid_ <= 0) return false;
    ::kill(pid_, SIGKILL);
    int status = 0;
    pid_t r;
    do {
      r = waitpid(pid_, &status, 0);
    } while (r < 0 && errno == EINTR);
    pid_ = -1;
    return r > 0 && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
  }

  /// SIGTERM and its exit code within `timeout` (-1: it did not exit).
  int terminate(std::chrono::milliseconds timeout) {
    if (pid_ <= 0) return exit_code_;
    ::kill(pid_, SIGTERM);
    return wait_exit(timeout);
  }

  std::string log_text() const {
    std::ifstream in(log_);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

 private:
  fs::path log_;
  pid_t pid_ = -1;
  std::uint16_t port_ = 0;
  int exit_code_ = -1;
};

// ---- what the clients know ----

enum class Kind { env, sg, vm, volume };
const char* kind_name(Kind k) {
  switch (k) {
    case Kind::env:
      return "environment";
    case Kind::sg:
      return "security group";
    case Kind::vm:
      return "VM";
    case Kind::volume:
      return "volume";
  }
  return "?";
}
const char* collection(Kind k) {
  switch (k) {
    case Kind::env:
      return "/api/v1/environments/";
    case Kind::sg:
      return "/api/v1/security-groups/";
    case Kind::vm:
      return "/api/v1/vms/";
    case Kind::volume:
      return "/api/v1/volumes/";
  }
  return "";
}
constexpr Kind kKinds[] = {Kind::env, Kind::sg, Kind::vm, Kind::volume};

/// A resource whose creation was acknowledged (or that a verified restart showed to exist).
struct Res {
  Kind kind = Kind::env;
  std::string id, name, env_id;
  bool delete_sent = false;   // a delete is acknowledged or its answer is unknown
  bool delete_acked = false;  // the delete was acknowledged (202 for VMs/volumes, 204 otherwise)
  std::set<std::string> allowed_vm{""};  // volumes: the vm_id it may have ("" is none)
};

/// A create that was sent and never answered: it may or may not have happened.
struct Unknown {
  Kind kind;
  std::string name, env_id;
};

struct Stats {
  int requests = 0, created = 0, deleted = 0, attached = 0, detached = 0, conflicts = 0,
      unknown = 0;
  void add(const Stats& o) {
    requests += o.requests;
    created += o.created;
    deleted += o.deleted;
    attached += o.attached;
    detached += o.detached;
    conflicts += o.conflicts;
    unknown += o.unknown;
  }
};

struct Shared {
  std::uint16_t port = 0;
  std::atomic<bool> killing{false};  // set just before the SIGKILL: failures after it are expected
  std::atomic<bool> stop{false};     // the quiet round: stop sending
  std::atomic<int> in_flight{0};
};

// ---- one client thread ----

class Worker {
 public:
  Worker(int index, int round, std::uint64_t seed, Shared& shared, std::map<std::string, Res> mine)
      : index_(index), round_(round), rng_(seed), shared_(shared), mine_(std::move(mine)) {}

  void run(bool creates_only) {
    // Bounded: at most this many requests, and the server dies (or `stop` is set) long before.
    for (int i = 0; i < 200'000 && !shared_.killing && !shared_.stop; ++i)
      step(creates_only);
  }

  std::map<std::string, Res>& mine() { return mine_; }
  std::vector<Unknown>& unknown_creates() { return unknown_creates_; }
  std::vector<std::string>& problems() { return problems_; }
  const Stats& stats() const { return stats_; }

 private:
  int pick(int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng_); }
  template <class T>
  const T& pick_of(const std::vector<T>& v) {
    return v[static_cast<std::size_t>(pick(static_cast<int>(v.size())))];
  }

  std::string new_name(const char* prefix) {
    return std::string(prefix) + "-r" + std::to_string(round_) + "-t" + std::to_string(index_) +
           "-" + std::to_string(++counter_);
  }

  std::vector<Res*> live(Kind kind, const std::string& env_id = {}) {
    std::vector<Res*> out;
    for (auto& [id, r] : mine_)
      if (r.kind == kind && !r.delete_sent && (env_id.empty() || r.env_id == env_id))
        out.push_back(&r);
    return out;
  }

  /// One request; nullopt when no answer came (unknown: it may or may not have happened).
  std::optional<test::HttpResponse> call(std::string_view method, const std::string& target,
                                         const std::string& body = {}) {
    ++stats_.requests;
    std::optional<test::HttpResponse> r;
    ++shared_.in_flight;
    try {
      if (!client_) client_ = std::make_unique<test::Client>(shared_.port, 5s);
      r = client_->request(method, target, body);
    } catch (const std::exception& e) {
      client_.reset();
      ++stats_.unknown;
      if (!shared_.killing)
        problems_.push_back(std::string(method) + " " + target +
                            ": no answer while the server was up: " + e.what());
    }
    --shared_.in_flight;
    return r;
  }

  void unexpected(std::string_view what, const test::HttpResponse& r) {
    problems_.push_back(std::string(what) + " answered " + std::to_string(r.status) + ": " +
                        r.body.substr(0, 300));
  }

  void create(Kind kind, const std::string& env_id) {
    json::object body;
    std::string name;
    switch (kind) {
      case Kind::env: {
        name = new_name("env");
        const int k = pick(256);
        static const char* const forms[] = {"10.{}.0.0/16", "192.168.{}.0/24", "172.16.{}.0/28"};
        std::string cidr = forms[pick(3)];
        cidr.replace(cidr.find("{}"), 2, std::to_string(k));
        body = {{"name", name}, {"cidr", cidr}};
        break;
      }
      case Kind::sg:
        name = new_name("sg");
        body = {{"name", name},
                {"environment_id", env_id},
                {"rules", json::array{json::object{{"direction", "ingress"},
                                                   {"protocol", "tcp"},
                                                   {"port_range_min", 22},
                                                   {"port_range_max", 22},
                                                   {"remote_cidr", "0.0.0.0/0"}}}}};
        break;
      case Kind::vm: {
        name = new_name("vm");
        json::array sgs;
        if (auto live_sgs = live(Kind::sg, env_id); !live_sgs.empty() && pick(3) == 0)
          sgs.push_back(json::value(pick_of(live_sgs)->id));
        body = {{"name", name},     {"environment_id", env_id}, {"cpu", 1 + pick(4)},
                {"memory_mb", 512}, {"image", "ubuntu-22.04"},  {"security_group_ids", sgs}};
        break;
      }
      case Kind::volume:
        name = new_name("vol");
        body = {{"name", name}, {"environment_id", env_id}, {"size_gb", 1 + pick(100)}};
        break;
    }
    const auto r = call("POST", collection(kind), json::serialize(body));
    if (!r) {
      unknown_creates_.push_back({kind, name, env_id});
      return;
    }
    const int want = kind == Kind::env || kind == Kind::sg ? 201 : 202;
    if (r->status != want) return unexpected(std::string("create ") + kind_name(kind), *r);
    Res res;
    res.kind = kind;
    res.name = name;
    res.env_id = env_id;
    try {
      res.id = test::str(r->json().at("id"));
    } catch (const std::exception&) {
      return unexpected("create (no id in the body)", *r);
    }
    mine_[res.id] = res;
    ++stats_.created;
  }

  void remove(Res& res) {
    res.delete_sent = true;
    if (res.kind == Kind::vm)  // once it is gone its volumes are detached
      for (auto& [id, v] : mine_)
        if (v.kind == Kind::volume && v.allowed_vm.count(res.id)) v.allowed_vm.insert("");
    const auto r = call("DELETE", collection(res.kind) + res.id);
    if (!r) return;
    const bool sync = res.kind == Kind::env || res.kind == Kind::sg;
    if (r->status == (sync ? 204 : 202)) {
      res.delete_acked = true;
      ++stats_.deleted;
    } else if (r->status == 409 && res.kind != Kind::vm) {
      res.delete_sent = false;  // refused: nothing changed
      ++stats_.conflicts;
    } else {
      unexpected(std::string("delete ") + kind_name(res.kind) + " " + res.id, *r);
    }
  }

  void attach(Res& volume, const Res& vm) {
    const auto r = call("POST", "/api/v1/volumes/" + volume.id + "/attach/" + vm.id);
    if (!r) {
      volume.allowed_vm.insert(vm.id);
      return;
    }
    if (r->status == 200) {
      volume.allowed_vm = {vm.id};
      ++stats_.attached;
    } else if (r->status == 409) {
      ++stats_.conflicts;  // not running yet, failed, or the volume is not available
    } else {
      unexpected("attach " + volume.id + " to " + vm.id, *r);
    }
  }

  void detach(Res& volume) {
    const auto r = call("POST", "/api/v1/volumes/" + volume.id + "/detach");
    if (!r) {
      volume.allowed_vm.insert("");
      return;
    }
    if (r->status == 200) {
      volume.allowed_vm = {""};
      ++stats_.detached;
    } else if (r->status == 409) {
      ++stats_.conflicts;
    } else {
      unexpected("detach " + volume.id, *r);
    }
  }

  void step(bool creates_only) {
    auto envs = live(Kind::env);
    if (envs.empty() || (envs.size() < 4 && pick(20) == 0)) return create(Kind::env, {});
    Res& env = *pick_of(envs);
    auto vms = live(Kind::vm, env.id);
    auto volumes = live(Kind::volume, env.id);
    auto sgs = live(Kind::sg, env.id);
    const int r = pick(100);
    if (creates_only) {
      if (r < 45) return create(Kind::vm, env.id);
      if (r < 85) return create(Kind::volume, env.id);
      if (r < 95) return create(Kind::sg, env.id);
      return create(Kind::env, {});
    }
    if (r < 28) return create(Kind::vm, env.id);
    if (r < 48) return create(Kind::volume, env.id);
    if (r < 62) {  // attach a volume believed free to some VM
      std::vector<Res*> free;
      for (auto* v : volumes)
        if (v->allowed_vm == std::set<std::string>{""}) free.push_back(v);
      if (!free.empty() && !vms.empty()) return attach(*pick_of(free), *pick_of(vms));
      return create(Kind::vm, env.id);
    }
    if (r < 68) {
      std::vector<Res*> attached;
      for (auto* v : volumes)
        if (!v->allowed_vm.count("")) attached.push_back(v);
      if (!attached.empty()) return detach(*pick_of(attached));
      return;
    }
    if (r < 76) {
      if (!vms.empty()) remove(*pick_of(vms));
      return;
    }
    if (r < 84) {
      if (!volumes.empty()) remove(*pick_of(volumes));
      return;
    }
    if (r < 88) return create(Kind::sg, env.id);
    if (r < 91) {
      if (!sgs.empty()) remove(*pick_of(sgs));
      return;
    }
    if (r < 94) return remove(env);  // 409 unless it is empty
    if (r < 96) return create(Kind::env, {});
    // A read of something of ours: it must be there.
    if (vms.empty()) return;
    const Res& vm = *pick_of(vms);
    if (auto got = call("GET", "/api/v1/vms/" + vm.id); got && got->status != 200)
      unexpected("GET VM " + vm.id, *got);
  }

  int index_, round_;
  std::mt19937_64 rng_;
  Shared& shared_;
  std::map<std::string, Res> mine_;
  std::vector<Unknown> unknown_creates_;
  std::vector<std::string> problems_;
  Stats stats_;
  std::unique_ptr<test::Client> client_;
  int counter_ = 0;
};

// ---- checking a restarted server ----

struct Observed {
  std::map<std::string, json::object> by_kind[4];  // indexed by Kind
  std::map<std::string, json::object> tasks;
  json::object health;
  auto& of(Kind k) { return by_kind[static_cast<int>(k)]; }
};

/// Every element of a collection, `limit=1000` page after page; also checks X-Total-Count.
std::vector<json::object> list_all(test::Client& c, const std::string& target,
                                   std::vector<std::string>& problems) {
  std::vector<json::object> out;
  const char sep = target.find('?') == std::string::npos ? '?' : '&';
  for (int page = 0; page < 1000; ++page) {
    const auto r = c.get(target + sep + "limit=1000&skip=" + std::to_string(out.size()));
    if (r.status != 200) {
      problems.push_back("GET " + target + " answered " + std::to_string(r.status));
      break;
    }
    const auto total = std::stoul(r.header("X-Total-Count"));
    const json::value doc = r.json();
    const auto& items = doc.as_array();
    for (const auto& v : items)
      out.push_back(v.as_object());
    if (items.empty() || out.size() >= total) {
      if (out.size() != total)
        problems.push_back("GET " + target + ": " + std::to_string(out.size()) +
                           " items but X-Total-Count " + std::to_string(total));
      break;
    }
  }
  return out;
}

std::string s(const json::object& o, const char* key) {
  const auto* v = o.if_contains(key);
  return v ? str_or_empty(*v) : std::string();
}

struct Verdict {
  std::vector<std::string> problems;
  std::map<std::string, Res> model;  // what the server holds now, for the next round
  int orphans = 0;                   // unanswered creates that did happen
  long long settle_ms = 0;
};

/// Waits for the restarted server to settle (every due task fired, then every task done), then
/// checks the state against `model` (acknowledged) and `unknown` (unanswered creates).
Verdict verify(std::uint16_t port, const std::map<std::string, Res>& model,
               const std::vector<Unknown>& unknown) {
  Verdict v;
  auto& problems = v.problems;
  test::Client c(port, 10s);
  const auto t0 = SteadyClock::now();

  // 1. No task may stay without its outcome once due: after a restart the due ones fire at once.
  std::vector<std::string> overdue;
  for (int i = 0; i < 200; ++i) {  // ≤ 2 s
    overdue.clear();
    const auto now = parse_time_ms(s(c.get("/health").json().as_object(), "now"));
    for (const auto& t : list_all(c, "/api/v1/tasks/?state=STARTED", problems))
      if (parse_time_ms(s(t, "eta")) < now - 1000)
        overdue.push_back(s(t, "id") + " (" + s(t, "kind") + ", eta " + s(t, "eta") + ")");
    if (overdue.empty()) break;
    std::this_thread::sleep_for(10ms);
  }
  for (const auto& t : overdue)
    problems.push_back("task " + t + " is still STARTED more than a second after its eta");
  // 2. With no traffic every task ends within its (scaled) duration: wait for a stable state.
  bool settled = false;
  for (int i = 0; i < 500 && !settled; ++i) {  // ≤ 5 s
    settled = c.get("/api/v1/tasks/?state=STARTED&limit=1").header("X-Total-Count") == "0";
    if (!settled) std::this_thread::sleep_for(10ms);
  }
  if (!settled) problems.push_back("tasks still STARTED 5 s after the restart");
  v.settle_ms = ms_since(t0);

  // 3. The snapshot.
  Observed obs;
  for (Kind k : kKinds)
    for (auto& o : list_all(c, collection(k), problems))
      obs.of(k)[s(o, "id")] = o;
  for (auto& t : list_all(c, "/api/v1/tasks/", problems))
    obs.tasks[s(t, "id")] = t;
  obs.health = c.get("/health").json().as_object();
  if (const auto inv = c.get("/_mock/invariants"); inv.json().at("ok") != true)
    problems.push_back("/_mock/invariants after the restart: " + inv.body);
  const auto& counts = obs.health.at("counts").as_object();
  const std::pair<const char*, std::size_t> count_pairs[] = {
      {"environments", obs.of(Kind::env).size()},
      {"security_groups", obs.of(Kind::sg).size()},
      {"vms", obs.of(Kind::vm).size()},
      {"volumes", obs.of(Kind::volume).size()},
      {"tasks", obs.tasks.size()}};
  for (const auto& [key, listed] : count_pairs)
    if (counts.at(key).to_number<std::size_t>() != listed)
      problems.push_back(std::string("/health counts.") + key + " is " +
                         json::serialize(counts.at(key)) + " but the list has " +
                         std::to_string(listed));

  // 4. Everything acknowledged is there; everything acknowledged deleted is not.
  for (const auto& [id, m] : model) {
    const auto& seen = obs.of(m.kind);
    const auto it = seen.find(id);
    const std::string what = std::string(kind_name(m.kind)) + " " + m.name + " (" + id + ")";
    if (!m.delete_sent) {
      if (it == seen.end()) problems.push_back("acknowledged " + what + " is missing");
    } else if (m.delete_acked && it != seen.end()) {
      if (m.kind == Kind::env || m.kind == Kind::sg)
        problems.push_back("deleted (204) " + what + " still exists");
      else if (s(it->second, "status") != "deleting")
        problems.push_back("deleted (202) " + what + " is " + s(it->second, "status") +
                           ", not deleting or gone");
    }
    if (m.kind == Kind::volume && it != seen.end()) {
      const std::string vm_id = s(it->second, "vm_id");
      if (!m.allowed_vm.count(vm_id)) {
        std::string allowed;
        for (const auto& a : m.allowed_vm)
          allowed += (allowed.empty() ? "" : " or ") + (a.empty() ? "none" : a);
        problems.push_back(what + " is attached to " + (vm_id.empty() ? "nothing" : vm_id) +
                           "; acknowledged: " + allowed);
      }
    }
  }
  // Anything else there must come from a create that was never answered (each at most once).
  std::vector<bool> used(unknown.size(), false);
  for (Kind k : kKinds)
    for (const auto& [id, o] : obs.of(k)) {
      if (model.count(id)) continue;
      bool found = false;
      for (std::size_t i = 0; i < unknown.size() && !found; ++i)
        if (!used[i] && unknown[i].kind == k && unknown[i].name == s(o, "name") &&
            (k == Kind::env || unknown[i].env_id == s(o, "environment_id")))
          used[i] = found = true;
      if (found)
        ++v.orphans;
      else
        problems.push_back(std::string(kind_name(k)) + " " + s(o, "name") + " (" + id +
                           ") exists but was never created");
    }

  // 5. Consistency of what is there.
  std::map<std::string, std::map<std::string, std::string>> ips;  // env → ip → VM
  for (Kind k : {Kind::sg, Kind::vm, Kind::volume})
    for (const auto& [id, o] : obs.of(k))
      if (!obs.of(Kind::env).count(s(o, "environment_id")))
        problems.push_back(std::string(kind_name(k)) + " " + id + " is in environment " +
                           s(o, "environment_id") + ", which does not exist");
  for (const auto& [id, vm] : obs.of(Kind::vm)) {
    const std::string status = s(vm, "status"), ip = s(vm, "ip_address");
    const std::string env_id = s(vm, "environment_id");
    if (!ip.empty()) {
      if (status != "running") problems.push_back("VM " + id + " is " + status + " with IP " + ip);
      if (auto env = obs.of(Kind::env).find(env_id); env != obs.of(Kind::env).end()) {
        if (!host_of(ip, s(env->second, "cidr")))
          problems.push_back("VM " + id + " IP " + ip + " is not a host of its environment's " +
                             s(env->second, "cidr"));
      }
      if (auto [it, fresh] = ips[env_id].emplace(ip, id); !fresh)
        problems.push_back("VMs " + it->second + " and " + id + " share IP " + ip +
                           " in environment " + env_id);
    } else if (status == "running") {
      problems.push_back("running VM " + id + " has no IP");
    }
    for (const auto& vol : vm.at("volume_ids").as_array()) {
      const std::string vol_id = str_or_empty(vol);
      const auto it = obs.of(Kind::volume).find(vol_id);
      if (it == obs.of(Kind::volume).end())
        problems.push_back("VM " + id + " lists volume " + vol_id + ", which does not exist");
      else if (s(it->second, "vm_id") != id)
        problems.push_back("VM " + id + " lists volume " + vol_id + " whose vm_id is '" +
                           s(it->second, "vm_id") + "'");
    }
  }
  for (const auto& [id, vol] : obs.of(Kind::volume)) {
    const std::string status = s(vol, "status"), vm_id = s(vol, "vm_id");
    if ((status == "in-use") != !vm_id.empty())
      problems.push_back("volume " + id + " is " + status + " with vm_id '" + vm_id + "'");
    if (vm_id.empty()) continue;
    const auto it = obs.of(Kind::vm).find(vm_id);
    if (it == obs.of(Kind::vm).end()) {
      problems.push_back("volume " + id + " is attached to VM " + vm_id + ", which does not exist");
      continue;
    }
    bool listed = false;
    for (const auto& x : it->second.at("volume_ids").as_array())
      listed = listed || str_or_empty(x) == id;
    if (!listed)
      problems.push_back("volume " + id + " has vm_id " + vm_id + " but that VM does not list it");
    if (s(it->second, "environment_id") != s(vol, "environment_id"))
      problems.push_back("volume " + id + " is attached to VM " + vm_id +
                         " of another environment");
  }
  // Every VM/volume's task resolves, is about it, and agrees with its status.
  for (Kind k : {Kind::vm, Kind::volume})
    for (const auto& [id, o] : obs.of(k)) {
      const std::string task_id = s(o, "task_id"), status = s(o, "status");
      const auto r = c.get("/api/v1/tasks/" + task_id);
      if (r.status != 200) {
        problems.push_back(std::string(kind_name(k)) + " " + id + " task " + task_id + " answers " +
                           std::to_string(r.status));
        continue;
      }
      const auto t = r.json().as_object();
      const std::string state = s(t, "state"), task_kind = s(t, "kind");
      if (s(t, "resource_id") != id)
        problems.push_back("task " + task_id + " is about " + s(t, "resource_id") + ", not " + id);
      const bool busy = status == "creating" || status == "deleting";
      const bool ok = busy                ? state == "STARTED"
                      : status == "error" ? state == "FAILURE"
                                          : state == "SUCCESS" && task_kind.ends_with(".create");
      if (!ok)
        problems.push_back(std::string(kind_name(k)) + " " + id + " is " + status +
                           " but its task " + task_id + " (" + task_kind + ") is " + state);
      if (!obs.tasks.count(task_id))
        problems.push_back("task " + task_id + " is missing from GET /api/v1/tasks/");
    }

  // The state for the next round: what is there now (checked above), owned as it is.
  for (Kind k : kKinds)
    for (const auto& [id, o] : obs.of(k)) {
      Res r;
      r.kind = k;
      r.id = id;
      r.name = s(o, "name");
      r.env_id = s(o, "environment_id");
      r.delete_sent = r.delete_acked = s(o, "status") == "deleting";
      if (k == Kind::volume) r.allowed_vm = {s(o, "vm_id")};
      v.model[id] = r;
    }
  return v;
}

std::string counts_line(const std::map<std::string, Res>& model) {
  int n[4] = {};
  for (const auto& [id, r] : model)
    ++n[static_cast<int>(r.kind)];
  return std::to_string(n[0]) + " environments, " + std::to_string(n[1]) + " security groups, " +
         std::to_string(n[2]) + " VMs, " + std::to_string(n[3]) + " volumes";
}

}  // namespace

TEST_CASE("SIGKILL mid-traffic, restart on the same --data-dir: nothing acknowledged is lost") {
  const std::uint64_t seed = getenv_str("MOCKCLOUD_CRASH_SEED")
                                 ? std::stoull(*getenv_str("MOCKCLOUD_CRASH_SEED"))
                                 : std::random_device{}();
  const int kill_rounds =
      std::clamp(std::stoi(getenv_str("MOCKCLOUD_CRASH_ROUNDS").value_or("5")), 1, 50);
  const bool simulate_loss = getenv_str("MOCKCLOUD_CRASH_SIMULATE_LOSS").has_value();
  REQUIRE_MESSAGE(!(simulate_loss && getenv_str("MOCKCLOUD_CRASH_DATABASE_URL")),
                  "MOCKCLOUD_CRASH_SIMULATE_LOSS works on a data directory only");
  const int rounds = kill_rounds + 1;
  const int quiet_round = std::min(3, rounds);  // the one that kills with nothing in flight
  std::printf(
      "crash test: seed %llu (MOCKCLOUD_CRASH_SEED=%llu repeats the choices), %d rounds%s\n",
      static_cast<unsigned long long>(seed), static_cast<unsigned long long>(seed), rounds,
      simulate_loss ? ", SIMULATED DATA LOSS: this run must fail" : "");
  std::mt19937_64 rng(seed);

  char tmpl[] = "/tmp/mockcloud-crash-XXXXXX";
  REQUIRE(mkdtemp(tmpl) != nullptr);
  const fs::path root = tmpl;
  fs::path data = root / "data";
  const std::uint64_t server_seed = seed % 1'000'000;
  struct Cleanup {
    fs::path root;
    ~Cleanup() {
      if (getenv_str("MOCKCLOUD_CRASH_KEEP"))
        std::printf("crash test: kept %s\n", root.c_str());
      else
        fs::remove_all(root);
    }
  } cleanup{root};

  auto start = [&](const std::string& label) {
    auto server = std::make_unique<Server>(data, root / ("server-" + label + ".log"), server_seed);
    std::string why;
    const auto t0 = SteadyClock::now();
    const bool ready = server->wait_ready(20s, why);
    INFO("starting the server (" << label << ") on " << data.string());
    REQUIRE_MESSAGE(ready, why);
    return std::pair{std::move(server), ms_since(t0)};
  };

  auto server = start("0").first;
  std::map<std::string, Res> model;  // acknowledged state, as of the last verified restart
  int total_acked = 0;
  bool failed = false;

  for (int round = 1; round <= rounds; ++round) {
    const bool quiet = round == quiet_round;
    // Hand each environment, with everything in it, to one worker: each resource has one owner,
    // whose sequential requests make its acknowledged state exact.
    std::vector<std::map<std::string, Res>> owned(kWorkers);
    {
      std::map<std::string, int> owner;
      int next = 0;
      for (const auto& [id, r] : model)
        if (r.kind == Kind::env) owner[id] = next++ % kWorkers;
      for (const auto& [id, r] : model) {
        const auto it = owner.find(r.kind == Kind::env ? id : r.env_id);
        owned[it == owner.end() ? 0 : it->second].emplace(id, r);
      }
    }
    Shared shared;
    shared.port = server->port();
    std::vector<std::unique_ptr<Worker>> workers;
    for (int i = 0; i < kWorkers; ++i)
      workers.push_back(std::make_unique<Worker>(i, round, rng(), shared, std::move(owned[i])));
    const auto drive_ms = std::uniform_int_distribution<int>(300, 1500)(rng);
    std::vector<std::thread> threads;
    const auto t0 = SteadyClock::now();
    for (auto& w : workers)
      threads.emplace_back([&w, quiet] { w->run(quiet); });
    int in_flight_at_kill = 0;
    bool killed_by_signal = false;
    if (quiet) {
      std::this_thread::sleep_for(std::chrono::milliseconds(drive_ms));
      shared.stop = true;
      for (auto& t : threads)
        t.join();
      in_flight_at_kill = shared.in_flight;
      shared.killing = true;
      killed_by_signal = server->kill_and_reap();
    } else {
      std::thread killer([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(drive_ms));
        in_flight_at_kill = shared.in_flight;
        shared.killing = true;
        killed_by_signal = server->kill_and_reap();  // reaped: fully dead, lock released
      });
      killer.join();
      for (auto& t : threads)
        t.join();
    }
    const auto killed_after = ms_since(t0);
    CHECK_MESSAGE(killed_by_signal, "round " << round << ": the server did not die of SIGKILL");

    // Merge what the workers know.
    Stats stats;
    std::vector<Unknown> unknown;
    std::vector<std::string> problems;
    model.clear();
    for (auto& w : workers) {
      stats.add(w->stats());
      model.merge(w->mine());
      unknown.insert(unknown.end(), w->unknown_creates().begin(), w->unknown_creates().end());
      problems.insert(problems.end(), w->problems().begin(), w->problems().end());
    }
    total_acked += stats.created;
    if (quiet) CHECK(in_flight_at_kill == 0);

    // Restart on the same directory (or, to prove the test can fail, on a fresh one).
    if (simulate_loss) data = root / ("lost-" + std::to_string(round));
    auto [restarted, restart_ms] = start(std::to_string(round));
    server = std::move(restarted);
    if (round == 1 && !getenv_str("MOCKCLOUD_CRASH_DATABASE_URL")) {
      // While it runs, a second server on the same directory is refused.
      Server second(data, root / "second.log", server_seed);
      CHECK_MESSAGE(second.wait_exit(10s) == 2,
                    "a second server on " << data.string() << ": " << second.log_text());
    }
    if (round == 1 && getenv_str("MOCKCLOUD_CRASH_DATABASE_URL")) {
      // A second server on the same database is a replica of the same cloud: it finds
      // everything acknowledged too.
      auto [second, second_ms] = start("replica");
      Verdict replica = verify(second->port(), model, unknown);
      for (const auto& p : replica.problems)
        problems.push_back("on a second server: " + p);
    }
    Verdict verdict = verify(server->port(), model, unknown);
    problems.insert(problems.end(), verdict.problems.begin(), verdict.problems.end());

    std::printf(
        "round %d%s: %d requests, acked %d creates, %d deletes, %d attaches, %d detaches (%d "
        "409s); killed after %lld ms with %d in flight (%d unanswered, %zu of them creates, %d "
        "of which happened); restart %lld ms, settled %lld ms; found %s\n",
        round, quiet ? " (quiet kill)" : "", stats.requests, stats.created, stats.deleted,
        stats.attached, stats.detached, stats.conflicts, killed_after, in_flight_at_kill,
        stats.unknown, unknown.size(), verdict.orphans, restart_ms, verdict.settle_ms,
        counts_line(verdict.model).c_str());
    if (quiet) {  // nothing was in flight: the checks above demand exactly the acknowledged
      std::size_t acked_live = 0;
      for (const auto& [id, r] : model)
        acked_live += r.delete_sent ? 0 : 1;
      std::printf("round %d: %zu resources acknowledged and not deleted, %zu found\n", round,
                  acked_live, verdict.model.size());
      CHECK(acked_live == verdict.model.size());
    }
    std::fflush(stdout);
    if (!problems.empty()) {
      std::string text;
      for (std::size_t i = 0; i < problems.size() && i < 25; ++i)
        text += "\n  " + problems[i];
      if (problems.size() > 25)
        text += "\n  ... and " + std::to_string(problems.size() - 25) + " more";
      FAIL_CHECK("round " << round << ": " << problems.size() << " problems (seed " << seed
                          << "):" << text);
      failed = true;
      break;  // the state no longer matches the model: later rounds would only repeat it
    }
    model = std::move(verdict.model);
  }

  // Last, a graceful stop (SIGTERM → exit 0) and a restart keep the state exactly.
  if (!failed) {
    const auto before = model;
    CHECK(server->terminate(10s) == 0);
    auto [again, restart_ms] = start("final");
    server = std::move(again);
    Verdict verdict = verify(server->port(), before, {});
    std::string text;
    for (std::size_t i = 0; i < verdict.problems.size() && i < 25; ++i)
      text += "\n  " + verdict.problems[i];
    CHECK_MESSAGE(verdict.problems.empty(), "after a graceful stop and restart:" << text);
    std::printf("after SIGTERM and restart (%lld ms): found %s; %d creates acknowledged in all\n",
                restart_ms, counts_line(verdict.model).c_str(), total_acked);
  }
  CHECK(server->terminate(10s) == 0);
}
