#pragma once
// Small HTML fragments of the report page. Every argument is plain text and is escaped here (svg.h's escape()),
// except where a name says `html` (already markup, built by these functions or the charts).
#include <string>
#include <utility>
#include <vector>

namespace outpost::sim::report {

// A cell of a table: text, escaped, unless `html` is set.
struct Cell {
  std::string content;
  bool html = false;
  std::string css_class;                                // e.g. "num" for right-aligned figures
  Cell(std::string text) : content(std::move(text)) {}  // NOLINT: cells are written as plain strings
  Cell(const char* text) : content(text) {}             // NOLINT
  static Cell markup(std::string html, std::string css_class = {});
  static Cell figure(std::string text);  // a figure: right-aligned
};

std::string table(const std::vector<std::string>& headers, const std::vector<std::vector<Cell>>& rows,
                  const std::string& css_class = {});
// <section id=...><h3>title</h3>html</section>
std::string section(const std::string& id, const std::string& title, const std::string& html);
// <span class="badge ok|bad">text</span>
std::string badge(bool good, const std::string& text);
std::string code(const std::string& text);          // <code>text</code>
std::string paragraph(const std::string& text);     // <p>text</p>
std::string preformatted(const std::string& text);  // <pre>text</pre>
// <details><summary>summary</summary>html</details>: opens without script.
std::string details(const std::string& summary, const std::string& html, bool open = false);

}  // namespace outpost::sim::report
