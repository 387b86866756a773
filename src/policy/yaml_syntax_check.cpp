#include "yaml_syntax_check.h"

#include <yaml.h>

namespace gquic::policy::detail {
namespace {

constexpr std::size_t kMaxEvents = 1'000'000;
constexpr std::size_t kMaxAliases = 10'000;

}  // namespace

bool check_yaml_syntax(std::string_view text, YamlSyntaxError& error) {
  yaml_parser_t parser;
  if (yaml_parser_initialize(&parser) == 0) {
    error = {0, "cannot initialise the YAML parser"};
    return false;
  }
  yaml_parser_set_input_string(&parser, reinterpret_cast<const unsigned char*>(text.data()),
                               text.size());
  std::size_t events = 0;
  std::size_t aliases = 0;
  bool ok = true;
  for (;;) {
    yaml_event_t event;
    if (yaml_parser_parse(&parser, &event) == 0) {
      error = {parser.problem_mark.line + 1,
               std::string(parser.problem != nullptr ? parser.problem : "syntax error")};
      if (parser.context != nullptr) error.message = std::string(parser.context) + ": " + error.message;
      ok = false;
      break;
    }
    const yaml_event_type_t type = event.type;
    const std::size_t line = event.start_mark.line + 1;
    yaml_event_delete(&event);
    if (type == YAML_STREAM_END_EVENT) break;
    if (type == YAML_ALIAS_EVENT && ++aliases > kMaxAliases) {
      error = {line, "more than 10000 alias references"};
      ok = false;
      break;
    }
    if (++events > kMaxEvents) {
      error = {line, "more than 1000000 YAML nodes"};
      ok = false;
      break;
    }
  }
  yaml_parser_delete(&parser);
  return ok;
}

}  // namespace gquic::policy::detail
