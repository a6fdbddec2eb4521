// /health and the test-control routes under /_mock.
#include <boost/json.hpp>

#include "api.hpp"
#include "fixture.hpp"

using test::str;

TEST_CASE("/health reports version, clock, time, uptime and counts") {
  test::ServerFixture f;
  auto c = f.connect();
  f.environment(c);
  auto h = c.get("/health");
  REQUIRE(h.status == 200);
  const auto j = h.json().as_object();
  CHECK(str(j.at("status")) == "healthy");
  CHECK(str(j.at("version")) == MOCKCLOUD_TEST_VERSION);
  CHECK(str(j.at("clock")) == "virtual");
  CHECK(str(j.at("now")) == "2030-01-01T00:00:00.000Z");
  CHECK(j.at("uptime_s").as_double() >= 0);
  CHECK(j.at("counts") ==
        boost::json::parse(
            R"({"environments":1,"security_groups":0,"vms":0,"volumes":0,"tasks":0})"));
}

TEST_CASE("/_mock/config reads and patches the runtime settings, all or nothing") {
  test::ServerFixture f;
  auto c = f.connect();
  auto config = c.get("/_mock/config");
  REQUIRE(config.status == 200);
  const auto j = config.json().as_object();
  CHECK(j.at("vm_creation_time_min").to_number<double>() == 30);
  CHECK(j.at("worker_failure_rate").to_number<double>() == 0);  // the fixture's
  CHECK(j.size() == 10);

  auto patched = c.patch("/_mock/config", R"({"vm_creation_time_min":1,"vm_creation_time_max":2.5,
                                             "unknown":true})");
  REQUIRE(patched.status == 200);
  CHECK(patched.json().at("vm_creation_time_max").to_number<double>() == 2.5);
  CHECK(c.get("/_mock/config").json() == patched.json());

  auto above = c.patch("/_mock/config", R"({"vm_creation_time_min":10})");  // above max 2.5
  CHECK(above.status == 422);
  CHECK(above.json().at("detail").at(0).at("loc").at(0) == "body");
  auto typed = c.patch("/_mock/config", R"({"time_scale":"fast","worker_failure_rate":2})");
  CHECK(typed.status == 422);
  CHECK(
      typed.json().at("detail").at(0) ==
      boost::json::parse(
          R"({"type":"float_type","loc":["body","time_scale"],"msg":"Input should be a valid number"})"));
  CHECK(c.get("/_mock/config").json() == patched.json());  // nothing changed

  // A VM now takes 1..2.5 s.
  const auto env = f.environment(c);
  REQUIRE(c.post("/api/v1/vms", R"({"name":"a","environment_id":")" + env + R"("})").status == 202);
  CHECK(c.post("/_mock/clock/advance", R"({"seconds":2.5})").json().at("fired") == 1);

  // Reset restores the start-up settings.
  REQUIRE(c.post("/_mock/reset/", "").status == 204);
  CHECK(c.get("/_mock/config").json() == config.json());
}

TEST_CASE("/_mock/clock and /_mock/clock/advance") {
  test::ServerFixture f;
  auto c = f.connect();
  CHECK(c.get("/_mock/clock").json() ==
        boost::json::parse(R"({"mode":"virtual","now":"2030-01-01T00:00:00.000Z"})"));
  auto r = c.post("/_mock/clock/advance", R"({"seconds":1.5})");
  CHECK(r.json() == boost::json::parse(R"({"now":"2030-01-01T00:00:01.500Z","fired":0})"));
  CHECK(c.post("/_mock/clock/advance", R"({"seconds":-1})").status == 422);
  CHECK(c.post("/_mock/clock/advance", R"({"seconds":"1"})").status == 422);
  auto missing = c.post("/_mock/clock/advance", "{}");
  CHECK(missing.status == 422);
  CHECK(missing.json().at("detail").at(0).at("loc") == boost::json::parse(R"(["body","seconds"])"));
}

TEST_CASE("/_mock/clock/advance is a 409 on the system clock") {
  mockcloud::SystemClock clock;
  mockcloud::ResourceManager manager({.seed = 1}, clock);
  mockcloud::http::Server server(manager, {.host = "127.0.0.1", .port = 0, .threads = 1});
  server.start();
  test::Client c(server.port());
  CHECK(str(c.get("/_mock/clock").json().at("mode")) == "system");
  CHECK(c.post("/_mock/clock/advance", R"({"seconds":1})").status == 409);
  CHECK(str(c.get("/health").json().at("clock")) == "system");
}

