#include "reference/sync/replica.h"

#include <algorithm>
#include <set>
#include <string_view>
#include <utility>

#include "reference/common/iso_duration.h"
#include "reference/common/json_text.h"
#include "reference/control/connected_registry.h"
#include "reference/control/connected_registry_config.h"
#include "reference/gateway/status_body.h"
#include "reference/gateway/status_report.h"

namespace outpost::sync {

namespace {
std::vector<std::string> strings_of(const nlohmann::json& json, const char* key) {
  std::vector<std::string> values;
  if (json.contains(key) && json[key].is_array())
    for (const auto& value : json[key])
      if (value.is_string()) values.push_back(value.get<std::string>());
  return values;
}

Nanoseconds ttl_of(const nlohmann::json& config) {
  const auto sync = config.value("sync", nlohmann::json::object());
  const auto text = sync.value("messageTtl", std::string("P2D"));
  return parse_iso_duration(text).value_or(std::chrono::hours(48));
}

// A configuration document's text, written as json_text() writes it, noting where each element of its "descendants"
// has its "config" written (npos for an element without one, in the list all the same): those stay views into it.
struct DocumentText {
  std::string text;
  std::vector<std::pair<size_t, size_t>> configs;  // (offset, length) by element of "descendants"
};

// `object` written as json_text() writes it, each member's value by `write_value(key, value)`.
template <typename WriteValue>
void write_object(const nlohmann::json& object, std::string& out, const WriteValue& write_value) {
  out += '{';
  for (auto member = object.begin(); member != object.end(); ++member) {
    if (member != object.begin()) out += ',';
    out += json_text(member.key());
    out += ':';
    write_value(member.key(), *member);
  }
  out += '}';
}

void write_descendant(const nlohmann::json& entry, DocumentText& out) {
  out.configs.emplace_back(std::string::npos, 0);
  if (!entry.is_object()) {
    out.text += json_text(entry);
    return;
  }
  write_object(entry, out.text, [&out](const std::string& key, const nlohmann::json& value) {
    const std::string text = json_text(value);
    if (key == "config") out.configs.back() = {out.text.size(), text.size()};
    out.text += text;
  });
}

DocumentText document_text(const nlohmann::json& document) {
  DocumentText out;
  write_object(document, out.text, [&out](const std::string& key, const nlohmann::json& value) {
    if (key != "descendants" || !value.is_array()) {
      out.text += json_text(value);
      return;
    }
    out.text += '[';
    for (size_t index = 0; index < value.size(); ++index) {
      if (index > 0) out.text += ',';
      write_descendant(value[index], out);
    }
    out.text += ']';
  });
  out.text.shrink_to_fit();  // kept as long as the document is: without this, up to half of its room was slack
  return out;
}
}  // namespace

OwnSettings parse_own_settings(const nlohmann::json& config) {
  OwnSettings settings;
  settings.name = config.at("name").get<std::string>();
  // Read as the cloud reads it (any case, the legacy aliases); a mode missing or unreadable allows no write: taken as
  // ReadWrite, a "Mirror" or "readOnly" document would have let clients write at a read-only node.
  const auto mode = config.contains("mode") && config["mode"].is_string()
                        ? control::parse_registry_mode(config["mode"].get<std::string>())
                        : std::nullopt;
  settings.mode = mode.value_or(auth::RegistryMode::ReadOnly);
  settings.repositories = strings_of(config, "repositories");
  const auto sync = config.value("sync", nlohmann::json::object());
  settings.schedule = sync.value("schedule", std::string("* * * * *"));
  if (sync.contains("window") && sync["window"].is_string()) settings.window = parse_iso_duration(sync["window"].get<std::string>());
  try {
    settings.sync_window.emplace(CronSchedule::parse(settings.schedule), settings.window);
  } catch (const std::exception&) {  // left unset: see OwnSettings::sync_window
  }
  settings.message_ttl = ttl_of(config);
  settings.enabled = config.value("enabled", true);
  settings.resync = config.value("resync", uint64_t{0});
  settings.notifications = strings_of(config, "notifications");
  const auto gc = config.value("gc", nlohmann::json::object());
  settings.gc_enabled = gc.value("enabled", false);
  settings.gc_schedule = gc.value("schedule", std::string("0 0 * * *"));
  settings.log_level = config.value("logging", nlohmann::json::object()).value("level", std::string("Information"));
  return settings;
}

Replica::Replica(std::string own_login_server, std::function<void(const std::string&)> persist)
    : own_login_server_(std::move(own_login_server)), persist_(std::move(persist)) {}

std::shared_ptr<const Replica::State> Replica::parse(const nlohmann::json& document) {
  if (!document.is_object() || !document.contains("config") || !document.contains("version"))
    throw std::invalid_argument("a configuration document has \"version\" and \"config\"");
  // Refused before anything is applied or saved: a document kept with a version that does not read stopped every
  // later round before it reached the parent (version() threw), so a corrected one was never fetched, even after a
  // restart (the saved one loaded again).
  const nlohmann::json& version = document["version"];
  if (!version.is_number_unsigned() && !(version.is_number_integer() && version.get<int64_t>() >= 0))
    throw std::invalid_argument("a configuration document's \"version\" is a whole number, not " + version.dump());
  auto state = std::make_shared<State>();
  DocumentText written = document_text(document);
  state->text = std::move(written.text);  // never changed again: the descendants view it
  state->version = version.get<uint64_t>();
  if (const auto login_server = document.find("loginServer"); login_server != document.end())
    state->login_server = *login_server;
  state->settings = std::make_shared<const OwnSettings>(parse_own_settings(document["config"]));
  state->snapshot = control::snapshot_from_config(document["config"]);
  if (document.contains("descendants") && document["descendants"].is_array()) {
    const nlohmann::json& entries = document["descendants"];
    for (size_t index = 0; index < entries.size(); ++index) {
      const auto& config = entries[index].at("config");
      const std::string name = config.at("name").get<std::string>();
      Descendant& descendant = state->descendants[name];
      descendant.version = entries[index].at("version").get<uint64_t>();
      descendant.position = index;
      const auto [offset, length] = written.configs[index];
      descendant.config = std::string_view(state->text).substr(offset, length);
      descendant.repositories = strings_of(config, "repositories");
      try {
        descendant.message_ttl = ttl_of(config);
      } catch (const nlohmann::json::exception&) {  // left unset: message_ttl() reads it again, and fails there
      }
      if (const auto parent = config.find("parent"); parent != config.end() && parent->is_string())
        state->children[parent->get<std::string>()].push_back(name);
    }
  }
  state->names.reserve(state->descendants.size());
  for (const auto& [name, descendant] : state->descendants) state->names.push_back(name);
  std::sort(state->names.begin(), state->names.end());
  for (size_t slot = 0; slot < state->names.size(); ++slot) state->descendants.find(state->names[slot])->second.slot = slot;
  state->parent_slots.assign(state->names.size(), State::kNoSlot);
  for (const auto& [parent_name, children] : state->children) {
    const auto parent = state->descendants.find(parent_name);
    if (parent == state->descendants.end()) continue;  // this node, or one it does not know
    for (const std::string& child : children)
      state->parent_slots[state->descendants.find(child)->second.slot] = parent->second.slot;
  }
  return state;
}

std::shared_ptr<const Replica::State> Replica::state() const {
  std::lock_guard lock(mutex_);
  return state_;
}

void Replica::load(const std::string& text) {
  auto parsed = parse(nlohmann::json::parse(text));
  std::lock_guard lock(mutex_);
  rebase_reports(state_.get(), *parsed);
  state_ = std::move(parsed);
}

bool Replica::apply(nlohmann::json document) {
  auto parsed = parse(document);
  document = nullptr;  // (its tree is the largest thing held here: it goes before what is done with the new state)
  {
    std::lock_guard lock(mutex_);
    // The same text is the same document: both were written by document_text, whose objects' members are in order.
    // Not quite the other way round: a number spelt differently (1 and 1.0) counts as a change, which only a parent
    // that is not this one could send (the cloud writes whole numbers, and a relay passes the text on as it came).
    if (state_ && state_->text == parsed->text) return false;
    rebase_reports(state_.get(), *parsed);
    state_ = parsed;
  }
  if (persist_) persist_(parsed->text);
  if (on_change) on_change();
  return true;
}

// The accessors below read what they answer under the lock, from the State in place: copying the State's pointer out
// first (as state() does) costs an atomic increment and decrement on its count, a line nobody else touches for
// minutes, on every request a node serves and every round of its agent.
bool Replica::configured() const {
  std::lock_guard lock(mutex_);
  return state_ != nullptr;
}

uint64_t Replica::version() const {
  std::lock_guard lock(mutex_);
  if (!state_) return 0;
  return state_->version;
}

std::shared_ptr<const OwnSettings> Replica::settings() const {
  std::lock_guard lock(mutex_);
  return state_ ? state_->settings : nullptr;
}

std::shared_ptr<const control::Snapshot> Replica::snapshot() const {
  {
    std::lock_guard lock(mutex_);
    if (state_) return state_->snapshot;
  }
  static const auto empty = control::snapshot_from_config(
      nlohmann::json{{"name", "unconfigured"}, {"tokens", nlohmann::json::array()},
                     {"scopeMaps", nlohmann::json::array()}});
  return empty;
}

std::string Replica::parent_login_server() const {
  std::lock_guard lock(mutex_);
  return state_ && state_->login_server ? state_->login_server->get<std::string>() : std::string();
}

namespace {
// At most this many relayed notifications of one descendant wait to go up, the oldest dropped first (as a node's own:
// SyncAgent's kMaxPendingNotifications).
constexpr size_t kMaxHeldNotifications = 1000;

// Whether a report's text may carry notifications: a node writes `"notifications":[]` when it has none. Asked only of
// a held report about to be replaced or sent, not of every report that passes.
bool may_carry_notifications(std::string_view report) {
  return report.find("\"notifications\"") != std::string_view::npos &&
         report.find("\"notifications\":[]") == std::string_view::npos;
}

// `later` with `earlier`'s notifications ahead of its own: a report replaces the one before it (state), but the
// notifications that one carried are events, and were lost with it.
std::string with_earlier_notifications(std::string_view earlier, std::string_view later) {
  nlohmann::json before = nlohmann::json::parse(earlier, nullptr, false);
  nlohmann::json after = nlohmann::json::parse(later, nullptr, false);
  if (!before.is_object() || !after.is_object()) return std::string(later);
  const auto notes = before.find("notifications");
  if (notes == before.end() || !notes->is_array() || notes->empty()) return std::string(later);
  nlohmann::json combined = std::move(*notes);
  // One the child sent again (it never heard that the report carrying it arrived here) is the same event: kept once.
  std::set<std::string> earlier_notes;
  for (const auto& note : combined) earlier_notes.insert(note.dump());
  if (const auto own = after.find("notifications"); own != after.end() && own->is_array())
    for (auto& note : *own)
      if (!earlier_notes.contains(note.dump())) combined.push_back(std::move(note));
  if (combined.size() > kMaxHeldNotifications)
    combined.erase(combined.begin(), combined.begin() + static_cast<std::ptrdiff_t>(combined.size() -
                                                                                    kMaxHeldNotifications));
  after["notifications"] = std::move(combined);
  return after.dump();
}

// Holds `report` where `held` is, keeping the notifications of a report held there and not sent yet.
void hold(std::string& held, std::string_view report) {
  if (!held.empty() && may_carry_notifications(held))
    held = with_earlier_notifications(held, report);
  else
    held.assign(report);  // (keeping its buffer)
}
}  // namespace

void Replica::end_status_body(std::string& body) {
  std::lock_guard lock(mutex_);
  std::vector<const std::string*>& taken = reports_.taken;
  taken.clear();
  reports_.in_flight.clear();
  // The reports that carry notifications are kept until the body is known to have gone up (status_sent): one that
  // did not go comes back (status_not_sent), with them.
  // In name order: the slots' (by their state's names) merged with the others' (distinct names).
  auto other = reports_.others.begin();
  for (size_t slot = 0; slot < reports_.by_slot.size(); ++slot) {
    const std::string& report = reports_.by_slot[slot];
    if (report.empty()) continue;
    const std::string& name = state_->names[slot];
    for (; other != reports_.others.end() && other->first < name; ++other) taken.push_back(&other->second);
    taken.push_back(&report);
    if (may_carry_notifications(report)) reports_.in_flight.emplace_back(name, report);
  }
  for (; other != reports_.others.end(); ++other) taken.push_back(&other->second);
  gateway::end_status_body(body, taken);
  for (const auto& [name, report] : reports_.others)
    if (may_carry_notifications(report)) reports_.in_flight.emplace_back(name, report);
  for (std::string& report : reports_.by_slot) report.clear();  // (keeping its buffer)
  reports_.others.clear();
}

void Replica::status_sent() {
  std::lock_guard lock(mutex_);
  reports_.in_flight.clear();
}

void Replica::status_not_sent() {
  std::lock_guard lock(mutex_);
  for (auto& [name, report] : reports_.in_flight) {
    std::string* held = nullptr;
    if (state_)
      if (const auto found = state_->descendants.find(name); found != state_->descendants.end())
        held = &reports_.by_slot[found->second.slot];
    if (!held) held = &reports_.others[name];  // (no longer a descendant: held aside, as rebase_reports does)
    // A newer report came meanwhile: it stays, with the notifications of the one that did not go ahead of its own.
    *held = held->empty() ? std::move(report) : with_earlier_notifications(report, *held);
  }
  reports_.in_flight.clear();
}

std::optional<std::string> Replica::document(std::string_view cr) {
  const auto current = state();
  if (!current) return std::nullopt;
  const auto found = current->descendants.find(cr);
  if (found == current->descendants.end()) return std::nullopt;
  // Its descendants: every entry whose chain of parents passes through `cr`, in the order they came in, parents
  // before children (docs/protocol.md): the parent's order with the others left out.
  std::vector<const Descendant*> in_order;
  std::set<const Descendant*> seen;  // a cycle stops here
  std::vector<std::string_view> frontier = {found->first};
  while (!frontier.empty()) {
    const std::string_view at = frontier.back();
    frontier.pop_back();
    const auto children = current->children.find(at);
    if (children == current->children.end()) continue;
    for (const std::string& child : children->second) {
      const auto entry = current->descendants.find(child);
      if (child == found->first || entry == current->descendants.end() || !seen.insert(&entry->second).second) continue;
      in_order.push_back(&entry->second);
      frontier.push_back(entry->first);
    }
  }
  std::sort(in_order.begin(), in_order.end(),
            [](const Descendant* a, const Descendant* b) { return a->position < b->position; });
  // Written as json_text() writes the same tree (members in name order), from the configurations' text as it came.
  std::string text = "{\"config\":";
  text += found->second.config;
  text += ",\"descendants\":[";
  bool first = true;
  for (const Descendant* descendant : in_order) {
    const Descendant& entry = *descendant;
    text += first ? "{\"config\":" : ",{\"config\":";
    first = false;
    text += entry.config;
    text += ",\"version\":";
    text += std::to_string(entry.version);
    text += '}';
  }
  text += "],\"loginServer\":";
  text += json_text(own_login_server_);
  text += ",\"version\":";
  text += std::to_string(found->second.version);
  text += '}';
  return text;
}

uint64_t Replica::version(std::string_view cr) {
  std::lock_guard lock(mutex_);
  if (!state_) return 0;
  const auto found = state_->descendants.find(cr);
  return found == state_->descendants.end() ? 0 : found->second.version;
}

uint64_t Replica::version(std::string_view cr, VersionHint& hint) {
  std::lock_guard lock(mutex_);
  if (!state_) return 0;
  // A State never changes once held: while it is still the one held, the version found in it then is the answer.
  if (hint.version && hint.holder.get() == state_.get()) return *hint.version;
  const auto found = state_->descendants.find(cr);
  if (found == state_->descendants.end()) {
    hint = {};
    return 0;
  }
  hint.holder = state_;
  hint.version = &found->second.version;
  return found->second.version;
}

std::vector<std::string> Replica::repositories(std::string_view cr) {
  std::lock_guard lock(mutex_);
  if (!state_) return {};
  const auto found = state_->descendants.find(cr);
  return found == state_->descendants.end() ? std::vector<std::string>{} : found->second.repositories;
}

Nanoseconds Replica::message_ttl(std::string_view cr) {
  const auto current = state();  // kept: the TTL may be read again from the configuration, outside the lock
  if (!current) return std::chrono::hours(48);
  const auto found = current->descendants.find(cr);
  if (found == current->descendants.end()) return std::chrono::hours(48);
  const Descendant& descendant = found->second;
  return descendant.message_ttl ? *descendant.message_ttl : ttl_of(nlohmann::json::parse(descendant.config));
}

void Replica::activate(std::string_view cr, const std::string& instance_id,
                       std::function<void(std::optional<ApiError>)> done) {
  if (!relay_activate) {
    done(ApiError(503, "UNAVAILABLE", "this connected registry cannot reach its parent yet"));
    return;
  }
  // Remembered once the cloud accepted it (the answer may come on another thread; the replica outlives the relay).
  relay_activate(std::string(cr), instance_id,
                 [this, child = std::string(cr), instance_id, done = std::move(done)](std::optional<ApiError> error) {
                   if (!error) {
                     std::lock_guard lock(mutex_);
                     activated_children_[child] = instance_id;
                   }
                   done(std::move(error));
                 });
}

bool Replica::is_active_instance(std::string_view cr, std::string_view instance) {
  std::lock_guard lock(mutex_);
  const auto found = activated_children_.find(cr);
  return found == activated_children_.end() || found->second == instance;
}

void Replica::rebase_reports(const State* before, const State& after) {
  std::vector<std::string> by_slot(after.names.size());
  for (size_t slot = 0; slot < reports_.by_slot.size(); ++slot) {
    std::string& report = reports_.by_slot[slot];
    if (report.empty()) continue;
    const std::string& name = before->names[slot];
    if (const auto found = after.descendants.find(name); found != after.descendants.end())
      by_slot[found->second.slot] = std::move(report);
    else
      reports_.others.emplace(name, std::move(report));
  }
  // Names held aside that are descendants again go back to their slots (none of them held a slot before).
  for (auto other = reports_.others.begin(); other != reports_.others.end();) {
    if (const auto found = after.descendants.find(other->first); found != after.descendants.end()) {
      by_slot[found->second.slot] = std::move(other->second);
      other = reports_.others.erase(other);
    } else {
      ++other;
    }
  }
  reports_.by_slot = std::move(by_slot);
}

void Replica::report_status(std::string_view cr, std::vector<gateway::RawReport> reports) {
  std::lock_guard lock(mutex_);
  if (!state_) return;
  const State& current = *state_;
  // Only reports about the sender's subtree go up (docs/protocol.md): a child naming its sibling would otherwise have
  // overwritten that sibling's state at the cloud, which checks only what its own children send.
  const auto sender = current.descendants.find(cr);
  if (sender == current.descendants.end()) return;
  const size_t sender_slot = sender->second.slot;
  // A child's instance refused activation (SPEC 2.7: another one is active) still reports while it is Unhealthy:
  // its report must not replace the active instance's here, as the cloud would not take it either. Its own report
  // only: what it relays of its subtree it read as the active one's would (it holds that activation for none).
  const auto active = activated_children_.find(cr);
  const std::string_view active_instance = active == activated_children_.end() ? "" : std::string_view(active->second);
  const auto within_sender = [&](size_t slot) {
    for (size_t steps = 0; slot != State::kNoSlot && steps <= current.names.size(); ++steps) {  // (a cycle ends)
      if (slot == sender_slot) return true;
      slot = current.parent_slots[slot];
    }
    return false;
  };
  // A body lists the sender's report, then its subtree's in name order, which sit next to each other in `names`: each
  // is looked for first right after the previous one, so most are found without a lookup in `descendants`. The sender's
  // is looked up (comparing it with the first name first, as it was, read a line of names for nothing nearly always).
  size_t next = current.names.size();
  for (auto& report : reports) {
    size_t slot = next;
    if (slot >= current.names.size() || current.names[slot] != report.name) {
      // Only reports about this node's descendants travel up through it (a report without a name is about none).
      const auto found = current.descendants.find(report.name);
      if (found == current.descendants.end()) continue;
      slot = found->second.slot;
    }
    if (!within_sender(slot)) continue;
    if (slot == sender_slot && !active_instance.empty() &&
        gateway::StatusReport(report).names_other_instance(active_instance))
      continue;
    hold(reports_.by_slot[slot], report.text);  // copied out of the body, which goes when the call ends
    next = slot + 1;
  }
}

}  // namespace outpost::sync
