// PostgreSQL for the journal store (postgres_db.hpp): libpq calls, the schema, the rows.
#include "postgres_db.hpp"

#include <algorithm>
#include <array>
#include <string_view>

#include <fmt/format.h>

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

namespace pg {

std::string first_line(const char* text) {
  std::string s = text ? text : "";
  if (const auto nl = s.find('\n'); nl != std::string::npos) s.resize(nl);
  return s;
}

namespace {
constexpr std::string_view kApplication = "mockcloud";
// pg_advisory_xact_lock's key ("MCLD" and 4; postgres_store.hpp has the others): creating or
// checking the schema, so that servers starting together on a new database create it once.
constexpr long long kSchemaLock = (0x4d434c44LL << 32) | 4;
// 4 parameters a row; PostgreSQL takes at most 65535 parameters a statement.
constexpr std::size_t kRowsPerInsert = 1000;

PGconn* connect(const std::string& url) {
  // The URL's own settings win over these defaults (expand_dbname: later ones override).
  // A wait for the journal's head gives up after lock_timeout and asks again, so that the
  // writer thread notices a stop or a lost connection.
  const char* keys[] = {"connect_timeout", "application_name", "options", "dbname", nullptr};
  const char* values[] = {"5", "mockcloud", "-c lock_timeout=200ms", url.c_str(), nullptr};
  return PQconnectdbParams(keys, values, /*expand_dbname*/ 1);
}

/// INSERTs records [begin, end) of `batch`: seq and at as int8, kind as text, body as bytea,
/// all binary parameters.
void insert_rows(Connection& db, const std::deque<Store::Record>& batch, std::size_t begin,
                 std::size_t end, std::uint64_t first_seq) {
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
  db.exec(sql.c_str(), values, lengths, formats);
}

}  // namespace

Connection::Connection(const std::string& url) : conn_(connect(url)) {
  if (conn_ == nullptr) throw StoreError("cannot connect to PostgreSQL: out of memory");
  if (PQstatus(conn_) != CONNECTION_OK) {
    auto msg = fmt::format("cannot connect to database {}: {}", redact_database_url(url),
                           first_line(PQerrorMessage(conn_)));
    PQfinish(conn_);
    throw StoreError(msg);
  }
  where_ = fmt::format("database {} on {}:{}", PQdb(conn_), PQhost(conn_), PQport(conn_));
}

Connection::~Connection() {
  PQfinish(conn_);
}

Result Connection::exec(const char* sql, std::span<const char* const> values,
                        std::span<const int> lengths, std::span<const int> formats) {
  Result r(PQexecParams(conn_, sql, static_cast<int>(values.size()), nullptr, values.data(),
                        lengths.empty() ? nullptr : lengths.data(),
                        formats.empty() ? nullptr : formats.data(), /*binary results*/ 0),
           &PQclear);
  const auto status = r ? PQresultStatus(r.get()) : PGRES_FATAL_ERROR;
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK)
    throw StoreError(first_line(r ? PQresultErrorMessage(r.get()) : PQerrorMessage(conn_)));
  return r;
}

std::optional<std::string> Connection::scalar(const char* sql,
                                              std::span<const char* const> values) {
  auto r = exec(sql, values);
  if (PQntuples(r.get()) == 0 || PQgetisnull(r.get(), 0, 0)) return std::nullopt;
  return std::string(PQgetvalue(r.get(), 0, 0));
}

void Connection::rollback() {
  Result r(PQexec(conn_, "ROLLBACK"), &PQclear);  // an error here changes nothing
}

std::vector<JournalFollower::Numbered> read_after(Connection& db, std::uint64_t seq) {
  const auto from = std::to_string(seq);
  const char* values[] = {from.c_str()};
  Result r(PQexecParams(db.native(),
                        "SELECT seq, at, kind, body FROM mockcloud_journal WHERE seq > $1::int8"
                        " ORDER BY seq",
                        1, nullptr, values, nullptr, nullptr, /*binary results*/ 1),
           &PQclear);
  if (!r || PQresultStatus(r.get()) != PGRES_TUPLES_OK)
    throw StoreError(
        fmt::format("reading the journal of {} failed: {}", db.where(),
                    first_line(r ? PQresultErrorMessage(r.get()) : PQerrorMessage(db.native()))));
  auto int8 = [](const char* raw) {
    std::uint64_t v = 0;
    for (int b = 0; b < 8; ++b)  // network byte order
      v = (v << 8) | static_cast<unsigned char>(raw[b]);
    return v;
  };
  const int rows = PQntuples(r.get());
  std::vector<JournalFollower::Numbered> out(static_cast<std::size_t>(rows));
  for (int i = 0; i < rows; ++i) {
    auto& n = out[static_cast<std::size_t>(i)];
    n.seq = int8(PQgetvalue(r.get(), i, 0));
    n.record.at = static_cast<std::int64_t>(int8(PQgetvalue(r.get(), i, 1)));
    n.record.kind.assign(PQgetvalue(r.get(), i, 2), PQgetlength(r.get(), i, 2));
    n.record.body.assign(PQgetvalue(r.get(), i, 3), PQgetlength(r.get(), i, 3));
    n.record.truncates = n.record.kind == "reset";
  }
  return out;
}

int create_or_check(Connection& db) {
  db.exec("BEGIN");
  try {
    // Servers starting together on a new database: one creates the schema, the others wait
    // for it and find it.
    db.exec(fmt::format("SELECT pg_advisory_xact_lock({})", kSchemaLock).c_str());
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

std::uint64_t head(Connection& db) {
  return std::stoull(
      db.scalar("SELECT coalesce(max(seq), 0) FROM mockcloud_journal").value_or("0"));
}

std::optional<std::string> schema_version(Connection& db) {
  return db.scalar("SELECT value FROM mockcloud_meta WHERE key = 'schema_version'");
}

void write_journal(Connection& db, const std::deque<Store::Record>& batch, std::uint64_t first_seq,
                   bool replace) {
  // A record that truncates drops all before it, those of this batch too: start at the last.
  std::size_t from = 0;
  for (std::size_t i = 0; i < batch.size(); ++i)
    if (batch[i].truncates) from = i;
  const bool truncate = !batch.empty() && batch[from].truncates;
  try {
    db.exec("BEGIN");
    if (replace) {
      db.exec("DELETE FROM mockcloud_journal");
    } else if (truncate) {
      const auto keep = std::to_string(first_seq + from);
      const char* values[] = {keep.c_str()};
      db.exec("DELETE FROM mockcloud_journal WHERE seq < $1", values);
    }
    for (std::size_t i = from; i < batch.size(); i += kRowsPerInsert)
      insert_rows(db, batch, i, std::min(batch.size(), i + kRowsPerInsert), first_seq);
    db.exec("COMMIT");
  } catch (const StoreError& e) {
    db.rollback();
    throw StoreError(fmt::format("{}: {}", db.where(), e.what()));
  }
}

}  // namespace pg
}  // namespace mockcloud
