#include "gquic/discovery/registry.h"

#include <algorithm>
#include <cctype>

namespace gquic::discovery {
namespace {

constexpr char kSep = '\x1f';

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool has_all_tags(const ServiceInfo& s, const std::vector<std::string>& tags) {
  return std::all_of(tags.begin(), tags.end(), [&](const std::string& t) {
    return std::binary_search(s.tags.begin(), s.tags.end(), t);
  });
}

// The name part of a key.
std::string_view key_name(const std::string& key) {
  return std::string_view(key).substr(0, key.find(kSep));
}

}  // namespace

std::string_view to_string(EventKind k) noexcept {
  switch (k) {
    case EventKind::added: return "added";
    case EventKind::changed: return "changed";
    case EventKind::removed: return "removed";
  }
  return "added";
}

namespace {

// A query with its namespace and pattern lowercased once.
ServiceQuery normalized(const ServiceQuery& q) {
  ServiceQuery n = q;
  n.ns = lower(q.ns);
  n.name_pattern = lower(q.name_pattern.empty() ? "*" : q.name_pattern);
  return n;
}

bool matches_normalized(const ServiceQuery& q, const ServiceInfo& s) noexcept {
  if (!q.ns.empty() && q.ns != s.id.ns) return false;
  if (!glob_match(q.name_pattern, s.id.name)) return false;
  if (!has_all_tags(s, q.required_tags)) return false;
  for (const auto& [k, v] : q.metadata_filters) {
    auto it = s.metadata.find(k);
    if (it == s.metadata.end() || it->second != v) return false;
  }
  return !q.require_healthy || has_healthy_endpoint(s);
}

}  // namespace

bool matches(const ServiceQuery& q, const ServiceInfo& s) noexcept {
  return matches_normalized(normalized(q), s);
}

ServiceRegistry::ServiceRegistry(RegistryOptions options) : options_(options) {}

ServiceRegistry::Key ServiceRegistry::key_of(const ServiceId& id) {
  Key k;
  k.reserve(id.name.size() + id.ns.size() + id.version.size() + 2);
  k.append(id.name).push_back(kSep);
  k.append(id.ns).push_back(kSep);
  k.append(id.version);
  return k;
}

Result<void> ServiceRegistry::reject(RejectReason r, Errc e) {
  ++stats_.rejected[static_cast<int>(r)];
  return e;
}

void ServiceRegistry::index(const Key& key, const Entry& e) {
  by_namespace_[e.info.id.ns].emplace(key, &e);
  for (const auto& t : e.info.tags) by_tag_[t].emplace(key, &e);
  if (has_healthy_endpoint(e.info)) healthy_.emplace(key, &e);
  if (e.expires) expiry_.emplace(*e.expires, key);
}

void ServiceRegistry::unindex(const Key& key, const Entry& e) {
  auto drop = [&](std::unordered_map<std::string, Posting>& m, const std::string& v) {
    auto it = m.find(v);
    if (it == m.end()) return;
    it->second.erase(key);
    if (it->second.empty()) m.erase(it);
  };
  drop(by_namespace_, e.info.id.ns);
  for (const auto& t : e.info.tags) drop(by_tag_, t);
  healthy_.erase(key);
  if (e.expires) expiry_.erase({*e.expires, key});
}

void ServiceRegistry::log(EventKind kind, std::optional<ServiceInfo> before,
                          std::optional<ServiceInfo> after) {
  ++stats_.events_total;
  log_.push_back({++sequence_, kind, std::move(before), std::move(after)});
  while (log_.size() > options_.event_log_capacity) log_.pop_front();
}

void ServiceRegistry::insert(Key key, ServiceInfo s, TimePoint now) {
  Entry e{std::move(s), std::nullopt};
  if (e.info.ttl.count() > 0) e.expires = now + e.info.ttl;
  if (e.info.source == ServiceSource::local) ++stats_.local_services;
  auto it = entries_.emplace(std::move(key), std::move(e)).first;
  index(it->first, it->second);  // map nodes do not move: the postings keep &it->second
  stats_.services = entries_.size();
}

void ServiceRegistry::erase(std::map<Key, Entry>::iterator it) {
  unindex(it->first, it->second);
  if (it->second.info.source == ServiceSource::local) --stats_.local_services;
  entries_.erase(it);
  stats_.services = entries_.size();
}

Result<void> ServiceRegistry::register_service(ServiceInfo s, TimePoint now, std::string* why) {
  normalize(s);
  if (auto r = validate(s, why); !r) return reject(RejectReason::invalid, Errc::invalid_argument);
  Key key = key_of(s.id);
  if (entries_.count(key) != 0) {
    if (why != nullptr) *why = "service " + s.id.to_string() + " is already registered";
    return reject(RejectReason::duplicate, Errc::already_exists);
  }
  if (entries_.size() >= options_.max_services) {
    if (why != nullptr) *why = "registry is full";
    return reject(RejectReason::capacity, Errc::exhausted);
  }
  s.source = ServiceSource::local;
  s.registered_at = now;
  ++stats_.registered_total;
  log(EventKind::added, std::nullopt, s);
  insert(std::move(key), std::move(s), now);
  return {};
}

Result<void> ServiceRegistry::renew(const ServiceId& id, TimePoint now) {
  auto it = entries_.find(key_of(id));
  if (it == entries_.end()) return reject(RejectReason::not_found, Errc::not_found);
  Entry& e = it->second;
  if (e.expires) {
    expiry_.erase({*e.expires, it->first});
    e.expires = now + e.info.ttl;
    expiry_.emplace(*e.expires, it->first);
  }
  ++stats_.renewed_total;
  return {};
}

Result<void> ServiceRegistry::deregister(const ServiceId& id) {
  auto it = entries_.find(key_of(id));
  if (it == entries_.end()) return reject(RejectReason::not_found, Errc::not_found);
  ++stats_.deregistered_total;
  log(EventKind::removed, it->second.info, std::nullopt);
  erase(it);
  return {};
}

Result<std::optional<EventKind>> ServiceRegistry::apply(ServiceInfo s, TimePoint now,
                                                        std::string* why) {
  normalize(s);
  if (auto r = validate(s, why); !r) return reject(RejectReason::invalid, Errc::invalid_argument).error();
  Key key = key_of(s.id);
  if (s.registered_at == TimePoint{}) s.registered_at = now;
  auto it = entries_.find(key);
  if (it == entries_.end()) {
    if (entries_.size() >= options_.max_services) {
      return reject(RejectReason::capacity, Errc::exhausted).error();
    }
    if (s.source != ServiceSource::local) ++stats_.discovered_total;
    log(EventKind::added, std::nullopt, s);
    insert(std::move(key), std::move(s), now);
    return std::optional<EventKind>(EventKind::added);
  }
  ServiceInfo before = it->second.info;
  s.registered_at = before.registered_at;
  const bool same = before == s;
  erase(it);
  if (same) {
    insert(std::move(key), std::move(s), now);  // restarts the TTL
    return std::optional<EventKind>();
  }
  log(EventKind::changed, std::move(before), s);
  insert(std::move(key), std::move(s), now);
  return std::optional<EventKind>(EventKind::changed);
}

Result<void> ServiceRegistry::remove(const ServiceId& id, ServiceSource source) {
  auto it = entries_.find(key_of(id));
  if (it == entries_.end() || it->second.info.source != source) {
    return reject(RejectReason::not_found, Errc::not_found);
  }
  log(EventKind::removed, it->second.info, std::nullopt);
  erase(it);
  return {};
}

Result<void> ServiceRegistry::set_endpoint_health(const ServiceId& id, std::string_view address,
                                                  Health h) {
  auto it = entries_.find(key_of(id));
  if (it == entries_.end()) return reject(RejectReason::not_found, Errc::not_found);
  ServiceInfo& info = it->second.info;
  bool found = false, changed = false;
  ServiceInfo before = info;
  for (Endpoint& e : info.endpoints) {
    if (e.address != address) continue;
    found = true;
    if (e.health != h) {
      e.health = h;
      changed = true;
    }
  }
  if (!found) return reject(RejectReason::not_found, Errc::not_found);
  if (!changed) return {};
  ++stats_.health_transitions_total;
  if (has_healthy_endpoint(info)) {
    healthy_.emplace(it->first, &it->second);
  } else {
    healthy_.erase(it->first);
  }
  log(EventKind::changed, std::move(before), info);
  return {};
}

std::size_t ServiceRegistry::handle_timeout(TimePoint now) {
  std::size_t n = 0;
  while (!expiry_.empty() && expiry_.begin()->first <= now) {
    auto it = entries_.find(expiry_.begin()->second);
    if (it == entries_.end()) {  // cannot happen: the indexes move together
      expiry_.erase(expiry_.begin());
      continue;
    }
    ++stats_.expired_total;
    log(EventKind::removed, it->second.info, std::nullopt);
    erase(it);
    ++n;
  }
  return n;
}

std::optional<TimePoint> ServiceRegistry::next_deadline() const {
  if (expiry_.empty()) return std::nullopt;
  return expiry_.begin()->first;
}

const ServiceInfo* ServiceRegistry::find(const ServiceId& id) const {
  auto it = entries_.find(key_of(id));
  return it == entries_.end() ? nullptr : &it->second.info;
}

std::optional<TimePoint> ServiceRegistry::expires_at(const ServiceId& id) const {
  auto it = entries_.find(key_of(id));
  if (it == entries_.end()) return std::nullopt;
  return it->second.expires;
}

std::vector<const ServiceInfo*> ServiceRegistry::find_all_versions(std::string_view name,
                                                                   std::string_view ns) const {
  std::vector<const ServiceInfo*> out;
  std::string prefix;
  prefix.append(name).push_back(kSep);
  prefix.append(ns).push_back(kSep);
  for (auto it = entries_.lower_bound(prefix);
       it != entries_.end() && it->first.compare(0, prefix.size(), prefix) == 0; ++it) {
    out.push_back(&it->second.info);
  }
  return out;
}

std::vector<const ServiceInfo*> ServiceRegistry::query(const ServiceQuery& query) const {
  ++stats_.queries_total;
  std::vector<const ServiceInfo*> out;
  const ServiceQuery q = normalized(query);
  const std::string& pattern = q.name_pattern;
  const std::string prefix(glob_prefix(pattern));

  // The smallest posting list among namespace, tags and health.
  static const Posting kEmpty;
  const Posting* posting = nullptr;
  auto consider = [&](const Posting* s) {
    if (posting == nullptr || s->size() < posting->size()) posting = s;
  };
  if (!q.ns.empty()) {
    auto it = by_namespace_.find(q.ns);
    consider(it == by_namespace_.end() ? &kEmpty : &it->second);
  }
  for (const auto& t : q.required_tags) {
    auto it = by_tag_.find(t);
    consider(it == by_tag_.end() ? &kEmpty : &it->second);
  }
  if (q.require_healthy) consider(&healthy_);

  auto accept = [&](const Entry& e) {
    ++stats_.query_candidates_total;
    if (!matches_normalized(q, e.info)) return true;
    out.push_back(&e.info);
    return q.limit == 0 || out.size() < q.limit;
  };

  // Walk the prefix range unless it turns out larger than the posting list.
  const bool exact = prefix.size() == pattern.size();
  if (!prefix.empty() || posting == nullptr) {
    const std::size_t budget = posting == nullptr ? SIZE_MAX : posting->size();
    std::size_t walked = 0;
    std::vector<const Entry*> seen;
    bool over = false;
    for (auto it = entries_.lower_bound(prefix); it != entries_.end(); ++it) {
      std::string_view name = key_name(it->first);
      if (name.compare(0, prefix.size(), prefix) != 0) break;
      if (exact && name.size() != prefix.size()) {
        if (name > prefix) break;
        continue;
      }
      if (++walked > budget) {
        over = true;
        break;
      }
      seen.push_back(&it->second);
    }
    if (!over) {
      for (const Entry* e : seen) {
        if (!accept(*e)) break;
      }
      return out;
    }
  }
  for (const auto& [k, e] : *posting) {
    if (!accept(*e)) break;
  }
  return out;
}

std::vector<const ServiceInfo*> ServiceRegistry::query_linear(const ServiceQuery& query) const {
  std::vector<const ServiceInfo*> out;
  const ServiceQuery q = normalized(query);
  for (const auto& [k, e] : entries_) {
    if (!matches_normalized(q, e.info)) continue;
    out.push_back(&e.info);
    if (q.limit != 0 && out.size() >= q.limit) break;
  }
  return out;
}

Result<std::vector<WatchEvent>> ServiceRegistry::events_since(std::uint64_t since,
                                                              const ServiceQuery& query,
                                                              std::size_t max) const {
  const ServiceQuery q = normalized(query);
  std::vector<WatchEvent> out;
  if (since >= sequence_) return out;
  if (log_.empty() || log_.front().sequence > since + 1) return Errc::exhausted;
  const std::size_t start = static_cast<std::size_t>(since + 1 - log_.front().sequence);
  for (std::size_t i = start; i < log_.size() && out.size() < max; ++i) {
    const LogEntry& l = log_[i];
    const bool was = l.before && matches_normalized(q, *l.before);
    const bool is = l.after && matches_normalized(q, *l.after);
    if (!was && !is) continue;
    WatchEvent ev;
    ev.sequence = l.sequence;
    if (was && is) {
      ev.kind = EventKind::changed;
      ev.service = *l.after;
    } else if (is) {
      ev.kind = EventKind::added;
      ev.service = *l.after;
    } else {
      ev.kind = EventKind::removed;
      ev.service = *l.before;
    }
    out.push_back(std::move(ev));
  }
  return out;
}

}  // namespace gquic::discovery
