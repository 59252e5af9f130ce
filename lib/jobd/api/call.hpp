#pragma once
// The neutral request types of the API (contract §5: one operation table, two encodings).
// The HTTP server fills an HttpRequest; a codec (soap_codec, json_codec) decodes it into a Call
// that the dispatcher runs; the operation's boost::json::object result goes back through the
// same codec into an HttpResponse. All are plain values: copy or move them freely between threads.

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/json/object.hpp>

#include "jobd/model/message.hpp"

namespace jobd::api {

struct HttpRequest {
    std::string method;                          // "POST"
    std::string target;                          // "/IpsApi", "/api/v1/executeJob?x=1"
    std::map<std::string, std::string> headers;  // lower-case names; repeated ones joined by ", "
    std::string body;                            // empty when body_too_large
    std::string peer;                            // "127.0.0.1:5555" or "unix:uid=0"
    std::optional<unsigned> peer_uid;            // unix socket peers (SO_PEERCRED)
    // The body exceeded api.max_body_bytes and was not read; the handler answers with its own
    // encoding's TooLarge fault, and the server closes the connection after the answer.
    bool body_too_large = false;
};

struct HttpResponse {
    int status = 200;
    std::string content_type;
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;  // extra ones, e.g. WWW-Authenticate
};

struct Credentials {             // at most one form is set
    std::string user, password;  // HTTP Basic or SOAP authHeader (user/password)
    std::string token;           // Authorization: Bearer <token>

    bool Empty() const;
};

struct Call {
    std::string operation;       // "executeJob" (the element name without "Param")
    boost::json::object params;  // the Param element's fields
    Credentials credentials;
    // The language authHeader/locale, else Accept-Language asks for (model PreferredLanguage);
    // nullopt: none jobd has a catalog for, so the router applies api.default_locale.
    std::optional<Language> language;
    std::optional<int> fault_http_status;  // SOAP authHeader/faultHttpStatusCode
    std::string soap_namespace;        // SOAP only: the namespace of the Param element, echoed back
    std::string peer;                  // "127.0.0.1:5555" or "unix:uid=0"
    std::optional<unsigned> peer_uid;  // unix socket peers (SO_PEERCRED)
};

// The value of a header (name in lower case), or "" when absent.
std::string_view HeaderValue(const HttpRequest& request, std::string_view name);

// Credentials from the Authorization header: "Basic base64(user:password)" or "Bearer <token>";
// empty when there is none. Throws jobd::Error(InvalidCredentials) naming "Authorization" for a
// header that is malformed or uses another scheme, so a typo is not reported as "no credentials".
Credentials HttpCredentials(const HttpRequest& request);

}  // namespace jobd::api
