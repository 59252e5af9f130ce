#include "jobd/api/wsdl.hpp"

#include <cstdlib>
#include <set>
#include <sstream>

#include <pugixml.hpp>

#include "jobd/api/operation_schema.hpp"
#include "jobd/api/soap_codec.hpp"

namespace jobd::api {
namespace {

constexpr const char* kWsdlNamespace = "http://schemas.xmlsoap.org/wsdl/";
constexpr const char* kWsdlSoapNamespace = "http://schemas.xmlsoap.org/wsdl/soap/";
constexpr const char* kXsdNamespace = "http://www.w3.org/2001/XMLSchema";
constexpr const char* kHttpTransport = "http://schemas.xmlsoap.org/soap/http";
constexpr std::string_view kTypes = "types:";
constexpr const char* kPortType = "IpsApiPortType";
constexpr const char* kBinding = "IpsApiSoapBinding";
constexpr const char* kAuthHeader = "authHeader";
constexpr std::string_view kFaults[] = {"authenticationFault", "authorizationFault", "ipsApiFault"};

std::string Qualified(std::string_view name) {
    return std::string(kTypes) + std::string(name);
}

void Attr(pugi::xml_node node, const char* name, std::string_view value) {
    node.append_attribute(name) = std::string(value).c_str();
}

pugi::xml_node Child(pugi::xml_node parent, const char* name, std::string_view name_attr = {}) {
    pugi::xml_node child = parent.append_child(name);
    if (!name_attr.empty()) {
        Attr(child, "name", name_attr);
    }
    return child;
}

std::string XsdType(const FieldSchema& field) {
    switch (field.kind) {
        case FieldKind::String: return "xsd:string";
        case FieldKind::Int: return "xsd:int";
        case FieldKind::Long: return "xsd:long";
        case FieldKind::Boolean: return "xsd:boolean";
        case FieldKind::DateTime: return "xsd:dateTime";
        case FieldKind::StringArray: return Qualified("StringArray");
        case FieldKind::StringMap: return Qualified("StringMap");
        case FieldKind::Any: return "xsd:anyType";
        case FieldKind::Type: return Qualified(field.type_name);
        case FieldKind::TypeArray: return Qualified(std::string(field.type_name) + "Array");
        case FieldKind::JobType: break;  // a choice of elements, not a typed element
    }
    std::abort();  // unreachable: AppendField never asks for a JobType's type
}

void AppendDocumentation(pugi::xml_node node, std::string_view text) {
    Child(Child(node, "xsd:annotation"), "xsd:documentation").text().set(std::string(text).c_str());
}

// One element per job type; SOAP requests carry at most one (submitJob: exactly one).
void AppendJobTypeChoice(pugi::xml_node sequence, const FieldSchema& field) {
    pugi::xml_node choice = Child(sequence, "xsd:choice");
    Attr(choice, "minOccurs", field.required ? "1" : "0");
    for (const JobTypeElement& job_type : JobTypeElements()) {
        pugi::xml_node element = Child(choice, "xsd:element", job_type.element);
        Attr(element, "type", Qualified(job_type.type_name));
    }
}

void AppendField(pugi::xml_node sequence, const FieldSchema& field) {
    if (field.json_only) {
        return;
    }
    if (field.kind == FieldKind::JobType) {
        AppendJobTypeChoice(sequence, field);
        return;
    }
    pugi::xml_node element = Child(sequence, "xsd:element", field.name);
    Attr(element, "type", XsdType(field));
    if (!field.required) {
        Attr(element, "minOccurs", "0");
    }
    AppendDocumentation(element, field.description);
}

void AppendSequence(pugi::xml_node complex_type, const std::vector<FieldSchema>& fields) {
    pugi::xml_node sequence = Child(complex_type, "xsd:sequence");
    for (const FieldSchema& field : fields) {
        AppendField(sequence, field);
    }
}

// IPS arrays: a complex type holding repeated <items>.
void AppendArrayType(pugi::xml_node schema, std::string_view name, std::string_view item_type) {
    pugi::xml_node complex_type = Child(schema, "xsd:complexType", name);
    pugi::xml_node items = Child(Child(complex_type, "xsd:sequence"), "xsd:element", "items");
    Attr(items, "type", item_type);
    Attr(items, "minOccurs", "0");
    Attr(items, "maxOccurs", "unbounded");
}

// commandJob/env: variable names are element names, so the type admits any element.
void AppendStringMapType(pugi::xml_node schema) {
    pugi::xml_node complex_type = Child(schema, "xsd:complexType", "StringMap");
    AppendDocumentation(complex_type, "One element per entry: <NAME>value</NAME>.");
    pugi::xml_node any = Child(Child(complex_type, "xsd:sequence"), "xsd:any");
    Attr(any, "namespace", "##any");
    Attr(any, "processContents", "lax");
    Attr(any, "minOccurs", "0");
    Attr(any, "maxOccurs", "unbounded");
}

std::set<std::string_view> ArrayItemTypes() {
    std::set<std::string_view> item_types;
    const auto collect = [&item_types](const std::vector<FieldSchema>& fields) {
        for (const FieldSchema& field : fields) {
            if (field.kind == FieldKind::TypeArray && !field.json_only) {
                item_types.insert(field.type_name);
            }
        }
    };
    for (const OperationSchema& operation : OperationSchemas()) {
        collect(operation.request);
        collect(operation.answer);
    }
    for (const ComplexTypeSchema& type : ComplexTypes()) {
        collect(type.fields);
    }
    return item_types;
}

void AppendElement(pugi::xml_node schema,
                   const std::string& name,
                   const std::vector<FieldSchema>& fields) {
    AppendSequence(Child(Child(schema, "xsd:element", name), "xsd:complexType"), fields);
}

void AppendHeaderAndFaultElements(pugi::xml_node schema) {
    AppendElement(schema, kAuthHeader, {
        {"user", FieldKind::String, true, "E-mail address of the user."},
        {"password", FieldKind::String, true, "The user's password."},
        {"locale", FieldKind::String, false, "Language of fault reasons, e.g. de-DE."},
        {"appName", FieldKind::String, false, "Accepted; not used."},
        {"appVersion", FieldKind::String, false, "Accepted; not used."},
        {"gzipResponse", FieldKind::Boolean, false, "Accepted; not used."},
        {"faultHttpStatusCode", FieldKind::Int, false, "HTTP status of faults (default 500)."},
    });
    for (const std::string_view fault : kFaults) {
        AppendElement(schema, std::string(fault), {
            {"code", FieldKind::Int, true, "Fault code, e.g. 30001."},
            {"reason", FieldKind::String, true, "What went wrong, for an administrator."},
        });
    }
}

void AppendSchema(pugi::xml_node types) {
    pugi::xml_node schema = Child(types, "xsd:schema");
    Attr(schema, "targetNamespace", kIpsNamespace);
    Attr(schema, "elementFormDefault", "qualified");
    AppendArrayType(schema, "StringArray", "xsd:string");
    AppendStringMapType(schema);
    for (const std::string_view item_type : ArrayItemTypes()) {
        AppendArrayType(schema, std::string(item_type) + "Array", Qualified(item_type));
    }
    for (const ComplexTypeSchema& type : ComplexTypes()) {
        pugi::xml_node complex_type = Child(schema, "xsd:complexType", type.name);
        AppendDocumentation(complex_type, type.description);
        AppendSequence(complex_type, type.fields);
    }
    for (const OperationSchema& operation : OperationSchemas()) {
        AppendElement(schema, std::string(operation.name) + "Param", operation.request);
        AppendElement(schema, std::string(operation.name) + "Return", operation.answer);
    }
    AppendHeaderAndFaultElements(schema);
}

void AppendMessage(pugi::xml_node definitions, const std::string& name, const std::string& part,
                   const std::string& element) {
    pugi::xml_node part_node = Child(Child(definitions, "wsdl:message", name), "wsdl:part", part);
    Attr(part_node, "element", Qualified(element));
}

void AppendMessages(pugi::xml_node definitions) {
    for (const OperationSchema& operation : OperationSchemas()) {
        const std::string name(operation.name);
        AppendMessage(definitions, name + "Request", "parameters", name + "Param");
        AppendMessage(definitions, name + "Response", "parameters", name + "Return");
    }
    AppendMessage(definitions, kAuthHeader, kAuthHeader, kAuthHeader);
    for (const std::string_view fault : kFaults) {
        AppendMessage(definitions, std::string(fault), "fault", std::string(fault));
    }
}

void AppendPortType(pugi::xml_node definitions) {
    pugi::xml_node port_type = Child(definitions, "wsdl:portType", kPortType);
    for (const OperationSchema& operation : OperationSchemas()) {
        const std::string name(operation.name);
        pugi::xml_node op = Child(port_type, "wsdl:operation", name);
        Child(op, "wsdl:documentation").text().set(std::string(operation.summary).c_str());
        Attr(Child(op, "wsdl:input", name + "Request"), "message", Qualified(name + "Request"));
        Attr(Child(op, "wsdl:output", name + "Response"), "message", Qualified(name + "Response"));
        for (const std::string_view fault : kFaults) {
            Attr(Child(op, "wsdl:fault", fault), "message", Qualified(fault));
        }
    }
}

void AppendBindingOperation(pugi::xml_node binding, std::string_view name) {
    pugi::xml_node op = Child(binding, "wsdl:operation", name);
    pugi::xml_node soap_operation = Child(op, "soap:operation");
    Attr(soap_operation, "soapAction", name);
    Attr(soap_operation, "style", "document");
    pugi::xml_node input = Child(op, "wsdl:input", std::string(name) + "Request");
    Attr(Child(input, "soap:body"), "use", "literal");
    pugi::xml_node header = Child(input, "soap:header");
    Attr(header, "message", Qualified(kAuthHeader));
    Attr(header, "part", kAuthHeader);
    Attr(header, "use", "literal");
    pugi::xml_node output = Child(op, "wsdl:output", std::string(name) + "Response");
    Attr(Child(output, "soap:body"), "use", "literal");
    for (const std::string_view fault : kFaults) {
        pugi::xml_node soap_fault = Child(Child(op, "wsdl:fault", fault), "soap:fault", fault);
        Attr(soap_fault, "use", "literal");
    }
}

void AppendBindingAndService(pugi::xml_node definitions, std::string_view service_url) {
    pugi::xml_node binding = Child(definitions, "wsdl:binding", kBinding);
    Attr(binding, "type", Qualified(kPortType));
    pugi::xml_node soap_binding = Child(binding, "soap:binding");
    Attr(soap_binding, "style", "document");
    Attr(soap_binding, "transport", kHttpTransport);
    for (const OperationSchema& operation : OperationSchemas()) {
        AppendBindingOperation(binding, operation.name);
    }
    pugi::xml_node port = Child(Child(definitions, "wsdl:service", "IpsApiService"),
                                "wsdl:port", "IpsApiSoapPort");
    Attr(port, "binding", Qualified(kBinding));
    Attr(Child(port, "soap:address"), "location", service_url);
}

}  // namespace

std::string Wsdl(std::string_view service_url) {
    pugi::xml_document document;
    pugi::xml_node declaration = document.append_child(pugi::node_declaration);
    declaration.append_attribute("version") = "1.0";
    declaration.append_attribute("encoding") = "UTF-8";
    pugi::xml_node definitions = Child(document, "wsdl:definitions", "IpsApi");
    Attr(definitions, "targetNamespace", kIpsNamespace);
    Attr(definitions, "xmlns:wsdl", kWsdlNamespace);
    Attr(definitions, "xmlns:soap", kWsdlSoapNamespace);
    Attr(definitions, "xmlns:xsd", kXsdNamespace);
    Attr(definitions, "xmlns:types", kIpsNamespace);
    AppendSchema(Child(definitions, "wsdl:types"));
    AppendMessages(definitions);
    AppendPortType(definitions);
    AppendBindingAndService(definitions, service_url);
    std::ostringstream out;
    document.save(out, "  ", pugi::format_indent, pugi::encoding_utf8);
    return std::move(out).str();
}

}  // namespace jobd::api
