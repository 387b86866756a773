// SwimCore plumbing and failure detection: sealing, packet dispatch, probing, timers.
// Membership and registration updates are in swim_state.cpp.
#include "gquic/gossip/swim_core.h"

#include <algorithm>
#include <cmath>

namespace gquic::gossip {

std::string_view to_string(DropReason r) noexcept {
  switch (r) {
    case DropReason::malformed: return "malformed";
    case DropReason::bad_version: return "bad_version";
    case DropReason::decrypt_failed: return "decrypt_failed";
    case DropReason::plaintext_refused: return "plaintext_refused";
    case DropReason::misdirected: return "misdirected";
    case DropReason::from_self: return "from_self";
    case DropReason::members_full: return "members_full";
    case DropReason::registrations_full: return "registrations_full";
    case DropReason::broadcasts_full: return "broadcasts_full";
    case DropReason::relays_full: return "relays_full";
    case DropReason::unexpected: return "unexpected";
    case DropReason::count_: break;
  }
  return "unknown";
}

SwimCore::SwimCore(SwimConfig config, RandomSource& rng, TimePoint now)
    : config_(std::move(config)), rng_(rng), broadcasts_(config_.max_broadcasts) {
  if (config_.name.empty() || config_.name.size() > kMaxNameLength) config_.name.resize(
      std::clamp<std::size_t>(config_.name.size(), 1, kMaxNameLength), '_');
  if (config_.meta.size() > kMaxMetaLength) config_.meta.resize(kMaxMetaLength);
  if (config_.probe_interval <= Duration::zero()) config_.probe_interval = std::chrono::seconds(1);
  if (config_.gossip_interval <= Duration::zero()) config_.gossip_interval = std::chrono::milliseconds(200);
  if (config_.awareness_max < 1) config_.awareness_max = 1;
  config_.max_packet = std::clamp<std::size_t>(config_.max_packet, 512, 65'000);
  next_probe_ = now + config_.probe_interval;
  next_gossip_ = now + config_.gossip_interval;
  next_push_pull_ = config_.push_pull_interval > Duration::zero() ? now + config_.push_pull_interval
                                                                  : TimePoint::max();
  next_reconnect_ = config_.reconnect_interval > Duration::zero() ? now + config_.reconnect_interval
                                                                  : TimePoint::max();
  next_reclaim_ = now + std::chrono::seconds(1);
  broadcast("m:" + config_.name,
            AliveUpdate{config_.name, incarnation_, config_.advertise, config_.meta});
}

// ---- sealing and sending ----

std::vector<std::uint8_t> SwimCore::seal(std::vector<std::uint8_t> plain) {
  if (config_.keyring.empty()) return plain;
  std::array<std::uint8_t, kNonceSize> nonce;
  rng_.fill(nonce);
  auto sealed = config_.keyring.seal(plain, nonce);
  if (!sealed) return {};  // OpenSSL failed: nothing is sent
  return std::move(*sealed);
}

std::optional<std::vector<std::uint8_t>> SwimCore::unseal(std::span<const std::uint8_t> bytes) {
  if (bytes.empty()) {
    drop(DropReason::malformed);
    return std::nullopt;
  }
  if (bytes[0] == kSealedMarker) {
    auto plain = config_.keyring.open(bytes);
    if (!plain) {
      drop(DropReason::decrypt_failed);
      return std::nullopt;
    }
    return std::move(*plain);
  }
  if (!config_.keyring.empty() && !config_.accept_plaintext) {
    drop(DropReason::plaintext_refused);
    return std::nullopt;
  }
  return std::vector<std::uint8_t>(bytes.begin(), bytes.end());
}

Packet SwimCore::head(Body body) const { return Packet{config_.name, std::move(body), {}}; }

std::size_t SwimCore::retransmit_limit() const {
  double n = static_cast<double>(alive_count());
  auto limit = static_cast<std::size_t>(
      static_cast<double>(config_.retransmit_mult) * std::ceil(std::log10(n + 1)));
  return std::max<std::size_t>(limit, 1);
}

void SwimCore::send(const SocketAddress& to, Body body, bool piggyback) {
  bool gossip_only = std::holds_alternative<GossipOnly>(body);
  PacketWriter w(head(std::move(body)));
  std::size_t budget = config_.max_packet - (config_.keyring.empty() ? 0 : kSealOverhead);
  if (piggyback) {
    broadcasts_.fill(retransmit_limit(), [&](std::span<const std::uint8_t> u) -> int {
      if (w.size() + u.size() > budget) return budget - w.size() < 12 ? -1 : 0;
      return w.append(u) ? 1 : -1;
    });
  }
  if (gossip_only && w.updates() == 0) return;
  auto bytes = seal(std::move(w).take());
  if (bytes.empty()) return;
  ++stats_.packets_out;
  stats_.bytes_out += bytes.size();
  transmits_.push_back(Transmit{to, std::move(bytes), false});
}

void SwimCore::broadcast(std::string key, const Update& u) {
  if (broadcasts_.push(std::move(key), encode_update(u))) drop(DropReason::broadcasts_full);
}

std::vector<std::uint8_t> SwimCore::stream_bytes(bool join, bool reply) {
  auto bytes = seal(serialize(head(snapshot(join, reply))));
  ++stats_.streams_out;
  stats_.stream_bytes_out += bytes.size();
  return bytes;
}

// ---- input ----

void SwimCore::handle_datagram(TimePoint now, const SocketAddress& from,
                               std::span<const std::uint8_t> bytes) {
  ++stats_.packets_in;
  stats_.bytes_in += bytes.size();
  auto plain = unseal(bytes);
  if (!plain) return;
  auto p = parse(*plain);
  if (!p) {
    drop(p.error() == Errc::unsupported ? DropReason::bad_version : DropReason::malformed);
    return;
  }
  if (p->sender == config_.name) {
    drop(DropReason::from_self);
    return;
  }
  if (std::holds_alternative<PushPull>(p->body)) {  // only over streams
    drop(DropReason::malformed);
    return;
  }
  process(now, from, std::move(*p));
}

Result<std::vector<std::uint8_t>> SwimCore::handle_stream(TimePoint now, const SocketAddress& from,
                                                          std::span<const std::uint8_t> bytes) {
  (void)from;
  auto plain = unseal(bytes);
  if (!plain) return Errc::malformed;
  auto p = parse(*plain);
  if (!p || !std::holds_alternative<PushPull>(p->body) || std::get<PushPull>(p->body).reply) {
    drop(p || p.error() != Errc::unsupported ? DropReason::malformed : DropReason::bad_version);
    return Errc::malformed;
  }
  if (p->sender == config_.name) {
    drop(DropReason::from_self);
    return Errc::invalid_argument;
  }
  merge(now, p->sender, std::get<PushPull>(p->body));
  return stream_bytes(false, true);
}

void SwimCore::handle_stream_reply(TimePoint now, const SocketAddress& from,
                                   std::span<const std::uint8_t> bytes) {
  (void)from;
  auto plain = unseal(bytes);
  if (!plain) return;
  auto p = parse(*plain);
  if (!p || !std::holds_alternative<PushPull>(p->body) || !std::get<PushPull>(p->body).reply) {
    drop(p || p.error() != Errc::unsupported ? DropReason::malformed : DropReason::bad_version);
    return;
  }
  if (p->sender == config_.name) {
    drop(DropReason::from_self);
    return;
  }
  merge(now, p->sender, std::get<PushPull>(p->body));
}

void SwimCore::process(TimePoint now, const SocketAddress& from, Packet&& p) {
  for (const auto& u : p.updates) apply(now, u);
  std::visit(
      [&](auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, Ping>) {
          if (v.target != config_.name) {
            drop(DropReason::misdirected);
            return;
          }
          send(from, Ack{v.seq});
        } else if constexpr (std::is_same_v<T, IndirectPing>) {
          if (relays_.size() >= config_.max_relays) {
            drop(DropReason::relays_full);
            return;
          }
          std::uint32_t seq = ++seq_;
          relays_[seq] = Relay{from, v.seq, v.want_nack, now + config_.probe_timeout * 4 / 5};
          send(v.target_address, Ping{seq, v.target});
        } else if constexpr (std::is_same_v<T, Ack>) {
          if (probe_ && probe_->seq == v.seq) {
            probe_->acked = true;
          } else if (auto it = relays_.find(v.seq); it != relays_.end()) {
            send(it->second.requester, Ack{it->second.requester_seq});
            relays_.erase(it);
          } else {
            drop(DropReason::unexpected);
          }
        } else if constexpr (std::is_same_v<T, Nack>) {
          if (probe_ && probe_->seq == v.seq) {
            ++probe_->nacks;
          } else {
            drop(DropReason::unexpected);
          }
        }
      },
      p.body);
}

// ---- timers ----

void SwimCore::adjust_awareness(int delta) {
  awareness_ = std::clamp(awareness_ + delta, 0, config_.awareness_max - 1);
}

std::optional<TimePoint> SwimCore::next_deadline() const {
  TimePoint t = std::min({next_probe_, next_gossip_, next_push_pull_, next_reconnect_, next_reclaim_});
  if (probe_ && !probe_->acked && !probe_->indirect_sent) t = std::min(t, probe_->direct_deadline);
  for (const auto& [seq, r] : relays_) t = std::min(t, r.deadline);
  for (const auto& [name, s] : suspicions_) t = std::min(t, s.deadline);
  return t;
}

void SwimCore::handle_timeout(TimePoint now) {
  if (probe_ && !probe_->acked && !probe_->indirect_sent && now >= probe_->direct_deadline) {
    probe_->indirect_sent = true;
    auto it = members_.find(probe_->target);
    if (it != members_.end()) {
      auto helpers = random_members(config_.indirect_checks, now, probe_->target, false);
      for (const Member* h : helpers) {
        send(h->info.address,
             IndirectPing{probe_->seq, probe_->target, it->second.info.address, true});
      }
      probe_->expected_nacks = helpers.size();
      if (!helpers.empty()) ++stats_.indirect_probes;
    }
  }
  if (now >= next_probe_) probe_tick(now);
  for (auto it = relays_.begin(); it != relays_.end();) {
    if (it->second.deadline <= now) {
      if (it->second.want_nack) send(it->second.requester, Nack{it->second.requester_seq}, false);
      it = relays_.erase(it);
    } else {
      ++it;
    }
  }
  std::vector<std::string> expired;
  for (const auto& [name, s] : suspicions_) {
    if (s.deadline <= now) expired.push_back(name);
  }
  for (const auto& name : expired) {
    suspicions_.erase(name);
    auto it = members_.find(name);
    if (it != members_.end() && it->second.info.state == MemberState::suspect) {
      on_dead(now, DeadUpdate{name, it->second.info.incarnation, config_.name});
    }
  }
  if (now >= next_gossip_) gossip_tick(now);
  if (now >= next_push_pull_ || now >= next_reconnect_) push_pull_tick(now);
  if (now >= next_reclaim_) reclaim(now);
}

void SwimCore::probe_tick(TimePoint now) {
  if (probe_) {
    if (probe_->acked) {
      adjust_awareness(-1);
    } else {
      ++stats_.probe_failures;
      // Lifeguard: missing Nacks mean our own link or process is at fault as much as the
      // target; each missing one raises the local health score.
      int delta = 1;
      if (probe_->expected_nacks > 0) {
        delta = probe_->nacks < probe_->expected_nacks
                    ? static_cast<int>(probe_->expected_nacks - probe_->nacks)
                    : 0;
      }
      adjust_awareness(delta);
      auto it = members_.find(probe_->target);
      // Alive: a new suspicion. Already suspect: our own failed probe is an independent
      // confirmation (it shortens the timeout here and, gossiped, elsewhere).
      if (it != members_.end() && (it->second.info.state == MemberState::alive ||
                                   it->second.info.state == MemberState::suspect)) {
        on_suspect(now, SuspectUpdate{probe_->target, it->second.info.incarnation, config_.name});
      }
    }
    probe_.reset();
  }
  next_probe_ = now + scaled(config_.probe_interval);
  if (left_) return;
  for (std::size_t tries = 0; tries < probe_order_.size(); ++tries) {
    if (probe_index_ >= probe_order_.size()) {
      for (std::size_t i = probe_order_.size(); i > 1; --i) {
        std::swap(probe_order_[i - 1], probe_order_[rng_.below(i)]);
      }
      probe_index_ = 0;
    }
    const std::string& name = probe_order_[probe_index_++];
    auto it = members_.find(name);
    if (it == members_.end()) continue;
    auto st = it->second.info.state;
    if (st != MemberState::alive && st != MemberState::suspect) continue;
    probe_ = Probe{name, ++seq_, now + scaled(config_.probe_timeout)};
    ++stats_.probes;
    send(it->second.info.address, Ping{probe_->seq, name});
    break;
  }
}

std::vector<const SwimCore::Member*> SwimCore::random_members(std::size_t k, TimePoint now,
                                                              const std::string& exclude,
                                                              bool include_recent_dead) {
  auto eligible = [&](const Member& m) {
    if (m.info.name == exclude) return false;
    auto st = m.info.state;
    if (st == MemberState::alive || st == MemberState::suspect) return true;
    return include_recent_dead && st == MemberState::dead && now - m.changed < config_.gossip_to_dead;
  };
  std::vector<const Member*> out;
  if (k == 0 || probe_order_.empty()) return out;
  if (probe_order_.size() <= 4 * k) {
    for (const auto& name : probe_order_) {
      auto it = members_.find(name);
      if (it != members_.end() && eligible(it->second)) out.push_back(&it->second);
    }
    for (std::size_t i = out.size(); i > 1; --i) std::swap(out[i - 1], out[rng_.below(i)]);
    if (out.size() > k) out.resize(k);
    return out;
  }
  for (std::size_t tries = 0; tries < 4 * k && out.size() < k; ++tries) {
    const auto& name = probe_order_[rng_.below(probe_order_.size())];
    auto it = members_.find(name);
    if (it == members_.end() || !eligible(it->second)) continue;
    if (std::find(out.begin(), out.end(), &it->second) != out.end()) continue;
    out.push_back(&it->second);
  }
  return out;
}

void SwimCore::gossip_tick(TimePoint now) {
  next_gossip_ = now + config_.gossip_interval;
  if (broadcasts_.empty()) return;
  for (const Member* m : random_members(config_.gossip_nodes, now, {}, true)) {
    send(m->info.address, GossipOnly{});
  }
}

void SwimCore::push_pull_tick(TimePoint now) {
  if (now >= next_push_pull_) {
    std::size_t n = alive_count();
    double scale = n <= 32 ? 1.0 : std::ceil(std::log2(double(n)) - std::log2(32.0)) + 1.0;
    next_push_pull_ = now + std::chrono::duration_cast<Duration>(config_.push_pull_interval * scale);
    if (!left_) {
      auto peers = random_members(1, now, {}, false);
      if (!peers.empty()) {
        transmits_.push_back(Transmit{peers[0]->info.address, stream_bytes(false, false), true});
      }
    }
  }
  if (now >= next_reconnect_) {
    next_reconnect_ = now + config_.reconnect_interval;
    std::vector<const Member*> dead;
    for (const auto& [name, m] : members_) {
      if (m.info.state == MemberState::dead) dead.push_back(&m);
    }
    if (!left_ && !dead.empty()) {
      // A stable pick order: the map's order is not deterministic across runs.
      std::sort(dead.begin(), dead.end(),
                [](const Member* a, const Member* b) { return a->info.name < b->info.name; });
      const Member* m = dead[rng_.below(dead.size())];
      transmits_.push_back(Transmit{m->info.address, stream_bytes(false, false), true});
    }
  }
}

void SwimCore::reclaim(TimePoint now) {
  next_reclaim_ = now + std::chrono::seconds(1);
  for (auto it = members_.begin(); it != members_.end();) {
    auto st = it->second.info.state;
    if ((st == MemberState::dead || st == MemberState::left) &&
        now - it->second.changed >= config_.dead_reclaim) {
      auto pos = std::find(probe_order_.begin(), probe_order_.end(), it->first);
      if (pos != probe_order_.end()) {
        std::size_t idx = static_cast<std::size_t>(pos - probe_order_.begin());
        probe_order_.erase(pos);
        if (idx < probe_index_) --probe_index_;
      }
      --gone_;
      it = members_.erase(it);
    } else {
      ++it;
    }
  }
  for (auto it = registrations_.begin(); it != registrations_.end();) {
    if (it->second.deleted && now - it->second.changed >= config_.dead_reclaim) {
      it = registrations_.erase(it);
    } else {
      ++it;
    }
  }
}

std::optional<Transmit> SwimCore::poll_transmit() {
  if (transmits_.empty()) return std::nullopt;
  Transmit t = std::move(transmits_.front());
  transmits_.pop_front();
  return t;
}

std::optional<GossipEvent> SwimCore::poll_event() {
  if (events_.empty()) return std::nullopt;
  GossipEvent e = std::move(events_.front());
  events_.pop_front();
  return e;
}

void SwimCore::join(TimePoint now, std::span<const SocketAddress> seeds) {
  (void)now;
  for (const auto& s : seeds) {
    if (s == config_.advertise) continue;
    transmits_.push_back(Transmit{s, stream_bytes(true, false), true});
  }
}

void SwimCore::leave(TimePoint now) {
  (void)now;
  if (left_) return;
  left_ = true;
  ++incarnation_;
  broadcast("m:" + config_.name, DeadUpdate{config_.name, incarnation_, config_.name});
}

}  // namespace gquic::gossip
