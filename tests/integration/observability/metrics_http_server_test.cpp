// The /metrics endpoint over real loopback sockets: a blocking raw-socket client talks to a
// MetricsHttpServer whose io_context runs in a thread. The scraped text is checked by
// `promtool check metrics`, the Prometheus project's own parser and linter.

#include "gquic/observability/metrics_http_server.h"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <thread>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>

#include "gquic/core/asio.h"
#include "gquic/observability/exposition.h"

namespace gquic::observability {
namespace {

namespace net = boost::asio;

struct HttpResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
};

// A blocking HTTP/1.1 client on a raw socket: enough to send exact bytes (including broken
// requests) and read responses. Receives time out after 10 s so a server bug fails the test
// instead of hanging it.
class RawClient {
 public:
  explicit RawClient(std::uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    timeval tv{10, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0;
  }
  ~RawClient() {
    if (fd_ >= 0) ::close(fd_);
  }
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;

  bool connected() const { return connected_; }

  bool send(std::string_view bytes) {
    while (!bytes.empty()) {
      ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      bytes.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
  }

  // One response; `head` means the response to a HEAD request, which has no body.
  std::optional<HttpResponse> read_response(bool head = false) {
    std::size_t end;
    while ((end = buf_.find("\r\n\r\n")) == std::string::npos) {
      if (!fill()) return std::nullopt;
    }
    HttpResponse r;
    std::string head_text = buf_.substr(0, end);
    buf_.erase(0, end + 4);
    std::size_t line_end = head_text.find("\r\n");
    std::string status_line = head_text.substr(0, line_end);
    if (status_line.rfind("HTTP/1.", 0) != 0 || status_line.size() < 12) return std::nullopt;
    r.status = std::stoi(status_line.substr(9, 3));
    while (line_end != std::string::npos) {
      std::size_t start = line_end + 2;
      line_end = head_text.find("\r\n", start);
      std::string line = head_text.substr(start, line_end == std::string::npos
                                                     ? std::string::npos
                                                     : line_end - start);
      auto colon = line.find(':');
      if (colon == std::string::npos) continue;
      std::string name = line.substr(0, colon);
      std::transform(name.begin(), name.end(), name.begin(),
                     [](unsigned char c) { return std::tolower(c); });
      std::string value = line.substr(colon + 1);
      value.erase(0, value.find_first_not_of(' '));
      r.headers[name] = value;
    }
    if (head) return r;
    const std::size_t length = std::stoul(r.header("content-length").empty()
                                              ? std::string("0")
                                              : r.header("content-length"));
    while (buf_.size() < length) {
      if (!fill()) return std::nullopt;
    }
    r.body = buf_.substr(0, length);
    buf_.erase(0, length);
    return r;
  }

  // True when the server closed the connection (EOF or reset) before sending anything more.
  bool wait_closed() {
    for (;;) {
      char c[512];
      ssize_t n = ::recv(fd_, c, sizeof c, 0);
      if (n == 0) return true;
      if (n < 0) return errno == ECONNRESET;  // EAGAIN: the 10 s guard expired
    }
  }

 private:
  bool fill() {
    char c[4096];
    ssize_t n = ::recv(fd_, c, sizeof c, 0);
    if (n <= 0) return false;
    buf_.append(c, static_cast<std::size_t>(n));
    return true;
  }

  int fd_ = -1;
  bool connected_ = false;
  std::string buf_;
};

std::string get_request(std::string_view target, std::string_view method = "GET",
                        std::string_view extra = "") {
  return std::string(method) + " " + std::string(target) + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" +
         std::string(extra) + "\r\n";
}

class MetricsHttpServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // Every metric type, with labels, and values that need care in the text format.
    auto sent = collector_.counter("gquic_udp_datagrams_sent_total", "Datagrams sent", {"socket"});
    auto depth = collector_.gauge("gquic_queue_depth", "Queued \\ datagrams\nper queue", {"queue"});
    auto rtt = collector_.histogram("gquic_path_rtt_seconds", "Path round-trip time", {"path"},
                                    {0.001, 0.01, 0.1, 1});
    auto up = collector_.gauge("gquic_up", "Always 1");
    ASSERT_TRUE(sent && depth && rtt && up);
    sent->get().with({"0"})->get().inc(10);
    sent->get().with({"1"})->get().inc(20);
    depth->get().with({"say \"hi\"\n\\"})->get().set(3.5);
    depth->get().with({"nan"})->get().set(std::numeric_limits<double>::quiet_NaN());
    depth->get().with({"inf"})->get().set(std::numeric_limits<double>::infinity());
    for (double v : {0.0005, 0.005, 0.05, 0.5, 5.0}) rtt->get().with({"wan"})->get().observe(v);
    (void)rtt->get().with({"lan"});
    up->get().with()->get().set(1);
  }

