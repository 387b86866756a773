// PLACEHOLDER: replaced by the quic command group.
#include "quic_command.h"

namespace gquic::cli {

CommandRunner add_quic_command(CLI::App&) {
  return [] { return -1; };
}

}  // namespace gquic::cli
