// mDNS messages to and from DNS wire format through ldns.
#include "gquic/mdns/dns_message.h"

#include <cstring>
#include <memory>

#include <ldns/ldns.h>

namespace gquic::mdns {
namespace {

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

struct PktFree {
  void operator()(ldns_pkt* p) const noexcept { ldns_pkt_free(p); }
};
using Pkt = std::unique_ptr<ldns_pkt, PktFree>;

// Wire labels of a name (uncompressed), or nullptr if a label is empty or too long.
ldns_rdf* name_rdf(const Name& n) {
  std::vector<std::uint8_t> wire;
  for (const auto& l : n.labels) {
    if (l.empty() || l.size() > 63) return nullptr;
    wire.push_back(static_cast<std::uint8_t>(l.size()));
    wire.insert(wire.end(), l.begin(), l.end());
  }
  wire.push_back(0);
  if (wire.size() > 255) return nullptr;
  return ldns_rdf_new_frm_data(LDNS_RDF_TYPE_DNAME, wire.size(), wire.data());
}

std::optional<Name> rdf_name(const ldns_rdf* rdf) {
  if (rdf == nullptr || ldns_rdf_get_type(rdf) != LDNS_RDF_TYPE_DNAME) return std::nullopt;
  const std::uint8_t* d = ldns_rdf_data(rdf);
  std::size_t size = ldns_rdf_size(rdf), pos = 0;
  Name n;
  while (pos < size) {
    std::size_t len = d[pos++];
    if (len == 0) return n;
    if (len > 63 || pos + len > size) return std::nullopt;
    n.labels.emplace_back(reinterpret_cast<const char*>(d + pos), len);
    pos += len;
  }
  return std::nullopt;
}

std::uint16_t rdf_u16(const ldns_rdf* rdf) {
  if (rdf == nullptr || ldns_rdf_size(rdf) != 2) return 0;
  return ldns_rdf2native_int16(rdf);
}

ldns_rr* to_ldns(const Record& r) {
  ldns_rr* rr = ldns_rr_new();
  ldns_rdf* owner = name_rdf(r.name);
  if (rr == nullptr || owner == nullptr) {
    ldns_rr_free(rr);
    ldns_rdf_deep_free(owner);
    return nullptr;
  }
  ldns_rr_set_owner(rr, owner);
  ldns_rr_set_type(rr, static_cast<ldns_rr_type>(r.type));
  ldns_rr_set_class(rr, static_cast<ldns_rr_class>(LDNS_RR_CLASS_IN | (r.cache_flush ? 0x8000 : 0)));
  ldns_rr_set_ttl(rr, r.ttl);
  bool ok = std::visit(
      [&](const auto& v) -> bool {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, PtrData>) {
          ldns_rdf* t = name_rdf(v.target);
          return t != nullptr && ldns_rr_push_rdf(rr, t);
        } else if constexpr (std::is_same_v<T, SrvData>) {
          ldns_rdf* t = name_rdf(v.target);
          if (t == nullptr) return false;
          return ldns_rr_push_rdf(rr, ldns_native2rdf_int16(LDNS_RDF_TYPE_INT16, v.priority)) &&
                 ldns_rr_push_rdf(rr, ldns_native2rdf_int16(LDNS_RDF_TYPE_INT16, v.weight)) &&
                 ldns_rr_push_rdf(rr, ldns_native2rdf_int16(LDNS_RDF_TYPE_INT16, v.port)) &&
                 ldns_rr_push_rdf(rr, t);
        } else if constexpr (std::is_same_v<T, TxtData>) {
          std::vector<std::string> strings = v.strings;
          if (strings.empty()) strings.emplace_back();  // RFC 6763 6.1: one empty string
          for (const auto& s : strings) {
            if (s.size() > 255) return false;
            std::vector<std::uint8_t> d{static_cast<std::uint8_t>(s.size())};
            d.insert(d.end(), s.begin(), s.end());
            if (!ldns_rr_push_rdf(rr, ldns_rdf_new_frm_data(LDNS_RDF_TYPE_STR, d.size(), d.data()))) return false;
          }
          return true;
        } else if constexpr (std::is_same_v<T, AddressData>) {
          if (v.ip.is_v4()) {
            return ldns_rr_push_rdf(rr, ldns_rdf_new_frm_data(LDNS_RDF_TYPE_A, 4, v.ip.bytes().data()));
          }
          return ldns_rr_push_rdf(rr, ldns_rdf_new_frm_data(LDNS_RDF_TYPE_AAAA, 16, v.ip.bytes().data()));
        } else {
          return false;  // never encoded
        }
      },
      r.data);
  if (!ok) {
    ldns_rr_free(rr);
    return nullptr;
  }
  return rr;
}

std::optional<Record> from_ldns(const ldns_rr* rr) {
  auto owner = rdf_name(ldns_rr_owner(rr));
  if (!owner) return std::nullopt;
  Record r;
  r.name = std::move(*owner);
  r.type = static_cast<RrType>(ldns_rr_get_type(rr));
  auto cls = static_cast<std::uint16_t>(ldns_rr_get_class(rr));
  r.cache_flush = (cls & 0x8000) != 0;
  r.ttl = ldns_rr_ttl(rr);
  std::size_t n = ldns_rr_rd_count(rr);
  switch (r.type) {
    case RrType::ptr: {
      auto t = n == 1 ? rdf_name(ldns_rr_rdf(rr, 0)) : std::nullopt;
      if (!t) return std::nullopt;
      r.data = PtrData{std::move(*t)};
      break;
    }
    case RrType::srv: {
      auto t = n == 4 ? rdf_name(ldns_rr_rdf(rr, 3)) : std::nullopt;
      if (!t) return std::nullopt;
      r.data = SrvData{rdf_u16(ldns_rr_rdf(rr, 0)), rdf_u16(ldns_rr_rdf(rr, 1)),
                       rdf_u16(ldns_rr_rdf(rr, 2)), std::move(*t)};
      break;
    }
    case RrType::txt: {
      TxtData txt;
      for (std::size_t i = 0; i < n; ++i) {
        const ldns_rdf* f = ldns_rr_rdf(rr, i);
        std::size_t size = ldns_rdf_size(f);
        const std::uint8_t* d = ldns_rdf_data(f);
        if (size == 0 || d[0] + 1u != size) return std::nullopt;
        if (d[0] > 0) txt.strings.emplace_back(reinterpret_cast<const char*>(d + 1), d[0]);
      }
      r.data = std::move(txt);
      break;
    }
    case RrType::a:
    case RrType::aaaa: {
      const ldns_rdf* f = n == 1 ? ldns_rr_rdf(rr, 0) : nullptr;
      std::size_t want = r.type == RrType::a ? 4 : 16;
      if (f == nullptr || ldns_rdf_size(f) != want) return std::nullopt;
      if (want == 4) {
        in_addr a{};
        std::memcpy(&a, ldns_rdf_data(f), 4);
        r.data = AddressData{IpAddress::v4(a)};
      } else {
        in6_addr a{};
        std::memcpy(&a, ldns_rdf_data(f), 16);
        r.data = AddressData{IpAddress::v6(a)};
      }
      break;
    }
    default:
      r.data = OtherData{};
  }
  return r;
}

bool push_section(ldns_pkt* p, ldns_pkt_section s, const std::vector<Record>& records) {
  for (const auto& r : records) {
    ldns_rr* rr = to_ldns(r);
    if (rr == nullptr || !ldns_pkt_push_rr(p, s, rr)) {
      ldns_rr_free(rr);
      return false;
    }
  }
  return true;
}

Result<std::vector<Record>> read_section(const ldns_rr_list* list) {
  std::vector<Record> out;
  std::size_t n = list ? ldns_rr_list_rr_count(list) : 0;
  for (std::size_t i = 0; i < n; ++i) {
    auto r = from_ldns(ldns_rr_list_rr(list, i));
    if (!r) return Errc::malformed;
    out.push_back(std::move(*r));
  }
  return out;
}

}  // namespace

