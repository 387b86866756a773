// Encoding and bounds-checked parsing of gossip packets (layout in messages.h).
#include "gquic/gossip/messages.h"

#include <cstring>

namespace gquic::gossip {
namespace {

using Bytes = std::vector<std::uint8_t>;

void put8(Bytes& b, std::uint8_t v) { b.push_back(v); }
void put16(Bytes& b, std::uint16_t v) {
  b.push_back(static_cast<std::uint8_t>(v >> 8));
  b.push_back(static_cast<std::uint8_t>(v));
}
void put32(Bytes& b, std::uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) b.push_back(static_cast<std::uint8_t>(v >> s));
}
void put64(Bytes& b, std::uint64_t v) {
  for (int s = 56; s >= 0; s -= 8) b.push_back(static_cast<std::uint8_t>(v >> s));
}
// Strings and blobs longer than their limit are cut to it: the core never produces them, and a
// cut value keeps the frame well-formed.
void put_str8(Bytes& b, std::string_view s, std::size_t limit) {
  std::size_t n = std::min({s.size(), limit, std::size_t{255}});
  put8(b, static_cast<std::uint8_t>(n));
  b.insert(b.end(), s.begin(), s.begin() + static_cast<std::ptrdiff_t>(n));
}
void put_blob16(Bytes& b, std::span<const std::uint8_t> s, std::size_t limit) {
  std::size_t n = std::min(s.size(), limit);
  put16(b, static_cast<std::uint16_t>(n));
  b.insert(b.end(), s.begin(), s.begin() + static_cast<std::ptrdiff_t>(n));
}
void put_address(Bytes& b, const SocketAddress& a) {
  if (a.is_v4()) {
    put8(b, 4);
    b.insert(b.end(), a.ip().bytes().begin(), a.ip().bytes().begin() + 4);
  } else {
    put8(b, 6);
    b.insert(b.end(), a.ip().bytes().begin(), a.ip().bytes().end());
  }
  put16(b, a.port());
}

class Reader {
 public:
  explicit Reader(std::span<const std::uint8_t> d) : d_(d) {}
  bool ok() const noexcept { return err_ == Errc::ok; }
  Errc error() const noexcept { return err_; }
  bool done() const noexcept { return pos_ == d_.size(); }
  std::size_t left() const noexcept { return d_.size() - pos_; }
  void fail(Errc e) noexcept {
    if (err_ == Errc::ok) err_ = e;
  }
  bool need(std::size_t n) noexcept {
    if (err_ != Errc::ok) return false;
    if (left() < n) {
      err_ = Errc::truncated;
      return false;
    }
    return true;
  }
  std::uint64_t uint(std::size_t n) {
    if (!need(n)) return 0;
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < n; ++i) v = v << 8 | d_[pos_ + i];
    pos_ += n;
    return v;
  }
  std::uint8_t u8() { return static_cast<std::uint8_t>(uint(1)); }
  std::uint16_t u16() { return static_cast<std::uint16_t>(uint(2)); }
  std::uint32_t u32() { return static_cast<std::uint32_t>(uint(4)); }
  std::uint64_t u64() { return uint(8); }
  std::string str8(std::size_t limit, bool allow_empty = false) {
    std::size_t n = u8();
    if (!ok()) return {};
    if (n > limit || (n == 0 && !allow_empty)) {
      fail(Errc::malformed);
      return {};
    }
    if (!need(n)) return {};
    std::string s(reinterpret_cast<const char*>(d_.data() + pos_), n);
    pos_ += n;
    return s;
  }
  Bytes blob16(std::size_t limit) {
    std::size_t n = u16();
    if (!ok()) return {};
    if (n > limit) {
      fail(Errc::malformed);
      return {};
    }
    if (!need(n)) return {};
    Bytes b(d_.begin() + static_cast<std::ptrdiff_t>(pos_),
            d_.begin() + static_cast<std::ptrdiff_t>(pos_ + n));
    pos_ += n;
    return b;
  }
  SocketAddress address() {
    std::uint8_t family = u8();
    if (!ok()) return {};
    IpAddress ip;
    if (family == 4) {
      if (!need(4)) return {};
      ip = IpAddress::v4(static_cast<std::uint32_t>(uint(4)));
    } else if (family == 6) {
      if (!need(16)) return {};
      in6_addr a{};
      std::memcpy(&a, d_.data() + pos_, 16);
      pos_ += 16;
      ip = IpAddress::v6(a);
    } else {
      fail(Errc::malformed);
      return {};
    }
    std::uint16_t port = u16();
    return {ip, port};
  }

