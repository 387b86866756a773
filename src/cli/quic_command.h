#pragma once
// `gquic perf server|client` (draft-banks-quic-performance over gquic's QUIC driver) and
// `gquic interop` (a quic-interop-runner endpoint run natively, configured by environment).
#include <CLI/CLI.hpp>

#include "command_runner.h"

namespace gquic::cli {

CommandRunner add_quic_command(CLI::App& app);

}  // namespace gquic::cli
