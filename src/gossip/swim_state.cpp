// SwimCore membership state: alive/suspect/dead updates with incarnation numbers, Lifeguard's
// dynamic suspicion timeouts, refutation, registrations and push-pull merging.
#include <algorithm>
#include <cmath>

#include "gquic/gossip/swim_core.h"

namespace gquic::gossip {
namespace {
std::string member_key(std::string_view name) { return "m:" + std::string(name); }
std::string registration_key(std::string_view origin, std::string_view key) {
  std::string k = "r:";
  k += origin;
  k += '\0';
  k += key;
  return k;
}
bool gone(MemberState s) { return s == MemberState::dead || s == MemberState::left; }
}  // namespace

std::size_t SwimCore::alive_count() const noexcept {
  return (left_ ? 0 : 1) + members_.size() - gone_;
}

std::vector<MemberInfo> SwimCore::members() const {
  std::vector<MemberInfo> out;
  out.push_back(MemberInfo{config_.name, config_.advertise, incarnation_,
                           left_ ? MemberState::left : MemberState::alive, config_.meta});
  for (const auto& [name, m] : members_) out.push_back(m.info);
  std::sort(out.begin() + 1, out.end(),
            [](const MemberInfo& a, const MemberInfo& b) { return a.name < b.name; });
  return out;
}

std::optional<MemberInfo> SwimCore::member(std::string_view name) const {
  if (name == config_.name) return members().front();
  auto it = members_.find(std::string(name));
  if (it == members_.end()) return std::nullopt;
  return it->second.info;
}

void SwimCore::emit(GossipEvent::Kind kind, const MemberInfo& m) {
  events_.push_back(GossipEvent{kind, m, {}, {}});
}

void SwimCore::apply(TimePoint now, const Update& u) {
  std::visit(
      [&](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, AliveUpdate>) on_alive(now, v);
        else if constexpr (std::is_same_v<T, SuspectUpdate>) on_suspect(now, v);
        else if constexpr (std::is_same_v<T, DeadUpdate>) on_dead(now, v);
        else on_registration(now, v);
      },
      u);
}

void SwimCore::refute(std::uint32_t accused) {
  incarnation_ = std::max(incarnation_, accused) + 1;
  ++stats_.refutations;
  adjust_awareness(1);
  broadcast(member_key(config_.name),
            AliveUpdate{config_.name, incarnation_, config_.advertise, config_.meta});
  // Whoever declared us dead dropped our registrations: send them again.
  for (auto it = registrations_.lower_bound({config_.name, ""});
       it != registrations_.end() && it->first.first == config_.name; ++it) {
    broadcast(registration_key(config_.name, it->first.second),
              RegistrationUpdate{config_.name, it->first.second, it->second.version,
                                 it->second.deleted, it->second.payload});
  }
}

void SwimCore::on_alive(TimePoint now, const AliveUpdate& a) {
  if (a.name == config_.name) {
    if (!left_ && a.incarnation > incarnation_) refute(a.incarnation);
    return;
  }
  auto it = members_.find(a.name);
  if (it == members_.end()) {
    if (members_.size() >= config_.max_members) {
      drop(DropReason::members_full);
      return;
    }
    Member m{MemberInfo{a.name, a.address, a.incarnation, MemberState::alive, a.meta}, now};
    it = members_.emplace(a.name, std::move(m)).first;
    probe_order_.push_back(a.name);
    std::swap(probe_order_.back(), probe_order_[rng_.below(probe_order_.size())]);
    emit(GossipEvent::Kind::member_joined, it->second.info);
    broadcast(member_key(a.name), a);
    return;
  }
  MemberInfo& m = it->second.info;
  if (a.incarnation <= m.incarnation) return;  // stale
  MemberState prev = m.state;
  bool changed = m.address != a.address || m.meta != a.meta;
  m.incarnation = a.incarnation;
  m.state = MemberState::alive;
  m.address = a.address;
  m.meta = a.meta;
  it->second.changed = now;
  suspicions_.erase(a.name);
  if (gone(prev)) --gone_;
  if (gone(prev)) emit(GossipEvent::Kind::member_joined, m);
  else if (prev == MemberState::suspect) emit(GossipEvent::Kind::member_recovered, m);
  else if (changed) emit(GossipEvent::Kind::member_updated, m);
  broadcast(member_key(a.name), a);
}

