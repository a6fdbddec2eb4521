// The SQLite journal: one table of records, written by one thread in group commits.
#include <fcntl.h>
#include <sqlite3.h>
#include <sys/file.h>
#include <unistd.h>
#include <memory>

#include <chrono>
#include <deque>
#include <vector>

#include <fmt/format.h>

#include "journal_writer.hpp"
#include "mockcloud/store.hpp"

namespace mockcloud {
namespace {

constexpr int kApplicationId = 0x4d434c44;  // "MCLD"

class Db {
 public:
  explicit Db(const std::filesystem::path& file) {
    if (sqlite3_open_v2(file.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) !=
        SQLITE_OK) {
      std::string msg = db_ ? sqlite3_errmsg(db_) : "out of memory";
      sqlite3_close(db_);
      throw StoreError(fmt::format("cannot open {}: {}", file.string(), msg));
    }
    sqlite3_busy_timeout(db_, 5000);
  }
  ~Db() { sqlite3_close(db_); }
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;

  void exec(const char* sql) {
    char* err = nullptr;
    if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
      std::string msg = err ? err : sqlite3_errmsg(db_);
      sqlite3_free(err);
      throw StoreError(msg);
    }
  }
  std::int64_t scalar(const char* sql) {
    sqlite3_stmt* st = prepare(sql);
    std::int64_t v = 0;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) throw StoreError(sqlite3_errmsg(db_));
    return v;
  }
  sqlite3_stmt* prepare(const char* sql) {
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(db_, sql, -1, &st, nullptr) != SQLITE_OK)
      throw StoreError(sqlite3_errmsg(db_));
    return st;
  }
  const char* errmsg() const { return sqlite3_errmsg(db_); }

 private:
  sqlite3* db_ = nullptr;
};

// Holds an exclusive advisory lock on the data directory for the life of the store.
class DirLock {
 public:
  explicit DirLock(const std::filesystem::path& dir) {
    const auto file = dir / "mockcloud.lock";
    fd_ = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0) throw StoreError(fmt::format("cannot open {}", file.string()));
    if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
      char pid[32] = {};
      ssize_t n = ::pread(fd_, pid, sizeof pid - 1, 0);
      ::close(fd_);
      throw StoreError(fmt::format("data dir {} is in use by another mockcloud process{}",
                                   dir.string(),
                                   n > 0 ? fmt::format(" (pid {})", std::string(pid, n)) : ""));
    }
    auto me = std::to_string(::getpid());
    if (::ftruncate(fd_, 0) == 0 && ::pwrite(fd_, me.data(), me.size(), 0) < 0) {
      // The pid is only informative.
    }
  }
  ~DirLock() {
    ::flock(fd_, LOCK_UN);
    ::close(fd_);
  }
  DirLock(const DirLock&) = delete;
  DirLock& operator=(const DirLock&) = delete;

 private:
  int fd_ = -1;
};

/// Creates the schema in an empty file, or checks and migrates the layout of an existing one;
/// returns the schema version it then has (2 still holds a journal of commands, for the
/// manager to migrate with rewrite()).
int create_or_migrate(Db& db, const std::filesystem::path& file) {
  const auto app = db.scalar("PRAGMA application_id");
  const auto version = db.scalar("PRAGMA user_version");
  const auto tables = db.scalar("SELECT count(*) FROM sqlite_master");
  if (app == 0 && version == 0 && tables == 0) {
    db.exec(fmt::format("BEGIN;"
                        "CREATE TABLE events(seq INTEGER PRIMARY KEY, at INTEGER NOT NULL,"
                        " kind TEXT NOT NULL, body BLOB NOT NULL, wall_time INTEGER);"
                        "PRAGMA application_id = {};"
                        "PRAGMA user_version = {};"
                        "COMMIT;",
                        kApplicationId, kSqliteSchemaVersion)
                .c_str());
    return kSqliteSchemaVersion;
  }
  if (app != kApplicationId)
    throw StoreError(
        fmt::format("{} is not a mockcloud database; refusing to touch it", file.string()));
  if (version > kSqliteSchemaVersion)
    throw StoreError(fmt::format(
        "{} has schema version {}, newer than this mockcloud's {}; use a newer mockcloud",
        file.string(), version, kSqliteSchemaVersion));
  if (version == 1) {
    // Version 1 called the table `journal` and did not record when a record was written.
    db.exec(
        "BEGIN;"
        "ALTER TABLE journal RENAME TO events;"
        "ALTER TABLE events ADD COLUMN wall_time INTEGER;"
        "PRAGMA user_version = 2;"  // the version this step migrates to, not the latest
        "COMMIT;");
    return 2;
  }
  if (version != 2 && version != kSqliteSchemaVersion)
    throw StoreError(fmt::format("{} has an unknown schema version {}", file.string(), version));
  return static_cast<int>(version);
}

