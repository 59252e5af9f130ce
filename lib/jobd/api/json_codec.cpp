#include "jobd/api/json_codec.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "jobd/model/error.hpp"

namespace jobd::api {
namespace {

// No operation's fields nest this deep; the bound keeps a hostile body from exhausting the stack.
constexpr std::size_t kMaxDepth = 32;

boost::json::object ParseObject(const std::string& body) {
    if (body.find_first_not_of(" \t\r\n") == std::string::npos) {
        return {};
    }
    boost::json::parse_options options;
    options.max_depth = kMaxDepth;
    boost::system::error_code ec;
    boost::json::value value = boost::json::parse(body, ec, {}, options);
    if (ec) {
        throw Error(ErrorKind::InvalidRequestBody,
                    Message(MessageId::BodyNotJson, {{"problem", ec.message()}}),
                    "body");
    }
    if (!value.is_object()) {
        throw Error(ErrorKind::InvalidRequestBody, Message(MessageId::NotJsonObject), "body");
    }
    return std::move(value.as_object());
}

}  // namespace

Call DecodeJson(const HttpRequest& request, std::string_view operation) {
    Call call;
    call.operation = std::string(operation);
    call.params = ParseObject(request.body);
    call.credentials = HttpCredentials(request);
    call.language = PreferredLanguage({}, HeaderValue(request, "accept-language"));
    call.peer = request.peer;
    call.peer_uid = request.peer_uid;
    return call;
}

std::string EncodeJsonReturn(const boost::json::object& result) {
    return boost::json::serialize(result);
}

std::string EncodeJsonFault(const FaultSpec& fault, std::string_view reason) {
    return boost::json::serialize(boost::json::object{
        {"fault", FaultElementName(fault.element)},
        {"code", fault.code},
        {"reason", reason},
    });
}

}  // namespace jobd::api
