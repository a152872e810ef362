#pragma once
// Writing JSON text straight into a string, for documents a hot path sends often and whose shape is fixed (a node's
// status report, every interval at every node): building a tree to dump it cost more than the rest of the report.
// The bytes are exactly what nlohmann::json's dump() writes for the same value (no indentation, ensure_ascii off).
#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

namespace outpost {

// `text` as a JSON string, quotes included, escaped as dump() escapes it. Text that is not plain printable ASCII
// goes through nlohmann::json itself, so invalid UTF-8 fails the same way (nlohmann::json::type_error).
void append_json_string(std::string& out, std::string_view text);

// `value` as compact JSON text (dump()), any bytes that are not UTF-8 replaced by U+FFFD rather than thrown on: for
// text written out of what a node was sent or holds (an answer, an error quoting a client's bytes, a log line, a
// document), where one bad byte must not fail the whole.
std::string json_text(const nlohmann::json& value);
std::string ordered_json_text(const nlohmann::ordered_json& value);  // (named apart: one name made a string ambiguous)

}  // namespace outpost
