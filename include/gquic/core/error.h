#pragma once
// gquic's error convention, used by every module:
//   * peer and protocol errors, bad input and exhausted resources are values: a function that
//     can fail returns `gquic::Result<T>` (a T or a std::error_code);
//   * OS errors are std::error_code in the system category, carried in the same Result;
//   * broken invariants are loud: GQUIC_ASSERT (core/assert.h);
//   * exceptions appear only where Boost.Asio demands them, and never cross the data path.
// Modules add their own `enum class` with a category of their own when the codes below do not
// say enough; `gquic::Errc` holds the codes shared by all of them.

#include <cerrno>
#include <string>
#include <system_error>
#include <type_traits>
#include <utility>
#include <variant>

namespace gquic {

enum class Errc {
  ok = 0,
  invalid_argument = 1,   // a config value or argument out of range
  truncated,              // input ended before a complete field
  malformed,              // input is complete but does not follow the format
  unsupported,            // valid, but this build or kernel cannot do it
  exhausted,              // a bounded resource (pool, queue, table) is full
  not_found,              // no such entry
  already_exists,         // an entry with that key is present
  closed,                 // the object was closed or has failed
  would_block,            // the operation would block; try again when ready
  message_too_large,      // the payload exceeds what the path or buffer can carry
};

const std::error_category& gquic_category() noexcept;

inline std::error_code make_error_code(Errc e) noexcept {
  return {static_cast<int>(e), gquic_category()};
}

// The error of the last failed system call.
inline std::error_code last_system_error() noexcept {
  return {errno, std::system_category()};
}

// A T or an error. [[nodiscard]] so a failure is never dropped silently.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}                       // NOLINT: implicit by design
  Result(std::error_code ec) : v_(ec) {}                          // NOLINT
  Result(Errc e) : v_(make_error_code(e)) {}                      // NOLINT

  bool has_value() const noexcept { return v_.index() == 0; }
  explicit operator bool() const noexcept { return has_value(); }

  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  std::error_code error() const noexcept {
    return has_value() ? std::error_code{} : std::get<1>(v_);
  }

 private:
  std::variant<T, std::error_code> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(std::error_code ec) : ec_(ec) {}                         // NOLINT
  Result(Errc e) : ec_(make_error_code(e)) {}                     // NOLINT
  bool has_value() const noexcept { return !ec_; }
  explicit operator bool() const noexcept { return has_value(); }
  std::error_code error() const noexcept { return ec_; }

 private:
  std::error_code ec_;
};

}  // namespace gquic

template <>
struct std::is_error_code_enum<gquic::Errc> : std::true_type {};
