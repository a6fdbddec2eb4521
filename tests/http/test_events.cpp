// GET /api/v1/events (Server-Sent Events) and GET /_mock/journal over real sockets: transitions
// in order, resumption by Last-Event-ID and ?since=, resync for a cursor older than the history
// and for a subscriber that falls behind, filters, heartbeats, slow readers cut off, the
// connection limit, shutdown, and the original dialect's spelling.
#include <doctest/doctest.h>

#include <boost/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "client.hpp"
#include "mockcloud/clock.hpp"
#include "mockcloud/http/server.hpp"
#include "mockcloud/manager.hpp"
#include "test_options.hpp"

using namespace std::chrono_literals;
using mockcloud::http::ServerOptions;
using mockcloud::http::WireDialect;
using test::str;

namespace {

struct Served {
  explicit Served(ServerOptions server_options = {},
                  mockcloud::ManagerOptions options = test::options())
      : manager(std::move(options), clock), server(manager, local(std::move(server_options))) {
    server.start();
  }
  static ServerOptions local(ServerOptions o) {
    o.host = "127.0.0.1";
    o.port = 0;
    o.threads = 1;
    return o;
  }
  test::Client connect(int receive_buffer = 0) {
    return test::Client(server.port(), 5s, receive_buffer);
  }

  mockcloud::VirtualClock clock;
  mockcloud::ResourceManager manager;
  mockcloud::http::Server server;
};

/// One SSE frame: its id (-1 without), its event name ("" for a transition), its data.
struct Frame {
  long long id = -1;
  std::string event;
  boost::json::value data;
  bool comment = false;
};

Frame parse_frame(const std::string& text) {
  Frame f;
  std::size_t pos = 0;
  while (pos < text.size()) {
    auto eol = text.find('\n', pos);
    if (eol == std::string::npos) eol = text.size();
    const std::string line = text.substr(pos, eol - pos);
    pos = eol + 1;
    if (line.starts_with(":")) f.comment = true;
    if (line.starts_with("id: ")) f.id = std::stoll(line.substr(4));
    if (line.starts_with("event: ")) f.event = line.substr(7);
    if (line.starts_with("data: ")) f.data = boost::json::parse(line.substr(6));
  }
  return f;
}

/// Opens a stream: checks the head and the `retry` line.
void subscribe(test::Client& c, std::string_view target = "/api/v1/events",
               const test::Headers& headers = {}) {
  c.send_raw(test::Client::format("GET", target, {}, headers));
  auto head = c.read_response();  // no Content-Length: the body stays in the client's buffer
  REQUIRE(head.status == 200);
  CHECK(head.header("Content-Type") == "text/event-stream");
  CHECK_FALSE(head.has_header("Content-Length"));
  CHECK(head.header("Cache-Control") == "no-store");
  CHECK(c.read_until("\n\n") == "retry: 1000");
}

/// The next frame that is not a heartbeat.
Frame next_event(test::Client& c) {
  for (;;) {
    Frame f = parse_frame(c.read_until("\n\n"));
    if (!f.comment) return f;
  }
}

std::string environment(test::Client& c, std::string_view name) {
  auto r = c.post("/api/v1/environments", R"({"name":")" + std::string(name) + R"("})");
  REQUIRE(r.status == 201);
  return str(r.json().at("id"));
}

std::string vm(test::Client& c, const std::string& env, std::string_view name) {
  auto r = c.post("/api/v1/vms",
                  R"({"name":")" + std::string(name) + R"(","environment_id":")" + env + R"("})");
  REQUIRE(r.status == 202);
  return str(r.json().at("id"));
}

void advance(test::Client& c, int seconds) {
  REQUIRE(c.post("/_mock/clock/advance", R"({"seconds":)" + std::to_string(seconds) + "}").status ==
          200);
}

std::string transition(const Frame& f) {
  return str(f.data.at("kind")) + " " + str(f.data.at("from")) + "->" + str(f.data.at("to")) + " " +
         str(f.data.at("cause"));
}

}  // namespace

