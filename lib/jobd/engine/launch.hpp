#pragma once
// How a claimed run becomes a child process (contract §7). Pure: the caller gives the settings.

#include <chrono>
#include <map>
#include <string>

#include "jobd/config/config.hpp"
#include "jobd/exec/child_process.hpp"
#include "jobd/store/runs.hpp"

namespace jobd::engine {

struct LaunchSettings {
    std::map<std::string, config::Handler> handlers;  // by IPS job type element
    config::Duration default_timeout;
    config::Duration stop_grace;
};

// argv from the job's commandJob payload or the handler of its IPS job type; the payload JSON on
// stdin; JOBD_* variables; the timeout (job timeoutSeconds, else commandJob's, else the
// handler's, else runs.default_timeout). Throws Error(InvalidParameter) when the job type has no
// handler or the commandJob payload is unusable.
exec::Command BuildCommand(const store::RunLaunch& launch,
                           const LaunchSettings& settings,
                           const std::string& scheduled_at);

}  // namespace jobd::engine
