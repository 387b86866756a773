// Fuzzes the policy packet parser and the engine's packet path (parse, fragments,
// conntrack, verdict) with one small cluster; the first byte picks the direction and
// advances the simulated clock.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <span>

#include "gquic/policy/engine.h"

namespace {

gquic::policy::Engine& engine() {
  static gquic::policy::Engine* e = [] {
    using namespace gquic::policy;
    auto* eng = new Engine();
    Cluster cl;
    cl.namespaces.push_back({"n", {{"kubernetes.io/metadata.name", "n"}}});
    cl.containers.push_back({"a", "n", *gquic::IpAddress::parse("10.0.0.1"), {{"app", "a"}},
                             {{"http", 80, proto::tcp}}, {}});
    cl.containers.push_back({"b", "n", *gquic::IpAddress::parse("fd00::2"), {{"app", "b"}}, {}, {}});
    NetworkPolicy p;
    p.name = "p";
    p.namespace_ = "n";
    p.pod_selector = match_labels({{"app", "a"}});
    PolicyRule r;
    r.ports.push_back({proto::tcp, std::nullopt, std::nullopt, "http"});
    p.ingress.push_back(r);
    cl.policies.push_back(p);
    eng->set_cluster(cl);
    return eng;
  }();
  return *e;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  static gquic::TimePoint now{};
  now += std::chrono::seconds(data[0] >> 2);
  const auto dir = static_cast<gquic::policy::Direction>(data[0] % 3);
  std::span<const std::uint8_t> pkt(data + 1, size - 1);
  (void)gquic::policy::parse_packet(pkt);
  (void)engine().verdict(now, pkt, dir);
  return 0;
}
