// HTTP behaviour: routing errors, headers, body limits, keep-alive, malformed input, timeouts.
#include <thread>

#include "fixture.hpp"

using test::str;
using namespace std::chrono_literals;

TEST_CASE("unknown routes are 404 Not Found, wrong methods 405 with Allow") {
  test::ServerFixture f;
  auto c = f.connect();
  auto unknown = c.get("/api/v1/nothing");
  CHECK(unknown.status == 404);
  CHECK(unknown.json() == boost::json::parse(R"({"detail":"Not Found"})"));
  CHECK(c.get("/").status == 404);
  CHECK(c.get("/api/v1/vms//").status == 404);

  auto wrong = c.request("PUT", "/api/v1/vms/", "{}");
  CHECK(wrong.status == 405);
  CHECK(wrong.json() == boost::json::parse(R"({"detail":"Method Not Allowed"})"));
  CHECK(wrong.header("Allow") == "POST, GET");
  auto one = c.request("PATCH", "/api/v1/vms/abc", "{}");
  CHECK(one.status == 405);
  CHECK(one.header("Allow") == "GET, DELETE");
  CHECK(c.post("/api/v1/volumes/x/detach/").status == 404);  // the route exists, the id not
  CHECK(c.get("/api/v1/volumes/x/detach").header("Allow") == "POST");
  CHECK(c.del("/_mock/config").header("Allow") == "GET, PATCH");
}

TEST_CASE("every route answers with and without a trailing slash, without redirects") {
  test::ServerFixture f;
  auto c = f.connect();
  for (const char* path :
       {"/health", "/_mock/config", "/_mock/clock", "/_mock/faults", "/api/v1/environments",
        "/api/v1/security-groups", "/api/v1/vms", "/api/v1/volumes", "/api/v1/tasks"}) {
    CAPTURE(path);
    CHECK(c.get(path).status == 200);
    CHECK(c.get(std::string(path) + "/").status == 200);
  }
}

TEST_CASE("X-Request-Id is echoed, or generated") {
  test::ServerFixture f;
  auto c = f.connect();
  CHECK(c.get("/health", {{"X-Request-Id", "abc-123"}}).header("X-Request-Id") == "abc-123");
  CHECK(c.get("/nope", {{"x-request-id", "r2"}}).header("X-Request-Id") == "r2");
  const auto a = c.get("/health").header("X-Request-Id");
  const auto b = c.get("/health").header("X-Request-Id");
  CHECK(a.size() == 36);
  CHECK(a != b);
}

TEST_CASE("bodies that are not JSON objects are 422") {
  test::ServerFixture f;
  auto c = f.connect();
  auto broken = c.post("/api/v1/environments", R"({"name": )");
  REQUIRE(broken.status == 422);
  const auto e = broken.json().at("detail").at(0);
  CHECK(str(e.at("type")) == "json_invalid");
  CHECK(e.at("loc").at(0) == "body");

  auto utf8 = c.post("/api/v1/environments", "{\"name\":\"\xff\"}");
  CHECK(utf8.status == 422);
  CHECK(str(utf8.json().at("detail").at(0).at("type")) == "json_invalid");

  auto empty = c.post("/api/v1/environments", "");
  CHECK(empty.status == 422);
  CHECK(empty.json() ==
        boost::json::parse(
            R"({"detail":[{"type":"missing","loc":["body"],"msg":"Field required"}]})"));
  auto array = c.post("/api/v1/environments", "[1]");
  CHECK(array.status == 422);
  CHECK(str(array.json().at("detail").at(0).at("type")) == "model_attributes_type");
}

