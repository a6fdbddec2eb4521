// CORS (docs/http-api.md "CORS"): the headers of an allowed Origin on every route, preflights,
// and --cors-origins none or a list, over real sockets.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "fixture.hpp"

using test::Client;
using test::Headers;
using test::HttpResponse;

namespace {

struct CorsServer {
  explicit CorsServer(std::vector<std::string> origins = {"*"})
      : manager(test::deterministic_options(), clock),
        server(manager,
               {.host = "127.0.0.1", .port = 0, .threads = 1, .cors_origins = std::move(origins)}) {
    server.start();
  }
  Client connect() { return Client(server.port()); }

  mockcloud::VirtualClock clock;
  mockcloud::ResourceManager manager;
  mockcloud::http::Server server;
};

const std::string app = "http://localhost:3000";

HttpResponse preflight(Client& c, std::string_view target, std::string_view origin,
                       std::string_view method = "POST", std::string_view headers = {}) {
  Headers h{{"Origin", std::string(origin)},
            {"Access-Control-Request-Method", std::string(method)}};
  if (!headers.empty()) h.emplace_back("Access-Control-Request-Headers", std::string(headers));
  return c.request("OPTIONS", target, {}, h);
}

void check_cors(const HttpResponse& r, const std::string& origin) {
  CHECK(r.header("Access-Control-Allow-Origin") == origin);
  CHECK(r.header("Access-Control-Allow-Credentials") == "true");
  CHECK(r.header("Vary") == "Origin");
  CHECK(r.header("Access-Control-Expose-Headers") == "Location, X-Request-Id, X-Total-Count");
  CHECK(!r.has_header("Access-Control-Allow-Methods"));
}

void check_no_cors(const HttpResponse& r) {
  for (const char* name : {"Access-Control-Allow-Origin", "Access-Control-Allow-Credentials",
                           "Vary", "Access-Control-Expose-Headers", "Access-Control-Allow-Methods",
                           "Access-Control-Allow-Headers", "Access-Control-Max-Age"}) {
    CAPTURE(name);
    CHECK(!r.has_header(name));
  }
}

}  // namespace

TEST_CASE("CORS: without Origin a response has no CORS headers") {
  CorsServer s;
  auto c = s.connect();
  for (const char* target : {"/health", "/api/v1/vms", "/nope"}) {
    CAPTURE(target);
    check_no_cors(c.get(target));
  }
  auto r = c.request("OPTIONS", "/api/v1/vms");  // no Origin: 405 as before
  CHECK(r.status == 405);
  CHECK(r.header("Allow") == "POST, GET");
  check_no_cors(r);
}

TEST_CASE("CORS: by default every origin is echoed on every route and status") {
  CorsServer s;
  auto c = s.connect();
  for (const std::string& origin : {app, std::string("https://app.example"), std::string("null")}) {
    CAPTURE(origin);
    const Headers h{{"Origin", origin}};
    for (const char* target : {"/health", "/openapi.json", "/metrics", "/_mock/config",
                               "/api/v1/vms?limit=1", "/api/v1/vms/nope", "/nope"}) {
      CAPTURE(target);
      auto r = c.get(target, h);
      CHECK(r.status != 0);
      check_cors(r, origin);
    }
    auto created =
        c.post("/api/v1/environments",
               R"({"name":"e)" + std::to_string(origin.size()) + R"(","cidr":"10.0.0.0/16"})", h);
    CHECK(created.status == 201);
    check_cors(created, origin);
    auto not_allowed = c.request("PUT", "/api/v1/vms", {}, h);
    CHECK(not_allowed.status == 405);
    check_cors(not_allowed, origin);
  }
}

TEST_CASE("CORS: an injected route fault still carries the CORS headers; a preflight skips it") {
  CorsServer s;
  auto c = s.connect();
  REQUIRE(c.post("/_mock/faults", R"({"route":"POST /api/v1/environments","status":503})").status ==
          201);
  auto r =
      c.post("/api/v1/environments", R"({"name":"dev","cidr":"10.0.0.0/16"})", {{"Origin", app}});
  CHECK(r.status == 503);
  check_cors(r, app);
  CHECK(preflight(c, "/api/v1/environments", app).status == 200);
}

