// `--dialect original` (docs/original-dialect.md): what is this service's own and not the Python
// Mock Cloud API's keeps working in the original's wire format: Idempotency-Key, a data
// directory, seeded outcomes, /_mock/*, /api/v1/tasks, /metrics, the limits, the redirects of
// FastAPI, a volume's vm_id at creation and the deletes the original allows.
#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <utility>

#include "client.hpp"
#include "mockcloud/clock.hpp"
#include "mockcloud/http/server.hpp"
#include "mockcloud/manager.hpp"
#include "mockcloud/store.hpp"
#include "test_options.hpp"

namespace fs = std::filesystem;
using mockcloud::http::WireDialect;
using test::str;

namespace {

/// A server of `dialect` on a free port over a manager with a virtual clock and the model that
/// dialect needs (as http/main.cpp builds them), optionally over a data directory.
struct Served {
  explicit Served(WireDialect dialect = WireDialect::original,
                  mockcloud::ManagerOptions options = test::options(),
                  mockcloud::http::ServerOptions server_options = {}, const fs::path& data_dir = {})
      : manager(with_model(std::move(options), dialect, data_dir), clock),
        server(manager, with_port(std::move(server_options), dialect)) {
    server.start();
  }
  static mockcloud::ManagerOptions with_model(mockcloud::ManagerOptions o, WireDialect dialect,
                                              const fs::path& data_dir) {
    if (dialect == WireDialect::original) o.model = mockcloud::CloudModel::original();
    if (!data_dir.empty()) {
      o.store = mockcloud::open_sqlite_store(data_dir);
      o.wait_for_durability = false;  // as the binary: the server holds each response
    }
    return o;
  }
  static mockcloud::http::ServerOptions with_port(mockcloud::http::ServerOptions o,
                                                  WireDialect dialect) {
    o.host = "127.0.0.1";
    o.port = 0;
    o.threads = 1;
    o.dialect = dialect;
    return o;
  }
  test::Client connect() { return test::Client(server.port()); }

  mockcloud::VirtualClock clock;
  mockcloud::ResourceManager manager;
  mockcloud::http::Server server;
};

struct TempDir {
  fs::path path;
  TempDir() {
    std::random_device rd;
    path = fs::temp_directory_path() /
           ("mockcloud-original-" + std::to_string(::getpid()) + "-" + std::to_string(rd()));
    fs::create_directories(path);
  }
  ~TempDir() { fs::remove_all(path); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
};

std::string number(std::int64_t n) {
  return std::to_string(n);
}

/// POST /api/v1/environments/ → the new environment's integer id.
std::int64_t environment(test::Client& c, std::string_view name = "dev",
                         std::string_view cidr = "10.0.0.0/16") {
  auto r =
      c.post("/api/v1/environments/", std::string(R"({"name":")") + std::string(name) +
                                          R"(","network_cidr":")" + std::string(cidr) + R"("})");
  REQUIRE(r.status == 200);
  return r.json().at("id").as_int64();
}

std::string vm_body(std::string_view name, std::int64_t env,
                    std::optional<std::int64_t> security_group = std::nullopt) {
  return std::string(R"({"name":")") + std::string(name) +
         R"(","instance_type":"t2.micro","environment_id":)" + number(env) +
         R"(,"security_group_id":)" + (security_group ? number(*security_group) : "null") + "}";
}

