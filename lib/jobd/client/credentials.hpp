#pragma once
// HTTP credentials for the JSON API (contract §5): a bearer token or HTTP Basic user/password,
// taken from JOBD_TOKEN or JOBD_USER/JOBD_PASSWORD. Pure. The values are secrets: nothing here
// logs or prints them.

#include <optional>
#include <string>
#include <string_view>

namespace jobd::client {

struct Credentials {
    std::string user;      // JOBD_USER, an email
    std::string password;  // JOBD_PASSWORD
    std::string token;     // JOBD_TOKEN; wins over user/password when both are set

    bool Empty() const { return user.empty() && token.empty(); }
};

// The Authorization header value, or nullopt when there is nothing to send.
std::optional<std::string> AuthorizationFor(const Credentials& credentials);

// RFC 4648 base64 with padding, for HTTP Basic.
std::string Base64Encode(std::string_view bytes);

}  // namespace jobd::client
