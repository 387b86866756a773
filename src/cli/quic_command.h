#pragma once
// PLACEHOLDER: replaced by the quic command group.
#include <CLI/CLI.hpp>

#include "command_runner.h"

namespace gquic::cli {

CommandRunner add_quic_command(CLI::App& app);

}  // namespace gquic::cli
