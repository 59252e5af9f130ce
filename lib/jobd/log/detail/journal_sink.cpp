#include "jobd/log/detail/journal_sink.hpp"

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <sys/stat.h>
#include <sys/uio.h>
#include <systemd/sd-journal.h>
#include <unistd.h>

#include "jobd/log/journal_fields.hpp"

namespace jobd::log::detail {

void JournalSink::sink_it_(const spdlog::details::log_msg& msg) {
    const auto level = spdlog::level::to_string_view(msg.level);
    const std::vector<JournalField> fields =
        JournalFields(std::string_view(level.data(), level.size()),
                      std::string_view(msg.logger_name.data(), msg.logger_name.size()),
                      std::string_view(msg.payload.data(), msg.payload.size()));
    std::vector<std::string> items;
    items.reserve(fields.size());
    for (const JournalField& field : fields) {
        items.push_back(field.name + "=" + field.value);
    }
    std::vector<iovec> vector(items.size());
    for (std::size_t i = 0; i < items.size(); ++i) {
        vector[i] = {items[i].data(), items[i].size()};
    }
    // A journal that cannot take the line has nowhere better to report it.
    sd_journal_sendv(vector.data(), static_cast<int>(vector.size()));
}

bool StderrIsJournal() {
    const char* stream = std::getenv("JOURNAL_STREAM");
    if (stream == nullptr) {
        return false;
    }
    unsigned long long device = 0;
    unsigned long long inode = 0;
    if (std::sscanf(stream, "%llu:%llu", &device, &inode) != 2) {
        return false;
    }

    struct stat status {};

    if (::fstat(STDERR_FILENO, &status) != 0) {
        return false;
    }
    return status.st_dev == device && status.st_ino == inode;
}

}  // namespace jobd::log::detail
