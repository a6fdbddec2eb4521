// GET /api/v1/events (Server-Sent Events) and GET /_mock/journal: the filters, the JSON of an
// event in both dialects, and the stream a session pumps.
#include "events.hpp"

#include <algorithm>
#include <limits>
#include <utility>

#include "handlers.hpp"
#include "original/views.hpp"
#include "route_docs.hpp"

namespace mockcloud::http {
namespace {

constexpr std::int64_t max_seq = std::numeric_limits<std::int64_t>::max();

void write_id(std::string& out, const std::string& id, WireDialect dialect) {
  if (id.empty())
    out += "null";
  else if (dialect == WireDialect::original)
    write_int(out, original::id_number(id));
  else
    write_string(out, id);
}

void write_status(std::string& out, EventKind kind, const std::string& status,
                  WireDialect dialect) {
  write_string(out, dialect == WireDialect::original ? original::status_name(kind, status)
                                                     : std::string_view{status});
}

/// The filters of both routes, or 422 items at ["query", name].
EventFilter read_filter(const Query& query, FieldErrors& errors) {
  EventFilter filter;
  if (auto kind = query.get("kind")) {
    const auto k = from_string<EventKind>(*kind);
    if (k && *k != EventKind::reset && *k != EventKind::resync)
      filter.kind = k;
    else
      errors.add({std::string("query"), std::string("kind")},
                 "Input should be 'vm', 'volume', 'environment' or 'security_group'", "enum");
  }
  filter.environment_id = query.get("environment_id");
  filter.id = query.get("id");
  return filter;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

void stream_events(Api& api, const Call& call, Response& res) {
  const Query query{call.query};
  FieldErrors errors;
  EventFilter filter = read_filter(query, errors);
  std::optional<std::uint64_t> since;
  if (auto v = query.integer("since", 0, max_seq, errors)) since = static_cast<std::uint64_t>(*v);
  // A reconnecting EventSource sends the id of the last event it got; it wins over ?since=,
  // which the same URL repeats.
  if (const auto last = trim(call.request.last_event_id); !last.empty()) {
    if (auto v = bounded_integer(last, {std::string("header"), std::string("Last-Event-ID")}, 0,
                                 max_seq, errors))
      since = static_cast<std::uint64_t>(*v);
  }
  if (!errors.empty()) return respond_fields(res, std::move(errors.list()), {});
  auto subscription =
      api.manager().subscribe(SubscribeOptions{.capacity = api.event_buffer(), .since = since});
  if (!subscription.active()) return respond_detail(res, 500, "Internal Server Error");
  res.status = 200;
  res.content_type = "text/event-stream";
  res.body = "retry: 1000\n\n";  // how soon an EventSource reconnects, in ms
  res.stream =
      std::make_shared<EventStream>(std::move(subscription), std::move(filter), api.dialect());
}

void journal(Api& api, const Call& call, Response& res) {
  const Query query{call.query};
  FieldErrors errors;
  const EventFilter filter = read_filter(query, errors);
  const Page page = query.page(errors, 1, 10'000);
  const auto since = query.integer("since", 0, max_seq, errors);
  if (!errors.empty()) return respond_fields(res, std::move(errors.list()), {});
  auto& manager = api.manager();
  const EventsSince kept =
      since ? manager.events_since(static_cast<std::uint64_t>(*since)) : manager.recent_events();
  // The newest matches, after skipping `skip` newer ones; written oldest first.
  std::vector<const Event*> picked;
  std::size_t skipped = 0;
  for (auto it = kept.events.rbegin(); it != kept.events.rend() && picked.size() < page.limit;
       ++it) {
    if (!filter.matches(*it)) continue;
    if (skipped < page.skip)
      ++skipped;
    else
      picked.push_back(&*it);
  }
  res.status = 200;
  auto& out = res.body;
  out += R"({"events":[)";
  for (auto it = picked.rbegin(); it != picked.rend(); ++it) {
    if (it != picked.rbegin()) out += ',';
    write_event(out, **it, api.dialect());
  }
  out += R"(],"latest":)";
  write_int(out, static_cast<std::int64_t>(kept.latest));
  out += kept.resync ? R"(,"resync":true})" : R"(,"resync":false})";
}

// ---- documentation ----

constexpr QueryParam filter_params[] = {
    {"kind", R"({"type":"string","enum":["vm","volume","environment","security_group"]})",
     "Only the events of this kind of resource (reset and resync markers always pass)"},
    {"environment_id", R"({"type":"string"})", "Only the events of this environment"},
    {"id", R"({"type":"string"})", "Only the events of this resource"},
    {"since", R"({"type":"integer","minimum":0})",
     "Only the events after this seq (an event's `id`); the header Last-Event-ID wins over it"}};

constexpr QueryParam journal_params[] = {
    filter_params[0],
    filter_params[1],
    filter_params[2],
    {"since", R"({"type":"integer","minimum":0})", "Only the events after this seq"},
    docs::skip,
    {"limit", R"({"type":"integer","minimum":1,"maximum":10000,"default":100})",
     "The most events to return: the newest that match"}};

constexpr Reply stream_replies[] = {
    {200, "Event",
     "A stream of Server-Sent Events that stays open: each transition an event whose `id` is "
     "its seq and whose data is an Event; `event: reset` and `event: resync` markers; a "
     "`: heartbeat` comment every 15 s",
     0, "text/event-stream"},
    docs::query_validation};

constexpr Reply journal_replies[] = {{200, "Journal", "The kept events that match, oldest first"},
                                     docs::query_validation};

}  // namespace

bool EventFilter::matches(const Event& e) const {
  if (e.kind == EventKind::reset || e.kind == EventKind::resync) return true;
  if (kind && e.kind != *kind) return false;
  if (environment_id && e.environment_id != *environment_id) return false;
  return !id || e.id == *id;
}

void write_event(std::string& out, const Event& e, WireDialect dialect) {
  out += R"({"seq":)";
  write_int(out, static_cast<std::int64_t>(e.seq));
  out += R"(,"at":)";
  if (dialect == WireDialect::original)
    original::Timestamp{e.at}.write_json(out);
  else
    write_time(out, e.at);
  out += R"(,"kind":")";
  out += to_string(e.kind);
  out += R"(","cause":")";
  out += to_string(e.cause);
  out += R"(","id":)";
  write_id(out, e.id, dialect);
  out += R"(,"environment_id":)";
  write_id(out, e.environment_id, dialect);
  out += R"(,"from":)";
  write_status(out, e.kind, e.from, dialect);
  out += R"(,"to":)";
  write_status(out, e.kind, e.to, dialect);
  out += R"(,"task_id":)";
  if (e.task_id)
    write_string(out, *e.task_id);
  else
    out += "null";
  out += R"(,"vm_id":)";
  write_id(out, e.vm_id.value_or(std::string{}), dialect);
  out += '}';
}

void EventStream::write_frame(std::string& out, const Event& e, WireDialect dialect) {
  out += "id: ";
  write_int(out, static_cast<std::int64_t>(e.seq));
  if (e.kind == EventKind::reset)
    out += "\nevent: reset";
  else if (e.kind == EventKind::resync)
    out += "\nevent: resync";
  out += "\ndata: ";
  write_event(out, e, dialect);
  out += "\n\n";
}

std::size_t EventStream::take(std::string& out, std::size_t max_events) {
  std::size_t taken = 0;
  if (held_) {
    if (filter_.matches(*held_)) write_frame(out, *held_, dialect_);
    held_.reset();
    ++taken;
  }
  while (taken < max_events) {
    auto e = subscription_.try_next();
    if (!e) break;
    ++taken;
    if (filter_.matches(*e)) write_frame(out, *e, dialect_);
  }
  return taken;
}

void EventStream::when_ready(std::function<void()> ready) {
  subscription_.on_next([this, ready = std::move(ready)](const Event& e) {
    held_ = e;
    ready();
  });
}

void add_event_routes(Router& router) {
  router.add({"GET", "/api/v1/events", "stream_events", "events",
              "Watch every state transition as Server-Sent Events", stream_events},
             {.query = filter_params, .replies = stream_replies});
  router.add({"GET", "/_mock/journal", "get_journal", "test control",
              "The latest state transitions, kept for resumption, as JSON", journal},
             {.query = journal_params, .replies = journal_replies});
}

}  // namespace mockcloud::http
