#include "jobd/api/fault_map.hpp"

#include <cstdlib>

namespace jobd::api {

// No `default:` in these switches, so -Wswitch flags a kind added without a mapping.
FaultSpec FaultFor(ErrorKind kind) {
    switch (kind) {
        case ErrorKind::NoCredentials: return {FaultElement::Authentication, 10000, 401};
        case ErrorKind::InvalidCredentials: return {FaultElement::Authentication, 10001, 401};
        case ErrorKind::InvalidUser: return {FaultElement::Authentication, 10002, 401};
        case ErrorKind::UnknownCompany: return {FaultElement::Authorization, 20000, 403};
        case ErrorKind::NoPermission: return {FaultElement::Authorization, 20003, 403};
        case ErrorKind::NotMember: return {FaultElement::Authorization, 20006, 403};
        case ErrorKind::InvalidParameter: return {FaultElement::IpsApi, 30001, 400};
        case ErrorKind::NotFound: return {FaultElement::IpsApi, 30001, 404};
        case ErrorKind::Conflict: return {FaultElement::IpsApi, 30001, 409};
        case ErrorKind::MissingParameter: return {FaultElement::IpsApi, 30002, 400};
        case ErrorKind::InvalidRequestBody: return {FaultElement::IpsApi, 30003, 400};
        case ErrorKind::TooLarge: return {FaultElement::IpsApi, 30003, 413};
        case ErrorKind::Unavailable: return {FaultElement::IpsApi, 30000, 503};
        case ErrorKind::Internal: return {FaultElement::IpsApi, 30000, 500};
    }
    std::abort();  // unreachable: every kind returns above
}

std::string_view FaultElementName(FaultElement element) {
    switch (element) {
        case FaultElement::Authentication: return "authenticationFault";
        case FaultElement::Authorization: return "authorizationFault";
        case FaultElement::IpsApi: return "ipsApiFault";
    }
    std::abort();  // unreachable: every element returns above
}

}  // namespace jobd::api
