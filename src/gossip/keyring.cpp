// AES-256-GCM sealing of gossip packets through OpenSSL EVP.
#include "gquic/gossip/keyring.h"

#include <algorithm>
#include <memory>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "gquic/gossip/random.h"

namespace gquic::gossip {
namespace {

struct CtxFree {
  void operator()(EVP_CIPHER_CTX* c) const noexcept { EVP_CIPHER_CTX_free(c); }
};
using Ctx = std::unique_ptr<EVP_CIPHER_CTX, CtxFree>;

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool try_open(const GossipKey& key, std::span<const std::uint8_t> sealed,
              std::vector<std::uint8_t>& out) {
  auto nonce = sealed.subspan(1, kNonceSize);
  auto body = sealed.subspan(1 + kNonceSize, sealed.size() - kSealOverhead);
  auto tag = sealed.subspan(sealed.size() - kTagSize);
  Ctx ctx(EVP_CIPHER_CTX_new());
  if (!ctx) return false;
  int len = 0;
  out.resize(body.size());
  bool ok =
      EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) == 1 &&
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, kNonceSize, nullptr) == 1 &&
      EVP_DecryptInit_ex(ctx.get(), nullptr, nullptr, key.data(), nonce.data()) == 1 &&
      EVP_DecryptUpdate(ctx.get(), nullptr, &len, sealed.data(), 1) == 1 &&
      EVP_DecryptUpdate(ctx.get(), out.data(), &len, body.data(), static_cast<int>(body.size())) == 1 &&
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTagSize,
                          const_cast<std::uint8_t*>(tag.data())) == 1;
  int fin = 0;
  ok = ok && EVP_DecryptFinal_ex(ctx.get(), out.data() + len, &fin) == 1;
  return ok;
}

}  // namespace

void OsRandom::fill(std::span<std::uint8_t> out) noexcept {
  if (RAND_bytes(out.data(), static_cast<int>(out.size())) != 1) std::abort();  // no entropy
}
OsRandom& OsRandom::instance() noexcept {
  static OsRandom r;
  return r;
}

Result<GossipKey> Keyring::parse_key(std::string_view text) {
  GossipKey key{};
  if (text.size() == 64) {
    for (std::size_t i = 0; i < 32; ++i) {
      int hi = hex_value(text[2 * i]), lo = hex_value(text[2 * i + 1]);
      if (hi < 0 || lo < 0) return Errc::invalid_argument;
      key[i] = static_cast<std::uint8_t>(hi << 4 | lo);
    }
    return key;
  }
  if (text.size() == 44) {
    std::uint8_t out[33];
    int n = EVP_DecodeBlock(out, reinterpret_cast<const unsigned char*>(text.data()), 44);
    if (n != 33 || text[43] != '=' || text[42] == '=') return Errc::invalid_argument;
    std::copy(out, out + 32, key.begin());
    return key;
  }
  return Errc::invalid_argument;
}

void Keyring::add(const GossipKey& key) {
  if (std::find(keys_.begin(), keys_.end(), key) == keys_.end()) keys_.push_back(key);
}

Result<void> Keyring::use(const GossipKey& key) {
  auto it = std::find(keys_.begin(), keys_.end(), key);
  if (it == keys_.end()) return Errc::not_found;
  std::rotate(keys_.begin(), it, it + 1);
  return {};
}

Result<void> Keyring::remove(const GossipKey& key) {
  auto it = std::find(keys_.begin(), keys_.end(), key);
  if (it == keys_.end()) return Errc::not_found;
  if (it == keys_.begin()) return Errc::invalid_argument;
  keys_.erase(it);
  return {};
}

Result<std::vector<std::uint8_t>> Keyring::seal(std::span<const std::uint8_t> plain,
                                                std::span<const std::uint8_t, kNonceSize> nonce) const {
  if (keys_.empty()) return Errc::invalid_argument;
  std::vector<std::uint8_t> out(plain.size() + kSealOverhead);
  out[0] = kSealedMarker;
  std::copy(nonce.begin(), nonce.end(), out.begin() + 1);
  Ctx ctx(EVP_CIPHER_CTX_new());
  int len = 0, fin = 0;
  bool ok = ctx &&
      EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) == 1 &&
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, kNonceSize, nullptr) == 1 &&
      EVP_EncryptInit_ex(ctx.get(), nullptr, nullptr, keys_.front().data(), nonce.data()) == 1 &&
      EVP_EncryptUpdate(ctx.get(), nullptr, &len, out.data(), 1) == 1 &&
      EVP_EncryptUpdate(ctx.get(), out.data() + 1 + kNonceSize, &len, plain.data(),
                        static_cast<int>(plain.size())) == 1 &&
      EVP_EncryptFinal_ex(ctx.get(), out.data() + 1 + kNonceSize + len, &fin) == 1 &&
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTagSize,
                          out.data() + out.size() - kTagSize) == 1;
  if (!ok) return Errc::unsupported;
  return out;
}

Result<std::vector<std::uint8_t>> Keyring::open(std::span<const std::uint8_t> sealed) const {
  if (sealed.size() < kSealOverhead || sealed[0] != kSealedMarker) return Errc::malformed;
  std::vector<std::uint8_t> out;
  for (const auto& key : keys_) {
    if (try_open(key, sealed, out)) return out;
  }
  return Errc::not_found;
}

}  // namespace gquic::gossip
