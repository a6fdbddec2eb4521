// The self-describing service in-process: the OpenAPI document and the route table the router
// dispatches on hold the same routes; /metrics counts requests; /docs without its assets says
// what is missing.
#include <doctest/doctest.h>

#include <boost/json.hpp>
#include <set>
#include <string>

#include "api.hpp"
#include "mockcloud/clock.hpp"
#include "service.hpp"
#include "test_options.hpp"

using mockcloud::http::Api;
using mockcloud::http::Request;
namespace json = boost::json;

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// The route table's spelling of a document path: without its trailing slash (collections).
std::string_view table_path(std::string_view path) {
  if (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
  return path;
}

// Whether the route table has an item right below `path` (`path` + "/{id}"): a collection.
bool has_items(const mockcloud::http::Router& router, std::string_view path) {
  for (const auto& route : router.routes()) {
    const std::string_view p = route.path;
    if (p.starts_with(path) && p.size() > path.size() + 2 && p.substr(path.size(), 2) == "/{" &&
        p.back() == '}' && p.find('/', path.size() + 1) == std::string_view::npos)
      return true;
  }
  return false;
}

// A concrete path for a template: every {parameter} replaced by "x".
std::string concrete(std::string_view path) {
  std::string out;
  for (std::size_t i = 0; i < path.size(); ++i) {
    if (path[i] == '{') {
      out += 'x';
      i = path.find('}', i);
    } else {
      out += path[i];
    }
  }
  return out;
}

// The value of one sample of /metrics, 0 when absent.
double sample(const std::string& text, const std::string& series) {
  const auto at = text.find("\n" + series + " ");
  if (at == std::string::npos) return 0;
  return std::stod(text.substr(at + series.size() + 2));
}

struct Fixture {
  mockcloud::VirtualClock clock;
  mockcloud::ResourceManager manager{test::options(), clock};
  Api api{manager};
};

}  // namespace

TEST_CASE("the OpenAPI document and the route table hold the same routes") {
  Fixture f;
  const auto doc = json::parse(f.api.openapi_document()).as_object();
  CHECK(doc.at("openapi") == "3.1.0");
  const auto& paths = doc.at("paths").as_object();

  std::size_t operations = 0;
  for (const auto& [path, item] : paths) {
    for (const auto& [method, op] : item.as_object()) {
      CAPTURE(path);
      CAPTURE(method);
      ++operations;
      // Each documented operation is one the router dispatches to.
      std::string upper(method);
      for (auto& c : upper)
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      // As the server dispatches a request of the document's spelling: trailing slash dropped.
      const std::string target = concrete(path);
      std::string_view query;
      auto match = f.api.router().match(upper, mockcloud::http::Router::normalize(target, query));
      REQUIRE(match.outcome == mockcloud::http::Router::Outcome::found);
      CHECK(match.route->path == table_path(path));
      CHECK(match.route->operation == op.at("operationId").as_string());
    }
  }
  for (const auto& route : f.api.router().routes()) {
    CAPTURE(route.path);
    CAPTURE(route.method);
    // Each route of the table is documented, with the statuses it answers.
    CHECK(!route.doc.replies.empty());
    // Spelt with the trailing slash if it is a collection, as clients send it, else as is.
    const bool collection = has_items(f.api.router(), route.path);
    const std::string documented = std::string(route.path) + (collection ? "/" : "");
    const auto* item = paths.if_contains(documented);
    REQUIRE(item != nullptr);
    const std::string other = std::string(route.path) + (collection ? "" : "/");
    CHECK(paths.if_contains(other) == nullptr);
    const auto* op = item->as_object().if_contains(lower(route.method));
    REQUIRE(op != nullptr);
    const auto& responses = op->at("responses").as_object();
    for (const auto& reply : route.doc.replies)
      CHECK(responses.contains(std::to_string(reply.status)));
    CHECK(responses.contains("500"));
    CHECK(responses.contains("default"));
    if (!route.doc.body.empty()) {
      CHECK(op->as_object().contains("requestBody"));
      CHECK(responses.contains("413"));
    }
    // Path parameters are declared; the /_mock routes are tagged test control.
    std::size_t declared = 0;
    for (const auto& p : op->at("parameters").as_array())
      declared += p.as_object().contains("in") && p.at("in") == "path";
    std::size_t in_template = 0;
    for (char c : route.path)
      in_template += c == '{';
    CHECK(declared == in_template);
    const bool control = route.path.starts_with("/_mock");
    CHECK((op->at("tags").as_array()[0] == "test control") == control);
  }
  CHECK(operations == f.api.router().routes().size());
}