// FastAPI reads a body as JSON only without a Content-Type or with application/json or
// application/*+json; any other media type leaves raw bytes, which are not an object: 422
// model_attributes_type at ["body"], and nothing is created or changed.
TEST_CASE("a JSON body sent as another media type is 422 and changes nothing") {
  test::ServerFixture f;
  auto c = f.connect();
  const auto env = f.environment(c);
  const auto vm_body = R"({"name":"web","environment_id":")" + env + R"("})";
  const auto volume_body = R"({"name":"data","environment_id":")" + env + R"("})";
  const auto sg_body = R"({"name":"web","environment_id":")" + env + R"("})";
  struct Call {
    const char* method;
    const char* target;
    std::string body;
  };
  const Call calls[] = {
      {"POST", "/api/v1/environments", R"({"name":"other"})"},
      {"POST", "/api/v1/security-groups", sg_body},
      {"POST", "/api/v1/vms", vm_body},
      {"POST", "/api/v1/volumes", volume_body},
      {"POST", "/_mock/faults", R"({"operation":"vm.create","fail_next":1})"},
      {"PATCH", "/_mock/config", R"({"vm_creation_time_min":1,"vm_creation_time_max":2})"},
      {"POST", "/_mock/clock/advance", R"({"seconds":5})"},
      {"POST", "/_mock/reset", R"({"seed":7})"},
  };
  const auto expected = boost::json::parse(
      R"({"detail":[{"type":"model_attributes_type","loc":["body"],)"
      R"("msg":"Input should be a valid dictionary or object to extract fields from"}]})");
  const auto health_counts = [&] { return c.get("/health").json().at("counts"); };
  const auto counts = health_counts();
  const auto config = c.get("/_mock/config").json();
  const auto clock = c.get("/_mock/clock").json();
  for (const char* media :
       {"text/plain", "text/plain; charset=utf-8", "application/x-www-form-urlencoded",
        "application/xml", "multipart/form-data; boundary=xyz", "application/jsonx", "json"}) {
    for (const auto& call : calls) {
      CAPTURE(media);
      CAPTURE(call.target);
      auto r = c.request(call.method, call.target, call.body, {{"Content-Type", media}});
      CHECK(r.status == 422);
      CHECK(r.json() == expected);
    }
  }
  CHECK(health_counts() == counts);  // no environment, group, VM, volume or task
  CHECK(counts.at("environments") == 1);
  CHECK(c.get("/_mock/faults").json() == boost::json::array{});
  CHECK(c.get("/_mock/config").json() == config);
  CHECK(c.get("/_mock/clock").json() == clock);  // neither advanced nor reset
}

TEST_CASE("a JSON body is read without a Content-Type or as application/json or */*+json") {
  test::ServerFixture f;
  auto c = f.connect();
  int n = 0;
  for (const char* media :
       {"", "application/json", "application/json; charset=utf-8", "Application/JSON",
        "application/vnd.api+json", "application/merge-patch+json ; charset=UTF-8"}) {
    CAPTURE(media);
    const auto body = R"({"name":"e)" + std::to_string(n++) + R"("})";
    CHECK(c.post("/api/v1/environments", body, {{"Content-Type", media}}).status == 201);
  }
  CHECK(c.get("/health").json().at("counts").at("environments") == n);
  // An empty body is `missing` whatever its media type, as in FastAPI.
  auto empty = c.post("/api/v1/environments", "", {{"Content-Type", "text/plain"}});
  CHECK(empty.status == 422);
  CHECK(str(empty.json().at("detail").at(0).at("type")) == "missing");
  CHECK(c.post("/_mock/reset", "", {{"Content-Type", "text/plain"}}).status == 204);
}