void SwimCore::start_suspicion(TimePoint now, const std::string& name, const std::string& from) {
  double n = static_cast<double>(alive_count());
  double node_scale = std::max(1.0, std::log10(std::max(1.0, n)));
  auto min = std::chrono::duration_cast<Duration>(config_.probe_interval * config_.suspicion_mult *
                                                  node_scale);
  auto max = std::chrono::duration_cast<Duration>(min * config_.suspicion_max_mult);
  std::size_t expected =
      config_.suspicion_mult > 2 ? static_cast<std::size_t>(config_.suspicion_mult - 2) : 0;
  if (n < 2 + static_cast<double>(expected)) expected = 0;
  Suspicion s{now, min, max, expected, {from}, now + (expected < 1 ? min : max)};
  suspicions_[name] = std::move(s);
}

void SwimCore::on_suspect(TimePoint now, const SuspectUpdate& s) {
  if (s.name == config_.name) {
    if (!left_ && s.incarnation >= incarnation_) refute(s.incarnation);
    return;
  }
  auto it = members_.find(s.name);
  if (it == members_.end()) return;
  MemberInfo& m = it->second.info;
  if (s.incarnation < m.incarnation || gone(m.state)) return;
  if (m.state == MemberState::suspect && s.incarnation > m.incarnation) {
    // The member refuted the old suspicion (we have not heard it yet): this is a new one,
    // with a full timeout of its own.
    m.incarnation = s.incarnation;
    it->second.changed = now;
    start_suspicion(now, s.name, s.from);
    broadcast(member_key(s.name), s);
    return;
  }
  if (m.state == MemberState::suspect) {
    auto sp = suspicions_.find(s.name);
    if (sp == suspicions_.end() || !sp->second.confirmations.insert(s.from).second) return;
    // Lifeguard: each independent confirmation shortens the timeout, log-scaled.
    Suspicion& x = sp->second;
    double c = static_cast<double>(x.confirmations.size() - 1);
    if (x.expected >= 1) {
      double frac = std::log(c + 1) / std::log(double(x.expected) + 1);
      auto span = std::chrono::duration_cast<Duration>((x.max - x.min) * std::min(frac, 1.0));
      x.deadline = x.start + std::max(x.min, x.max - span);
    }
    broadcast(member_key(s.name), s);
    return;
  }
  m.state = MemberState::suspect;
  m.incarnation = s.incarnation;
  it->second.changed = now;
  ++stats_.suspicions;
  start_suspicion(now, s.name, s.from);
  emit(GossipEvent::Kind::member_suspect, m);
  broadcast(member_key(s.name), s);
}

void SwimCore::on_dead(TimePoint now, const DeadUpdate& d) {
  if (d.name == config_.name) {
    if (!left_ && d.incarnation >= incarnation_) refute(d.incarnation);
    return;
  }
  auto it = members_.find(d.name);
  if (it == members_.end()) return;
  MemberInfo& m = it->second.info;
  if (d.incarnation < m.incarnation || gone(m.state)) return;
  m.state = d.from == d.name ? MemberState::left : MemberState::dead;
  ++gone_;
  m.incarnation = d.incarnation;
  it->second.changed = now;
  suspicions_.erase(d.name);
  ++stats_.deaths;
  emit(m.state == MemberState::left ? GossipEvent::Kind::member_left
                                    : GossipEvent::Kind::member_dead, m);
  broadcast(member_key(d.name), d);
  drop_registrations_of(now, d.name);
}

// ---- registrations ----

void SwimCore::drop_registrations_of(TimePoint now, const std::string& origin) {
  (void)now;
  auto it = registrations_.lower_bound({origin, ""});
  while (it != registrations_.end() && it->first.first == origin) {
    if (!it->second.deleted) {
      --live_registrations_;
      GossipEvent e{GossipEvent::Kind::registration_removed, {}, it->first.second, {}};
      e.member.name = origin;
      events_.push_back(std::move(e));
    }
    it = registrations_.erase(it);
  }
}

Result<void> SwimCore::register_service(TimePoint now, std::string_view key,
                                        std::span<const std::uint8_t> payload) {
  if (key.empty() || key.size() > kMaxKeyLength || payload.size() > kMaxPayloadLength) {
    return Errc::invalid_argument;
  }
  if (left_) return Errc::closed;
  RegKey k{config_.name, std::string(key)};
  auto it = registrations_.find(k);
  if (it == registrations_.end()) {
    if (registrations_.size() >= config_.max_registrations) return Errc::exhausted;
    it = registrations_.emplace(k, Stored{0, true, {}, now}).first;
  }
  Stored& s = it->second;
  if (s.deleted) ++live_registrations_;
  ++s.version;
  s.deleted = false;
  s.payload.assign(payload.begin(), payload.end());
  s.changed = now;
  broadcast(registration_key(k.first, k.second),
            RegistrationUpdate{k.first, k.second, s.version, false, s.payload});
  return {};
}