std::string volume_body(std::string_view name, std::int64_t env,
                        std::optional<std::int64_t> vm = std::nullopt) {
  return std::string(R"({"name":")") + std::string(name) + R"(","size_gb":10,"environment_id":)" +
         number(env) + R"(,"vm_id":)" + (vm ? number(*vm) : "null") + "}";
}

/// POST /api/v1/vms/ → the task envelope, checked.
boost::json::object create_vm(test::Client& c, std::string_view name, std::int64_t env,
                              std::optional<std::int64_t> security_group = std::nullopt) {
  auto r = c.post("/api/v1/vms/", vm_body(name, env, security_group));
  REQUIRE_MESSAGE(r.status == 200, r.body);
  auto j = r.json().as_object();
  CHECK(str(j.at("status")) == "started");
  CHECK(str(j.at("message")) == "VM creation started");
  CHECK(str(j.at("resource_type")) == "vm");
  return j;
}

boost::json::object create_volume(test::Client& c, std::string_view name, std::int64_t env,
                                  std::optional<std::int64_t> vm = std::nullopt) {
  auto r = c.post("/api/v1/volumes/", volume_body(name, env, vm));
  REQUIRE_MESSAGE(r.status == 200, r.body);
  auto j = r.json().as_object();
  CHECK(str(j.at("message")) == "Volume creation started");
  CHECK(str(j.at("resource_type")) == "volume");
  return j;
}

boost::json::object get_object(test::Client& c, const std::string& target) {
  auto r = c.get(target);
  REQUIRE_MESSAGE(r.status == 200, target, " ", r.body);
  return r.json().as_object();
}

boost::json::object vm(test::Client& c, std::int64_t id) {
  return get_object(c, "/api/v1/vms/" + number(id));
}
boost::json::object volume(test::Client& c, std::int64_t id) {
  return get_object(c, "/api/v1/volumes/" + number(id));
}

/// A list's `total`.
std::int64_t total(test::Client& c, std::string_view kind) {
  return get_object(c, "/api/v1/" + std::string(kind) + "/").at("total").as_int64();
}

void advance(test::Client& c, double seconds) {
  auto r = c.post("/_mock/clock/advance", R"({"seconds":)" + std::to_string(seconds) + "}");
  REQUIRE_MESSAGE(r.status == 200, r.body);
}

void patch_config(test::Client& c, std::string_view body) {
  auto r = c.patch("/_mock/config", body);
  REQUIRE_MESSAGE(r.status == 200, r.body);
}

/// `status` and `resource_status` of a VM or volume.
std::pair<std::string, std::string> statuses(const boost::json::object& resource) {
  return {str(resource.at("status")), str(resource.at("resource_status"))};
}
using Statuses = std::pair<std::string, std::string>;

/// The original's error envelope: {"error": {"code", "message", "status_code", ...}}.
void check_envelope(const test::HttpResponse& r, int status, std::string_view code,
                    std::string_view resource_type = {}, std::string_view resource_id = {}) {
  CHECK(r.status == status);
  INFO(r.body);
  const auto j = r.json().as_object();
  REQUIRE(j.contains("error"));
  const auto& e = j.at("error").as_object();
  CHECK(str(e.at("code")) == code);
  CHECK(e.at("status_code") == status);
  CHECK(!str(e.at("message")).empty());
  if (!resource_type.empty()) CHECK(str(e.at("resource_type")) == resource_type);
  if (!resource_id.empty()) CHECK(str(e.at("resource_id")) == resource_id);
}

// The value of one sample of /metrics, 0 when absent.
double sample(const std::string& text, const std::string& series) {
  const auto at = text.find("\n" + series + " ");
  if (at == std::string::npos) return 0;
  return std::stod(text.substr(at + series.size() + 2));
}

}  // namespace

