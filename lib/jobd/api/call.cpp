#include "jobd/api/call.hpp"

#include <algorithm>
#include <cctype>

#include <sodium.h>

#include "jobd/model/error.hpp"
#include "jobd/model/text.hpp"

namespace jobd::api {
namespace {

// Authentication schemes are case-insensitive (RFC 9110 §11.1).
bool SchemeIs(std::string_view scheme, std::string_view expected) {
    return std::equal(
        scheme.begin(), scheme.end(), expected.begin(), expected.end(), [](char a, char b) {
            return std::tolower(static_cast<unsigned char>(a)) ==
                   std::tolower(static_cast<unsigned char>(b));
        });
}

Error BadAuthorization(MessageId problem) {
    return Error(ErrorKind::InvalidCredentials, Message(problem), "Authorization");
}

Credentials DecodeBasic(std::string_view encoded) {
    std::string decoded(encoded.size(), '\0');
    std::size_t decoded_size = 0;
    if (sodium_base642bin(reinterpret_cast<unsigned char*>(decoded.data()),
                          decoded.size(),
                          encoded.data(),
                          encoded.size(),
                          nullptr,
                          &decoded_size,
                          nullptr,
                          sodium_base64_VARIANT_ORIGINAL) != 0) {
        throw BadAuthorization(MessageId::BasicNotBase64);
    }
    decoded.resize(decoded_size);
    const auto colon = decoded.find(':');
    if (colon == std::string::npos) {
        throw BadAuthorization(MessageId::BasicNoColon);
    }
    Credentials credentials;
    credentials.user = decoded.substr(0, colon);
    credentials.password = decoded.substr(colon + 1);
    return credentials;
}

}  // namespace

bool Credentials::Empty() const {
    return user.empty() && password.empty() && token.empty();
}

std::string_view HeaderValue(const HttpRequest& request, std::string_view name) {
    const auto found = request.headers.find(std::string(name));
    return found == request.headers.end() ? std::string_view() : std::string_view(found->second);
}

Credentials HttpCredentials(const HttpRequest& request) {
    const std::string_view header = Trim(HeaderValue(request, "authorization"));
    if (header.empty()) {
        return {};
    }
    const auto space = header.find(' ');
    const std::string_view scheme = header.substr(0, space);
    const std::string_view value =
        space == std::string_view::npos ? std::string_view() : Trim(header.substr(space));
    if (SchemeIs(scheme, "Basic")) {
        return DecodeBasic(value);
    }
    if (SchemeIs(scheme, "Bearer") && !value.empty()) {
        Credentials credentials;
        credentials.token = std::string(value);
        return credentials;
    }
    throw BadAuthorization(MessageId::UnknownAuthScheme);
}

}  // namespace jobd::api
