#pragma once
// The SOAP 1.1 encoding of the API (contract §5, ips-jobs-api §1, §6): document/literal
// <opNameParam> requests, enveloped or bare, in the pre-4.0 IPS namespace or a dated one; answers
// <opNameReturn> or a SOAP fault in the namespace the request used. Pure; callable from any
// thread.

#include <string>
#include <string_view>

#include <boost/json/object.hpp>

#include "jobd/api/call.hpp"
#include "jobd/api/fault_map.hpp"

namespace jobd::api {

inline constexpr std::string_view kSoapEnvelopeNamespace =
    "http://schemas.xmlsoap.org/soap/envelope/";
// The pre-4.0 namespace, also the authHeader's; answers to requests that could not be decoded.
inline constexpr std::string_view kIpsNamespace = "http://www.scene7.com/IpsApi/xsd";
inline constexpr std::string_view kSoapContentType = "text/xml; charset=utf-8";

// kIpsNamespace, or kIpsNamespace + "/YYYY-MM-DD" with an optional "-beta" suffix.
bool IsIpsNamespace(std::string_view uri);

// The request as a Call. The Param element's children become params: a leaf is a string, an
// element holding only <items> (or an empty ...Array element) an array, any other element with
// children an object, and a name repeated at one level an array. Credentials come from
// authHeader, else the deprecated AuthUser/AuthPassword headers, else the Authorization header;
// the language from authHeader/locale, else Accept-Language (model PreferredLanguage).
// Throws jobd::Error: InvalidRequestBody (fault 30003) for XML that is not well-formed, has a
// DOCTYPE, nests deeper than 32 elements, or is not an IPS <opNameParam> (enveloped or bare);
// InvalidParameter for a faultHttpStatusCode that is not an HTTP status; InvalidCredentials for a
// malformed Authorization header.
Call DecodeSoap(const HttpRequest& request);

// A SOAP envelope whose Body holds <opNameReturn xmlns="ns"> with the result's fields: scalars as
// text (booleans as true/false), arrays as repeated <items>, objects as nested elements, nulls
// omitted.
std::string EncodeSoapReturn(std::string_view operation,
                             const boost::json::object& result,
                             std::string_view ns);

// A SOAP fault: faultcode soapenv:Server for a fault of jobd's own (HTTP status 5xx), else
// soapenv:Client; the detail element is FaultElementName(fault.element) with code and reason, in
// namespace ns (kIpsNamespace when ns is empty).
std::string EncodeSoapFault(const FaultSpec& fault, std::string_view reason, std::string_view ns);

}  // namespace jobd::api
