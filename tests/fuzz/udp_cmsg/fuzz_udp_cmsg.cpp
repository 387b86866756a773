// Fuzzes the UDP control-message decoder with arbitrary bytes (as a kernel or a bug might hand
// it), in both directions, and checks that whatever it decodes for sending encodes back to the
// same values.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "gquic/udp/udp_socket_cmsg.h"

using namespace gquic::udp;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> bytes(data, size);
  (void)decode_control(bytes, ControlDirection::receive);
  const DecodedControl sent = decode_control(bytes, ControlDirection::send);

  const ControlData& d = sent.data;
  const bool ipv4_path = d.address ? d.address->is_v4() : (size > 0 && (data[0] & 1) != 0);
  alignas(cmsghdr) std::uint8_t buf[kSendControlSpace];
  auto n = encode_send_control(d, ipv4_path, buf);
  if (!n) {
    // Only an out-of-range segment size may be refused for values the decoder produced.
    if (d.segment_size <= 0xffff) std::abort();
    return 0;
  }
  const DecodedControl again = decode_control(std::span(buf, *n), ControlDirection::send);
  if (again.malformed || again.unknown != 0 || !(again.data == d)) std::abort();
  return 0;
}
