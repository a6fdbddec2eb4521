// Load and soak (issue #6): keep-alive clients, each in its own environment, send a mix of valid
// and invalid requests for a bounded time while a chaos client advances the virtual clock and
// injects faults. Afterwards: no 5xx but injected ones, no dropped connection, no answer outside
// the expected ones, and the invariants hold when read back over the API. A subscriber of
// /api/v1/events reads throughout: it sees every transition once, in order, and they add up to
// the state read back.
//
//   MOCKCLOUD_SOAK_SECONDS   how long the clients run (default 20; the long run is 120)
//   MOCKCLOUD_SOAK_CLIENTS   keep-alive clients (default 100)
//   MOCKCLOUD_SOAK_THREADS   server I/O threads (default 2)
#include <doctest/doctest.h>

#include <atomic>
#include <boost/json.hpp>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "soak_support.hpp"

using namespace std::chrono_literals;
using test::str;

namespace {

using Clock = std::chrono::steady_clock;

struct Stats {
  std::atomic<std::uint64_t> requests{0}, injected{0}, unexpected_5xx{0}, unexpected_status{0},
      dropped{0}, expected_closes{0};
  std::mutex mutex;
  std::vector<std::string> problems;  // the first few, for the failure message

  void problem(std::string what) {
    std::lock_guard lock(mutex);
    if (problems.size() < 30) problems.push_back(std::move(what));
  }
};

bool is_injected(const test::HttpResponse& r) {
  return r.status >= 500 && r.body == R"({"detail":"injected fault"})";
}

/// One keep-alive connection that reconnects after a close the protocol asks for, and records
/// every answer that breaks the rules.
class Conn {
 public:
  Conn(std::uint16_t port, Stats& stats, std::string who)
      : port_(port), stats_(stats), who_(std::move(who)) {
    connect();
  }

  /// The response when its status is one of `allowed` (an injected fault is reported as
  /// nullopt: nothing happened); nullopt and a recorded problem otherwise.
  std::optional<test::HttpResponse> call(std::string_view method, const std::string& target,
                                         std::string_view body, std::initializer_list<int> allowed,
                                         const test::Headers& headers = {}) {
    test::HttpResponse r;
    try {
      r = client_->request(method, target, body, headers);
    } catch (const std::exception& e) {
      ++stats_.dropped;
      stats_.problem(who_ + ": dropped on " + std::string(method) + " " + target + ": " + e.what());
      connect();
      return std::nullopt;
    }
    return check(r, std::string(method) + " " + target, allowed);
  }

  /// A raw request the server answers with `status` and then closes.
  void closing(std::string_view raw, int status) {
    try {
      client_->send_raw(raw);
      auto r = client_->read_response();
      ++stats_.requests;
      if (r.status != status || r.header("Connection") != "close") {
        ++stats_.unexpected_status;
        stats_.problem(who_ + ": raw request got " + std::to_string(r.status) + " " + r.body);
      } else if (!client_->closed_by_peer()) {
        ++stats_.unexpected_status;
        stats_.problem(who_ + ": still open after " + std::to_string(status));
      } else {
        ++stats_.expected_closes;
      }
    } catch (const std::exception& e) {
      ++stats_.dropped;
      stats_.problem(who_ + ": dropped on a raw request: " + e.what());
    }
    connect();
  }

 private:
  void connect() {
    for (int attempt = 0;; ++attempt) {
      try {
        client_ = std::make_unique<test::Client>(port_, 30s);
        return;
      } catch (const std::exception&) {
        if (attempt == 50) throw;
        std::this_thread::sleep_for(20ms);
      }
    }
  }