TEST_CASE("the stream delivers each transition once, in order; Last-Event-ID resumes exactly") {
  Served s;
  auto api = s.connect();
  long long last = 0;
  std::string env, first_vm;
  {
    auto sub = s.connect();
    subscribe(sub);
    env = environment(api, "dev");
    first_vm = vm(api, env, "web-1");
    advance(api, 60);
    std::vector<Frame> got;
    for (int i = 0; i < 3; ++i)
      got.push_back(next_event(sub));
    CHECK(transition(got[0]) == "environment ->active request");
    CHECK(transition(got[1]) == "vm ->creating request");
    CHECK(transition(got[2]) == "vm creating->running timer");
    for (std::size_t i = 0; i < got.size(); ++i) {
      CHECK(got[i].event.empty());
      CHECK(got[i].id == got[i].data.at("seq").as_int64());
      if (i > 0) CHECK(got[i].id == got[i - 1].id + 1);
    }
    CHECK(str(got[1].data.at("id")) == first_vm);
    CHECK(str(got[2].data.at("environment_id")) == env);
    CHECK(got[2].data.at("task_id") == got[1].data.at("task_id"));
    CHECK(str(got[2].data.at("at")) > str(got[1].data.at("at")));  // the virtual completion time
    last = got[2].id;
  }  // the subscriber goes away

  // Missed while away: two VMs created and completed.
  vm(api, env, "web-2");
  vm(api, env, "web-3");
  advance(api, 60);
  auto journal = api.get("/_mock/journal?since=" + std::to_string(last)).json();
  const auto& missed = journal.at("events").as_array();
  REQUIRE(missed.size() == 4);
  CHECK(journal.at("latest").as_int64() == last + 4);

  auto sub = s.connect();
  // Last-Event-ID wins over ?since= (an EventSource repeats its URL when it reconnects).
  subscribe(sub, "/api/v1/events?since=1", {{"Last-Event-ID", std::to_string(last)}});
  for (std::size_t i = 0; i < missed.size(); ++i) {
    const Frame f = next_event(sub);
    CHECK(f.id == last + 1 + static_cast<long long>(i));
    CHECK(f.data == missed[i]);  // the same JSON as the journal's
  }
  environment(api, "next");  // nothing else was pending: the next frame is this one
  const Frame f = next_event(sub);
  CHECK(f.id == last + 5);
  CHECK(transition(f) == "environment ->active request");
}

TEST_CASE("one advance emits every transition in due order") {
  Served s;
  auto api = s.connect();
  auto sub = s.connect();
  const std::string env = environment(api, "dev");
  for (int i = 0; i < 6; ++i)
    vm(api, env, "vm-" + std::to_string(i));
  subscribe(sub,
            "/api/v1/events?kind=vm&since=" + std::to_string(s.manager.events_since(0).latest));
  advance(api, 120);
  std::string previous;
  for (int i = 0; i < 6; ++i) {
    const Frame f = next_event(sub);
    CHECK(transition(f) == "vm creating->running timer");
    const std::string at = str(f.data.at("at"));
    CHECK(at >= previous);
    previous = at;
  }
}

TEST_CASE("filters: kind, environment_id and id; a reset passes them all") {
  Served s;
  auto api = s.connect();
  const std::string a = environment(api, "a"), b = environment(api, "b");
  auto by_env = s.connect(), by_id = s.connect();
  subscribe(by_env, "/api/v1/events?kind=vm&environment_id=" + a);
  const std::string vm_b = vm(api, b, "in-b");
  const std::string vm_a = vm(api, a, "in-a");
  subscribe(by_id, "/api/v1/events?id=" + vm_b);
  advance(api, 60);
  Frame f = next_event(by_env);
  CHECK(str(f.data.at("id")) == vm_a);
  CHECK(transition(f) == "vm ->creating request");
  f = next_event(by_env);
  CHECK(str(f.data.at("id")) == vm_a);
  CHECK(transition(f) == "vm creating->running timer");
  f = next_event(by_id);
  CHECK(str(f.data.at("id")) == vm_b);
  CHECK(transition(f) == "vm creating->running timer");

  REQUIRE(api.post("/_mock/reset", "{}").status == 204);
  for (auto* c : {&by_env, &by_id}) {
    f = next_event(*c);
    CHECK(f.event == "reset");
    CHECK(f.data.at("id").is_null());
    CHECK(str(f.data.at("cause")) == "reset");
  }
  // The journal takes the same filters: the newest first, `limit` of them.
  auto j = api.get("/_mock/journal?kind=environment&limit=1").json();
  REQUIRE(j.at("events").as_array().size() == 1);
  CHECK(str(j.at("events").at(0).at("kind")) == "reset");  // the reset passes the filter
  j = api.get("/_mock/journal?kind=environment&skip=1&limit=1").json();
  CHECK(str(j.at("events").at(0).at("id")) == b);
}

TEST_CASE("bad filters and cursors are a 422 naming them") {
  Served s;
  auto c = s.connect();
  auto r = c.get("/api/v1/events?kind=reset&since=-1");
  REQUIRE(r.status == 422);
  const auto body = r.json();
  const auto& detail = body.at("detail").as_array();
  REQUIRE(detail.size() == 2);
  CHECK(detail[0].at("loc") == boost::json::parse(R"(["query","kind"])"));
  CHECK(detail[1].at("loc") == boost::json::parse(R"(["query","since"])"));
  r = c.get("/api/v1/events", {{"Last-Event-ID", "abc"}});
  REQUIRE(r.status == 422);
  CHECK(r.json().at("detail").at(0).at("loc") ==
        boost::json::parse(R"(["header","Last-Event-ID"])"));
  CHECK(c.get("/_mock/journal?limit=10001").status == 422);
  CHECK(c.get("/api/v1/vms").status == 200);  // the connection is still served
}

