#pragma once
// A tiny RAII layer over the SQLite C API: a connection, cached prepared statements used through scoped queries, and
// transactions that roll back unless committed. Every failure throws StorageError naming the database file, the
// statement and SQLite's message (with errno text for I/O errors).
#include <sqlite3.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "reference/storage/storage.h"

namespace outpost::storage::sqlite {

class Connection;

// One use of a cached prepared statement: bind, step, read columns. Resets the statement and clears its bindings when
// it goes out of scope, so a finished read never keeps a WAL snapshot open. Parameter and column indices follow SQLite:
// parameters from 1, columns from 0.
class Query {
 public:
  Query(Connection& connection, sqlite3_stmt* statement) : connection_(&connection), statement_(statement) {}
  ~Query();
  Query(const Query&) = delete;
  Query& operator=(const Query&) = delete;

  Query& bind(int index, std::string_view text);
  Query& bind(int index, const std::string& text) { return bind(index, std::string_view(text)); }
  Query& bind(int index, int64_t value);
  Query& bind(int index, const std::optional<std::string>& text);  // NULL when absent

  bool next();  // steps; true while a row is available
  void run();   // steps a statement that returns no rows

  std::string text(int column) const;
  int64_t integer(int column) const;
  bool is_null(int column) const;

 private:
  Connection* connection_;
  sqlite3_stmt* statement_;
};

// Who may use the database while a connection has it open.
enum class Access {
  // Other connections and processes too (a reader such as the sqlite3 shell, or a test reading settings), each
  // statement taking and releasing SQLite's file locks: two fcntl calls and a stat or more per read.
  Shared,
  // This connection alone, from open to close: the file locks are taken once, reads make no locking system call
  // (a manifest GET made 18 system calls, 6 of them SQLite's fcntl locks), and a second process opening the
  // same database is refused at once (StorageError "in use by another process") rather than sharing it.
  Exclusive,
};

class Connection {
 public:
  // Opens (creating) the database with the settings the durability contract needs: WAL journal, synchronous=FULL,
  // foreign keys on, a busy timeout.
  explicit Connection(const std::filesystem::path& path, Access access = Access::Shared);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  void exec(std::string_view sql);  // statements without parameters (schema, pragmas, BEGIN/COMMIT)
  Query query(std::string_view sql);  // prepared once per SQL text, then reused
  int64_t changes() const;            // rows changed by the last statement

  [[noreturn]] void fail(std::string_view sql, int code) const;

 private:
  void close() noexcept;

  std::filesystem::path path_;
  sqlite3* db_ = nullptr;
  std::map<std::string, sqlite3_stmt*, std::less<>> statements_;
};

// BEGIN IMMEDIATE ... COMMIT; rolls back on destruction unless commit() ran (an exception left the scope).
class Transaction {
 public:
  explicit Transaction(Connection& connection);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  void commit();

 private:
  Connection& connection_;
  bool done_ = false;
};

// The disk storage keeps one connection for the metadata and upload stores. A SQLite connection must not run two
// statements from two threads at once, so every use holds `mutex`. One connection keeps writes simple (SQLite has a
// single writer anyway); reads could later move to a small pool of read-only connections if they become the bottleneck.
struct SharedConnection {
  explicit SharedConnection(const std::filesystem::path& path, Access access = Access::Shared)
      : connection(path, access) {}
  std::mutex mutex;
  Connection connection;
};

}  // namespace outpost::storage::sqlite
