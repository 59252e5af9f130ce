#pragma once
// The fields of every API operation's request and answer, and of the complex types they carry
// (contract §5, ips-jobs-api §3-§5): the one table the WSDL (wsdl.hpp) and the OpenAPI document
// (openapi.hpp) are generated from, so the two encodings cannot describe different APIs.
//
// Pure; the tables are built once, immutable, and readable from any thread.

#include <string_view>
#include <vector>

#include "jobd/auth/operation.hpp"

namespace jobd::api {

enum class FieldKind {
    String,
    Int,
    Long,
    Boolean,
    DateTime,
    StringArray,  // SOAP: <x><items>a</items>...</x>; JSON: ["a", ...]
    StringMap,    // SOAP: <env><NAME>value</NAME>...</env>; JSON: {"NAME": "value"}
    Any,          // an IPS options element jobd passes to the handler unread
    Type,         // one element of ComplexTypeSchema `type_name`
    TypeArray,    // SOAP: <x><items>...</items></x> of `type_name`; JSON: an array
    JobType,      // at most one job-type element (JobTypeElements()); `name` is unused
};

struct FieldSchema {
    std::string_view name;
    FieldKind kind;
    bool required;
    std::string_view description;
    std::string_view type_name = {};  // Type and TypeArray only
    // jobd's own answer fields that the IPS SOAP return element lacks (contract §5): the WSDL
    // leaves them out, the router drops them from SOAP answers (OperationSpec::json_only_fields).
    bool json_only = false;
};

struct ComplexTypeSchema {
    std::string_view name;  // the XSD type name, also the OpenAPI component name
    std::string_view description;
    std::vector<FieldSchema> fields;
};

struct OperationSchema {
    auth::Operation operation;
    std::string_view name;  // as on the wire: <nameParam>, POST /api/v1/name
    std::string_view summary;
    std::vector<FieldSchema> request;
    std::vector<FieldSchema> answer;
};

// A job-type element and the complex type of its payload (ImageServingPublishJob, ...).
struct JobTypeElement {
    std::string_view element;
    std::string_view type_name;
};

// The 12 operations in contract order.
const std::vector<OperationSchema>& OperationSchemas();

// Every complex type a field names (order carries no meaning: generators resolve by name).
const std::vector<ComplexTypeSchema>& ComplexTypes();

// The 14 IPS job-type elements and commandJob.
const std::vector<JobTypeElement>& JobTypeElements();

// nullptr for a name that is not an operation or a complex type.
const OperationSchema* FindOperationSchema(std::string_view name);
const ComplexTypeSchema* FindComplexType(std::string_view name);

}  // namespace jobd::api
