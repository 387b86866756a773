#pragma once
// SwimCore: cluster membership and dissemination by SWIM gossip with the Lifeguard extensions,
// as a sans-IO state machine. The driver feeds datagrams and time and carries what comes out:
//
//   handle_datagram(now, from, bytes)     a UDP datagram from a member
//   handle_stream(now, from, bytes)       a push-pull request read from TCP -> reply bytes
//   handle_stream_reply(now, from, bytes) the reply to a push-pull this core asked for
//   poll_transmit()                       datagrams to send; `stream` ones are push-pull
//                                         requests the driver sends over TCP to `destination`
//   next_deadline() / handle_timeout(now) one timer
//   poll_event()                          members joining, suspected, dead, left; registrations
//
// Protocol (one probe period = probe_interval scaled by local health, see below):
//   * probing: every period the next member of a shuffled round-robin list gets a Ping; no Ack
//     within probe_timeout sends IndirectPing to `indirect_checks` random members, who ping the
//     target and forward its Ack (or a Nack when their own ping timed out). No Ack by the end of
//     the period makes the target suspect;
//   * suspicion (Lifeguard): a suspect is declared dead after a timeout that starts at
//     suspicion_max_mult x min and shrinks towards min = suspicion_mult x log10(N) x
//     probe_interval as independent suspicions of other members confirm it. A member that
//     hears it is suspected or dead refutes with a higher incarnation number;
//   * local health (Lifeguard LHM): a score 0..awareness_max-1 raised by failed probes without
//     the expected Nacks and by refutations, lowered by successful probes; it multiplies the
//     probe period and timeout by (score + 1), so a slow node stops accusing healthy ones;
//   * dissemination: updates (alive, suspect, dead, registrations) ride on every datagram, up
//     to retransmit_mult x ceil(log10(N + 1)) times each, fewest-sent first; every
//     gossip_interval they also go to gossip_nodes random members;
//   * anti-entropy: every push_pull_interval (scaled up beyond 32 members) one random member
//     gets the full state over TCP and replies with its own; remote "dead" is merged as
//     "suspect" so the accused can refute. Dead members are kept for dead_reclaim and contacted
//     by push-pull every reconnect_interval, so partitions heal;
//   * registrations: opaque payloads keyed by (origin member, key) with a version; the owner
//     registers and deregisters (a tombstone), others keep the highest version and drop the
//     registrations of a member declared dead or left.
// Bounds: max_members, max_registrations, max_broadcasts, max_relays; everything beyond them
// and every bad packet is dropped and counted (stats()).

#include <array>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "gquic/core/clock.h"
#include "gquic/core/error.h"
#include "gquic/core/socket_address.h"
#include "gquic/gossip/broadcast_queue.h"
#include "gquic/gossip/keyring.h"
#include "gquic/gossip/messages.h"
#include "gquic/gossip/random.h"