  std::optional<test::HttpResponse> check(test::HttpResponse& r, const std::string& what,
                                          std::initializer_list<int> allowed) {
    ++stats_.requests;
    if (is_injected(r)) {
      ++stats_.injected;
      return std::nullopt;
    }
    if (r.status >= 500) {
      ++stats_.unexpected_5xx;
      stats_.problem(who_ + ": " + what + " -> " + std::to_string(r.status) + " " + r.body);
      return std::nullopt;
    }
    if (std::find(allowed.begin(), allowed.end(), r.status) == allowed.end()) {
      ++stats_.unexpected_status;
      stats_.problem(who_ + ": " + what + " -> " + std::to_string(r.status) + " " +
                     r.body.substr(0, 300));
      return std::nullopt;
    }
    return std::move(r);
  }

  std::uint16_t port_;
  Stats& stats_;
  std::string who_;
  std::unique_ptr<test::Client> client_;
};

/// What one client was told (its acknowledgements), to compare with what the server says.
struct Ledger {
  std::string env;
  std::set<std::string> vms, volumes;           // acknowledged creates, not yet deleted
  std::map<std::string, std::string> deleted;   // resource id -> its delete task
  std::map<std::string, std::string> attached;  // volume -> vm, acknowledged and not undone
};

template <class T>
const T& pick(std::mt19937& rng, const std::set<T>& s) {
  auto it = s.begin();
  std::advance(it, std::uniform_int_distribution<std::size_t>(0, s.size() - 1)(rng));
  return *it;
}

std::string nested(int levels) {
  return std::string(static_cast<std::size_t>(levels), '[') +
         std::string(static_cast<std::size_t>(levels), ']');
}

void run_client(int index, std::uint16_t port, Clock::time_point deadline, Stats& stats,
                Ledger& ledger) {
  std::mt19937 rng(static_cast<unsigned>(index) * 7919u + 1u);
  Conn c(port, stats, "client " + std::to_string(index));
  const std::string name = "soak-" + std::to_string(index);
  while (ledger.env.empty() && Clock::now() < deadline) {
    if (auto r = c.call("POST", "/api/v1/environments",
                        R"({"name":")" + name + R"(","cidr":"10.0.0.0/27"})", {201}))
      ledger.env = str(r->json().at("id"));
  }
  const std::string& env = ledger.env;
  std::string sg;
  while (sg.empty() && Clock::now() < deadline) {
    if (auto r = c.call("POST", "/api/v1/security-groups",
                        R"({"name":"ssh","environment_id":")" + env +
                            R"(","rules":[{"direction":"ingress","protocol":"tcp",)"
                            R"("port_range_min":22,"port_range_max":22}]})",
                        {201}))
      sg = str(r->json().at("id"));
  }

  int serial = 0;
  auto in_env = [&](std::string fields) {
    return R"({"environment_id":")" + env + "\"," + fields + "}";
  };
  while (Clock::now() < deadline) {
    const int dice = std::uniform_int_distribution<int>(0, 99)(rng);
    if (dice < 16) {  // create a VM, sometimes twice under one Idempotency-Key
      if (ledger.vms.size() >= 8) continue;
      const std::string body = in_env(R"("name":"vm-)" + std::to_string(serial++) +
                                      R"(","cpu":2,"security_group_ids":[")" + sg + "\"]");
      if (dice < 3) {
        const test::Headers key{{"Idempotency-Key", name + "-" + std::to_string(serial)}};
        auto first = c.call("POST", "/api/v1/vms", body, {202}, key);
        auto again = c.call("POST", "/api/v1/vms", body, {202}, key);
        if (first && again && first->json().at("id") != again->json().at("id")) {
          ++stats.unexpected_status;
          stats.problem("client " + std::to_string(index) + ": a replay made a second VM");
        }
        if (first) ledger.vms.insert(str(first->json().at("id")));
        if (again) ledger.vms.insert(str(again->json().at("id")));
      } else if (auto r = c.call("POST", "/api/v1/vms", body, {202})) {
        ledger.vms.insert(str(r->json().at("id")));
      }
    } else if (dice < 28) {  // create a volume
      if (ledger.volumes.size() >= 8) continue;
      if (auto r = c.call("POST", "/api/v1/volumes",
                          in_env(R"("name":"vol-)" + std::to_string(serial++) + R"(","size_gb":5)"),
                          {202}))
        ledger.volumes.insert(str(r->json().at("id")));
    } else if (dice < 40) {  // attach: 409 unless the volume is available and the VM running
      if (ledger.vms.empty() || ledger.volumes.empty()) continue;
      const auto vol = pick(rng, ledger.volumes);
      const auto vm = pick(rng, ledger.vms);
      if (auto r = c.call("POST", "/api/v1/volumes/" + vol + "/attach/" + vm, {}, {200, 409});
          r && r->status == 200)
        ledger.attached[vol] = vm;
    } else if (dice < 46) {  // detach
      if (ledger.volumes.empty()) continue;
      const auto vol = pick(rng, ledger.volumes);
      if (auto r = c.call("POST", "/api/v1/volumes/" + vol + "/detach", {}, {200, 409});
          r && r->status == 200)
        ledger.attached.erase(vol);
    } else if (dice < 54) {  // delete a VM: its volumes detach when it is gone
      if (ledger.vms.size() < 3) continue;
      const auto vm = pick(rng, ledger.vms);
      if (auto r = c.call("DELETE", "/api/v1/vms/" + vm, {}, {202})) {
        ledger.vms.erase(vm);
        ledger.deleted[vm] = str(r->json().at("task_id"));
        std::erase_if(ledger.attached, [&](const auto& kv) { return kv.second == vm; });
      }
    } else if (dice < 60) {  // delete a volume: 409 while in use
      if (ledger.volumes.size() < 3) continue;
      const auto vol = pick(rng, ledger.volumes);
      if (auto r = c.call("DELETE", "/api/v1/volumes/" + vol, {}, {202, 409});
          r && r->status == 202) {
        ledger.volumes.erase(vol);
        ledger.deleted[vol] = str(r->json().at("task_id"));
        ledger.attached.erase(vol);
      }
    } else if (dice < 75) {  // reads
      switch (dice % 4) {
        case 0:
          c.call("GET", "/api/v1/vms?environment_id=" + env + "&limit=5", {}, {200});
          break;
        case 1:
          if (!ledger.volumes.empty())
            c.call("GET", "/api/v1/volumes/" + pick(rng, ledger.volumes), {}, {200});
          break;
        case 2:
          c.call("GET", "/api/v1/tasks?state=STARTED&limit=3", {}, {200});
          break;
        default:
          c.call("GET", "/health", {}, {200});
      }
    } else {  // invalid requests, each with its one answer
      switch (dice % 15) {
        case 0:
          c.call("POST", "/api/v1/vms", "{bad json", {422});
          break;
        case 1:
          c.call("POST", "/api/v1/vms", in_env(R"("name":5)"), {422});
          break;
        case 2:
          c.call("POST", "/api/v1/volumes", in_env(R"("name":"v","size_gb":"big")"), {422});
          break;
        case 3:
          c.call("POST", "/api/v1/environments", nested(100), {422});
          break;
        case 4:
          c.call("POST", "/api/v1/environments", "{\"name\":\"\xff\"}", {422});
          break;
        case 5:
          c.call("GET", "/api/v1/nothing", {}, {404});
          break;
        case 6:
          c.call("PUT", "/api/v1/vms", "{}", {405});
          break;
        case 7:
          c.call("GET", "/api/v1/vms/not-an-id", {}, {404});
          break;
        case 8:
          c.call("GET", "/api/v1/vms?limit=0", {}, {422});
          break;
        case 9:
          c.call("GET", "/api/v1/volumes?status=melted", {}, {422});
          break;
        case 10:
          c.call("POST", "/api/v1/vms", in_env(R"("name":"bad name!")"), {422});
          break;
        case 11:
          c.call("POST", "/api/v1/vms", R"({"name":"x","environment_id":"nope"})", {404});
          break;
        case 12:
          c.call("POST", "/api/v1/environments", R"({"name":")" + name + "\"}", {409});
          break;
        case 13:
          c.closing("GARBAGE\r\n\r\n", 400);
          break;
        default:
          c.closing(
              "POST /api/v1/vms HTTP/1.1\r\nHost: x\r\nContent-Length: 2000000\r\n\r\n{\"a\":",
              413);
      }
    }
  }
}