Result<void> SwimCore::deregister_service(TimePoint now, std::string_view key) {
  auto it = registrations_.find(RegKey{config_.name, std::string(key)});
  if (it == registrations_.end() || it->second.deleted) return Errc::not_found;
  Stored& s = it->second;
  ++s.version;
  s.deleted = true;
  s.payload.clear();
  s.changed = now;
  --live_registrations_;
  broadcast(registration_key(config_.name, key),
            RegistrationUpdate{config_.name, std::string(key), s.version, true, {}});
  return {};
}

std::vector<SwimCore::Registration> SwimCore::registrations() const {
  std::vector<Registration> out;
  for (const auto& [k, s] : registrations_) {
    if (!s.deleted) out.push_back(Registration{k.first, k.second, s.version, s.payload});
  }
  return out;
}

void SwimCore::on_registration(TimePoint now, const RegistrationUpdate& r) {
  RegKey k{r.origin, r.key};
  auto it = registrations_.find(k);
  if (r.origin == config_.name) {
    if (it != registrations_.end() && it->second.version >= r.version) return;
    // A copy from an earlier life of this node outranks ours: take over above it, keeping
    // what this node has (or withdrawing what it no longer has).
    if (it == registrations_.end()) {
      if (registrations_.size() >= config_.max_registrations) {
        drop(DropReason::registrations_full);
        return;
      }
      it = registrations_.emplace(k, Stored{0, true, {}, now}).first;
    }
    it->second.version = r.version + 1;
    it->second.changed = now;
    broadcast(registration_key(r.origin, r.key),
              RegistrationUpdate{r.origin, r.key, it->second.version, it->second.deleted,
                                 it->second.payload});
    return;
  }
  auto owner = members_.find(r.origin);
  if (owner != members_.end() && gone(owner->second.info.state)) return;
  if (it == registrations_.end()) {
    if (registrations_.size() >= config_.max_registrations) {
      drop(DropReason::registrations_full);
      return;
    }
    it = registrations_.emplace(k, Stored{0, true, {}, now}).first;
  } else if (r.version <= it->second.version) {
    return;
  }
  bool was_live = !it->second.deleted;
  it->second.version = r.version;
  it->second.deleted = r.deleted;
  it->second.payload = r.payload;
  it->second.changed = now;
  GossipEvent e{GossipEvent::Kind::registration_set, {}, r.key, r.payload};
  if (owner != members_.end()) e.member = owner->second.info;
  e.member.name = r.origin;
  if (!r.deleted) {
    if (!was_live) ++live_registrations_;
    events_.push_back(std::move(e));
  } else if (was_live) {
    --live_registrations_;
    e.kind = GossipEvent::Kind::registration_removed;
    events_.push_back(std::move(e));
  }
  broadcast(registration_key(r.origin, r.key), r);
}

// ---- push-pull ----

PushPull SwimCore::snapshot(bool join, bool reply) const {
  PushPull pp;
  pp.join = join;
  pp.reply = reply;
  pp.members.reserve(members_.size() + 1);
  pp.members.push_back(MemberSnapshot{config_.name, config_.advertise, incarnation_,
                                      left_ ? MemberState::left : MemberState::alive, config_.meta});
  for (const auto& [name, m] : members_) {
    pp.members.push_back(
        MemberSnapshot{name, m.info.address, m.info.incarnation, m.info.state, m.info.meta});
  }
  for (const auto& [k, s] : registrations_) {
    pp.registrations.push_back(RegistrationUpdate{k.first, k.second, s.version, s.deleted, s.payload});
  }
  return pp;
}

void SwimCore::merge(TimePoint now, const std::string& sender, const PushPull& pp) {
  for (const auto& m : pp.members) {
    switch (m.state) {
      case MemberState::alive:
        on_alive(now, AliveUpdate{m.name, m.incarnation, m.address, m.meta});
        break;
      case MemberState::suspect:
      case MemberState::dead:
        // A remote "dead" is only a suspicion here: the accused gets the chance to refute.
        if (members_.find(m.name) == members_.end() && m.name != config_.name) break;
        on_suspect(now, SuspectUpdate{m.name, m.incarnation, sender});
        break;
      case MemberState::left:
        on_dead(now, DeadUpdate{m.name, m.incarnation, m.name});
        break;
    }
  }
  for (const auto& r : pp.registrations) on_registration(now, r);
}

}  // namespace gquic::gossip