namespace gquic::gossip {

struct SwimConfig {
  std::string name;            // unique in the cluster, 1..kMaxNameLength bytes
  SocketAddress advertise;     // where members reach this node (UDP and TCP)
  std::vector<std::uint8_t> meta;
  Duration probe_interval = std::chrono::seconds(1);
  Duration probe_timeout = std::chrono::milliseconds(500);
  std::size_t indirect_checks = 3;
  Duration gossip_interval = std::chrono::milliseconds(200);
  std::size_t gossip_nodes = 3;
  Duration gossip_to_dead = std::chrono::seconds(30);
  std::size_t retransmit_mult = 4;
  double suspicion_mult = 4;
  double suspicion_max_mult = 6;
  int awareness_max = 8;
  Duration push_pull_interval = std::chrono::seconds(30);  // zero: never
  Duration reconnect_interval = std::chrono::seconds(10);  // push-pull to a dead member
  Duration dead_reclaim = std::chrono::seconds(300);       // forget dead members, tombstones
  std::size_t max_members = 4096;
  std::size_t max_registrations = 16'384;
  std::size_t max_broadcasts = 4096;
  std::size_t max_relays = 256;  // indirect probes run for others at once
  std::size_t max_packet = 1400;
  Keyring keyring;               // empty: plaintext
  bool accept_plaintext = false; // with a keyring: also take plain packets (during roll-out)
};

struct Transmit {
  SocketAddress destination;
  std::vector<std::uint8_t> bytes;
  bool stream = false;  // a push-pull request: send over TCP, feed the reply back
};

struct MemberInfo {
  std::string name;
  SocketAddress address;
  std::uint32_t incarnation = 0;
  MemberState state = MemberState::alive;
  std::vector<std::uint8_t> meta;
};

struct GossipEvent {
  enum class Kind : std::uint8_t {
    member_joined,
    member_updated,    // address or meta changed
    member_suspect,
    member_recovered,  // suspect -> alive
    member_dead,
    member_left,
    registration_set,
    registration_removed,
  };
  Kind kind;
  MemberInfo member;            // member_* events (for registrations: the origin's name)
  std::string key;              // registration_*
  std::vector<std::uint8_t> payload;
};

enum class DropReason : std::uint8_t {
  malformed,
  bad_version,
  decrypt_failed,        // sealed with no key of the ring
  plaintext_refused,     // plain packet while a keyring is set
  misdirected,           // ping for another name
  from_self,
  members_full,
  registrations_full,
  broadcasts_full,       // an unsent update evicted from the queue
  relays_full,
  unexpected,            // ack/nack/reply that matches nothing
  count_
};
std::string_view to_string(DropReason r) noexcept;

struct SwimStats {
  std::uint64_t packets_in = 0, packets_out = 0, bytes_in = 0, bytes_out = 0;
  std::uint64_t streams_out = 0, stream_bytes_out = 0;
  std::uint64_t probes = 0, indirect_probes = 0, probe_failures = 0;
  std::uint64_t suspicions = 0, deaths = 0, refutations = 0;
  std::array<std::uint64_t, static_cast<std::size_t>(DropReason::count_)> drops{};
  std::uint64_t drops_by(DropReason r) const { return drops[static_cast<std::size_t>(r)]; }
};

class SwimCore {
 public:
  SwimCore(SwimConfig config, RandomSource& rng, TimePoint now);
  SwimCore(const SwimCore&) = delete;
  SwimCore& operator=(const SwimCore&) = delete;

  // Push-pull (join) to each seed. Seeds are addresses; names come from their replies.
  void join(TimePoint now, std::span<const SocketAddress> seeds);
  // Announces that this node leaves; keep driving the core a few gossip intervals to spread it.
  void leave(TimePoint now);

  void handle_datagram(TimePoint now, const SocketAddress& from, std::span<const std::uint8_t> bytes);
  Result<std::vector<std::uint8_t>> handle_stream(TimePoint now, const SocketAddress& from,
                                                  std::span<const std::uint8_t> bytes);
  void handle_stream_reply(TimePoint now, const SocketAddress& from, std::span<const std::uint8_t> bytes);

  std::optional<Transmit> poll_transmit();
  std::optional<TimePoint> next_deadline() const;
  void handle_timeout(TimePoint now);
  std::optional<GossipEvent> poll_event();

  // Registrations owned by this node. Payload at most kMaxPayloadLength, key kMaxKeyLength.
  Result<void> register_service(TimePoint now, std::string_view key, std::span<const std::uint8_t> payload);
  Result<void> deregister_service(TimePoint now, std::string_view key);
  struct Registration {
    std::string origin, key;
    std::uint64_t version = 0;
    std::vector<std::uint8_t> payload;
  };
  std::vector<Registration> registrations() const;  // live ones, all origins

