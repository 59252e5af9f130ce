// fuzz_soap: DecodeSoap on any body (contract §5). Only the documented jobd::Error kinds may
// escape it; what decodes is encoded back with EncodeSoapReturn, which must be well-formed XML
// whose return element carries the request's namespace.

#include <cstddef>
#include <cstdint>
#include <string>

#include <pugixml.hpp>

#include "fuzz/fuzz_check.hpp"
#include "jobd/api/soap_codec.hpp"
#include "jobd/model/error.hpp"

namespace {

using jobd::ErrorKind;
using jobd::fuzz::Check;

bool IsDocumentedKind(ErrorKind kind) {
    return kind == ErrorKind::InvalidRequestBody || kind == ErrorKind::InvalidParameter ||
           kind == ErrorKind::InvalidCredentials;
}

void CheckEncodedReturn(const jobd::api::Call& call) {
    const std::string xml =
        jobd::api::EncodeSoapReturn(call.operation, call.params, call.soap_namespace);
    pugi::xml_document document;
    Check(static_cast<bool>(document.load_string(xml.c_str())), "EncodeSoapReturn is well-formed");
    const pugi::xml_node body = document.document_element().first_child();
    const pugi::xml_node answer = body.first_child();
    Check(std::string(answer.name()) == call.operation + "Return", "answer is <opNameReturn>");
    Check(answer.attribute("xmlns").value() == call.soap_namespace, "answer echoes the namespace");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    jobd::api::HttpRequest request;
    request.method = "POST";
    request.target = "/IpsApi";
    request.headers["content-type"] = std::string(jobd::api::kSoapContentType);
    request.body.assign(reinterpret_cast<const char*>(data), size);
    try {
        const jobd::api::Call call = jobd::api::DecodeSoap(request);
        Check(!call.operation.empty(), "a decoded call names its operation");
        Check(jobd::api::IsIpsNamespace(call.soap_namespace), "a decoded call is in an IPS ns");
        CheckEncodedReturn(call);
    } catch (const jobd::Error& error) {
        Check(IsDocumentedKind(error.kind()), "DecodeSoap throws only its documented kinds");
    }
    return 0;
}
