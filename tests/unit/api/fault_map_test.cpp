#include "jobd/api/fault_map.hpp"

#include <gtest/gtest.h>

namespace jobd::api {
namespace {

struct FaultCase {
    ErrorKind kind;
    FaultElement element;
    int code;
    int http_status;
};

// ips-jobs-api §6 codes, contract §5 JSON statuses.
constexpr FaultCase kFaultCases[] = {
    {ErrorKind::NoCredentials, FaultElement::Authentication, 10000, 401},
    {ErrorKind::InvalidCredentials, FaultElement::Authentication, 10001, 401},
    {ErrorKind::InvalidUser, FaultElement::Authentication, 10002, 401},
    {ErrorKind::UnknownCompany, FaultElement::Authorization, 20000, 403},
    {ErrorKind::NoPermission, FaultElement::Authorization, 20003, 403},
    {ErrorKind::NotMember, FaultElement::Authorization, 20006, 403},
    {ErrorKind::InvalidParameter, FaultElement::IpsApi, 30001, 400},
    {ErrorKind::NotFound, FaultElement::IpsApi, 30001, 404},
    {ErrorKind::Conflict, FaultElement::IpsApi, 30001, 409},
    {ErrorKind::MissingParameter, FaultElement::IpsApi, 30002, 400},
    {ErrorKind::InvalidRequestBody, FaultElement::IpsApi, 30003, 400},
    {ErrorKind::TooLarge, FaultElement::IpsApi, 30003, 413},
    {ErrorKind::Unavailable, FaultElement::IpsApi, 30000, 503},
    {ErrorKind::Internal, FaultElement::IpsApi, 30000, 500},
};

TEST(FaultFor, MapsEveryKindToItsIpsCodeAndJsonStatus) {
    for (const FaultCase& expected : kFaultCases) {
        const FaultSpec fault = FaultFor(expected.kind);
        SCOPED_TRACE(expected.code);
        EXPECT_EQ(fault.element, expected.element);
        EXPECT_EQ(fault.code, expected.code);
        EXPECT_EQ(fault.http_status, expected.http_status);
    }
}

TEST(FaultElementName, SpellsTheIpsDetailElements) {
    EXPECT_EQ(FaultElementName(FaultElement::Authentication), "authenticationFault");
    EXPECT_EQ(FaultElementName(FaultElement::Authorization), "authorizationFault");
    EXPECT_EQ(FaultElementName(FaultElement::IpsApi), "ipsApiFault");
}

}  // namespace
}  // namespace jobd::api
