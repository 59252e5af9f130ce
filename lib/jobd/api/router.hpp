#pragma once
// Maps HTTP requests to the API (contract §5): SOAP at /IpsApi and
// /scene7/services/IpsApiService, JSON at /api/v1/<operation>, and /healthz. Encodes every
// jobd::Error as the fault of the request's encoding.
//
// Threads: Route() is awaited on a connection's strand and resumes there.

#include <functional>

#include <boost/asio/awaitable.hpp>

#include "jobd/api/call.hpp"

namespace jobd::api {

class Service;

// /healthz: true when the database answers and the scheduler runs.
using HealthCheck = std::function<boost::asio::awaitable<bool>()>;

class Router {
public:
    Router(Service& service, HealthCheck health) : service_(service), health_(std::move(health)) {}

    boost::asio::awaitable<HttpResponse> Route(HttpRequest request);

private:
    boost::asio::awaitable<HttpResponse> Soap(HttpRequest request);
    boost::asio::awaitable<HttpResponse> Json(HttpRequest request, std::string operation);
    boost::asio::awaitable<HttpResponse> Health();

    Service& service_;
    HealthCheck health_;
};

}  // namespace jobd::api