TEST_CASE("a cursor older than the history gets a resync event, then the stream goes on") {
  mockcloud::ManagerOptions options = test::options();
  options.event_history = 4;
  Served s({}, options);
  auto api = s.connect();
  for (int i = 0; i < 10; ++i)
    environment(api, "env-" + std::to_string(i));
  auto sub = s.connect();
  subscribe(sub, "/api/v1/events?since=2");
  Frame f = next_event(sub);
  CHECK(f.event == "resync");
  CHECK(f.id == 10);  // what it stands for: everything up to the latest event
  CHECK(str(f.data.at("kind")) == "resync");
  environment(api, "after");
  f = next_event(sub);
  CHECK(f.id == 11);
  CHECK(f.event.empty());
  auto j = api.get("/_mock/journal?since=2").json();
  CHECK(j.at("resync").as_bool());
  CHECK(j.at("events").as_array().empty());
  CHECK(api.get("/_mock/journal").json().at("events").as_array().size() == 4);
}

TEST_CASE("a subscriber that falls behind gets resync, then the newest events") {
  Served s({.event_buffer = 4});
  auto sub = s.connect(4096);  // a small window: the server's writes soon block
  subscribe(sub);
  // Far more than the socket buffers hold, while the subscriber reads nothing.
  for (int i = 0; i < 3000; ++i)
    REQUIRE(s.manager.create_environment({.name = "env-" + std::to_string(i)}));
  const auto latest = static_cast<long long>(s.manager.events_since(0).latest);
  long long previous = 0;
  int resyncs = 0;
  while (previous < latest) {
    const Frame f = next_event(sub);
    if (f.event == "resync") {
      ++resyncs;
      CHECK(f.id > previous);  // the last event it missed
    } else {
      CHECK(f.id > previous);
      if (previous != 0 && resyncs == 0) CHECK(f.id == previous + 1);
    }
    previous = f.id;
  }
  CHECK(resyncs >= 1);
  CHECK(previous == latest);
}

TEST_CASE("a reader that stops reading is disconnected after the idle timeout") {
  Served s({.idle_timeout = 200ms, .event_buffer = 4});
  auto sub = s.connect(4096);
  subscribe(sub);
  for (int i = 0; i < 3000; ++i)
    REQUIRE(s.manager.create_environment({.name = "env-" + std::to_string(i)}));
  std::this_thread::sleep_for(600ms);  // a real timeout: longer than the idle timeout's sweep
  const std::string rest = sub.read_to_end();  // ends: the server closed the stream
  CHECK(rest.size() < 3000 * 200);             // not all 3,000 events (~250 bytes each)
  auto api = s.connect();
  CHECK(api.get("/health").status == 200);
}

TEST_CASE("heartbeats keep an idle stream alive") {
  Served s({.event_heartbeat = 50ms});
  auto sub = s.connect();
  subscribe(sub);
  CHECK(sub.read_until("\n\n") == ": heartbeat");
  CHECK(sub.read_until("\n\n") == ": heartbeat");
}

TEST_CASE("subscribers count against max_connections; stop() closes open streams") {
  Served s({.max_connections = 2});
  auto one = s.connect(), two = s.connect();
  subscribe(one);
  subscribe(two);
  auto third = s.connect();
  CHECK(third.get("/health").status == 503);
  s.server.stop();
  CHECK(one.read_to_end().empty());
  CHECK(two.read_to_end().empty());
}

TEST_CASE("the original dialect: integer ids and its status names") {
  mockcloud::ManagerOptions options = test::options();
  options.model = mockcloud::CloudModel::original();
  Served s({.dialect = WireDialect::original}, options);
  auto api = s.connect();
  auto sub = s.connect();
  subscribe(sub, "/api/v1/events?kind=vm");
  auto env = api.post("/api/v1/environments/", R"({"name":"dev"})");
  REQUIRE(env.status == 200);
  const auto env_id = env.json().at("id").as_int64();
  auto created = api.post("/api/v1/vms/", R"({"name":"web","instance_type":"t3.micro",)"
                                          R"("environment_id":)" +
                                              std::to_string(env_id) + "}");
  REQUIRE(created.status == 200);
  advance(api, 60);
  std::vector<std::string> seen;
  for (int i = 0; i < 3; ++i) {
    const Frame f = next_event(sub);
    CHECK(f.data.at("id").as_int64() == 1);
    CHECK(f.data.at("environment_id").as_int64() == env_id);
    seen.push_back(transition(f));
  }
  CHECK(seen == std::vector<std::string>{"vm ->pending request", "vm pending->starting timer",
                                         "vm starting->running timer"});
  auto j = api.get("/_mock/journal?kind=vm&limit=1").json();
  CHECK(str(j.at("events").at(0).at("to")) == "running");
}
