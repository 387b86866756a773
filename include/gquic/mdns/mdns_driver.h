#pragma once
// MdnsDriver: runs an MdnsResponder and an MdnsBrowser on an IPv4 multicast socket
// (224.0.0.251:5353) and/or an IPv6 one ([ff02::fb]:5353 on one interface), each with
// SO_REUSEADDR/SO_REUSEPORT so it shares the port with avahi or other responders, multicast
// hop limit 255 and loopback on so local peers hear it, on a Boost.Asio io_context. A
// multicast transmit of the cores goes out on every enabled family. One receive coroutine feeds both cores; one timer is re-armed from their
// next_deadline(). Call the cores only on the io_context's thread, then poke() so their
// output is sent and the timer re-armed.

#include <functional>
#include <memory>
#include <optional>

#include "gquic/core/asio.h"
#include "gquic/core/clock.h"
#include "gquic/core/error.h"
#include "gquic/mdns/browser.h"
#include "gquic/mdns/responder.h"

namespace gquic::mdns {

struct MdnsDriverConfig {
  bool ipv4 = true;
  IpAddress interface_address;  // the IPv4 address of the interface to use (0.0.0.0: default)
  bool ipv6 = false;
  unsigned interface_index = 0;  // IPv6: the interface to join ff02::fb on (0: default)
  std::uint16_t port = kMdnsPort;
  ResponderConfig responder;
  BrowserConfig browser;
};

struct MdnsDriverCounters {
  std::uint64_t received = 0, sent = 0, send_errors = 0;
};

class MdnsDriver {
 public:
  static Result<std::unique_ptr<MdnsDriver>> open(asio::net::io_context& io, MdnsDriverConfig config,
                                                  const Clock& clock = SteadyClock::instance());
  ~MdnsDriver();
  MdnsDriver(const MdnsDriver&) = delete;
  MdnsDriver& operator=(const MdnsDriver&) = delete;

  MdnsResponder& responder() noexcept;
  MdnsBrowser& browser() noexcept;
  TimePoint now() const noexcept;
  const MdnsDriverCounters& counters() const noexcept;
  std::function<void(const ResponderEvent&)> on_responder_event;
  std::function<void(const BrowserEvent&)> on_browser_event;

  void start();
  void poke();  // flush output and re-arm the timer after calling into a core
  void stop();

 private:
  struct Impl;
  explicit MdnsDriver(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace gquic::mdns
