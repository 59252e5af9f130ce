#pragma once
// Password hashing for stored users (contract §6): libsodium Argon2id in its self-describing
// string form ("$argon2id$v=19$m=65536,t=2,p=1$..."), salt included. Any thread, but each call
// costs ~50-100 ms of CPU and 64 MiB: run it on a worker thread, never on the io thread, and
// put CredentialCache in front of VerifyPassword for per-request checks.

#include <string>
#include <string_view>

namespace jobd::auth {

// Throws Error(InvalidParameter, field "password") for an empty password and Error(Internal)
// when the memory for Argon2id cannot be had.
std::string HashPassword(std::string_view password);

// True when `password` matches `stored_hash`; false for a wrong password or a malformed hash.
bool VerifyPassword(std::string_view password, std::string_view stored_hash);

}  // namespace jobd::auth
