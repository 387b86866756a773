// The node's TOML configuration (the only toml++ translation unit).
#include "gquic/node/node_config.h"

#include <cctype>
#include <fstream>
#include <sstream>

// toml++ is header-only here, so the fuzz build instruments the parser too. Its parse errors
// are exceptions, caught below at this one boundary. toml++ 3.3.0 also has internal
// assertions that malformed input can reach (found by tests/fuzz/node_config); in release
// builds they would become compiler assumptions, that is undefined behaviour. gquic turns them
// into an exception as well, so such input is one more syntax error.
#define TOML_HEADER_ONLY 1
#define TOML_EXCEPTIONS 1
#include <toml++/impl/preprocessor.h>

namespace gquic::node::detail {
struct TomlInternalCheckFailed {
  int line;
};
[[noreturn]] inline void toml_internal_check_failed(int line) { throw TomlInternalCheckFailed{line}; }
}  // namespace gquic::node::detail

#undef TOML_ASSERT
#define TOML_ASSERT(expr) \
  ((expr) ? static_cast<void>(0) : ::gquic::node::detail::toml_internal_check_failed(__LINE__))
#undef TOML_ASSERT_ASSUME
#define TOML_ASSERT_ASSUME(expr) TOML_ASSERT(expr)
#include <toml++/toml.h>

#include "gquic/core/log.h"
#include "gquic/core/utf8.h"

namespace gquic::node {
namespace {

constexpr std::size_t kMaxConfigBytes = 1 << 20;

class Reader {
 public:
  explicit Reader(std::string* why) : why_(why) {}

  Result<void> fail(std::string_view key, const toml::node* n, std::string_view message) {
    if (why_ != nullptr) {
      *why_ = std::string(key);
      if (n != nullptr && n->source().begin.line > 0) {
        *why_ += " (line " + std::to_string(n->source().begin.line) + ")";
      }
      *why_ += ": ";
      *why_ += message;
    }
    return Errc::invalid_argument;
  }

  // Rejects keys a section does not know, so a typo is an error rather than a silent default.
  Result<void> only_keys(const toml::table& t, std::string_view section,
                         std::initializer_list<std::string_view> known) {
    for (const auto& [k, v] : t) {
      bool found = false;
      for (auto name : known) found = found || k.str() == name;
      if (!found) {
        return fail(std::string(section) + "." + std::string(k.str()), &v, "unknown key");
      }
    }
    return {};
  }

  Result<void> read_bool(const toml::table& t, std::string_view section, std::string_view key,
                         bool& out) {
    const toml::node* n = t.get(key);
    if (n == nullptr) return {};
    if (!n->is_boolean()) return fail(full(section, key), n, "expected true or false");
    out = n->as_boolean()->get();
    return {};
  }

  template <typename Int>
  Result<void> read_int(const toml::table& t, std::string_view section, std::string_view key,
                        Int& out, std::int64_t min, std::int64_t max) {
    const toml::node* n = t.get(key);
    if (n == nullptr) return {};
    if (!n->is_integer()) return fail(full(section, key), n, "expected an integer");
    const std::int64_t v = n->as_integer()->get();
    if (v < min || v > max) {
      return fail(full(section, key), n,
                  "must be " + std::to_string(min) + ".." + std::to_string(max));
    }
    out = static_cast<Int>(v);
    return {};
  }

  Result<void> read_string(const toml::table& t, std::string_view section, std::string_view key,
                           std::string& out) {
    const toml::node* n = t.get(key);
    if (n == nullptr) return {};
    if (!n->is_string()) return fail(full(section, key), n, "expected a string");
    out = n->as_string()->get();
    return {};
  }

  Result<void> read_address(const toml::node* n, const std::string& key, SocketAddress& out) {
    if (!n->is_string()) return fail(key, n, "expected \"IP:PORT\"");
    auto a = SocketAddress::parse(n->as_string()->get());
    if (!a) return fail(key, n, "not an IP:PORT address (IPv6 as [addr]:port)");
    out = *a;
    return {};
  }

  static std::string full(std::string_view section, std::string_view key) {
    return std::string(section) + "." + std::string(key);
  }

