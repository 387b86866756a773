#pragma once
// The service registry: a sans-IO store of ServiceInfo with indexes for queries, TTL expiry
// driven by `TimePoint now`, and an ordered log of changes for watchers.
//
// Indexes (no query scans the whole registry):
//   * primary: an ordered map keyed by (name, namespace, version); a glob's literal prefix
//     (`web-` of `web-*`) selects a key range;
//   * inverted: namespace -> services, tag -> services, and the set of services with a
//     healthy endpoint;
//   * expiry: (deadline, id) ordered, so handle_timeout() touches only what expires.
// A query walks the smallest candidate set (the prefix range, stopped once it grows beyond the
// smallest posting list, or that posting list) and checks the other predicates per candidate.
//
// Writes come from two places: local registrations (register_service / renew / deregister,
// strict: a duplicate id is an error) and backends (apply / remove: upserts of services learned
// from etcd, mDNS or gossip, tagged with their ServiceSource). Every change appends an event to
// a bounded log with a sequence number; watchers read it with events_since(), which reports
// added/changed/removed relative to their query (a service that stops matching is "removed").

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "gquic/core/clock.h"
#include "gquic/core/error.h"
#include "gquic/discovery/service.h"

namespace gquic::discovery {

struct ServiceQuery {
  std::string name_pattern = "*";  // glob over the name
  std::string ns;                  // empty: every namespace
  std::vector<std::string> required_tags;
  Metadata metadata_filters;       // each key must be present with exactly this value
  bool require_healthy = false;    // at least one healthy endpoint
  std::size_t limit = 0;           // 0: no limit
};

bool matches(const ServiceQuery& q, const ServiceInfo& s) noexcept;

enum class EventKind : std::uint8_t { added, changed, removed };
std::string_view to_string(EventKind k) noexcept;

struct WatchEvent {
  std::uint64_t sequence = 0;
  EventKind kind = EventKind::added;
  ServiceInfo service;  // the new state, or the last state for `removed`
};

// Why a write was refused or an entry dropped; counted in RegistryStats.
enum class RejectReason : std::uint8_t { invalid, duplicate, not_found, capacity, count_ };

struct RegistryStats {
  std::uint64_t services = 0;           // currently stored
  std::uint64_t local_services = 0;
  std::uint64_t registered_total = 0;   // local registrations accepted
  std::uint64_t discovered_total = 0;   // services added by backends
  std::uint64_t deregistered_total = 0;
  std::uint64_t expired_total = 0;
  std::uint64_t renewed_total = 0;
  std::uint64_t queries_total = 0;
  std::uint64_t query_candidates_total = 0;  // entries examined by queries
  std::uint64_t health_transitions_total = 0;
  std::uint64_t events_total = 0;
  std::uint64_t rejected[static_cast<int>(RejectReason::count_)] = {};
};

struct RegistryOptions {
  std::size_t max_services = 1'000'000;
  std::size_t event_log_capacity = 4096;
};

class ServiceRegistry {
 public:
  explicit ServiceRegistry(RegistryOptions options = {});

  // Local registration; Errc::already_exists for an id that is present, Errc::invalid_argument
  // (with `why`) for a bad definition. Sets registered_at = now.
  Result<void> register_service(ServiceInfo s, TimePoint now, std::string* why = nullptr);
  // Restarts the TTL of a service.
  Result<void> renew(const ServiceId& id, TimePoint now);
  Result<void> deregister(const ServiceId& id);

  // Backend upsert: adds or replaces the service (source and origin kept as given). Returns the
  // kind of change, or nullopt when nothing changed.
  Result<std::optional<EventKind>> apply(ServiceInfo s, TimePoint now, std::string* why = nullptr);
  // Backend removal; only removes an entry with the same source.
  Result<void> remove(const ServiceId& id, ServiceSource source);

  // Sets the health of the endpoint with this address (all services' endpoints match exactly).
  Result<void> set_endpoint_health(const ServiceId& id, std::string_view address, Health h);

  // Removes every service whose TTL ran out; returns how many.
  std::size_t handle_timeout(TimePoint now);
  std::optional<TimePoint> next_deadline() const;

  const ServiceInfo* find(const ServiceId& id) const;
  std::vector<const ServiceInfo*> query(const ServiceQuery& q) const;
  // The same answer by checking every entry: the baseline of the benchmark and of tests.
  std::vector<const ServiceInfo*> query_linear(const ServiceQuery& q) const;
  // Every version of name.ns (exact, lowercase), for the DNS interface.
  std::vector<const ServiceInfo*> find_all_versions(std::string_view name, std::string_view ns) const;
  // When an entry expires (nullopt: no TTL or unknown).
  std::optional<TimePoint> expires_at(const ServiceId& id) const;

  // Events after `since` that matter to `q`, at most `max`. Errc::exhausted when `since` is
  // older than the log keeps (the watcher must re-query and restart from last_sequence()).
  Result<std::vector<WatchEvent>> events_since(std::uint64_t since, const ServiceQuery& q,
                                               std::size_t max = 256) const;
  std::uint64_t last_sequence() const noexcept { return sequence_; }

  std::size_t size() const noexcept { return entries_.size(); }
  const RegistryStats& stats() const noexcept { return stats_; }

 private:
  struct Entry {
    ServiceInfo info;
    std::optional<TimePoint> expires;
  };
  struct LogEntry {
    std::uint64_t sequence;
    EventKind kind;
    std::optional<ServiceInfo> before;
    std::optional<ServiceInfo> after;
  };
  using Key = std::string;  // name \x1f namespace \x1f version
  static Key key_of(const ServiceId& id);

  void insert(Key key, ServiceInfo s, TimePoint now);
  void erase(std::map<Key, Entry>::iterator it);
  void index(const Key& key, const Entry& e);
  void unindex(const Key& key, const Entry& e);
  void log(EventKind kind, std::optional<ServiceInfo> before, std::optional<ServiceInfo> after);
  Result<void> reject(RejectReason r, Errc e);

  RegistryOptions options_;
  std::map<Key, Entry> entries_;
  // Posting lists: key order (so results come sorted by id) with the entry at hand.
  using Posting = std::map<Key, const Entry*>;
  std::unordered_map<std::string, Posting> by_namespace_;
  std::unordered_map<std::string, Posting> by_tag_;
  Posting healthy_;
  std::set<std::pair<TimePoint, Key>> expiry_;
  std::deque<LogEntry> log_;
  std::uint64_t sequence_ = 0;
  mutable RegistryStats stats_;
};

}  // namespace gquic::discovery
