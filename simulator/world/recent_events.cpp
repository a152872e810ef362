#include "simulator/world/recent_events.h"

#include <algorithm>

#include "simulator/world/quantities.h"

namespace outpost::sim::world {

std::string_view host_of(std::string_view name) {
  if (name.starts_with("client.")) name.remove_prefix(7);
  return name.substr(0, name.find(':'));
}

RecentEvents::RecentEvents(size_t capacity) : capacity_(std::max<size_t>(capacity, 1)) { ring_.reserve(capacity_); }

RecentEvents::Entry& RecentEvents::next() {
  if (ring_.size() < capacity_) return ring_.emplace_back();
  Entry& slot = ring_[start_];
  start_ = (start_ + 1) % ring_.size();
  return slot;
}

void RecentEvents::add(const RequestEvent& event) {
  Entry& entry = next();
  entry.time = event.done;
  entry.status = event.status;
  entry.method = event.method;
  entry.fault = false;
  entry.from_size = static_cast<uint32_t>(event.from.size());
  entry.to_size = static_cast<uint32_t>(event.to.size());
  entry.target_size = static_cast<uint32_t>(event.target.size());
  entry.text.assign(event.from);
  entry.text += event.to;
  entry.text += event.target;
  if (event.status <= 0) entry.text += event.transport_error;
}

void RecentEvents::add(const FaultEvent& event) {
  Entry entry;
  entry.time = event.time;
  entry.fault = true;
  for (const std::string& target : event.step.targets) entry.text += (entry.text.empty() ? "" : ",") + target;
  entry.to_size = static_cast<uint32_t>(entry.text.size());
  entry.text += to_string(event.step.action);
  if (event.step.action == FaultAction::ClockSkew) entry.text += " " + format_signed_duration(event.step.skew);
  entry.text += " (" + event.step.origin + ")";
  constexpr size_t kFaultsKept = 64;
  if (faults_.size() == kFaultsKept) faults_.erase(faults_.begin());
  faults_.push_back(std::move(entry));
}

bool RecentEvents::involves(const Entry& entry, std::string_view host) {
  if (!entry.fault) return host_of(entry.from()) == host || host_of(entry.to()) == host;
  const std::string_view targets = entry.to();
  if (targets.empty()) return true;  // a heal of everything
  for (size_t start = 0; start <= targets.size();) {
    const size_t comma = targets.find(',', start);
    if (targets.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start) == host)
      return true;
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return false;
}

std::string RecentEvents::line(const Entry& entry) {
  std::string out = format_duration(std::chrono::round<std::chrono::milliseconds>(entry.time)) + " ";
  if (entry.fault) {
    out += "fault ";
    out += entry.rest();
    out += " on ";
    out += entry.to().empty() ? std::string_view("every link") : entry.to();
    return out;
  }
  // "client.line1 -> line1:5000 GET /v2/apps/web/manifests/v1 401" (or the transport failure for the status)
  out += entry.from();
  out += " -> ";
  out += entry.to();
  out += ' ';
  out += http::method_name(entry.method);
  out += ' ';
  out += entry.target();
  out += ' ';
  if (entry.status > 0) {
    out += std::to_string(entry.status);
  } else {
    out += entry.rest();
  }
  return out;
}

std::string RecentEvents::busiest_sender_since(Nanoseconds since) const {
  std::vector<std::pair<std::string_view, size_t>> senders;  // in the order first seen (few: a loop's own hosts)
  for (size_t i = 0; i < ring_.size(); ++i) {
    const Entry& entry = ring_[(start_ + i) % ring_.size()];
    if (entry.fault || entry.time < since) continue;
    const std::string_view host = host_of(entry.from());
    auto found = std::find_if(senders.begin(), senders.end(), [host](const auto& seen) { return seen.first == host; });
    if (found == senders.end()) {
      senders.emplace_back(host, 1);
    } else {
      ++found->second;
    }
  }
  const auto busiest = std::max_element(senders.begin(), senders.end(),
                                        [](const auto& a, const auto& b) { return a.second < b.second; });
  return busiest == senders.end() ? std::string() : std::string(busiest->first);
}

std::vector<std::string> RecentEvents::involving(std::string_view host, size_t count) const {
  const std::string_view wanted = host_of(host);
  // Newest first: the exchanges in the ring, then (merged by time) the faults.
  std::vector<const Entry*> found;
  for (size_t i = ring_.size(); i-- > 0;) {
    const Entry& entry = ring_[(start_ + i) % ring_.size()];
    if (involves(entry, wanted)) found.push_back(&entry);
  }
  std::vector<const Entry*> faults;
  for (size_t i = faults_.size(); i-- > 0 && faults.size() < 3;)
    if (involves(faults_[i], wanted)) faults.push_back(&faults_[i]);
  found.insert(found.end(), faults.begin(), faults.end());
  std::stable_sort(found.begin(), found.end(), [](const Entry* a, const Entry* b) { return a->time > b->time; });

  std::vector<std::string> out;  // newest first, then reversed
  size_t faults_shown = 0;
  for (size_t i = 0; i < found.size();) {
    const Entry& entry = *found[i];
    // How many exchanges like this one (same hosts, same method) in a row, this one and older ones.
    size_t same = 1;
    while (!entry.fault && i + same < found.size() && !found[i + same]->fault &&
           found[i + same]->from() == entry.from() && found[i + same]->to() == entry.to() &&
           found[i + same]->method == entry.method)
      ++same;
    // Room is kept for the faults: they are what a reader looks for first.
    const size_t room = count > faults.size() - faults_shown ? count - (faults.size() - faults_shown) : 0;
    if (entry.fault) {
      ++faults_shown;
      out.push_back(line(entry));
    } else if (out.size() < room) {
      out.push_back(line(entry) + (same > 1 ? " (and " + std::to_string(same - 1) + " more like it before)" : ""));
    }
    i += same;
    if (out.size() >= count) break;
  }
  return {out.rbegin(), out.rend()};
}

}  // namespace outpost::sim::world
