#pragma once
// The WSDL served at GET /IpsApi.wsdl (contract §5, ips-jobs-api §1): WSDL 1.1, document/literal,
// a SOAP 1.1 binding, generated from the operation table (operation_schema.hpp) so stock SOAP
// tools can generate stubs. Pure; any thread.

#include <string>
#include <string_view>

namespace jobd::api {

// The WSDL document (UTF-8 XML) whose service port points at `service_url`, the full URL of the
// SOAP endpoint (e.g. "https://jobd.example:8443/IpsApi"). Schema and target namespace are the
// pre-4.0 IPS namespace; each operation has <opParam>/<opReturn> elements, the authHeader SOAP
// header and the three IPS faults; soapAction is the operation name. Fields marked json_only are
// left out. Does not throw except std::bad_alloc.
std::string Wsdl(std::string_view service_url);

}  // namespace jobd::api
