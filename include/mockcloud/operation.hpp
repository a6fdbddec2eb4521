// The handle of an asynchronous operation (create or delete of a VM or a volume).
//
// The operation is accepted at once: resource() is the resource as it was then (status
// `creating` or `deleting`; `pending` under a CloudModel with a pending stage, a creation that
// has not settled either). Its task settles later, when the clock reaches the due time:
//  - wait() returns the settled Task. Under a SystemClock it blocks; under a VirtualClock it
//    never waits on real time and throws mockcloud::Exception (ErrorKind::not_settled) when the
//    clock has not reached the due time yet: advance the clock first.
//  - get() waits likewise, then returns the resource as it is now (running with an IP, error
//    with a reason, ...); it throws (ErrorKind::not_found) when the resource is gone, as after a
//    completed delete.
//  - on_settled(cb) calls cb(task) once settled (at once if it already is), on the thread that
//    settles it; future() gives a std::future<Task>. For Asio completion tokens (callbacks,
//    use_future, coroutines) see mockcloud/asio.hpp.
// An Operation stays valid after its ResourceManager is destroyed or reset; waiting then throws
// ErrorKind::cancelled.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <string>

#include "mockcloud/error.hpp"
#include "mockcloud/resources.hpp"

namespace mockcloud {

namespace detail {
class Core;
}

class OperationBase {
 public:
  const std::string& task_id() const noexcept { return task_id_; }
  bool ready() const;
  Task wait() const;
  /// The settled task, or nullopt if it did not settle within `timeout` (system clock), or is
  /// not settled (virtual clock: returns at once).
  std::optional<Task> wait_for(std::chrono::milliseconds timeout) const;
  void on_settled(std::function<void(const Task&)> callback) const;
  std::future<Task> future() const;

 protected:
  OperationBase(std::shared_ptr<detail::Core> core, std::uint32_t task_slot, std::uint64_t epoch,
                std::string task_id)
      : core_(std::move(core)), slot_(task_slot), epoch_(epoch), task_id_(std::move(task_id)) {}
  std::shared_ptr<detail::Core> core_;
  std::uint32_t slot_;
  std::uint64_t epoch_;
  std::string task_id_;
};

template <class T>
class Operation : public OperationBase {
 public:
  Operation(std::shared_ptr<detail::Core> core, std::uint32_t task_slot, std::uint64_t epoch,
            T resource)
      : OperationBase(std::move(core), task_slot, epoch, resource.task_id),
        resource_(std::move(resource)) {}

  const T& resource() const noexcept { return resource_; }
  const std::string& id() const noexcept { return resource_.id; }
  T get() const;

 private:
  T resource_;
};

extern template class Operation<Vm>;
extern template class Operation<Volume>;

}  // namespace mockcloud
