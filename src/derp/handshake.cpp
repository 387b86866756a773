#include "gquic/derp/handshake.h"

#include <sodium.h>

#include <nlohmann/json.hpp>

namespace gquic::derp {
namespace {

const bool sodium_ready = [] { return sodium_init() >= 0; }();

Result<nlohmann::json> open(std::span<const std::uint8_t> nonce_and_box, const Key& from_public,
                            const std::array<std::uint8_t, 32>& to_private) {
  if (!sodium_ready) return Errc::unsupported;
  if (nonce_and_box.size() < kNonceLen + crypto_box_MACBYTES) return Errc::truncated;
  const auto box = nonce_and_box.subspan(kNonceLen);
  std::string plain(box.size() - crypto_box_MACBYTES, '\0');
  if (crypto_box_open_easy(reinterpret_cast<unsigned char*>(plain.data()), box.data(), box.size(),
                           nonce_and_box.data(), from_public.data(), to_private.data()) != 0) {
    return Errc::malformed;
  }
  auto j = nlohmann::json::parse(plain, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return Errc::malformed;
  return j;
}

template <typename T>
bool read_opt(const nlohmann::json& j, const char* key, T& out) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return true;
  if constexpr (std::is_same_v<T, bool>) {
    if (!it->is_boolean()) return false;
  } else if constexpr (std::is_same_v<T, std::string>) {
    if (!it->is_string()) return false;
  } else {
    if (!it->is_number_integer() && !it->is_number_unsigned()) return false;
    if constexpr (std::is_unsigned_v<T>) {
      if (it->is_number_integer() && it->template get<std::int64_t>() < 0) return false;
    }
  }
  out = it->template get<T>();
  return true;
}

}  // namespace

Result<std::vector<std::uint8_t>> seal_box(std::string_view plaintext, const Key& to_public,
                                           const std::array<std::uint8_t, 32>& from_private) {
  if (!sodium_ready) return Errc::unsupported;
  std::vector<std::uint8_t> out(kNonceLen + crypto_box_MACBYTES + plaintext.size());
  randombytes_buf(out.data(), kNonceLen);
  if (crypto_box_easy(out.data() + kNonceLen,
                      reinterpret_cast<const unsigned char*>(plaintext.data()), plaintext.size(),
                      out.data(), to_public.data(), from_private.data()) != 0) {
    return Errc::invalid_argument;
  }
  return out;
}

KeyPair generate_key_pair() {
  KeyPair kp;
  crypto_box_keypair(kp.public_key.data(), kp.private_key.data());
  return kp;
}

Key public_key_of(const std::array<std::uint8_t, 32>& private_key) {
  Key k;
  crypto_scalarmult_base(k.data(), private_key.data());
  return k;
}

bool mesh_keys_equal(const std::array<std::uint8_t, 32>& a,
                     const std::array<std::uint8_t, 32>& b) noexcept {
  return sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

Result<std::array<std::uint8_t, 32>> parse_mesh_key(std::string_view hex) {
  std::array<std::uint8_t, 32> k{};
  if (hex.size() != 64) return Errc::malformed;
  std::size_t bin_len = 0;
  if (sodium_hex2bin(k.data(), k.size(), hex.data(), hex.size(), nullptr, &bin_len, nullptr) != 0 ||
      bin_len != k.size()) {
    return Errc::malformed;
  }
  return k;
}

Result<std::vector<std::uint8_t>> seal_client_info(const KeyPair& client, const Key& server_public,
                                           const ClientInfo& info) {
  nlohmann::json j;
  j["version"] = info.version;
  if (info.mesh_key) {
    char hex[65];
    sodium_bin2hex(hex, sizeof hex, info.mesh_key->data(), info.mesh_key->size());
    j["meshKey"] = hex;
  }
  j["CanAckPings"] = info.can_ack_pings;
  if (info.is_prober) j["IsProber"] = true;
  if (!info.app_name.empty()) j["AppName"] = info.app_name;
  std::vector<std::uint8_t> out(client.public_key.begin(), client.public_key.end());
  auto sealed = seal_box(j.dump(), server_public, client.private_key);
  if (!sealed) return sealed.error();
  out.insert(out.end(), sealed->begin(), sealed->end());
  return out;
}

Result<OpenedClientInfo> open_client_info(const KeyPair& server,
                                          std::span<const std::uint8_t> payload) {
  auto frame = parse_client_info(payload);
  if (!frame) return frame.error();
  if (payload.size() > kMaxClientInfoLen) return Errc::message_too_large;
  auto j = open(payload.subspan(kKeyLen), frame->client_key, server.private_key);
  if (!j) return j.error();
  OpenedClientInfo out{frame->client_key, {}};
  ClientInfo& ci = out.info;
  std::string mesh_hex;
  if (!read_opt(*j, "version", ci.version) || !read_opt(*j, "CanAckPings", ci.can_ack_pings) ||
      !read_opt(*j, "IsProber", ci.is_prober) || !read_opt(*j, "AppName", ci.app_name) ||
      !read_opt(*j, "meshKey", mesh_hex)) {
    return Errc::malformed;
  }
  if (ci.version < 1 || ci.version > 255) return Errc::malformed;
  if (!mesh_hex.empty()) {
    auto mk = parse_mesh_key(mesh_hex);
    if (!mk) return Errc::malformed;
    ci.mesh_key = *mk;
  }
  return out;
}

Result<std::vector<std::uint8_t>> seal_server_info(const KeyPair& server, const Key& client_public,
                                           const ServerInfo& info) {
  nlohmann::json j;
  j["version"] = info.version;
  if (info.token_bucket_bytes_per_second != 0) {
    j["TokenBucketBytesPerSecond"] = info.token_bucket_bytes_per_second;
    j["TokenBucketBytesBurst"] = info.token_bucket_bytes_burst;
  }
  return seal_box(j.dump(), client_public, server.private_key);
}

Result<ServerInfo> open_server_info(const KeyPair& client, const Key& server_public,
                                    std::span<const std::uint8_t> payload) {
  if (payload.size() > kMaxInfoLen) return Errc::message_too_large;
  auto j = open(payload, server_public, client.private_key);
  if (!j) return j.error();
  ServerInfo si;
  if (!read_opt(*j, "version", si.version) ||
      !read_opt(*j, "TokenBucketBytesPerSecond", si.token_bucket_bytes_per_second) ||
      !read_opt(*j, "TokenBucketBytesBurst", si.token_bucket_bytes_burst)) {
    return Errc::malformed;
  }
  return si;
}

}  // namespace gquic::derp
