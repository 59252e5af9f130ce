#pragma once
// An spdlog sink that sends each line to journald with the fields of JournalFields
// (sd_journal_sendv). Thread-safe (base_sink's mutex); used by logger.cpp only, when standard
// error is the journal stream systemd connected (StderrIsJournal).

#include <mutex>

#include <spdlog/sinks/base_sink.h>

namespace jobd::log::detail {

class JournalSink : public spdlog::sinks::base_sink<std::mutex> {
protected:
    void sink_it_(const spdlog::details::log_msg& msg) override;

    void flush_() override {}
};

// Whether systemd connected stderr to the journal: JOURNAL_STREAM ("<device>:<inode>") names
// the very file stderr is (systemd.exec(5)), so a redirect of stderr is still honoured.
bool StderrIsJournal();

}  // namespace jobd::log::detail
