// Transport encryption and decryption; see session.h.
#include "gquic/wireguard/session.h"

#include <algorithm>
#include <cstring>

#include "crypto.h"

namespace gquic::wireguard {

std::unique_ptr<Keypair> Keypair::from(const TransportKeys& keys, TimePoint now) {
  auto kp = std::make_unique<Keypair>();
  kp->send_key = keys.send;
  kp->receive_key = keys.receive;
  kp->local_index = keys.local_index;
  kp->remote_index = keys.remote_index;
  kp->initiator = keys.initiator;
  kp->created = now;
  return kp;
}

std::size_t padded_size(std::size_t size, std::size_t mtu) noexcept {
  if (size >= mtu) return size;
  const std::size_t rounded = (size + kPaddingMultiple - 1) / kPaddingMultiple * kPaddingMultiple;
  return std::min(rounded, mtu);
}

Result<void> seal_transport(Keypair& kp, std::span<const std::uint8_t> packet, std::size_t mtu,
                            std::vector<std::uint8_t>& out, std::uint64_t reject_after_messages) {
  if (kp.send_counter >= reject_after_messages) return Errc::exhausted;
  const std::uint64_t counter = kp.send_counter++;
  const std::size_t padded = padded_size(packet.size(), mtu);
  out.resize(kTransportHeaderSize + padded + kAeadTagSize);
  serialize_transport_header({kp.remote_index, counter}, out);
  std::uint8_t* body = out.data() + kTransportHeaderSize;
  if (!packet.empty()) std::memcpy(body, packet.data(), packet.size());
  std::memset(body + packet.size(), 0, padded - packet.size());
  // In place: libsodium allows the ciphertext to overwrite the plaintext exactly.
  crypto::aead_seal(kp.send_key.data(), counter, std::span<const std::uint8_t>(body, padded), {},
                    body);
  return {};
}

OpenStatus open_transport(Keypair& kp, const TransportView& msg, std::vector<std::uint8_t>& out) {
  if (msg.ciphertext.size() < kAeadTagSize) return OpenStatus::decrypt_failed;
  out.resize(msg.ciphertext.size() - kAeadTagSize);
  std::uint8_t empty[1];
  if (!crypto::aead_open(kp.receive_key.data(), msg.header.counter, msg.ciphertext, {},
                         out.empty() ? empty : out.data())) {
    out.clear();
    return OpenStatus::decrypt_failed;
  }
  if (!kp.replay.validate(msg.header.counter)) {
    out.clear();
    return OpenStatus::replay;
  }
  return OpenStatus::ok;
}

}  // namespace gquic::wireguard
