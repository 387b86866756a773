// Fuzzes the untrusted JSON the discovery agent parses: service definitions (HTTP API, etcd
// values) and etcd gateway answers. A service that parses must survive a JSON round trip.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "gquic/discovery/etcd_codec.h"
#include "gquic/discovery/service_json.h"

using namespace gquic::discovery;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto s = service_from_json(text)) {
    auto again = service_from_json(to_json(*s));
    if (!again || !(*again == *s)) std::abort();
  }
  (void)services_from_json(text);
  (void)etcd::parse_lease_grant(text);
  (void)etcd::parse_keepalive(text);
  (void)etcd::parse_range(text);
  (void)etcd::parse_watch_message(text);
  (void)etcd::base64_decode(text);
  (void)etcd::id_from_key("/p", text);
  return 0;
}
