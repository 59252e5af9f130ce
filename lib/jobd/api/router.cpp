#include "jobd/api/router.hpp"

#include <boost/json.hpp>
#include <spdlog/spdlog.h>

#include "jobd/api/fault_map.hpp"
#include "jobd/api/json_codec.hpp"
#include "jobd/api/openapi.hpp"
#include "jobd/api/service.hpp"
#include "jobd/api/soap_codec.hpp"
#include "jobd/api/wsdl.hpp"
#include "jobd/log/logger.hpp"
#include "jobd/model/error.hpp"

namespace jobd::api {
namespace {

constexpr std::string_view kJsonPrefix = "/api/v1/";

spdlog::logger& Log() {
    return log::Get(log::Subsystem::Api);
}

std::string_view PathOf(std::string_view target) {
    return target.substr(0, target.find('?'));
}

HttpResponse Plain(int status, std::string body) {
    return {status, "text/plain; charset=utf-8", std::move(body) + "\n", {}};
}

// The error as a fault: its kind decides code and status; anything that is not a jobd::Error is
// a bug or a library failure, reported as 30000 without its details.
std::pair<FaultSpec, std::string> FaultOf(std::exception_ptr error) {
    try {
        std::rethrow_exception(error);
    } catch (const Error& e) {
        return {FaultFor(e.kind()), e.what()};
    } catch (const std::exception& e) {
        Log().error("request failed error=\"{}\"", e.what());
        return {FaultFor(ErrorKind::Internal), "internal error"};
    }
}

void DropFields(boost::json::object& result, const std::string& operation) {
    if (const auto* spec = FindOperation(operation)) {
        for (const auto& field : spec->json_only_fields) {
            result.erase(field);
        }
    }
}

}  // namespace

boost::asio::awaitable<HttpResponse> Router::Route(HttpRequest request) {
    const std::string path(PathOf(request.target));
    if (path == "/healthz" && request.method == "GET") {
        co_return co_await Health();
    }
    if (path == "/IpsApi.wsdl" && request.method == "GET") {
        // The endpoint as the client reached it, so generated stubs call this very server.
        const std::string host(HeaderValue(request, "host"));
        const std::string endpoint = "http://" + (host.empty() ? "localhost" : host) + "/IpsApi";
        co_return HttpResponse{200, std::string(kSoapContentType), Wsdl(endpoint), {}};
    }
    if (path == "/api/v1/openapi.json" && request.method == "GET") {
        co_return HttpResponse{200, std::string(kJsonContentType), OpenApiJson(), {}};
    }
    if (path == "/IpsApi" || path == "/scene7/services/IpsApiService") {
        if (request.method != "POST") {
            co_return Plain(405, "use POST for SOAP requests");
        }
        co_return co_await Soap(std::move(request));
    }
    if (path.starts_with(kJsonPrefix)) {
        if (request.method != "POST") {
            co_return Plain(405, "use POST for JSON operations");
        }
        std::string operation = path.substr(kJsonPrefix.size());
        co_return co_await Json(std::move(request), std::move(operation));
    }
    co_return Plain(404, "no such resource: " + path);
}

boost::asio::awaitable<HttpResponse> Router::Soap(HttpRequest request) {
    std::exception_ptr error;
    std::string ns(kIpsNamespace);
    std::optional<int> fault_status;
    try {
        if (request.body_too_large) {
            throw Error(ErrorKind::TooLarge, "request body exceeds api.max_body_bytes");
        }
        Call call = DecodeSoap(request);
        ns = call.soap_namespace;
        fault_status = call.fault_http_status;
        const std::string operation = call.operation;
        boost::json::object result = co_await service_.Handle(std::move(call));
        DropFields(result, operation);
        co_return HttpResponse{
            200, std::string(kSoapContentType), EncodeSoapReturn(operation, result, ns), {}};
    } catch (...) {
        error = std::current_exception();
    }
    const auto [fault, reason] = FaultOf(error);
    Log().debug("soap fault code={} reason=\"{}\"", fault.code, reason);
    // IPS answers SOAP faults with HTTP 500 unless authHeader/faultHttpStatusCode says otherwise.
    co_return HttpResponse{fault_status.value_or(500),
                           std::string(kSoapContentType),
                           EncodeSoapFault(fault, reason, ns),
                           {}};
}

boost::asio::awaitable<HttpResponse> Router::Json(HttpRequest request, std::string operation) {
    std::exception_ptr error;
    try {
        if (request.body_too_large) {
            throw Error(ErrorKind::TooLarge, "request body exceeds api.max_body_bytes");
        }
        if (FindOperation(operation) == nullptr) {
            co_return HttpResponse{404,
                                   std::string(kJsonContentType),
                                   EncodeJsonFault(FaultFor(ErrorKind::InvalidParameter),
                                                   "no operation \"" + operation + "\""),
                                   {}};
        }
        Call call = DecodeJson(request, operation);
        boost::json::object result = co_await service_.Handle(std::move(call));
        co_return HttpResponse{200, std::string(kJsonContentType), EncodeJsonReturn(result), {}};
    } catch (...) {
        error = std::current_exception();
    }
    const auto [fault, reason] = FaultOf(error);
    Log().debug("json fault operation={} code={} reason=\"{}\"", operation, fault.code, reason);
    co_return HttpResponse{
        fault.http_status, std::string(kJsonContentType), EncodeJsonFault(fault, reason), {}};
}

boost::asio::awaitable<HttpResponse> Router::Health() {
    bool healthy = false;
    try {
        healthy = co_await health_();
    } catch (const std::exception& e) {
        Log().warn("health check failed error=\"{}\"", e.what());
    }
    co_return HttpResponse{healthy ? 200 : 503,
                           std::string(kJsonContentType),
                           healthy ? R"({"status":"ok"})" : R"({"status":"unavailable"})",
                           {}};
}

}  // namespace jobd::api
