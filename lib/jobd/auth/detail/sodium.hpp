#pragma once

// libsodium start-up, shared by the auth sources.

namespace jobd::auth::detail {

// Initialises libsodium once; cheap afterwards; any thread. Throws Error(Internal) when libsodium
// cannot start (no usable random source).
void InitSodium();

}  // namespace jobd::auth::detail
