#include "jobd/auth/password.hpp"

#include <array>

#include <sodium.h>

#include "jobd/auth/detail/sodium.hpp"
#include "jobd/model/error.hpp"

namespace jobd::auth {

std::string HashPassword(std::string_view password) {
    detail::InitSodium();
    if (password.empty()) {
        throw Error(ErrorKind::InvalidParameter, Message(MessageId::MustNotBeEmpty), "password");
    }
    std::array<char, crypto_pwhash_STRBYTES> hash{};
    // The INTERACTIVE limits are libsodium's choice for online logins; SENSITIVE takes seconds.
    if (crypto_pwhash_str_alg(hash.data(),
                              password.data(),
                              password.size(),
                              crypto_pwhash_OPSLIMIT_INTERACTIVE,
                              crypto_pwhash_MEMLIMIT_INTERACTIVE,
                              crypto_pwhash_ALG_ARGON2ID13) != 0) {
        throw Error(ErrorKind::Internal, Message(MessageId::PasswordHashFailed));
    }
    return hash.data();
}

bool VerifyPassword(std::string_view password, std::string_view stored_hash) {
    detail::InitSodium();
    // libsodium reads the hash as a C string: refuse what would be cut short or overrun.
    if (stored_hash.size() >= crypto_pwhash_STRBYTES ||
        stored_hash.find('\0') != std::string_view::npos) {
        return false;
    }
    const std::string terminated(stored_hash);
    return crypto_pwhash_str_verify(terminated.c_str(), password.data(), password.size()) == 0;
}

}  // namespace jobd::auth
