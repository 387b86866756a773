// Fuzzes the HTTP head readers a relay (request) and a client (response) run on untrusted bytes,
// fed whole and split at a point chosen by the first byte. Both splits must agree; a parsed
// request must route and answer without failing; limits must hold.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "gquic/derp/http_upgrade.h"

using namespace gquic::derp::http;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::span<const std::uint8_t> d(data, size);
  const HeadLimits limits{.max_head_bytes = 2048, .max_headers = 16};
  RequestReader whole(limits);
  auto a = whole.feed(d);
  RequestReader split(limits);
  const std::size_t cut = size == 0 ? 0 : data[0] % (size + 1);
  auto b = split.feed(d.first(cut));
  std::size_t unfed = size - cut;  // a head complete in the first part leaves the rest unfed
  if (b && !*b) {
    b = split.feed(d.subspan(cut));
    unfed = 0;
  }
  if (a.has_value() != b.has_value()) std::abort();
  if (a && a->has_value() != b->has_value()) std::abort();
  if (a && *a) {
    const Request& req = **a;
    if (req.headers.size() > limits.max_headers) std::abort();
    if (req.path.empty() || req.path[0] != '/') std::abort();
    const auto decision = route(req);
    if (decision.route != Route::derp_upgrade) (void)simple_response(decision.route, req);
    if (whole.leftover().size() != split.leftover().size() + unfed) std::abort();
  }
  ResponseReader resp(limits);
  (void)resp.feed(d);
  (void)parse_relay_url(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