Name Name::from_dotted(std::string_view dotted) {
  Name n;
  while (!dotted.empty()) {
    auto dot = dotted.find('.');
    std::string_view label = dotted.substr(0, dot);
    if (!label.empty()) n.labels.emplace_back(label);
    if (dot == std::string_view::npos) break;
    dotted.remove_prefix(dot + 1);
  }
  return n;
}

Name Name::child(std::string label, const Name& parent) {
  Name n;
  n.labels.push_back(std::move(label));
  n.labels.insert(n.labels.end(), parent.labels.begin(), parent.labels.end());
  return n;
}

std::string Name::to_string() const {
  std::string s;
  for (const auto& l : labels) {
    s += l;
    s += '.';
  }
  return s.empty() ? "." : s;
}

bool Name::equals(const Name& o) const noexcept {
  if (labels.size() != o.labels.size()) return false;
  for (std::size_t i = 0; i < labels.size(); ++i) {
    if (labels[i].size() != o.labels[i].size()) return false;
    for (std::size_t j = 0; j < labels[i].size(); ++j) {
      if (lower(labels[i][j]) != lower(o.labels[i][j])) return false;
    }
  }
  return true;
}

Name Name::parent() const {
  Name n;
  if (!labels.empty()) n.labels.assign(labels.begin() + 1, labels.end());
  return n;
}

