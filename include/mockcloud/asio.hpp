// Asio completion tokens for Operations and event subscriptions: callbacks, use_future and
// C++20 coroutines.
//
//   mockcloud::async_wait(op, [](boost::system::error_code ec, mockcloud::Task t) { ... });
//   std::future<mockcloud::Task> f = mockcloud::async_wait(op, boost::asio::use_future);
//   mockcloud::Task t = co_await mockcloud::async_wait(op, boost::asio::use_awaitable);
//
// The handler runs on its associated executor (the system executor when it has none) once the
// operation's task settles; if the manager is reset or destroyed first, it gets
// boost::asio::error::operation_aborted. Under a VirtualClock nothing completes until the clock
// is advanced.
//
//   auto sub = cloud.subscribe({.capacity = 256});  // a pull subscription (events.hpp)
//   mockcloud::Event e = co_await mockcloud::async_next(sub, boost::asio::use_awaitable);
//
// async_next() completes with the subscription's next event (a `resync` marker included), on
// the handler's executor; with operation_aborted if the subscription is cancelled or destroyed,
// or the manager destroyed, first. One at a time per subscription.
//
// This header includes Asio; the rest of the library does not.
#pragma once

#include <memory>
#include <utility>

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/post.hpp>
#include <boost/system/error_code.hpp>

#include "mockcloud/events.hpp"
#include "mockcloud/operation.hpp"

namespace mockcloud {

namespace detail {

// Owns the handler until its value comes (a settled Task, an Event); delivers
// operation_aborted if it never does.
template <class Handler, class Value = Task>
class AsyncWaitState {
 public:
  explicit AsyncWaitState(Handler h) : handler_(std::move(h)) {}
  AsyncWaitState(const AsyncWaitState&) = delete;
  AsyncWaitState& operator=(const AsyncWaitState&) = delete;
  ~AsyncWaitState() {
    if (!done_) complete(boost::asio::error::operation_aborted, Value{});
  }
  void complete(boost::system::error_code ec, Value t) {
    done_ = true;
    auto ex = boost::asio::get_associated_executor(handler_);
    boost::asio::post(ex, [h = std::move(handler_), ec, t = std::move(t)]() mutable {
      std::move(h)(ec, std::move(t));
    });
  }

 private:
  Handler handler_;
  bool done_ = false;
};

}  // namespace detail

template <class CompletionToken>
auto async_wait(const OperationBase& op, CompletionToken&& token) {
  return boost::asio::async_initiate<CompletionToken, void(boost::system::error_code, Task)>(
      [](auto handler, const OperationBase& op) {
        using State = detail::AsyncWaitState<std::decay_t<decltype(handler)>>;
        auto state = std::make_shared<State>(std::move(handler));
        op.on_settled([state](const Task& t) { state->complete({}, t); });
      },
      token, std::cref(op));
}

template <class CompletionToken>
auto async_next(Subscription& sub, CompletionToken&& token) {
  return boost::asio::async_initiate<CompletionToken, void(boost::system::error_code, Event)>(
      [](auto handler, Subscription& sub) {
        using State = detail::AsyncWaitState<std::decay_t<decltype(handler)>, Event>;
        auto state = std::make_shared<State>(std::move(handler));
        sub.on_next([state](const Event& e) { state->complete({}, e); });
      },
      token, std::ref(sub));
}

}  // namespace mockcloud
