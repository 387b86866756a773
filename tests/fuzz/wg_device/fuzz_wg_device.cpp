// Feeds arbitrary datagrams, TUN packets and timer ticks into a DeviceCore ("dev") that has one
// configured peer, and lets a second, genuine DeviceCore play that peer ("remote") so the
// fuzzer also reaches established sessions, transport decryption, inner-packet checks,
// rekeys and roaming. The input is a sequence of records: an op byte, a 2-byte length, bytes.
//   op % 8 == 0: datagram to dev from the peer's endpoint   1: ... from another address
//             2: packet into dev's TUN                       3: advance time by len*100 ms
//             4: packet into remote's TUN (becomes genuine transport data for dev)
//             5: exchange queued datagrams between the two (bytes[0] picks a mutation)
//             6: toggle dev's under-load flag                7: replay dev's last datagram
// Nothing may crash, leak or trip a sanitizer, and the device's indices stay consistent.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <span>
#include <vector>

#include "gquic/wireguard/device_core.h"

using namespace gquic;
using namespace gquic::wireguard;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  DeterministicRandom rng_dev(1234), rng_remote(5678);
  const PrivateKey dev_key = generate_private_key(rng_dev);
  const PrivateKey remote_key = generate_private_key(rng_remote);
  const PublicKey dev_pub = *public_key_from_private(dev_key);
  const PublicKey remote_pub = *public_key_from_private(remote_key);
  const SocketAddress dev_addr(IpAddress::v4_loopback(), 51820);
  const SocketAddress remote_addr(IpAddress::v4_loopback(), 40000);
  const SocketAddress other_addr(IpAddress::v4(0x01020304), 9);

  DeviceConfig cd;
  cd.private_key = dev_key;
  cd.max_staged_packets = 8;
  cd.rekey_after_messages = 20;  // reach the rekey paths quickly
  DeviceConfig cr = cd;
  cr.private_key = remote_key;
  DeviceCore dev(cd, rng_dev);
  DeviceCore remote(cr, rng_remote);
  (void)dev.add_peer({remote_pub,
                      std::nullopt,
                      remote_addr,
                      {*IpPrefix::parse("10.0.0.0/8")},
                      std::chrono::seconds(25)});
  (void)remote.add_peer(
      {dev_pub, std::nullopt, dev_addr, {*IpPrefix::parse("0.0.0.0/0")}, std::nullopt});

  TimePoint now{std::chrono::seconds(1000)};
  std::vector<std::uint8_t> last_to_dev;
  auto exchange = [&](std::uint8_t mutation) {
    for (int round = 0; round < 4; ++round) {
      while (auto t = remote.poll_transmit()) {
        if (mutation != 0 && !t->bytes.empty()) t->bytes[mutation % t->bytes.size()] ^= mutation;
        last_to_dev = t->bytes;
        dev.handle_datagram(now, remote_addr, t->bytes);
      }
      while (auto t = dev.poll_transmit()) {
        if (t->destination == remote_addr) remote.handle_datagram(now, dev_addr, t->bytes);
      }
    }
  };

  std::size_t pos = 0;
  while (pos + 3 <= size) {
    const std::uint8_t op = data[pos];
    std::size_t len = std::size_t(data[pos + 1]) | std::size_t(data[pos + 2]) << 8;
    pos += 3;
    if (len > size - pos) len = size - pos;
    std::span<const std::uint8_t> bytes(data + pos, len);
    pos += len;
    switch (op % 8) {
      case 0:
        dev.handle_datagram(now, remote_addr, bytes);
        break;
      case 1:
        dev.handle_datagram(now, other_addr, bytes);
        break;
      case 2:
        dev.handle_tun_packet(now, bytes);
        break;
      case 3:
        now += std::chrono::milliseconds(len) * 100;
        dev.handle_timeout(now);
        remote.handle_timeout(now);
        break;
      case 4:
        remote.handle_tun_packet(now, bytes);
        break;
      case 5:
        exchange(len > 0 ? bytes[0] : 0);
        break;
      case 6:
        dev.set_under_load((op & 0x80) != 0);
        break;
      case 7:
        if (!last_to_dev.empty()) dev.handle_datagram(now, other_addr, last_to_dev);
        break;
    }
    while (dev.poll_tun_write()) {
    }
    while (dev.poll_event()) {
    }
    while (remote.poll_tun_write()) {
    }
    while (remote.poll_event()) {
    }
    (void)dev.next_deadline();
    if (!dev.check_invariants() || !remote.check_invariants()) std::abort();
  }
  return 0;
}
