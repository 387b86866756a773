#pragma once
// DERP private keys on disk: one line of 64 hex digits (the Curve25519 private key), mode 0600.
// The relay keeps its identity in `<state_dir>/derp.key`; clients use a `--key-file`.

#include <filesystem>

#include "gquic/core/error.h"
#include "gquic/derp/handshake.h"

namespace gquic::derp {

Result<KeyPair> read_key_file(const std::filesystem::path& path);
// Writes atomically (a temporary file renamed over `path`), mode 0600.
Result<void> write_key_file(const std::filesystem::path& path, const KeyPair& key);
// Reads the key, or creates the file (and its directory) with a new key when it is missing.
Result<KeyPair> load_or_create_key_file(const std::filesystem::path& path);

}  // namespace gquic::derp