  void TearDown() override { shutdown(); }

  void start(MetricsHttpServerOptions options = {}) {
    server_ = std::make_unique<MetricsHttpServer>(
        io_, collector_, SocketAddress(IpAddress::v4_loopback(), 0), std::move(options));
    auto started = server_->start();
    ASSERT_TRUE(started) << started.error().message();
    port_ = server_->local_address().port();
    ASSERT_NE(port_, 0);
    io_thread_ = std::thread([this] { io_.run(); });
  }

  // Waits until everything posted to the io_context so far has run.
  void sync_with_io() {
    std::promise<void> done;
    net::post(io_, [&] { done.set_value(); });
    done.get_future().wait();
  }

  void shutdown() {
    if (server_) server_->stop();
    work_.reset();
    if (io_thread_.joinable()) io_thread_.join();
    server_.reset();
  }

  HttpResponse fetch(std::string_view target = "/metrics") {
    RawClient c(port_);
    EXPECT_TRUE(c.connected());
    EXPECT_TRUE(c.send(get_request(target)));
    auto r = c.read_response();
    EXPECT_TRUE(r.has_value());
    return r.value_or(HttpResponse{});
  }

  MetricsCollector collector_;
  net::io_context io_;
  net::executor_work_guard<net::io_context::executor_type> work_{io_.get_executor()};
  std::unique_ptr<MetricsHttpServer> server_;
  std::thread io_thread_;
  std::uint16_t port_ = 0;
};

TEST_F(MetricsHttpServerTest, ServesMetrics) {
  start();
  EXPECT_TRUE(server_->local_address().ip().is_loopback());
  HttpResponse r = fetch();
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.header("content-type"), kPrometheusContentType);
  EXPECT_EQ(r.header("content-length"), std::to_string(r.body.size()));
  EXPECT_NE(r.body.find("# TYPE gquic_udp_datagrams_sent_total counter\n"), std::string::npos);
  EXPECT_NE(r.body.find("gquic_udp_datagrams_sent_total{socket=\"1\"} 20\n"), std::string::npos);
  EXPECT_NE(r.body.find("gquic_queue_depth{queue=\"say \\\"hi\\\"\\n\\\\\"} 3.5\n"),
            std::string::npos);
  EXPECT_NE(r.body.find("gquic_path_rtt_seconds_bucket{path=\"wan\",le=\"+Inf\"} 5\n"),
            std::string::npos);
  EXPECT_NE(r.body.find("gquic_up 1\n"), std::string::npos);
  // The scrape counts itself.
  EXPECT_NE(r.body.find("gquic_metrics_http_requests_total{code=\"200\"} 1\n"),
            std::string::npos);
}

TEST_F(MetricsHttpServerTest, QueryStringIsIgnored) {
  start();
  EXPECT_EQ(fetch("/metrics?name[]=x").status, 200);
}

TEST_F(MetricsHttpServerTest, HeadHasHeadersButNoBody) {
  start();
  RawClient c(port_);
  ASSERT_TRUE(c.connected());
  ASSERT_TRUE(c.send(get_request("/metrics", "HEAD")));
  auto head = c.read_response(/*head=*/true);
  ASSERT_TRUE(head);
  EXPECT_EQ(head->status, 200);
  EXPECT_EQ(head->header("content-type"), kPrometheusContentType);
  EXPECT_GT(std::stoul(head->header("content-length")), 100u);
  // Had the server sent a body, this second response would not parse.
  ASSERT_TRUE(c.send(get_request("/metrics")));
  auto get = c.read_response();
  ASSERT_TRUE(get);
  EXPECT_EQ(get->status, 200);
  EXPECT_NE(get->body.find("gquic_up 1"), std::string::npos);
}

TEST_F(MetricsHttpServerTest, KeepAliveServesManyRequestsOnOneConnection) {
  start();
  RawClient c(port_);
  ASSERT_TRUE(c.connected());
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(c.send(get_request("/metrics")));
    auto r = c.read_response();
    ASSERT_TRUE(r) << "request " << i;
    EXPECT_EQ(r->status, 200);
  }
  // Pipelined: two requests in one write.
  ASSERT_TRUE(c.send(get_request("/metrics") + get_request("/nope")));
  auto a = c.read_response();
  auto b = c.read_response();
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->status, 200);
  EXPECT_EQ(b->status, 404);
  // Connection: close is honoured.
  ASSERT_TRUE(c.send(get_request("/metrics", "GET", "Connection: close\r\n")));
  auto last = c.read_response();
  ASSERT_TRUE(last);
  EXPECT_EQ(last->status, 200);
  EXPECT_TRUE(c.wait_closed());
}

