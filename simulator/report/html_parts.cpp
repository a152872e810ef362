#include "simulator/report/html_parts.h"

#include "simulator/report/svg.h"

namespace outpost::sim::report {

Cell Cell::markup(std::string html, std::string css_class) {
  Cell cell(std::move(html));
  cell.html = true;
  cell.css_class = std::move(css_class);
  return cell;
}

Cell Cell::figure(std::string text) {
  Cell cell(std::move(text));
  cell.css_class = "num";
  return cell;
}

std::string table(const std::vector<std::string>& headers, const std::vector<std::vector<Cell>>& rows,
                  const std::string& css_class) {
  std::string out = css_class.empty() ? "<table>" : "<table class=\"" + escape(css_class) + "\">";
  out += "<thead><tr>";
  for (const std::string& header : headers) out += "<th>" + escape(header) + "</th>";
  out += "</tr></thead>\n<tbody>\n";
  for (const auto& row : rows) {
    out += "<tr>";
    for (const Cell& cell : row) {
      out += cell.css_class.empty() ? "<td>" : "<td class=\"" + escape(cell.css_class) + "\">";
      out += cell.html ? cell.content : escape(cell.content);
      out += "</td>";
    }
    out += "</tr>\n";
  }
  return out + "</tbody></table>\n";
}

std::string section(const std::string& id, const std::string& title, const std::string& html) {
  return "<section id=\"" + escape(id) + "\"><h3>" + escape(title) + "</h3>\n" + html + "</section>\n";
}

std::string badge(bool good, const std::string& text) {
  return std::string("<span class=\"badge ") + (good ? "ok" : "bad") + "\">" + escape(text) + "</span>";
}

std::string code(const std::string& text) { return "<code>" + escape(text) + "</code>"; }
std::string paragraph(const std::string& text) { return "<p>" + escape(text) + "</p>\n"; }
std::string preformatted(const std::string& text) { return "<pre>" + escape(text) + "</pre>\n"; }

std::string details(const std::string& summary, const std::string& html, bool open) {
  return std::string(open ? "<details open>" : "<details>") + "<summary>" + escape(summary) + "</summary>\n" + html +
         "</details>\n";
}

}  // namespace outpost::sim::report
