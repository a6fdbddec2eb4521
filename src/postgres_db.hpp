// PostgreSQL for the journal store: a libpq connection, the schema, and the journal's rows.
// What several processes do with them (turns of the head, catch-ups) is postgres_store.cpp's and
// postgres_head.cpp's.
#pragma once

#include <libpq-fe.h>

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "mockcloud/store.hpp"

namespace mockcloud::pg {

using Result = std::unique_ptr<PGresult, decltype(&PQclear)>;

/// The first line of a libpq message.
std::string first_line(const char* text);

class Connection {
 public:
  /// Connects (a 5 s connect_timeout and a 200 ms lock_timeout unless the URL says otherwise);
  /// throws StoreError naming the database without its password.
  explicit Connection(const std::string& url);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  PGconn* native() { return conn_; }
  bool broken() const { return PQstatus(conn_) == CONNECTION_BAD; }
  /// "database mockcloud on 127.0.0.1:5432", for messages.
  const std::string& where() const { return where_; }

  /// Runs `sql` with text or binary parameters (nullptr lengths: text); throws StoreError.
  Result exec(const char* sql, std::span<const char* const> values = {},
              std::span<const int> lengths = {}, std::span<const int> formats = {});
  /// The first column of the first row of `sql`, or nullopt without a row or for NULL.
  std::optional<std::string> scalar(const char* sql, std::span<const char* const> values = {});
  void rollback();

 private:
  PGconn* conn_;
  std::string where_;
};

/// Creates the schema in a database without tables, or checks the one there; returns its
/// version. A database with other tables, or mockcloud's of a newer version, is left untouched.
int create_or_check(Connection& db);
/// The schema version the database says it has now.
std::optional<std::string> schema_version(Connection& db);
/// The last seq in the journal (0 when empty).
std::uint64_t head(Connection& db);
/// The records after `seq`, oldest first, numbered.
std::vector<JournalFollower::Numbered> read_after(Connection& db, std::uint64_t seq);
/// One transaction: the records of `batch` as `first_seq`, `first_seq + 1`, ... (after deleting
/// every record when `replace`; a record that truncates drops those before it).
void write_journal(Connection& db, const std::deque<Store::Record>& batch, std::uint64_t first_seq,
                   bool replace);

}  // namespace mockcloud::pg
