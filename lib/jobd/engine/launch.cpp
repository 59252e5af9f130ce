#include "jobd/engine/launch.hpp"

#include <boost/json.hpp>

#include "jobd/model/error.hpp"

namespace jobd::engine {
namespace {

namespace json = boost::json;

json::object PayloadObject(const std::string& payload_json) {
    boost::system::error_code ec;
    json::value value = json::parse(payload_json, ec);
    if (ec || !value.is_object()) {
        throw Error(ErrorKind::InvalidParameter, Message(MessageId::NotJsonObject), "payload");
    }
    return std::move(value.as_object());
}

std::vector<std::string> StringList(const json::object& payload, std::string_view key) {
    const auto* value = payload.if_contains(key);
    std::vector<std::string> list;
    if (value == nullptr || !value->is_array()) {
        return list;
    }
    for (const auto& item : value->as_array()) {
        if (item.is_string()) {
            list.emplace_back(item.as_string());
        }
    }
    return list;
}

std::map<std::string, std::string> StringMap(const json::object& payload, std::string_view key) {
    std::map<std::string, std::string> map;
    if (const auto* value = payload.if_contains(key); value && value->is_object()) {
        for (const auto& [name, item] : value->as_object()) {
            if (item.is_string()) {
                map.emplace(std::string(name), std::string(item.as_string()));
            }
        }
    }
    return map;
}

std::optional<config::Duration> Seconds(const json::object& payload, std::string_view key) {
    const auto* value = payload.if_contains(key);
    if (value == nullptr || !value->is_int64() || value->as_int64() <= 0) {
        return std::nullopt;
    }
    return std::chrono::seconds(value->as_int64());
}

void FromCommandJob(const json::object& payload, exec::Command& command) {
    command.argv = StringList(payload, "argv");
    if (command.argv.empty()) {
        throw Error(
            ErrorKind::InvalidParameter, Message(MessageId::MustNotBeEmpty), "commandJob.argv");
    }
    command.env = StringMap(payload, "env");
    if (const auto* dir = payload.if_contains("workingDir"); dir && dir->is_string()) {
        command.working_dir = std::string(dir->as_string());
    }
}

}  // namespace

exec::Command BuildCommand(const store::RunLaunch& launch,
                           const LaunchSettings& settings,
                           const std::string& scheduled_at) {
    const JobSpec& job = launch.job;
    const json::object payload = PayloadObject(job.payload_json);
    exec::Command command;
    std::optional<config::Duration> timeout;
    if (job.job_type == "commandJob") {
        FromCommandJob(payload, command);
        timeout = Seconds(payload, "timeoutSeconds");
    } else {
        const auto handler = settings.handlers.find(job.job_type);
        if (handler == settings.handlers.end()) {
            throw Error(ErrorKind::InvalidParameter,
                        Message(MessageId::NoHandler, {{"type", job.job_type}}),
                        job.job_type);
        }
        command.argv = handler->second.command;
        command.env = handler->second.env;
        timeout = handler->second.timeout;
    }
    if (job.timeout_seconds) {
        timeout = std::chrono::seconds(*job.timeout_seconds);
    }
    command.timeout = timeout.value_or(settings.default_timeout);
    command.kill_grace = settings.stop_grace;
    command.stdin_data = json::serialize(json::object{{job.job_type, payload}});
    const Run& run = launch.run;
    command.env["JOBD_COMPANY"] = std::to_string(run.company);
    command.env["JOBD_JOB_HANDLE"] = ToString(run.Handle().Job());
    command.env["JOBD_RUN_HANDLE"] = ToString(run.Handle());
    command.env["JOBD_TRIGGER"] = std::string(ToString(run.trigger));
    command.env["JOBD_SCHEDULED_AT"] = scheduled_at;
    return command;
}

}  // namespace jobd::engine
