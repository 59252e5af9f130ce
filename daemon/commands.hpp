#pragma once
// The jobd subcommands (contract §3). Each returns the process exit code: 0 ok, 1 runtime
// failure, 2 bad usage or bad config.

#include <filesystem>
#include <optional>
#include <string>

namespace jobd::daemon {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

int RunDaemon(const std::filesystem::path& config_path);
int Migrate(const std::filesystem::path& config_path);
int CheckConfig(const std::filesystem::path& config_path);

int AddCompany(const std::filesystem::path& config_path,
               const std::string& name,
               std::optional<std::int64_t> handle);
int AddUser(const std::filesystem::path& config_path,
            const std::string& email,
            const std::string& company,
            const std::string& role,
            bool password_stdin);
int AddToken(const std::filesystem::path& config_path,
             const std::string& email,
             const std::string& name);

// A company's own runs.retention / runs.retention_failed (contract §9): a duration, or
// kRetentionDefault for the config's; an option not given keeps the company's current setting.
inline constexpr const char* kRetentionDefault = "default";
int SetRetention(const std::filesystem::path& config_path,
                 const std::string& company,
                 const std::optional<std::string>& retention,
                 const std::optional<std::string>& retention_failed);

}  // namespace jobd::daemon
