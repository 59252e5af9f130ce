#include "jobd/api/soap_codec.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <optional>
#include <set>
#include <sstream>
#include <vector>

#include <boost/json/value.hpp>
#include <pugixml.hpp>

#include "jobd/model/error.hpp"

namespace jobd::api {
namespace {

// No IPS request nests this deep; the bound keeps a hostile body from exhausting the stack.
constexpr int kMaxDepth = 32;
constexpr std::string_view kParamSuffix = "Param";
constexpr std::string_view kReturnSuffix = "Return";
constexpr std::string_view kItems = "items";
constexpr std::string_view kArraySuffix = "Array";
constexpr std::string_view kBlank = " \t\r\n";

Error BadBody(Message problem) {
    return Error(ErrorKind::InvalidRequestBody, std::move(problem), "body");
}

std::string_view Name(const pugi::xml_node& node) {
    return node.name();
}

std::string_view LocalName(const pugi::xml_node& node) {
    const std::string_view name = Name(node);
    const auto colon = name.find(':');
    return colon == std::string_view::npos ? name : name.substr(colon + 1);
}

// pugixml is not namespace-aware: resolve the element's prefix against the xmlns declarations on
// it and its ancestors ourselves.
std::string NamespaceOf(const pugi::xml_node& element) {
    const std::string_view name = Name(element);
    const auto colon = name.find(':');
    const std::string prefix(colon == std::string_view::npos ? std::string_view()
                                                             : name.substr(0, colon));
    const std::string declaration = prefix.empty() ? "xmlns" : "xmlns:" + prefix;
    for (pugi::xml_node node = element; node.type() == pugi::node_element; node = node.parent()) {
        if (const pugi::xml_attribute uri = node.attribute(declaration.c_str())) {
            return uri.value();
        }
    }
    if (!prefix.empty()) {
        throw BadBody(Message(MessageId::XmlPrefixUndeclared, {{"prefix", prefix}}));
    }
    return {};
}

bool IsDigits(std::string_view text) {
    return std::all_of(text.begin(), text.end(), [](char c) {
        return std::isdigit(static_cast<unsigned char>(c)) != 0;
    });
}

bool IsIsoDate(std::string_view text) {
    return text.size() == 10 && text[4] == '-' && text[7] == '-' && IsDigits(text.substr(0, 4)) &&
           IsDigits(text.substr(5, 2)) && IsDigits(text.substr(8, 2));
}

std::vector<pugi::xml_node> ElementChildren(const pugi::xml_node& node) {
    std::vector<pugi::xml_node> children;
    for (const pugi::xml_node& child : node.children()) {
        if (child.type() == pugi::node_element) {
            children.push_back(child);
        }
    }
    return children;
}

pugi::xml_node FirstElementChild(const pugi::xml_node& node) {
    const std::vector<pugi::xml_node> children = ElementChildren(node);
    return children.empty() ? pugi::xml_node() : children.front();
}

// A child element in the SOAP envelope namespace, e.g. soapenv:Body.
pugi::xml_node EnvelopeChild(const pugi::xml_node& envelope, std::string_view local_name) {
    for (const pugi::xml_node& child : ElementChildren(envelope)) {
        if (LocalName(child) == local_name && NamespaceOf(child) == kSoapEnvelopeNamespace) {
            return child;
        }
    }
    return {};
}

// The text of an element, entities decoded; CDATA sections count as text.
std::string Text(const pugi::xml_node& element) {
    std::string text;
    for (const pugi::xml_node& child : element.children()) {
        if (child.type() == pugi::node_pcdata || child.type() == pugi::node_cdata) {
            text += child.value();
        }
    }
    return text;
}

std::string Trimmed(const std::string& text) {
    const auto first = text.find_first_not_of(kBlank);
    if (first == std::string::npos) {
        return {};
    }
    return text.substr(first, text.find_last_not_of(kBlank) - first + 1);
}

pugi::xml_document ParseDocument(const std::string& body) {
    pugi::xml_document document;
    // parse_doctype keeps a DOCTYPE as a node so it can be refused below; pugixml never expands
    // entities, but a DOCTYPE has no business in a SOAP request (SOAP 1.1 §3).
    const pugi::xml_parse_result parsed =
        document.load_buffer(body.data(), body.size(), pugi::parse_default | pugi::parse_doctype);
    if (!parsed) {
        throw BadBody(Message(
            MessageId::XmlMalformed,
            {{"offset", std::to_string(parsed.offset)}, {"problem", parsed.description()}}));
    }
    for (const pugi::xml_node& node : document.children()) {
        if (node.type() == pugi::node_doctype) {
            throw BadBody(Message(MessageId::XmlDoctype));
        }
    }
    if (!document.document_element()) {
        throw BadBody(Message(MessageId::XmlNoElement));
    }
    return document;
}

struct SoapParts {
    pugi::xml_node header;  // null when absent or bare
    pugi::xml_node param;
};

SoapParts LocateParts(const pugi::xml_node& root) {
    if (LocalName(root) != "Envelope" || NamespaceOf(root) != kSoapEnvelopeNamespace) {
        return {{}, root};  // a bare <opNameParam>, as in the seed example
    }
    const pugi::xml_node body = EnvelopeChild(root, "Body");
    if (!body) {
        throw BadBody(Message(MessageId::SoapNoBody));
    }
    const pugi::xml_node param = FirstElementChild(body);
    if (!param) {
        throw BadBody(Message(MessageId::SoapEmptyBody));
    }
    return {EnvelopeChild(root, "Header"), param};
}

std::string OperationOf(const pugi::xml_node& param) {
    const std::string_view local_name = LocalName(param);
    if (local_name.size() <= kParamSuffix.size() || !local_name.ends_with(kParamSuffix)) {
        throw BadBody(
            Message(MessageId::SoapNotParamElement, {{"element", std::string(local_name)}}));
    }
    const std::string ns = NamespaceOf(param);
    if (!IsIpsNamespace(ns)) {
        throw BadBody(Message(MessageId::SoapNotIpsNamespace,
                              {{"namespace", ns}, {"element", std::string(local_name)}}));
    }
    return std::string(local_name.substr(0, local_name.size() - kParamSuffix.size()));
}

boost::json::value ToJson(const pugi::xml_node& element, int depth);

// Element children as fields; a name repeated at one level becomes an array.
boost::json::object ToObject(const pugi::xml_node& element, int depth) {
    boost::json::object fields;
    std::set<std::string, std::less<>> repeated;
    for (const pugi::xml_node& child : ElementChildren(element)) {
        const std::string_view key = LocalName(child);
        boost::json::value value = ToJson(child, depth + 1);
        const auto found = fields.find(key);
        if (found == fields.end()) {
            fields.emplace(key, std::move(value));
            continue;
        }
        if (repeated.insert(std::string(key)).second) {
            found->value() = boost::json::array{std::move(found->value())};
        }
        found->value().as_array().push_back(std::move(value));
    }
    return fields;
}

boost::json::value ToJson(const pugi::xml_node& element, int depth) {
    if (depth > kMaxDepth) {
        throw BadBody(Message(MessageId::XmlTooDeep, {{"depth", std::to_string(kMaxDepth)}}));
    }
    const std::vector<pugi::xml_node> children = ElementChildren(element);
    if (children.empty()) {
        const std::string text = Text(element);
        if (LocalName(element).ends_with(kArraySuffix) && Trimmed(text).empty()) {
            return boost::json::array();  // <jobLogArray/>: IPS's empty array
        }
        return boost::json::string(text);
    }
    const bool all_items = std::all_of(children.begin(), children.end(), [](const auto& child) {
        return LocalName(child) == kItems;
    });
    if (!all_items) {
        return ToObject(element, depth);
    }
    boost::json::array items;
    for (const pugi::xml_node& child : children) {
        items.push_back(ToJson(child, depth + 1));
    }
    return items;
}

int ParseHttpStatus(const std::string& text) {
    const std::string trimmed = Trimmed(text);
    int status = 0;
    const auto [end, ec] = std::from_chars(trimmed.data(), trimmed.data() + trimmed.size(), status);
    if (ec != std::errc() || end != trimmed.data() + trimmed.size() || status < 100 ||
        status > 599) {
        throw Error(
            ErrorKind::InvalidParameter, Message(MessageId::NotHttpStatus), "faultHttpStatusCode");
    }
    return status;
}

// authHeader (ips-jobs-api §1): appName, appVersion and gzipResponse are accepted and unused.
void ReadAuthHeader(const pugi::xml_node& auth_header, Call& call) {
    for (const pugi::xml_node& field : ElementChildren(auth_header)) {
        const std::string_view name = LocalName(field);
        if (name == "user") {
            call.credentials.user = Text(field);
        } else if (name == "password") {
            call.credentials.password = Text(field);
        } else if (name == "locale") {
            call.language = LanguageOfTag(Text(field));
        } else if (name == "faultHttpStatusCode") {
            call.fault_http_status = ParseHttpStatus(Text(field));
        }
    }
}

// The SOAP Header's authHeader, or the deprecated pre-3.8 AuthUser/AuthPassword headers.
void ReadHeader(const pugi::xml_node& header, Call& call) {
    Credentials legacy;
    for (const pugi::xml_node& entry : ElementChildren(header)) {
        const std::string_view name = LocalName(entry);
        if (name == "authHeader" && IsIpsNamespace(NamespaceOf(entry))) {
            ReadAuthHeader(entry, call);
        } else if (name == "AuthUser") {
            legacy.user = Text(entry);
        } else if (name == "AuthPassword") {
            legacy.password = Text(entry);
        }
    }
    if (call.credentials.Empty()) {
        call.credentials = legacy;
    }
}

std::string Serialize(const pugi::xml_document& document) {
    std::ostringstream out;
    document.save(out, "", pugi::format_raw, pugi::encoding_utf8);
    return std::move(out).str();
}

// The Body element of a new SOAP 1.1 envelope in document.
pugi::xml_node AppendEnvelope(pugi::xml_document& document) {
    pugi::xml_node declaration = document.append_child(pugi::node_declaration);
    declaration.append_attribute("version") = "1.0";
    declaration.append_attribute("encoding") = "UTF-8";
    pugi::xml_node envelope = document.append_child("soapenv:Envelope");
    envelope.append_attribute("xmlns:soapenv") = std::string(kSoapEnvelopeNamespace).c_str();
    return envelope.append_child("soapenv:Body");
}

// XML 1.0 forbids most control characters even as references; a run's output may hold them
// (terminal escapes), so they become U+FFFD rather than making the answer unparsable.
std::string XmlSafe(std::string_view text) {
    std::string safe;
    safe.reserve(text.size());
    for (const char c : text) {
        const auto byte = static_cast<unsigned char>(c);
        if (byte < 0x20 && c != '\t' && c != '\n' && c != '\r') {
            safe += "\xEF\xBF\xBD";
        } else {
            safe += c;
        }
    }
    return safe;
}

void AppendText(pugi::xml_node parent, const std::string& name, std::string_view text) {
    parent.append_child(name.c_str()).text().set(XmlSafe(text).c_str());
}

std::string NumberText(const boost::json::value& value) {
    if (value.is_int64()) {
        return std::to_string(value.get_int64());
    }
    if (value.is_uint64()) {
        return std::to_string(value.get_uint64());
    }
    char buffer[32];
    const auto result = std::to_chars(buffer, buffer + sizeof buffer, value.get_double());
    return std::string(buffer, result.ptr);
}

void AppendFields(pugi::xml_node parent, const boost::json::object& fields);

void AppendValue(pugi::xml_node parent, const std::string& name, const boost::json::value& value) {
    switch (value.kind()) {
        case boost::json::kind::null: return;
        case boost::json::kind::bool_:
            AppendText(parent, name, value.get_bool() ? "true" : "false");
            return;
        case boost::json::kind::int64:
        case boost::json::kind::uint64:
        case boost::json::kind::double_: AppendText(parent, name, NumberText(value)); return;
        case boost::json::kind::string: AppendText(parent, name, value.get_string()); return;
        case boost::json::kind::array: {
            pugi::xml_node array = parent.append_child(name.c_str());
            for (const boost::json::value& item : value.get_array()) {
                AppendValue(array, std::string(kItems), item);
            }
            return;
        }
        case boost::json::kind::object:
            AppendFields(parent.append_child(name.c_str()), value.get_object());
            return;
    }
}

void AppendFields(pugi::xml_node parent, const boost::json::object& fields) {
    for (const auto& field : fields) {
        AppendValue(parent, std::string(field.key()), field.value());
    }
}

std::string_view FaultString(FaultElement element) {
    switch (element) {
        case FaultElement::Authentication: return "AuthenticationException";
        case FaultElement::Authorization: return "AuthorizationException";
        case FaultElement::IpsApi: return "IpsApiException";
    }
    std::abort();  // unreachable: every element returns above
}

}  // namespace

bool IsIpsNamespace(std::string_view uri) {
    if (!uri.starts_with(kIpsNamespace)) {
        return false;
    }
    std::string_view rest = uri.substr(kIpsNamespace.size());
    if (rest.empty()) {
        return true;
    }
    if (rest.front() != '/') {
        return false;
    }
    rest.remove_prefix(1);
    if (rest.ends_with("-beta")) {
        rest.remove_suffix(5);
    }
    return IsIsoDate(rest);
}

Call DecodeSoap(const HttpRequest& request) {
    const pugi::xml_document document = ParseDocument(request.body);
    const SoapParts parts = LocateParts(document.document_element());
    Call call;
    call.operation = OperationOf(parts.param);
    call.soap_namespace = NamespaceOf(parts.param);
    call.params = ToObject(parts.param, 1);
    ReadHeader(parts.header, call);
    if (call.credentials.Empty()) {
        call.credentials = HttpCredentials(request);
    }
    if (!call.language) {
        call.language = PreferredLanguage({}, HeaderValue(request, "accept-language"));
    }
    call.peer = request.peer;
    call.peer_uid = request.peer_uid;
    return call;
}

std::string EncodeSoapReturn(std::string_view operation,
                             const boost::json::object& result,
                             std::string_view ns) {
    pugi::xml_document document;
    const std::string name = std::string(operation) + std::string(kReturnSuffix);
    pugi::xml_node answer = AppendEnvelope(document).append_child(name.c_str());
    answer.append_attribute("xmlns") = std::string(ns).c_str();
    AppendFields(answer, result);
    return Serialize(document);
}

std::string EncodeSoapFault(const FaultSpec& fault, std::string_view reason, std::string_view ns) {
    pugi::xml_document document;
    pugi::xml_node soap_fault = AppendEnvelope(document).append_child("soapenv:Fault");
    // Unavailable and Internal are jobd's fault, not the caller's: retrying may succeed.
    AppendText(
        soap_fault, "faultcode", fault.http_status >= 500 ? "soapenv:Server" : "soapenv:Client");
    AppendText(soap_fault, "faultstring", FaultString(fault.element));
    const std::string element(FaultElementName(fault.element));
    pugi::xml_node detail = soap_fault.append_child("detail").append_child(element.c_str());
    detail.append_attribute("xmlns") = std::string(ns.empty() ? kIpsNamespace : ns).c_str();
    AppendText(detail, "code", std::to_string(fault.code));
    AppendText(detail, "reason", reason);
    return Serialize(document);
}

}  // namespace jobd::api
