#include "jobd/auth/token.hpp"

#include <array>

#include <sodium.h>

#include "jobd/auth/detail/sodium.hpp"

namespace jobd::auth {
namespace {

constexpr std::string_view kTokenPrefix = "jobd_";
constexpr std::size_t kTokenBytes = 32;
constexpr int kBase64Variant = sodium_base64_VARIANT_URLSAFE_NO_PADDING;

}  // namespace

std::string NewToken() {
    detail::InitSodium();
    std::array<unsigned char, kTokenBytes> random{};
    randombytes_buf(random.data(), random.size());
    std::array<char, sodium_base64_ENCODED_LEN(kTokenBytes, kBase64Variant)> text{};
    sodium_bin2base64(text.data(), text.size(), random.data(), random.size(), kBase64Variant);
    sodium_memzero(random.data(), random.size());
    return std::string(kTokenPrefix) + text.data();
}

std::string TokenDigest(std::string_view token) {
    detail::InitSodium();
    std::array<unsigned char, crypto_hash_sha256_BYTES> digest{};
    crypto_hash_sha256(
        digest.data(), reinterpret_cast<const unsigned char*>(token.data()), token.size());
    std::array<char, crypto_hash_sha256_BYTES * 2 + 1> hex{};
    sodium_bin2hex(hex.data(), hex.size(), digest.data(), digest.size());
    return hex.data();
}

}  // namespace jobd::auth
