// fuzz_json: DecodeJson on any body, then the typed Params reads an operation makes (contract
// §5). Only jobd::Error may escape, of the documented kinds and naming the field read; a decoded
// object survives EncodeJsonReturn and a second decode with its fields and their kinds.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>

#include "fuzz/fuzz_check.hpp"
#include "jobd/api/json_codec.hpp"
#include "jobd/api/params.hpp"
#include "jobd/model/error.hpp"

namespace {

using jobd::ErrorKind;
using jobd::api::Params;
using jobd::fuzz::Check;

jobd::api::HttpRequest JsonRequest(std::string body) {
    jobd::api::HttpRequest request;
    request.method = "POST";
    request.target = "/api/v1/executeJob";
    request.headers["content-type"] = std::string(jobd::api::kJsonContentType);
    request.body = std::move(body);
    return request;
}

// One typed read; a rejection must be a parameter fault naming the field.
template <typename Read>
void ReadField(std::string_view field, Read read) {
    try {
        read(field);
    } catch (const jobd::Error& error) {
        Check(error.kind() == ErrorKind::InvalidParameter ||
                  error.kind() == ErrorKind::MissingParameter,
              "Params throws InvalidParameter or MissingParameter");
        Check(error.field() == field, "a Params fault names the field read");
    }
}

void ReadParams(const Params& params) {
    for (const std::string_view field : {"jobName", "companyHandle", "jobHandle", "startDate"}) {
        ReadField(field, [&](std::string_view f) { params.RequireString(f); });
        ReadField(field, [&](std::string_view f) { params.OptionalString(f); });
        ReadField(field, [&](std::string_view f) { params.OptionalInt(f, -5, 1000); });
        ReadField(field, [&](std::string_view f) { params.OptionalBool(f); });
        ReadField(field, [&](std::string_view f) { params.OptionalDateTime(f); });
        ReadField(field, [&](std::string_view f) { params.StringArray(f); });
        ReadField(field, [&](std::string_view f) { params.OptionalCompany(f); });
        ReadField(field, [&](std::string_view f) { params.RequireJobHandle(f); });
    }
}

// Boost.JSON 1.81 reads doubles imprecisely (21e300 may come back one ulp off), so the round
// trip keeps every field and its kind, not necessarily every double's last bit.
void CheckSameShape(const boost::json::object& sent, const boost::json::object& again) {
    Check(sent.size() == again.size(), "an encode-decode round trip keeps every field");
    for (const auto& field : sent) {
        const boost::json::value* copy = again.if_contains(field.key());
        Check(copy != nullptr && copy->kind() == field.value().kind(),
              "an encode-decode round trip keeps each field's kind");
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    try {
        const jobd::api::Call call =
            jobd::api::DecodeJson(JsonRequest(std::string(jobd::fuzz::AsText(data, size))),
                                  "executeJob");
        Check(call.operation == "executeJob", "the operation comes from the router");
        ReadParams(Params(call.params));
        const jobd::api::Call again = jobd::api::DecodeJson(
            JsonRequest(jobd::api::EncodeJsonReturn(call.params)), "executeJob");
        CheckSameShape(call.params, again.params);
    } catch (const jobd::Error& error) {
        Check(error.kind() == ErrorKind::InvalidRequestBody, "DecodeJson rejects only the body");
    }
    return 0;
}
