#include "gquic/core/error.h"

namespace gquic {
namespace {

class GquicCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "gquic"; }
  std::string message(int code) const override {
    switch (static_cast<Errc>(code)) {
      case Errc::ok: return "success";
      case Errc::invalid_argument: return "invalid argument";
      case Errc::truncated: return "input truncated";
      case Errc::malformed: return "malformed input";
      case Errc::unsupported: return "not supported";
      case Errc::exhausted: return "resource exhausted";
      case Errc::not_found: return "not found";
      case Errc::already_exists: return "already exists";
      case Errc::closed: return "closed";
      case Errc::would_block: return "operation would block";
      case Errc::message_too_large: return "message too large";
    }
    return "unknown gquic error " + std::to_string(code);
  }
};

}  // namespace

const std::error_category& gquic_category() noexcept {
  static const GquicCategory category;
  return category;
}

}  // namespace gquic