TEST_CASE("the document spells collections with the trailing slash, items and actions without") {
  Fixture f;
  const auto doc = json::parse(f.api.openapi_document()).as_object();
  const auto& paths = doc.at("paths").as_object();
  for (const char* path :
       {"/api/v1/environments/", "/api/v1/security-groups/", "/api/v1/vms/", "/api/v1/volumes/",
        "/api/v1/tasks/", "/_mock/faults/", "/api/v1/vms/{id}", "/api/v1/volumes/{id}/detach",
        "/api/v1/volumes/{id}/attach/{vm_id}", "/health", "/openapi.json",
        "/_mock/clock/advance"}) {
    CAPTURE(path);
    CHECK(paths.contains(path));
  }
  for (const char* path :
       {"/api/v1/vms", "/api/v1/environments", "/api/v1/vms/{id}/", "/_mock/faults", "/health/"}) {
    CAPTURE(path);
    CHECK(!paths.contains(path));
  }
  CHECK(paths.at("/api/v1/vms/").as_object().contains("get"));
  CHECK(paths.at("/api/v1/vms/").as_object().contains("post"));
}

TEST_CASE("a documented route added to the table is in the document") {
  Fixture f;
  static constexpr mockcloud::http::Reply replies[] = {{200, "Health", "ok"}};
  f.api.router().add({"GET", "/extra/{id}", "extra", "test", "an extra route",
                      [](Api&, const mockcloud::http::Call&, mockcloud::http::Response&) {}},
                     {.replies = replies});
  const auto doc = json::parse(f.api.openapi_document()).as_object();
  CHECK(doc.at("paths").as_object().at("/extra/{id}").as_object().contains("get"));
}

TEST_CASE("GET /metrics: a request counter before and after a request") {
  Fixture f;
  auto metrics = [&] {
    auto r = f.api.handle(Request{.method = "GET", .target = "/metrics"});
    REQUIRE(r.status == 200);
    CHECK(r.content_type.starts_with("text/plain; version=0.0.4"));
    return r.body;
  };
  const std::string series =
      R"(mockcloud_http_requests_total{method="GET",route="/api/v1/vms/{id}",status="404"})";
  const auto before = metrics();
  CHECK(f.api.handle(Request{.method = "GET", .target = "/api/v1/vms/nope/"}).status == 404);
  const auto after = metrics();
  CHECK(sample(after, series) == sample(before, series) + 1);
  CHECK(
      sample(
          after,
          R"(mockcloud_http_request_duration_seconds_count{method="GET",route="/api/v1/vms/{id}"})") ==
      sample(
          before,
          R"(mockcloud_http_request_duration_seconds_count{method="GET",route="/api/v1/vms/{id}"})") +
          1);
  CHECK(sample(after, R"(mockcloud_resources_by_status{kind="vm",status="running"})") == 0);
  CHECK(after.find("# TYPE mockcloud_http_request_duration_seconds histogram") !=
        std::string::npos);
}

TEST_CASE("/docs, /redoc and /ui without their assets: a page that says what is missing") {
  Fixture f;
  mockcloud::http::set_assets_dir("/nonexistent/mockcloud-assets");
  for (const char* target : {"/docs", "/redoc/", "/ui"}) {
    CAPTURE(target);
    auto r = f.api.handle(Request{.method = "GET", .target = target});
    CHECK(r.status == 503);
    CHECK(r.content_type.starts_with("text/html"));
    CHECK(r.body.find("/nonexistent/mockcloud-assets") != std::string::npos);
    CHECK(r.body.find("--assets-dir") != std::string::npos);
    CHECK(r.body.find("npm") != std::string::npos);
  }
  CHECK(
      f.api.handle(Request{.method = "GET", .target = "/docs/assets/redoc.standalone.js"}).status ==
      404);
  CHECK(f.api.handle(Request{.method = "GET", .target = "/docs/assets/..%2Fsecret"}).status == 404);
  const auto ui = f.api.handle(Request{.method = "GET", .target = "/ui"});
  CHECK(ui.body.find("ui.js") != std::string::npos);
  CHECK(ui.body.find("uPlot.iife.min.js") != std::string::npos);
  CHECK(f.api.handle(Request{.method = "GET", .target = "/ui/assets/ui.js"}).status == 404);
  // Each page serves its own files only.
  CHECK(f.api.handle(Request{.method = "GET", .target = "/ui/assets/redoc.standalone.js"})
            .body.find("Not Found") != std::string::npos);
  CHECK(f.api.handle(Request{.method = "GET", .target = "/docs/assets/ui.js"})
            .body.find("Not Found") != std::string::npos);
  mockcloud::http::set_assets_dir("");
}
