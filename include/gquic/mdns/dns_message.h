#pragma once
// DNS messages as mDNS uses them (RFC 6762 section 18), encoded and decoded through ldns.
//   * names are label lists compared case-insensitively (instance labels may hold spaces,
//     dots or parentheses, so no presentation-format escaping is involved);
//   * in a question the top bit of the class is the unicast-response (QU) bit; in a record it
//     is the cache-flush bit; both are split off here;
//   * records of types other than PTR, SRV, TXT, A and AAAA are kept as `other` (type only).
// parse() checks the header counts against the size before ldns sees the bytes (a question
// takes at least 5 bytes, a record 11) and caps them at kMaxRecords, so huge counts are refused
// cheaply; ldns bounds compression pointers and name length.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "gquic/core/error.h"
#include "gquic/core/socket_address.h"

namespace gquic::mdns {

inline constexpr std::size_t kMaxRecords = 256;     // per section
inline constexpr std::size_t kMaxMessageSize = 9000;

enum class RrType : std::uint16_t { a = 1, ptr = 12, txt = 16, aaaa = 28, srv = 33, nsec = 47, any = 255 };

struct Name {
  std::vector<std::string> labels;  // without the root
  Name() = default;
  explicit Name(std::vector<std::string> l) : labels(std::move(l)) {}
  // "a.b.local." or "a.b.local": split at dots (for names whose labels have no dots).
  static Name from_dotted(std::string_view dotted);
  // First label + the given parent: an instance name whose first label may hold dots.
  static Name child(std::string label, const Name& parent);
  std::string to_string() const;  // labels joined by '.', with a final '.'
  bool equals(const Name& o) const noexcept;  // ASCII case-insensitive
  friend bool operator==(const Name& a, const Name& b) noexcept { return a.equals(b); }
  Name parent() const;  // without the first label
};

struct Question {
  Name name;
  RrType type = RrType::any;
  bool unicast_response = false;  // QU
};

struct PtrData { Name target; friend bool operator==(const PtrData&, const PtrData&) = default; };
struct SrvData {
  std::uint16_t priority = 0, weight = 0, port = 0;
  Name target;
  friend bool operator==(const SrvData&, const SrvData&) = default;
};
struct TxtData { std::vector<std::string> strings; friend bool operator==(const TxtData&, const TxtData&) = default; };
struct AddressData { IpAddress ip; friend bool operator==(const AddressData&, const AddressData&) = default; };
struct OtherData { friend bool operator==(const OtherData&, const OtherData&) = default; };
using RData = std::variant<PtrData, SrvData, TxtData, AddressData, OtherData>;

struct Record {
  Name name;
  RrType type = RrType::a;
  bool cache_flush = false;
  std::uint32_t ttl = 0;
  RData data;
  // Same name, type and data (TTL and cache-flush ignored).
  bool same_as(const Record& o) const noexcept;
};

struct Message {
  std::uint16_t id = 0;
  bool response = false;
  std::vector<Question> questions;
  std::vector<Record> answers;
  std::vector<Record> authorities;
  std::vector<Record> additionals;
};

Result<std::vector<std::uint8_t>> serialize(const Message& m);
Result<Message> parse(std::span<const std::uint8_t> bytes);

}  // namespace gquic::mdns