 private:
  std::string* why_;
};

// toml++ 3.3.0 asserts (and in release builds assumes) that a table header's '[' is followed
// by a key character; malformed input breaks that. Reject such headers before the parser sees
// them. (A '[' at the start of a line inside a multi-line string is caught too; no value of
// this config can be a multi-line string.)
bool table_headers_well_formed(std::string_view text, std::size_t& bad_line) {
  std::size_t line = 1;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view l = text.substr(pos, end - pos);
    std::size_t i = l.find_first_not_of(" \t");
    if (i != std::string_view::npos && l[i] == '[') {
      ++i;
      if (i < l.size() && l[i] == '[') ++i;
      while (i < l.size() && (l[i] == ' ' || l[i] == '\t')) ++i;
      const bool key_start =
          i < l.size() && (std::isalnum(static_cast<unsigned char>(l[i])) || l[i] == '_' ||
                           l[i] == '-' || l[i] == '"' || l[i] == '\'');
      if (!key_start) {
        bad_line = line;
        return false;
      }
    }
    pos = end + 1;
    ++line;
  }
  return true;
}

// toml++ 3.3.0's test for non-ASCII whitespace reaches an unreachable branch for many code
// points (U+00A1..U+0499 among them) wherever the parser looks for whitespace, which depends on
// how far it got in malformed text. No value of this config needs more than ASCII, so the file
// must be ASCII, comments included. Returns the line of the first other byte, or 0.
std::size_t first_non_ascii_line(std::string_view t) {
  std::size_t line = 1;
  for (const char c : t) {
    if (c == '\n') ++line;
    if (static_cast<unsigned char>(c) >= 0x80) return line;
  }
  return 0;
}

#define GQUIC_TRY(expr)             \
  do {                              \
    if (auto r_ = (expr); !r_) {    \
      return r_.error();            \
    }                               \
  } while (false)

}  // namespace

