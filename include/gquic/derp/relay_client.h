#pragma once
// RelayConnection: one client connection to one DERP relay, as a driver. It dials TCP, adds TLS
// unless the URL is http://, performs the HTTP upgrade (http_upgrade.h) and the handshake
// (handshake.h), then reads and writes frames. The DERP client, the relay's mesh links, the
// `gquic derp` commands, tests and benchmarks all use it.
//
// Threading: the object belongs to the io_context thread its executor runs on. One coroutine
// at a time may await read_frame(); any number may call send_*(): frames are queued and one
// writer coroutine flushes them in order, batching what queued up during a write. send_*()
// returns once the frame is queued, waiting only while more than min(256 KiB,
// max_pending_bytes / 2) is queued (backpressure); beyond max_pending_bytes it fails
// (Errc::exhausted). A failed write closes the connection; later sends return Errc::closed.

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include <boost/asio/any_io_executor.hpp>

#include "gquic/core/asio.h"
#include "gquic/core/clock.h"
#include "gquic/core/error.h"
#include "gquic/core/socket_address.h"
#include "gquic/derp/frames.h"
#include "gquic/derp/handshake.h"
#include "gquic/derp/http_upgrade.h"

namespace gquic::derp {

struct RelayConnectOptions {
  std::optional<std::array<std::uint8_t, 32>> mesh_key;  // a meshed server's link
  bool watch_conns = false;        // send WatchConns after the handshake (needs the mesh key)
  bool preferred = false;          // send NotePreferred(true): this relay is the home relay
  bool insecure_skip_verify = false;  // TLS: accept any certificate (tests, --insecure)
  std::string ca_file;             // TLS: trust these CAs instead of the system's
  Duration timeout = std::chrono::seconds(10);  // connect + TLS + upgrade + handshake
  std::size_t max_pending_bytes = 4 << 20;      // queued writes beyond this fail (exhausted)
};

class RelayConnection : public std::enable_shared_from_this<RelayConnection> {
 public:
  struct Impl;
  explicit RelayConnection(std::unique_ptr<Impl> impl);
  ~RelayConnection();
  RelayConnection(const RelayConnection&) = delete;
  RelayConnection& operator=(const RelayConnection&) = delete;

  // Connects and completes the handshake (ServerKey read, ClientInfo sent, ServerInfo read).
  static asio::awaitable<Result<std::shared_ptr<RelayConnection>>> connect(
      boost::asio::any_io_executor ex, http::RelayUrl url, KeyPair key,
      RelayConnectOptions options);

  asio::awaitable<Result<void>> send_packet(const Key& destination,
                                            std::span<const std::uint8_t> packet);
  asio::awaitable<Result<void>> send_frame(FrameType type, std::span<const std::uint8_t> payload);
  // Already framed bytes (a mesh link forwards what its ServerCore queued).
  asio::awaitable<Result<void>> send_frames(std::span<const std::uint8_t> framed);
  // The next frame from the relay; Errc::closed at EOF or after close().
  asio::awaitable<Result<Frame>> read_frame();
  // Closes the socket; pending reads and writes complete with errors.
  void close();
  bool is_open() const noexcept;

  const Key& server_key() const noexcept;
  const Key& public_key() const noexcept;
  const ServerInfo& server_info() const noexcept;
  SocketAddress remote_address() const;
  SocketAddress local_address() const;

 private:
  asio::awaitable<Result<void>> flush();
  std::unique_ptr<Impl> impl_;
};

// (Coroutines here take no default arguments: GCC 12 destroys them twice.)
// A one-shot HTTP GET (e.g. /derp/probe) with the same TLS options; returns the status code.
asio::awaitable<Result<int>> relay_http_get(boost::asio::any_io_executor ex,
                                            http::RelayUrl url, std::string path,
                                            RelayConnectOptions options);

}  // namespace gquic::derp
