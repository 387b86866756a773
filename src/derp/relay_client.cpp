#include "gquic/derp/relay_client.h"

#include <openssl/ssl.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/this_coro.hpp>

#include "derp_stream_io.h"

namespace gquic::derp {

using namespace detail;

struct RelayConnection::Impl {
  std::shared_ptr<ssl::context> tls_context;  // before the stream that uses it
  std::shared_ptr<Stream> stream;
  KeyPair key;
  Key server_key{};
  ServerInfo server_info;
  FrameReader reader;
  std::vector<std::uint8_t> read_buffer = std::vector<std::uint8_t>(64 * 1024);
  std::vector<std::uint8_t> pending;  // frames waiting for the writer
  bool writing = false;
  bool open = true;
  std::size_t max_pending = 4 << 20;
  std::size_t high_water = 256 * 1024;  // senders wait above this many queued bytes
  std::unique_ptr<net::steady_timer> drained;  // cancelled after each write: wakes senders
};

namespace {

// Closes `stream` unless disarmed before `after`: bounds a phase that awaits the peer.
class Watchdog {
 public:
  Watchdog(net::any_io_executor ex, std::shared_ptr<Stream> stream, Duration after)
      : timer_(std::make_shared<net::steady_timer>(ex, after)),
        disarmed_(std::make_shared<bool>(false)) {
    net::co_spawn(
        ex,
        [timer = timer_, disarmed = disarmed_, stream]() -> awaitable<void> {
          auto [ec] = co_await timer->async_wait(nothrow);
          if (!ec && !*disarmed) stream->close();
        },
        net::detached);
  }
  void disarm() {
    *disarmed_ = true;
    timer_->cancel();
  }

 private:
  std::shared_ptr<net::steady_timer> timer_;
  std::shared_ptr<bool> disarmed_;
};

Result<std::shared_ptr<ssl::context>> client_tls_context(const http::RelayUrl& url,
                                                         const RelayConnectOptions& o) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
  error_code ec;
  ctx->set_options(ssl::context::no_sslv2 | ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                   ssl::context::no_tlsv1_1, ec);
  if (o.insecure_skip_verify) {
    ctx->set_verify_mode(ssl::verify_none, ec);
    return ctx;
  }
  if (!o.ca_file.empty()) {
    ctx->load_verify_file(o.ca_file, ec);
  } else {
    ctx->set_default_verify_paths(ec);
  }
  if (ec) return to_std(ec);
  ctx->set_verify_mode(ssl::verify_peer, ec);
  ctx->set_verify_callback(ssl::host_name_verification(url.host), ec);
  if (ec) return to_std(ec);
  return ctx;
}

// TCP connect (+ TLS handshake) to the URL's host.
awaitable<Result<std::shared_ptr<Stream>>> dial(net::any_io_executor ex, const http::RelayUrl& url,
                                                const std::shared_ptr<ssl::context>& tls,
                                                Duration timeout) {
  tcp::resolver resolver(ex);
  auto [rec, results] = co_await resolver.async_resolve(url.host, std::to_string(url.port), nothrow);
  if (rec) co_return to_std(rec);
  tcp::socket sock(ex);
  auto stream = tls ? std::make_shared<Stream>(std::move(sock), *tls)
                    : std::make_shared<Stream>(std::move(sock));
  Watchdog watchdog(ex, stream, timeout);
  auto [cec, ep] = co_await net::async_connect(stream->socket(), results, nothrow);
  (void)ep;
  if (cec) {
    watchdog.disarm();
    co_return to_std(cec);
  }
  error_code ignored;
  stream->socket().set_option(tcp::no_delay(true), ignored);
  if (tls) {
    boost::system::error_code addr_ec;
    (void)net::ip::make_address(url.host, addr_ec);
    if (addr_ec) SSL_set_tlsext_host_name(stream->tls().native_handle(), url.host.c_str());
    auto [hec] = co_await stream->tls().async_handshake(ssl::stream_base::client, nothrow);
    if (hec) {
      watchdog.disarm();
      co_return to_std(hec);
    }
  }
  watchdog.disarm();
  co_return stream;
}

}  // namespace

