// Parses arbitrary bytes as a wg-quick style configuration file. A file that parses must turn
// into a UAPI request a DeviceCore accepts completely (errno=0), and failures must name a
// reason; nothing may crash or trip a sanitizer.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "gquic/wireguard/config_file.h"
#include "gquic/wireguard/uapi.h"

using namespace gquic;
using namespace gquic::wireguard;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto parsed = parse_wg_config(text);
  if (!parsed) {
    if (parsed.error.empty()) std::abort();
    return 0;
  }
  DeterministicRandom rng(3);
  DeviceCore dev(DeviceConfig{}, rng);
  UapiDeviceSettings settings;
  UapiSession session(dev, settings);
  std::string out;
  session.receive(to_uapi_set(*parsed.config), out);
  // A peer naming the interface's own key is skipped, not an error.
  if (out != "errno=0\n\n") std::abort();
  if (!dev.check_invariants()) std::abort();
  return 0;
}