TEST_F(MetricsHttpServerTest, NotFoundAndMethodNotAllowed) {
  start();
  RawClient c(port_);
  ASSERT_TRUE(c.connected());
  ASSERT_TRUE(c.send(get_request("/")));
  auto nf = c.read_response();
  ASSERT_TRUE(nf);
  EXPECT_EQ(nf->status, 404);
  ASSERT_TRUE(c.send(get_request("/metrics/extra")));
  nf = c.read_response();
  ASSERT_TRUE(nf);
  EXPECT_EQ(nf->status, 404);

  ASSERT_TRUE(c.send(get_request("/metrics", "POST", "Content-Length: 3\r\n") + "abc"));
  auto na = c.read_response();
  ASSERT_TRUE(na);
  EXPECT_EQ(na->status, 405);
  EXPECT_EQ(na->header("allow"), "GET, HEAD");
  ASSERT_TRUE(c.send(get_request("/metrics", "DELETE")));
  na = c.read_response();
  ASSERT_TRUE(na);
  EXPECT_EQ(na->status, 405);

  // The connection is still usable, and the server counted every answer.
  ASSERT_TRUE(c.send(get_request("/metrics")));
  auto ok = c.read_response();
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200);
  EXPECT_NE(ok->body.find("gquic_metrics_http_requests_total{code=\"404\"} 2\n"),
            std::string::npos);
  EXPECT_NE(ok->body.find("gquic_metrics_http_requests_total{code=\"405\"} 2\n"),
            std::string::npos);
}

// A malformed request gets 400 or a closed connection; the server keeps serving others.
void expect_rejected(std::uint16_t port, const std::string& bytes, int expected_status) {
  RawClient c(port);
  ASSERT_TRUE(c.connected());
  c.send(bytes);  // the server may close before everything is sent
  auto r = c.read_response();
  if (r) {
    EXPECT_EQ(r->status, expected_status) << bytes.substr(0, 60);
  }
  EXPECT_TRUE(c.wait_closed());
}

TEST_F(MetricsHttpServerTest, MalformedRequestsAreRejected) {
  start();
  expect_rejected(port_, "GARBAGE\r\n\r\n", 400);
  expect_rejected(port_, "GET /metrics HTTP/9.9\r\n\r\n", 400);
  expect_rejected(port_, "GET /metrics HTTP/1.1\r\nContent-Length: x\r\n\r\n", 400);
  expect_rejected(port_, "GET /metrics HTTP/1.1\r\nBad Header\r\n\r\n", 400);
  expect_rejected(port_, std::string("\x00\x01\x02\xff\r\n\r\n", 8), 400);
  expect_rejected(port_,
                  "GET /metrics HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400);
  EXPECT_EQ(fetch().status, 200);
}

TEST_F(MetricsHttpServerTest, OversizedRequestsAreRejected) {
  MetricsHttpServerOptions o;
  o.max_header_bytes = 1024;
  o.max_body_bytes = 16;
  start(o);
  expect_rejected(port_, get_request("/metrics", "GET", "X-Big: " + std::string(4000, 'a') + "\r\n"),
                  431);
  expect_rejected(port_,
                  get_request("/metrics", "GET", "Content-Length: 1000000\r\n") + "0123456789",
                  413);
  HttpResponse r = fetch();
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.body.find("gquic_metrics_http_connections_dropped_total{reason=\"malformed\"} 2\n"),
            std::string::npos);
}

TEST_F(MetricsHttpServerTest, SlowClientIsDisconnected) {
  MetricsHttpServerOptions o;
  o.io_timeout = std::chrono::milliseconds(200);
  start(o);
  RawClient idle(port_);  // connects and never sends
  ASSERT_TRUE(idle.connected());
  RawClient slow(port_);  // sends part of a request and stalls
  ASSERT_TRUE(slow.connected());
  ASSERT_TRUE(slow.send("GET /metr"));
  EXPECT_TRUE(idle.wait_closed());
  EXPECT_TRUE(slow.wait_closed());
  HttpResponse r = fetch();
  EXPECT_NE(r.body.find("gquic_metrics_http_connections_dropped_total{reason=\"timeout\"} 2\n"),
            std::string::npos)
      << r.body;
}

