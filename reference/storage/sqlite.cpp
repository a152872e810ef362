#include "reference/storage/sqlite.h"

#include <cerrno>
#include <cstring>

namespace outpost::storage::sqlite {

namespace {
constexpr int kBusyTimeoutMs = 5000;  // another process (a backup, the sqlite3 shell) may briefly hold the lock
}

Connection::Connection(const std::filesystem::path& path, Access access) : path_(path) {
  const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE;
  const int code = sqlite3_open_v2(path.c_str(), &db_, flags, nullptr);
  if (code != SQLITE_OK) {
    const std::string message = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(code);
    sqlite3_close(db_);
    db_ = nullptr;
    throw StorageError("cannot open SQLite database " + path.string() + ": " + message);
  }
  try {
    if (access == Access::Exclusive) {
      // Before WAL is entered: then SQLite keeps the WAL index in this process's memory and never locks per
      // statement. The lock is taken now, without waiting: a database another process holds is not ours to share.
      exec("PRAGMA locking_mode=EXCLUSIVE");
      const int code = sqlite3_exec(db_, "BEGIN EXCLUSIVE; COMMIT", nullptr, nullptr, nullptr);
      if ((code & 0xff) == SQLITE_BUSY || (code & 0xff) == SQLITE_LOCKED)
        throw StorageError("SQLite database " + path.string() +
                           " is in use by another process (another node on the same data directory?)");
      if (code != SQLITE_OK) fail("BEGIN EXCLUSIVE; COMMIT", code);
    }
    sqlite3_busy_timeout(db_, kBusyTimeoutMs);
    {
      // journal_mode answers with the mode in force; a filesystem without shared memory would silently keep "delete".
      Query mode = query("PRAGMA journal_mode=WAL");
      if (!mode.next() || mode.text(0) != "wal")
        throw StorageError("SQLite database " + path.string() + " cannot use write-ahead logging");
    }
    exec("PRAGMA synchronous=FULL");  // a commit is on disk when it returns, as the storage contract promises
    exec("PRAGMA foreign_keys=ON");
    {
      // A damaged database opened without complaint and /readyz said ready, then every request that touched the
      // damaged pages failed 500. quick_check reads every page once (a second for a database of some GB): the node
      // refuses to start instead, naming the file to restore.
      Query check = query("PRAGMA quick_check(1)");
      if (check.next() && check.text(0) != "ok")
        throw StorageError("SQLite database " + path.string() + " is damaged (" + check.text(0) +
                           "): restore it from a backup");
    }
  } catch (...) {
    close();  // the destructor does not run for a constructor that throws
    throw;
  }
}

Connection::~Connection() { close(); }

void Connection::close() noexcept {
  for (auto& [sql, statement] : statements_) sqlite3_finalize(statement);
  statements_.clear();
  sqlite3_close(db_);
  db_ = nullptr;
}

void Connection::fail(std::string_view sql, int code) const {
  std::string message = "SQLite error in " + path_.string() + " running `" + std::string(sql) +
                        "`: " + sqlite3_errmsg(db_) + " (" + sqlite3_errstr(code) + ")";
  const int error = sqlite3_system_errno(db_);
  if (error != 0 && (code & 0xff) == SQLITE_IOERR) message += ": " + std::string(std::strerror(error));
  // A full disk is SQLITE_FULL in the database, but an I/O error with ENOSPC when the log or its index cannot grow.
  if ((code & 0xff) == SQLITE_FULL || ((code & 0xff) == SQLITE_IOERR && (error == ENOSPC || error == EDQUOT)))
    throw OutOfSpace(message);
  throw StorageError(message);
}

void Connection::exec(std::string_view sql) {
  const std::string text(sql);
  const int code = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, nullptr);
  if (code != SQLITE_OK) fail(sql, code);
}

Query Connection::query(std::string_view sql) {
  auto it = statements_.find(sql);
  if (it == statements_.end()) {
    sqlite3_stmt* statement = nullptr;
    const int code =
        sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &statement, nullptr);
    if (code != SQLITE_OK) fail(sql, code);
    it = statements_.emplace(std::string(sql), statement).first;
  }
  return Query(*this, it->second);
}

int64_t Connection::changes() const { return sqlite3_changes64(db_); }

Query::~Query() {
  sqlite3_reset(statement_);
  sqlite3_clear_bindings(statement_);
}

Query& Query::bind(int index, std::string_view text) {
  const int code = sqlite3_bind_text64(statement_, index, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  if (code != SQLITE_OK) connection_->fail(sqlite3_sql(statement_), code);
  return *this;
}

Query& Query::bind(int index, int64_t value) {
  const int code = sqlite3_bind_int64(statement_, index, value);
  if (code != SQLITE_OK) connection_->fail(sqlite3_sql(statement_), code);
  return *this;
}

Query& Query::bind(int index, const std::optional<std::string>& text) {
  if (text) return bind(index, std::string_view(*text));
  const int code = sqlite3_bind_null(statement_, index);
  if (code != SQLITE_OK) connection_->fail(sqlite3_sql(statement_), code);
  return *this;
}

bool Query::next() {
  const int code = sqlite3_step(statement_);
  if (code == SQLITE_ROW) return true;
  if (code == SQLITE_DONE) return false;
  connection_->fail(sqlite3_sql(statement_), code);
}

void Query::run() {
  while (next()) {
  }
}

std::string Query::text(int column) const {
  const auto* data = reinterpret_cast<const char*>(sqlite3_column_text(statement_, column));
  return data ? std::string(data, static_cast<size_t>(sqlite3_column_bytes(statement_, column))) : std::string();
}

int64_t Query::integer(int column) const { return sqlite3_column_int64(statement_, column); }

bool Query::is_null(int column) const { return sqlite3_column_type(statement_, column) == SQLITE_NULL; }

Transaction::Transaction(Connection& connection) : connection_(connection) { connection_.exec("BEGIN IMMEDIATE"); }

Transaction::~Transaction() {
  if (done_) return;
  try {
    connection_.exec("ROLLBACK");
  } catch (const StorageError&) {
    // SQLite already rolled back on the error that brought us here; nothing is left to undo.
  }
}

void Transaction::commit() {
  connection_.exec("COMMIT");
  done_ = true;
}

}  // namespace outpost::storage::sqlite