TEST_CASE("/_mock/reset with a seed gives the same ids again") {
  test::ServerFixture f;
  auto c = f.connect();
  REQUIRE(c.post("/_mock/reset", R"({"seed":7})").status == 204);
  const auto first = f.environment(c);
  REQUIRE(c.post("/_mock/reset", R"({"seed":7})").status == 204);
  CHECK(c.get("/api/v1/environments").header("X-Total-Count") == "0");
  CHECK(f.environment(c) == first);
  REQUIRE(c.post("/_mock/reset", R"({"seed":8})").status == 204);
  CHECK(f.environment(c) != first);
  CHECK(c.post("/_mock/reset", R"({"seed":"x"})").status == 422);
  CHECK(c.post("/_mock/reset", R"({"seed":-1})").status == 422);
  CHECK(f.manager.seed() == 8);
}

TEST_CASE("/_mock/faults: operation faults fail the next operations") {
  test::ServerFixture f;
  auto c = f.connect();
  const auto env = f.environment(c);
  auto fault = c.post("/_mock/faults", R"({"operation":"vm.create","fail_next":1})");
  REQUIRE(fault.status == 201);
  CHECK(str(fault.json().at("operation")) == "vm.create");
  CHECK(fault.json().at("fail_next") == 1);
  CHECK(c.get("/_mock/faults").json().as_array().size() == 1);

  const auto a = str(
      c.post("/api/v1/vms", R"({"name":"a","environment_id":")" + env + R"("})").json().at("id"));
  const auto b = str(
      c.post("/api/v1/vms", R"({"name":"b","environment_id":")" + env + R"("})").json().at("id"));
  REQUIRE(c.post("/_mock/clock/advance", R"({"seconds":60})").status == 200);
  auto failed = c.get("/api/v1/vms/" + a).json();
  CHECK(str(failed.at("status")) == "error");
  CHECK(failed.at("error").is_string());
  CHECK(failed.at("ip_address").is_null());
  CHECK(str(c.get("/api/v1/vms/" + b).json().at("status")) == "running");

  CHECK(c.post("/_mock/faults", R"({"operation":"vm.create","fail_next":"two"})").status == 422);
  CHECK(c.del("/_mock/faults/nope").status == 404);
}

TEST_CASE("--control-token: every /_mock route needs the bearer token; nothing else does") {
  mockcloud::VirtualClock clock;
  mockcloud::ResourceManager manager(test::options(), clock);
  mockcloud::http::Api api(manager);
  api.set_control_token("s3cret-token");
  auto call = [&](std::string_view method, std::string_view target,
                  std::string_view authorization = {}) {
    mockcloud::http::Request r;
    r.method = method;
    r.target = target;
    r.authorization = authorization;
    return api.handle(r);
  };
  int mock_routes = 0;
  for (const auto& route : api.router().routes()) {
    if (!route.path.starts_with("/_mock")) continue;
    ++mock_routes;
    std::string target(route.path);
    if (auto open = target.find('{'); open != std::string::npos)
      target.replace(open, target.find('}') - open + 1, "x");
    CAPTURE(target);
    for (std::string_view wrong : {"", "Bearer", "Bearer s3cret", "Bearer s3cret-token-and-more",
                                   "Basic czNjcmV0LXRva2Vu", "s3cret-token"}) {
      CAPTURE(wrong);
      auto r = call(route.method, target, wrong);
      CHECK(r.status == 401);
      CHECK(r.challenge == R"(Bearer realm="mockcloud test control")");
      CHECK(r.body.find("control token") != std::string::npos);
    }
    for (std::string_view right : {"Bearer s3cret-token", "bearer s3cret-token "}) {
      auto r = call(route.method, target, right);
      CHECK(r.status != 401);
    }
  }
  CHECK(mock_routes >= 9);
  CHECK(call("POST", "/_mock/reset").status == 401);
  CHECK(call("GET", "/api/v1/vms").status == 200);
  CHECK(call("GET", "/health").status == 200);

  // The document says so: a bearer scheme, and a 401 on exactly the /_mock operations.
  const auto doc = boost::json::parse(api.openapi_document()).as_object();
  CHECK(doc.at("components").at("securitySchemes").at("control_token").at("scheme") == "bearer");
  for (const auto& [path, operations] : doc.at("paths").as_object()) {
    for (const auto& [method, op] : operations.as_object()) {
      CAPTURE(path);
      const bool control = path.starts_with("/_mock");
      CHECK(op.as_object().contains("security") == control);
      CHECK(op.at("responses").as_object().contains("401") == control);
    }
  }
  mockcloud::http::Api open(manager);
  CHECK_FALSE(boost::json::parse(open.openapi_document())
                  .at("components")
                  .as_object()
                  .contains("securitySchemes"));
}
