// The plain Request -> Response function and its route table, without sockets.
#include <doctest/doctest.h>

#include <boost/json.hpp>
#include <set>
#include <stdexcept>

#include "api.hpp"
#include "handlers.hpp"
#include "mockcloud/clock.hpp"
#include "test_options.hpp"

using mockcloud::http::Api;
using mockcloud::http::Request;

TEST_CASE("anything unexpected is a 500 with FastAPI's body, never an exception") {
  mockcloud::VirtualClock clock;
  mockcloud::ResourceManager manager(test::options(), clock);
  Api api(manager);
  api.router().add({"GET", "/boom/{id}", "boom", "test", "throws",
                    [](Api&, const mockcloud::http::Call&, mockcloud::http::Response&) {
                      throw std::runtime_error("boom");
                    }});
  auto r = api.handle(Request{.method = "GET", .target = "/boom/1", .request_id = "rid"});
  CHECK(r.status == 500);
  CHECK(r.body == R"({"detail":"Internal Server Error"})");
  CHECK(r.request_id == "rid");
}

TEST_CASE("the route table: unique operations, every route tagged and summarized") {
  mockcloud::VirtualClock clock;
  mockcloud::ResourceManager manager(test::options(), clock);
  Api api(manager);
  std::set<std::string_view> operations, routes;
  for (const auto& route : api.router().routes()) {
    CAPTURE(route.path);
    CHECK(operations.insert(route.operation).second);
    routes.insert(route.path);
    CHECK(!route.tag.empty());
    CHECK(!route.summary.empty());
  }
  CHECK(routes.size() == 29);  // distinct paths
  CHECK(api.router().routes().size() == 40);
}

TEST_CASE("route faults may name the template of a path") {
  mockcloud::VirtualClock clock;
  mockcloud::ResourceManager manager(test::options(), clock);
  Api api(manager);
  auto added = api.handle(Request{.method = "POST",
                                  .target = "/_mock/faults",
                                  .body = R"({"route":"GET /api/v1/vms/{id}","status":429})"});
  REQUIRE(added.status == 201);
  CHECK(api.handle(Request{.method = "GET", .target = "/api/v1/vms/abc"}).status == 429);
  CHECK(api.handle(Request{.method = "GET", .target = "/api/v1/vms"}).status == 200);
}

TEST_CASE("a keyed create is replayed through handle() too") {
  mockcloud::VirtualClock clock;
  mockcloud::ResourceManager manager(test::options(), clock);
  Api api(manager);
  const Request create{.method = "POST",
                       .target = "/api/v1/environments",
                       .idempotency_key = "k",
                       .body = R"({"name":"dev"})"};
  auto first = api.handle(create);
  REQUIRE(first.status == 201);
  auto second = api.handle(create);
  CHECK(second.status == 201);
  CHECK(second.body == first.body);
  CHECK(manager.counts().environments == 1);
}

TEST_CASE("library error kinds map to statuses: cancelled is a 409 with its message") {
  using mockcloud::Error;
  using mockcloud::ErrorKind;
  auto status_of = [](const Error& e) {
    mockcloud::http::Response r;
    mockcloud::http::respond_error(r, e);
    return std::pair{r.status, boost::json::parse(r.body)};
  };
  CHECK(status_of(Error::not_found("gone")).first == 404);
  CHECK(status_of(Error::conflict("busy")).first == 409);
  const auto [status, body] =
      status_of(Error::cancelled("cancelled: the ResourceManager was reset"));
  CHECK(status == 409);
  CHECK(body == boost::json::parse(R"({"detail":"cancelled: the ResourceManager was reset"})"));
  CHECK(status_of(Error{ErrorKind::not_settled, "later", {}}).first == 500);
}
