#pragma once
// The journald fields of one daemon log line (issue #7 "logs operators can follow"). Pure: the
// journal sink (detail/journal_sink.hpp) sends what this returns, so the mapping is testable
// without a journal. Lines name runs as key=value fields (STYLE.md "Logging"):
//   run finished company=47 job="My Test Job" run=812 state=Failed exit_code=3
// gives COMPANY=47, JOB_HANDLE=47|My Test Job|, RUN_HANDLE=47|My Test Job|812, STATE=Failed, so
// `journalctl -u jobd COMPANY=47` or `journalctl RUN_HANDLE='47|My Test Job|812'` finds them.

#include <string>
#include <string_view>
#include <vector>

namespace jobd::log {

struct JournalField {
    std::string name;  // journald field name: upper case, digits, underscore
    std::string value;

    friend bool operator==(const JournalField&, const JournalField&) = default;
};

// MESSAGE, PRIORITY (syslog, from spdlog's level name: "trace" … "critical"), SYSLOG_IDENTIFIER
// jobd, JOBD_SUBSYSTEM (the logger: main, api, engine, store, exec), then COMPANY, JOB_HANDLE,
// RUN_HANDLE and STATE as far as the message's company=, job=, run= and state= fields give them:
// JOB_HANDLE needs company and job, RUN_HANDLE all three. A quoted value ends at the `"` that is
// followed by the end or by ` key=`, so job names with quotes or spaces survive.
std::vector<JournalField> JournalFields(std::string_view level,
                                        std::string_view subsystem,
                                        std::string_view message);

}  // namespace jobd::log
