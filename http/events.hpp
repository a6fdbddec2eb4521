// The library's events over HTTP (docs/http-api.md "Events"): GET /api/v1/events, a Server-Sent
// Events stream, and GET /_mock/journal, the kept history as JSON. Both dialects; no Beast here:
// the session (session.hpp) pumps an EventStream's text onto its socket.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "mockcloud/events.hpp"
#include "mockcloud/http/server.hpp"

namespace mockcloud::http {

class Router;

/// The filters of both routes: ?kind=, &environment_id=, &id=. `reset` and `resync` pass all.
struct EventFilter {
  std::optional<EventKind> kind;
  std::optional<std::string> environment_id, id;
  bool matches(const Event& e) const;
};

/// `{"seq":..,"at":..,"kind":..,"cause":..,"id":..,"environment_id":..,"from":..,"to":..,
/// "task_id":..,"vm_id":..}` in the dialect's spelling (the original's: integer ids, its status
/// names and timestamps).
void write_event(std::string& out, const Event& e, WireDialect dialect);

/// One SSE subscriber: its subscription, filter and dialect. The session asks when_ready(),
/// then take()s the frames to write, one batch at a time.
class EventStream {
 public:
  EventStream(Subscription subscription, EventFilter filter, WireDialect dialect)
      : subscription_(std::move(subscription)), filter_(std::move(filter)), dialect_(dialect) {}
  EventStream(const EventStream&) = delete;
  EventStream& operator=(const EventStream&) = delete;
  /// Unsubscribes first: a when_ready() callback is not running, and never will, once this
  /// returns.
  ~EventStream() { subscription_.cancel(); }

  /// Appends the SSE frames of the waiting events that pass the filter, taking at most
  /// `max_events`; returns how many it took (filtered ones included).
  std::size_t take(std::string& out, std::size_t max_events);
  /// Calls `ready` once, on any thread, when an event waits (at once when one does). One at a
  /// time: call again only after `ready` ran and take() emptied the queue.
  void when_ready(std::function<void()> ready);
  /// The frame of an event: `id: <seq>`, `event: reset|resync` for those, `data: <json>`.
  static void write_frame(std::string& out, const Event& e, WireDialect dialect);

 private:
  Subscription subscription_;
  EventFilter filter_;
  WireDialect dialect_;
  std::optional<Event> held_;  // handed over by when_ready's callback, written by take()
};

/// GET /api/v1/events and GET /_mock/journal.
void add_event_routes(Router& router);

}  // namespace mockcloud::http
