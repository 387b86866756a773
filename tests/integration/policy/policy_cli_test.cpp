// `gquic policy table|check` end to end: the real binary, real manifests.
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <sys/wait.h>
#include <tuple>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace {

const std::string kCli = GQUIC_CLI_PATH;
const std::string kDir = GQUIC_POLICY_SCENARIOS;

struct CliRun {
  int rc = -1;
  std::string out;
};

// Runs the CLI with `args` (stdout captured; stderr merged when `merge_stderr`).
CliRun run(const std::string& args, bool merge_stderr = false) {
  CliRun r;
  const std::string cmd = kCli + " " + args + (merge_stderr ? " 2>&1" : " 2>/dev/null");
  FILE* f = popen(cmd.c_str(), "r");
  if (!f) return r;
  char buf[4096];
  std::size_t n;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0) r.out.append(buf, n);
  const int status = pclose(f);
  r.rc = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

using Key = std::tuple<std::string, std::string, int, std::string>;

std::map<Key, bool> matrix(const nlohmann::json& j) {
  std::map<Key, bool> m;
  for (const auto& row : j) {
    m[{row.at("from").get<std::string>(), row.at("to").get<std::string>(), row.at("port").get<int>(),
       row.at("protocol").get<std::string>()}] = row.at("allowed").get<bool>();
  }
  return m;
}

class PolicyScenario : public ::testing::TestWithParam<std::string> {};

TEST_P(PolicyScenario, TableMatchesExpected) {
  const std::string dir = kDir + "/" + GetParam();
  const CliRun r = run("policy table -f " + kDir + "/base.yaml -f " + dir +
                    "/policies.yaml --ports 80/TCP,81/TCP --json");
  ASSERT_EQ(r.rc, 0) << r.out;
  const auto got = matrix(nlohmann::json::parse(r.out));
  std::ifstream in(dir + "/expected.json");
  ASSERT_TRUE(in) << dir;
  const auto want = matrix(nlohmann::json::parse(in));
  ASSERT_EQ(got.size(), 144u);  // 9 pods x 8 others x 2 ports
  ASSERT_EQ(want.size(), got.size());
  int diffs = 0;
  for (const auto& [k, v] : want) {
    auto it = got.find(k);
    ASSERT_NE(it, got.end());
    if (it->second != v) {
      ++diffs;
      ADD_FAILURE() << std::get<0>(k) << " -> " << std::get<1>(k) << " " << std::get<2>(k)
                    << ": got " << it->second << ", want " << v;
    }
  }
  EXPECT_EQ(diffs, 0);
}

INSTANTIATE_TEST_SUITE_P(Scenarios, PolicyScenario,
                         ::testing::Values("default-deny-ingress", "namespace-isolation",
                                           "selectors-and-or", "ports-named-egress",
                                           "admin-tiers", "egress-ipblock"),
                         [](const auto& info) {
                           std::string n = info.param;
                           for (auto& c : n) c = c == '-' ? '_' : c;
                           return n;
                         });

TEST(PolicyCli, CheckExitCodes) {
  const std::string f = "-f " + kDir + "/base.yaml -f " + kDir + "/admin-tiers/policies.yaml";
  CliRun denied = run("policy check " + f + " --from y/a --to x/b --port 80/TCP");
  EXPECT_EQ(denied.rc, 1);
  EXPECT_NE(denied.out.find("denied"), std::string::npos);
  EXPECT_NE(denied.out.find("deny-y-to-x-80/deny-y"), std::string::npos);
  CliRun allowed = run("policy check " + f + " --from y/b --to x/a --port 80");
  EXPECT_EQ(allowed.rc, 0);
  EXPECT_NE(allowed.out.find("allow-y-b-to-x-a/allow-y-b"), std::string::npos);
  CliRun passed = run("policy check " + f + " --from x/a --to z/c --port 81/TCP");
  EXPECT_EQ(passed.rc, 1);
  EXPECT_NE(passed.out.find("passed by pass-x-to-z/pass-x"), std::string::npos);
  EXPECT_NE(passed.out.find("z/deny-all"), std::string::npos);
  // A directory is read recursively.
  EXPECT_EQ(run("policy check -f " + kDir + "/base.yaml -f " + kDir +
                "/default-deny-ingress --from 192.0.2.1 --to x/a --port 80").rc, 1);
}

TEST(PolicyCli, TableText) {
  CliRun r = run("policy table -f " + kDir + "/base.yaml --ports 80/TCP");
  EXPECT_EQ(r.rc, 0);
  EXPECT_NE(r.out.find("80/TCP"), std::string::npos);
  EXPECT_NE(r.out.find("x/a"), std::string::npos);
}

TEST(PolicyCli, ErrorsExit2) {
  const std::string bad = ::testing::TempDir() + "/gquic_policy_bad.yaml";
  {
    std::ofstream out(bad);
    out << "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p, namespace: n}\n"
           "spec:\n  podSelector: {}\n  ingress: [{ports: [{port: 90, endPort: 80}]}]\n";
  }
  CliRun r = run("policy check -f " + bad + " --from 1.1.1.1 --to 2.2.2.2 --port 1", true);
  EXPECT_EQ(r.rc, 2);
  EXPECT_NE(r.out.find("NetworkPolicy n/p: spec.ingress[0].ports[0].endPort"), std::string::npos)
      << r.out;
  EXPECT_EQ(run("policy check -f " + kDir + "/base.yaml --from x/nope --to x/a --port 80").rc, 2);
  EXPECT_EQ(run("policy check -f " + kDir + "/base.yaml --from x/a --to x/b --port 80/ICMP").rc, 2);
  EXPECT_EQ(run("policy table -f " + kDir + "/base.yaml --ports 0/TCP").rc, 2);
  EXPECT_EQ(run("policy table -f /nonexistent --ports 80").rc, 2);
  EXPECT_EQ(run("policy table --ports 80").rc, 2);  // -f is required
}

}  // namespace