TEST_CASE("a body of exactly 1 MiB is accepted, one byte more is 413") {
  test::ServerFixture f;
  const std::size_t limit = 1024 * 1024;
  auto body_of = [](std::size_t size) {
    std::string head = R"({"name":"big","pad":")";
    std::string body = head + std::string(size - head.size() - 2, 'a') + "\"}";
    return body;
  };
  {
    auto c = f.connect();
    const auto body = body_of(limit);
    REQUIRE(body.size() == limit);
    CHECK(c.post("/api/v1/environments", body).status == 201);
    CHECK(c.get("/health").status == 200);  // the connection is still usable
  }
  {
    auto c = f.connect();
    auto r = c.post("/api/v1/environments", body_of(limit + 1));
    CHECK(r.status == 413);
    CHECK(r.json().at("detail").is_string());
    CHECK(r.header("Connection") == "close");
    CHECK(c.closed_by_peer());
  }
  {
    // Chunked bodies count the same; the server answers without waiting for the last chunk.
    auto c = f.connect();
    c.send_raw(
        "POST /api/v1/environments HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
        "Content-Type: application/json\r\n\r\n");
    const std::string chunk(64 * 1024, ' ');
    char size_line[32];
    std::snprintf(size_line, sizeof size_line, "%zx\r\n", chunk.size());
    for (int i = 0; i < 17; ++i)
      c.send_raw(size_line + chunk + "\r\n");  // 1 MiB + 64 KiB
    auto r = c.read_response();
    CHECK(r.status == 413);
    CHECK(c.closed_by_peer());
  }
  CHECK(f.manager.counts().environments == 1);
}

TEST_CASE("keep-alive: many requests, pipelined ones too, on one connection") {
  test::ServerFixture f;
  auto c = f.connect();
  for (int i = 0; i < 20; ++i)
    REQUIRE(c.get("/health").status == 200);
  c.send_raw(test::Client::format("GET", "/api/v1/vms") +
             test::Client::format("POST", "/api/v1/environments", R"({"name":"p"})") +
             test::Client::format("GET", "/api/v1/environments?name=p"));
  CHECK(c.read_response().status == 200);
  CHECK(c.read_response().status == 201);
  CHECK(c.read_response().header("X-Total-Count") == "1");

  auto closing = c.get("/health", {{"Connection", "close"}});
  CHECK(closing.status == 200);
  CHECK(closing.header("Connection") == "close");
  CHECK(c.closed_by_peer());
}

TEST_CASE("a malformed request gets 400 and the connection closes") {
  test::ServerFixture f;
  auto c = f.connect();
  CHECK(c.get("/health").status == 200);
  c.send_raw("THIS IS NOT HTTP\r\n\r\n");
  auto r = c.read_response();
  CHECK(r.status == 400);
  CHECK(r.json().at("detail").is_string());
  CHECK(c.closed_by_peer());

  auto c2 = f.connect();
  c2.send_raw("GET /health HTTP/1.1\r\nContent-Length: nope\r\n\r\n");
  CHECK(c2.read_response().status == 400);
  CHECK(c2.closed_by_peer());
}

TEST_CASE("idle and slow clients are disconnected") {
  test::ServerFixture f{200ms};
  auto idle = f.connect();
  CHECK(idle.get("/health").status == 200);
  auto slow = f.connect();
  slow.send_raw("GET /health HTTP/1.1\r\nHo");  // never finishes
  const auto start = std::chrono::steady_clock::now();
  CHECK(idle.closed_by_peer());
  CHECK(slow.closed_by_peer());
  CHECK(std::chrono::steady_clock::now() - start < 2s);
}