/// Advances the virtual clock and cycles through faults until the deadline.
void run_chaos(std::uint16_t port, Clock::time_point deadline, Stats& stats) {
  Conn c(port, stats, "chaos");
  const char* faults[] = {
      R"({"route":"POST /api/v1/vms","status":503,"rate":0.2})",
      R"({"operation":"vm.create","fail_next":3})",
      R"({"route":"GET /api/v1/volumes/{id}","status":500,"rate":0.5})",
      R"({"operation":"vm.delete","fail_next":2})",
      R"({"latency_ms":2})",
      R"({"route":"POST /api/v1/volumes/{id}/attach/{vm_id}","status":503,"rate":0.3})",
      R"({"operation":"volume.create","fail_next":3})",
      R"({"operation":"volume.delete","fail_next":2})",
  };
  std::size_t next_fault = 0;
  for (int round = 0; Clock::now() < deadline; ++round) {
    c.call("POST", "/_mock/clock/advance", R"({"seconds":5})", {200});
    if (round % 10 == 5) {  // about twice a second: two new faults, then all cleared
      if (round / 10 % 3 == 2)
        c.call("DELETE", "/_mock/faults", {}, {204});
      else
        c.call("POST", "/_mock/faults", faults[next_fault++ % std::size(faults)], {201});
    }
    std::this_thread::sleep_for(50ms);
  }
}

