// Feeds arbitrary bytes, as a `wg` client would write them, into a UAPI session over a
// DeviceCore with one peer, in two chunks split at the first input byte. Every `get` reply
// and the device's indices must stay well formed; nothing may crash or trip a sanitizer.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "gquic/wireguard/uapi.h"

using namespace gquic;
using namespace gquic::wireguard;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  DeterministicRandom rng(7);
  DeviceConfig config;
  config.private_key = generate_private_key(rng);
  DeviceCore dev(config, rng);
  PeerConfig peer;
  peer.public_key = *public_key_from_private(generate_private_key(rng));
  peer.allowed_ips.push_back(*IpPrefix::parse("10.0.0.0/8"));
  (void)dev.add_peer(peer);

  UapiDeviceSettings settings;
  UapiSession session(dev, settings);
  std::string out;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::size_t split = size == 0 ? 0 : data[0] % (size + 1);
  session.receive(input.substr(0, split), out);
  session.receive(input.substr(split), out);
  if (!dev.check_invariants()) std::abort();
  const std::string got = uapi_get(dev, settings);
  if (got.size() < 9 || got.compare(got.size() - 9, 9, "errno=0\n\n") != 0) std::abort();
  // Every line of the reply is key=value.
  for (std::size_t pos = 0; pos + 1 < got.size();) {
    const auto nl = got.find('\n', pos);
    const auto eq = got.find('=', pos);
    if (nl == std::string::npos || eq == std::string::npos || eq > nl) std::abort();
    pos = nl + 1;
    if (pos < got.size() && got[pos] == '\n') break;
  }
  return 0;
}
