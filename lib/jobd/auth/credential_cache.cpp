#include "jobd/auth/credential_cache.hpp"

#include <algorithm>
#include <array>
#include <cstdint>

#include <sodium.h>

#include "jobd/auth/detail/sodium.hpp"

namespace jobd::auth {
namespace {

// Each field is preceded by its length, so ("ab", "c") and ("a", "bc") hash differently.
void AddField(crypto_auth_hmacsha256_state& state, std::string_view field) {
    std::array<unsigned char, 8> length{};
    std::uint64_t size = field.size();
    for (unsigned char& byte : length) {
        byte = static_cast<unsigned char>(size & 0xFF);
        size >>= 8;
    }
    crypto_auth_hmacsha256_update(&state, length.data(), length.size());
    crypto_auth_hmacsha256_update(
        &state, reinterpret_cast<const unsigned char*>(field.data()), field.size());
}

std::string RandomKey() {
    detail::InitSodium();
    std::string key(crypto_auth_hmacsha256_KEYBYTES, '\0');
    randombytes_buf(key.data(), key.size());
    return key;
}

}  // namespace

CredentialCache::CredentialCache(Clock::duration ttl, std::size_t max_entries)
    : ttl_(ttl), max_entries_(std::max<std::size_t>(1, max_entries)), hmac_key_(RandomKey()) {}

std::string CredentialCache::KeyFor(std::string_view email, std::string_view password) const {
    crypto_auth_hmacsha256_state state;
    crypto_auth_hmacsha256_init(
        &state, reinterpret_cast<const unsigned char*>(hmac_key_.data()), hmac_key_.size());
    AddField(state, email);
    AddField(state, password);
    std::string key(crypto_auth_hmacsha256_BYTES, '\0');
    crypto_auth_hmacsha256_final(&state, reinterpret_cast<unsigned char*>(key.data()));
    sodium_memzero(&state, sizeof state);
    return key;
}

std::optional<std::string> CredentialCache::VerifiedHash(const std::string& key,
                                                         Clock::time_point now) {
    const std::lock_guard lock(mutex_);
    DropExpired(now);
    const auto found = checks_.find(key);
    if (found == checks_.end()) {
        return std::nullopt;
    }
    return found->second.stored_hash;
}

void CredentialCache::Insert(const std::string& key,
                             std::string stored_hash,
                             Clock::time_point now) {
    const std::lock_guard lock(mutex_);
    DropExpired(now);
    if (const auto found = checks_.find(key); found != checks_.end()) {
        by_expiry_.erase({found->second.expiry, key});
        checks_.erase(found);
    }
    while (checks_.size() >= max_entries_) {
        DropOldest();
    }
    const Clock::time_point expiry = now + ttl_;
    checks_.emplace(key, Check{expiry, std::move(stored_hash)});
    by_expiry_.emplace(expiry, key);
}

void CredentialCache::DropExpired(Clock::time_point now) {
    while (!by_expiry_.empty() && by_expiry_.begin()->first <= now) {
        DropOldest();
    }
}

void CredentialCache::DropOldest() {
    checks_.erase(by_expiry_.begin()->second);
    by_expiry_.erase(by_expiry_.begin());
}

}  // namespace jobd::auth
