// The PostgreSQL journal: the same table of records as SQLite's, in a database that one server
// holds (a session advisory lock) and writes in group commits on one connection (libpq).
#include <libpq-fe.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <deque>
#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "journal_writer.hpp"
#include "mockcloud/store.hpp"

namespace mockcloud {

std::string redact_database_url(std::string_view url) {
  std::string out(url);
  // postgresql://user:password@host/...: drop ":password".
  if (const auto scheme = out.find("://"); scheme != std::string::npos) {
    const auto authority_end = std::min(out.find_first_of("/?", scheme + 3), out.size());
    const auto at = out.rfind('@', authority_end);
    const auto colon = out.find(':', scheme + 3);
    if (at != std::string::npos && at > scheme + 3 && colon < at) out.erase(colon, at - colon);
  }
  // ...?password=secret&...: the value goes.
  for (auto pos = out.find("password="); pos != std::string::npos;
       pos = out.find("password=", pos + 1)) {
    if (pos > 0 && out[pos - 1] != '?' && out[pos - 1] != '&' && out[pos - 1] != ' ') continue;
    const auto value = pos + 9;
    out.replace(value, out.find_first_of("& ", value) - value, "***");
  }
  return out;
}

namespace {

// pg_try_advisory_lock's key: "MCLD" in the high half, the store's purpose (1: the one writer of
// a database) in the low half.
constexpr long long kWriterLockKey = (0x4d434c44LL << 32) | 1;
constexpr std::string_view kApplication = "mockcloud";

using Result = std::unique_ptr<PGresult, decltype(&PQclear)>;

std::string first_line(const char* text) {
  std::string s = text ? text : "";
  if (const auto nl = s.find('\n'); nl != std::string::npos) s.resize(nl);
  return s;
}

class Connection {
 public:
  explicit Connection(const std::string& url) : conn_(PQconnectdb(url.c_str())) {
    if (conn_ == nullptr) throw StoreError("cannot connect to PostgreSQL: out of memory");
    if (PQstatus(conn_) != CONNECTION_OK) {
      auto msg = fmt::format("cannot connect to database {}: {}", redact_database_url(url),
                             first_line(PQerrorMessage(conn_)));
      PQfinish(conn_);
      throw StoreError(msg);
    }
    where_ = fmt::format("database {} on {}:{}", PQdb(conn_), PQhost(conn_), PQport(conn_));
  }
  ~Connection() { PQfinish(conn_); }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  PGconn* native() { return conn_; }
  /// "database mockcloud on 127.0.0.1:5432", for messages.
  const std::string& where() const { return where_; }

  /// Runs `sql` with text or binary parameters (nullptr lengths: text); throws StoreError.
  Result exec(const char* sql, std::span<const char* const> values = {},
              std::span<const int> lengths = {}, std::span<const int> formats = {}) {
    Result r(PQexecParams(conn_, sql, static_cast<int>(values.size()), nullptr, values.data(),
                          lengths.empty() ? nullptr : lengths.data(),
                          formats.empty() ? nullptr : formats.data(), /*binary results*/ 0),
             &PQclear);
    const auto status = r ? PQresultStatus(r.get()) : PGRES_FATAL_ERROR;
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK)
      throw StoreError(first_line(r ? PQresultErrorMessage(r.get()) : PQerrorMessage(conn_)));
    return r;
  }
  /// The first column of the first row of `sql`, or nullopt without a row or for NULL.
  std::optional<std::string> scalar(const char* sql, std::span<const char* const> values = {}) {
    auto r = exec(sql, values);
    if (PQntuples(r.get()) == 0 || PQgetisnull(r.get(), 0, 0)) return std::nullopt;
    return std::string(PQgetvalue(r.get(), 0, 0));
  }
  void rollback() {
    Result r(PQexec(conn_, "ROLLBACK"), &PQclear);  // an error here changes nothing
  }

