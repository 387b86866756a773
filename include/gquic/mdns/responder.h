#pragma once
// MdnsResponder: the publishing half of mDNS/DNS-SD (RFC 6762, RFC 6763) as a sans-IO core.
//
//   register_service(now, svc)   -> id; the instance name is probed, then announced
//   deregister_service(now, id)  -> goodbye (TTL 0) for its PTR/SRV/TXT records
//   handle_datagram(now, from, bytes) / poll_transmit() / next_deadline() / handle_timeout(now)
//   poll_event()                 -> registered (with the final name), renamed
//
// Behaviour:
//   * probing (RFC 6762 8.1): after a random 0-250 ms, three queries 250 ms apart ask for
//     "<instance>.<type>" (type ANY, QU bit) with the proposed SRV and TXT in the authority
//     section. A response holding a different record of that name, or a simultaneous probe
//     whose authority records sort after ours (8.2 tie-break), is a conflict: the instance is
//     renamed "<label> (2)", "(3)", ... and probed again;
//   * announcing (8.3): two unsolicited responses one second apart with every record;
//     unique records (SRV, TXT, A, AAAA) carry the cache-flush bit, PTRs are shared;
//   * answering (6): PTR for the service type and for _services._dns-sd._udp.local, SRV, TXT,
//     A, AAAA and ANY; PTR answers bring SRV, TXT and addresses as additional records, SRV
//     answers the addresses. Known answers in the query with at least half our TTL left are
//     suppressed (7.1). QU questions are answered by unicast to the asker; queries from a port
//     other than 5353 get a legacy unicast reply (id and question echoed, TTL at most 10 s, no
//     cache-flush). Multicast answers holding shared records wait 20-120 ms (6.3);
//   * a conflicting response after announcement renames and probes again (9);
//   * TTLs: 120 s for SRV, A, AAAA; 4500 s for PTR and TXT (10).
// Limits: host names are not probed (the driver picks a unique host label); one pending
// multicast answer is aggregated at a time. Bad packets are dropped and counted.

#include <array>
#include <deque>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "gquic/core/clock.h"
#include "gquic/mdns/dns_message.h"
#include "gquic/mdns/service.h"

namespace gquic::mdns {

inline constexpr std::uint16_t kMdnsPort = 5353;
SocketAddress mdns_group_v4();  // 224.0.0.251:5353
SocketAddress mdns_group_v6();  // [ff02::fb]:5353

struct Transmit {
  SocketAddress destination;  // the v4 group for multicast; the driver may send on v6 too
  std::vector<std::uint8_t> bytes;
  bool multicast = true;
};

enum class DropReason : std::uint8_t {
  malformed,      // not a DNS message, bad counts, truncated records, compression loops
  too_large,
  table_full,     // cache or services at their limit
  count_
};
std::string_view to_string(DropReason r) noexcept;

struct MdnsStats {
  std::uint64_t packets_in = 0, packets_out = 0;
  std::uint64_t probes = 0, announcements = 0, answers = 0, suppressed = 0, conflicts = 0;
  std::uint64_t goodbyes = 0, queries = 0;
  std::array<std::uint64_t, static_cast<std::size_t>(DropReason::count_)> drops{};
  std::uint64_t drops_by(DropReason r) const { return drops[static_cast<std::size_t>(r)]; }
};

// A seeded generator for the random delays of RFC 6762 (probe start, answer delay).
class Jitter {
 public:
  explicit Jitter(std::uint64_t seed) : state_(seed) {}
  Duration between(Duration lo, Duration hi) {
    state_ += 0x9e3779b97f4a7c15ull;
    std::uint64_t z = state_;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    z ^= z >> 31;
    auto span = static_cast<std::uint64_t>((hi - lo).count());
    return lo + Duration(span == 0 ? 0 : static_cast<Duration::rep>(z % span));
  }

 private:
  std::uint64_t state_;
};

struct ResponderConfig {
  std::string host = "gquic";  // host label: <host>.local.
  std::vector<IpAddress> addresses;
  std::uint32_t host_ttl = 120;
  std::uint32_t other_ttl = 4500;
  Duration probe_interval = std::chrono::milliseconds(250);
  int probes = 3;
  int announcements = 2;
  Duration announce_interval = std::chrono::seconds(1);
  std::size_t max_services = 256;
  std::uint64_t seed = 1;
};

struct ResponderEvent {
  enum class Kind : std::uint8_t { registered, renamed };
  Kind kind;
  std::uint64_t id;
  std::string instance;  // the instance label now in use
};

class MdnsResponder {
 public:
  explicit MdnsResponder(ResponderConfig config);

  Result<std::uint64_t> register_service(TimePoint now, ServiceInstance svc);
  Result<void> deregister_service(TimePoint now, std::uint64_t id);
  // The instance label in use (after renames) and whether it is announced.
  std::optional<std::string> instance_of(std::uint64_t id) const;
  bool announced(std::uint64_t id) const;

  void handle_datagram(TimePoint now, const SocketAddress& from, std::span<const std::uint8_t> bytes);
  std::optional<Transmit> poll_transmit();
  std::optional<TimePoint> next_deadline() const;
  void handle_timeout(TimePoint now);
  std::optional<ResponderEvent> poll_event();
  MdnsStats stats() const { return stats_; }

 private:
  enum class State : std::uint8_t { probing, announcing, announced };
  struct Entry {
    ServiceInstance svc;
    Name type;
    std::string label;
    State state = State::probing;
    int sent = 0;  // probes or announcements sent in this state
    TimePoint next;
  };
  Name instance_name(const Entry& e) const { return Name::child(e.label, e.type); }
  Name host_name(const Entry& e) const;
  std::vector<Record> records(const Entry& e, bool with_host) const;
  std::vector<Record> host_records(const Entry& e) const;
  void restart_probing(TimePoint now, std::uint64_t id, Entry& e, bool rename);
  void send(const SocketAddress& to, const Message& m, bool multicast);
  void answer(TimePoint now, const SocketAddress& from, const Message& q);
  void check_conflicts(TimePoint now, const Message& m);
  void drop(DropReason r) { ++stats_.drops[static_cast<std::size_t>(r)]; }

  ResponderConfig config_;
  Jitter jitter_;
  std::uint64_t next_id_ = 1;
  std::map<std::uint64_t, Entry> entries_;
  std::vector<Record> pending_;  // aggregated multicast answer
  std::vector<Record> pending_additional_;
  std::optional<TimePoint> pending_at_;
  std::deque<Transmit> transmits_;
  std::deque<ResponderEvent> events_;
  MdnsStats stats_;
};

}  // namespace gquic::mdns
