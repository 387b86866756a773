#pragma once
// Per-module loggers. Every module logs through `gquic::log::get("<module>")`, so levels can be
// set per module: `GQUIC_LOG=info,udp=debug` in the environment, or `configure()` from the CLI.
// Loggers write to stderr; stdout stays for a command's own output.

#include <memory>
#include <string>
#include <string_view>

#include <spdlog/spdlog.h>

#include "gquic/core/error.h"

namespace gquic::log {

// The logger of a module, created on first use with the configured level.
std::shared_ptr<spdlog::logger> get(std::string_view module);

// Applies a level spec: "LEVEL" for all modules and/or "MODULE=LEVEL" pairs, comma-separated.
// Levels: trace, debug, info, warn, error, critical, off. An unknown level or module syntax
// is an error naming the offending item; nothing is changed then.
Result<void> configure(std::string_view spec);

// Checks a level spec as configure() would, without applying it.
Result<void> validate(std::string_view spec);

// Reads GQUIC_LOG from the environment (once, at first use of get()); exposed for tests.
Result<void> configure_from_env();

}  // namespace gquic::log
