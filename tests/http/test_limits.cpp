// Hardening (issue #6): the configurable limits (header size, body size, JSON depth, connections)
// and the bad inputs of tests/README.md that no other test file covers.
#include <poll.h>

#include <memory>
#include <thread>
#include <vector>

#include "config.hpp"
#include "fixture.hpp"

using test::str;
using namespace std::chrono_literals;

namespace {

struct LimitsFixture {
  explicit LimitsFixture(mockcloud::http::ServerOptions o)
      : manager(test::deterministic_options(), clock), server(manager, with_free_port(o)) {
    server.start();
  }
  static mockcloud::http::ServerOptions with_free_port(mockcloud::http::ServerOptions o) {
    o.host = "127.0.0.1";
    o.port = 0;
    if (o.threads == 0) o.threads = 1;
    return o;
  }
  test::Client connect() { return test::Client(server.port()); }

  mockcloud::VirtualClock clock;
  mockcloud::ResourceManager manager;
  mockcloud::http::Server server;
};

/// `levels` nested arrays around `inner`: nested(2, "1") is "[[1]]".
std::string nested(int levels, std::string_view inner = "1") {
  return std::string(static_cast<std::size_t>(levels), '[') + std::string(inner) +
         std::string(static_cast<std::size_t>(levels), ']');
}

/// The msg of the first 422 entry.
std::string first_msg(const test::HttpResponse& r) {
  return str(r.json().at("detail").at(0).at("msg"));
}

mockcloud::http::Config load(std::vector<std::string_view> args,
                             std::map<std::string, std::string> env = {}) {
  return mockcloud::http::load_config(args,
                                      [&](const std::string& name) -> std::optional<std::string> {
                                        auto it = env.find(name);
                                        if (it == env.end()) return std::nullopt;
                                        return it->second;
                                      });
}

std::string config_error(std::vector<std::string_view> args) {
  try {
    load(std::move(args));
  } catch (const mockcloud::http::ConfigError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_SUITE("limits") {
  TEST_CASE("a request head over max_header_bytes is 431 and the connection closes") {
    LimitsFixture f{{.max_header_bytes = 4096}};
    {
      auto c = f.connect();  // just under the limit: served
      CHECK(c.get("/health", {{"X-Pad", std::string(3000, 'a')}}).status == 200);
    }
    {
      auto c = f.connect();
      auto r = c.get("/health", {{"X-Pad", std::string(5000, 'a')}});
      CHECK(r.status == 431);
      CHECK(str(r.json().at("detail")) == "Request header fields too large");
      CHECK(r.header("Connection") == "close");
      CHECK(c.closed_by_peer());
    }
    {
      auto c = f.connect();  // many small headers add up
      test::Headers many;
      for (int i = 0; i < 300; ++i)
        many.emplace_back("X-H" + std::to_string(i), "0123456789");
      CHECK(c.get("/health", many).status == 431);
      CHECK(c.closed_by_peer());
    }
    {
      auto c = f.connect();  // a huge request line counts too
      CHECK(c.get("/api/v1/vms/" + std::string(8000, 'x')).status == 431);
      CHECK(c.closed_by_peer());
    }
    LimitsFixture defaults{{}};
    auto c = defaults.connect();  // the default is 16 KiB
    CHECK(c.get("/health", {{"X-Pad", std::string(15000, 'a')}}).status == 200);
    CHECK(c.get("/health", {{"X-Pad", std::string(17000, 'a')}}).status == 431);
  }

  TEST_CASE("a body over body_limit is 413, with Content-Length or chunked") {
    LimitsFixture f{{.body_limit = 1000}};
    const std::string env = R"({"name":"e1","description":")";
    auto body_of = [&](std::size_t size) {
      return env + std::string(size - env.size() - 2, 'd') + "\"}";
    };
    {
      auto c = f.connect();
      auto ok = c.post("/api/v1/environments", body_of(1000));
      CHECK(ok.status == 201);
      auto big = c.post("/api/v1/environments", body_of(1001));
      CHECK(big.status == 413);
      CHECK(str(big.json().at("detail")) == "Request body too large: the limit is 1000 bytes");
      CHECK(c.closed_by_peer());
    }
    {
      auto c = f.connect();  // answered from the head alone, before any of the body is sent
      c.send_raw("POST /api/v1/environments HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n");
      CHECK(c.read_response().status == 413);
      CHECK(c.closed_by_peer());
    }
    auto chunked = [](std::string_view body, std::size_t chunk) {
      std::string out =
          "POST /api/v1/environments HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
          "Content-Type: application/json\r\n\r\n";
      for (std::size_t i = 0; i < body.size(); i += chunk) {
        const auto part = body.substr(i, chunk);
        char size_line[32];
        std::snprintf(size_line, sizeof size_line, "%zx\r\n", part.size());
        out.append(size_line).append(part).append("\r\n");
      }
      return out + "0\r\n\r\n";
    };
    {
      auto c = f.connect();  // exactly the limit in 7 chunks
      std::string body = body_of(1000);
      body.replace(9, 2, "e2");
      c.send_raw(chunked(body, 150));
      CHECK(c.read_response().status == 201);
      c.send_raw(chunked(body_of(1001), 150));  // one byte more
      auto r = c.read_response();
      CHECK(r.status == 413);
      CHECK(c.closed_by_peer());
    }
    CHECK(f.manager.counts().environments == 2);
  }

  TEST_CASE("JSON nested deeper than max_json_depth is a 422 that says so") {
    LimitsFixture f{{}};  // the default, 64
    auto c = f.connect();
    // The body object is level 1: 63 arrays inside it make 64 levels, a type error only.
    auto at_limit = c.post("/api/v1/environments", R"({"name":)" + nested(63) + "}");
    CHECK(at_limit.status == 422);
    CHECK(str(at_limit.json().at("detail").at(0).at("type")) == "string_type");
    auto deeper = c.post("/api/v1/environments", R"({"name":)" + nested(64) + "}");
    CHECK(deeper.status == 422);
    CHECK(str(deeper.json().at("detail").at(0).at("type")) == "json_invalid");
    CHECK(first_msg(deeper) == "JSON decode error: nesting deeper than 64 levels");
    CHECK(deeper.json().at("detail").at(0).at("loc").at(0) == "body");
    // Very deep nesting is answered the same, quickly, on a connection that stays usable.
    auto huge = c.post("/api/v1/vms", nested(100'000));
    CHECK(huge.status == 422);
    CHECK(first_msg(huge) == "JSON decode error: nesting deeper than 64 levels");
    CHECK(c.post("/_mock/faults", R"({"x":)" + nested(70, "{}") + "}").status == 422);
    CHECK(c.get("/health").status == 200);

    LimitsFixture shallow{{.max_json_depth = 3}};
    auto s = shallow.connect();
    CHECK(s.post("/api/v1/environments", R"({"name":"a","x":[[1]]})").status == 201);
    auto r = s.post("/api/v1/environments", R"({"name":"b","x":[[[1]]]})");
    CHECK(r.status == 422);
    CHECK(first_msg(r) == "JSON decode error: nesting deeper than 3 levels");
  }

  TEST_CASE("over max_connections a new connection gets 503 and is closed") {
    LimitsFixture f{{.max_connections = 3}};
    std::vector<std::unique_ptr<test::Client>> held;
    for (int i = 0; i < 3; ++i) {
      held.push_back(std::make_unique<test::Client>(f.server.port()));
      REQUIRE(held.back()->get("/health").status == 200);
    }
    {
      auto extra = f.connect();
      auto r = extra.get("/health");
      CHECK(r.status == 503);
      CHECK(str(r.json().at("detail")) == "Too many connections: the limit is 3");
      CHECK(r.header("Connection") == "close");
      CHECK(extra.closed_by_peer());
    }
    {
      // Rejected without reading: a client that sends nothing gets the 503 too.
      auto silent = f.connect();
      CHECK(silent.read_response().status == 503);
    }
    for (auto& c : held)  // the served ones are unaffected
      CHECK(c->get("/health").status == 200);
    held.pop_back();  // a slot frees when a connection closes
    int status = 0;
    for (int attempt = 0; attempt < 100 && status != 200; ++attempt) {
      auto again = f.connect();
      status = again.get("/health").status;
      if (status != 200) std::this_thread::sleep_for(20ms);
    }
    CHECK(status == 200);
  }

  TEST_CASE("malformed request lines and header fields are 400 and close the connection") {
    LimitsFixture f{{}};
    for (const char* raw : {
             "GET\r\n\r\n",                                    // no target, no version
             "GET /health\r\n\r\n",                            // no version
             "GET /health HTTP/1.1 extra\r\n\r\n",             // trailing junk
             "G(T /health HTTP/1.1\r\n\r\n",                   // not a method token
             "GET /health FTP/1.1\r\n\r\n",                    // not HTTP
             "GET /health HTTP/1.1\r\nNo colon here\r\n\r\n",  // field without a colon
             "GET /health HTTP/1.1\r\nBad Name: x\r\n\r\n",    // space in a field name
             "GET /health HTTP/1.1\r\nX: a\rb\r\n\r\n",        // bare CR in a value
             "GET /health HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
             "POST /api/v1/environments HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
             "\x16\x03\x01\x02\x05\x01\xfc\x03\x03\r\n\r\n",  // a TLS ClientHello
         }) {
      const std::string text = raw;
      CAPTURE(text);
      auto c = f.connect();
      c.send_raw(raw);
      auto r = c.read_response();
      CHECK(r.status == 400);
      CHECK(str(r.json().at("detail")) == "Invalid HTTP request");
      CHECK(c.closed_by_peer());
    }
    auto c = f.connect();  // the server is fine afterwards
    CHECK(c.get("/health").status == 200);
  }

  TEST_CASE("bad UTF-8, bad JSON and wrong JSON types in bodies are 422 with a body loc") {
    LimitsFixture f{{}};
    auto c = f.connect();
    for (const char* body : {"{\"name\":\"a\xc3\"}", "{\"name\":\"\xed\xa0\x80\"}",
                             "{\"name\":\"\xf8\x88\x80\x80\x80\"}", "{\"name\":\"a\"}\xff"}) {
      const std::string text = body;
      CAPTURE(text);
      auto r = c.post("/api/v1/environments", body);
      CHECK(r.status == 422);
      CHECK(str(r.json().at("detail").at(0).at("type")) == "json_invalid");
    }
    for (const char* body : {"{", "{\"name\":\"a\",}", "{'name':'a'}", "{\"name\":\"a\"} {}", "nul",
                             "{\"name\":\"a\" /* c */}"}) {
      const std::string text = body;
      CAPTURE(text);
      auto r = c.post("/api/v1/environments", body);
      CHECK(r.status == 422);
      CHECK(str(r.json().at("detail").at(0).at("type")) == "json_invalid");
      CHECK(r.json().at("detail").at(0).at("loc").at(0) == "body");
    }
    auto types =
        c.post("/api/v1/vms", R"({"name":5,"environment_id":[],"cpu":"2","memory_mb":1.5})");
    REQUIRE(types.status == 422);
    const auto json = types.json();
    const auto& d = json.at("detail").as_array();
    REQUIRE(d.size() == 4);
    CHECK(str(d[0].at("type")) == "string_type");
    CHECK(d[0].at("loc") == boost::json::parse(R"(["body","name"])"));
    CHECK(str(d[1].at("type")) == "string_type");
    CHECK(str(d[2].at("type")) == "int_type");
    CHECK(str(d[3].at("type")) == "int_from_float");
    CHECK(f.manager.counts().environments == 0);
  }

  TEST_CASE("ids that match nothing are 404, whatever their form") {
    LimitsFixture f{{}};
    auto c = f.connect();
    for (const char* path :
         {"/api/v1/vms/00000000-0000-4000-8000-000000000000", "/api/v1/vms/not-a-uuid",
          "/api/v1/vms/%00", "/api/v1/volumes/%FF%FE", "/api/v1/environments/..",
          "/api/v1/tasks/"
          "x'--",
          "/api/v1/security-groups/%2e%2e%2f"}) {
      const std::string text = path;
      CAPTURE(text);
      auto r = c.get(path);
      CHECK(r.status == 404);
      CHECK(r.json().at("detail").is_string());
    }
    // An id that is not UTF-8 comes back in the detail with U+FFFD for each bad byte: the
    // body stays JSON (found by fuzz_http_request).
    auto bytes = c.get("/api/v1/vms/ab\xff\xc3(cd");
    CHECK(bytes.status == 404);
    CHECK(str(bytes.json().at("detail")).find("ab\xef\xbf\xbd\xef\xbf\xbd(cd") !=
          std::string::npos);
    auto utf8 = c.get("/api/v1/vms/caf\xc3\xa9");  // well-formed UTF-8 stays as it is
    CHECK(str(utf8.json().at("detail")).find("caf\xc3\xa9") != std::string::npos);
    CHECK(c.del("/api/v1/vms/nope").status == 404);
    CHECK(c.post("/api/v1/volumes/nope/attach/nope").status == 404);
  }

  TEST_CASE("the limits are flags and environment variables, and bad values name them") {
    const auto defaults = load({});
    CHECK(defaults.server.idle_timeout == 30s);
    CHECK(defaults.server.max_connections == 10'000);
    CHECK(defaults.server.max_header_bytes == 16 * 1024);
    CHECK(defaults.server.body_limit == 1024 * 1024);
    CHECK(defaults.server.max_json_depth == 64);
    const auto c = load({"--max-connections", "50", "--max_header_bytes=2048", "--idle-timeout",
                         "0.25", "--max-json-depth", "8"},
                        {{"MAX_BODY_BYTES", "4096"}, {"MAX_CONNECTIONS", "7"}});
    CHECK(c.server.max_connections == 50);
    CHECK(c.server.max_header_bytes == 2048);
    CHECK(c.server.idle_timeout == 250ms);
    CHECK(c.server.max_json_depth == 8);
    CHECK(c.server.body_limit == 4096);
    CHECK(config_error({"--max-connections", "0"}).find("max_connections") != std::string::npos);
    CHECK(config_error({"--max-header-bytes", "10"}).find("max_header_bytes") != std::string::npos);
    CHECK(config_error({"--max-json-depth", "x"}).find("max_json_depth") != std::string::npos);
    CHECK(config_error({"--idle-timeout", "0"}).find("idle_timeout") != std::string::npos);
    CHECK(config_error({"--idle-timeout", "nan"}).find("idle_timeout") != std::string::npos);
    CHECK(config_error({"--max-body-bytes", "-1"}).find("max_body_bytes") != std::string::npos);
  }
}