TEST_CASE("Idempotency-Key replays the first response and rejects a different body") {
  test::ServerFixture f;
  auto c = f.connect();
  const auto env = f.environment(c);
  const std::string body = R"({"name":"web","environment_id":")" + env + R"("})";
  const test::Headers key{{"Idempotency-Key", "k1"}};

  auto first = c.post("/api/v1/vms", body, key);
  REQUIRE(first.status == 202);
  auto again = c.post("/api/v1/vms/", body, key);
  CHECK(again.status == 202);
  CHECK(again.body == first.body);
  CHECK(again.header("Location") == first.header("Location"));
  CHECK(c.get("/api/v1/vms").header("X-Total-Count") == "1");

  auto other = c.post("/api/v1/vms", R"({"name":"other","environment_id":")" + env + R"("})", key);
  CHECK(other.status == 409);
  CHECK(c.get("/api/v1/vms").header("X-Total-Count") == "1");

  // Errors are not remembered; a new key creates.
  auto dup = c.post("/api/v1/vms", body, {{"Idempotency-Key", "k2"}});
  CHECK(dup.status == 409);  // the name is taken
  // After 24 h (of the manager's clock) the key is forgotten.
  REQUIRE(c.post("/_mock/clock/advance", R"({"seconds":86401})").status == 200);
  CHECK(c.post("/api/v1/vms", body, key).status == 409);  // tried again: duplicate name

  // The cache is cleared by /_mock/reset.
  REQUIRE(c.post("/_mock/reset").status == 204);
  const auto env2 = f.environment(c, "prod");
  const std::string body2 = R"({"name":"web","environment_id":")" + env2 + R"("})";
  auto fresh = c.post("/api/v1/vms", body2, key);
  CHECK(fresh.status == 202);
  CHECK(str(fresh.json().at("environment_id")) == env2);
}

TEST_CASE("injected route faults and latency") {
  test::ServerFixture f;
  auto c = f.connect();
  auto fault = c.post("/_mock/faults", R"({"route":"POST /api/v1/environments","status":503})");
  REQUIRE(fault.status == 201);
  const auto id = str(fault.json().at("id"));
  auto injected = c.post("/api/v1/environments/", R"({"name":"dev"})");
  CHECK(injected.status == 503);
  CHECK(injected.json() == boost::json::parse(R"({"detail":"injected fault"})"));
  CHECK(f.manager.counts().environments == 0);
  CHECK(c.get("/api/v1/environments").status == 200);  // other routes unaffected
  CHECK(c.del("/_mock/faults/" + id).status == 204);
  CHECK(c.post("/api/v1/environments", R"({"name":"dev"})").status == 201);

  REQUIRE(c.post("/_mock/faults", R"({"latency_ms":150})").status == 201);
  auto start = std::chrono::steady_clock::now();
  CHECK(c.get("/api/v1/vms").status == 200);
  CHECK(std::chrono::steady_clock::now() - start >= 150ms);
  start = std::chrono::steady_clock::now();
  CHECK(c.get("/health").status == 200);  // only /api/v1 is delayed
  CHECK(std::chrono::steady_clock::now() - start < 150ms);
  CHECK(c.del("/_mock/faults").status == 204);
  CHECK(c.get("/_mock/faults").json().as_array().empty());
}

TEST_CASE("several I/O threads serve concurrent clients") {
  test::ServerFixture f{30s, 2};
  const auto env = [&] {
    auto c = f.connect();
    return f.environment(c);
  }();
  std::vector<std::thread> clients;
  std::atomic<int> created{0};
  for (int t = 0; t < 4; ++t) {
    clients.emplace_back([&, t] {
      test::Client c(f.server.port());
      for (int i = 0; i < 25; ++i) {
        auto r =
            c.post("/api/v1/vms", R"({"name":"vm-)" + std::to_string(t) + "-" + std::to_string(i) +
                                      R"(","environment_id":")" + env + R"("})");
        if (r.status == 202) ++created;
      }
    });
  }
  for (auto& t : clients)
    t.join();
  CHECK(created == 100);
  auto c = f.connect();
  CHECK(c.get("/api/v1/vms?limit=1").header("X-Total-Count") == "100");
  CHECK(c.get("/_mock/invariants").json().at("ok") == true);
}

TEST_CASE("stop() lets an in-flight request finish") {
  test::ServerFixture f;
  auto c = f.connect();
  REQUIRE(c.post("/_mock/faults", R"({"latency_ms":300})").status == 201);
  c.send_raw(test::Client::format("GET", "/api/v1/vms"));
  std::this_thread::sleep_for(50ms);  // the request is being delayed now
  std::thread stopper([&] { f.server.stop(); });
  auto r = c.read_response();
  stopper.join();
  CHECK(r.status == 200);
  CHECK(c.closed_by_peer());
}
