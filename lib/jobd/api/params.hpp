#pragma once
// Typed reads of a Call's params with the IPS fault semantics (contract §5): a missing required
// field is MissingParameter (30002), a malformed one InvalidParameter (30001), each naming the
// field. SOAP delivers every leaf as a string, JSON may send numbers and booleans: both are
// accepted wherever a number or boolean is expected. Pure.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>

#include "jobd/model/handles.hpp"
#include "jobd/model/time.hpp"

namespace jobd::api {

class Params {
public:
    explicit Params(const boost::json::object& params) : params_(params) {}

    // A non-empty string.
    std::string RequireString(std::string_view field) const;
    std::optional<std::string> OptionalString(std::string_view field) const;

    std::optional<std::int64_t> OptionalInt(std::string_view field,
                                            std::int64_t min,
                                            std::int64_t max) const;
    std::optional<bool> OptionalBool(std::string_view field) const;
    std::optional<DateTimeText> OptionalDateTime(std::string_view field) const;
    // A JSON array of strings, or SOAP <field><items>…</items></field>.
    std::vector<std::string> StringArray(std::string_view field) const;

    CompanyId RequireCompany(std::string_view field = "companyHandle") const;
    std::optional<CompanyId> OptionalCompany(std::string_view field = "companyHandle") const;
    JobHandle RequireJobHandle(std::string_view field = "jobHandle") const;

    const boost::json::value* Find(std::string_view field) const;

    const boost::json::object& object() const { return params_; }

private:
    const boost::json::object& params_;
};

}  // namespace jobd::api