/// Reads /api/v1/events from the start until it has seen `until` (set once the cloud is settled):
/// the last `to` of each resource, and what breaks the stream's promises.
struct Watcher {
  explicit Watcher(std::uint16_t port) : client(port, 60s) {
    client.send_raw(test::Client::format("GET", "/api/v1/events?since=0"));
    head_status = client.read_response().status;
    thread = std::thread([this] { run(); });
  }
  ~Watcher() {  // after a failed REQUIRE: stop at the next frame (a heartbeat at the latest)
    until = 0;
    if (thread.joinable()) thread.join();
  }
  void run() {
    try {
      for (;;) {
        if (last >= until.load()) return;
        const std::string frame = client.read_until("\n\n");
        const auto data = frame.find("data: ");
        if (data == std::string::npos) continue;  // retry, heartbeat
        const auto e = boost::json::parse(frame.substr(data + 6)).as_object();
        const auto seq = e.at("seq").to_number<std::uint64_t>();
        ++events;
        if (str(e.at("kind")) == "resync") ++resyncs;
        if (seq != last + 1) ++gaps;
        last = seq;
        const auto kind = str(e.at("kind"));
        if (kind == "vm" || kind == "volume") status[str(e.at("id"))] = str(e.at("to"));
      }
    } catch (const std::exception& ex) {
      failure = ex.what();
    }
  }
  test::Client client;
  int head_status = 0;
  std::atomic<std::uint64_t> until{std::numeric_limits<std::uint64_t>::max()};
  std::uint64_t last = 0, events = 0, resyncs = 0, gaps = 0;
  std::map<std::string, std::string> status;  // VM or volume id -> its last `to`
  std::string failure;
  std::thread thread;
};

}  // namespace

