// The HTTP side of DERP: request heads, routes, answers, relay URLs and response heads.
#include "gquic/derp/http_upgrade.h"

#include <gtest/gtest.h>

namespace gquic::derp::http {
namespace {

std::span<const std::uint8_t> bytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

TEST(DerpHttp, UpgradeRequestInPiecesWithLeftoverFrames) {
  const std::string req = upgrade_request(*parse_relay_url("https://relay.example:8443/derp")) +
                          "\x02rest";
  RequestReader r;
  std::optional<Request> got;
  for (std::size_t i = 0; i < req.size() && !got; ++i) {
    auto f = r.feed(bytes(std::string_view(req).substr(i, 1)));
    ASSERT_TRUE(f);
    got = *f;
  }
  ASSERT_TRUE(got);
  EXPECT_EQ(got->method, "GET");
  EXPECT_EQ(got->path, "/derp");
  EXPECT_EQ(got->header("host"), "relay.example:8443");
  EXPECT_EQ(route(*got).route, Route::derp_upgrade);
  EXPECT_FALSE(route(*got).fast_start);
  // Fed one byte at a time, the frame bytes arrive with later feeds; none were lost here.
  RequestReader whole;
  auto all = whole.feed(bytes(req));
  ASSERT_TRUE(all && *all);
  EXPECT_EQ(std::string(whole.leftover().begin(), whole.leftover().end()), "\x02rest");
}

TEST(DerpHttp, Routes) {
  auto parse = [](std::string_view head) { return *parse_request_head(head); };
  EXPECT_EQ(route(parse("GET /derp HTTP/1.1\r\nUpgrade: derp")).route, Route::derp_upgrade);
  EXPECT_TRUE(route(parse("GET /derp HTTP/1.1\r\nUpgrade: DERP\r\nDerp-Fast-Start: 1")).fast_start);
  EXPECT_EQ(route(parse("GET /derp HTTP/1.1\r\nHost: x")).route, Route::upgrade_required);
  EXPECT_EQ(route(parse("GET /derp HTTP/1.1\r\nUpgrade: h2c")).route, Route::upgrade_required);
  EXPECT_EQ(route(parse("POST /derp HTTP/1.1\r\nUpgrade: derp")).route, Route::method_not_allowed);
  EXPECT_EQ(route(parse("GET /derp/probe HTTP/1.1")).route, Route::probe);
  EXPECT_EQ(route(parse("HEAD /derp/latency-check HTTP/1.0")).route, Route::probe);
  EXPECT_EQ(route(parse("GET /generate_204?x=1 HTTP/1.1")).route, Route::generate_204);
  EXPECT_EQ(route(parse("GET /other HTTP/1.1")).route, Route::not_found);
}

TEST(DerpHttp, Answers) {
  Key k{};
  k[0] = 0xab;
  const std::string up = upgrade_response(k);
  EXPECT_TRUE(up.starts_with("HTTP/1.1 101 Switching Protocols\r\n"));
  EXPECT_NE(up.find("Derp-Public-Key: ab00"), std::string::npos);
  EXPECT_TRUE(up.ends_with("\r\n\r\n"));
  auto req = *parse_request_head("GET /generate_204 HTTP/1.1\r\nX-Tailscale-Challenge: abc-1");
  const std::string r204 = simple_response(Route::generate_204, req);
  EXPECT_TRUE(r204.starts_with("HTTP/1.1 204 "));
  EXPECT_NE(r204.find("X-Tailscale-Response: response abc-1\r\n"), std::string::npos);
  auto evil = *parse_request_head("GET /generate_204 HTTP/1.1\r\nX-Tailscale-Challenge: a b");
  EXPECT_EQ(simple_response(Route::generate_204, evil).find("X-Tailscale-Response"),
            std::string::npos);
  EXPECT_TRUE(simple_response(Route::upgrade_required, req).starts_with("HTTP/1.1 426 "));
  EXPECT_TRUE(error_response(431, "too big").starts_with("HTTP/1.1 431 "));
}

TEST(DerpHttp, MalformedAndOversizedHeads) {
  for (std::string_view bad : {"", "GET", "GET /derp", "GET /derp HTTP/2.0", "GET derp HTTP/1.1",
                               "GET /derp HTTP/1.1 extra", "GET /derp HTTP/1.1\r\nNoColon",
                               "GET /derp HTTP/1.1\r\n folded: x", "GET /derp HTTP/1.1\r\nA: b\rc",
                               "G\x01T /derp HTTP/1.1", "GET /derp HTTP/1.1\r\nBad Name: x"}) {
    auto r = parse_request_head(bad);
    EXPECT_FALSE(r) << bad;
  }
  RequestReader big(HeadLimits{.max_head_bytes = 64, .max_headers = 4});
  auto r = big.feed(bytes(std::string(65, 'A')));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), make_error_code(Errc::message_too_large));
  RequestReader many(HeadLimits{.max_head_bytes = 4096, .max_headers = 2});
  auto m = many.feed(bytes("GET / HTTP/1.1\r\na: 1\r\nb: 2\r\nc: 3\r\n\r\n"));
  ASSERT_FALSE(m);
  EXPECT_EQ(m.error(), make_error_code(Errc::message_too_large));
  RequestReader done;
  ASSERT_TRUE(done.feed(bytes("GET / HTTP/1.1\r\n\r\n")));
  EXPECT_FALSE(done.feed(bytes("x")));  // a second feed after completion is refused
}

TEST(DerpHttp, RelayUrls) {
  auto u = parse_relay_url("http://127.0.0.1:3340");
  ASSERT_TRUE(u);
  EXPECT_FALSE(u->tls);
  EXPECT_EQ(u->host, "127.0.0.1");
  EXPECT_EQ(u->port, 3340);
  EXPECT_EQ(u->path, "/derp");
  auto v6 = parse_relay_url("https://[::1]:443/derp");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->to_string(), "https://[::1]:443/derp");
  auto bare = parse_relay_url("relay.example");
  ASSERT_TRUE(bare);
  EXPECT_TRUE(bare->tls);
  EXPECT_EQ(bare->port, 443);
  for (std::string_view bad : {"ftp://x", "http://", "http://h:0", "http://h:99999", "http://h:",
                               "http://::1:80", "http://[::1", "http://h:1x", "http://a b"}) {
    EXPECT_FALSE(parse_relay_url(bad)) << bad;
  }
}

TEST(DerpHttp, ResponseHeads) {
  ResponseReader r;
  auto got = r.feed(bytes("HTTP/1.1 101 Switching Protocols\r\nDerp-Version: 2\r\n\r\n\x01xy"));
  ASSERT_TRUE(got && *got);
  EXPECT_EQ((*got)->status, 101);
  EXPECT_EQ((*got)->header("derp-version"), "2");
  EXPECT_EQ(r.leftover().size(), 3u);
  ResponseReader bad;
  EXPECT_FALSE(bad.feed(bytes("HTTX/1.1 200 OK\r\n\r\n")));
  ResponseReader bad2;
  EXPECT_FALSE(bad2.feed(bytes("HTTP/1.1 2x0 OK\r\n\r\n")));
}

}  // namespace
}  // namespace gquic::derp::http
