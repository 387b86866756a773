// Noise_IKpsk2 message construction and consumption; the flow is described in noise.h.
#include "gquic/wireguard/noise.h"

#include <cstring>
#include <string>

#include "crypto.h"

namespace gquic::wireguard {
namespace {

using crypto::Bytes;
using crypto::Hash;

class NoiseCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "wireguard.noise"; }
  std::string message(int c) const override {
    switch (static_cast<NoiseErrc>(c)) {
      case NoiseErrc::authentication_failed:
        return "handshake authentication failed";
      case NoiseErrc::unknown_peer:
        return "unknown peer static key";
      case NoiseErrc::wrong_state:
        return "message does not fit the handshake state";
      case NoiseErrc::weak_key:
        return "all-zero Diffie-Hellman result";
    }
    return "unknown noise error";
  }
};

// Working copies of C and H, wiped on scope exit.
struct Symmetric {
  Hash c{};
  Hash h{};
  ~Symmetric() {
    secure_zero(c.data(), c.size());
    secure_zero(h.data(), h.size());
  }
  void mix_hash(Bytes data) { h = crypto::hash({h, data}); }
  // C = KDF1(C, input)
  void mix_key1(Bytes input) {
    Hash t;
    crypto::kdf1(c, input, t);
    c = t;
  }
  // (C, k) = KDF2(C, input)
  void mix_key2(Bytes input, Hash& k) {
    Hash t;
    crypto::kdf2(c, input, t, k);
    c = t;
  }
};

struct Wipe {
  std::uint8_t* p;
  std::size_t n;
  ~Wipe() { secure_zero(p, n); }
};

}  // namespace

const std::error_category& noise_category() noexcept {
  static NoiseCategory c;
  return c;
}

const Hash32& initial_chaining_key() noexcept {
  static const Hash32 c = crypto::hash({crypto::as_bytes(kConstruction)});
  return c;
}
const Hash32& initial_hash() noexcept {
  static const Hash32 h = crypto::hash({initial_chaining_key(), crypto::as_bytes(kIdentifier)});
  return h;
}