TEST_F(MetricsHttpServerTest, ConnectionLimitClosesExtraConnections) {
  MetricsHttpServerOptions o;
  o.max_connections = 2;
  start(o);
  RawClient a(port_), b(port_);
  for (RawClient* c : {&a, &b}) {  // a served request proves the connection is registered
    ASSERT_TRUE(c->send(get_request("/metrics")));
    ASSERT_TRUE(c->read_response());
  }
  RawClient extra(port_);
  EXPECT_TRUE(extra.wait_closed());
  ASSERT_TRUE(a.send(get_request("/metrics")));
  auto r = a.read_response();
  ASSERT_TRUE(r);
  EXPECT_NE(r->body.find("reason=\"connection_limit\"} 1\n"), std::string::npos);
}

TEST_F(MetricsHttpServerTest, StopClosesListenerAndConnections) {
  start();
  RawClient c(port_);
  ASSERT_TRUE(c.send(get_request("/metrics")));
  ASSERT_TRUE(c.read_response());
  server_->stop();
  sync_with_io();  // the shutdown was handed to the io_context before this marker
  EXPECT_TRUE(c.wait_closed());
  RawClient after(port_);
  EXPECT_FALSE(after.connected());
  EXPECT_EQ(server_->start().error(), Errc::closed);
}

TEST_F(MetricsHttpServerTest, DestroyedBeforeItsIoContextRuns) {
  {
    MetricsHttpServer s(io_, collector_, SocketAddress(IpAddress::v4_loopback(), 0));
    ASSERT_TRUE(s.start());
  }
  // The accept coroutine first runs after its server is gone: it must find the listener closed
  // and end, leaving the io_context without work.
  work_.reset();
  io_.run();
  EXPECT_TRUE(io_.stopped());
}

TEST_F(MetricsHttpServerTest, PortInUseIsAnErrorValue) {
  start();
  MetricsHttpServer second(io_, collector_, SocketAddress(IpAddress::v4_loopback(), port_));
  auto r = second.start();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), std::errc::address_in_use) << r.error().message();
  EXPECT_EQ(r.error().category(), std::system_category());
  EXPECT_EQ(server_->start().error(), Errc::already_exists);
  EXPECT_EQ(fetch().status, 200);  // the first server is unaffected
}

TEST_F(MetricsHttpServerTest, WorksOverIpv6Loopback) {
  MetricsHttpServer v6(io_, collector_, SocketAddress(IpAddress::v6_loopback(), 0));
  auto r = v6.start();
  if (!r) GTEST_SKIP() << "no IPv6 loopback: " << r.error().message();
  EXPECT_TRUE(v6.local_address().is_v6());
  EXPECT_NE(v6.local_address().port(), 0);
}

// Runs `promtool check metrics` on `text`; returns its exit status and output.
std::pair<int, std::string> run_promtool(const std::string& promtool, const std::string& text) {
  const auto path = std::filesystem::temp_directory_path() /
                    ("gquic_metrics_" + std::to_string(::getpid()) + ".prom");
  {
    std::ofstream f(path, std::ios::binary);
    f << text;
  }
  const std::string cmd = promtool + " check metrics < " + path.string() + " 2>&1";
  std::string output;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (p == nullptr) return {-1, "popen failed"};
  char buf[512];
  while (std::fgets(buf, sizeof buf, p) != nullptr) output += buf;
  const int status = ::pclose(p);
  std::filesystem::remove(path);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, output};
}

std::optional<std::string> find_promtool() {
  for (const char* candidate : {"/usr/bin/promtool", "/usr/local/bin/promtool"}) {
    if (::access(candidate, X_OK) == 0) return candidate;
  }
  return std::nullopt;
}

TEST_F(MetricsHttpServerTest, PromtoolAcceptsTheScrape) {
  auto promtool = find_promtool();
  if (!promtool) GTEST_SKIP() << "promtool not installed (Debian package 'prometheus')";
  start();
  (void)fetch("/nope");  // so the request counter has two children
  HttpResponse r = fetch();
  ASSERT_EQ(r.status, 200);
  for (const char* type : {"counter", "gauge", "histogram"}) {
    EXPECT_NE(r.body.find(std::string(" ") + type + "\n"), std::string::npos) << type;
  }
  auto [status, output] = run_promtool(*promtool, r.body);
  EXPECT_EQ(status, 0) << output << "\n--- scraped ---\n" << r.body;
  EXPECT_EQ(output, "") << r.body;
}

TEST(Promtool, CatchesBrokenExposition) {
  // The check above can fail: promtool rejects text that breaks the format or the lint rules.
  auto promtool = find_promtool();
  if (!promtool) GTEST_SKIP() << "promtool not installed (Debian package 'prometheus')";
  EXPECT_NE(run_promtool(*promtool, "gquic_x{a=\"b} 1\n").first, 0);
  EXPECT_NE(run_promtool(*promtool, "# TYPE gquic_x counter\ngquic_x 1\n").first, 0);
}

}  // namespace
}  // namespace gquic::observability
