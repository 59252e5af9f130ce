#pragma once
// Text helpers: hygiene for what children print (PostgreSQL text and JSON need valid UTF-8
// without NUL) and header-value trimming.

#include <string>
#include <string_view>

namespace jobd {

// Replaces each invalid UTF-8 sequence with U+FFFD and each NUL with U+FFFD.
std::string SanitizeUtf8(std::string_view text);

// `text` without leading and trailing spaces and tabs (HTTP header values, RFC 9110 §5.5).
std::string_view Trim(std::string_view text);

}  // namespace jobd
