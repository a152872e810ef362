#include "reference/sync/sync_agent.h"

#include <algorithm>
#include <charconv>
#include <iterator>
#include <set>

#include "reference/common/cron.h"
#include "reference/common/json_text.h"
#include "reference/common/log.h"
#include "reference/common/time_format.h"
#include "reference/gateway/protocol.h"
#include "reference/gateway/status_body.h"
#include "reference/storage/gc.h"
#include "reference/sync/sync_agent_messages.h"

namespace outpost::sync {

namespace {
using Failure = SyncFailure::Kind;
constexpr size_t kMaxDetails = 20;
constexpr size_t kMaxPendingNotifications = 1000;
constexpr size_t kJournalBatch = 100;

// `*` matches any run of characters (including none); everything else matches itself.
bool wildcard_match(std::string_view pattern, std::string_view text) {
  size_t p = 0, t = 0, star = std::string_view::npos, mark = 0;
  while (t < text.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = t;
    } else if (p < pattern.size() && pattern[p] == text[t]) {
      ++p, ++t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}
}  // namespace

std::string_view to_string(ConnectionState state) {
  switch (state) {
    case ConnectionState::Offline: return "Offline";
    case ConnectionState::Online: return "Online";
    case ConnectionState::Syncing: return "Syncing";
    case ConnectionState::Unhealthy: return "Unhealthy";
  }
  return "Offline";
}

bool notification_matches(std::string_view pattern, const oci::ContentChange& change) {
  // repo[:tag][@digest]:action -- the action is after the last ':'.
  const size_t last = pattern.rfind(':');
  if (last == std::string_view::npos) return false;
  const std::string_view action = pattern.substr(last + 1);
  const bool push = change.kind == oci::ContentChange::Kind::ManifestPut;
  if (!(action == "*" || (action == "push" && push) || (action == "delete" && !push))) return false;
  std::string_view target = pattern.substr(0, last);
  std::string_view digest_pattern = "*";
  if (const size_t at = target.find('@'); at != std::string_view::npos) {
    digest_pattern = target.substr(at + 1);
    target = target.substr(0, at);
  }
  std::string_view tag_pattern = "*";
  if (const size_t colon = target.find(':'); colon != std::string_view::npos) {
    tag_pattern = target.substr(colon + 1);
    target = target.substr(0, colon);
  }
  if (!wildcard_match(target, change.repository)) return false;
  if (tag_pattern != "*" && !wildcard_match(tag_pattern, change.tag.value_or(""))) return false;
  return wildcard_match(digest_pattern, change.digest.str());
}

SyncAgent::SyncAgent(Executor& executor, const Clock& clock, Random& random, http::HttpClient& client,
                     storage::Storage& storage, SyncStore& store, Replica& replica, gateway::MessageLog& children_log,
                     AgentOptions options)
    : executor_(executor),
      clock_(clock),
      random_(random),
      storage_(storage),
      store_(store),
      replica_(replica),
      children_log_(children_log),
      options_(std::move(options)),
      stop_(executor),
      link_(client, stop_, options_.cr_name, options_.token_name, options_.token_password, options_.parent,
            options_.protocol_version > 0 ? options_.protocol_version : gateway::kProtocolVersion),
      content_(link_, storage, store, [this](const oci::ContentChange& change) {
        children_log_.append(change, clock_.now());
      }),
      push_wakeup_(stop_),
      pull_backoff_(options_.backoff_initial, options_.backoff_cap),
      push_backoff_(options_.backoff_initial, options_.backoff_cap) {
  // Any call the parent accepts with this node's sync token says the token is enabled: an activation, a configuration
  // check outside a window, a resync's inventory (SPEC 2.6). Cleared only at some of them, the node answered 503 until
  // its window opened, or until a resync finished.
  link_.set_on_accepted([this] { set_disabled(false); });
  // SPEC 5.4: a round still running when its window closes sends nothing more (parent_link.h); it resumes in the next.
  // Only a schedule with a `window` has one to close: without, a round runs once per occurrence, to its end however
  // long it takes (its occurrence's minute is not a window to cut it at).
  link_.set_window_closed([this] {
    const auto settings = replica_.settings();
    return settings && settings->window && window_closed(settings.get());
  });
  disabled_ = options_.disabled_at_start;
  if (const auto settings = replica_.settings()) {
    seen_resync_ = settings->resync;
    seen_repositories_ = settings->repositories;
    // An operator's resync read and saved with the configuration, but not run to its end before the node stopped:
    // the first round's resync is that one, with its check of every byte (SPEC 2.11).
    verify_next_resync_ = settings->resync != store_.resync_done();
  }
  replica_.relay_activate = [this](std::string cr, std::string instance,
                                   std::function<void(std::optional<ApiError>)> done) {
    executor_.post([this, cr = std::move(cr), instance = std::move(instance), done = std::move(done)]() mutable {
      spawn(relay_activation(std::move(cr), std::move(instance), std::move(done)));
    });
  };
}

SyncAgent::~SyncAgent() { replica_.relay_activate = nullptr; }

void SyncAgent::start() {
  executor_.post([this] {
    loops_running_ = 2;
    spawn(pull_loop(), [this](std::exception_ptr) { loop_ended(); });
    spawn(push_loop(), [this](std::exception_ptr) { loop_ended(); });
  });
}

void SyncAgent::stop(std::function<void()> stopped) {
  executor_.post([this, stopped = std::move(stopped)]() mutable {
    stopped_ = std::move(stopped);
    stop_.raise();
    if (loops_running_ == 0 && stopped_) std::exchange(stopped_, nullptr)();
  });
}

void SyncAgent::loop_ended() {
  if (--loops_running_ == 0 && stopped_) std::exchange(stopped_, nullptr)();
}

void SyncAgent::on_local_change(const oci::ContentChange& change) {
  const auto settings = replica_.settings();
  const bool journalled = settings && settings->mode == auth::RegistryMode::ReadWrite;
  if (journalled) store_.append(change);
  children_log_.append(change, clock_.now());
  if (settings) {
    std::lock_guard lock(status_mutex_);
    for (const auto& pattern : settings->notifications) {
      if (!notification_matches(pattern, change)) continue;
      if (notifications_.size() >= kMaxPendingNotifications) notifications_.erase(notifications_.begin());
      nlohmann::json event = {{"action", change.kind == oci::ContentChange::Kind::ManifestPut ? "push" : "delete"},
                              {"repository", change.repository},
                              {"digest", change.digest.str()},
                              {"time", format_rfc3339(clock_.now())},
                              {"connectedRegistry", options_.cr_name}};
      if (change.tag) event["tag"] = *change.tag;
      notifications_.push_back(std::move(event));
      break;
    }
  }
  // A client's push into a repository whose changes wait for content damaged or missing here may be the repair (that
  // content pushed again): they are tried at once, not after the cap. (Not a repository the parent turns down: its
  // answer does not change with what a client pushes here, and each push would send the change up again.)
  executor_.post([this, journalled, repository = change.repository] {
    if (journalled) pushed_into_.insert(repository);
    if (awaiting_repair_.contains(repository)) refused_until_.erase(repository);
    push_wakeup_.notify();
  });
}

void SyncAgent::set_state(ConnectionState state) {
  const ConnectionState before = state_.exchange(state);
  if (before != state) {
    log::info("connection state", {{"cr", options_.cr_name}, {"state", to_string(state)}});
    last_status_sent_ = Nanoseconds(-1);  // report the change with the next round
  }
}

void SyncAgent::set_disabled(bool disabled) {
  if (disabled_.exchange(disabled) == disabled || !options_.remember_disabled) return;
  try {
    options_.remember_disabled(disabled);
  } catch (const std::exception& error) {  // (a full disk): it holds in memory, and is kept at the next change
    log::warn("whether the sync token is disabled could not be kept", {{"cr", options_.cr_name}, {"error", error.what()}});
  }
}

void SyncAgent::round_failed() {
  last_failed_round_began_.store(round_began_.count());  // set before the count moves, as for a completed round
  ++failed_rounds_;
}

void SyncAgent::record_failure(const SyncFailure& failure) {
  ++failures_;
  switch (failure.kind()) {
    case Failure::Disabled:
      set_disabled(true);
      set_state(ConnectionState::Unhealthy);
      break;
    case Failure::AlreadyActive:
      // Refused its activation: each round asks again, and succeeds once the activation is free. Turned down while
      // active (another instance activated, or deactivate freed the activation, SPEC 2.7): it stops syncing and
      // pushing for good, until restarted, instead of racing the new instance for the activation.
      if (activated_.exchange(false)) superseded_ = true;
      ready_ = false;
      set_state(ConnectionState::Unhealthy);
      break;
    case Failure::Refused:
      set_state(ConnectionState::Unhealthy);
      break;
    case Failure::CursorExpired:
      need_resync_ = true;
      break;
    case Failure::Rejected:
      break;  // one change's problem, not the link's (the push loop holds its repository and reports it)
    case Failure::Raced:
      log::info("a sync attempt raced a change here; tried again", {{"cr", options_.cr_name}, {"why", failure.what()}});
      return;
    default:
      set_state(ConnectionState::Offline);
      message_config_version_ = 0;  // the next round starts with a short configuration read, not a long poll
      break;
  }
  std::lock_guard lock(status_mutex_);
  if (status_details_.size() >= kMaxDetails) status_details_.erase(status_details_.begin());
  static constexpr const char* kCodes[] = {"ParentUnreachable", "SyncTokenDisabled", "Refused",
                                           "AlreadyActivated", "CursorExpired",  "NotFound",
                                           "PushRejected",      "Raced"};  // (Raced returned above)
  static_assert(std::size(kCodes) == static_cast<size_t>(Failure::Raced) + 1, "a code for every kind");
  status_details_.push_back({{"type", "Sync"},
                             {"code", kCodes[static_cast<int>(failure.kind())]},
                             {"description", failure.what()},
                             {"timestamp", format_rfc3339(clock_.now())}});
  log::warn("sync failed", {{"cr", options_.cr_name}, {"error", failure.what()}});
}

nlohmann::json SyncAgent::status() const {
  std::lock_guard lock(status_mutex_);
  nlohmann::json report = {{"name", options_.cr_name},
                           {"connectionState", to_string(state_.load())},
                           {"activation", activated_ ? "Active" : "Inactive"},
                           {"instanceId", options_.instance_id},
                           {"version", options_.software_version},
                           {"loginServer", options_.own_login_server},
                           {"statusDetails", all_status_details()},
                           {"pendingPushes", store_.pending_count()}};
  report["lastSyncTime"] = last_sync_time_ ? nlohmann::json(format_rfc3339(*last_sync_time_)) : nlohmann::json();
  report["lastActivityTime"] =
      last_activity_time_ ? nlohmann::json(format_rfc3339(*last_activity_time_)) : nlohmann::json();
  return report;
}

std::string SyncAgent::status_text(const std::vector<nlohmann::json>& notifications) const {
  std::string out;
  out.reserve(512);
  append_status_text(out, notifications);
  return out;
}

void SyncAgent::append_status_text(std::string& out, const std::vector<nlohmann::json>& notifications) const {
  std::lock_guard lock(status_mutex_);
  // The members that never change (the options') are written once, on the first report: a text that is not UTF-8
  // throws here as it did on every report, and nothing is kept then.
  if (fixed_status_.text.empty()) {
    FixedStatus fixed;
    fixed.text = ",\"instanceId\":";
    append_json_string(fixed.text, options_.instance_id);
    fixed.login_server = fixed.text.size();
    fixed.text += ",\"loginServer\":";
    append_json_string(fixed.text, options_.own_login_server);
    fixed.text += ",\"name\":";
    append_json_string(fixed.text, options_.cr_name);
    fixed.text += ",\"notifications\":";
    fixed.version = fixed.text.size();
    fixed.text += ",\"version\":";
    append_json_string(fixed.text, options_.software_version);
    fixed.text += '}';
    fixed_status_ = std::move(fixed);
  }
  const std::string_view fixed = fixed_status_.text;
  // Members in the order dump() writes status()'s: sorted by key.
  const auto optional_time = [&out](const std::optional<WallTime>& time) {
    if (!time) {
      out += "null";
      return;
    }
    // A formatted time never holds a byte that needs an escape (digits and punctuation, none '"' or '\\'): quoted as
    // it is, without looking.
    out += '"';
    out += format_rfc3339(*time);
    out += '"';
  };
  const auto array = [&out](const std::vector<nlohmann::json>& values) {
    if (values.empty()) {
      out += "[]";
      return;
    }
    out += nlohmann::json(values).dump();
  };
  out += activated_ ? "{\"activation\":\"Active\"" : "{\"activation\":\"Inactive\"";
  out += ",\"connectionState\":";
  out += '"';
  out += to_string(state_.load());  // a name of a state: nothing to escape
  out += '"';
  out += fixed.substr(0, fixed_status_.login_server);  // instanceId
  out += ",\"lastActivityTime\":";
  const size_t activity = out.size();
  optional_time(last_activity_time_);
  const size_t activity_size = out.size() - activity;
  out += ",\"lastSyncTime\":";
  if (last_sync_time_ == last_activity_time_)
    out.append(out, activity, activity_size);  // a node that synced last was active then: the same text, made once
  else
    optional_time(last_sync_time_);
  out += fixed.substr(fixed_status_.login_server, fixed_status_.version - fixed_status_.login_server);  // to notifications
  array(notifications);
  out += ",\"pendingPushes\":";
  out += std::to_string(store_.pending_count());
  out += ",\"statusDetails\":";
  if (push_refusals_.empty() && push_drops_.empty()) {
    array(status_details_);  // (nearly always: no copy)
  } else {
    array(all_status_details());
  }
  out += fixed.substr(fixed_status_.version);  // version, and the end
}

std::vector<nlohmann::json> SyncAgent::all_status_details() const {
  std::vector<nlohmann::json> details = status_details_;
  for (const auto& [repository, refusal] : push_refusals_) details.push_back(refusal);
  for (const DroppedDetail& dropped : push_drops_) details.push_back(dropped.detail);
  return details;
}

void SyncAgent::note_pushed(const JournalEntry& entry, std::optional<ContentSync::DroppedPush> dropped) {
  const oci::ContentChange& change = entry.change;
  // Deleted here while its push ran: nothing is left to report (asked before the lock status readers wait on).
  if (dropped && !storage_.metadata->has_manifest(dropped->repository, dropped->digest)) dropped.reset();
  std::lock_guard lock(status_mutex_);
  const auto same = [](const std::string& repository, const oci::Digest& digest) {
    return [&repository, &digest](const DroppedDetail& shown) {
      return shown.repository == repository && shown.digest == digest;
    };
  };
  if (!dropped) {
    // The same manifest went up this time (pushed again with what it names): what was dropped is above now.
    if (change.kind == oci::ContentChange::Kind::ManifestPut &&
        std::erase_if(push_drops_, same(change.repository, change.digest)) > 0)
      last_status_sent_ = Nanoseconds(-1);
    return;
  }
  std::erase_if(push_drops_, same(dropped->repository, dropped->digest));
  if (push_drops_.size() >= kMaxDetails) {
    log::warn("an index that cannot go up is no longer reported (more recent ones are)",
              {{"cr", options_.cr_name},
               {"repository", push_drops_.front().repository},
               {"digest", push_drops_.front().digest.str()}});
    push_drops_.erase(push_drops_.begin());
  }
  push_drops_.push_back({dropped->repository, dropped->digest,
                         {{"type", "Sync"},
                          {"code", "PushDropped"},
                          {"description", "manifest " + dropped->digest.str() + " of repository '" +
                                              dropped->repository + "' cannot go up (" + dropped->why +
                                              "): it is not pushed up from this node; deleting it here, or pushing "
                                              "it again with what it names, ends this"},
                          {"timestamp", format_rfc3339(clock_.now())}}});
  last_status_sent_ = Nanoseconds(-1);  // tell the parent with the next round
}

void SyncAgent::forget_drops_no_longer_here() {
  // Deleted here since: nothing is left here that is not above. (Only this thread changes push_drops_: it is read
  // here without the lock, and the storage is asked without holding the lock that status readers wait on.)
  std::vector<size_t> gone;
  try {
    for (size_t i = 0; i < push_drops_.size(); ++i)
      if (!storage_.metadata->has_manifest(push_drops_[i].repository, push_drops_[i].digest)) gone.push_back(i);
  } catch (const std::exception& error) {
    // The pass's pushes went through; a storage that cannot answer now is asked again after the next pass.
    log::warn("could not look for dropped indexes deleted here", {{"cr", options_.cr_name}, {"error", error.what()}});
    return;
  }
  if (gone.empty()) return;
  std::lock_guard lock(status_mutex_);
  for (auto i = gone.rbegin(); i != gone.rend(); ++i) push_drops_.erase(push_drops_.begin() + static_cast<ptrdiff_t>(*i));
  last_status_sent_ = Nanoseconds(-1);
}

void SyncAgent::render_metrics(std::string& out) const {
  std::lock_guard lock(status_mutex_);
  const auto line = [&out](const char* name, const char* type, const char* help, const std::string& labels,
                           uint64_t value) {
    out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n" + name + labels + " " +
           std::to_string(value) + "\n";
  };
  line("outpost_sync_bytes_total", "counter", "Body bytes of sync exchanges the parent answered.",
       "{direction=\"down\"}", reported_link_.bytes_down);
  out += "outpost_sync_bytes_total{direction=\"up\"} " + std::to_string(reported_link_.bytes_up) + "\n";
  line("outpost_sync_artifacts_total", "counter", "Manifests and blobs moved by sync.", "{direction=\"down\"}",
       reported_content_.manifests_down + reported_content_.blobs_down);
  out += "outpost_sync_artifacts_total{direction=\"up\"} " +
         std::to_string(reported_content_.manifests_up + reported_content_.blobs_up) + "\n";
  line("outpost_sync_rounds_total", "counter", "Sync rounds completed.", "", rounds_);
  line("outpost_sync_failures_total", "counter", "Sync attempts that failed.", "", failures_);
  line("outpost_sync_conflicts_total", "counter", "Tags where the parent's value won (SPEC 5.7).", "",
       reported_content_.conflicts);
  line("outpost_sync_pending_pushes", "gauge", "Journal entries waiting to go up.", "", store_.pending_count());
  const int64_t lag = last_sync_time_ ? std::chrono::duration_cast<std::chrono::seconds>(clock_.now() -
                                                                                         *last_sync_time_).count()
                                      : -1;
  out += "# HELP outpost_sync_lag_seconds Seconds since the last completed sync round (-1: never).\n"
         "# TYPE outpost_sync_lag_seconds gauge\noutpost_sync_lag_seconds " + std::to_string(lag) + "\n";
  line("outpost_sync_ready", "gauge", "1 once activated and synced once.", "", ready_.load() ? 1 : 0);
  // The connection state as a gauge per state (1 for the current one), as Prometheus exporters show an enum: the
  // state a node cut off from its parent knows and its parent cannot be told.
  const ConnectionState state = state_.load();
  out += "# HELP outpost_sync_connection_state The connection state to the parent (1: the current one).\n"
         "# TYPE outpost_sync_connection_state gauge\n";
  for (const ConnectionState each :
       {ConnectionState::Online, ConnectionState::Offline, ConnectionState::Syncing, ConnectionState::Unhealthy})
    out += "outpost_sync_connection_state{state=\"" + std::string(to_string(each)) + "\"} " +
           (each == state ? "1\n" : "0\n");
}

Task<void> SyncAgent::activate() {
  // Built before the co_await: GCC 12 mishandles braced initializers with string literals inside co_await operands.
  nlohmann::json body = nlohmann::json::object();
  body["instanceId"] = options_.instance_id;
  body["protocolVersion"] = options_.protocol_version > 0 ? options_.protocol_version : gateway::kProtocolVersion;
  co_await link_.gateway(http::Method::Post, options_.cr_name, "activate", std::string(), body.dump(),
                         std::chrono::seconds(60), ParentLink::Reading::Text);  // only checked: nothing in it is read
  activated_ = true;
  // Named from now on: before its activation (a configuration check outside its window) an instance is not judged.
  link_.set_instance(options_.instance_id);
  log::info("activated", {{"cr", options_.cr_name}, {"instance", options_.instance_id}});
}

Task<void> SyncAgent::refresh_config() {
  const std::string query = "version=" + std::to_string(replica_.version());
  ParentLink::GatewayAnswer answer =
      co_await link_.gateway(http::Method::Get, options_.cr_name, "config", query, std::nullopt,
                             std::chrono::seconds(60));
  // The parent answered: the link is up (a state says what was last observed, so it changes only on an answer).
  if (state_.load() == ConnectionState::Offline || state_.load() == ConnectionState::Unhealthy)
    set_state(ConnectionState::Online);
  if (answer.status == 304) co_return;
  try {
    replica_.apply(std::move(answer.body));
  } catch (const std::exception& error) {
    throw SyncFailure(Failure::Refused, std::string("the parent's configuration is unusable: ") + error.what());
  }
  const auto settings = replica_.settings();
  if (const std::string content = replica_.parent_login_server(); !content.empty()) link_.address().content = content;
  if (settings->resync != seen_resync_) {
    seen_resync_ = settings->resync;
    need_resync_ = true;  // SPEC 2.11: compare everything, and check every byte held against its digest
    verify_next_resync_ = true;
  }
  if (settings->repositories != seen_repositories_) {
    seen_repositories_ = settings->repositories;
    need_resync_ = true;  // new repositories to fetch, or (ReadOnly) de-scoped ones to remove (SPEC 2.8)
  }
  log::info("configuration applied", {{"cr", options_.cr_name}, {"version", replica_.version()}});
}

Task<void> SyncAgent::resync() {
  const auto settings = replica_.settings();
  set_state(ConnectionState::Syncing);
  cursor_unread_ = true;  // until a read goes through, a 410 (here or on that read) says this resync bought nothing
  // The cursor is taken before the comparison, so whatever changes during it arrives as messages afterwards.
  ParentLink::GatewayAnswer start =
      co_await link_.gateway(http::Method::Get, options_.cr_name, "messages", std::string(), std::nullopt,
                             std::chrono::seconds(60));
  ParentLink::GatewayAnswer inventory = co_await link_.gateway(http::Method::Get, options_.cr_name, "inventory",
                                                               std::string(), std::nullopt, std::chrono::minutes(10));
  co_await content_.full_resync(inventory.body, settings->repositories,
                                settings->mode == auth::RegistryMode::ReadOnly, verify_next_resync_);
  if (verify_next_resync_) store_.set_resync_done(settings->resync);
  verify_next_resync_ = false;
  set_cursor(start.body.value("cursor", std::string()));
  need_resync_ = false;
  log::info("full resync done", {{"cr", options_.cr_name}});
}

Task<void> SyncAgent::report_status(Nanoseconds timeout) {
  std::vector<nlohmann::json> notifications;
  {
    std::lock_guard lock(status_mutex_);
    notifications.swap(notifications_);
  }
  // This node's own report is written straight into the body, not written out and then copied in; the descendants'
  // reports follow as the bytes they arrived in: only the cloud reads them.
  std::string body;
  body.reserve(512);
  gateway::begin_status_body(body);
  append_status_text(body, notifications);
  replica_.end_status_body(body);
  // A report that did not go through keeps its notifications for the next one, ahead of any that came since: they
  // are events, not state. The descendants' reports are state, and the next ones replace them, but for the
  // notifications they carry, which the replica keeps in the same way. Unless the parent refused the body as too large
  // (413): held again, the relayed ones made every later body as large, and every round failed on it for good. They
  // are dropped then, as their reports are (the failure is in statusDetails); this node's own few are kept.
  const auto keep_for_next = [this, &notifications](bool too_large) {
    if (too_large)
      replica_.status_sent();
    else
      replica_.status_not_sent();
    std::lock_guard lock(status_mutex_);
    notifications.insert(notifications.end(), std::make_move_iterator(notifications_.begin()),
                         std::make_move_iterator(notifications_.end()));
    notifications_.swap(notifications);
  };
  try {
    co_await link_.gateway(http::Method::Post, options_.cr_name, "status", std::string(), std::move(body), timeout,
                           ParentLink::Reading::Text);  // only checked: nothing in it is read
    replica_.status_sent();
  } catch (const SyncFailure& failure) {
    keep_for_next(failure.status() == 413);
    throw;
  } catch (...) {
    keep_for_next(false);
    throw;
  }
  last_status_sent_ = clock_.monotonic();
}

bool SyncAgent::window_closed(const OwnSettings* settings) const {
  // The cloud validated it; an unreadable one must not stop sync.
  return settings && settings->sync_window && !settings->sync_window->open_at(clock_.now());
}

std::string SyncAgent::not_ready_reason() const {
  // Turned down or disabled, a node answers its clients 503 whether it synced before or not: not ready either way.
  if (superseded_.load())
    return "turned down by its parent: another instance of this connected registry is active, or deactivate freed "
           "its activation; restart it to activate again (SPEC 2.7)";
  if (disabled_.load()) return "its sync token is disabled at the cloud (SPEC 2.6)";
  if (ready_.load()) return "";
  if (!activated_.load()) return "not activated yet: it activates with its parent's gateway (docs/protocol.md)";
  const auto settings = replica_.settings();
  if (window_closed(settings.get())) {
    const auto next = settings->sync_window->next_open_after(clock_.now());
    return "waiting for its sync window" +
           (next ? " (the next opens at " + format_rfc3339(*next) + ")" : std::string(" (none is scheduled)"));
  }
  return "not synced once yet";
}

Task<void> SyncAgent::wait_for_window() {
  bool said = false;
  for (;;) {
    const auto settings = replica_.settings();
    if (!window_closed(settings.get())) co_return;
    const SyncWindow* window = &*settings->sync_window;
    const WallTime now = clock_.now();
    const auto next = window->next_open_after(now);
    if (!said) {  // once per wait: why nothing syncs (a node started outside its window is not ready until then)
      log::info("waiting for the sync window", {{"cr", options_.cr_name},
                                               {"opens", next ? format_rfc3339(*next) : std::string("never")}});
      said = true;
    }
    Nanoseconds delay = next ? std::min<Nanoseconds>(*next - now, options_.config_check_interval)
                             : options_.config_check_interval;
    co_await sleep_for(stop_, std::max<Nanoseconds>(delay, std::chrono::milliseconds(1)));
    if (!next || clock_.now() < *next) {
      // Outside windows only this small check crosses the link (docs/protocol.md): a schedule changed at the cloud
      // is seen without waiting for a window that may never come.
      try {
        co_await refresh_config();
      } catch (const SyncFailure& failure) {
        record_failure(failure);
      }
    }
  }
}

Task<void> SyncAgent::round() {
  // The settings and the configuration version are read again only after what may change them (only this agent applies
  // a document): each read takes the replica's lock and a count on the settings, cold by the next round.
  std::shared_ptr<const OwnSettings> settings = replica_.settings();
  round_began_ = clock_.monotonic();
  const auto turned_down = [this] {
    return SyncFailure(Failure::AlreadyActive,
                       "this instance was turned down by its parent: another instance of " + options_.cr_name +
                           " is active, or the activation was freed (deactivate); restart it to activate again");
  };
  if (superseded_) throw turned_down();
  // Activated first, window or not: a node restarted outside its window with a saved configuration would otherwise
  // wait for the window unactivated (a fresh one activates at once, having no configuration to find a window in).
  if (!activated_) {
    co_await activate();
    settings = replica_.settings();
  }
  if (window_closed(settings.get())) {
    co_await wait_for_window();
    settings = replica_.settings();
    round_began_ = clock_.monotonic();  // waiting for the window is not part of the round
    if (superseded_) throw turned_down();
  }
  uint64_t version = message_config_version_;  // the replica's, unless the configuration is read below
  if (!settings || message_config_version_ != replica_.version() || message_config_version_ == 0) {
    co_await refresh_config();
    settings = replica_.settings();
    version = replica_.version();
  }
  read_only_ = settings->mode == auth::RegistryMode::ReadOnly;
  std::optional<SyncWindow> unread;  // only when the schedule does not parse: this throws the parser's error
  const SyncWindow& window = settings->sync_window ? *settings->sync_window
                                                   : unread.emplace(CronSchedule::parse(settings->schedule),
                                                                    settings->window);
  if (!window.open_at(clock_.now())) {
    // Outside its window a CR sends nothing but configuration checks (SPEC 5.4, docs/protocol.md). wait_for_window
    // lets the first round of a node that has never been configured through, since it cannot know its schedule
    // before; that round activates and reads the configuration and must stop there. It used to go on to a full resync
    // and a message read, so a CR started outside its window pulled the content its parent held through the closed
    // window. (Also a round whose window closed while it waited for the configuration.) The next round waits for the
    // window; the node becomes ready after its first round in a window (SPEC 1.4).
    co_return;
  }
  if (need_resync_) co_await resync();

  // A long poll, cut at the window's end. A round in a one-minute window of a schedule without one (closes_at gives
  // nothing) does not wait: it runs once per occurrence, and so does a round whose window closed while it ran (it
  // reads once, without holding the read open outside the window). A window open with no end, as overlapping
  // windows that merge (`0 * * * *` with PT1H), waits as a continuous schedule does: it used to poll with wait=0, a
  // busy loop.
  Nanoseconds wait{0};
  if (window.continuous()) {
    wait = options_.long_poll;
  } else if (const auto closes = window.closes_at(clock_.now())) {
    wait = std::min<Nanoseconds>(options_.long_poll, *closes - clock_.now());
  } else if (settings->window && window.open_at(clock_.now())) {
    wait = options_.long_poll;  // open, and no end to it: merged windows that never close
  }
  const bool status_due = last_status_sent_ < Nanoseconds(0) ||
                          clock_.monotonic() - last_status_sent_ >= options_.status_interval;
  if (status_due || !ready_) {
    wait = Nanoseconds(0);  // answer promptly: status or readiness is waiting on this round
  } else {
    // Wake up in time for the next status report (it carries the descendants' reports too).
    wait = std::min(wait, options_.status_interval - (clock_.monotonic() - last_status_sent_));
  }
  const auto seconds = std::chrono::ceil<std::chrono::seconds>(std::max(wait, Nanoseconds(0))).count();
  // The numbers are written in place (to_chars), not each into a string of its own first.
  char numbers[2][24];
  const std::string_view seconds_text(numbers[0], std::to_chars(numbers[0], numbers[0] + 24, seconds).ptr);
  const std::string_view version_text(numbers[1], std::to_chars(numbers[1], numbers[1] + 24, version).ptr);
  std::string query;
  query.reserve(cursor_encoded_.size() + 64);  // the rest is two numbers and their names: written without regrowing
  using namespace std::string_view_literals;
  query.append("cursor="sv).append(cursor_encoded_).append("&wait="sv).append(seconds_text);
  query.append("&configVersion="sv).append(version_text);
  ParentLink::GatewayAnswer answer =
      co_await link_.gateway(http::Method::Get, options_.cr_name, "messages", std::move(query), std::nullopt,
                             wait + std::chrono::seconds(60), ParentLink::Reading::Unchecked);
  cursor_unread_ = false;  // answered: the parent still knew the cursor
  const MessagesAnswer messages(std::move(answer.text));  // checked as it is read
  if (!messages.json()) throw link_.not_json("messages");
  if (messages.too_deep()) throw link_.too_deep("messages");
  message_config_version_ = messages.config_version();
  const size_t count = messages.size();
  if (count > 0) set_state(ConnectionState::Syncing);
  for (size_t i = 0; i < count; ++i) {
    oci::ContentChange change = messages.change(i);
    co_await content_.apply(std::move(change));
  }
  if (!messages.cursor_is(cursor_)) set_cursor(messages.cursor(cursor_));
  set_state(ConnectionState::Online);
  last_round_began_.store(round_began_.count());
  ++rounds_;
  {
    std::lock_guard lock(status_mutex_);
    last_sync_time_ = clock_.now();
    last_activity_time_ = last_sync_time_;
    // A round went through: the problems reported so far are over. As ACR's statusDetails, refreshed on every sync;
    // empty means healthy (kept, they made a node that once failed look unwell forever).
    status_details_.clear();
    reported_link_ = link_.counters();
    reported_content_ = content_.counters();
  }
  ready_ = true;
  if (last_status_sent_ < Nanoseconds(0) || clock_.monotonic() - last_status_sent_ >= options_.status_interval)
    co_await report_status();
  if (settings->gc_enabled) co_await run_gc_if_due(*settings);  // (no coroutine for the nodes that never collect)
  if (!window.continuous() && !settings->window) {
    // No window: one round per cron occurrence (cron.h, SyncWindow). The wait until the next one checks the
    // configuration as a closed window's does: it used to sleep through, so a token disabled at the cloud stayed
    // accepted here until the next occurrence (a year, for `0 0 1 1 *`).
    if (const auto next = window.next_open_after(clock_.now())) co_await sleep_checking_config(window, *next);
  }
}

Task<void> SyncAgent::sleep_checking_config(const SyncWindow& window, WallTime until) {
  const uint64_t version = replica_.version();
  for (;;) {
    const WallTime now = clock_.now();
    if (now >= until) co_return;
    co_await sleep_for(stop_, std::max<Nanoseconds>(std::min<Nanoseconds>(until - now, options_.config_check_interval),
                                                    std::chrono::milliseconds(1)));
    if (clock_.now() >= until) co_return;
    try {
      co_await refresh_config();
    } catch (const SyncFailure& failure) {
      record_failure(failure);
    }
    // A new schedule may open sooner: the next round reads it. Not inside this occurrence's minute, though, where
    // the next round would find the window open and sync a second time.
    if (replica_.version() != version && !window.open_at(clock_.now())) co_return;
  }
}

void SyncAgent::set_cursor(std::string cursor) {
  if (cursor == cursor_) return;
  cursor_ = std::move(cursor);
  cursor_encoded_ = http::percent_encode(cursor_);
}

AttemptProgress::Counts SyncAgent::pull_counts() {
  const ContentCounters& c = content_.counters();
  return {c.manifests_down + c.blobs_down + c.deletes_down, link_.counters().gateway_answers};
}

AttemptProgress::Counts SyncAgent::push_counts() const {
  // Not manifests_up: a manifest is PUT by digest again on every attempt at its entry, so an entry whose tag step fails
  // every time would count as work each time and be retried quickly forever. A blob is sent only when the parent lacks
  // it (and a delete settles its entry), so those count.
  const ContentCounters& c = content_.counters();
  return {c.blobs_up + c.deletes_up + acknowledged_, c.push_answers};
}

Task<void> SyncAgent::pull_loop() {
  for (;;) {
    // The backoff paces retries against a parent that cannot be reached (SPEC 5.6). A failed round that stored
    // something, or that lost an exchange after its parent had answered part of it (a few times in a row at most),
    // reached its parent: the link merely lost one exchange (a reset, a cut), so the next attempt starts again from the
    // shortest delay (attempt_progress.h says why). A parent that is down, that turns the round down (5xx, 429), or
    // that keeps losing the round's exchanges with nothing stored, still backs off to the cap.
    pull_attempts_.begin(pull_counts());
    bool failed = false;
    bool lost = false;   // the failure was an exchange that got no answer
    bool raced = false;  // ... or a change here under it (Raced): tried again after the shortest delay
    bool window_ended = false;  // the sync window closed under the round: not a failure, it resumes in the next
    try {
      co_await round();
      pull_backoff_.reset();
      pull_attempts_.succeeded();
      // The link works: anything journalled may go now. A ReadOnly node never pushes (its mode is immutable, SPEC
      // 2.3) and its push loop wakes only to find that out again, so it is not woken: in a wide tree of ReadOnly
      // leaves that wake-up after every round (an event posted, a timer cancelled and another armed) was a few % of
      // the whole fleet's time.
      if (!read_only_) push_wakeup_.notify();
    } catch (const SyncFailure& failure) {
      window_ended = failure.kind() == Failure::WindowClosed;  // not a failure of the link (parent_link.h)
      if (!window_ended) {
        failed = true;
        lost = failure.lost();
        raced = failure.kind() == Failure::Raced;
        round_failed();
        record_failure(failure);
        // A 410 during a full resync or on the first read after it: the parent answers but sync cannot go on (its
        // log moves past this node faster than it follows, or it is broken). Unhealthy, as for a parent that turns
        // the node down: the next resync goes after the backoff below, not at once (without it, a parent answering
        // every read with 410 was sent a resync and a read in a busy loop), and the node reports why while it waits
        // (it stayed Syncing, the state the resync had set).
        if (failure.kind() == Failure::CursorExpired && cursor_unread_) set_state(ConnectionState::Unhealthy);
      }
    } catch (const Cancelled&) {
      throw;
    } catch (const std::exception& error) {  // storage or a malformed answer: never let it end the loop (SPEC 5.6)
      failed = true;
      round_failed();
      record_failure(SyncFailure(Failure::Unreachable, std::string("sync round failed: ") + error.what()));
    }
    if (window_ended) {  // what the round had not done yet, it does in the next window (SPEC 5.4)
      // The parent was in reach: a node waiting for its window shows Online, as after a round that finished.
      if (state_.load() == ConnectionState::Syncing) set_state(ConnectionState::Online);
      co_await wait_for_window();
      continue;
    }
    // A race here is paced as a lost exchange is: the parent answered, so the retry starts from the shortest delay, a
    // few times in a row at most without work done, then backs off.
    if (failed && pull_attempts_.failed(pull_counts(), lost || raced)) pull_backoff_.reset();
    const ConnectionState after = state_.load();
    const bool down = after == ConnectionState::Offline || after == ConnectionState::Unhealthy;
    // The state stays as the round left it (Syncing): the wait below, taken here. (Once: the push loop may have set
    // Offline meanwhile, and the wait below is then the one.)
    if (raced && !down) co_await sleep_for(stop_, pull_backoff_.next(random_));
    if (down) {
      {
        std::lock_guard lock(status_mutex_);
        reported_link_ = link_.counters();
        reported_content_ = content_.counters();
      }
      co_await sleep_for(stop_, pull_backoff_.next(random_));
      // Refused for another reason (token, protocol, activation) or sent back to resync again and again (410):
      // report it if the parent will listen. Offline (the parent or its content out of reach), a report is tried
      // once per status interval: the gateway may well answer while the content does not (SPEC 5.3: status, errors
      // included, flows up), and the cloud otherwise went on showing the last report, Online.
      // Offline, paced by the last attempt (a report to an unreachable parent fails, and would otherwise be tried
      // again after every backoff).
      const bool report_due = last_status_attempt_ < Nanoseconds(0) ||
                              clock_.monotonic() - last_status_attempt_ >= options_.status_interval;
      const ConnectionState now = state_.load();
      if (!disabled_ && (now == ConnectionState::Unhealthy || (now == ConnectionState::Offline && report_due))) {
        if (now == ConnectionState::Offline) last_status_attempt_ = clock_.monotonic();
        try {
          co_await report_status(now == ConnectionState::Offline ? std::chrono::seconds(10) : std::chrono::seconds(60));
        } catch (const SyncFailure&) {
        }
      }
    }
  }
}

Task<void> SyncAgent::push_loop() {
  for (;;) {
    // A local change, a round that reached the parent and a retry after a failure wake this loop; the timeout is a
    // safety net. A ReadOnly node never pushes (its mode is immutable, SPEC 2.3), so it need not wake every 30 s to find
    // that out again: in a wide tree of ReadOnly leaves those wake-ups were most of the simulator's events. It waits
    // until there is something this node may push; the settings read at each wake-up pace the next wait.
    auto settings = replica_.settings();
    for (;;) {
      const bool read_only = settings && settings->mode == auth::RegistryMode::ReadOnly;
      Nanoseconds wait = read_only ? Nanoseconds(std::chrono::hours(24)) : Nanoseconds(std::chrono::seconds(30));
      // A held repository is tried again when its hold ends, not up to one more safety-net wait later.
      for (const auto& [repository, until] : refused_until_)
        wait = std::min(wait, std::max(Nanoseconds(0), until - clock_.monotonic()));
      co_await push_wakeup_.wait(wait);
      settings = replica_.settings();
      if (settings && settings->mode == auth::RegistryMode::ReadWrite && activated_ && !disabled_) break;
    }
    push_attempts_.begin(push_counts());  // as in pull_loop
    bool lost = false;
    bool raced = false;
    try {
      if (window_closed(settings.get())) co_await wait_for_window();
      // A repository the parent refuses (403: this node's sync token may not write it, e.g. one a ReadOnly child
      // added, which its ancestors sync read-only) holds back only its own changes: they stay in the journal, in
      // their order, and the repository is tried again after the backoff cap; other repositories' changes still go
      // up. Before, the first refused entry blocked every later one for good.
      std::set<std::string, std::less<>> held;  // repositories whose entries wait this pass
      int64_t last_read = 0;                    // entries are read after this id: held ones are not read again
      for (;;) {
        const auto entries = store_.pending(kJournalBatch, last_read);
        if (entries.empty()) break;
        for (const JournalEntry& entry : entries) {
          last_read = entry.id;
          const std::string& repository = entry.change.repository;
          if (held.contains(repository)) continue;
          if (const auto until = refused_until_.find(repository);
              until != refused_until_.end() && clock_.monotonic() < until->second) {
            held.insert(repository);
            continue;
          }
          std::optional<SyncFailure> refusal;
          pushed_into_.erase(repository);
          try {
            co_await content_.push(entry);
          } catch (const SyncFailure& failure) {
            // The same holds a change that cannot go up as it is (Rejected: turned down above, or damaged or missing
            // here). Thrown on, it failed every pass at the same entry: the whole journal stopped behind it, for
            // good, and the node reported its parent Offline.
            const bool forbidden = failure.kind() == Failure::Refused && failure.status() == 403;
            if (!forbidden && failure.kind() != Failure::Rejected) throw;
            refusal = failure;
          }
          if (refusal) {
            held.insert(repository);
            const bool rejected = refusal->kind() == Failure::Rejected;
            // Content damaged or missing here (no answer from the parent in it): a client's push may repair it.
            const bool awaits_repair = rejected && refusal->status() == 0;
            if (awaits_repair) {
              awaiting_repair_.insert(repository);
            } else {
              awaiting_repair_.erase(repository);
            }
            // Pushed into by a client while this attempt ran (the answer may be about what was here before; the push
            // may be the repair): tried again at the next pass, once per such push.
            if (rejected && pushed_into_.contains(repository)) {
              push_wakeup_.notify();
            } else {
              refused_until_[repository] = clock_.monotonic() + options_.backoff_cap;
            }
            std::lock_guard lock(status_mutex_);
            const char* code = rejected ? "PushRejected" : "PushRefused";
            std::string description = std::string(rejected ? "a change of repository '" + repository + "' cannot go up"
                                                            : "the parent refuses changes of repository '" +
                                                                  repository + "'") +
                                      " (" + refusal->what() + "); they stay in the journal and are tried again";
            // Reported once per hold, and again when its reason changes (refused above, then damaged here).
            if (const auto shown = push_refusals_.find(repository);
                shown == push_refusals_.end() || shown->second.value("description", "") != description) {
              push_refusals_[repository] = {{"type", "Sync"},
                                            {"code", code},
                                            {"description", std::move(description)},
                                            {"timestamp", format_rfc3339(clock_.now())}};
              last_status_sent_ = Nanoseconds(-1);  // tell the parent with the next round
              log::warn(rejected ? "push-up rejected" : "push-up refused",
                        {{"cr", options_.cr_name}, {"repository", repository}, {"error", refusal->what()}});
            }
            continue;
          }
          refused_until_.erase(repository);
          note_pushed(entry, content_.take_dropped());
          store_.acknowledge(entry.id);
          ++acknowledged_;
        }
      }
      forget_drops_no_longer_here();
      {
        // A repository with nothing held any more is no longer refused.
        std::lock_guard lock(status_mutex_);
        const size_t before = push_refusals_.size();
        std::erase_if(push_refusals_, [&held](const auto& entry) { return !held.contains(entry.first); });
        if (push_refusals_.size() != before) last_status_sent_ = Nanoseconds(-1);
      }
      std::erase_if(refused_until_, [&held](const auto& entry) { return !held.contains(entry.first); });
      std::erase_if(awaiting_repair_, [&held](const std::string& repository) { return !held.contains(repository); });
      push_backoff_.reset();
      push_attempts_.succeeded();
      continue;
    } catch (const Cancelled&) {
      throw;
    } catch (const std::exception& error) {
      const auto* failure = dynamic_cast<const SyncFailure*>(&error);
      if (failure && failure->kind() == Failure::WindowClosed) {
        // Not a failure (parent_link.h): the pass stops at the entry it had reached, and the rest of the journal goes
        // up in the next window, for which the next pass waits (SPEC 5.4).
        push_wakeup_.notify();
        continue;
      }
      lost = failure && failure->lost();
      raced = failure && failure->kind() == Failure::Raced;
      record_failure(failure ? *failure
                             : SyncFailure(Failure::Unreachable, std::string("push-up failed: ") + error.what()));
    }
    if (push_attempts_.failed(push_counts(), lost || raced)) push_backoff_.reset();  // (as in pull_loop)
    co_await sleep_for(stop_, push_backoff_.next(random_));  // (no co_await inside a handler)
    push_wakeup_.notify();
  }
}

Task<void> SyncAgent::relay_activation(std::string cr, std::string instance,
                                       std::function<void(std::optional<ApiError>)> done) {
  try {
    nlohmann::json body = nlohmann::json::object();
    body["instanceId"] = instance;
    co_await link_.gateway(http::Method::Post, cr, "activate", std::string(), body.dump(),
                           std::chrono::seconds(60), ParentLink::Reading::Text);  // only checked
    done(std::nullopt);
  } catch (const SyncFailure& failure) {
    if (failure.kind() == Failure::AlreadyActive) {
      done(ApiError(409, "ALREADY_ACTIVATED", "connected registry " + cr + " is already activated by another instance"));
    } else {
      done(ApiError(503, "UNAVAILABLE", std::string("cannot reach the parent to activate: ") + failure.what()));
    }
  } catch (const Cancelled&) {
    done(ApiError(503, "UNAVAILABLE", "this connected registry is stopping"));
  }
}

Task<void> SyncAgent::run_gc_if_due(const OwnSettings& settings) {
  if (!settings.gc_enabled) co_return;
  const WallTime now = clock_.now();
  if (!next_gc_) {
    try {
      next_gc_ = CronSchedule::parse(settings.gc_schedule).next_after(now);
    } catch (const std::exception&) {
      co_return;
    }
    co_return;
  }
  if (now < *next_gc_) co_return;
  storage::GcOptions gc;
  gc.keep = store_.pending_digests();  // SPEC 5.10: nothing the journal still has to push
  // The next occurrence is due whatever happens below: a collection that failed is tried at it, not every round.
  next_gc_.reset();
  const auto report = storage::collect_garbage(storage_, clock_, gc);
  // A download whose session is gone starts a new one anyway; its row would otherwise stay for good. Only tidying:
  // a store that cannot do it now (a full disk) must not fail the round, whose content is already in.
  size_t forgotten = 0;
  try {
    for (const auto& download : store_.partial_downloads())
      if (!storage_.uploads->get(download.upload))
        forgotten += store_.forget_partial_download(download.repository, download.digest, download.upload);
  } catch (const std::exception& error) {
    log::warn("remembered downloads not tidied", {{"cr", options_.cr_name}, {"error", error.what()}});
  }
  log::info("garbage collected", {{"cr", options_.cr_name}, {"blobs", report.removed.size()},
                                  {"bytes", report.bytes_freed}, {"uploads", report.uploads_removed.size()},
                                  {"uploadBytes", report.upload_bytes_freed}, {"downloadsForgotten", forgotten}});
}

}  // namespace outpost::sync
