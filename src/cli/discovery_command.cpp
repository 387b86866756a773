// PLACEHOLDER: replaced by the discovery command group.
#include "discovery_command.h"

namespace gquic::cli {

CommandRunner add_discovery_command(CLI::App&) {
  return [] { return -1; };
}

}  // namespace gquic::cli
