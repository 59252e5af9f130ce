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

std::string CredentialCache::KeyFor(std::string_view email,
                                    std::string_view password,
                                    std::string_view stored_hash) const {
    crypto_auth_hmacsha256_state state;
    crypto_auth_hmacsha256_init(
        &state, reinterpret_cast<const unsigned char*>(hmac_key_.data()), hmac_key_.size());
    AddField(state, email);
    AddField(state, password);
    AddField(state, stored_hash);
    std::string key(crypto_auth_hmacsha256_BYTES, '\0');
    crypto_auth_hmacsha256_final(&state, reinterpret_cast<unsigned char*>(key.data()));
    sodium_memzero(&state, sizeof state);
    return key;
}

bool CredentialCache::Contains(const std::string& key, Clock::time_point now) {
    const std::lock_guard lock(mutex_);
    DropExpired(now);
    return expiry_.contains(key);
}

void CredentialCache::Insert(const std::string& key, Clock::time_point now) {
    const std::lock_guard lock(mutex_);
    DropExpired(now);
    if (const auto found = expiry_.find(key); found != expiry_.end()) {
        by_expiry_.erase({found->second, key});
        expiry_.erase(found);
    }
    while (expiry_.size() >= max_entries_) {
        expiry_.erase(by_expiry_.begin()->second);
        by_expiry_.erase(by_expiry_.begin());
    }
    const Clock::time_point expiry = now + ttl_;
    expiry_.emplace(key, expiry);
    by_expiry_.emplace(expiry, key);
}

void CredentialCache::DropExpired(Clock::time_point now) {
    while (!by_expiry_.empty() && by_expiry_.begin()->first <= now) {
        expiry_.erase(by_expiry_.begin()->second);
        by_expiry_.erase(by_expiry_.begin());
    }
}

}  // namespace jobd::auth
