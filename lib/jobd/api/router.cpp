#include "jobd/api/router.hpp"

#include <boost/json.hpp>
#include <spdlog/spdlog.h>

#include "jobd/api/fault_map.hpp"
#include "jobd/api/json_codec.hpp"
#include "jobd/api/openapi.hpp"
#include "jobd/api/service.hpp"
#include "jobd/api/soap_codec.hpp"
#include "jobd/api/wsdl.hpp"
#include "jobd/auth/operation.hpp"
#include "jobd/log/logger.hpp"
#include "jobd/metrics/metrics.hpp"
#include "jobd/metrics/text_format.hpp"
#include "jobd/model/error.hpp"

namespace jobd::api {
namespace {

constexpr std::string_view kJsonPrefix = "/api/v1/";
// The jobd_http_requests_total label of everything that is not an API operation: the label's
// values stay bounded whatever paths and operation names clients send.
constexpr std::string_view kOtherOperation = "other";

spdlog::logger& Log() {
    return log::Get(log::Subsystem::Api);
}

std::string_view PathOf(std::string_view target) {
    return target.substr(0, target.find('?'));
}

HttpResponse Plain(int status, std::string body) {
    return {status, "text/plain; charset=utf-8", std::move(body) + "\n", {}};
}

// The error as a fault whose reason is in `language` (contract §5): its kind decides code and
// status; anything that is not a jobd::Error is a bug or a library failure, reported as 30000
// without its details.
std::pair<FaultSpec, std::string> FaultOf(std::exception_ptr error, Language language) {
    try {
        std::rethrow_exception(error);
    } catch (const Error& e) {
        return {FaultFor(e.kind()), e.Describe(language)};
    } catch (const std::exception& e) {
        Log().error("request failed error=\"{}\"", e.what());
        return {FaultFor(ErrorKind::Internal), Render(Message(MessageId::InternalError), language)};
    }
}

std::string_view OperationLabel(std::string_view name) {
    const auto operation = auth::ParseOperation(name);
    return operation ? auth::ToString(*operation) : kOtherOperation;
}

// What the request's Accept-Language asks for: the language of faults raised before a codec
// has read the request (or when it cannot).
std::optional<Language> HeaderLanguage(const HttpRequest& request) {
    return PreferredLanguage({}, HeaderValue(request, "accept-language"));
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
    Routed routed = co_await Dispatch(std::move(request));
    metrics_.HttpRequest(routed.operation, routed.response.status);
    co_return std::move(routed.response);
}

boost::asio::awaitable<Router::Routed> Router::Dispatch(HttpRequest request) {
    const std::string path(PathOf(request.target));
    if (path == "/healthz" && request.method == "GET") {
        // Awaited apart: g++ 12 destroys a temporary twice when co_await is in a braced init.
        HttpResponse response = co_await Health();
        co_return Routed{std::move(response), kOtherOperation};
    }
    if (path == "/metrics" && request.method == "GET") {
        // Awaited apart: g++ 12 destroys a temporary twice when co_await is in a braced init.
        HttpResponse response = co_await Scrape();
        co_return Routed{std::move(response), kOtherOperation};
    }
    if (path == "/IpsApi.wsdl" && request.method == "GET") {
        // The endpoint as the client reached it, so generated stubs call this very server.
        const std::string host(HeaderValue(request, "host"));
        const std::string endpoint = "http://" + (host.empty() ? "localhost" : host) + "/IpsApi";
        co_return Routed{HttpResponse{200, std::string(kSoapContentType), Wsdl(endpoint), {}},
                         kOtherOperation};
    }
    if (path == "/api/v1/openapi.json" && request.method == "GET") {
        co_return Routed{HttpResponse{200, std::string(kJsonContentType), OpenApiJson(), {}},
                         kOtherOperation};
    }
    if (path == "/IpsApi" || path == "/scene7/services/IpsApiService") {
        if (request.method != "POST") {
            co_return Routed{Plain(405, "use POST for SOAP requests"), kOtherOperation};
        }
        co_return co_await Soap(std::move(request));
    }
    if (path.starts_with(kJsonPrefix)) {
        if (request.method != "POST") {
            co_return Routed{Plain(405, "use POST for JSON operations"), kOtherOperation};
        }
        std::string operation = path.substr(kJsonPrefix.size());
        co_return co_await Json(std::move(request), std::move(operation));
    }
    co_return Routed{Plain(404, "no such resource: " + path), kOtherOperation};
}

boost::asio::awaitable<Router::Routed> Router::Soap(HttpRequest request) {
    std::exception_ptr error;
    std::string_view label = kOtherOperation;
    std::string ns(kIpsNamespace);
    std::optional<int> fault_status;
    std::optional<Language> language = HeaderLanguage(request);
    try {
        if (request.body_too_large) {
            // Refused from the HTTP header, before any authHeader could be read: the HTTP status
            // of the limit (contract §4), not IPS's 500.
            fault_status = 413;
            throw Error(ErrorKind::TooLarge, Message(MessageId::BodyTooLarge));
        }
        Call call = DecodeSoap(request);
        ns = call.soap_namespace;
        fault_status = call.fault_http_status;
        label = OperationLabel(call.operation);
        language = call.language;
        const std::string operation = call.operation;
        boost::json::object result = co_await service_.Handle(std::move(call));
        DropFields(result, operation);
        co_return Routed{
            HttpResponse{
                200, std::string(kSoapContentType), EncodeSoapReturn(operation, result, ns), {}},
            label};
    } catch (...) {
        error = std::current_exception();
    }
    const auto [fault, reason] = FaultOf(error, language.value_or(service_.DefaultLanguage()));
    Log().debug("soap fault code={} reason=\"{}\"", fault.code, reason);
    // IPS answers SOAP faults with HTTP 500 unless authHeader/faultHttpStatusCode says otherwise.
    co_return Routed{HttpResponse{fault_status.value_or(500),
                                  std::string(kSoapContentType),
                                  EncodeSoapFault(fault, reason, ns),
                                  {}},
                     label};
}

boost::asio::awaitable<Router::Routed> Router::Json(HttpRequest request, std::string operation) {
    std::exception_ptr error;
    const std::string_view label = OperationLabel(operation);
    const Language language = HeaderLanguage(request).value_or(service_.DefaultLanguage());
    try {
        if (request.body_too_large) {
            throw Error(ErrorKind::TooLarge, Message(MessageId::BodyTooLarge));
        }
        if (FindOperation(operation) == nullptr) {
            const Error unknown(ErrorKind::InvalidParameter,
                                Message(MessageId::UnknownOperation, {{"operation", operation}}),
                                "operation");
            co_return Routed{
                HttpResponse{404,
                             std::string(kJsonContentType),
                             EncodeJsonFault(FaultFor(unknown.kind()), unknown.Describe(language)),
                             {}},
                label};
        }
        Call call = DecodeJson(request, operation);
        boost::json::object result = co_await service_.Handle(std::move(call));
        co_return Routed{
            HttpResponse{200, std::string(kJsonContentType), EncodeJsonReturn(result), {}}, label};
    } catch (...) {
        error = std::current_exception();
    }
    const auto [fault, reason] = FaultOf(error, language);
    Log().debug("json fault operation={} code={} reason=\"{}\"", operation, fault.code, reason);
    co_return Routed{
        HttpResponse{
            fault.http_status, std::string(kJsonContentType), EncodeJsonFault(fault, reason), {}},
        label};
}

std::string HealthJson(const HealthReport& report) {
    boost::json::object database{{"reachable", !report.database_problem}};
    if (report.database_problem) {
        database["reason"] = *report.database_problem;
    }
    boost::json::object log_dir{{"writable", !report.log_dir_problem}};
    if (report.log_dir_problem) {
        log_dir["reason"] = *report.log_dir_problem;
    }
    const char* scheduler =
        report.stopping ? "stopping" : (report.scheduler_running ? "running" : "stopped");
    return boost::json::serialize(boost::json::object{
        {"status", report.Healthy() ? "ok" : "unavailable"},
        {"database", std::move(database)},
        {"scheduler", scheduler},
        {"logDir", std::move(log_dir)},
    });
}

boost::asio::awaitable<HttpResponse> Router::Health() {
    try {
        const HealthReport report = co_await health_();
        if (!report.Healthy()) {
            Log().warn("unhealthy {}", HealthJson(report));
        }
        co_return HttpResponse{
            report.Healthy() ? 200 : 503, std::string(kJsonContentType), HealthJson(report), {}};
    } catch (const std::exception& e) {
        Log().warn("health check failed error=\"{}\"", e.what());
    }
    co_return HttpResponse{503, std::string(kJsonContentType), R"({"status":"unavailable"})", {}};
}

boost::asio::awaitable<HttpResponse> Router::Scrape() {
    try {
        std::string page = co_await page_();
        co_return HttpResponse{200, std::string(metrics::kTextContentType), std::move(page), {}};
    } catch (const std::exception& e) {
        Log().warn("metrics not available error=\"{}\"", e.what());
    }
    co_return Plain(503, "metrics not available");
}

}  // namespace jobd::api