TEST_CASE("soak: keep-alive clients with valid and invalid requests, faults and clock advances") {
  const double seconds = soak::env_number("MOCKCLOUD_SOAK_SECONDS", 20);
  const int clients = static_cast<int>(soak::env_number("MOCKCLOUD_SOAK_CLIENTS", 100));
  const auto threads = static_cast<unsigned>(soak::env_number("MOCKCLOUD_SOAK_THREADS", 2));
  soak::raise_fd_limit();

  mockcloud::ManagerOptions options;
  options.seed = 7;  // the default worker_failure_rate (0.1) stays: failures are part of it
  // A subscriber's queue that holds the whole run: a resync would hide what it must check.
  soak::InProcessServer s(
      options, {.host = "127.0.0.1", .port = 0, .threads = threads, .event_buffer = 1'000'000});
  const std::uint16_t port = s.server.port();
  Watcher watcher(port);
  REQUIRE(watcher.head_status == 200);

  Stats stats;
  std::vector<Ledger> ledgers(static_cast<std::size_t>(clients));
  const auto start = Clock::now();
  const auto deadline =
      start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  {
    std::vector<std::thread> pool;
    for (int i = 0; i < clients; ++i)
      pool.emplace_back([&, i] {
        try {
          run_client(i, port, deadline, stats, ledgers[static_cast<std::size_t>(i)]);
        } catch (const std::exception& e) {
          ++stats.dropped;
          stats.problem("client " + std::to_string(i) + " gave up: " + e.what());
        }
      });
    pool.emplace_back([&] { run_chaos(port, deadline, stats); });
    for (auto& t : pool)
      t.join();
  }
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();

  // Settle everything, then read the world back.
  Conn c(port, stats, "checker");
  REQUIRE(c.call("DELETE", "/_mock/faults", {}, {204}));
  REQUIRE(c.call("POST", "/_mock/clock/advance", R"({"seconds":3600})", {200}));
  auto started = c.call("GET", "/api/v1/tasks?state=STARTED", {}, {200});
  REQUIRE(started);
  CHECK(started->header("X-Total-Count") == "0");

  // The stream caught up with the settled cloud.
  auto journal = c.call("GET", "/_mock/journal?limit=1", {}, {200});
  REQUIRE(journal);
  const auto latest = journal->json().at("latest").to_number<std::uint64_t>();
  watcher.until = latest;
  watcher.thread.join();
  CHECK_MESSAGE(watcher.failure.empty(), watcher.failure);
  CHECK(watcher.last == latest);
  CHECK(watcher.events == latest);  // each seq once, from 1
  CHECK(watcher.gaps == 0);
  CHECK(watcher.resyncs == 0);
  std::map<std::string, std::string> listed;  // VM or volume id -> its status, read back

  std::size_t total_vms = 0, total_volumes = 0, checked_deletes = 0;
  for (int i = 0; i < clients; ++i) {
    const Ledger& l = ledgers[static_cast<std::size_t>(i)];
    CAPTURE(i);
    REQUIRE(!l.env.empty());
    auto vms_r = c.call("GET", "/api/v1/vms?environment_id=" + l.env + "&limit=1000", {}, {200});
    auto vols_r =
        c.call("GET", "/api/v1/volumes?environment_id=" + l.env + "&limit=1000", {}, {200});
    REQUIRE(vms_r);
    REQUIRE(vols_r);
    const auto vms = vms_r->json().as_array();
    const auto vols = vols_r->json().as_array();

    // Failed deletions leave the resource behind, in error; successful ones remove it.
    std::set<std::string> expected_vms = l.vms, expected_vols = l.volumes;
    for (const auto& [id, task] : l.deleted) {
      auto t = c.call("GET", "/api/v1/tasks/" + task, {}, {200});
      REQUIRE(t);
      const auto state = str(t->json().at("state"));
      CHECK_MESSAGE((state == "SUCCESS" || state == "FAILURE"), id << " " << state);
      if (state == "FAILURE")
        (str(t->json().at("kind")) == "vm.delete" ? expected_vms : expected_vols).insert(id);
      ++checked_deletes;
    }

    std::set<std::string> vm_ids, ips;
    std::map<std::string, std::set<std::string>> vm_volumes;
    for (const auto& v : vms) {
      const auto id = str(v.at("id"));
      vm_ids.insert(id);
      const auto status = str(v.at("status"));
      listed[id] = status;
      CHECK_MESSAGE((status == "running" || status == "error"), id << " " << status);
      if (status == "running") {
        REQUIRE(v.at("ip_address").is_string());
        const auto ip = str(v.at("ip_address"));
        CHECK_MESSAGE(ips.insert(ip).second, "duplicate IP " << ip);
        CHECK(ip.starts_with("10.0.0."));
        CHECK(ip != "10.0.0.0");
        CHECK(ip != "10.0.0.31");
      } else {
        CHECK(v.at("ip_address").is_null());
        CHECK(v.at("volume_ids").as_array().empty());
      }
      for (const auto& vol : v.at("volume_ids").as_array())
        vm_volumes[id].insert(str(vol));
    }
    CHECK(vm_ids == expected_vms);

    std::set<std::string> vol_ids;
    std::map<std::string, std::string> in_use;
    for (const auto& v : vols) {
      const auto id = str(v.at("id"));
      vol_ids.insert(id);
      const auto status = str(v.at("status"));
      listed[id] = status;
      CHECK_MESSAGE((status == "available" || status == "in-use" || status == "error"),
                    id << " " << status);
      if (status == "in-use") {
        REQUIRE(v.at("vm_id").is_string());
        in_use[id] = str(v.at("vm_id"));
      } else {
        CHECK(v.at("vm_id").is_null());
      }
    }
    CHECK(vol_ids == expected_vols);

    // Attachments agree on both sides, and with what the client was told.
    for (const auto& [vol, vm] : in_use) {
      CHECK_MESSAGE(vm_ids.count(vm) == 1, vol << " attached to a VM that is gone: " << vm);
      CHECK_MESSAGE(vm_volumes[vm].count(vol) == 1, vm << " does not list " << vol);
    }
    for (const auto& [vm, list] : vm_volumes)
      for (const auto& vol : list)
        CHECK_MESSAGE((in_use.count(vol) == 1 && in_use[vol] == vm),
                      vm << " lists " << vol << " which is not attached to it");
    CHECK(in_use == l.attached);

    total_vms += vm_ids.size();
    total_volumes += vol_ids.size();
  }

  // The events add up to the state: each listed resource's last transition is to its status,
  // and every other one the stream saw ended gone.
  for (const auto& [id, status] : listed)
    CHECK_MESSAGE(watcher.status[id] == status,
                  id << " is " << status << ", its events say " << watcher.status[id]);
  for (const auto& [id, to] : watcher.status)
    if (!listed.count(id))
      CHECK_MESSAGE(to == "gone", id << " is not listed; its events say " << to);

  auto invariants = c.call("GET", "/_mock/invariants", {}, {200});
  REQUIRE(invariants);
  CHECK_MESSAGE(invariants->json().at("ok") == true, invariants->body);

  auto health = c.call("GET", "/health", {}, {200});
  REQUIRE(health);
  const auto counts = health->json().at("counts");
  CHECK(counts.at("environments") == clients);
  CHECK(counts.at("security_groups") == clients);
  CHECK(counts.at("vms") == total_vms);
  CHECK(counts.at("volumes") == total_volumes);

  MESSAGE("soak: " << clients << " clients, " << elapsed << " s, " << stats.requests.load()
                   << " requests (" << stats.requests.load() / elapsed << "/s), "
                   << stats.injected.load() << " injected faults, " << stats.expected_closes.load()
                   << " expected closes, " << total_vms << " VMs and " << total_volumes
                   << " volumes left, " << checked_deletes << " deletions checked");
  for (const auto& p : stats.problems)
    MESSAGE(p);
  CHECK(stats.unexpected_5xx.load() == 0);
  CHECK(stats.dropped.load() == 0);
  CHECK(stats.unexpected_status.load() == 0);
  CHECK(stats.injected.load() > 0);
  CHECK(stats.requests.load() > static_cast<std::uint64_t>(clients) * 10);
}