 private:
  std::span<const std::uint8_t> d_;
  std::size_t pos_ = 0;
  Errc err_ = Errc::ok;
};

enum class UpdateKind : std::uint8_t { alive = 1, suspect = 2, dead = 3, registration = 4 };

void put_registration(Bytes& b, const RegistrationUpdate& r) {
  put_str8(b, r.origin, kMaxNameLength);
  put_str8(b, r.key, kMaxKeyLength);
  put64(b, r.version);
  put8(b, r.deleted ? 1 : 0);
  put_blob16(b, r.payload, kMaxPayloadLength);
}

RegistrationUpdate read_registration(Reader& r) {
  RegistrationUpdate u;
  u.origin = r.str8(kMaxNameLength);
  u.key = r.str8(kMaxKeyLength);
  u.version = r.u64();
  std::uint8_t del = r.u8();
  if (del > 1) r.fail(Errc::malformed);
  u.deleted = del == 1;
  u.payload = r.blob16(kMaxPayloadLength);
  return u;
}

Update read_update(Reader& r) {
  auto kind = static_cast<UpdateKind>(r.u8());
  switch (kind) {
    case UpdateKind::alive: {
      AliveUpdate a;
      a.name = r.str8(kMaxNameLength);
      a.incarnation = r.u32();
      a.address = r.address();
      a.meta = r.blob16(kMaxMetaLength);
      return a;
    }
    case UpdateKind::suspect: {
      SuspectUpdate s;
      s.name = r.str8(kMaxNameLength);
      s.incarnation = r.u32();
      s.from = r.str8(kMaxNameLength);
      return s;
    }
    case UpdateKind::dead: {
      DeadUpdate d;
      d.name = r.str8(kMaxNameLength);
      d.incarnation = r.u32();
      d.from = r.str8(kMaxNameLength);
      return d;
    }
    case UpdateKind::registration:
      return read_registration(r);
  }
  r.fail(Errc::malformed);  // unknown kind (keeps an earlier truncation error)
  return AliveUpdate{};
}

}  // namespace

std::string_view to_string(MemberState s) noexcept {
  switch (s) {
    case MemberState::alive: return "alive";
    case MemberState::suspect: return "suspect";
    case MemberState::dead: return "dead";
    case MemberState::left: return "left";
  }
  return "unknown";
}

std::vector<std::uint8_t> encode_update(const Update& u) {
  Bytes b;
  std::visit(
      [&](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, AliveUpdate>) {
          put8(b, static_cast<std::uint8_t>(UpdateKind::alive));
          put_str8(b, v.name, kMaxNameLength);
          put32(b, v.incarnation);
          put_address(b, v.address);
          put_blob16(b, v.meta, kMaxMetaLength);
        } else if constexpr (std::is_same_v<T, RegistrationUpdate>) {
          put8(b, static_cast<std::uint8_t>(UpdateKind::registration));
          put_registration(b, v);
        } else {
          put8(b, static_cast<std::uint8_t>(std::is_same_v<T, SuspectUpdate> ? UpdateKind::suspect
                                                                              : UpdateKind::dead));
          put_str8(b, v.name, kMaxNameLength);
          put32(b, v.incarnation);
          put_str8(b, v.from, kMaxNameLength);
        }
      },
      u);
  return b;
}