TEST_CASE("CORS: a preflight on a known path is a 200 with its methods, no body") {
  CorsServer s;
  auto c = s.connect();
  auto r = preflight(c, "/api/v1/environments", app, "POST", "content-type,idempotency-key");
  CHECK(r.status == 200);
  CHECK(r.body.empty());
  CHECK(r.header("Content-Length") == "0");
  CHECK(!r.has_header("Content-Type"));
  CHECK(r.header("Access-Control-Allow-Origin") == app);
  CHECK(r.header("Access-Control-Allow-Credentials") == "true");
  CHECK(r.header("Vary") == "Origin");
  CHECK(r.header("Access-Control-Allow-Methods") == "POST, GET");
  CHECK(r.header("Access-Control-Allow-Headers") == "content-type,idempotency-key");
  CHECK(r.header("Access-Control-Max-Age") == "600");
  CHECK(!r.has_header("Access-Control-Expose-Headers"));
  CHECK(!r.header("X-Request-Id").empty());

  // Without requested headers: the ones a client of this API sends. A parameter path, a
  // trailing slash and a query are the same route.
  r = preflight(c, "/api/v1/vms/3f2c5a4e-0000-4000-8000-000000000000/?x=1", app, "DELETE");
  CHECK(r.status == 200);
  CHECK(r.header("Access-Control-Allow-Methods") == "GET, DELETE");
  CHECK(r.header("Access-Control-Allow-Headers") ==
        "Content-Type, Idempotency-Key, X-Request-Id, Authorization");
  CHECK(preflight(c, "/_mock/config", app, "PATCH").header("Access-Control-Allow-Methods") ==
        "GET, PATCH");

  // The preflight changed nothing, and the connection goes on.
  auto list = c.get("/api/v1/environments");
  CHECK(list.status == 200);
  CHECK(list.header("X-Total-Count") == "0");
}

TEST_CASE("CORS: a preflight on an unknown path is a 404; OPTIONS without a preflight a 405") {
  CorsServer s;
  auto c = s.connect();
  CHECK(preflight(c, "/api/v1/nope", app).status == 404);
  CHECK(preflight(c, "/", app).status == 404);
  auto r = c.request("OPTIONS", "/api/v1/vms", {}, {{"Origin", app}});  // no request method
  CHECK(r.status == 405);
  CHECK(r.header("Allow") == "POST, GET");
}

TEST_CASE("CORS: --cors-origins as a list allows those origins only") {
  CorsServer s({app, "https://app.example"});
  auto c = s.connect();
  check_cors(c.get("/health", {{"Origin", app}}), app);
  check_cors(c.get("/health", {{"Origin", "https://app.example"}}), "https://app.example");
  for (const char* other : {"http://localhost:3001", "http://evil.example", "null"}) {
    CAPTURE(other);
    auto r = c.get("/health", {{"Origin", other}});
    CHECK(r.status == 200);
    check_no_cors(r);
    auto p = preflight(c, "/api/v1/environments", other);
    CHECK(p.status == 400);
    CHECK(p.body == "Disallowed CORS origin");
    CHECK(p.header("Content-Type").starts_with("text/plain"));
    check_no_cors(p);
  }
  auto p = preflight(c, "/api/v1/environments", "https://app.example");
  CHECK(p.status == 200);
  CHECK(p.header("Access-Control-Allow-Origin") == "https://app.example");
  CHECK(preflight(c, "/nope", "http://evil.example").status == 404);
}

TEST_CASE("CORS: --cors-origins none sends no CORS headers and OPTIONS stays a 405") {
  CorsServer s(std::vector<std::string>{});
  auto c = s.connect();
  auto r = c.get("/health", {{"Origin", app}});
  CHECK(r.status == 200);
  check_no_cors(r);
  auto p = preflight(c, "/api/v1/environments", app, "POST", "content-type");
  CHECK(p.status == 405);
  CHECK(p.header("Allow") == "POST, GET");
  check_no_cors(p);
}
