#include "jobd/client/requests.hpp"

#include <initializer_list>

#include <boost/json/array.hpp>
#include <boost/json/parse.hpp>

#include "jobd/model/enums.hpp"
#include "jobd/model/error.hpp"
#include "jobd/model/handles.hpp"
#include "jobd/model/job_types.hpp"
#include "jobd/model/time.hpp"

namespace jobd::client {
namespace {

namespace json = boost::json;

Error Invalid(std::string_view field, MessageId id) {
    return Error(ErrorKind::InvalidParameter, Message(id), std::string(field));
}

// `id` with the text at fault as its "value".
Error Invalid(std::string_view field, MessageId id, std::string_view value) {
    return Error(ErrorKind::InvalidParameter,
                 Message(id, {{"value", std::string(value)}}),
                 std::string(field));
}

CompanyId RequireCompany(std::string_view company) {
    const auto id = ParseCompanyHandle(company);
    if (!id) {
        throw Invalid("COMPANY", MessageId::CliNotCompanyHandle, company);
    }
    return *id;
}

template <typename E>
std::string RequireEnum(std::string_view text,
                        std::string_view flag,
                        std::initializer_list<E> all) {
    if (Parse<E>(text)) {
        return std::string(text);
    }
    std::string names;
    for (const E value : all) {
        names += (names.empty() ? "" : ", ") + std::string(ToString(value));
    }
    throw Error(ErrorKind::InvalidParameter,
                Message(MessageId::CliNotOneOf, {{"value", std::string(text)}, {"names", names}}),
                std::string(flag));
}

// Catches a typo before the daemon does; the daemon still decides what the time means.
const std::optional<std::string>& RequireDateTime(const std::optional<std::string>& text,
                                                  std::string_view flag) {
    if (text && !ParseDateTime(*text)) {
        throw Invalid(flag, MessageId::CliNotDateTime, *text);
    }
    return text;
}

void SetIf(json::object& object, std::string_view key, const std::optional<std::string>& value) {
    if (value) {
        object[key] = *value;
    }
}

void SetIf(json::object& object, std::string_view key, const std::optional<int>& value) {
    if (value) {
        object[key] = *value;
    }
}

// "K=V" split at the first '='; the key must not be empty.
std::pair<std::string, std::string> SplitAssignment(std::string_view text, std::string_view flag) {
    const auto equals = text.find('=');
    if (equals == std::string_view::npos || equals == 0) {
        throw Invalid(flag, MessageId::CliNotAssignment, text);
    }
    return {std::string(text.substr(0, equals)), std::string(text.substr(equals + 1))};
}

json::object CommandPayload(const SubmitOptions& options) {
    if (!options.fields.empty()) {
        throw Invalid("--field", MessageId::CliFieldForTypeOnly);
    }
    json::object payload;
    payload["argv"] = json::array(options.command.begin(), options.command.end());
    json::object env;
    for (const std::string& assignment : options.env) {
        auto [key, value] = SplitAssignment(assignment, "--env");
        env[key] = value;
    }
    payload["env"] = std::move(env);
    SetIf(payload, "workingDir", options.working_dir);
    return payload;
}

json::object TypedPayload(const SubmitOptions& options) {
    if (!options.env.empty() || options.working_dir) {
        throw Invalid("--env", MessageId::CliEnvForCommandOnly);
    }
    if (!IsJobType(options.job_type) || options.job_type == kCommandJob) {
        throw Invalid("--type", MessageId::CliNotJobType, options.job_type);
    }
    json::object payload;
    for (const std::string& text : options.fields) {
        Field field = ParseField(text, "--field");
        if (payload.contains(field.key)) {
            throw Error(ErrorKind::InvalidParameter,
                        Message(MessageId::CliFieldTwice, {{"key", field.key}}),
                        "--field");
        }
        payload[field.key] = std::move(field.value);
    }
    return payload;
}

void AddPayload(json::object& request, const SubmitOptions& options) {
    const bool is_command = !options.command.empty();
    if (is_command == !options.job_type.empty()) {
        throw Error(ErrorKind::MissingParameter, Message(MessageId::CliCommandOrType), "--command");
    }
    if (is_command) {
        request["commandJob"] = CommandPayload(options);
    } else {
        request[options.job_type] = TypedPayload(options);
    }
}

void AddTiming(json::object& request, const SubmitOptions& options) {
    if (options.at && options.schedule) {
        throw Invalid("--at", MessageId::CliAtOrSchedule);
    }
    SetIf(request, "execTime", RequireDateTime(options.at, "--at"));
    SetIf(request, "execSchedule", options.schedule);
    SetIf(request, "timeZone", options.time_zone);
    if (options.overlap) {
        request["overlap"] = RequireEnum<Overlap>(
            *options.overlap, "--overlap", {Overlap::Forbid, Overlap::Allow, Overlap::Queue});
    }
    if (options.misfire) {
        request["misfire"] =
            RequireEnum<Misfire>(*options.misfire, "--misfire", {Misfire::FireOnce, Misfire::Skip});
    }
    SetIf(request, "timeoutSeconds", options.timeout_seconds);
    SetIf(request, "maxRetries", options.max_retries);
    SetIf(request, "retryBackoffSeconds", options.backoff_seconds);
}

}  // namespace

Field ParseField(std::string_view text, std::string_view flag) {
    const auto equals = text.find('=');
    const bool is_json = equals != std::string_view::npos && equals > 0 && text[equals - 1] == ':';
    const auto key_end = is_json ? equals - 1 : equals;
    if (equals == std::string_view::npos || key_end == 0) {
        throw Invalid(flag, MessageId::CliNotField, text);
    }
    Field field{std::string(text.substr(0, key_end)), json::string(text.substr(equals + 1))};
    if (is_json) {
        boost::system::error_code error;
        field.value = json::parse(text.substr(equals + 1), error);
        if (error) {
            throw Error(ErrorKind::InvalidParameter,
                        Message(MessageId::CliFieldNotJson, {{"key", field.key}}),
                        std::string(flag));
        }
    }
    return field;
}

std::string ResolveJobHandle(std::string_view company, std::string_view text) {
    const CompanyId company_id = RequireCompany(company);
    if (const auto handle = ParseJobHandle(text)) {
        if (handle->company != company_id) {
            throw Invalid("JOBHANDLE", MessageId::CliHandleOtherCompany, text);
        }
        return std::string(text);
    }
    if (IsValidJobName(text)) {
        return ToString(JobHandle{company_id, std::string(text)});
    }
    throw Invalid("JOBHANDLE", MessageId::CliNotJobHandleOrName, text);
}

std::string ResolveLogHandle(std::string_view company, std::string_view text) {
    if (const auto run = ParseRunHandle(text)) {
        if (run->company != RequireCompany(company)) {
            throw Invalid("HANDLE", MessageId::CliHandleOtherCompany, text);
        }
        return std::string(text);
    }
    return ResolveJobHandle(company, text);
}

json::object BuildSubmitJob(const SubmitOptions& options) {
    RequireCompany(options.company);
    if (!IsValidJobName(options.name)) {
        throw Invalid("NAME", MessageId::CliJobNameInvalid);
    }
    json::object request{{"companyHandle", options.company}, {"jobName", options.name}};
    SetIf(request, "description", options.description);
    AddTiming(request, options);
    AddPayload(request, options);
    return request;
}

json::object BuildJobAction(std::string_view company, std::string_view job) {
    return {{"companyHandle", company}, {"jobHandle", ResolveJobHandle(company, job)}};
}

json::object BuildJobQuery(const std::optional<std::string>& company) {
    json::object request;
    if (company) {
        RequireCompany(*company);
        request["companyHandle"] = *company;
    }
    return request;
}

json::object BuildGetJobLogs(const LogsOptions& options) {
    json::object request = BuildJobQuery(options.company);
    SetIf(request, "numRows", options.rows);
    SetIf(request, "sortBy", options.sort_by);
    if (options.descending) {
        request["sortDirection"] = "Descending";
    }
    SetIf(request, "startDate", RequireDateTime(options.since, "--since"));
    SetIf(request, "endDate", RequireDateTime(options.until, "--until"));
    return request;
}

json::object BuildGetJobLogDetails(const LogDetailsOptions& options) {
    json::object request{{"companyHandle", options.company},
                         {"jobHandle", ResolveLogHandle(options.company, options.handle)}};
    if (!options.log_types.empty()) {
        request["logTypeArray"] = json::array(options.log_types.begin(), options.log_types.end());
    }
    SetIf(request, "recordsPerPage", options.per_page);
    SetIf(request, "resultsPage", options.page);
    return request;
}

json::object BuildAddCompany(std::string_view name) {
    if (name.empty()) {
        throw Invalid("NAME", MessageId::CliCompanyNameEmpty);
    }
    return {{"companyName", name}};
}

json::object BuildAddUser(const AddUserOptions& options) {
    if (options.email.find('@') == std::string::npos) {
        throw Invalid("EMAIL", MessageId::CliNotEmail, options.email);
    }
    if (options.password.empty()) {
        throw Error(ErrorKind::MissingParameter, Message(MessageId::CliPasswordEmpty), "password");
    }
    RequireCompany(options.company);
    const std::string role = RequireEnum<Role>(options.role,
                                               "--role",
                                               {Role::IpsAdmin,
                                                Role::IpsCompanyAdmin,
                                                Role::IpsUser,
                                                Role::WebServiceUser,
                                                Role::TrialSiteAdmin,
                                                Role::TrialSiteUser,
                                                Role::ImagePortalAdmin,
                                                Role::ImagePortalUser,
                                                Role::ImagePortalContrib,
                                                Role::ImagePortalContribUser});
    return {{"email", options.email},
            {"password", options.password},
            {"companyHandle", options.company},
            {"defaultRole", role}};
}

}  // namespace jobd::client
