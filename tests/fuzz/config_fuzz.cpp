// fuzz_config: config::Load on any file content (contract §4). A bad file is a ConfigError and
// nothing else; yaml-cpp's own exceptions must not escape Load.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>

#include <unistd.h>

#include "fuzz/fuzz_check.hpp"
#include "jobd/config/config.hpp"

namespace {

namespace fs = std::filesystem;

// One file per process, rewritten for each input (Load only takes a path) and removed when the
// process exits normally; a crash leaves it with the input that crashed. The pid keeps parallel
// fuzzing jobs (-jobs=N) apart.
class InputFile {
public:
    InputFile()
        : path_(fs::temp_directory_path() /
                ("jobd-fuzz-config-" + std::to_string(getpid()) + ".yaml")) {}

    ~InputFile() {
        std::error_code ignored;
        fs::remove(path_, ignored);
    }

    InputFile(const InputFile&) = delete;
    InputFile& operator=(const InputFile&) = delete;

    const fs::path& path() const { return path_; }

private:
    fs::path path_;
};

const fs::path& InputPath() {
    static const InputFile file;
    return file.path();
}

void WriteInput(const std::uint8_t* data, std::size_t size) {
    std::ofstream out(InputPath(), std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
    jobd::fuzz::Check(static_cast<bool>(out), "the input file can be written");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    WriteInput(data, size);
    try {
        const jobd::config::Config config = jobd::config::Load(InputPath(), {});
        jobd::fuzz::Check(config.database.pool_size >= 1, "pool_size is validated to 1-1000");
        jobd::fuzz::Check(config.workers.max_concurrent_runs >= 1, "workers are validated");
    } catch (const jobd::config::ConfigError&) {
        // Rejecting the file is the expected outcome for most inputs; anything else escapes.
    }
    return 0;
}
