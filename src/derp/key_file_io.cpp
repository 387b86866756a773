#include "gquic/derp/key_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

namespace gquic::derp {

Result<KeyPair> read_key_file(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) return std::error_code(errno != 0 ? errno : ENOENT, std::system_category());
  std::string line;
  std::getline(in, line);
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
  auto priv = parse_mesh_key(line);  // the same 64-hex form
  if (!priv) return Errc::malformed;
  KeyPair kp;
  kp.private_key = *priv;
  kp.public_key = public_key_of(kp.private_key);
  return kp;
}

Result<void> write_key_file(const std::filesystem::path& path, const KeyPair& key) {
  std::error_code ec;
  if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path(), ec);
  if (ec) return ec;
  const std::filesystem::path tmp = path.string() + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return last_system_error();
  Key k;
  std::copy(key.private_key.begin(), key.private_key.end(), k.begin());
  const std::string text = key_hex(k) + "\n";
  const bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) &&
                  ::fsync(fd) == 0;
  const auto err = last_system_error();
  ::close(fd);
  if (!ok) return err;
  if (::rename(tmp.c_str(), path.c_str()) != 0) return last_system_error();
  return {};
}

Result<KeyPair> load_or_create_key_file(const std::filesystem::path& path) {
  std::error_code ec;
  if (std::filesystem::exists(path, ec)) return read_key_file(path);
  KeyPair kp = generate_key_pair();
  if (auto r = write_key_file(path, kp); !r) return r.error();
  return kp;
}

}  // namespace gquic::derp
