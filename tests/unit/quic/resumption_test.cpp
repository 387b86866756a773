// Session resumption and 0-RTT in simulated time (QuicPair): a first connection collects a
// session ticket; a second one resumes with it, sends stream data as 0-RTT before the
// handshake completes, and the server reads it byte for byte. A server refusing early data
// still receives the bytes (sent again in 1-RTT); a rotated ticket key means a full handshake.

#include <gtest/gtest.h>

#include "gquic/quic/endpoint.h"
#include "unit/quic/endpoint_sim.h"
#include "unit/quic/quic_pair.h"

namespace gquic::quic {
namespace {

using test::EndpointSim;
using test::QuicPair;

struct Contexts {
  std::shared_ptr<TlsContext> server, client;
};

// Fresh contexts per test: early data and the ticket key are per-context state.
Contexts make_contexts() {
  SelfSignedConfig scfg;
  scfg.alpn = {"gquic-test"};
  Contexts c;
  c.server = *TlsContext::server_self_signed(scfg);
  ClientTlsConfig ccfg;
  ccfg.ca_pem = c.server->certificate_pem();
  ccfg.alpn = {"gquic-test"};
  c.client = *TlsContext::client(ccfg);
  return c;
}

ConnectionConfig client_config(SessionTicket ticket = {}) {
  ConnectionConfig c;
  c.server_name = "localhost";
  c.session_ticket = std::move(ticket);
  return c;
}

// A full handshake that ends with a session ticket in the client's hands.
SessionTicket first_ticket(const Contexts& ctx) {
  QuicPair p(ctx.client, ctx.server, client_config(), {});
  EXPECT_TRUE(p.handshake());
  EXPECT_TRUE(
      p.run_until([&] { return QuicPair::has(p.client_events, EventKind::session_ticket); }));
  EXPECT_FALSE(p.client->is_resumed());
  EXPECT_EQ(p.client->early_data(), EarlyData::none);
  // The server may send several tickets; session_ticket() is the latest.
  const Event* last = nullptr;
  for (const auto& e : p.client_events) {
    if (e.kind == EventKind::session_ticket) last = &e;
  }
  if (last == nullptr) return {};
  EXPECT_EQ(last->data, p.client->session_ticket().data);
  return SessionTicket{last->data};
}

// Reads everything the server got on `id` so far; true once the fin was read.
bool drain(Connection& c, std::int64_t id, std::vector<std::uint8_t>& got) {
  std::uint8_t buf[4096];
  for (;;) {
    auto r = c.read_stream(id, buf);
    if (!r) return false;
    got.insert(got.end(), buf, buf + r->size);
    if (r->fin) return true;
    if (r->size == 0) return false;
  }
}

// Index of the first event of `kind`, or events.size().
std::size_t index_of(const std::vector<Event>& events, EventKind kind) {
  for (std::size_t i = 0; i < events.size(); ++i) {
    if (events[i].kind == kind) return i;
  }
  return events.size();
}

struct EarlyRun {
  std::vector<std::uint8_t> data = test::pattern(3000, 7);
  std::vector<std::uint8_t> got;
  std::int64_t id = -1;
  bool fin = false;
};

// A resumed connection that writes `run.data` (with fin) right after connect(), before any
// packet was exchanged, and runs until the server read all of it.
void send_early(QuicPair& p, EarlyRun& run) {
  auto id = p.client->open_bidi_stream();
  ASSERT_TRUE(id) << id.error().message();
  run.id = *id;
  auto n = p.client->write_stream(run.id, run.data, true);
  ASSERT_TRUE(n);
  ASSERT_EQ(*n, run.data.size());
  ASSERT_TRUE(p.run_until([&] {
    if (p.server && !run.fin) run.fin = drain(*p.server, run.id, run.got);
    return run.fin && p.client->handshake_confirmed();
  }));
}

TEST(QuicResumption, SecondConnectionResumesAndSendsZeroRtt) {
  const auto ctx = make_contexts();
  const SessionTicket ticket = first_ticket(ctx);
  ASSERT_FALSE(ticket.empty());

  QuicPair p(ctx.client, ctx.server, client_config(ticket), {});
  ASSERT_TRUE(p.client);
  EarlyRun run;
  send_early(p, run);
  EXPECT_EQ(run.got, run.data);
  EXPECT_TRUE(p.client->is_resumed());
  EXPECT_TRUE(p.server->is_resumed());
  EXPECT_EQ(p.client->early_data(), EarlyData::accepted);
  EXPECT_EQ(p.server->early_data(), EarlyData::accepted);
  EXPECT_EQ(p.server->stats().early_bytes_received, run.data.size());
  // The server saw the stream's bytes before its handshake completed.
  const std::size_t readable = index_of(p.server_events, EventKind::stream_readable);
  const std::size_t done = index_of(p.server_events, EventKind::handshake_completed);
  ASSERT_LT(done, p.server_events.size());
  EXPECT_LT(readable, done);
}

TEST(QuicResumption, ServerRefusingEarlyDataStillGetsTheBytes) {
  const auto ctx = make_contexts();
  const SessionTicket ticket = first_ticket(ctx);
  ASSERT_FALSE(ticket.empty());
  ctx.server->set_early_data(false);

  QuicPair p(ctx.client, ctx.server, client_config(ticket), {});
  ASSERT_TRUE(p.client);
  EarlyRun run;
  send_early(p, run);
  EXPECT_EQ(run.got, run.data);
  EXPECT_TRUE(p.client->is_resumed());
  EXPECT_EQ(p.client->early_data(), EarlyData::rejected);
  EXPECT_EQ(p.server->early_data(), EarlyData::none);
  EXPECT_EQ(p.server->stats().early_bytes_received, 0u);
  // Nothing arrived before the handshake: every byte came in 1-RTT.
  const std::size_t readable = index_of(p.server_events, EventKind::stream_readable);
  const std::size_t done = index_of(p.server_events, EventKind::handshake_completed);
  EXPECT_LT(done, readable);
}

TEST(QuicResumption, TicketUnderARotatedKeyMeansFullHandshake) {
  const auto ctx = make_contexts();
  const SessionTicket ticket = first_ticket(ctx);
  ASSERT_FALSE(ticket.empty());
  ASSERT_TRUE(ctx.server->rotate_session_ticket_key());

  QuicPair p(ctx.client, ctx.server, client_config(ticket), {});
  ASSERT_TRUE(p.client);
  EarlyRun run;
  send_early(p, run);
  EXPECT_EQ(run.got, run.data);
  EXPECT_FALSE(p.client->is_resumed());
  EXPECT_FALSE(p.server->is_resumed());
  EXPECT_EQ(p.client->early_data(), EarlyData::rejected);
  EXPECT_EQ(p.server->stats().early_bytes_received, 0u);
}

TEST(QuicResumption, TicketFromAnotherServerIsNotResumed) {
  const auto a = make_contexts();
  const SessionTicket ticket = first_ticket(a);
  ASSERT_FALSE(ticket.empty());
  auto b = make_contexts();  // another server: its own certificate and ticket key
  QuicPair p(b.client, b.server, client_config(ticket), {});
  ASSERT_TRUE(p.client);
  ASSERT_TRUE(p.handshake());
  EXPECT_FALSE(p.client->is_resumed());
  EXPECT_FALSE(p.server->is_resumed());
}

// Through an Endpoint: the 0-RTT packets follow the Initial to the new connection (routed by
// the client's original destination connection ID) and the echo comes back intact.
TEST(QuicResumption, ZeroRttThroughAnEndpoint) {
  const auto ctx = make_contexts();
  EndpointSim sim(ctx.server, {});
  sim.add_client(ctx.client, client_config());
  ASSERT_TRUE(sim.run_until([&] {
    for (const auto& e : sim.client_events[0]) {
      if (e.kind == EventKind::session_ticket) return true;
    }
    return false;
  }));
  const SessionTicket ticket = sim.clients[0]->session_ticket();
  ASSERT_FALSE(ticket.empty());

  const std::size_t i = sim.add_client(ctx.client, client_config(ticket));
  Connection& c = *sim.clients[i];
  const auto data = test::pattern(2000, 9);
  auto id = c.open_bidi_stream();
  ASSERT_TRUE(id) << id.error().message();
  ASSERT_EQ(*c.write_stream(*id, data, true), data.size());
  std::vector<std::uint8_t> got;
  bool fin = false;
  sim.on_step = [&] {
    sim.echo_streams();
    if (!fin) fin = drain(c, *id, got);
  };
  ASSERT_TRUE(sim.run_until([&] { return fin; }));
  EXPECT_EQ(got, data);
  EXPECT_TRUE(c.is_resumed());
  EXPECT_EQ(c.early_data(), EarlyData::accepted);
  std::uint64_t early = 0;
  for (const auto& e : sim.server_events) {
    if (Connection* sc = sim.endpoint->connection(e.connection)) {
      early = std::max(early, sc->stats().early_bytes_received);
    }
  }
  EXPECT_EQ(early, data.size());
}

TEST(QuicResumption, MalformedTicketIsRefused) {
  const auto ctx = make_contexts();
  SessionTicket bad{{'G', 'Q', 'T', '1', 0, 0, 0, 9, 1}};
  auto c = Connection::connect(ctx.client, client_config(bad), QuicPair::client_path(),
                               TimePoint{});
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error(), make_error_code(Errc::malformed));
}

TEST(QuicResumption, ServerContextRotatesOnlyAsServer) {
  const auto ctx = make_contexts();
  EXPECT_FALSE(ctx.client->rotate_session_ticket_key());
  EXPECT_TRUE(ctx.server->early_data());
  ctx.server->set_early_data(false);
  EXPECT_FALSE(ctx.server->early_data());
}

}  // namespace
}  // namespace gquic::quic
