// MdnsBrowser: querying with back-off, the record cache and instance resolution (browser.h).
#include "gquic/mdns/browser.h"

#include <algorithm>

namespace gquic::mdns {
namespace {

std::string key_of(const Name& n) {
  std::string s;
  for (const auto& l : n.labels) {
    for (char c : l) s += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    s += '.';
  }
  return s;
}

Duration ttl_part(std::uint32_t ttl, double fraction) {
  return std::chrono::duration_cast<Duration>(std::chrono::duration<double>(ttl * fraction));
}

}  // namespace

MdnsBrowser::MdnsBrowser(BrowserConfig config) : config_(config), jitter_(config.seed) {}

Result<void> MdnsBrowser::browse(TimePoint now, const Name& type) {
  for (const auto& b : browses_) {
    if (b.type == type) return Errc::already_exists;
  }
  if (browses_.size() >= config_.max_browses) return Errc::exhausted;
  browses_.push_back(Browse{type, config_.initial_interval,
                            now + jitter_.between(std::chrono::milliseconds(20),
                                                  std::chrono::milliseconds(120))});
  return {};
}

void MdnsBrowser::stop(const Name& type) {
  std::erase_if(browses_, [&](const Browse& b) { return b.type == type; });
}

void MdnsBrowser::schedule_refresh(Cached& c) {
  static constexpr double kAt[] = {0.80, 0.85, 0.90, 0.95};
  if (c.refreshes >= 4 || c.record.ttl == 0) {
    c.next_refresh = TimePoint::max();
    return;
  }
  double jitter = std::chrono::duration<double>(
                      jitter_.between(Duration::zero(), std::chrono::milliseconds(20)))
                      .count();  // 0..2 % of the TTL
  c.next_refresh = c.received + ttl_part(c.record.ttl, kAt[c.refreshes] + jitter);
}

void MdnsBrowser::insert(TimePoint now, const Record& r) {
  if (r.type == RrType::nsec || std::holds_alternative<OtherData>(r.data)) return;
  if (r.cache_flush) {
    for (auto& c : cache_) {
      if (c.record.type == r.type && c.record.name == r.name && !c.record.same_as(r) &&
          now - c.received > std::chrono::seconds(1)) {
        c.expires = std::min(c.expires, now + std::chrono::seconds(1));
        c.next_refresh = TimePoint::max();
      }
    }
  }
  for (auto& c : cache_) {
    if (!c.record.same_as(r)) continue;
    if (r.ttl == 0) {  // goodbye
      c.expires = std::min(c.expires, now + std::chrono::seconds(1));
      c.next_refresh = TimePoint::max();
      return;
    }
    c.record = r;
    c.received = now;
    c.expires = now + std::chrono::seconds(r.ttl);
    c.refreshes = 0;
    schedule_refresh(c);
    return;
  }
  if (r.ttl == 0) return;
  if (cache_.size() >= config_.max_cache) {
    drop(DropReason::table_full);
    return;
  }
  Cached c{r, now, now + std::chrono::seconds(r.ttl), 0, {}};
  schedule_refresh(c);
  cache_.push_back(std::move(c));
}

void MdnsBrowser::handle_datagram(TimePoint now, const SocketAddress& from,
                                  std::span<const std::uint8_t> bytes) {
  (void)from;
  ++stats_.packets_in;
  auto m = parse(bytes);
  if (!m) {
    drop(m.error() == Errc::message_too_large ? DropReason::too_large : DropReason::malformed);
    return;
  }
  if (!m->response) return;
  for (const auto* section : {&m->answers, &m->authorities, &m->additionals}) {
    for (const auto& r : *section) insert(now, r);
  }
  reconcile(now);
}

bool MdnsBrowser::wanted(const Record& r) const {
  if (r.type == RrType::ptr) {
    for (const auto& b : browses_) {
      if (b.type == r.name) return true;
    }
    return false;
  }
  std::string k = key_of(r.name);
  if (instances_.count(k)) return true;
  for (const auto& [name, svc] : instances_) {
    (void)name;
    if (r.type != RrType::srv && r.type != RrType::txt && key_of(Name({svc.host, "local"})) == k) return true;
  }
  // SRV/TXT of an instance still being resolved.
  for (const auto& c : cache_) {
    if (auto* p = std::get_if<PtrData>(&c.record.data); p && p->target == r.name) return true;
  }
  return false;
}

void MdnsBrowser::ask(TimePoint now, const Name& name, RrType type) {
  std::string k = key_of(name) + "/" + std::to_string(static_cast<int>(type));
  auto it = asked_.find(k);
  if (it != asked_.end() && now - it->second < std::chrono::seconds(1)) return;
  asked_[k] = now;
  for (const auto& q : questions_) {
    if (q.type == type && q.name == name) return;
  }
  questions_.push_back(Question{name, type, false});
  TimePoint at = now + std::chrono::milliseconds(20);
  if (!questions_at_ || at < *questions_at_) questions_at_ = at;
}

void MdnsBrowser::reconcile(TimePoint now) {
  std::map<std::string, ServiceInstance> found;
  for (const auto& c : cache_) {
    if (c.record.type != RrType::ptr || c.expires <= now) continue;
    const Browse* b = nullptr;
    for (const auto& x : browses_) {
      if (x.type == c.record.name) b = &x;
    }
    if (b == nullptr) continue;
    const Name& inst = std::get<PtrData>(c.record.data).target;
    if (inst.labels.size() < 2 || !(inst.parent() == b->type)) continue;
    const Cached* srv = nullptr;
    const Cached* txt = nullptr;
    for (const auto& x : cache_) {
      if (x.expires <= now || !(x.record.name == inst)) continue;
      if (x.record.type == RrType::srv) srv = &x;
      if (x.record.type == RrType::txt) txt = &x;
    }
    if (srv == nullptr || txt == nullptr) {
      if (srv == nullptr) ask(now, inst, RrType::srv);
      if (txt == nullptr) ask(now, inst, RrType::txt);
      if (srv == nullptr) continue;
    }
    ServiceInstance s;
    s.instance = inst.labels[0];
    std::string svc_label = b->type.labels.empty() ? "" : b->type.labels[0];
    s.name = svc_label.size() > 1 && svc_label[0] == '_' ? svc_label.substr(1) : svc_label;
    bool udp = b->type.labels.size() > 1 && b->type.labels[1] == "_udp";
    s.protocol = udp ? "udp" : "tcp";
    if (txt != nullptr) apply_txt(s, std::get<TxtData>(txt->record.data).strings);
    else s.namespace_ = std::string(kLanNamespace);
    const auto& sd = std::get<SrvData>(srv->record.data);
    s.port = sd.port;
    s.host = sd.target.labels.empty() ? "" : sd.target.labels[0];
    for (const auto& x : cache_) {
      if (x.expires <= now || !(x.record.name == sd.target)) continue;
      if (auto* a = std::get_if<AddressData>(&x.record.data)) s.addresses.push_back(a->ip);
    }
    if (s.addresses.empty()) {
      ask(now, sd.target, RrType::a);
      ask(now, sd.target, RrType::aaaa);
    }
    std::sort(s.addresses.begin(), s.addresses.end(),
              [](const IpAddress& x, const IpAddress& y) { return x.to_string() < y.to_string(); });
    found[key_of(inst)] = std::move(s);
  }
  for (auto& [k, s] : found) {
    auto it = instances_.find(k);
    if (it == instances_.end()) {
      events_.push_back(BrowserEvent{BrowserEvent::Kind::appeared, s});
    } else if (!(it->second == s)) {
      events_.push_back(BrowserEvent{BrowserEvent::Kind::updated, s});
    }
  }
  for (auto& [k, s] : instances_) {
    if (!found.count(k)) events_.push_back(BrowserEvent{BrowserEvent::Kind::left, s});
  }
  instances_ = std::move(found);
}

std::optional<TimePoint> MdnsBrowser::next_deadline() const {
  std::optional<TimePoint> t = questions_at_;
  auto take = [&](TimePoint x) {
    if (!t || x < *t) t = x;
  };
  for (const auto& b : browses_) take(b.next);
  for (const auto& c : cache_) {
    take(c.expires);
    if (c.next_refresh != TimePoint::max()) take(c.next_refresh);
  }
  return t;
}

void MdnsBrowser::handle_timeout(TimePoint now) {
  Message q;
  for (auto& b : browses_) {
    if (b.next > now) continue;
    q.questions.push_back(Question{b.type, RrType::ptr, false});
    for (const auto& c : cache_) {
      if (c.record.type == RrType::ptr && c.record.name == b.type &&
          c.expires - now > ttl_part(c.record.ttl, 0.5)) {
        Record known = c.record;
        known.ttl = static_cast<std::uint32_t>(
            std::chrono::duration_cast<std::chrono::seconds>(c.expires - now).count());
        q.answers.push_back(std::move(known));
      }
    }
    b.next = now + b.interval;
    b.interval = std::min(b.interval * 2, config_.max_interval);
  }
  bool expired = false;
  for (auto& c : cache_) {
    if (c.expires <= now) {
      expired = true;
      continue;
    }
    if (c.next_refresh <= now) {
      if (wanted(c.record)) {
        bool dup = false;
        for (const auto& x : q.questions) dup |= x.type == c.record.type && x.name == c.record.name;
        if (!dup) q.questions.push_back(Question{c.record.name, c.record.type, false});
      }
      ++c.refreshes;
      schedule_refresh(c);
    }
  }
  if (expired) {
    std::erase_if(cache_, [&](const Cached& c) { return c.expires <= now; });
    reconcile(now);
  }
  if (questions_at_ && *questions_at_ <= now) {
    for (auto& x : questions_) {
      bool dup = false;
      for (const auto& y : q.questions) dup |= x.type == y.type && x.name == y.name;
      if (!dup) q.questions.push_back(std::move(x));
    }
    questions_.clear();
    questions_at_.reset();
  }
  std::erase_if(asked_, [&](const auto& kv) { return now - kv.second > std::chrono::seconds(10); });
  if (!q.questions.empty()) {
    auto bytes = serialize(q);
    if (bytes) {
      ++stats_.queries;
      ++stats_.packets_out;
      transmits_.push_back(Transmit{mdns_group_v4(), std::move(*bytes), true});
    }
  }
}

std::vector<ServiceInstance> MdnsBrowser::services() const {
  std::vector<ServiceInstance> out;
  for (const auto& [k, s] : instances_) out.push_back(s);
  return out;
}

std::optional<Transmit> MdnsBrowser::poll_transmit() {
  if (transmits_.empty()) return std::nullopt;
  auto t = std::move(transmits_.front());
  transmits_.pop_front();
  return t;
}

std::optional<BrowserEvent> MdnsBrowser::poll_event() {
  if (events_.empty()) return std::nullopt;
  auto e = std::move(events_.front());
  events_.pop_front();
  return e;
}

}  // namespace gquic::mdns