Tai64n Tai64n::from_unix(std::chrono::nanoseconds since_epoch) noexcept {
  const auto ns = since_epoch.count();
  // TAI64 label: 2^62 plus the 10 s TAI-UTC offset of 1970, as the reference implementations use.
  const std::uint64_t secs = 0x400000000000000aull + static_cast<std::uint64_t>(ns / 1'000'000'000);
  const auto nanos = static_cast<std::uint32_t>(ns % 1'000'000'000);
  Tai64n t;
  for (int i = 0; i < 8; ++i) t.bytes[i] = static_cast<std::uint8_t>(secs >> (56 - 8 * i));
  for (int i = 0; i < 4; ++i) t.bytes[8 + i] = static_cast<std::uint8_t>(nanos >> (24 - 8 * i));
  return t;
}

Result<LocalStatic> LocalStatic::from_private(const PrivateKey& priv) {
  LocalStatic s;
  s.private_key = priv;
  clamp_private_key(s.private_key.bytes());
  auto pub = public_key_from_private(s.private_key);
  if (!pub) return pub.error();
  s.public_key = *pub;
  return s;
}

RemoteStatic RemoteStatic::make(const LocalStatic& local, const PublicKey& remote,
                                const std::optional<PresharedKey>& psk) {
  RemoteStatic r;
  r.public_key = remote;
  if (psk) r.psk = *psk;
  r.static_static_ok = crypto::dh(local.private_key.bytes(), remote.bytes, r.static_static.bytes());
  return r;
}

Result<HandshakeInitiation> create_initiation(const LocalStatic& local, const RemoteStatic& peer,
                                              HandshakeState& state, std::uint32_t local_index,
                                              const Tai64n& timestamp, RandomSource& rng) {
  if (!peer.static_static_ok) return make_error_code(NoiseErrc::weak_key);
  Symmetric s;
  s.c = initial_chaining_key();
  s.h = initial_hash();
  s.mix_hash(peer.public_key.bytes);

  HandshakeInitiation msg;
  msg.sender_index = local_index;
  PrivateKey eph = generate_private_key(rng);
  auto eph_pub = public_key_from_private(eph);
  if (!eph_pub) return eph_pub.error();
  msg.ephemeral = eph_pub->bytes;
  s.mix_key1(msg.ephemeral);
  s.mix_hash(msg.ephemeral);

  Hash k;
  Wipe wk{k.data(), k.size()};
  KeyBytes shared;
  Wipe ws{shared.data(), shared.size()};
  if (!crypto::dh(eph.bytes(), peer.public_key.bytes, shared))
    return make_error_code(NoiseErrc::weak_key);
  s.mix_key2(shared, k);
  crypto::aead_seal(k.data(), 0, local.public_key.bytes, s.h, msg.encrypted_static.data());
  s.mix_hash(msg.encrypted_static);

  s.mix_key2(peer.static_static.bytes(), k);
  crypto::aead_seal(k.data(), 0, timestamp.bytes, s.h, msg.encrypted_timestamp.data());
  s.mix_hash(msg.encrypted_timestamp);

  state.clear();
  state.stage = HandshakeState::Stage::initiation_created;
  state.hash = s.h;
  state.chaining_key.bytes() = s.c;
  state.local_ephemeral = eph;
  state.local_index = local_index;
  return msg;
}

Result<ConsumedInitiation> consume_initiation(const LocalStatic& local,
                                              const HandshakeInitiation& msg,
                                              const PeerLookup& lookup) {
  Symmetric s;
  s.c = initial_chaining_key();
  s.h = initial_hash();
  s.mix_hash(local.public_key.bytes);
  s.mix_key1(msg.ephemeral);
  s.mix_hash(msg.ephemeral);

  Hash k;
  Wipe wk{k.data(), k.size()};
  KeyBytes shared;
  Wipe ws{shared.data(), shared.size()};
  if (!crypto::dh(local.private_key.bytes(), msg.ephemeral, shared))
    return make_error_code(NoiseErrc::weak_key);
  s.mix_key2(shared, k);
  PublicKey initiator;
  if (!crypto::aead_open(k.data(), 0, msg.encrypted_static, s.h, initiator.bytes.data()))
    return make_error_code(NoiseErrc::authentication_failed);
  s.mix_hash(msg.encrypted_static);

  const RemoteStatic* peer = lookup ? lookup(initiator) : nullptr;
  if (peer == nullptr) return make_error_code(NoiseErrc::unknown_peer);
  if (!peer->static_static_ok) return make_error_code(NoiseErrc::weak_key);
  s.mix_key2(peer->static_static.bytes(), k);
  Tai64n ts;
  if (!crypto::aead_open(k.data(), 0, msg.encrypted_timestamp, s.h, ts.bytes.data()))
    return make_error_code(NoiseErrc::authentication_failed);
  s.mix_hash(msg.encrypted_timestamp);

  ConsumedInitiation out;
  out.initiator_static = initiator;
  out.timestamp = ts;
  out.state.stage = HandshakeState::Stage::initiation_consumed;
  out.state.hash = s.h;
  out.state.chaining_key.bytes() = s.c;
  out.state.remote_ephemeral.bytes = msg.ephemeral;
  out.state.remote_index = msg.sender_index;
  return out;
}

Result<HandshakeResponse> create_response(const LocalStatic& /*local*/, const RemoteStatic& peer,
                                          HandshakeState& state, std::uint32_t local_index,
                                          RandomSource& rng) {
  if (state.stage != HandshakeState::Stage::initiation_consumed)
    return make_error_code(NoiseErrc::wrong_state);
  Symmetric s;
  s.c = state.chaining_key.bytes();
  s.h = state.hash;

  HandshakeResponse msg;
  msg.sender_index = local_index;
  msg.receiver_index = state.remote_index;
  PrivateKey eph = generate_private_key(rng);
  auto eph_pub = public_key_from_private(eph);
  if (!eph_pub) return eph_pub.error();
  msg.ephemeral = eph_pub->bytes;
  s.mix_key1(msg.ephemeral);
  s.mix_hash(msg.ephemeral);

  KeyBytes shared;
  Wipe ws{shared.data(), shared.size()};
  if (!crypto::dh(eph.bytes(), state.remote_ephemeral.bytes, shared))
    return make_error_code(NoiseErrc::weak_key);
  s.mix_key1(shared);
  if (!crypto::dh(eph.bytes(), peer.public_key.bytes, shared))
    return make_error_code(NoiseErrc::weak_key);
  s.mix_key1(shared);

  Hash t, tau, k;
  Wipe wt{tau.data(), tau.size()}, wk{k.data(), k.size()};
  crypto::kdf3(s.c, peer.psk.bytes(), t, tau, k);
  s.c = t;
  s.mix_hash(tau);
  crypto::aead_seal(k.data(), 0, {}, s.h, msg.encrypted_nothing.data());
  s.mix_hash(msg.encrypted_nothing);

  state.stage = HandshakeState::Stage::response_created;
  state.hash = s.h;
  state.chaining_key.bytes() = s.c;
  state.local_ephemeral = eph;
  state.local_index = local_index;
  return msg;
}

Result<void> consume_response(const LocalStatic& local, const RemoteStatic& peer,
                              HandshakeState& state, const HandshakeResponse& msg) {
  if (state.stage != HandshakeState::Stage::initiation_created ||
      state.local_index != msg.receiver_index) {
    return make_error_code(NoiseErrc::wrong_state);
  }
  Symmetric s;
  s.c = state.chaining_key.bytes();
  s.h = state.hash;
  s.mix_key1(msg.ephemeral);
  s.mix_hash(msg.ephemeral);

  KeyBytes shared;
  Wipe ws{shared.data(), shared.size()};
  if (!crypto::dh(state.local_ephemeral.bytes(), msg.ephemeral, shared))
    return make_error_code(NoiseErrc::weak_key);
  s.mix_key1(shared);
  if (!crypto::dh(local.private_key.bytes(), msg.ephemeral, shared))
    return make_error_code(NoiseErrc::weak_key);
  s.mix_key1(shared);

  Hash t, tau, k;
  Wipe wt{tau.data(), tau.size()}, wk{k.data(), k.size()};
  crypto::kdf3(s.c, peer.psk.bytes(), t, tau, k);
  s.c = t;
  s.mix_hash(tau);
  std::uint8_t nothing[1];
  if (!crypto::aead_open(k.data(), 0, msg.encrypted_nothing, s.h, nothing))
    return make_error_code(NoiseErrc::authentication_failed);
  s.mix_hash(msg.encrypted_nothing);

  state.stage = HandshakeState::Stage::response_consumed;
  state.hash = s.h;
  state.chaining_key.bytes() = s.c;
  state.remote_ephemeral.bytes = msg.ephemeral;
  state.remote_index = msg.sender_index;
  return {};
}

Result<TransportKeys> derive_transport_keys(HandshakeState& state) {
  const bool initiator = state.stage == HandshakeState::Stage::response_consumed;
  if (!initiator && state.stage != HandshakeState::Stage::response_created)
    return make_error_code(NoiseErrc::wrong_state);
  Hash t1, t2;
  crypto::kdf2(state.chaining_key.bytes(), {}, t1, t2);
  TransportKeys keys;
  keys.initiator = initiator;
  keys.local_index = state.local_index;
  keys.remote_index = state.remote_index;
  keys.send.bytes() = initiator ? t1 : t2;
  keys.receive.bytes() = initiator ? t2 : t1;
  secure_zero(t1.data(), t1.size());
  secure_zero(t2.data(), t2.size());
  state.clear();
  return keys;
}

}  // namespace gquic::wireguard
