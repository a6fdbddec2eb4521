// Asio completion tokens for Operations: callbacks, use_future and C++20 coroutines.
//
//   mockcloud::async_wait(op, [](boost::system::error_code ec, mockcloud::Task t) { ... });
//   std::future<mockcloud::Task> f = mockcloud::async_wait(op, boost::asio::use_future);
//   mockcloud::Task t = co_await mockcloud::async_wait(op, boost::asio::use_awaitable);
//
// The handler runs on its associated executor (the system executor when it has none) once the
// operation's task settles; if the manager is reset or destroyed first, it gets
// boost::asio::error::operation_aborted. Under a VirtualClock nothing completes until the clock
// is advanced. This header includes Asio; the rest of the library does not.
#pragma once

#include <memory>
#include <utility>

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/post.hpp>
#include <boost/system/error_code.hpp>

#include "mockcloud/operation.hpp"

namespace mockcloud {

namespace detail {

// Owns the handler until the task settles; delivers operation_aborted if it never does.
template <class Handler>
class AsyncWaitState {
 public:
  explicit AsyncWaitState(Handler h) : handler_(std::move(h)) {}
  AsyncWaitState(const AsyncWaitState&) = delete;
  AsyncWaitState& operator=(const AsyncWaitState&) = delete;
  ~AsyncWaitState() {
    if (!done_) complete(boost::asio::error::operation_aborted, Task{});
  }
  void complete(boost::system::error_code ec, Task t) {
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

}  // namespace mockcloud
