// What a server in front of a ResourceManager needs beyond the cloud itself: the route faults
// and injected latency of `/_mock/faults` (which act on HTTP responses, not on resources), and
// durable acknowledgements that do not block an I/O thread. mockcloud-server uses it; a test
// that drives the library directly has no need of it.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "mockcloud/clock.hpp"

namespace mockcloud {

class ResourceManager;
namespace detail {
class Core;
}

class ServerSupport {
 public:
  /// The manager must outlive this object.
  explicit ServerSupport(ResourceManager& manager);

  /// The status an injected route fault answers this request with, if any. `route` is
  /// "METHOD /path" (a trailing slash is ignored). Each matching fault draws from the seed,
  /// keyed by the fault and how many requests it has seen.
  std::optional<int> draw_route_fault(std::string_view route);
  /// The sum of the latency faults: a real-time delay before each `/api/v1` response.
  std::chrono::milliseconds injected_latency() const;
  /// Calls `callback(true)` once every change made so far is durable (at once without a
  /// store), `callback(false)` if the store failed to write. With
  /// ManagerOptions::wait_for_durability = false, a server holds each response until then.
  void after_durable(std::function<void(bool ok)> callback);
  /// True when the manager keeps its state in a store.
  bool durable() const noexcept;
  /// Returns once every after_durable() callback given so far has run and been released: a
  /// server calls it when it stops, before what those callbacks hold goes away.
  void wait_callbacks();

  // A store shared by several servers (Store::shared()).
  /// True when the manager's store is shared (PostgreSQL).
  bool shared() const noexcept;
  /// Why the store cannot be used now (its database is unreachable), or empty.
  std::string unavailable() const;
  /// Applies what the other servers wrote and moves a virtual clock to where they left it.
  /// Throws StoreError when the database is unreachable.
  void refresh();
  /// Whether a request should wait for catch_up_async() before it is handled (this server
  /// does not hold the shared journal's head), rather than block its thread in refresh().
  bool needs_catch_up() const;
  /// Calls `done`, on a thread of the store's, once what the other servers committed before
  /// this call is applied; the requests waiting meanwhile share one round trip.
  void catch_up_async(std::function<void()> done);
  /// Whether a write should wait for wait_head_async() before it is handled (another server
  /// holds the shared journal's head), rather than block its thread for the head.
  bool needs_head() const;
  /// Calls `done`, on a thread of the store's, once this server holds the head (an empty
  /// string), or with why it gave up waiting (another server kept the head for over 10 s).
  void wait_head_async(std::function<void(std::string)> done);
  /// While one lives on this thread, the manager's calls do not catch up again (the request
  /// came through catch_up_async()).
  class CaughtUp {
   public:
    explicit CaughtUp(bool caught_up);
    ~CaughtUp();
    CaughtUp(const CaughtUp&) = delete;
    CaughtUp& operator=(const CaughtUp&) = delete;

   private:
    bool on_;
  };
  /// Advances the manager's virtual clock by `d`, firing what comes due; with a shared store,
  /// for the whole cloud (the other servers follow). Returns how many timers fired.
  std::size_t advance_clock(VirtualClock& clock, Duration d);

 private:
  std::shared_ptr<detail::Core> core_;
};

}  // namespace mockcloud
