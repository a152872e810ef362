#pragma once
// What the management verbs print. JSON (the default) is exactly the API's answer, pretty-printed with its keys in the
// order the node sent them, so scripts see one schema whether they call the API or the CLI. Tables are for people:
// aligned columns, one row per resource, multi-valued cells (a scope map's actions) on continuation lines.
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace outpost::cli {

enum class OutputFormat { Json, Table };
OutputFormat parse_output_format(std::string_view name);  // "json" | "table"; throws UsageError

enum class ResourceKind { ScopeMap, Token, Credentials };

struct Table {
  std::vector<std::string> headers;
  std::vector<std::vector<std::string>> rows;  // a cell may hold '\n': its lines stack in the column
};

// A field of `object` as cell text: strings as they are, missing or null as empty, anything else as compact JSON.
std::string cell_text(const nlohmann::ordered_json& object, std::string_view key);

// Header line, a dashed rule, then the rows; columns two spaces apart and as wide as their widest line (counted in
// UTF-8 characters); no trailing spaces.
std::string render_table(const Table& table);

// The resources of an answer: a JSON array as is, a single resource (an object with "name") as one, or the first array
// member of a wrapping object ({"tokens": [...]}); anything else is none.
std::vector<nlohmann::ordered_json> resources_of(const nlohmann::ordered_json& answer);

// NAME, TYPE, DESCRIPTION, ACTIONS (one per line).
Table scope_map_table(const nlohmann::ordered_json& answer);
// NAME, SCOPE MAP, STATUS, PASSWORD1 EXPIRY, PASSWORD2 EXPIRY ("-": no such password, "never": no expiry).
Table token_table(const nlohmann::ordered_json& answer);
// USERNAME, PASSWORD, VALUE, EXPIRY: the passwords that carry a value (a create or generateCredentials answer).
Table password_table(const nlohmann::ordered_json& passwords, const std::string& username);

// The text to print for `answer` (empty for a null answer, e.g. a 204); ends with a newline otherwise.
std::string format_answer(const nlohmann::ordered_json& answer, OutputFormat format, ResourceKind kind);

}  // namespace outpost::cli