bool Record::same_as(const Record& o) const noexcept {
  return type == o.type && name == o.name && data == o.data;
}

Result<std::vector<std::uint8_t>> serialize(const Message& m) {
  Pkt p(ldns_pkt_new());
  if (!p) return Errc::exhausted;
  ldns_pkt_set_id(p.get(), m.id);
  ldns_pkt_set_qr(p.get(), m.response);
  ldns_pkt_set_aa(p.get(), m.response);
  for (const auto& q : m.questions) {
    ldns_rr* rr = ldns_rr_new();
    ldns_rdf* owner = name_rdf(q.name);
    if (rr == nullptr || owner == nullptr) {
      ldns_rr_free(rr);
      ldns_rdf_deep_free(owner);
      return Errc::invalid_argument;
    }
    ldns_rr_set_owner(rr, owner);
    ldns_rr_set_question(rr, true);
    ldns_rr_set_type(rr, static_cast<ldns_rr_type>(q.type));
    ldns_rr_set_class(rr, static_cast<ldns_rr_class>(LDNS_RR_CLASS_IN | (q.unicast_response ? 0x8000 : 0)));
    if (!ldns_pkt_push_rr(p.get(), LDNS_SECTION_QUESTION, rr)) {
      ldns_rr_free(rr);
      return Errc::invalid_argument;
    }
  }
  if (!push_section(p.get(), LDNS_SECTION_ANSWER, m.answers) ||
      !push_section(p.get(), LDNS_SECTION_AUTHORITY, m.authorities) ||
      !push_section(p.get(), LDNS_SECTION_ADDITIONAL, m.additionals)) {
    return Errc::invalid_argument;
  }
  std::uint8_t* wire = nullptr;
  std::size_t size = 0;
  if (ldns_pkt2wire(&wire, p.get(), &size) != LDNS_STATUS_OK) {
    std::free(wire);
    return Errc::invalid_argument;
  }
  std::vector<std::uint8_t> out(wire, wire + size);
  std::free(wire);
  if (out.size() > kMaxMessageSize) return Errc::message_too_large;
  return out;
}

Result<Message> parse(std::span<const std::uint8_t> bytes) {
  if (bytes.size() < 12) return Errc::truncated;
  if (bytes.size() > kMaxMessageSize) return Errc::message_too_large;
  auto count = [&](std::size_t at) { return std::size_t{bytes[at]} << 8 | bytes[at + 1]; };
  std::size_t qd = count(4), an = count(6), ns = count(8), ar = count(10);
  if (qd > kMaxRecords || an > kMaxRecords || ns > kMaxRecords || ar > kMaxRecords ||
      qd * 5 + (an + ns + ar) * 11 > bytes.size() - 12) {
    return Errc::malformed;
  }
  ldns_pkt* raw = nullptr;
  if (ldns_wire2pkt(&raw, bytes.data(), bytes.size()) != LDNS_STATUS_OK) {
    ldns_pkt_free(raw);
    return Errc::malformed;
  }
  Pkt p(raw);
  Message m;
  m.id = ldns_pkt_id(p.get());
  m.response = ldns_pkt_qr(p.get());
  const ldns_rr_list* qs = ldns_pkt_question(p.get());
  for (std::size_t i = 0; qs && i < ldns_rr_list_rr_count(qs); ++i) {
    const ldns_rr* rr = ldns_rr_list_rr(qs, i);
    auto name = rdf_name(ldns_rr_owner(rr));
    if (!name) return Errc::malformed;
    auto cls = static_cast<std::uint16_t>(ldns_rr_get_class(rr));
    m.questions.push_back(Question{std::move(*name), static_cast<RrType>(ldns_rr_get_type(rr)),
                                   (cls & 0x8000) != 0});
  }
  auto an_r = read_section(ldns_pkt_answer(p.get()));
  auto ns_r = read_section(ldns_pkt_authority(p.get()));
  auto ar_r = read_section(ldns_pkt_additional(p.get()));
  if (!an_r || !ns_r || !ar_r) return Errc::malformed;
  m.answers = std::move(*an_r);
  m.authorities = std::move(*ns_r);
  m.additionals = std::move(*ar_r);
  return m;
}

}  // namespace gquic::mdns