  std::vector<MemberInfo> members() const;          // including self
  std::optional<MemberInfo> member(std::string_view name) const;
  std::size_t alive_count() const noexcept;         // alive + suspect, including self
  const std::string& name() const noexcept { return config_.name; }
  std::uint32_t incarnation() const noexcept { return incarnation_; }
  int health_score() const noexcept { return awareness_; }
  std::size_t queued_broadcasts() const noexcept { return broadcasts_.size(); }
  SwimStats stats() const { return stats_; }
  Keyring& keyring() noexcept { return config_.keyring; }

 private:
  struct Member {
    MemberInfo info;
    TimePoint changed;
  };
  struct Suspicion {
    TimePoint start;
    Duration min, max;
    std::size_t expected = 0;
    std::set<std::string> confirmations;
    TimePoint deadline;
  };
  struct Probe {
    std::string target;
    std::uint32_t seq = 0;
    TimePoint direct_deadline;
    bool indirect_sent = false;
    bool acked = false;
    std::size_t expected_nacks = 0, nacks = 0;
  };
  struct Relay {
    SocketAddress requester;
    std::uint32_t requester_seq = 0;
    bool want_nack = false;
    TimePoint deadline;
  };
  struct Stored {
    std::uint64_t version = 0;
    bool deleted = false;
    std::vector<std::uint8_t> payload;
    TimePoint changed;
  };
  using RegKey = std::pair<std::string, std::string>;

  void drop(DropReason r) { ++stats_.drops[static_cast<std::size_t>(r)]; }
  Duration scaled(Duration d) const { return d * (awareness_ + 1); }
  void adjust_awareness(int delta);
  std::size_t retransmit_limit() const;

  Packet head(Body body) const;
  void send(const SocketAddress& to, Body body, bool piggyback = true);
  std::vector<std::uint8_t> seal(std::vector<std::uint8_t> plain);
  std::optional<std::vector<std::uint8_t>> unseal(std::span<const std::uint8_t> bytes);
  void broadcast(std::string key, const Update& u);

  void process(TimePoint now, const SocketAddress& from, Packet&& p);
  void apply(TimePoint now, const Update& u);
  void on_alive(TimePoint now, const AliveUpdate& a);
  void on_suspect(TimePoint now, const SuspectUpdate& s);
  void on_dead(TimePoint now, const DeadUpdate& d);
  void on_registration(TimePoint now, const RegistrationUpdate& r);
  void refute(std::uint32_t accused);
  void start_suspicion(TimePoint now, const std::string& name, const std::string& from);
  void drop_registrations_of(TimePoint now, const std::string& origin);
  void emit(GossipEvent::Kind kind, const MemberInfo& m);

  void probe_tick(TimePoint now);
  void gossip_tick(TimePoint now);
  void push_pull_tick(TimePoint now);
  void reclaim(TimePoint now);
  std::vector<const Member*> random_members(std::size_t k, TimePoint now,
                                            const std::string& exclude, bool include_recent_dead);
  PushPull snapshot(bool join, bool reply) const;
  void merge(TimePoint now, const std::string& sender, const PushPull& pp);
  std::vector<std::uint8_t> stream_bytes(bool join, bool reply);

  SwimConfig config_;
  RandomSource& rng_;
  std::uint32_t incarnation_ = 0;
  std::uint32_t seq_ = 0;
  int awareness_ = 0;
  bool left_ = false;
  std::unordered_map<std::string, Member> members_;  // without self
  std::size_t gone_ = 0;  // members_ that are dead or left
  std::vector<std::string> probe_order_;
  std::size_t probe_index_ = 0;
  std::unordered_map<std::string, Suspicion> suspicions_;
  std::optional<Probe> probe_;
  std::unordered_map<std::uint32_t, Relay> relays_;
  std::map<RegKey, Stored> registrations_;
  std::size_t live_registrations_ = 0;
  BroadcastQueue broadcasts_;
  TimePoint next_probe_, next_gossip_, next_push_pull_, next_reconnect_, next_reclaim_;
  std::deque<Transmit> transmits_;
  std::deque<GossipEvent> events_;
  SwimStats stats_;
};

}  // namespace gquic::gossip
