// MdnsResponder: probing, announcing, answering and goodbyes (see responder.h).
#include "gquic/mdns/responder.h"

#include <algorithm>
#include <tuple>

namespace gquic::mdns {
namespace {

const Name& services_meta() {
  static const Name n({"_services", "_dns-sd", "_udp", "local"});
  return n;
}

bool is_unique(RrType t) { return t != RrType::ptr; }

void add_unique(std::vector<Record>& out, const Record& r) {
  for (const auto& x : out) {
    if (x.same_as(r)) return;
  }
  out.push_back(r);
}

std::string lower(std::string s) {
  for (auto& c : s) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return s;
}

// RFC 6762 8.2: compare the authority records of two simultaneous probes; here the SRV and
// TXT data, SRV first. Returns <0, 0, >0.
int compare_probe(const std::vector<Record>& ours, const std::vector<Record>& theirs) {
  auto key = [](const std::vector<Record>& rs) {
    std::vector<std::tuple<int, std::uint16_t, std::uint16_t, std::uint16_t, std::string>> k;
    for (const auto& r : rs) {
      if (auto* s = std::get_if<SrvData>(&r.data)) {
        std::string target;
        for (const auto& l : s->target.labels) target += lower(l) + ".";
        k.emplace_back(0, s->priority, s->weight, s->port, target);
      } else if (auto* t = std::get_if<TxtData>(&r.data)) {
        std::string all;
        for (const auto& x : t->strings) all += x + '\0';
        k.emplace_back(1, 0, 0, 0, all);
      }
    }
    std::sort(k.begin(), k.end());
    return k;
  };
  auto a = key(ours), b = key(theirs);
  return a < b ? -1 : (b < a ? 1 : 0);
}

}  // namespace

SocketAddress mdns_group_v4() { return SocketAddress(IpAddress::v4(0xE00000FBu), kMdnsPort); }
SocketAddress mdns_group_v6() { return SocketAddress(*IpAddress::parse("ff02::fb"), kMdnsPort); }

std::string_view to_string(DropReason r) noexcept {
  switch (r) {
    case DropReason::malformed: return "malformed";
    case DropReason::too_large: return "too_large";
    case DropReason::table_full: return "table_full";
    case DropReason::count_: break;
  }
  return "unknown";
}

MdnsResponder::MdnsResponder(ResponderConfig config)
    : config_(std::move(config)), jitter_(config_.seed) {}

Name MdnsResponder::host_name(const Entry& e) const {
  return Name({e.svc.host.empty() ? config_.host : e.svc.host, "local"});
}

std::vector<Record> MdnsResponder::host_records(const Entry& e) const {
  std::vector<Record> out;
  const auto& addrs = e.svc.addresses.empty() ? config_.addresses : e.svc.addresses;
  for (const auto& ip : addrs) {
    out.push_back(Record{host_name(e), ip.is_v4() ? RrType::a : RrType::aaaa, true,
                         config_.host_ttl, AddressData{ip}});
  }
  return out;
}

std::vector<Record> MdnsResponder::records(const Entry& e, bool with_host) const {
  Name inst = instance_name(e);
  std::vector<Record> out{
      Record{e.type, RrType::ptr, false, config_.other_ttl, PtrData{inst}},
      Record{inst, RrType::srv, true, config_.host_ttl, SrvData{0, 0, e.svc.port, host_name(e)}},
      Record{inst, RrType::txt, true, config_.other_ttl, TxtData{txt_strings(e.svc)}},
      Record{services_meta(), RrType::ptr, false, config_.other_ttl, PtrData{e.type}},
  };
  if (with_host) {
    for (auto& r : host_records(e)) out.push_back(std::move(r));
  }
  return out;
}

Result<std::uint64_t> MdnsResponder::register_service(TimePoint now, ServiceInstance svc) {
  auto type = service_type(svc);
  if (!type) return type.error();
  if (svc.port == 0) return Errc::invalid_argument;
  if (entries_.size() >= config_.max_services) return Errc::exhausted;
  Entry e;
  e.type = *type;
  e.label = svc.instance.empty() ? instance_label(svc) : svc.instance;
  e.svc = std::move(svc);
  e.next = now + jitter_.between(Duration::zero(), config_.probe_interval);
  std::uint64_t id = next_id_++;
  entries_.emplace(id, std::move(e));
  return id;
}

std::optional<std::string> MdnsResponder::instance_of(std::uint64_t id) const {
  auto it = entries_.find(id);
  if (it == entries_.end()) return std::nullopt;
  return it->second.label;
}

bool MdnsResponder::announced(std::uint64_t id) const {
  auto it = entries_.find(id);
  return it != entries_.end() && it->second.state != State::probing;
}

Result<void> MdnsResponder::deregister_service(TimePoint now, std::uint64_t id) {
  (void)now;
  auto it = entries_.find(id);
  if (it == entries_.end()) return Errc::not_found;
  if (it->second.state != State::probing) {
    Message bye;
    bye.response = true;
    for (auto& r : records(it->second, false)) {
      if (r.type == RrType::ptr && r.name == services_meta()) continue;  // other services may share it
      r.ttl = 0;
      bye.answers.push_back(std::move(r));
    }
    ++stats_.goodbyes;
    send(mdns_group_v4(), bye, true);
  }
  entries_.erase(it);
  return {};
}

void MdnsResponder::send(const SocketAddress& to, const Message& m, bool multicast) {
  auto bytes = serialize(m);
  if (!bytes) return;  // only our own records: cannot fail for valid services
  ++stats_.packets_out;
  transmits_.push_back(Transmit{to, std::move(*bytes), multicast});
}

void MdnsResponder::restart_probing(TimePoint now, std::uint64_t id, Entry& e, bool rename) {
  if (rename) {
    e.label = next_name(e.label);
    ++stats_.conflicts;
    events_.push_back(ResponderEvent{ResponderEvent::Kind::renamed, id, e.label});
  }
  e.state = State::probing;
  e.sent = 0;
  e.next = now + jitter_.between(Duration::zero(), config_.probe_interval);
}

std::optional<TimePoint> MdnsResponder::next_deadline() const {
  std::optional<TimePoint> t = pending_at_;
  for (const auto& [id, e] : entries_) {
    if (e.state == State::announced) continue;
    if (!t || e.next < *t) t = e.next;
  }
  return t;
}

void MdnsResponder::handle_timeout(TimePoint now) {
  for (auto& [id, e] : entries_) {
    if (e.state == State::announced || e.next > now) continue;
    if (e.state == State::probing) {
      if (e.sent < config_.probes) {
        Message probe;
        probe.questions.push_back(Question{instance_name(e), RrType::any, e.sent == 0});
        for (auto& r : records(e, false)) {
          if (r.name == instance_name(e)) probe.authorities.push_back(std::move(r));
        }
        ++e.sent;
        ++stats_.probes;
        e.next = now + config_.probe_interval;
        send(mdns_group_v4(), probe, true);
        continue;
      }
      e.state = State::announcing;
      e.sent = 0;
      events_.push_back(ResponderEvent{ResponderEvent::Kind::registered, id, e.label});
    }
    Message ann;
    ann.response = true;
    ann.answers = records(e, true);
    ++e.sent;
    ++stats_.announcements;
    send(mdns_group_v4(), ann, true);
    if (e.sent >= config_.announcements) {
      e.state = State::announced;
    } else {
      e.next = now + config_.announce_interval;
    }
  }
  if (pending_at_ && *pending_at_ <= now) {
    Message m;
    m.response = true;
    m.answers = std::move(pending_);
    for (auto& r : pending_additional_) {
      bool in_answers = false;
      for (const auto& a : m.answers) in_answers |= a.same_as(r);
      if (!in_answers) m.additionals.push_back(std::move(r));
    }
    pending_.clear();
    pending_additional_.clear();
    pending_at_.reset();
    if (!m.answers.empty()) send(mdns_group_v4(), m, true);
  }
}

void MdnsResponder::handle_datagram(TimePoint now, const SocketAddress& from,
                                    std::span<const std::uint8_t> bytes) {
  ++stats_.packets_in;
  auto m = parse(bytes);
  if (!m) {
    drop(m.error() == Errc::message_too_large ? DropReason::too_large : DropReason::malformed);
    return;
  }
  check_conflicts(now, *m);
  if (!m->response) answer(now, from, *m);
}

void MdnsResponder::check_conflicts(TimePoint now, const Message& m) {
  for (auto& [id, e] : entries_) {
    Name inst = instance_name(e);
    auto ours = records(e, false);
    bool conflict = false;
    if (m.response) {
      for (const auto* section : {&m.answers, &m.additionals}) {
        for (const auto& r : *section) {
          if (r.ttl == 0 || !(r.name == inst) || !is_unique(r.type) || r.type == RrType::nsec) continue;
          bool same = false;
          for (const auto& o : ours) same |= o.same_as(r);
          if (!same && (r.type == RrType::srv || r.type == RrType::txt)) conflict = true;
        }
      }
    } else if (e.state == State::probing) {
      bool asks = false;
      for (const auto& q : m.questions) asks |= q.name == inst;
      std::vector<Record> theirs;
      for (const auto& r : m.authorities) {
        if (r.name == inst) theirs.push_back(r);
      }
      if (asks && !theirs.empty()) {
        std::vector<Record> mine;
        for (const auto& r : ours) {
          if (r.name == inst) mine.push_back(r);
        }
        conflict = compare_probe(mine, theirs) < 0;  // theirs sorts later: they win
      }
    }
    if (conflict) restart_probing(now, id, e, true);
  }
}

void MdnsResponder::answer(TimePoint now, const SocketAddress& from, const Message& q) {
  bool legacy = from.port() != kMdnsPort;
  bool unicast = legacy;
  std::vector<Record> answers, additional;
  for (const auto& question : q.questions) {
    unicast |= question.unicast_response;
    for (const auto& [id, e] : entries_) {
      if (e.state == State::probing) continue;
      for (const auto& r : records(e, true)) {
        if (!(r.name == question.name)) continue;
        if (question.type != RrType::any && question.type != r.type) continue;
        // Known-answer suppression (7.1).
        bool known = false;
        for (const auto& k : q.answers) known |= k.same_as(r) && k.ttl >= r.ttl / 2;
        if (known) {
          ++stats_.suppressed;
          continue;
        }
        add_unique(answers, r);
        if (r.type == RrType::ptr && !(r.name == services_meta())) {
          for (const auto& x : records(e, true)) {
            if (x.type != RrType::ptr) add_unique(additional, x);
          }
        } else if (r.type == RrType::srv) {
          for (const auto& x : host_records(e)) add_unique(additional, x);
        }
      }
    }
  }
  if (answers.empty()) return;
  stats_.answers += answers.size();
  if (unicast) {
    Message m;
    m.response = true;
    if (legacy) {
      m.id = q.id;
      m.questions = q.questions;
      for (auto& qq : m.questions) qq.unicast_response = false;
    }
    m.answers = std::move(answers);
    for (auto& r : additional) {
      bool dup = false;
      for (const auto& a : m.answers) dup |= a.same_as(r);
      if (!dup) m.additionals.push_back(r);
    }
    if (legacy) {
      for (auto* sec : {&m.answers, &m.additionals}) {
        for (auto& r : *sec) {
          r.cache_flush = false;
          r.ttl = std::min<std::uint32_t>(r.ttl, 10);
        }
      }
    }
    send(from, m, false);
    return;
  }
  bool shared = false;
  for (const auto& r : answers) shared |= !is_unique(r.type);
  for (auto& r : answers) add_unique(pending_, r);
  for (auto& r : additional) add_unique(pending_additional_, r);
  TimePoint at = now + (shared ? jitter_.between(std::chrono::milliseconds(20),
                                                 std::chrono::milliseconds(120))
                               : Duration::zero());
  if (!pending_at_ || at < *pending_at_) pending_at_ = at;
}

std::optional<Transmit> MdnsResponder::poll_transmit() {
  if (transmits_.empty()) return std::nullopt;
  auto t = std::move(transmits_.front());
  transmits_.pop_front();
  return t;
}

std::optional<ResponderEvent> MdnsResponder::poll_event() {
  if (events_.empty()) return std::nullopt;
  auto e = std::move(events_.front());
  events_.pop_front();
  return e;
}

}  // namespace gquic::mdns
