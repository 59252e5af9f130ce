#pragma once
// Maps HTTP requests to the API (contract §5): SOAP at /IpsApi and
// /scene7/services/IpsApiService, JSON at /api/v1/<operation>, /healthz and /metrics. Encodes
// every jobd::Error as the fault of the request's encoding, and counts every answered request
// in jobd_http_requests_total.
//
// Threads: Route() is awaited on a connection's strand and resumes there.

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include <boost/asio/awaitable.hpp>

#include "jobd/api/call.hpp"

namespace jobd::metrics {
class Metrics;
}

namespace jobd::api {

class Service;

// What /healthz reports (docs/operations.md "Health"); healthy when nothing is wrong.
struct HealthReport {
    bool stopping = false;                        // SIGTERM received: draining
    std::optional<std::string> database_problem;  // nullopt: `SELECT 1` answered
    bool scheduler_running = false;
    std::optional<std::string> log_dir_problem;  // log.dir/companies; nullopt: writable

    bool Healthy() const {
        return !stopping && !database_problem && scheduler_running && !log_dir_problem;
    }
};

// The JSON body of /healthz for a report.
std::string HealthJson(const HealthReport& report);

// /healthz: gathers the report; must not block the connection's strand.
using HealthCheck = std::function<boost::asio::awaitable<HealthReport>()>;

// /metrics: the Prometheus text exposition; must not block the connection's strand.
using MetricsPage = std::function<boost::asio::awaitable<std::string>()>;

class Router {
public:
    // `metrics` outlives the Router (daemon wiring).
    Router(Service& service, HealthCheck health, metrics::Metrics& metrics, MetricsPage page)
        : service_(service),
          health_(std::move(health)),
          metrics_(metrics),
          page_(std::move(page)) {}

    boost::asio::awaitable<HttpResponse> Route(HttpRequest request);

private:
    // An answer and the jobd_http_requests_total operation label it counts under.
    struct Routed {
        HttpResponse response;
        std::string_view operation;  // an operation's wire name (static), or "other"
    };

    boost::asio::awaitable<Routed> Dispatch(HttpRequest request);
    boost::asio::awaitable<Routed> Soap(HttpRequest request);
    boost::asio::awaitable<Routed> Json(HttpRequest request, std::string operation);
    boost::asio::awaitable<HttpResponse> Health();
    boost::asio::awaitable<HttpResponse> Scrape();

    Service& service_;
    HealthCheck health_;
    metrics::Metrics& metrics_;
    MetricsPage page_;
};

}  // namespace jobd::api
