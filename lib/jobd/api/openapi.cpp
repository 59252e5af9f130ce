#include "jobd/api/openapi.hpp"

#include <cstdlib>

#include <boost/json.hpp>

#include "jobd/api/operation_schema.hpp"

namespace jobd::api {
namespace {

namespace json = boost::json;

constexpr std::string_view kSchemaRef = "#/components/schemas/";
constexpr std::string_view kPathPrefix = "/api/v1/";

// Contract §5: the JSON statuses of faults, and what each means.
constexpr std::pair<std::string_view, std::string_view> kErrorStatuses[] = {
    {"400", "Bad or missing parameter, or a body that is not a JSON object (30001-30003)."},
    {"401", "No or wrong credentials (authenticationFault 10000-10002)."},
    {"403", "Unknown company, not a member, or the role may not call it (20000-20006)."},
    {"404", "Unknown job or run (30001)."},
    {"409", "The job's state forbids it, e.g. already running (30001)."},
    {"413", "Body larger than api.max_body_bytes (30003)."},
    {"503", "Shutting down or the database is down (30000)."},
};

json::object Ref(std::string_view name) {
    return {{"$ref", std::string(kSchemaRef) + std::string(name)}};
}

json::object Scalar(std::string_view type, std::string_view format = {}) {
    json::object schema{{"type", type}};
    if (!format.empty()) {
        schema["format"] = format;
    }
    return schema;
}

json::object FieldType(const FieldSchema& field) {
    switch (field.kind) {
        case FieldKind::String: return Scalar("string");
        case FieldKind::Int: return Scalar("integer", "int32");
        case FieldKind::Long: return Scalar("integer", "int64");
        case FieldKind::Boolean: return Scalar("boolean");
        case FieldKind::DateTime: return Scalar("string", "date-time");
        case FieldKind::StringArray: return {{"type", "array"}, {"items", Scalar("string")}};
        case FieldKind::StringMap:
            return {{"type", "object"}, {"additionalProperties", Scalar("string")}};
        case FieldKind::Any: return {{"type", "object"}};
        case FieldKind::Type: return Ref(field.type_name);
        case FieldKind::TypeArray: return {{"type", "array"}, {"items", Ref(field.type_name)}};
        case FieldKind::JobType: break;  // expanded into one property per job type
    }
    std::abort();  // unreachable: AddField never asks for a JobType's schema
}

json::object FieldSchemaOf(const FieldSchema& field) {
    json::object schema = FieldType(field);
    if (field.kind == FieldKind::Type || field.kind == FieldKind::Any) {
        // A $ref may not have siblings in OpenAPI 3.0: wrap it to carry the description.
        schema = {{"allOf", json::array{std::move(schema)}}};
    }
    schema["description"] = field.description;
    if (!field.required) {
        schema["nullable"] = true;  // answers give null for an absent optional value
    }
    return schema;
}

void AddJobTypes(json::object& properties, const FieldSchema& field) {
    for (const JobTypeElement& job_type : JobTypeElements()) {
        properties[job_type.element] = {
            {"allOf", json::array{Ref(job_type.type_name)}},
            {"description", std::string(field.description) + " (" +
                                std::string(job_type.element) + ")"},
        };
    }
}

json::object ObjectSchema(std::string_view description, const std::vector<FieldSchema>& fields) {
    json::object properties;
    json::array required;
    for (const FieldSchema& field : fields) {
        if (field.kind == FieldKind::JobType) {
            AddJobTypes(properties, field);
            continue;
        }
        properties[field.name] = FieldSchemaOf(field);
        if (field.required) {
            required.push_back(json::string(field.name));
        }
    }
    json::object schema{{"type", "object"}, {"description", description}};
    schema["properties"] = std::move(properties);
    if (!required.empty()) {
        schema["required"] = std::move(required);
    }
    return schema;
}

json::object FaultSchema() {
    return {
        {"type", "object"},
        {"description", "An IPS fault: authenticationFault, authorizationFault or ipsApiFault."},
        {"required", json::array{"fault", "code", "reason"}},
        {"properties",
         {
             {"fault", {{"type", "string"},
                        {"enum", json::array{"authenticationFault", "authorizationFault",
                                             "ipsApiFault"}}}},
             {"code", {{"type", "integer"}, {"format", "int32"}}},
             {"reason", {{"type", "string"}}},
         }},
    };
}

json::object Schemas() {
    json::object schemas;
    for (const ComplexTypeSchema& type : ComplexTypes()) {
        schemas[type.name] = ObjectSchema(type.description, type.fields);
    }
    for (const OperationSchema& operation : OperationSchemas()) {
        const std::string name(operation.name);
        schemas[name + "Param"] = ObjectSchema(operation.summary, operation.request);
        schemas[name + "Return"] = ObjectSchema(operation.summary, operation.answer);
    }
    schemas["Fault"] = FaultSchema();
    return schemas;
}

json::object JsonContent(std::string_view schema) {
    return {{"application/json", {{"schema", Ref(schema)}}}};
}

json::object PathItem(const OperationSchema& operation) {
    const std::string name(operation.name);
    json::object responses{
        {"200", {{"description", "The operation's answer."}, {"content", JsonContent(name + "Return")}}},
    };
    for (const auto& [status, meaning] : kErrorStatuses) {
        responses[status] = {{"description", meaning}, {"content", JsonContent("Fault")}};
    }
    json::object post{
        {"operationId", name},
        {"summary", operation.summary},
        {"requestBody", {{"required", true}, {"content", JsonContent(name + "Param")}}},
    };
    post["responses"] = std::move(responses);
    return {{"post", std::move(post)}};
}

json::object Paths() {
    json::object paths;
    for (const OperationSchema& operation : OperationSchemas()) {
        paths[std::string(kPathPrefix) + std::string(operation.name)] = PathItem(operation);
    }
    return paths;
}

json::object Components() {
    json::object components;
    components["schemas"] = Schemas();
    components["securitySchemes"] = {
        {"basicAuth", {{"type", "http"}, {"scheme", "basic"}}},
        {"bearerAuth", {{"type", "http"}, {"scheme", "bearer"}}},
    };
    return components;
}

}  // namespace

std::string OpenApiJson() {
    json::object document{
        {"openapi", "3.0.3"},
        {"info",
         {{"title", "jobd API"},
          {"version", "1"},
          {"description", "The IPS job operations and jobd's admin operations as JSON; the same "
                          "operations are served as SOAP at /IpsApi (WSDL: /IpsApi.wsdl)."}}},
        {"security", json::array{{{"basicAuth", json::array{}}}, {{"bearerAuth", json::array{}}}}},
    };
    document["paths"] = Paths();
    document["components"] = Components();
    return json::serialize(document);
}

}  // namespace jobd::api
