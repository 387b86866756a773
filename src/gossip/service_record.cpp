#include "gquic/gossip/service_record.h"

#include <cstring>

#include "gquic/gossip/messages.h"

namespace gquic::gossip {
namespace {

bool put_str(std::vector<std::uint8_t>& b, std::string_view s) {
  if (s.size() > 255) return false;
  b.push_back(static_cast<std::uint8_t>(s.size()));
  b.insert(b.end(), s.begin(), s.end());
  return true;
}

struct In {
  std::span<const std::uint8_t> d;
  std::size_t pos = 0;
  bool ok = true;
  std::size_t u(std::size_t n) {
    if (!ok || d.size() - pos < n) {
      ok = false;
      return 0;
    }
    std::size_t v = 0;
    for (std::size_t i = 0; i < n; ++i) v = v << 8 | d[pos++];
    return v;
  }
  std::string str(std::size_t len_bytes) {
    std::size_t n = u(len_bytes);
    if (!ok || d.size() - pos < n) {
      ok = false;
      return {};
    }
    std::string s(reinterpret_cast<const char*>(d.data() + pos), n);
    pos += n;
    return s;
  }
};

}  // namespace

std::string ServiceRecord::key() const {
  return namespace_ + "/" + name + "/" + version + "@" + std::to_string(port);
}

Result<std::vector<std::uint8_t>> encode(const ServiceRecord& r) {
  std::vector<std::uint8_t> b{1};
  bool ok = put_str(b, r.name) && put_str(b, r.namespace_) && put_str(b, r.version) &&
            put_str(b, r.protocol);
  b.push_back(static_cast<std::uint8_t>(r.port >> 8));
  b.push_back(static_cast<std::uint8_t>(r.port));
  if (!ok || r.addresses.size() > 255 || r.metadata.size() > 255 || r.tags.size() > 255) {
    return Errc::invalid_argument;
  }
  b.push_back(static_cast<std::uint8_t>(r.addresses.size()));
  for (const auto& a : r.addresses) {
    b.push_back(a.is_v4() ? 4 : 6);
    b.insert(b.end(), a.bytes().begin(), a.bytes().begin() + (a.is_v4() ? 4 : 16));
  }
  b.push_back(static_cast<std::uint8_t>(r.metadata.size()));
  for (const auto& [k, v] : r.metadata) {
    if (!put_str(b, k) || v.size() > 0xffff) return Errc::invalid_argument;
    b.push_back(static_cast<std::uint8_t>(v.size() >> 8));
    b.push_back(static_cast<std::uint8_t>(v.size()));
    b.insert(b.end(), v.begin(), v.end());
  }
  b.push_back(static_cast<std::uint8_t>(r.tags.size()));
  for (const auto& t : r.tags) {
    if (!put_str(b, t)) return Errc::invalid_argument;
  }
  if (b.size() > kMaxPayloadLength) return Errc::invalid_argument;
  return b;
}

Result<ServiceRecord> decode_service_record(std::span<const std::uint8_t> bytes) {
  In in{bytes};
  if (in.u(1) != 1) return in.ok ? Errc::unsupported : Errc::truncated;
  ServiceRecord r;
  r.name = in.str(1);
  r.namespace_ = in.str(1);
  r.version = in.str(1);
  r.protocol = in.str(1);
  r.port = static_cast<std::uint16_t>(in.u(2));
  std::size_t n = in.u(1);
  for (std::size_t i = 0; i < n && in.ok; ++i) {
    std::size_t fam = in.u(1);
    if (fam == 4) {
      r.addresses.push_back(IpAddress::v4(static_cast<std::uint32_t>(in.u(4))));
    } else if (fam == 6) {
      in6_addr a{};
      if (in.d.size() - in.pos < 16) return Errc::truncated;
      std::memcpy(&a, in.d.data() + in.pos, 16);
      in.pos += 16;
      r.addresses.push_back(IpAddress::v6(a));
    } else if (in.ok) {
      return Errc::malformed;
    }
  }
  n = in.u(1);
  for (std::size_t i = 0; i < n && in.ok; ++i) {
    std::string k = in.str(1);
    r.metadata[k] = in.str(2);
  }
  n = in.u(1);
  for (std::size_t i = 0; i < n && in.ok; ++i) r.tags.push_back(in.str(1));
  if (!in.ok) return Errc::truncated;
  if (in.pos != bytes.size()) return Errc::malformed;
  return r;
}

}  // namespace gquic::gossip
