#include "jobd/client/credentials.hpp"

#include <algorithm>
#include <cstdint>

namespace jobd::client {

std::string Base64Encode(std::string_view bytes) {
    static constexpr std::string_view kAlphabet =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    out.reserve((bytes.size() + 2) / 3 * 4);
    for (std::size_t i = 0; i < bytes.size(); i += 3) {
        const std::size_t count = std::min<std::size_t>(3, bytes.size() - i);
        std::uint32_t group = 0;
        for (std::size_t j = 0; j < 3; ++j) {
            const auto byte = j < count ? static_cast<unsigned char>(bytes[i + j]) : 0U;
            group = (group << 8) | byte;
        }
        // `count` bytes fill count + 1 sextets; the rest of the quartet is padding.
        for (std::size_t j = 0; j < 4; ++j) {
            out += j <= count ? kAlphabet[(group >> (18 - 6 * j)) & 0x3F] : '=';
        }
    }
    return out;
}

std::optional<std::string> AuthorizationFor(const Credentials& credentials) {
    if (!credentials.token.empty()) {
        return "Bearer " + credentials.token;
    }
    if (!credentials.user.empty()) {
        return "Basic " + Base64Encode(credentials.user + ":" + credentials.password);
    }
    return std::nullopt;
}

}  // namespace jobd::client
