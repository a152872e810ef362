#include "simulator/world/workload.h"

#include "reference/gateway/protocol.h"
#include "simulator/engine/event_loop.h"
#include "simulator/world/oci_client.h"
#include "simulator/world/topology_queries.h"

namespace outpost::sim::world {

nlohmann::json WorkloadStats::to_json() const {
  return {{"pushes", {{"attempted", pushes_attempted}, {"acknowledged", pushes_acknowledged},
                      {"refused", pushes_refused}, {"failed", pushes_failed}}},
          {"pulls", {{"attempted", pulls_attempted}, {"ok", pulls_ok}, {"missing", pulls_missing},
                     {"refused", pulls_refused}, {"failed", pulls_failed}, {"unverified", pulls_unverified},
                     {"skipped", pulls_skipped}}},
          {"deletes", {{"attempted", deletes_attempted}, {"acknowledged", deletes_acknowledged},
                       {"missing", deletes_missing}, {"refused", deletes_refused}, {"failed", deletes_failed},
                       {"skipped", deletes_skipped}}},
          {"tags", {{"attempted", tags_attempted}, {"acknowledged", tags_acknowledged}, {"missing", tags_missing},
                    {"refused", tags_refused}, {"failed", tags_failed}, {"skipped", tags_skipped},
                    {"uncertain", tags_uncertain}}},
          {"changes", {{"applied", changes_applied}, {"failed", changes_failed}}}};
}

bool DeleteWatch::may_take(const std::string& key, uint64_t settled_before) const {
  const auto flying = in_flight.find(key);
  const auto done = settled.find(key);
  return (flying != in_flight.end() && flying->second > 0) || unanswered.contains(key) ||
         (done != settled.end() && done->second != settled_before);
}

Workload::Workload(WorkloadContext context, const std::vector<WorkloadItem>& items)
    : context_(std::move(context)), items_(items) {}

void Workload::schedule(Nanoseconds start, Nanoseconds duration) {
  for (const WorkloadItem& item : items_) {
    for (Nanoseconds at : item.timing.expand(duration, context_.random)) {
      ++scheduled_;
      context_.loop.schedule_after(start + at - context_.loop.now(), [this, &item] { fire(item); });
    }
  }
}

void Workload::fire(const WorkloadItem& item) {
  if (context_.stop.raised()) return;
  if (const auto* action = std::get_if<PushAction>(&item.action)) return push(*action);
  if (const auto* action = std::get_if<PullAction>(&item.action)) return pull(*action);
  if (const auto* action = std::get_if<DeleteAction>(&item.action)) return remove(*action);
  if (const auto* action = std::get_if<TagAction>(&item.action)) return retag(*action);
  if (const auto* action = std::get_if<TokenChange>(&item.action))
    return change([this, change = *action] { return context_.op.change_token(change); });
  if (const auto* action = std::get_if<ScopeMapChange>(&item.action))
    return change([this, change = *action] { return context_.op.change_scope_map(change); });
}

Credentials Workload::credentials_of(const std::string& token) const {
  return token == "admin" ? context_.op.admin() : context_.op.credentials(token);
}

void Workload::track(Task<void> task) {
  ++running_;
  spawn(std::move(task), [this](std::exception_ptr) { --running_; });
}

namespace {

Task<void> push_task(OciEndpoint endpoint, std::string node, std::string repository, std::string tag,
                     std::shared_ptr<const SyntheticImage> image, EventLoop* loop, WorldObserver* observer,
                     std::vector<AcknowledgedPush>* acknowledged, WorkloadStats* stats) {
  PushOutcome outcome;
  try {
    outcome = co_await push_image(endpoint, repository, tag, image);
  } catch (const Cancelled&) {
    ++stats->pushes_failed;
    co_return;
  }
  if (outcome.acknowledged) {
    ++stats->pushes_acknowledged;
    acknowledged->push_back({loop->now(), node, repository, tag, image->digest});
    observer->on_push_acknowledged(PushEvent{loop->now(), node, repository, tag, image->digest, image->bytes});
  } else if (outcome.status >= 400) {
    ++stats->pushes_refused;
  } else {
    ++stats->pushes_failed;
  }
}

Task<void> pull_task(OciEndpoint endpoint, std::string node, std::string token, std::string repository,
                     std::string tag, EventLoop* loop, WorldObserver* observer, WorkloadStats* stats) {
  PullOutcome outcome;
  try {
    outcome = co_await pull_image(endpoint, repository, tag);
  } catch (const Cancelled&) {
    ++stats->pulls_failed;
    co_return;
  }
  if (outcome.status == 200) {
    ++stats->pulls_ok;
    if (!outcome.verified) ++stats->pulls_unverified;
  } else if (outcome.status == 404) {
    ++stats->pulls_missing;
  } else if (outcome.status >= 400) {
    ++stats->pulls_refused;
  } else {
    ++stats->pulls_failed;
  }
  observer->on_pull(PullEvent{loop->now(), node, token, repository, tag, outcome.status, outcome.verified});
}

// A delete acknowledged takes its push back: not expected at the cloud any more, nor drawn by later pulls and deletes.
// So does one whose answer never came: the node may have applied it (Jepsen's indeterminate operation), and a push
// expected at the cloud after a delete that was applied would be a false alarm.
Task<void> delete_task(OciEndpoint endpoint, std::string node, std::string repository, std::string reference,
                       std::string digest, EventLoop* loop, WorldObserver* observer,
                       std::vector<AcknowledgedPush>* acknowledged, WorkloadStats* stats, DeleteWatch* watch) {
  const std::string key = repository + "@" + digest;
  ++watch->in_flight[key];
  int status = 0;
  try {
    status = co_await delete_manifest(endpoint, repository, reference);
  } catch (const Cancelled&) {
    --watch->in_flight[key];
    watch->unanswered.insert(key);  // sent, perhaps: it may land
    ++stats->deletes_failed;
    co_return;
  }
  --watch->in_flight[key];
  if (status == 0) watch->unanswered.insert(key);
  if (status == 0 || status == 202) ++watch->settled[key];
  if (status == 404) {
    ++stats->deletes_missing;  // not there (yet, or any more)
    co_return;
  }
  if (status >= 400 || (status != 0 && status != 202)) {
    ++stats->deletes_refused;
    co_return;
  }
  if (status == 202)
    ++stats->deletes_acknowledged;
  else
    ++stats->deletes_failed;  // no answer: counted as failed, and taken back all the same
  // An untag takes back the push of that tag only: the manifest stays, under any other tag a push gave it.
  const bool untag = reference != digest;
  std::erase_if(*acknowledged, [&](const AcknowledgedPush& push) {
    return push.repository == repository && push.digest == digest && (!untag || push.tag == reference);
  });
  observer->on_delete(DeleteEvent{loop->now(), node, repository, reference, digest, status == 202});
}

// A tag acknowledged is a push of the manifest it names: expected at the cloud from now on, a delete of that manifest
// before it notwithstanding (SPEC 5.6: an acknowledged write is not lost).
// One that a delete of the manifest, under way or unanswered at any time between the tag's request and its answer,
// could have taken (here or above) is uncertain, as an unanswered delete is: not expected, and not checked.
Task<void> tag_task(OciEndpoint endpoint, std::string node, std::string repository, std::string digest,
                    std::string tag, EventLoop* loop, WorldObserver* observer,
                    std::vector<AcknowledgedPush>* acknowledged, WorkloadStats* stats, const DeleteWatch* watch) {
  const std::string key = repository + "@" + digest;
  const auto settled = watch->settled.find(key);
  const uint64_t settled_before = settled == watch->settled.end() ? 0 : settled->second;
  const bool overlapped_at_start = watch->may_take(key, settled_before);
  PushOutcome outcome;
  try {
    outcome = co_await tag_manifest(endpoint, repository, digest, tag);
  } catch (const Cancelled&) {
    ++stats->tags_failed;
    co_return;
  }
  if (outcome.acknowledged && (overlapped_at_start || watch->may_take(key, settled_before))) {
    ++stats->tags_uncertain;
  } else if (outcome.acknowledged) {
    ++stats->tags_acknowledged;
    acknowledged->push_back({loop->now(), node, repository, tag, digest});
    observer->on_push_acknowledged(PushEvent{loop->now(), node, repository, tag, digest, 0, true});  // no bytes
  } else if (outcome.status == 404) {
    ++stats->tags_missing;  // not there (yet, or any more)
  } else if (outcome.status >= 400) {
    ++stats->tags_refused;
  } else {
    ++stats->tags_failed;
  }
}

Task<void> change_task(std::function<Task<void>()> make, WorkloadStats* stats) {
  try {
    co_await make();
    ++stats->changes_applied;
  } catch (const std::exception&) {
    ++stats->changes_failed;
  }
}

}  // namespace

void Workload::push(const PushAction& action) {
  ++stats_.pushes_attempted;
  const uint64_t sequence = ++push_sequence_;
  const std::string& repository = action.repositories[context_.random.uniform(action.repositories.size())];
  const std::string tag = action.tag.value_or(action.node + "-" + std::to_string(sequence));
  auto image = std::make_shared<const SyntheticImage>(
      make_image(context_.random, action.layers.draw(context_.random), action.layer_size,
                 action.node + "/" + std::to_string(sequence), action.synthetic));
  track(push_task(endpoint_at(action.node, action.token), action.node, repository, tag, std::move(image), &context_.loop,
                  &context_.observer, &acknowledged_, &stats_));
}

const AcknowledgedPush* Workload::draw(const std::string& node, const std::vector<std::string>& repositories) {
  // What the node should hold by now, if sync keeps up: pushes it syncs, within the item's repositories.
  std::vector<const AcknowledgedPush*> candidates;
  for (const AcknowledgedPush& push : acknowledged_) {
    if (!syncs_repository(context_.topology, node, push.repository)) continue;
    if (!repositories.empty() && !gateway::repository_matches_any(repositories, push.repository)) continue;
    candidates.push_back(&push);
  }
  return candidates.empty() ? nullptr : candidates[context_.random.uniform(candidates.size())];
}

OciEndpoint Workload::endpoint_at(const std::string& node, const std::string& token) {
  return {&context_.clients_at(node), &context_.stop, authority_of(node), credentials_of(token)};
}

void Workload::pull(const PullAction& action) {
  const AcknowledgedPush* chosen = draw(action.node, action.repositories);
  if (!chosen) {
    ++stats_.pulls_skipped;
    return;
  }
  ++stats_.pulls_attempted;
  track(pull_task(endpoint_at(action.node, action.token), action.node, action.token, chosen->repository, chosen->tag,
                  &context_.loop, &context_.observer, &stats_));
}

void Workload::remove(const DeleteAction& action) {
  const AcknowledgedPush* chosen = draw(action.node, action.repositories);
  if (!chosen) {
    ++stats_.deletes_skipped;
    return;
  }
  ++stats_.deletes_attempted;
  track(delete_task(endpoint_at(action.node, action.token), action.node, chosen->repository,
                    action.untag ? chosen->tag : chosen->digest, chosen->digest, &context_.loop, &context_.observer,
                    &acknowledged_, &stats_, &deletes_));
}

void Workload::retag(const TagAction& action) {
  const AcknowledgedPush* chosen = draw(action.node, action.repositories);
  if (!chosen) {
    ++stats_.tags_skipped;
    return;
  }
  ++stats_.tags_attempted;
  track(tag_task(endpoint_at(action.node, action.token), action.node, chosen->repository, chosen->digest,
                 action.node + "-tag-" + std::to_string(++tag_sequence_), &context_.loop, &context_.observer,
                 &acknowledged_, &stats_, &deletes_));
}

void Workload::change(std::function<Task<void>()> make) { track(change_task(std::move(make), &stats_)); }

}  // namespace outpost::sim::world
