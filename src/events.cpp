// Events: recording each transition under the manager's lock, the history, and delivering to
// subscribers outside it. A subscriber never holds the manager up: its queue is bounded, and a
// full one is dropped for a resync marker.
#include <algorithm>
#include <stdexcept>

#include "core.hpp"

namespace mockcloud {

namespace {
constexpr std::string_view kKindNames[] = {"vm",    "volume", "environment", "security_group",
                                           "reset", "resync"};
constexpr std::string_view kCauseNames[] = {"request", "timer", "fault", "reset"};
}  // namespace

std::string_view to_string(EventKind k) noexcept {
  return kKindNames[static_cast<int>(k)];
}
std::string_view to_string(EventCause c) noexcept {
  return kCauseNames[static_cast<int>(c)];
}
template <>
std::optional<EventKind> from_string(std::string_view s) noexcept {
  for (std::size_t i = 0; i < std::size(kKindNames); ++i)
    if (kKindNames[i] == s) return static_cast<EventKind>(i);
  return std::nullopt;
}
template <>
std::optional<EventCause> from_string(std::string_view s) noexcept {
  for (std::size_t i = 0; i < std::size(kCauseNames); ++i)
    if (kCauseNames[i] == s) return static_cast<EventCause>(i);
  return std::nullopt;
}

// ---- Subscription ----

Subscription& Subscription::operator=(Subscription&& other) noexcept {
  if (this != &other) {
    cancel();
    core_ = std::move(other.core_);
    sub_ = std::move(other.sub_);
  }
  return *this;
}

void Subscription::cancel() noexcept {
  if (!sub_) return;
  if (auto core = core_.lock()) core->unsubscribe(sub_);
  sub_.reset();
  core_.reset();
}

bool Subscription::active() const noexcept {
  if (!sub_) return false;
  auto core = core_.lock();
  return core && core->subscribed(*sub_);
}

std::optional<Event> Subscription::try_next() {
  if (sub_ && sub_->callback) throw std::logic_error("try_next() on a callback subscription");
  auto core = core_.lock();
  if (!sub_ || !core) return std::nullopt;
  return core->try_next(*sub_);
}

void Subscription::on_next(std::function<void(const Event&)> callback) {
  if (sub_ && sub_->callback) throw std::logic_error("on_next() on a callback subscription");
  auto core = core_.lock();
  if (!sub_ || !core) return;  // dropped
  core->on_next(sub_, std::move(callback));
}

namespace detail {

namespace {
std::string_view status_name(EventKind kind, std::uint8_t s) {
  switch (s) {
    case kNoStatus:
      return {};
    case kGone:
      return "gone";
    case kActive:
      return "active";
    default:
      break;
  }
  if (kind == EventKind::vm) return to_string(static_cast<VmStatus>(s));
  if (kind == EventKind::volume) return to_string(static_cast<VolumeStatus>(s));
  return {};
}
std::optional<std::string> optional_id(const Uuid& id) {
  if (id == Uuid{}) return std::nullopt;
  return id.to_string();
}
}  // namespace

Event to_event(const EventRecord& r) {
  Event e;
  e.seq = r.seq;
  e.at = r.at;
  e.kind = r.kind;
  e.cause = r.cause;
  if (r.id != Uuid{}) e.id = r.id.to_string();
  if (r.env != Uuid{}) e.environment_id = r.env.to_string();
  e.from = status_name(r.kind, r.from);
  e.to = status_name(r.kind, r.to);
  e.task_id = optional_id(r.task);
  e.vm_id = optional_id(r.vm);
  return e;
}

// ---- recording (under mutex_) ----

void Core::events_changed() {
  events_on_ = !closing_ && (history_.limit() > 0 || !subscribers_.empty());
  subscriber_count_.store(subscribers_.size(), std::memory_order_relaxed);
}

// Each event is written once, in place in the history (every field assigned: no copy, no
// zeroing first), then copied only into the subscribers' queues.

void Core::note_async(EventKind kind, const AsyncRecord& r, std::uint8_t from, std::uint8_t to,
                      Slot task, TimePoint now, const Uuid& vm) {
  EventRecord& e = history_.limit() ? history_.push_slot() : scratch_;
  e.seq = ++event_seq_;
  e.at = now;
  e.id = r.id;
  e.env = envs_[r.env].id;
  e.task = task != kNone ? tasks_[task].id : Uuid{};
  e.vm = vm;
  e.kind = kind;
  e.cause = cause_;
  e.from = from;
  e.to = to;
  if (!subscribers_.empty()) publish(e);
}

void Core::note_other(EventKind kind, const Uuid& id, const Uuid& env, std::uint8_t from,
                      std::uint8_t to, TimePoint now) {
  EventRecord& e = history_.limit() ? history_.push_slot() : scratch_;
  e.seq = ++event_seq_;
  e.at = now;
  e.id = id;
  e.env = env;
  e.task = e.vm = Uuid{};
  e.kind = kind;
  e.cause = cause_;
  e.from = from;
  e.to = to;
  if (!subscribers_.empty()) publish(e);
}

void Core::publish(const EventRecord& r) {
  std::lock_guard subs(subscribers_mutex_);
  for (const auto& s : subscribers_) {
    s->push(r);
    if (!s->listed && !s->delivering && s->deliverable()) {
      s->listed = true;
      ready_.push_back(s);
    }
  }
}

EventsSince Core::events_since(std::uint64_t seq, std::size_t max) const {
  return collect_events([&] { return seq; }, max);
}

EventsSince Core::recent_events(std::size_t max) const {
  return collect_events([&] { return event_seq_ - std::min<std::uint64_t>(max, history_.size()); },
                        max);
}

EventsSince Core::collect_events(const std::function<std::uint64_t()>& since_of,
                                 std::size_t max) const {
  EventsSince out;
  std::vector<EventRecord> records;
  {
    std::lock_guard lock(mutex_);
    out.latest = event_seq_;
    const std::uint64_t seq = since_of();
    if (!in_history(seq)) {
      out.resync = true;
      return out;
    }
    const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(max, event_seq_ - seq));
    const std::size_t first = history_.size() - static_cast<std::size_t>(event_seq_ - seq);
    records.reserve(n);
    for (std::size_t i = 0; i < n; ++i)
      records.push_back(history_[first + i]);
  }
  out.events.reserve(records.size());
  for (const auto& r : records)
    out.events.push_back(to_event(r));
  return out;
}

// ---- subscribers ----

Subscription Core::subscribe(std::function<void(const Event&)> callback,
                             const SubscribeOptions& options) {
  auto s =
      std::make_shared<Subscriber>(std::move(callback), std::max<std::size_t>(1, options.capacity));
  {
    std::lock_guard lock(mutex_);
    if (closing_) return {};
    std::lock_guard subs(subscribers_mutex_);
    if (options.since) {
      const std::uint64_t since = *options.since;
      if (in_history(since)) {
        const std::size_t first = history_.size() - static_cast<std::size_t>(event_seq_ - since);
        for (std::size_t i = first; i < history_.size(); ++i)
          s->push(history_[i]);
      } else {  // it missed what the history no longer holds: all of it, as far as it knows
        EventRecord marker;
        marker.seq = event_seq_;
        marker.at = current_time();
        marker.kind = EventKind::resync;
        s->resync = marker;
      }
    }
    subscribers_.push_back(s);
    events_changed();
    if (s->deliverable()) {
      s->listed = true;
      ready_.push_back(s);
    }
  }
  deliver_events();
  return Subscription(weak_from_this(), std::move(s));
}

void Core::unsubscribe(const std::shared_ptr<Subscriber>& s) noexcept {
  std::function<void(const Event&)> waiter;  // released last, outside the locks
  {
    std::lock_guard lock(mutex_);
    std::lock_guard subs(subscribers_mutex_);
    s->closed = true;
    waiter = std::move(s->waiter);
    s->waiter = nullptr;
    std::erase(subscribers_, s);
    std::erase(ready_, s);
    events_changed();
  }
  // A callback running on another thread returns first (on this one: it is the caller).
  std::unique_lock subs(subscribers_mutex_);
  subscribers_cv_.wait(
      subs, [&] { return !s->delivering || s->deliverer == std::this_thread::get_id(); });
}

bool Core::subscribed(const Subscriber& s) const {
  std::lock_guard subs(subscribers_mutex_);
  return !s.closed;
}

std::optional<Event> Core::try_next(Subscriber& s) {
  EventRecord r;
  {
    std::lock_guard subs(subscribers_mutex_);
    if (s.closed || !s.has_next()) return std::nullopt;
    r = s.pop();
  }
  return to_event(r);
}

void Core::on_next(const std::shared_ptr<Subscriber>& s,
                   std::function<void(const Event&)> callback) {
  std::unique_lock subs(subscribers_mutex_);
  if (s->closed) {
    subs.unlock();
    return;  // `callback` dropped
  }
  if (s->waiter) throw std::logic_error("on_next() while another on_next() is pending");
  s->waiter = std::move(callback);
  // A thread delivering to it hands it the next one; or the next event will.
  if (!s->delivering && s->deliverable()) drain(s, subs);
}

void Core::deliver_ready() {
  std::unique_lock subs(subscribers_mutex_);
  while (!ready_.empty()) {
    std::shared_ptr<Subscriber> s = std::move(ready_.back());
    ready_.pop_back();
    s->listed = false;
    if (!s->delivering) drain(s, subs);  // else its deliverer finds the new ones
  }
}

void Core::drain(const std::shared_ptr<Subscriber>& s, std::unique_lock<std::mutex>& lock) {
  s->delivering = true;
  s->deliverer = std::this_thread::get_id();
  while (s->deliverable()) {
    const EventRecord r = s->pop();
    std::function<void(const Event&)> waiter;
    if (!s->callback) {
      waiter = std::move(s->waiter);
      s->waiter = nullptr;
    }
    lock.unlock();
    try {
      const Event e = to_event(r);
      if (waiter)
        waiter(e);
      else
        s->callback(e);
    } catch (...) {
      // A subscriber's exception is its own: the manager and the other subscribers go on.
    }
    waiter = nullptr;
    lock.lock();
  }
  s->delivering = false;
  subscribers_cv_.notify_all();
}

}  // namespace detail
}  // namespace mockcloud
