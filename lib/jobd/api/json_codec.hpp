#pragma once
// The JSON encoding of the API (contract §5): POST /api/v1/<operation> with a JSON object of the
// IPS fields; the answer is the return element's fields, or {"fault", "code", "reason"}.
// Pure; callable from any thread.

#include <string>
#include <string_view>

#include <boost/json/object.hpp>

#include "jobd/api/call.hpp"
#include "jobd/api/fault_map.hpp"

namespace jobd::api {

inline constexpr std::string_view kJsonContentType = "application/json";

// The request as a Call for `operation` (taken from the target by the router). An empty body is
// {}. Credentials come from HTTP Basic or Bearer, the language from Accept-Language.
// Throws jobd::Error: InvalidRequestBody when the body is not a JSON object (or nests deeper than
// 32 levels), InvalidCredentials for a malformed Authorization header.
Call DecodeJson(const HttpRequest& request, std::string_view operation);

// The operation's result as the response body.
std::string EncodeJsonReturn(const boost::json::object& result);

// {"fault":"ipsApiFault","code":30001,"reason":"…"}; the HTTP status is fault.http_status.
std::string EncodeJsonFault(const FaultSpec& fault, std::string_view reason);

}  // namespace jobd::api
