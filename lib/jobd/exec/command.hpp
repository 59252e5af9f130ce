#pragma once
// What to run for one run (contract §7): the argv, environment overlay, working directory,
// stdin payload and time limits. Plain data, no Asio; ChildProcess::Start consumes it.

#include <chrono>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace jobd::exec {

struct Command {
    // argv[0] is the program: looked up in the overlaid environment's PATH when it has no '/',
    // like execvp but never falling back to /bin/sh (contract §7: no shell unless asked for).
    std::vector<std::string> argv{};
    std::map<std::string, std::string> env{};     // overlaid on the daemon's environment
    std::filesystem::path working_dir{};          // empty: the daemon's
    std::string stdin_data{};                     // the job payload JSON; stdin is closed after it
    std::chrono::milliseconds timeout{0};         // 0: none
    std::chrono::milliseconds kill_grace{10000};  // SIGTERM -> SIGKILL delay for stop and timeout
};

}  // namespace jobd::exec
