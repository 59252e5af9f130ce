#pragma once
// The one place that knows IPS fault codes and HTTP statuses (STYLE.md "Errors"; ips-jobs-api §6,
// contract §5). Pure; callable from any thread.

#include <string_view>

#include "jobd/model/error.hpp"

namespace jobd::api {

// The detail element of a SOAP fault, and the "fault" member of a JSON one.
enum class FaultElement { Authentication, Authorization, IpsApi };

struct FaultSpec {
    FaultElement element;
    int code;         // IPS fault code: 10000..10002, 20000..20009, 30000..30003
    int http_status;  // the JSON API's status
};

// The IPS fault and JSON HTTP status for a kind. SOAP answers every fault with HTTP 500, unless
// the request's authHeader/faultHttpStatusCode asks for another status (ips-jobs-api §1); the
// router applies that rule, http_status here is for JSON.
FaultSpec FaultFor(ErrorKind kind);

// "authenticationFault", "authorizationFault" or "ipsApiFault".
std::string_view FaultElementName(FaultElement element);

}  // namespace jobd::api