 private:
  PGconn* conn_;
  std::string where_;
};

/// Creates the schema in a database without tables, or checks the one there; returns its
/// version. A database with other tables, or mockcloud's of a newer version, is left untouched.
int create_or_check(Connection& db) {
  db.exec("BEGIN");
  try {
    const bool has_meta = db.scalar("SELECT to_regclass('mockcloud_meta') IS NOT NULL") == "t";
    if (!has_meta) {
      const auto other = db.scalar(
          "SELECT string_agg(tablename, ', ' ORDER BY tablename) FROM pg_tables"
          " WHERE schemaname = current_schema()");
      if (other)
        throw StoreError(
            fmt::format("{} has tables that are not mockcloud's ({}); refusing to touch it",
                        db.where(), other->size() > 80 ? other->substr(0, 77) + "..." : *other));
      db.exec("CREATE TABLE mockcloud_meta(key text PRIMARY KEY, value text NOT NULL)");
      db.exec(
          "CREATE TABLE mockcloud_journal(seq bigint PRIMARY KEY, at bigint NOT NULL,"
          " kind text NOT NULL, body bytea NOT NULL)");
      const auto version = std::to_string(kPostgresSchemaVersion);
      const char* values[] = {kApplication.data(), version.c_str()};
      db.exec(
          "INSERT INTO mockcloud_meta(key, value) VALUES ('application', $1),"
          " ('schema_version', $2)",
          values);
      db.exec("COMMIT");
      return kPostgresSchemaVersion;
    }
    const auto app = db.scalar("SELECT value FROM mockcloud_meta WHERE key = 'application'");
    if (app != kApplication)
      throw StoreError(
          fmt::format("{} has a mockcloud_meta table that is not mockcloud's; refusing to touch it",
                      db.where()));
    const auto text = db.scalar("SELECT value FROM mockcloud_meta WHERE key = 'schema_version'");
    int version = 0;
    try {
      version = std::stoi(text.value_or(""));
    } catch (const std::exception&) {
      throw StoreError(
          fmt::format("{} has an unreadable schema version \"{}\"", db.where(), text.value_or("")));
    }
    if (version > kPostgresSchemaVersion)
      throw StoreError(fmt::format(
          "{} has schema version {}, newer than this mockcloud's {}; use a newer mockcloud",
          db.where(), version, kPostgresSchemaVersion));
    if (version != kPostgresSchemaVersion)
      throw StoreError(fmt::format("{} has an unknown schema version {}", db.where(), version));
    db.exec("COMMIT");
    return version;
  } catch (const StoreError&) {
    db.rollback();
    throw;
  }
}

class PostgresStore final : public GroupCommitStore {
 public:
  explicit PostgresStore(const std::string& url) : db_(url) {
    // The lock first: a second server is refused before it reads or creates anything.
    if (db_.scalar(fmt::format("SELECT pg_try_advisory_lock({})", kWriterLockKey).c_str()) != "t")
      throw StoreError(fmt::format(
          "{} is in use by another mockcloud server (several servers on one database are not "
          "supported yet)",
          db_.where()));
    create_or_check(db_);
    start_writer(std::stoull(
        db_.scalar("SELECT coalesce(max(seq), 0) FROM mockcloud_journal").value_or("0")));
  }

  ~PostgresStore() override { stop_writer(); }  // the connection's end releases the lock

  void replay(const std::function<void(const Record&)>& fn) override {
    // One query; the journal is read whole (as the manager holds all of it in memory anyway).
    Result r(PQexecParams(raw(), "SELECT at, kind, body FROM mockcloud_journal ORDER BY seq", 0,
                          nullptr, nullptr, nullptr, nullptr, /*binary results*/ 1),
             &PQclear);
    if (!r || PQresultStatus(r.get()) != PGRES_TUPLES_OK)
      throw StoreError(fmt::format("reading the journal of {} failed: {}", db_.where(),
                                   first_line(PQresultErrorMessage(r.get()))));
    const int rows = PQntuples(r.get());
    for (int i = 0; i < rows; ++i) {
      Record rec;
      std::uint64_t at = 0;
      const char* raw_at = PQgetvalue(r.get(), i, 0);
      for (int b = 0; b < 8; ++b)  // int8 in network byte order
        at = (at << 8) | static_cast<unsigned char>(raw_at[b]);
      rec.at = static_cast<std::int64_t>(at);
      rec.kind.assign(PQgetvalue(r.get(), i, 1), PQgetlength(r.get(), i, 1));
      rec.body.assign(PQgetvalue(r.get(), i, 2), PQgetlength(r.get(), i, 2));
      fn(rec);
    }
  }

