// The replay driver of normal (non-libFuzzer) builds, as Envoy's test/fuzz/main.cc: every file
// of the directories (or the files) named on the command line is one input to the target, so
// the seed corpus and every crash input added to it run on each ctest. A target signals a broken
// invariant by aborting; an exception escaping the target is a failure of that input.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {

namespace fs = std::filesystem;

// Sorted, so a failure names the same input on every run.
std::vector<fs::path> CollectInputs(int argc, char** argv) {
    std::vector<fs::path> inputs;
    for (int i = 1; i < argc; ++i) {
        const fs::path root(argv[i]);
        if (!fs::is_directory(root)) {
            inputs.push_back(root);
            continue;
        }
        for (const auto& entry : fs::recursive_directory_iterator(root)) {
            if (entry.is_regular_file()) {
                inputs.push_back(entry.path());
            }
        }
    }
    std::sort(inputs.begin(), inputs.end());
    return inputs;
}

std::string ReadFile(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        throw std::runtime_error(path.string() + ": cannot be read");
    }
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

bool Replay(const fs::path& path) {
    try {
        const std::string input = ReadFile(path);
        LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(input.data()), input.size());
        return true;
    } catch (const std::exception& error) {
        std::cerr << path.string() << ": FAILED: " << error.what() << '\n';
        return false;
    }
}

}  // namespace

int main(int argc, char** argv) {
    const std::vector<fs::path> inputs = CollectInputs(argc, argv);
    int passed = 0;
    int failed = 0;
    for (const fs::path& path : inputs) {
        ++(Replay(path) ? passed : failed);
    }
    // An empty corpus would pass without testing anything: a wrong path, not a success.
    if (inputs.empty()) {
        std::cerr << "no inputs found in the given corpus paths\n";
        ++failed;
    }
    std::cout << passed << " passed, " << failed << " failed\n";
    return failed == 0 ? 0 : 1;
}
