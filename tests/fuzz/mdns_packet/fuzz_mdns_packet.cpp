// Fuzzes the mDNS message parser (ldns underneath) and both mDNS cores with untrusted
// datagrams: compression loops, truncated records and huge counts must be refused, never crash.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "gquic/mdns/browser.h"
#include "gquic/mdns/responder.h"

using namespace gquic::mdns;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::span<const std::uint8_t> d(data, size);
  if (auto m = parse(d)) {
    (void)serialize(*m);  // may refuse (e.g. `other` records), must not crash
  }
  static const gquic::TimePoint t0{std::chrono::seconds(1000)};
  static MdnsResponder responder([] {
    ResponderConfig c;
    c.host = "fuzz";
    c.addresses = {gquic::IpAddress::v4(0xC0A80001u)};
    return c;
  }());
  static MdnsBrowser browser(BrowserConfig{});
  static bool setup = [] {
    ServiceInstance s;
    s.name = "web";
    s.namespace_ = "prod";
    s.port = 80;
    (void)responder.register_service(t0, s);
    (void)browser.browse(t0, Name::from_dotted("_web._tcp.local"));
    for (int i = 0; i < 10; ++i) {
      if (auto dl = responder.next_deadline()) responder.handle_timeout(*dl);
    }
    return true;
  }();
  (void)setup;
  gquic::SocketAddress from(gquic::IpAddress::v4(0xC0A80002u), kMdnsPort);
  static gquic::TimePoint now = t0 + std::chrono::seconds(10);
  now += std::chrono::milliseconds(10);
  responder.handle_datagram(now, from, d);
  browser.handle_datagram(now, from, d);
  responder.handle_timeout(now + std::chrono::seconds(1));
  browser.handle_timeout(now);
  while (responder.poll_transmit()) {}
  while (browser.poll_transmit()) {}
  while (responder.poll_event()) {}
  while (browser.poll_event()) {}
  if (browser.cache_size() > 4096) std::abort();
  return 0;
}