  void rewrite(std::vector<Record> records) override {
    // The journal format has been 2 since the first schema: nothing to migrate yet, but a
    // rewrite works as the SQLite store's does.
    replace_all([&] {
      const std::deque<Record> all(std::make_move_iterator(records.begin()),
                                   std::make_move_iterator(records.end()));
      write(all, 1, /*replace*/ true);
      return static_cast<std::uint64_t>(all.size());
    });
  }

 private:
  PGconn* raw() { return db_.native(); }

  void commit(const std::deque<Record>& batch, std::uint64_t first_seq) override {
    write(batch, first_seq, false);
  }

  /// One transaction: the records of `batch` from `first_seq` on (after deleting every record
  /// when `replace`), in multi-row INSERTs of binary parameters.
  void write(const std::deque<Record>& batch, std::uint64_t first_seq, bool replace) {
    // A record that truncates drops all before it, those of this batch too: start at the last.
    std::size_t from = 0;
    for (std::size_t i = 0; i < batch.size(); ++i)
      if (batch[i].truncates) from = i;
    const bool truncate = !batch.empty() && batch[from].truncates;
    try {
      db_.exec("BEGIN");
      if (replace) {
        db_.exec("DELETE FROM mockcloud_journal");
      } else if (truncate) {
        const auto keep = std::to_string(first_seq + from);
        const char* values[] = {keep.c_str()};
        db_.exec("DELETE FROM mockcloud_journal WHERE seq < $1", values);
      }
      for (std::size_t i = from; i < batch.size(); i += kRowsPerInsert)
        insert(batch, i, std::min(batch.size(), i + kRowsPerInsert), first_seq);
      db_.exec("COMMIT");
    } catch (const StoreError& e) {
      db_.rollback();
      throw StoreError(fmt::format("{}: {}", db_.where(), e.what()));
    }
  }

  /// INSERTs records [begin, end) of `batch`: seq and at as int8, kind as text, body as bytea,
  /// all binary parameters.
  void insert(const std::deque<Record>& batch, std::size_t begin, std::size_t end,
              std::uint64_t first_seq) {
    std::string sql = "INSERT INTO mockcloud_journal(seq, at, kind, body) VALUES ";
    const std::size_t n = end - begin;
    std::vector<std::array<char, 16>> ints(n);  // seq, at in network byte order
    std::vector<const char*> values;
    std::vector<int> lengths, formats;
    values.reserve(4 * n);
    lengths.reserve(4 * n);
    formats.assign(4 * n, 1);
    for (std::size_t k = 0; k < n; ++k) {
      const auto& r = batch[begin + k];
      const std::uint64_t seq = first_seq + begin + k, at = static_cast<std::uint64_t>(r.at);
      for (int b = 0; b < 8; ++b) {
        ints[k][b] = static_cast<char>(seq >> (56 - 8 * b));
        ints[k][8 + b] = static_cast<char>(at >> (56 - 8 * b));
      }
      const std::size_t p = 4 * k;
      sql += fmt::format("{}(${}::int8, ${}::int8, ${}::text, ${}::bytea)", k ? ", " : "", p + 1,
                         p + 2, p + 3, p + 4);
      values.insert(values.end(), {ints[k].data(), ints[k].data() + 8, r.kind.data(),
                                   r.body.empty() ? "" : r.body.data()});
      lengths.insert(lengths.end(),
                     {8, 8, static_cast<int>(r.kind.size()), static_cast<int>(r.body.size())});
    }
    db_.exec(sql.c_str(), values, lengths, formats);
  }

  // 4 parameters a row; PostgreSQL takes at most 65535 parameters a statement.
  static constexpr std::size_t kRowsPerInsert = 1000;

  Connection db_;
};

}  // namespace

std::unique_ptr<Store> open_postgres_store(const std::string& url) {
  return std::make_unique<PostgresStore>(url);
}

}  // namespace mockcloud
