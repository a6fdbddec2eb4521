// Completion tokens of mockcloud/asio.hpp: callbacks, use_future, coroutines.
#include <doctest/doctest.h>

#include <chrono>
#include <optional>

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>

#include "mockcloud/asio.hpp"
#include "mockcloud/manager.hpp"

using namespace std::chrono_literals;
namespace asio = boost::asio;

namespace {
struct Cloud {
  mockcloud::VirtualClock clock;
  mockcloud::ResourceManager cloud{{.seed = 42, .settings = {.worker_failure_rate = 0}}, clock};
  std::string env = cloud.create_environment({.name = "dev"}).value().id;
};
}  // namespace

TEST_CASE("async_wait with a callback bound to an io_context runs it there after the clock moves") {
  Cloud c;
  asio::io_context io;
  auto op = c.cloud.create_vm({.name = "web-1", .environment_id = c.env}).value();
  std::optional<mockcloud::Task> got;
  mockcloud::async_wait(
      op, asio::bind_executor(io, [&](boost::system::error_code ec, mockcloud::Task t) {
        CHECK_FALSE(ec);
        got = t;
      }));
  io.poll();
  CHECK_FALSE(got);  // nothing settles before the clock reaches the due time
  c.clock.advance(60s);
  io.restart();  // the first poll ran out of work and stopped the context
  io.poll();
  REQUIRE(got);
  CHECK(got->state == mockcloud::TaskState::success);
  CHECK(got->id == op.task_id());
}

TEST_CASE("async_wait with use_future") {
  Cloud c;
  auto op = c.cloud.create_volume({.name = "data", .environment_id = c.env}).value();
  std::future<mockcloud::Task> f = mockcloud::async_wait(op, asio::use_future);
  c.clock.advance(60s);
  REQUIRE(f.wait_for(5s) == std::future_status::ready);
  CHECK(f.get().kind == mockcloud::TaskKind::volume_create);
}

TEST_CASE("async_wait in a coroutine") {
  Cloud c;
  asio::io_context io;
  auto op = c.cloud.create_vm({.name = "web-1", .environment_id = c.env}).value();
  std::optional<mockcloud::TaskState> state;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        auto t = co_await mockcloud::async_wait(op, asio::use_awaitable);
        state = t.state;
      },
      asio::detached);
  io.poll();
  CHECK_FALSE(state);
  c.clock.advance(60s);
  io.restart();
  io.run_for(1s);
  REQUIRE(state);
  CHECK(*state == mockcloud::TaskState::success);
}

TEST_CASE("async_wait reports operation_aborted when the manager is reset first") {
  Cloud c;
  asio::io_context io;
  auto op = c.cloud.create_vm({.name = "web-1", .environment_id = c.env}).value();
  boost::system::error_code got;
  bool called = false;
  mockcloud::async_wait(op,
                        asio::bind_executor(io, [&](boost::system::error_code ec, mockcloud::Task) {
                          called = true;
                          got = ec;
                        }));
  c.cloud.reset();
  io.poll();
  REQUIRE(called);
  CHECK(got == asio::error::operation_aborted);
}
