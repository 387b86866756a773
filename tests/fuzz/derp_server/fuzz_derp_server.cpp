// Feeds arbitrary bytes to a DERP ServerCore as the stream of a registered client and of a
// fresh connection, with a genuine peer client beside them; advances time between chunks. The
// server must never crash, and its state must stay bounded.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "gquic/derp/server_core.h"

using namespace gquic;
using namespace gquic::derp;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const KeyPair server_keys = generate_key_pair();
  static const KeyPair client_keys = generate_key_pair();
  ServerCoreConfig cfg;
  cfg.server_key = server_keys;
  cfg.mesh_key = *parse_mesh_key(std::string(64, 'a'));
  cfg.queue_packets = 4;
  cfg.max_control_frames = 16;
  ServerCore s(cfg);
  TimePoint now{std::chrono::seconds(1)};

  // A genuine client, registered with the mesh key so mesh frames are reachable too.
  const ConnId genuine = s.accept(now);
  (void)s.take_output(genuine);
  ClientInfo info;
  info.mesh_key = cfg.mesh_key;
  std::vector<std::uint8_t> hello;
  write_frame(hello, FrameType::client_info,
              std::span<const std::uint8_t>(*seal_client_info(client_keys, server_keys.public_key, info)));
  s.handle_bytes(genuine, now, hello);
  const ConnId fresh = s.accept(now);

  std::size_t pos = 0;
  while (pos < size) {
    const std::size_t n = std::min<std::size_t>(1 + data[pos] % 97, size - pos - 1 + 1);
    const std::span<const std::uint8_t> chunk(data + pos, std::min(n, size - pos));
    s.handle_bytes((data[pos] & 1) ? genuine : fresh, now, chunk);
    pos += chunk.size();
    now += std::chrono::milliseconds(data[pos - 1]) * 50;
    s.handle_timeout(now);
    while (auto c = s.poll_close()) s.closed(c->first, now);
    (void)s.take_output(genuine);
    (void)s.take_output(fresh);
  }
  if (s.stats().connections > 2) std::abort();
  return 0;
}
