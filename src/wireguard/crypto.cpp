// Bindings of the WireGuard primitives to OpenSSL 3 (BLAKE2s) and libsodium (X25519, AEADs).
#include "crypto.h"

#include <cstdlib>
#include <cstring>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <sodium.h>

#include "gquic/core/assert.h"

namespace gquic::wireguard::crypto {
namespace {

constexpr std::size_t kBlake2sBlock = 64;

// Fetched once; OpenSSL's fetched algorithms are thread-safe to share.
EVP_MD* blake2s_md() noexcept {
  static EVP_MD* md = [] {
    EVP_MD* m = EVP_MD_fetch(nullptr, "BLAKE2S-256", nullptr);
    if (m == nullptr) std::abort();  // OpenSSL without BLAKE2s: nothing can work
    return m;
  }();
  return md;
}

EVP_MAC* blake2s_mac() noexcept {
  static EVP_MAC* mac = [] {
    EVP_MAC* m = EVP_MAC_fetch(nullptr, "BLAKE2SMAC", nullptr);
    if (m == nullptr) std::abort();
    return m;
  }();
  return mac;
}

struct MdCtx {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  ~MdCtx() { EVP_MD_CTX_free(ctx); }
};

void sodium_ready() noexcept {
  static const bool ok = sodium_init() >= 0;
  if (!ok) std::abort();
}

}  // namespace

Hash hash(std::initializer_list<Bytes> parts) noexcept {
  Hash out{};
  MdCtx c;
  bool ok = c.ctx != nullptr && EVP_DigestInit_ex2(c.ctx, blake2s_md(), nullptr) == 1;
  for (Bytes p : parts) ok = ok && EVP_DigestUpdate(c.ctx, p.data(), p.size()) == 1;
  unsigned int len = 0;
  ok = ok && EVP_DigestFinal_ex(c.ctx, out.data(), &len) == 1 && len == out.size();
  GQUIC_ASSERT(ok);
  return out;
}

Hash hmac(Bytes key, std::initializer_list<Bytes> parts) noexcept {
  std::uint8_t k[kBlake2sBlock] = {};
  if (key.size() > kBlake2sBlock) {
    Hash kh = hash({key});
    std::memcpy(k, kh.data(), kh.size());
  } else {
    std::memcpy(k, key.data(), key.size());
  }
  std::uint8_t ipad[kBlake2sBlock], opad[kBlake2sBlock];
  for (std::size_t i = 0; i < kBlake2sBlock; ++i) {
    ipad[i] = k[i] ^ 0x36;
    opad[i] = k[i] ^ 0x5c;
  }
  Hash inner{};
  {
    MdCtx c;
    bool ok = c.ctx != nullptr && EVP_DigestInit_ex2(c.ctx, blake2s_md(), nullptr) == 1 &&
              EVP_DigestUpdate(c.ctx, ipad, sizeof(ipad)) == 1;
    for (Bytes p : parts) ok = ok && EVP_DigestUpdate(c.ctx, p.data(), p.size()) == 1;
    unsigned int len = 0;
    ok = ok && EVP_DigestFinal_ex(c.ctx, inner.data(), &len) == 1;
    GQUIC_ASSERT(ok);
  }
  Hash out = hash({Bytes(opad, sizeof(opad)), inner});
  sodium_memzero(k, sizeof(k));
  sodium_memzero(ipad, sizeof(ipad));
  sodium_memzero(opad, sizeof(opad));
  sodium_memzero(inner.data(), inner.size());
  return out;
}

std::array<std::uint8_t, kMacSize> mac(Bytes key, std::initializer_list<Bytes> parts) noexcept {
  std::array<std::uint8_t, kMacSize> out{};
  EVP_MAC_CTX* ctx = EVP_MAC_CTX_new(blake2s_mac());
  std::size_t size = kMacSize;
  OSSL_PARAM params[] = {OSSL_PARAM_construct_size_t(OSSL_MAC_PARAM_SIZE, &size),
                         OSSL_PARAM_construct_end()};
  bool ok = ctx != nullptr && EVP_MAC_init(ctx, key.data(), key.size(), params) == 1;
  for (Bytes p : parts) ok = ok && EVP_MAC_update(ctx, p.data(), p.size()) == 1;
  std::size_t len = 0;
  ok = ok && EVP_MAC_final(ctx, out.data(), &len, out.size()) == 1 && len == kMacSize;
  EVP_MAC_CTX_free(ctx);
  GQUIC_ASSERT(ok);
  return out;
}

void kdf1(const Hash& ck, Bytes input, Hash& t1) noexcept {
  Hash t0 = hmac(ck, {input});
  const std::uint8_t one = 1;
  t1 = hmac(t0, {Bytes(&one, 1)});
  sodium_memzero(t0.data(), t0.size());
}

void kdf2(const Hash& ck, Bytes input, Hash& t1, Hash& t2) noexcept {
  Hash t0 = hmac(ck, {input});
  const std::uint8_t one = 1, two = 2;
  t1 = hmac(t0, {Bytes(&one, 1)});
  t2 = hmac(t0, {t1, Bytes(&two, 1)});
  sodium_memzero(t0.data(), t0.size());
}

void kdf3(const Hash& ck, Bytes input, Hash& t1, Hash& t2, Hash& t3) noexcept {
  Hash t0 = hmac(ck, {input});
  const std::uint8_t one = 1, two = 2, three = 3;
  t1 = hmac(t0, {Bytes(&one, 1)});
  t2 = hmac(t0, {t1, Bytes(&two, 1)});
  t3 = hmac(t0, {t2, Bytes(&three, 1)});
  sodium_memzero(t0.data(), t0.size());
}

bool dh(const KeyBytes& priv, const KeyBytes& pub, KeyBytes& out) noexcept {
  sodium_ready();
  // libsodium clamps the scalar and returns -1 for an all-zero result.
  return crypto_scalarmult_curve25519(out.data(), priv.data(), pub.data()) == 0;
}

namespace {
void make_nonce(std::uint64_t counter, std::uint8_t nonce[12]) noexcept {
  std::memset(nonce, 0, 4);
  for (int i = 0; i < 8; ++i) nonce[4 + i] = static_cast<std::uint8_t>(counter >> (8 * i));
}
}  // namespace

void aead_seal(const std::uint8_t* key, std::uint64_t counter, Bytes plaintext, Bytes ad,
               std::uint8_t* out) noexcept {
  std::uint8_t nonce[12];
  make_nonce(counter, nonce);
  unsigned long long clen = 0;
  crypto_aead_chacha20poly1305_ietf_encrypt(out, &clen, plaintext.data(), plaintext.size(),
                                            ad.data(), ad.size(), nullptr, nonce, key);
}

bool aead_open(const std::uint8_t* key, std::uint64_t counter, Bytes ciphertext, Bytes ad,
               std::uint8_t* out) noexcept {
  if (ciphertext.size() < kAeadTagSize) return false;
  std::uint8_t nonce[12];
  make_nonce(counter, nonce);
  unsigned long long mlen = 0;
  return crypto_aead_chacha20poly1305_ietf_decrypt(out, &mlen, nullptr, ciphertext.data(),
                                                   ciphertext.size(), ad.data(), ad.size(), nonce,
                                                   key) == 0;
}

void xaead_seal(const std::uint8_t* key, const std::uint8_t* nonce, Bytes plaintext, Bytes ad,
                std::uint8_t* out) noexcept {
  unsigned long long clen = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(out, &clen, plaintext.data(), plaintext.size(),
                                             ad.data(), ad.size(), nullptr, nonce, key);
}

bool xaead_open(const std::uint8_t* key, const std::uint8_t* nonce, Bytes ciphertext, Bytes ad,
                std::uint8_t* out) noexcept {
  if (ciphertext.size() < kAeadTagSize) return false;
  unsigned long long mlen = 0;
  return crypto_aead_xchacha20poly1305_ietf_decrypt(out, &mlen, nullptr, ciphertext.data(),
                                                    ciphertext.size(), ad.data(), ad.size(), nonce,
                                                    key) == 0;
}

}  // namespace gquic::wireguard::crypto
