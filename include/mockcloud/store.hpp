// Durable state: where a ResourceManager keeps the history of its changes.
//
// The manager is deterministic: the same seed and the same changes at the same times give the
// same state. So a store keeps a journal, not tables: every accepted change (a creation, a
// deletion, an attach, a completion that fired, a settings change, ...) is one record, appended
// under the manager's lock in the order it happened. On open, the manager replays the journal and
// reschedules the operations still in flight; completions whose due time passed while nothing
// ran fire at once, in due order. A change and all it implies (a VM and its IP, a task and its
// resource) are one record, so they are on disk together or not at all.
//
// Durability: append() only queues; wait_durable(n) returns once record n is on disk. The
// manager waits before any public call returns, so nothing it acknowledged can be lost, and
// concurrent callers share one transaction (group commit).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>

namespace mockcloud {

/// A store that cannot be opened or written: a foreign file, a newer schema, a lock held by
/// another process, a full disk. The message is one line, fit to show a user.
class StoreError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class Store {
 public:
  struct Record {
    std::int64_t at = 0;     // the manager's clock, nanoseconds since the epoch
    std::string kind;        // "vm.create", "task.fire", "reset", ...
    std::string body;        // encoded by the manager; opaque to the store
    bool truncates = false;  // a reset: every earlier record may be dropped with it
  };

  virtual ~Store() = default;
  /// Calls `fn` with every record, oldest first.
  virtual void replay(const std::function<void(const Record&)>& fn) = 0;
  /// Queues a record; returns its sequence number (1, 2, ...). Never blocks on I/O.
  virtual std::uint64_t append(Record r) = 0;
  /// Returns once every record up to `seq` is durable; throws StoreError if writing failed.
  virtual void wait_durable(std::uint64_t seq) = 0;
  /// The last sequence number appended.
  virtual std::uint64_t last_appended() const = 0;
  /// Calls `callback(true)` once every record appended so far is durable (at once if they
  /// are), or `callback(false)` if writing failed; on the writer's thread or the caller's.
  virtual void after_durable(std::function<void(bool ok)> callback) = 0;
};

/// A SQLite database `mockcloud.db` in `dir` (created if missing), in WAL mode, with group
/// commits. Holds an exclusive lock on `dir` while open: a second process is refused.
/// Throws StoreError on a file that is not a mockcloud database or has a newer schema.
std::unique_ptr<Store> open_sqlite_store(const std::filesystem::path& dir);

/// The schema version that open_sqlite_store writes; older ones are migrated on open.
inline constexpr int kSqliteSchemaVersion = 2;

}  // namespace mockcloud
