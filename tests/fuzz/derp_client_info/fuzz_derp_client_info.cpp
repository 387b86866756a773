// Fuzzes what a DERP server does with a ClientInfo frame and a client with a ServerInfo frame.
// Random bytes almost never open a box, so each input is also sealed as a genuine client's
// JSON would be: the fuzzer then reaches the JSON and field checks behind the box.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "gquic/derp/handshake.h"

using namespace gquic::derp;

namespace {
const KeyPair& server() {
  static const KeyPair k = generate_key_pair();
  return k;
}
const KeyPair& client() {
  static const KeyPair k = generate_key_pair();
  return k;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> raw(data, size);
  (void)open_client_info(server(), raw);
  (void)open_server_info(client(), server().public_key, raw);

  const std::string_view json(reinterpret_cast<const char*>(data), size);
  std::vector<std::uint8_t> payload(client().public_key.begin(), client().public_key.end());
  const auto box = seal_box(json, server().public_key, client().private_key);
  if (!box) return 0;
  payload.insert(payload.end(), box->begin(), box->end());
  (void)open_client_info(server(), payload);
  if (auto back = seal_box(json, client().public_key, server().private_key)) {
    (void)open_server_info(client(), server().public_key, *back);
  }
  return 0;
}
