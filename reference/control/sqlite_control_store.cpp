// The live control store: one SQLite file, control.db, with a row per record holding its JSON document (the control
// plane is small and read through an in-memory snapshot, so documents keep the schema simple without costing reads).
#include <mutex>

#include "reference/control/control_codec.h"
#include "reference/control/control_store.h"
#include "reference/storage/sqlite.h"

namespace outpost::control {

namespace {
using storage::sqlite::Connection;

class SqliteControlStore final : public ControlStore {
 public:
  explicit SqliteControlStore(const std::filesystem::path& directory) : connection_(directory / "control.db") {
    connection_.exec(
        "CREATE TABLE IF NOT EXISTS documents(kind TEXT NOT NULL, name TEXT NOT NULL, body TEXT NOT NULL,"
        " PRIMARY KEY(kind, name));"
        "CREATE TABLE IF NOT EXISTS settings(key TEXT PRIMARY KEY, value TEXT NOT NULL);");
  }

  std::vector<auth::ScopeMap> scope_maps() override {
    std::vector<auth::ScopeMap> out;
    for (const auto& body : documents("scopeMap")) out.push_back(decode_scope_map(nlohmann::json::parse(body)));
    return out;
  }
  void put_scope_map(const auth::ScopeMap& scope_map) override { put("scopeMap", scope_map.name, encode(scope_map)); }
  bool erase_scope_map(std::string_view name) override { return erase("scopeMap", name); }

  std::vector<auth::Token> tokens() override {
    std::vector<auth::Token> out;
    for (const auto& body : documents("token")) out.push_back(decode_token(nlohmann::json::parse(body)));
    return out;
  }
  void put_token(const auth::Token& token) override { put("token", token.name, encode(token)); }
  bool erase_token(std::string_view name) override { return erase("token", name); }

  std::vector<ConnectedRegistry> connected_registries() override {
    std::vector<ConnectedRegistry> out;
    for (const auto& body : documents("connectedRegistry"))
      out.push_back(decode_connected_registry(nlohmann::json::parse(body)));
    return out;
  }
  void put_connected_registry(const ConnectedRegistry& cr) override { put("connectedRegistry", cr.name, encode(cr)); }
  bool erase_connected_registry(std::string_view name) override { return erase("connectedRegistry", name); }

  std::optional<std::string> setting(std::string_view key) override {
    std::lock_guard lock(mutex_);
    auto query = connection_.query("SELECT value FROM settings WHERE key = ?");
    query.bind(1, key);
    if (!query.next()) return std::nullopt;
    return query.text(0);
  }
  void put_setting(std::string_view key, std::string_view value) override {
    std::lock_guard lock(mutex_);
    connection_.query("INSERT INTO settings(key, value) VALUES(?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value")
        .bind(1, key)
        .bind(2, value)
        .run();
  }

 private:
  std::vector<std::string> documents(std::string_view kind) {
    std::lock_guard lock(mutex_);
    std::vector<std::string> bodies;
    auto query = connection_.query("SELECT body FROM documents WHERE kind = ? ORDER BY name COLLATE BINARY");
    query.bind(1, kind);
    while (query.next()) bodies.push_back(query.text(0));
    return bodies;
  }
  void put(std::string_view kind, std::string_view name, const nlohmann::json& document) {
    std::lock_guard lock(mutex_);
    connection_
        .query("INSERT INTO documents(kind, name, body) VALUES(?, ?, ?)"
               " ON CONFLICT(kind, name) DO UPDATE SET body = excluded.body")
        .bind(1, kind)
        .bind(2, name)
        .bind(3, document.dump())
        .run();
  }
  bool erase(std::string_view kind, std::string_view name) {
    std::lock_guard lock(mutex_);
    connection_.query("DELETE FROM documents WHERE kind = ? AND name = ?").bind(1, kind).bind(2, name).run();
    return connection_.changes() > 0;
  }

  std::mutex mutex_;
  Connection connection_;
};
}  // namespace

std::unique_ptr<ControlStore> open_sqlite_control_store(const std::filesystem::path& directory) {
  return std::make_unique<SqliteControlStore>(directory);
}

}  // namespace outpost::control
