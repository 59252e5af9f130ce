#pragma once
// The OpenAPI 3.0.3 document served at GET /api/v1/openapi.json (contract §5): one
// POST /api/v1/<operation> per operation, generated from the operation table
// (operation_schema.hpp), with the Fault answer of every error status and Basic and Bearer
// credentials. Pure; any thread.

#include <string>

namespace jobd::api {

// The document as compact JSON. Paths are absolute (/api/v1/...), so it names no server. Does not
// throw except std::bad_alloc.
std::string OpenApiJson();

}  // namespace jobd::api
