#pragma once
// UTF-8 validation for text that crosses a trust boundary (config files, label values, DNS
// TXT data): well-formed sequences only — no overlong forms, surrogates or code points past
// U+10FFFF.

#include <string_view>

namespace gquic {

bool is_valid_utf8(std::string_view s) noexcept;

}  // namespace gquic
