// Fuzzes the Kubernetes manifest loader; whatever loads is compiled by the engine and
// asked one question, so odd-but-valid manifests reach the compiler too.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "gquic/policy/engine.h"
#include "gquic/policy/manifest.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  gquic::policy::ManifestLoader loader;
  loader.add_text(std::string_view(reinterpret_cast<const char*>(data), size), "fuzz");
  auto cl = loader.cluster();
  if (cl.containers.size() >= 2) {
    gquic::policy::EngineConfig cfg;
    cfg.fast_cache_slots = 64;  // keep each run's allocations small
    gquic::policy::Engine engine(cfg);
    engine.set_cluster(cl);
    (void)engine.decide({cl.containers[0].assigned_ip, cl.containers[1].assigned_ip,
                         gquic::policy::proto::tcp, 80});
  }
  return 0;
}
