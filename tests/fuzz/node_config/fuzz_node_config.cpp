// Fuzzes the node's TOML config loader: any bytes must give a config or an error message,
// never a crash, a hang or undefined behaviour (the build runs ASan and UBSan).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "gquic/node/node_config.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string why;
  auto c = gquic::node::parse_node_config(
      std::string_view(reinterpret_cast<const char*>(data), size), &why);
  if (!c && why.empty()) std::abort();  // every failure explains itself
  return 0;
}
