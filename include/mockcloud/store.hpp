// Durable state: where a ResourceManager keeps the history of its changes.
//
// A store keeps a journal, not tables: every accepted change (a creation, a deletion, an attach,
// a completion, a settings change, ...) is one record of what it decided (ids, due times, draws,
// IPs, results), appended under the manager's lock in the order it happened. On open, the manager
// applies the journal again, drawing and validating nothing, and reschedules the operations still
// in flight; completions whose due time passed while nothing ran fire at once, in due order. A
// change and all it implies (a VM and its IP, a task and its resource) are one record, so they are
// on disk together or not at all.
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
#include <string_view>
#include <vector>

namespace mockcloud {

/// A store that cannot be opened or written: a foreign file, a newer schema, a lock held by
/// another process, a full disk. The message is one line, fit to show a user.
class StoreError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// The record format the manager writes: 1 was a journal of commands, 2 is a journal of
/// outcomes. A journal of format 1 is migrated when opened.
inline constexpr int kJournalFormat = 2;

class JournalFollower;

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
  /// Returns once every callback given to after_durable() before the call has run and been
  /// destroyed (what they hold is released): for an owner about to go away.
  virtual void wait_callbacks() {}

  /// The format of the records it holds: kJournalFormat, or an older one that the manager
  /// migrates on open (replaying it, then rewrite()).
  virtual int journal_format() const { return kJournalFormat; }
  /// Replaces every record with `records`, at once or not at all, and marks the journal as of
  /// the current format. Called once, on open, before any append.
  virtual void rewrite(std::vector<Record> records) {
    (void)records;
    throw StoreError("this store cannot migrate an older journal");
  }

  // ---- a journal that several processes write (PostgreSQL) ----
  // The journal's order is the cloud's order. A process writes only while it holds the
  // journal's head (a turn), after applying every record the others wrote before; it reads
  // after applying what they committed. A store that only one process uses keeps the defaults.

  /// Whether other processes may write this journal.
  virtual bool shared() const noexcept { return false; }
  /// The manager that applies what the others write; set once, after replay(), and cleared
  /// (nullptr) before the manager goes away.
  virtual void follow(JournalFollower* follower) { (void)follower; }
  /// Returns once this process holds the head, every record the others wrote applied: a turn,
  /// whose number it returns. Pair with end_write(). Throws StoreError when the database is
  /// unreachable.
  virtual std::uint64_t begin_write() { return 0; }
  /// Whether turn `turn` still holds; called under the manager's lock, which ending a turn takes.
  virtual bool holds(std::uint64_t turn) const {
    (void)turn;
    return true;
  }
  virtual void end_write() {}
  /// Applies what the others committed since the last call (nothing while this process holds
  /// the head). Throws StoreError when the database is unreachable.
  virtual void catch_up() {}
  /// Whether a read must first apply what the others committed (this process does not hold
  /// the head): then a server calls catch_up_async() rather than block a thread on it.
  virtual bool needs_catch_up() const { return false; }
  /// Calls `done` (on a thread of the store's) once a catch-up that started after this call
  /// has ended, with or without success (a read then fails on its own). Concurrent callers share
  /// one round trip.
  virtual void catch_up_async(std::function<void()> done) { done(); }
  /// Whether a write would wait for the head now (another process holds it): then a server
  /// calls wait_head_async() rather than block a thread in begin_write().
  virtual bool needs_head() const { return false; }
  /// Calls `done` (on a thread of the store's) once this process holds the head, with an empty
  /// string; or at once when the store cannot take it (the write then fails on its own); or,
  /// with why, when another process kept it past the time a write waits for it.
  virtual void wait_head_async(std::function<void(std::string)> done) { done({}); }
  /// Whether this process fires the timers of a real clock: one process of the cloud at a time
  /// does (a virtual clock's timers fire in the process that advances it).
  virtual bool timer_duty() const { return true; }
  /// Why the store cannot be used now (the database is unreachable), or empty.
  virtual std::string unavailable() const { return {}; }
};

/// What a manager gives a store that several processes share (Store::shared()), so that the
/// store can hand it what the other processes wrote.
class JournalFollower {
 public:
  virtual ~JournalFollower() = default;
  /// The sequence number of the last record applied.
  virtual std::uint64_t applied_seq() = 0;
  struct Numbered {
    std::uint64_t seq = 0;
    Store::Record record;
  };
  /// Applies records that other processes wrote, in seq order, skipping those already applied.
  /// Returns what to run next, without a lock of the store's and, on the store's writer, once
  /// its turn is open: the callbacks of operations they settled and the event delivery, which
  /// may call the manager again. Throws StoreError on a record it cannot apply.
  virtual std::function<void()> apply_remote(const std::vector<Numbered>& records) = 0;
  /// Runs `fn` under the manager's lock: while it runs, nothing is appended.
  virtual void locked(const std::function<void()>& fn) = 0;
  /// The journal lost records this process had applied (a commit failed): the manager applies
  /// the whole journal again before its next read or write.
  virtual void diverged() = 0;
  /// Fire what is due: this process took the timer duty (Store::timer_duty()), or the
  /// database is reachable again.
  virtual void wake_timers() = 0;
};

/// A SQLite database `mockcloud.db` in `dir` (created if missing), in WAL mode, with group
/// commits. Holds an exclusive lock on `dir` while open: a second process is refused.
/// Throws StoreError on a file that is not a mockcloud database or has a newer schema.
std::unique_ptr<Store> open_sqlite_store(const std::filesystem::path& dir);

/// The schema version that open_sqlite_store writes; older ones are migrated on open.
/// 3 holds a journal of outcomes (kJournalFormat 2); 1 and 2 held journals of commands.
inline constexpr int kSqliteSchemaVersion = 3;

/// A PostgreSQL database (`postgresql://user:password@host:port/db`, or any libpq connection
/// string) holding the journal in two tables, mockcloud_meta and mockcloud_journal, created on
/// first open, written in group commits. Any number of processes may open the same database:
/// they are one cloud (see the shared-journal calls of Store). Throws StoreError when it cannot
/// connect, on a database with tables that are not mockcloud's, or a newer schema.
std::unique_ptr<Store> open_postgres_store(const std::string& url);

/// The schema version that open_postgres_store writes (mockcloud_meta's schema_version).
inline constexpr int kPostgresSchemaVersion = 1;

/// `url` without its password (postgresql://user:secret@host/db → postgresql://user@host/db),
/// fit for a log line or an error message.
std::string redact_database_url(std::string_view url);

}  // namespace mockcloud
