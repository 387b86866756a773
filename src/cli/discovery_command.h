#pragma once
// PLACEHOLDER: replaced by the discovery command group.
#include <CLI/CLI.hpp>

#include "command_runner.h"

namespace gquic::cli {

CommandRunner add_discovery_command(CLI::App& app);

}  // namespace gquic::cli