class SqliteStore final : public GroupCommitStore {
 public:
  explicit SqliteStore(const std::filesystem::path& dir)
      : lock_(prepare_dir(dir)), db_(dir / "mockcloud.db") {
    try {
      schema_ =
          create_or_migrate(db_, dir / "mockcloud.db");  // first: a foreign file stays untouched
      db_.exec("PRAGMA journal_mode = WAL");
      db_.exec("PRAGMA synchronous = FULL");
    } catch (const StoreError& e) {
      const auto file = (dir / "mockcloud.db").string();
      if (std::string_view(e.what()).find(file) != std::string_view::npos) throw;
      if (std::string_view(e.what()) == "file is not a database")
        throw StoreError(
            fmt::format("{} is not a mockcloud database (not SQLite); refusing to touch it", file));
      throw StoreError(fmt::format("{}: {}", file, e.what()));
    }
    insert_ =
        db_.prepare("INSERT INTO events(seq, at, kind, body, wall_time) VALUES (?, ?, ?, ?, ?)");
    truncate_ = db_.prepare("DELETE FROM events WHERE seq < ?");
    start_writer(
        static_cast<std::uint64_t>(db_.scalar("SELECT coalesce(max(seq), 0) FROM events")));
  }

  ~SqliteStore() override {
    stop_writer();
    sqlite3_finalize(insert_);
    sqlite3_finalize(truncate_);
  }

  void replay(const std::function<void(const Record&)>& fn) override {
    // Finalized however the loop ends: `fn` throws on a record it cannot apply (a corrupt
    // journal, another cloud model), and an open statement keeps the database from closing.
    std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt*)> statement(
        db_.prepare("SELECT at, kind, body FROM events ORDER BY seq"), sqlite3_finalize);
    sqlite3_stmt* st = statement.get();
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
      Record r;
      r.at = sqlite3_column_int64(st, 0);
      r.kind = reinterpret_cast<const char*>(sqlite3_column_text(st, 1));
      auto* body = static_cast<const char*>(sqlite3_column_blob(st, 2));
      r.body.assign(body ? body : "", static_cast<std::size_t>(sqlite3_column_bytes(st, 2)));
      fn(r);
    }
    statement.reset();
    if (rc != SQLITE_DONE) throw StoreError(db_.errmsg());
  }

  int journal_format() const override { return schema_ >= 3 ? kJournalFormat : 1; }

  void rewrite(std::vector<Record> records) override {
    replace_all([&] {
      const auto wall = std::chrono::system_clock::now().time_since_epoch().count();
      try {
        db_.exec("BEGIN IMMEDIATE; DELETE FROM events;");
        std::uint64_t seq = 0;
        for (const auto& r : records)
          bind_and_step(insert_, ++seq, r, wall);
        db_.exec("PRAGMA user_version = 3; COMMIT;");
        schema_ = kSqliteSchemaVersion;
        return seq;
      } catch (const StoreError&) {
        rollback();
        throw;
      }
    });
  }

 private:
  static const std::filesystem::path& prepare_dir(const std::filesystem::path& dir) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec)
      throw StoreError(fmt::format("cannot create data dir {}: {}", dir.string(), ec.message()));
    return dir;
  }

  void commit(const std::deque<Record>& batch, std::uint64_t seq) override {
    const auto wall = std::chrono::system_clock::now().time_since_epoch().count();
    try {
      db_.exec("BEGIN IMMEDIATE");
      for (const auto& r : batch) {
        if (r.truncates) {
          sqlite3_bind_int64(truncate_, 1, static_cast<sqlite3_int64>(seq));
          step(truncate_);
        }
        bind_and_step(insert_, seq++, r, wall);
      }
      db_.exec("COMMIT");
    } catch (const StoreError&) {
      rollback();
      throw;
    }
  }

  void rollback() {
    try {
      db_.exec("ROLLBACK");
    } catch (const StoreError&) {
    }
  }

  void bind_and_step(sqlite3_stmt* insert, std::uint64_t seq, const Record& r, std::int64_t wall) {
    sqlite3_bind_int64(insert, 1, static_cast<sqlite3_int64>(seq));
    sqlite3_bind_int64(insert, 2, r.at);
    sqlite3_bind_text(insert, 3, r.kind.data(), static_cast<int>(r.kind.size()), SQLITE_STATIC);
    sqlite3_bind_blob(insert, 4, r.body.data(), static_cast<int>(r.body.size()), SQLITE_STATIC);
    sqlite3_bind_int64(insert, 5, wall);
    step(insert);
  }

  void step(sqlite3_stmt* st) {
    const int rc = sqlite3_step(st);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    if (rc != SQLITE_DONE) throw StoreError(db_.errmsg());
  }

  DirLock lock_;
  Db db_;
  int schema_ = kSqliteSchemaVersion;
  sqlite3_stmt* insert_ = nullptr;
  sqlite3_stmt* truncate_ = nullptr;
};

}  // namespace

std::unique_ptr<Store> open_sqlite_store(const std::filesystem::path& dir) {
  return std::make_unique<SqliteStore>(dir);
}

}  // namespace mockcloud
