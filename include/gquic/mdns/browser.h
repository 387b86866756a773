#pragma once
// MdnsBrowser: the discovering half of mDNS/DNS-SD as a sans-IO core.
//
//   browse(now, type)           start continuous querying for a service type
//   handle_datagram(now, from, bytes) / poll_transmit() / next_deadline() / handle_timeout(now)
//   poll_event()                appeared / updated / left, with the decoded ServiceInstance
//
// Behaviour (RFC 6762 5.2, 10, RFC 6763):
//   * the first PTR query goes out after 20-120 ms, then the interval doubles from
//     initial_interval up to max_interval; queries carry the PTR answers already cached with
//     more than half their TTL left (known-answer suppression);
//   * every record of a response is cached (bounded by max_cache) with its TTL; a record we
//     still need is queried again at 80, 85, 90 and 95 % of its TTL (plus 0-2 %) and expires
//     at 100 %; a goodbye (TTL 0) expires it one second later; a cache-flush record expires
//     the other records of its name and type received more than a second before;
//   * an instance (a PTR of a browsed type) whose SRV is missing is resolved by querying its
//     SRV and TXT, and the SRV target's A/AAAA; it "appears" once its SRV is known and "leaves"
//     when its PTR is gone. TXT decodes as in service.h (namespace `lan` when absent).

#include <deque>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "gquic/core/clock.h"
#include "gquic/mdns/dns_message.h"
#include "gquic/mdns/responder.h"
#include "gquic/mdns/service.h"

namespace gquic::mdns {

struct BrowserConfig {
  Duration initial_interval = std::chrono::seconds(1);
  Duration max_interval = std::chrono::minutes(60);
  std::size_t max_cache = 4096;
  std::size_t max_browses = 64;
  std::uint64_t seed = 2;
};

struct BrowserEvent {
  enum class Kind : std::uint8_t { appeared, updated, left };
  Kind kind;
  ServiceInstance service;
};

class MdnsBrowser {
 public:
  explicit MdnsBrowser(BrowserConfig config);

  Result<void> browse(TimePoint now, const Name& type);
  void stop(const Name& type);

  void handle_datagram(TimePoint now, const SocketAddress& from, std::span<const std::uint8_t> bytes);
  std::optional<Transmit> poll_transmit();
  std::optional<TimePoint> next_deadline() const;
  void handle_timeout(TimePoint now);
  std::optional<BrowserEvent> poll_event();

  std::vector<ServiceInstance> services() const;  // those that appeared and did not leave
  std::size_t cache_size() const noexcept { return cache_.size(); }
  MdnsStats stats() const { return stats_; }

 private:
  struct Browse {
    Name type;
    Duration interval;
    TimePoint next;
  };
  struct Cached {
    Record record;
    TimePoint received;
    TimePoint expires;
    int refreshes = 0;  // queries sent for it so far (0..4)
    TimePoint next_refresh;
  };
  void insert(TimePoint now, const Record& r);
  void schedule_refresh(Cached& c);
  bool wanted(const Record& r) const;
  void reconcile(TimePoint now);
  void ask(TimePoint now, const Name& name, RrType type);
  void drop(DropReason r) { ++stats_.drops[static_cast<std::size_t>(r)]; }

  BrowserConfig config_;
  Jitter jitter_;
  std::vector<Browse> browses_;
  std::vector<Cached> cache_;
  std::map<std::string, ServiceInstance> instances_;  // by lower-cased instance name
  std::map<std::string, TimePoint> asked_;            // resolution queries, by "name/type"
  std::vector<Question> questions_;                   // due at questions_at_
  std::optional<TimePoint> questions_at_;
  std::deque<Transmit> transmits_;
  std::deque<BrowserEvent> events_;
  MdnsStats stats_;
};

}  // namespace gquic::mdns