RelayConnection::RelayConnection(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
RelayConnection::~RelayConnection() {
  if (impl_ && impl_->stream) impl_->stream->close();
}

asio::awaitable<Result<std::shared_ptr<RelayConnection>>> RelayConnection::connect(
    net::any_io_executor ex, http::RelayUrl url, KeyPair key, RelayConnectOptions o) {
  auto impl = std::make_unique<Impl>();
  impl->key = key;
  impl->max_pending = o.max_pending_bytes;
  impl->high_water = std::min<std::size_t>(256 * 1024, o.max_pending_bytes / 2);
  impl->drained = std::make_unique<net::steady_timer>(ex, net::steady_timer::time_point::max());
  if (url.tls) {
    auto ctx = client_tls_context(url, o);
    if (!ctx) co_return ctx.error();
    impl->tls_context = *ctx;
  }
  auto stream = co_await dial(ex, url, impl->tls_context, o.timeout);
  if (!stream) co_return stream.error();
  impl->stream = *stream;
  auto conn = std::make_shared<RelayConnection>(std::move(impl));
  Impl& st = *conn->impl_;
  struct Disarm {
    Watchdog w;
    ~Disarm() { w.disarm(); }
  } watchdog{Watchdog(ex, st.stream, o.timeout)};

  // HTTP upgrade.
  const std::string req = http::upgrade_request(url);
  if (auto [ec, n] = co_await st.stream->write_all(net::buffer(req)); ec) co_return to_std(ec);
  http::ResponseReader rr;
  for (;;) {
    auto [ec, n] = co_await st.stream->read_some(net::buffer(st.read_buffer));
    if (ec) co_return ec == net::error::eof ? make_error_code(Errc::closed) : to_std(ec);
    auto head = rr.feed(std::span(st.read_buffer).first(n));
    if (!head) co_return head.error();
    if (!*head) continue;
    if ((*head)->status != 101) co_return Errc::unsupported;  // not a DERP relay there
    st.reader.feed(rr.leftover());
    break;
  }
  // Handshake: ServerKey, ClientInfo, ServerInfo.
  auto first = co_await conn->read_frame();
  if (!first) co_return first.error();
  if (first->type != static_cast<std::uint8_t>(FrameType::server_key)) co_return Errc::malformed;
  auto sk = parse_server_key(first->payload);
  if (!sk) co_return sk.error();
  st.server_key = sk->server_key;
  ClientInfo info;
  info.mesh_key = o.mesh_key;
  auto sealed = seal_client_info(st.key, st.server_key, info);
  if (!sealed) co_return sealed.error();
  if (auto r = co_await conn->send_frame(FrameType::client_info, *sealed); !r) co_return r.error();
  for (;;) {
    auto f = co_await conn->read_frame();
    if (!f) co_return f.error();
    if (f->type != static_cast<std::uint8_t>(FrameType::server_info)) continue;  // e.g. a ping
    auto si = open_server_info(st.key, st.server_key, f->payload);
    if (!si) co_return si.error();
    st.server_info = *si;
    break;
  }
  if (o.preferred) {
    const std::uint8_t one = 1;
    if (auto r = co_await conn->send_frame(FrameType::note_preferred, std::span(&one, 1)); !r) {
      co_return r.error();
    }
  }
  if (o.watch_conns) {
    if (auto r = co_await conn->send_frame(FrameType::watch_conns, {}); !r) co_return r.error();
  }
  co_return conn;
}

asio::awaitable<Result<void>> RelayConnection::send_packet(const Key& destination,
                                                           std::span<const std::uint8_t> packet) {
  if (packet.size() > kMaxPacketSize) co_return Errc::message_too_large;
  Impl& st = *impl_;
  if (!st.open) co_return Errc::closed;
  if (st.pending.size() > st.max_pending) co_return Errc::exhausted;
  write_frame(st.pending, FrameType::send_packet, {std::span<const std::uint8_t>(destination), packet});
  co_return co_await flush();
}

asio::awaitable<Result<void>> RelayConnection::send_frame(FrameType type,
                                                          std::span<const std::uint8_t> payload) {
  Impl& st = *impl_;
  if (!st.open) co_return Errc::closed;
  if (st.pending.size() > st.max_pending) co_return Errc::exhausted;
  write_frame(st.pending, type, payload);
  co_return co_await flush();
}

asio::awaitable<Result<void>> RelayConnection::send_frames(std::span<const std::uint8_t> framed) {
  Impl& st = *impl_;
  if (!st.open) co_return Errc::closed;
  if (st.pending.size() > st.max_pending) co_return Errc::exhausted;
  st.pending.insert(st.pending.end(), framed.begin(), framed.end());
  co_return co_await flush();
}

asio::awaitable<Result<void>> RelayConnection::flush() {
  auto self = shared_from_this();
  Impl& st = *impl_;
  if (!st.writing && st.open) {
    // One writer coroutine drains `pending`; frames queued while it writes go out together in
    // its next write (batching under load, one write per frame when idle).
    st.writing = true;
    net::co_spawn(st.stream->socket().get_executor(), [self, &st]() -> awaitable<void> {
      std::vector<std::uint8_t> out;
      while (!st.pending.empty() && st.open) {
        out.clear();
        std::swap(out, st.pending);
        auto [ec, n] = co_await st.stream->write_all(net::buffer(out));
        st.drained->cancel();
        if (ec) {
          st.open = false;
          st.stream->close();
        }
      }
      st.writing = false;
      st.drained->cancel();
    }, net::detached);
  }
  // Backpressure: wait only while the backlog is above the high-water mark.
  while (st.open && st.pending.size() > st.high_water) co_await st.drained->async_wait(nothrow);
  co_return st.open ? Result<void>{} : Result<void>(Errc::closed);
}

asio::awaitable<Result<Frame>> RelayConnection::read_frame() {
  auto self = shared_from_this();
  Impl& st = *impl_;
  for (;;) {
    auto f = st.reader.next();
    if (!f) co_return f.error();
    if (*f) co_return std::move(**f);
    if (!st.open) co_return Errc::closed;
    auto [ec, n] = co_await st.stream->read_some(net::buffer(st.read_buffer));
    if (ec) {
      st.open = false;
      st.stream->close();
      co_return (ec == net::error::eof || ec == net::error::operation_aborted ||
                 ec == ssl::error::stream_truncated)
                    ? make_error_code(Errc::closed)
                    : to_std(ec);
    }
    st.reader.feed(std::span(st.read_buffer).first(n));
  }
}

void RelayConnection::close() {
  impl_->open = false;
  impl_->stream->close();
}
bool RelayConnection::is_open() const noexcept { return impl_->open; }
const Key& RelayConnection::server_key() const noexcept { return impl_->server_key; }
const Key& RelayConnection::public_key() const noexcept { return impl_->key.public_key; }
const ServerInfo& RelayConnection::server_info() const noexcept { return impl_->server_info; }
SocketAddress RelayConnection::remote_address() const {
  error_code ec;
  auto ep = impl_->stream->socket().remote_endpoint(ec);
  return ec ? SocketAddress() : from_endpoint(ep);
}
SocketAddress RelayConnection::local_address() const {
  error_code ec;
  auto ep = impl_->stream->socket().local_endpoint(ec);
  return ec ? SocketAddress() : from_endpoint(ep);
}

asio::awaitable<Result<int>> relay_http_get(net::any_io_executor ex, http::RelayUrl url,
                                            std::string path, RelayConnectOptions o) {
  std::shared_ptr<ssl::context> tls;
  if (url.tls) {
    auto ctx = client_tls_context(url, o);
    if (!ctx) co_return ctx.error();
    tls = *ctx;
  }
  auto stream = co_await dial(ex, url, tls, o.timeout);
  if (!stream) co_return stream.error();
  struct Disarm {
    Watchdog w;
    std::shared_ptr<Stream> s;
    ~Disarm() {
      w.disarm();
      s->close();
    }
  } watchdog{Watchdog(ex, *stream, o.timeout), *stream};
  const std::string req = http::get_request(url, path);
  if (auto [ec, n] = co_await (*stream)->write_all(net::buffer(req)); ec) co_return to_std(ec);
  http::ResponseReader rr;
  std::vector<std::uint8_t> buf(4096);
  for (;;) {
    auto [ec, n] = co_await (*stream)->read_some(net::buffer(buf));
    if (ec) co_return ec == net::error::eof ? make_error_code(Errc::closed) : to_std(ec);
    auto head = rr.feed(std::span(buf).first(n));
    if (!head) co_return head.error();
    if (*head) co_return (*head)->status;
  }
}

}  // namespace gquic::derp