TEST_SUITE("original dialect") {
  TEST_CASE(
      "Idempotency-Key: the same key and body replay the task envelope; another body is 409") {
    Served s;
    auto c = s.connect();
    const auto env = environment(c);
    const test::Headers key{{"Idempotency-Key", "create-web-1"}};
    auto first = c.post("/api/v1/vms/", vm_body("web-1", env), key);
    REQUIRE(first.status == 200);
    auto again = c.post("/api/v1/vms/", vm_body("web-1", env), key);
    REQUIRE(again.status == 200);
    CHECK(again.body == first.body);
    const auto a = first.json().as_object(), b = again.json().as_object();
    CHECK(a.at("id") == 1);
    CHECK(b.at("id") == a.at("id"));
    CHECK(str(b.at("task_id")) == str(a.at("task_id")));
    CHECK(str(b.at("message")) == "VM creation started");
    CHECK(total(c, "vms") == 1);
    CHECK(s.manager.counts().vms == 1);

    // The same key with another body is refused and creates nothing.
    auto other = c.post("/api/v1/vms/", vm_body("web-2", env), key);
    CHECK(other.status == 409);
    CHECK(str(other.json().at("detail")).find("Idempotency-Key") != std::string::npos);
    CHECK(total(c, "vms") == 1);

    // Without the key the same body is a new request: the name is taken.
    auto unkeyed = c.post("/api/v1/vms/", vm_body("web-1", env));
    CHECK(unkeyed.status == 409);
    CHECK(unkeyed.json() == "vm with name 'web-1' already exists");
    // A volume's create is replayed too.
    const test::Headers vkey{{"Idempotency-Key", "vol"}};
    auto v1 = c.post("/api/v1/volumes/", volume_body("data", env), vkey);
    auto v2 = c.post("/api/v1/volumes/", volume_body("data", env), vkey);
    REQUIRE(v1.status == 200);
    CHECK(v2.body == v1.body);
    CHECK(total(c, "volumes") == 1);
  }

  TEST_CASE("--data-dir: the state survives a restart, ids continue, pending work completes") {
    TempDir dir;
    std::map<std::string, std::string> lists;
    const char* kinds[] = {"environments", "security-groups", "vms", "volumes"};
    std::string pending_task;
    {
      Served s(WireDialect::original, test::options(), {}, dir.path);
      auto c = s.connect();
      const auto env = environment(c, "dev", "10.2.0.0/24");
      CHECK(env == 1);
      auto sg =
          c.post("/api/v1/security-groups/", R"({"name":"web","description":"d","rules":"22"})");
      REQUIRE(sg.status == 200);
      CHECK(create_vm(c, "a", env).at("id") == 1);
      CHECK(create_vm(c, "b", env, 1).at("id") == 2);
      CHECK(create_volume(c, "v1", env).at("id") == 1);
      advance(c, 120);
      CHECK(statuses(vm(c, 1)) == Statuses{"running", "active"});
      CHECK(statuses(volume(c, 1)) == Statuses{"available", "active"});
      auto del = c.del("/api/v1/vms/2");
      REQUIRE(del.status == 200);
      CHECK(str(del.json().at("message")) == "VM deletion started");
      advance(c, 30);
      CHECK(statuses(vm(c, 2)) == Statuses{"deleted", "deleted"});
      // Created last and left pending.
      const auto pending = create_vm(c, "c", env);
      CHECK(pending.at("id") == 3);
      pending_task = str(pending.at("task_id"));
      CHECK(statuses(vm(c, 3)) == Statuses{"pending", "pending"});
      for (const char* kind : kinds)
        lists[kind] = c.get(std::string("/api/v1/") + kind + "/").body;
    }
    {
      Served s(WireDialect::original, test::options(), {}, dir.path);
      auto c = s.connect();
      for (const char* kind : kinds) {
        CAPTURE(kind);
        CHECK(c.get(std::string("/api/v1/") + kind + "/").body == lists[kind]);
      }
      const auto vms = get_object(c, "/api/v1/vms/");
      CHECK(vms.at("total") == 3);
      const auto& items = vms.at("vms").as_array();
      REQUIRE(items.size() == 3);
      for (std::size_t i = 0; i < items.size(); ++i)
        CHECK(items[i].at("id") == static_cast<std::int64_t>(i + 1));
      CHECK(str(items[1].at("status")) == "deleted");
      CHECK(str(items[1].at("resource_status")) == "deleted");
      CHECK(str(items[2].at("status")) == "pending");
      CHECK(get_object(c, "/api/v1/tasks/" + pending_task).at("resource_id") == "3");

      // New resources continue the numbering of each kind.
      CHECK(create_vm(c, "d", 1).at("id") == 4);
      CHECK(create_volume(c, "v2", 1).at("id") == 2);
      CHECK(environment(c, "prod") == 2);
      auto sg = c.post("/api/v1/security-groups/", R"({"name":"db"})");
      REQUIRE(sg.status == 200);
      CHECK(sg.json().at("id") == 2);
      // A deleted VM keeps its name taken across the restart.
      CHECK(c.post("/api/v1/vms/", vm_body("b", 1)).status == 409);

      // The VM left pending is picked up and completes.
      advance(c, 120);
      const auto picked = vm(c, 3);
      CHECK(statuses(picked) == Statuses{"running", "active"});
      CHECK(str(picked.at("ip_address")).starts_with("10.2.0."));
      CHECK(statuses(vm(c, 4)) == Statuses{"running", "active"});
      CHECK(str(get_object(c, "/api/v1/tasks/" + pending_task).at("state")) == "SUCCESS");
    }
    // The default dialect (another model) refuses the directory, saying why ...
    {
      std::string message;
      mockcloud::VirtualClock clock;
      auto options = test::options();
      options.store = mockcloud::open_sqlite_store(dir.path);
      try {
        mockcloud::ResourceManager m(std::move(options), clock);
      } catch (const mockcloud::StoreError& e) {
        message = e.what();
      }
      INFO(message);
      CHECK(message.find("model") != std::string::npos);
      CHECK(message.find("dialect") != std::string::npos);
    }
    // ... and leaves it as it was.
    Served s(WireDialect::original, test::options(), {}, dir.path);
    auto c = s.connect();
    CHECK(total(c, "vms") == 4);
    CHECK(statuses(vm(c, 2)) == Statuses{"deleted", "deleted"});
  }

  TEST_CASE("the same seed and requests give the same outcomes in both dialects") {
    auto options = test::options();
    options.seed = 7;
    options.settings.worker_failure_rate = 0.5;
    constexpr int count = 10;
    // name → (running or failed, IP address)
    using Outcomes = std::map<std::string, std::pair<std::string, std::string>>;

    Outcomes ours;
    {
      Served s(WireDialect::mockcloud, options);
      auto c = s.connect();
      auto env = c.post("/api/v1/environments", R"({"name":"dev","cidr":"10.9.0.0/24"})");
      REQUIRE(env.status == 201);
      const std::string env_id = str(env.json().at("id"));
      for (int i = 0; i < count; ++i) {
        auto r = c.post("/api/v1/vms", R"({"name":"vm-)" + std::to_string(i) +
                                           R"(","environment_id":")" + env_id + R"("})");
        REQUIRE(r.status == 202);
      }
      advance(c, 120);
      auto list = c.get("/api/v1/vms?limit=100");
      REQUIRE(list.status == 200);
      const auto vms = list.json();
      for (const auto& v : vms.as_array()) {
        const auto status = str(v.at("status"));
        CHECK((status == "running" || status == "error"));
        ours[str(v.at("name"))] = {status == "running" ? "running" : "failed",
                                   v.at("ip_address").is_null() ? "" : str(v.at("ip_address"))};
      }
    }
    Outcomes original;
    {
      // A cloud of its own: on PostgreSQL (ctest postgres-http) the first one's database holds
      // the other dialect's model, which this server would rightly refuse.
      options.store = test::test_store();
      Served s(WireDialect::original, options);
      auto c = s.connect();
      const auto env = environment(c, "dev", "10.9.0.0/24");
      for (int i = 0; i < count; ++i)
        create_vm(c, "vm-" + std::to_string(i), env);
      advance(c, 120);
      const auto vms = get_object(c, "/api/v1/vms/");
      for (const auto& v : vms.at("vms").as_array()) {
        const auto status = str(v.at("status"));
        CHECK((status == "running" || status == "failed"));
        original[str(v.at("name"))] = {status,
                                       v.at("ip_address").is_null() ? "" : str(v.at("ip_address"))};
      }
    }
    REQUIRE(ours.size() == count);
    CHECK(original == ours);
    // Meaningful only when both outcomes occur, and the addresses come from the network.
    int running = 0;
    for (const auto& [name, outcome] : ours) {
      CAPTURE(name);
      if (outcome.first == "running") {
        ++running;
        CHECK(outcome.second.starts_with("10.9.0."));
      } else {
        CHECK(outcome.second.empty());
      }
    }
    CHECK(running > 0);
    CHECK(running < count);
  }

  TEST_CASE("/_mock/*: reset, config, operation and route faults, the clock") {
    Served s;
    auto c = s.connect();
    auto env = environment(c);
    create_vm(c, "a", env);
    create_vm(c, "b", env);
    CHECK(total(c, "vms") == 2);

    // reset: everything gone, ids restart at 1.
    CHECK(c.post("/_mock/reset").status == 204);
    CHECK(total(c, "vms") == 0);
    CHECK(total(c, "environments") == 0);
    env = environment(c);
    CHECK(env == 1);
    CHECK(create_vm(c, "a", env).at("id") == 1);

    // The clock: pending, then starting once a worker picks it up, then running.
    auto clock = get_object(c, "/_mock/clock");
    CHECK(str(clock.at("mode")) == "virtual");
    CHECK(str(clock.at("now")) == "2030-01-01T00:00:00.000Z");
    CHECK(statuses(vm(c, 1)) == Statuses{"pending", "pending"});
    advance(c, 1);
    CHECK(str(get_object(c, "/_mock/clock").at("now")) == "2030-01-01T00:00:01.000Z");
    CHECK(statuses(vm(c, 1)) == Statuses{"starting", "creating"});
    advance(c, 60);
    CHECK(statuses(vm(c, 1)) == Statuses{"running", "active"});

    // config: every creation fails.
    patch_config(c, R"({"worker_failure_rate":1})");
    CHECK(get_object(c, "/_mock/config").at("worker_failure_rate").to_number<double>() == 1);
    CHECK(create_vm(c, "doomed", env).at("id") == 2);
    advance(c, 61);
    auto doomed = vm(c, 2);
    CHECK(statuses(doomed) == Statuses{"failed", "failed"});
    CHECK(doomed.at("ip_address").is_null());
    patch_config(c, R"({"worker_failure_rate":0})");

    // An operation fault fails the next VM only.
    auto fault = c.post("/_mock/faults", R"({"operation":"vm.create","fail_next":1})");
    REQUIRE(fault.status == 201);
    CHECK(create_vm(c, "faulted", env).at("id") == 3);
    CHECK(create_vm(c, "spared", env).at("id") == 4);
    advance(c, 61);
    CHECK(statuses(vm(c, 3)) == Statuses{"failed", "failed"});
    CHECK(statuses(vm(c, 4)) == Statuses{"running", "active"});

    // A route fault on the original's template: that route answers it, the others do not.
    auto route = c.post("/_mock/faults", R"({"route":"GET /api/v1/vms/{vm_id}","status":503})");
    REQUIRE_MESSAGE(route.status == 201, route.body);
    auto injected = c.get("/api/v1/vms/1");
    CHECK(injected.status == 503);
    CHECK(injected.json() == boost::json::parse(R"({"detail":"injected fault"})"));
    CHECK(c.get("/api/v1/vms/4").status == 503);
    CHECK(c.get("/api/v1/vms/").status == 200);
    CHECK(c.get("/api/v1/volumes/1").status == 404);
    CHECK(c.request("DELETE", "/_mock/faults").status == 204);
    CHECK(c.get("/api/v1/vms/1").status == 200);
    // ... and on a concrete path.
    REQUIRE(c.post("/_mock/faults", R"({"route":"GET /api/v1/vms/4","status":429})").status == 201);
    CHECK(c.get("/api/v1/vms/4").status == 429);
    CHECK(c.get("/api/v1/vms/1").status == 200);
  }

  TEST_CASE(
      "/api/v1/tasks/{task_id}: the task of an envelope; an unknown one is the 404 envelope") {
    Served s;
    auto c = s.connect();
    const auto env = environment(c);
    const auto envelope = create_vm(c, "web", env);
    const std::string task_id = str(envelope.at("task_id"));
    auto task = get_object(c, "/api/v1/tasks/" + task_id);
    CHECK(str(task.at("id")) == task_id);
    CHECK(str(task.at("kind")) == "vm.create");
    CHECK(task.at("resource_id") == "1");  // the VM's number, as a string
    CHECK(str(task.at("state")) != "SUCCESS");
    advance(c, 120);
    task = get_object(c, "/api/v1/tasks/" + task_id);
    CHECK(str(task.at("state")) == "SUCCESS");
    CHECK(!task.at("finished_at").is_null());

    // The deletion's task too, with the volume's.
    auto del = c.del("/api/v1/vms/1");
    REQUIRE(del.status == 200);
    const auto deletion = get_object(c, "/api/v1/tasks/" + str(del.json().at("task_id")));
    CHECK(str(deletion.at("kind")) == "vm.delete");
    CHECK(deletion.at("resource_id") == "1");
    const auto vol = create_volume(c, "data", env);
    CHECK(get_object(c, "/api/v1/tasks/" + str(vol.at("task_id"))).at("resource_id") == "1");

    const std::string unknown = "00000000-0000-4000-8000-000000000000";
    auto missing = c.get("/api/v1/tasks/" + unknown);
    check_envelope(missing, 404, "RESOURCE_NOT_FOUND", "task", unknown);
    check_envelope(c.get("/api/v1/tasks/nope"), 404, "RESOURCE_NOT_FOUND", "task");
  }

  TEST_CASE("/metrics counts the original's routes and shows its statuses") {
    Served s;
    auto c = s.connect();
    auto metrics = [&] {
      auto r = c.get("/metrics");
      REQUIRE(r.status == 200);
      CHECK(r.header("Content-Type").starts_with("text/plain"));
      return r.body;
    };
    const std::string get_200 =
        R"(mockcloud_http_requests_total{method="GET",route="/api/v1/vms/{vm_id}",status="200"})";
    const std::string get_404 =
        R"(mockcloud_http_requests_total{method="GET",route="/api/v1/vms/{vm_id}",status="404"})";
    const std::string create_200 =
        R"(mockcloud_http_requests_total{method="POST",route="/api/v1/vms",status="200"})";
    const std::string pending = R"(mockcloud_resources_by_status{kind="vm",status="pending"})";
    const std::string deleted = R"(mockcloud_resources_by_status{kind="vm",status="deleted"})";

    const auto env = environment(c);
    const auto before = metrics();
    create_vm(c, "a", env);
    create_vm(c, "b", env);
    vm(c, 1);
    CHECK(c.get("/api/v1/vms/99").status == 404);
    const auto after = metrics();
    CHECK(sample(after, create_200) == sample(before, create_200) + 2);
    CHECK(sample(after, get_200) == sample(before, get_200) + 1);
    CHECK(sample(after, get_404) == sample(before, get_404) + 1);
    CHECK(sample(after, pending) == 2);
    CHECK(sample(after, deleted) == 0);
    CHECK(
        sample(
            after,
            R"(mockcloud_http_request_duration_seconds_count{method="GET",route="/api/v1/vms/{vm_id}"})") ==
        2);

    advance(c, 120);
    REQUIRE(c.del("/api/v1/vms/2").status == 200);
    advance(c, 30);
    const auto settled = metrics();
    CHECK(sample(settled, pending) == 0);
    CHECK(sample(settled, R"(mockcloud_resources_by_status{kind="vm",status="running"})") == 1);
    CHECK(sample(settled, deleted) == 1);
    CHECK(
        sample(
            settled,
            R"(mockcloud_http_requests_total{method="DELETE",route="/api/v1/vms/{vm_id}",status="200"})") ==
        1);
  }

  TEST_CASE("limits: a body over body_limit is 413, JSON too deep is 422; nothing is created") {
    Served s(WireDialect::original, test::options(), {.body_limit = 1000});
    std::int64_t env = 0;
    {
      auto c = s.connect();
      env = environment(c);
    }
    const std::string padded = R"({"name":"big","instance_type":"t","environment_id":)" +
                               number(env) + R"(,"pad":")" + std::string(1000, 'x') + R"("})";
    {
      auto c = s.connect();
      auto big = c.post("/api/v1/vms/", padded);
      CHECK(big.status == 413);
      CHECK(str(big.json().at("detail")) == "Request body too large: the limit is 1000 bytes");
      CHECK(c.closed_by_peer());
    }
    {
      auto c = s.connect();
      auto big = c.post("/api/v1/environments/",
                        R"({"name":"e","description":")" + std::string(1000, 'd') + R"("})");
      CHECK(big.status == 413);
    }
    auto c = s.connect();
    const std::string deep = R"({"name":"deep","instance_type":"t","environment_id":)" +
                             number(env) + R"(,"x":)" + std::string(70, '[') +
                             std::string(70, ']') + "}";
    auto r = c.post("/api/v1/vms/", deep);
    CHECK(r.status == 422);
    INFO(r.body);
    const auto item = r.json().at("detail").at(0);
    CHECK(str(item.at("type")) == "json_invalid");
    CHECK(str(item.at("msg")) == "JSON decode error: nesting deeper than 64 levels");
    CHECK(c.post("/api/v1/volumes/", R"({"name":"v","size_gb":1,"environment_id":)" + number(env) +
                                         R"(,"x":)" + std::string(70, '[') + std::string(70, ']') +
                                         "}")
              .status == 422);
    CHECK(total(c, "vms") == 0);
    CHECK(total(c, "volumes") == 0);
    CHECK(total(c, "environments") == 1);
    CHECK(s.manager.counts().vms == 0);
    CHECK(s.manager.counts().tasks == 0);
  }

  TEST_CASE("FastAPI's redirects: 307 to the other spelling, the query kept, nothing created") {
    Served s;
    auto c = s.connect();
    const auto env = environment(c);
    auto slashless = c.post("/api/v1/vms", vm_body("web", env));
    CHECK(slashless.status == 307);
    CHECK(slashless.header("Location") == "/api/v1/vms/");
    CHECK(total(c, "vms") == 0);
    CHECK(s.manager.counts().vms == 0);
    // Keyed, it is not recorded either: the key is free for the real request.
    const test::Headers key{{"Idempotency-Key", "k"}};
    CHECK(c.post("/api/v1/vms", vm_body("web", env), key).status == 307);
    CHECK(c.post("/api/v1/vms/", vm_body("web", env), key).status == 200);
    CHECK(total(c, "vms") == 1);

    auto item = c.get("/api/v1/vms/1/");
    CHECK(item.status == 307);
    CHECK(item.header("Location") == "/api/v1/vms/1");
    auto list = c.get("/api/v1/vms?skip=0&limit=5");
    CHECK(list.status == 307);
    CHECK(list.header("Location") == "/api/v1/vms/?skip=0&limit=5");
    auto item_query = c.get("/api/v1/environments/1/?x=y");
    CHECK(item_query.status == 307);
    CHECK(item_query.header("Location") == "/api/v1/environments/1?x=y");
    CHECK(c.request("DELETE", "/api/v1/vms/1/").status == 307);
    CHECK(statuses(vm(c, 1)) == Statuses{"pending", "pending"});  // not deleted
    CHECK(c.request("PUT", "/api/v1/vms").status == 307);         // redirected before the 405
    CHECK(c.get("/health/").header("Location") == "/health");

    // This service's own routes answer both spellings, as in the default dialect.
    for (const char* target : {"/_mock/faults", "/_mock/faults/"}) {
      CAPTURE(target);
      CHECK(c.post(target, R"({"operation":"volume.create","fail_next":1})").status == 201);
      CHECK(c.get(target).status == 200);
      CHECK(c.request("DELETE", target).status == 204);
    }
    for (const char* target : {"/api/v1/tasks", "/api/v1/tasks/", "/_mock/config/", "/_mock/clock/",
                               "/metrics/", "/openapi.json/"}) {
      CAPTURE(target);
      CHECK(c.get(target).status == 200);
    }
    CHECK(c.post("/_mock/clock/advance/", R"({"seconds":1})").status == 200);
    CHECK(c.post("/_mock/reset/").status == 204);
    CHECK(total(c, "environments") == 0);
  }

  TEST_CASE("a volume's vm_id at creation: in_use on a running VM, failed on one not yet running") {
    Served s;
    auto c = s.connect();
    const auto env = environment(c);
    create_vm(c, "up", env);
    advance(c, 120);
    REQUIRE(statuses(vm(c, 1)) == Statuses{"running", "active"});
    CHECK(create_volume(c, "attached", env, 1).at("id") == 1);
    CHECK(volume(c, 1).at("vm_id").is_null());  // until it is created
    advance(c, 120);
    auto attached = volume(c, 1);
    CHECK(statuses(attached) == Statuses{"in_use", "active"});
    CHECK(attached.at("vm_id") == 1);

    // A VM that takes longer than the volume: still starting when the volume completes.
    patch_config(c, R"({"vm_creation_time_min":500,"vm_creation_time_max":600,
                        "volume_creation_time_min":2,"volume_creation_time_max":3})");
    CHECK(create_vm(c, "slow", env).at("id") == 2);
    CHECK(create_volume(c, "early", env, 2).at("id") == 2);
    advance(c, 10);
    CHECK(statuses(vm(c, 2)) == Statuses{"starting", "creating"});
    auto early = volume(c, 2);
    CHECK(statuses(early) == Statuses{"failed", "failed"});
    CHECK(early.at("vm_id").is_null());
    // ... and one still pending (not yet picked up by a worker) the same.
    patch_config(c, R"({"volume_creation_time_min":0,"volume_creation_time_max":0})");
    CHECK(create_vm(c, "queued", env).at("id") == 3);
    CHECK(create_volume(c, "instant", env, 3).at("id") == 3);
    advance(c, 0.05);
    CHECK(statuses(vm(c, 3)) == Statuses{"pending", "pending"});
    auto instant = volume(c, 3);
    CHECK(statuses(instant) == Statuses{"failed", "failed"});
    CHECK(instant.at("vm_id").is_null());
    advance(c, 700);
    // The VMs are unaffected, and the failed volumes stay unattached.
    CHECK(statuses(vm(c, 2)) == Statuses{"running", "active"});
    CHECK(statuses(vm(c, 3)) == Statuses{"running", "active"});
    CHECK(statuses(volume(c, 2)) == Statuses{"failed", "failed"});
    CHECK(volume(c, 3).at("vm_id").is_null());
  }

  TEST_CASE("deletes the original allows: a used security group, an environment of tombstones") {
    Served s;
    auto c = s.connect();
    const auto env = environment(c);
    auto sg = c.post("/api/v1/security-groups/", R"({"name":"web","rules":"tcp:22"})");
    REQUIRE(sg.status == 200);
    const auto sg_id = sg.json().at("id").as_int64();
    create_vm(c, "a", env, sg_id);
    advance(c, 120);
    REQUIRE(vm(c, 1).at("security_group_id") == sg_id);
    auto deleted = c.del("/api/v1/security-groups/" + number(sg_id));
    CHECK(deleted.status == 200);
    CHECK(deleted.json() ==
          boost::json::parse(R"({"message":"Security group deleted successfully"})"));
    const auto after = vm(c, 1);
    CHECK(after.at("security_group_id").is_null());
    CHECK(statuses(after) == Statuses{"running", "active"});
    check_envelope(c.get("/api/v1/security-groups/" + number(sg_id)), 404, "RESOURCE_NOT_FOUND",
                   "security_group", number(sg_id));

    // An environment whose VMs and volumes are all deleted can go.
    const auto old = environment(c, "old");
    create_vm(c, "b", old);
    create_volume(c, "v", old);
    advance(c, 120);
    REQUIRE(c.del("/api/v1/vms/2").status == 200);
    REQUIRE(c.del("/api/v1/volumes/1").status == 200);
    // While they are still deleting, it cannot.
    check_envelope(c.del("/api/v1/environments/" + number(old)), 409, "RESOURCE_CONFLICT",
                   "environment", number(old));
    advance(c, 30);
    REQUIRE(statuses(vm(c, 2)) == Statuses{"deleted", "deleted"});
    REQUIRE(statuses(volume(c, 1)) == Statuses{"deleted", "deleted"});
    auto gone = c.del("/api/v1/environments/" + number(old));
    CHECK(gone.status == 200);
    CHECK(gone.json() == boost::json::parse(R"({"message":"Environment deleted successfully"})"));
    check_envelope(c.get("/api/v1/environments/" + number(old)), 404, "RESOURCE_NOT_FOUND",
                   "environment", number(old));

    // One with a live VM cannot: 409 RESOURCE_CONFLICT, and it stays.
    auto refused = c.del("/api/v1/environments/" + number(env));
    check_envelope(refused, 409, "RESOURCE_CONFLICT", "environment", number(env));
    CHECK(get_object(c, "/api/v1/environments/" + number(env)).at("id") == env);
    // Neither with only a live volume.
    const auto third = environment(c, "third");
    create_volume(c, "w", third);
    check_envelope(c.del("/api/v1/environments/" + number(third)), 409, "RESOURCE_CONFLICT",
                   "environment", number(third));
    CHECK(statuses(vm(c, 1)) == Statuses{"running", "active"});
  }
}
