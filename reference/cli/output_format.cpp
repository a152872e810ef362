#include "reference/cli/output_format.h"

#include <algorithm>

#include "reference/cli/command_errors.h"

namespace outpost::cli {

using nlohmann::ordered_json;

namespace {

// Display width of UTF-8 text: one per character (continuation bytes do not count). Wide East Asian characters are
// rare in resource names and descriptions; counting them as one keeps this dependency-free.
size_t display_width(std::string_view text) {
  return static_cast<size_t>(
      std::count_if(text.begin(), text.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

std::vector<std::string_view> split_lines(std::string_view cell) {
  std::vector<std::string_view> lines;
  size_t start = 0;
  while (true) {
    const size_t end = cell.find('\n', start);
    lines.push_back(cell.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
    if (end == std::string_view::npos) return lines;
    start = end + 1;
  }
}

void append_line(std::string& out, const std::vector<std::string_view>& cells, const std::vector<size_t>& widths) {
  std::string line;
  for (size_t column = 0; column < widths.size(); ++column) {
    const std::string_view cell = column < cells.size() ? cells[column] : std::string_view();
    if (column > 0) line += "  ";
    line += cell;
    line.append(widths[column] - std::min(widths[column], display_width(cell)), ' ');
  }
  line.erase(line.find_last_not_of(' ') + 1);
  out += line;
  out += '\n';
}

const ordered_json* password_named(const ordered_json& token, std::string_view name) {
  const auto passwords = token.find("passwords");
  if (passwords == token.end() || !passwords->is_array()) return nullptr;
  for (const auto& password : *passwords)
    if (password.is_object() && cell_text(password, "name") == name) return &password;
  return nullptr;
}

std::string expiry_cell(const ordered_json& token, std::string_view password_name) {
  const ordered_json* password = password_named(token, password_name);
  if (!password) return "-";
  const std::string expiry = cell_text(*password, "expiry");
  return expiry.empty() ? "never" : expiry;
}

bool any_password_value(const ordered_json& passwords) {
  return passwords.is_array() && std::any_of(passwords.begin(), passwords.end(), [](const ordered_json& password) {
           return password.is_object() && password.contains("value");
         });
}

}  // namespace

OutputFormat parse_output_format(std::string_view name) {
  if (name == "json") return OutputFormat::Json;
  if (name == "table") return OutputFormat::Table;
  throw UsageError("--output must be json or table, not '" + std::string(name) + "'");
}

std::string render_table(const Table& table) {
  std::vector<size_t> widths(table.headers.size(), 0);
  for (size_t column = 0; column < table.headers.size(); ++column) widths[column] = display_width(table.headers[column]);
  for (const auto& row : table.rows)
    for (size_t column = 0; column < std::min(row.size(), widths.size()); ++column)
      for (std::string_view line : split_lines(row[column]))
        widths[column] = std::max(widths[column], display_width(line));

  std::string out;
  append_line(out, std::vector<std::string_view>(table.headers.begin(), table.headers.end()), widths);
  std::vector<std::string> rules;
  for (size_t width : widths) rules.emplace_back(width, '-');
  append_line(out, std::vector<std::string_view>(rules.begin(), rules.end()), widths);
  for (const auto& row : table.rows) {
    std::vector<std::vector<std::string_view>> lines;
    size_t height = 1;
    for (const auto& cell : row) {
      lines.push_back(split_lines(cell));
      height = std::max(height, lines.back().size());
    }
    for (size_t i = 0; i < height; ++i) {
      std::vector<std::string_view> cells;
      for (const auto& cell_lines : lines) cells.push_back(i < cell_lines.size() ? cell_lines[i] : std::string_view());
      append_line(out, cells, widths);
    }
  }
  return out;
}

std::vector<ordered_json> resources_of(const ordered_json& answer) {
  if (answer.is_array()) return std::vector<ordered_json>(answer.begin(), answer.end());
  if (!answer.is_object()) return {};
  if (answer.contains("name")) return {answer};
  for (const auto& [key, value] : answer.items())
    if (value.is_array()) return std::vector<ordered_json>(value.begin(), value.end());
  return {};
}

Table scope_map_table(const ordered_json& answer) {
  Table table{{"NAME", "TYPE", "DESCRIPTION", "ACTIONS"}, {}};
  for (const auto& scope_map : resources_of(answer)) {
    std::string actions;
    const auto found = scope_map.is_object() ? scope_map.find("actions") : scope_map.end();
    if (scope_map.is_object() && found != scope_map.end() && found->is_array())
      for (const auto& action : *found) {
        if (!actions.empty()) actions += '\n';
        actions += action.is_string() ? action.get<std::string>() : action.dump();
      }
    table.rows.push_back(
        {cell_text(scope_map, "name"), cell_text(scope_map, "type"), cell_text(scope_map, "description"), actions});
  }
  return table;
}

Table token_table(const ordered_json& answer) {
  Table table{{"NAME", "SCOPE MAP", "STATUS", "PASSWORD1 EXPIRY", "PASSWORD2 EXPIRY"}, {}};
  for (const auto& token : resources_of(answer)) {
    if (!token.is_object()) continue;
    table.rows.push_back({cell_text(token, "name"), cell_text(token, "scopeMap"), cell_text(token, "status"),
                          expiry_cell(token, "password1"), expiry_cell(token, "password2")});
  }
  return table;
}

Table password_table(const ordered_json& passwords, const std::string& username) {
  Table table{{"USERNAME", "PASSWORD", "VALUE", "EXPIRY"}, {}};
  if (!passwords.is_array()) return table;
  for (const auto& password : passwords) {
    if (!password.is_object() || !password.contains("value")) continue;
    const std::string expiry = cell_text(password, "expiry");
    table.rows.push_back(
        {username, cell_text(password, "name"), cell_text(password, "value"), expiry.empty() ? "never" : expiry});
  }
  return table;
}

std::string format_answer(const ordered_json& answer, OutputFormat format, ResourceKind kind) {
  if (answer.is_null()) return "";
  if (format == OutputFormat::Json) return answer.dump(2) + "\n";
  switch (kind) {
    case ResourceKind::ScopeMap:
      return render_table(scope_map_table(answer));
    case ResourceKind::Token: {
      std::string out = render_table(token_table(answer));
      // A create answer is the only time the passwords can be seen: show them under the token.
      if (answer.is_object() && answer.contains("passwords") && any_password_value(answer["passwords"]))
        out += "\n" + render_table(password_table(answer["passwords"], cell_text(answer, "name")));
      return out;
    }
    case ResourceKind::Credentials: {
      const auto passwords = answer.is_object() && answer.contains("passwords") ? answer["passwords"] : ordered_json();
      return render_table(password_table(passwords, cell_text(answer, "username")));
    }
  }
  return "";
}

std::string cell_text(const ordered_json& object, std::string_view key) {
  if (!object.is_object()) return "";
  const auto found = object.find(key);
  if (found == object.end() || found->is_null()) return "";
  return found->is_string() ? found->get<std::string>() : found->dump();
}

}  // namespace outpost::cli
