#pragma once
// The invariants of the fuzz targets. A broken one aborts rather than throws, so libFuzzer
// records the input as a crash and the replay driver of normal builds dies loudly on it; unlike
// assert() it stays active under NDEBUG.

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace jobd::fuzz {

inline void Check(bool holds, const char* invariant) {
    if (!holds) {
        std::fprintf(stderr, "fuzz invariant failed: %s\n", invariant);
        std::abort();
    }
}

inline std::string_view AsText(const std::uint8_t* data, std::size_t size) {
    return {reinterpret_cast<const char*>(data), size};
}

}  // namespace jobd::fuzz
