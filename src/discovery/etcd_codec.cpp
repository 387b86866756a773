#include "gquic/discovery/etcd_codec.h"

#include <charconv>

#include <nlohmann/json.hpp>

namespace gquic::discovery::etcd {
namespace {

using nlohmann::json;
constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int b64_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+' || c == '-') return 62;
  if (c == '/' || c == '_') return 63;
  return -1;
}

// 64-bit numbers come as strings (or, from some gateways, as numbers).
std::optional<std::int64_t> int64_of(const json& j) {
  if (j.is_number_integer()) return j.get<std::int64_t>();
  if (!j.is_string()) return std::nullopt;
  const auto& s = j.get_ref<const std::string&>();
  std::int64_t v = 0;
  auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  if (r.ec != std::errc{} || r.ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

std::int64_t int64_or(const json& j, const char* key, std::int64_t def) {
  if (!j.is_object()) return def;
  auto it = j.find(key);
  if (it == j.end()) return def;
  return int64_of(*it).value_or(def);
}

json parse_json(std::string_view s) { return json::parse(s.begin(), s.end(), nullptr, false); }

Result<KeyValue> kv_of(const json& kv) {
  if (!kv.is_object()) return Errc::malformed;
  KeyValue out;
  auto k = base64_decode(kv.value("key", ""));
  auto v = base64_decode(kv.value("value", ""));
  if (!k || !v) return Errc::malformed;
  out.key = std::move(*k);
  out.value = std::move(*v);
  return out;
}

}  // namespace

std::string base64_encode(std::string_view in) {
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const unsigned v = static_cast<unsigned char>(in[i]) << 16 |
                       static_cast<unsigned char>(in[i + 1]) << 8 | static_cast<unsigned char>(in[i + 2]);
    out.push_back(kAlphabet[v >> 18 & 63]);
    out.push_back(kAlphabet[v >> 12 & 63]);
    out.push_back(kAlphabet[v >> 6 & 63]);
    out.push_back(kAlphabet[v & 63]);
  }
  if (i < in.size()) {
    unsigned v = static_cast<unsigned char>(in[i]) << 16;
    if (i + 1 < in.size()) v |= static_cast<unsigned char>(in[i + 1]) << 8;
    out.push_back(kAlphabet[v >> 18 & 63]);
    out.push_back(kAlphabet[v >> 12 & 63]);
    out.push_back(i + 1 < in.size() ? kAlphabet[v >> 6 & 63] : '=');
    out.push_back('=');
  }
  return out;
}

Result<std::string> base64_decode(std::string_view in) {
  std::string out;
  unsigned acc = 0;
  int bits = 0;
  for (char c : in) {
    if (c == '=') break;
    const int v = b64_value(c);
    if (v < 0) return Errc::malformed;
    acc = (acc << 6) | static_cast<unsigned>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  return out;
}

std::string service_key(std::string_view prefix, const ServiceId& id) {
  std::string k(prefix);
  k += "/services/" + id.ns + "/" + id.name + "/" + id.version;
  return k;
}

std::string range_end(std::string_view prefix) {
  std::string end(prefix);
  while (!end.empty()) {
    auto& last = reinterpret_cast<unsigned char&>(end.back());
    if (last < 0xff) {
      ++last;
      return end;
    }
    end.pop_back();
  }
  return std::string(1, '\0');  // every key
}

std::string lease_grant_request(std::int64_t ttl) { return json{{"TTL", ttl}}.dump(); }
std::string keepalive_request(std::int64_t lease) { return json{{"ID", std::to_string(lease)}}.dump(); }

std::string put_request(std::string_view key, std::string_view value, std::int64_t lease) {
  json j{{"key", base64_encode(key)}, {"value", base64_encode(value)}};
  if (lease != 0) j["lease"] = std::to_string(lease);
  return j.dump();
}

std::string delete_request(std::string_view key) { return json{{"key", base64_encode(key)}}.dump(); }

std::string range_request(std::string_view prefix) {
  return json{{"key", base64_encode(prefix)}, {"range_end", base64_encode(range_end(prefix))}}.dump();
}

std::string watch_request(std::string_view prefix, std::int64_t start_revision) {
  return json{{"create_request",
               {{"key", base64_encode(prefix)},
                {"range_end", base64_encode(range_end(prefix))},
                {"start_revision", std::to_string(start_revision)}}}}
      .dump();
}

Result<std::int64_t> parse_lease_grant(std::string_view body) {
  json j = parse_json(body);
  if (!j.is_object() || !j.contains("ID")) return Errc::malformed;
  auto id = int64_of(j["ID"]);
  if (!id || *id == 0) return Errc::malformed;
  return *id;
}

Result<std::int64_t> parse_keepalive(std::string_view body) {
  json j = parse_json(body);
  if (!j.is_object()) return Errc::malformed;
  if (j.contains("error")) return Errc::malformed;
  const json& r = j.contains("result") ? j["result"] : j;
  return int64_or(r, "TTL", 0);
}

Result<RangeResponse> parse_range(std::string_view body) {
  json j = parse_json(body);
  if (!j.is_object() || !j.contains("header")) return Errc::malformed;
  RangeResponse out;
  out.revision = int64_or(j["header"], "revision", 0);
  if (j.contains("kvs")) {
    if (!j["kvs"].is_array()) return Errc::malformed;
    for (const json& kv : j["kvs"]) {
      auto r = kv_of(kv);
      if (!r) return r.error();
      out.kvs.push_back(std::move(*r));
    }
  }
  return out;
}

Result<WatchMessage> parse_watch_message(std::string_view line) {
  json j = parse_json(line);
  if (!j.is_object()) return Errc::malformed;
  if (j.contains("error")) return Errc::closed;
  if (!j.contains("result") || !j["result"].is_object()) return Errc::malformed;
  const json& r = j["result"];
  WatchMessage m;
  if (r.contains("header")) m.revision = int64_or(r["header"], "revision", 0);
  m.created = r.value("created", false);
  m.canceled = r.value("canceled", false);
  if (r.contains("events")) {
    if (!r["events"].is_array()) return Errc::malformed;
    for (const json& e : r["events"]) {
      if (!e.is_object() || !e.contains("kv")) return Errc::malformed;
      WatchEventMsg ev;
      ev.deleted = e.value("type", "PUT") == "DELETE";
      auto kv = kv_of(e["kv"]);
      if (!kv) return kv.error();
      ev.kv = std::move(*kv);
      m.events.push_back(std::move(ev));
    }
  }
  return m;
}

std::optional<ServiceId> id_from_key(std::string_view prefix, std::string_view key) {
  const std::string head = std::string(prefix) + "/services/";
  if (key.substr(0, head.size()) != head) return std::nullopt;
  key.remove_prefix(head.size());
  ServiceId id;
  const std::size_t a = key.find('/');
  if (a == std::string_view::npos) return std::nullopt;
  const std::size_t b = key.find('/', a + 1);
  if (b == std::string_view::npos) return std::nullopt;
  id.ns = std::string(key.substr(0, a));
  id.name = std::string(key.substr(a + 1, b - a - 1));
  id.version = std::string(key.substr(b + 1));
  if (!validate_id(id)) return std::nullopt;
  return id;
}

}  // namespace gquic::discovery::etcd