Result<NodeConfig> parse_node_config(std::string_view text, std::string* why) {
  Reader rd(why);
  if (text.size() > kMaxConfigBytes) return rd.fail("config", nullptr, "larger than 1 MiB").error();
  if (!is_valid_utf8(text)) return rd.fail("config", nullptr, "not valid UTF-8").error();
  if (text.find('\0') != std::string_view::npos) {
    return rd.fail("config", nullptr, "contains a NUL byte").error();
  }
  if (std::size_t bad_line = first_non_ascii_line(text); bad_line != 0) {
    if (why != nullptr) {
      *why = "line " + std::to_string(bad_line) + ": only ASCII text is accepted in the config";
    }
    return Errc::malformed;
  }
  if (std::size_t bad_line = 0; !table_headers_well_formed(text, bad_line)) {
    if (why != nullptr) {
      *why = "TOML syntax (line " + std::to_string(bad_line) + "): a table name must follow '['";
    }
    return Errc::malformed;
  }
  toml::table parsed;
  try {
    parsed = toml::parse(text);
  } catch (const toml::parse_error& err) {
    if (why != nullptr) {
      *why = "TOML syntax (line " + std::to_string(err.source().begin.line) + ", column " +
             std::to_string(err.source().begin.column) + "): " + std::string(err.description());
    }
    return Errc::malformed;
  } catch (const detail::TomlInternalCheckFailed&) {
    if (why != nullptr) *why = "TOML syntax: the parser rejected the text";
    return Errc::malformed;
  } catch (const std::exception& e) {
    if (why != nullptr) *why = std::string("TOML parser failed: ") + e.what();
    return Errc::malformed;
  }
  const toml::table& root = parsed;
  NodeConfig c;
  GQUIC_TRY(rd.only_keys(root, "config", {"node", "udp", "metrics"}));
  for (const auto& [k, v] : root) {
    if (!v.is_table()) return rd.fail(std::string(k.str()), &v, "expected a [section]").error();
  }

  if (const toml::table* node = root["node"].as_table()) {
    GQUIC_TRY(rd.only_keys(*node, "node", {"log"}));
    GQUIC_TRY(rd.read_string(*node, "node", "log", c.log));
    if (!log::validate(c.log)) {
      return rd.fail("node.log", node->get("log"),
                     "not a log level spec (LEVEL and/or MODULE=LEVEL: trace, debug, info, warn, "
                     "error, critical, off)")
          .error();
    }
  }

  if (const toml::table* udp = root["udp"].as_table()) {
    GQUIC_TRY(rd.only_keys(*udp, "udp",
                           {"listen", "additional", "strategy", "load_balancing", "migration",
                            "multipath", "batch_size", "gso", "gro", "recv_buffer_bytes",
                            "send_buffer_bytes", "max_connections_per_socket",
                            "local_cid_length"}));
    if (const toml::node* n = udp->get("listen")) GQUIC_TRY(rd.read_address(n, "udp.listen", c.udp.listen));
    if (const toml::node* n = udp->get("additional")) {
      const toml::array* arr = n->as_array();
      if (arr == nullptr) return rd.fail("udp.additional", n, "expected a list of \"IP:PORT\"").error();
      if (arr->size() > 64) return rd.fail("udp.additional", n, "at most 64 addresses").error();
      for (std::size_t i = 0; i < arr->size(); ++i) {
        SocketAddress a;
        GQUIC_TRY(rd.read_address(arr->get(i), "udp.additional[" + std::to_string(i) + "]", a));
        c.udp.additional.push_back(a);
      }
    }
    if (const toml::node* n = udp->get("strategy")) {
      std::string s;
      GQUIC_TRY(rd.read_string(*udp, "udp", "strategy", s));
      auto parsed_strategy = udp_mux_advanced::parse_strategy(s);
      if (!parsed_strategy) {
        return rd.fail("udp.strategy", n, "one of round-robin, least-loaded, consistent-hash").error();
      }
      c.udp.strategy = *parsed_strategy;
    }
    GQUIC_TRY(rd.read_bool(*udp, "udp", "load_balancing", c.udp.load_balancing));
    GQUIC_TRY(rd.read_bool(*udp, "udp", "migration", c.udp.migration));
    GQUIC_TRY(rd.read_bool(*udp, "udp", "multipath", c.udp.multipath));
    GQUIC_TRY(rd.read_bool(*udp, "udp", "gso", c.udp.gso));
    GQUIC_TRY(rd.read_bool(*udp, "udp", "gro", c.udp.gro));
    GQUIC_TRY(rd.read_int(*udp, "udp", "batch_size", c.udp.batch_size, 1, 1024));
    GQUIC_TRY(rd.read_int(*udp, "udp", "recv_buffer_bytes", c.udp.recv_buffer_bytes, 0, 1 << 30));
    GQUIC_TRY(rd.read_int(*udp, "udp", "send_buffer_bytes", c.udp.send_buffer_bytes, 0, 1 << 30));
    GQUIC_TRY(rd.read_int(*udp, "udp", "max_connections_per_socket",
                          c.udp.max_connections_per_socket, 1, 1 << 24));
    GQUIC_TRY(rd.read_int(*udp, "udp", "local_cid_length", c.udp.local_cid_length, 0, 20));
  }

  if (const toml::table* metrics = root["metrics"].as_table()) {
    GQUIC_TRY(rd.only_keys(*metrics, "metrics", {"enabled", "listen"}));
    GQUIC_TRY(rd.read_bool(*metrics, "metrics", "enabled", c.metrics.enabled));
    if (const toml::node* n = metrics->get("listen")) {
      GQUIC_TRY(rd.read_address(n, "metrics.listen", c.metrics.listen));
    }
  }
  return c;
}

Result<NodeConfig> load_node_config(const std::string& path, std::string* why) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (why != nullptr) *why = path + ": cannot open";
    return std::error_code(errno != 0 ? errno : ENOENT, std::system_category());
  }
  std::string text;
  char chunk[4096];
  while (in.read(chunk, sizeof chunk) || in.gcount() > 0) {
    text.append(chunk, static_cast<std::size_t>(in.gcount()));
    if (text.size() > kMaxConfigBytes) {
      if (why != nullptr) *why = path + ": larger than 1 MiB";
      return Errc::invalid_argument;
    }
  }
  auto c = parse_node_config(text, why);
  if (!c && why != nullptr) *why = path + ": " + *why;
  return c;
}

}  // namespace gquic::node
