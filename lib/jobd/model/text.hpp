#pragma once
// Text hygiene for what children print: PostgreSQL text and JSON need valid UTF-8 without NUL.

#include <string>
#include <string_view>

namespace jobd {

// Replaces each invalid UTF-8 sequence with U+FFFD and each NUL with U+FFFD.
std::string SanitizeUtf8(std::string_view text);

}  // namespace jobd
