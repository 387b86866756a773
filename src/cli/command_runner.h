#pragma once
// How main.cpp runs a command group: add_<group>_command(app) registers the group's
// subcommands and returns a runner; the runner returns -1 when none of the group's
// subcommands was parsed, else the command's exit code (0 ok, 1 runtime failure, 2 bad usage).

#include <functional>

namespace gquic::cli {

using CommandRunner = std::function<int()>;

}  // namespace gquic::cli