std::vector<std::uint8_t> serialize_head(const Packet& p) {
  Bytes b;
  put8(b, kWireVersion);
  put8(b, static_cast<std::uint8_t>(p.body.index() + 1));
  put_str8(b, p.sender, kMaxNameLength);
  std::visit(
      [&](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, Ping>) {
          put32(b, v.seq);
          put_str8(b, v.target, kMaxNameLength);
        } else if constexpr (std::is_same_v<T, IndirectPing>) {
          put32(b, v.seq);
          put_str8(b, v.target, kMaxNameLength);
          put_address(b, v.target_address);
          put8(b, v.want_nack ? 1 : 0);
        } else if constexpr (std::is_same_v<T, Ack> || std::is_same_v<T, Nack>) {
          put32(b, v.seq);
        } else if constexpr (std::is_same_v<T, PushPull>) {
          put8(b, static_cast<std::uint8_t>((v.join ? 1 : 0) | (v.reply ? 2 : 0)));
          put32(b, static_cast<std::uint32_t>(v.members.size()));
          for (const auto& m : v.members) {
            put_str8(b, m.name, kMaxNameLength);
            put_address(b, m.address);
            put32(b, m.incarnation);
            put8(b, static_cast<std::uint8_t>(m.state));
            put_blob16(b, m.meta, kMaxMetaLength);
          }
          put32(b, static_cast<std::uint32_t>(v.registrations.size()));
          for (const auto& r : v.registrations) put_registration(b, r);
        }
      },
      p.body);
  put16(b, 0);
  return b;
}

bool PacketWriter::append(std::span<const std::uint8_t> encoded_update) {
  if (count_ >= kMaxUpdatesPerPacket) return false;
  bytes_.insert(bytes_.end(), encoded_update.begin(), encoded_update.end());
  ++count_;
  bytes_[count_at_] = static_cast<std::uint8_t>(count_ >> 8);
  bytes_[count_at_ + 1] = static_cast<std::uint8_t>(count_);
  return true;
}

std::vector<std::uint8_t> serialize(const Packet& p) {
  PacketWriter w(p);
  for (const auto& u : p.updates) (void)w.append(encode_update(u));
  return std::move(w).take();
}

Result<Packet> parse(std::span<const std::uint8_t> bytes) {
  Reader r(bytes);
  Packet p;
  std::uint8_t version = r.u8();
  if (r.ok() && version != kWireVersion) return Errc::unsupported;
  std::uint8_t type = r.u8();
  p.sender = r.str8(kMaxNameLength);
  switch (static_cast<MessageType>(type)) {
    case MessageType::ping: {
      Ping v;
      v.seq = r.u32();
      v.target = r.str8(kMaxNameLength);
      p.body = std::move(v);
      break;
    }
    case MessageType::indirect_ping: {
      IndirectPing v;
      v.seq = r.u32();
      v.target = r.str8(kMaxNameLength);
      v.target_address = r.address();
      std::uint8_t nack = r.u8();
      if (nack > 1) r.fail(Errc::malformed);
      v.want_nack = nack == 1;
      p.body = std::move(v);
      break;
    }
    case MessageType::ack: p.body = Ack{r.u32()}; break;
    case MessageType::nack: p.body = Nack{r.u32()}; break;
    case MessageType::gossip: p.body = GossipOnly{}; break;
    case MessageType::push_pull: {
      PushPull v;
      std::uint8_t flags = r.u8();
      if (flags > 3) r.fail(Errc::malformed);
      v.join = flags & 1;
      v.reply = flags & 2;
      std::uint32_t n = r.u32();
      // Each member takes at least 10 bytes: a count beyond what is left is a lie.
      if (r.ok() && (n > kMaxStateEntries || n > r.left() / 10)) r.fail(Errc::malformed);
      for (std::uint32_t i = 0; i < n && r.ok(); ++i) {
        MemberSnapshot m;
        m.name = r.str8(kMaxNameLength);
        m.address = r.address();
        m.incarnation = r.u32();
        std::uint8_t st = r.u8();
        if (st > 3) r.fail(Errc::malformed);
        m.state = static_cast<MemberState>(st);
        m.meta = r.blob16(kMaxMetaLength);
        v.members.push_back(std::move(m));
      }
      std::uint32_t k = r.u32();
      if (r.ok() && (k > kMaxStateEntries || k > r.left() / 14)) r.fail(Errc::malformed);
      for (std::uint32_t i = 0; i < k && r.ok(); ++i) v.registrations.push_back(read_registration(r));
      p.body = std::move(v);
      break;
    }
    default:
      if (r.ok()) return Errc::malformed;
  }
  std::uint16_t count = r.u16();
  if (r.ok() && count > kMaxUpdatesPerPacket) return Errc::malformed;
  for (std::uint16_t i = 0; i < count && r.ok(); ++i) p.updates.push_back(read_update(r));
  if (!r.ok()) return r.error();
  if (!r.done()) return Errc::malformed;  // trailing bytes
  return p;
}

}  // namespace gquic::gossip
