#include "jobd/auth/detail/sodium.hpp"

#include <sodium.h>

#include "jobd/model/error.hpp"

namespace jobd::auth::detail {

void InitSodium() {
    // sodium_init is itself thread-safe and idempotent; the static only saves repeat calls.
    static const bool ready = sodium_init() >= 0;
    if (!ready) {
        throw Error(ErrorKind::Internal, Message(MessageId::SodiumInitFailed));
    }
}

}  // namespace jobd::auth::detail
