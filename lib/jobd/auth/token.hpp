#pragma once
// API tokens (contract §6): shown to the user once, stored only as their SHA-256 digest. A token
// is "jobd_" and 43 URL-safe base64 characters (32 random bytes), so it is recognisable in logs
// and secret scanners and safe in headers and URLs. Any thread.

#include <string>
#include <string_view>

namespace jobd::auth {

// A fresh token from libsodium's CSPRNG.
std::string NewToken();

// Lowercase hex SHA-256 of the token, the form the store keeps and looks up. A plain hash is
// enough: the token carries 256 random bits, so there is nothing to brute-force.
std::string TokenDigest(std::string_view token);

}  // namespace jobd::auth
