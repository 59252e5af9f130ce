#pragma once
// Bounded history (contract §9): deleting finished runs older than their retention, one bounded
// batch per transaction. Blocking: functions take a store::Pool transaction.
//
// A run's age is counted from its end (ended_at), or from queued_at for a run that never started
// (a Skipped fire). Failed, TimedOut and Lost runs are kept `retention_failed`, the other finished
// states (Succeeded, Stopped, Skipped) `retention`; a company's own `retention` /
// `retention_failed` columns override either. Queued and Running runs are never deleted. A run's
// details go with it (ON DELETE CASCADE); a retry whose original run is deleted keeps its attempt
// number and loses only the link (first_run_id SET NULL, migration 0006).

#include <chrono>
#include <cstdint>
#include <optional>

#include <pqxx/pqxx>

#include "jobd/model/handles.hpp"
#include "jobd/model/time.hpp"

namespace jobd::store {

// runs.retention / runs.retention_failed: the history kept where a company sets none.
struct Retention {
    std::chrono::milliseconds kept = std::chrono::hours(24 * 30);
    std::chrono::milliseconds kept_failed = std::chrono::hours(24 * 90);
};

// How much one transaction may delete: at most `runs` runs, and no more runs once their details
// reach `details` rows (a run with more details than that is still deleted, alone).
struct PruneLimits {
    int runs = 500;
    std::int64_t details = 10000;
};

struct PruneBatch {
    // Another node holds the prune lock: nothing was looked at.
    bool locked_out = false;
    int runs = 0;              // deleted
    std::int64_t details = 0;  // deleted with them
    // A limit was reached: more may be prunable now.
    bool full = false;
    // When nothing is left to prune now: the earliest instant a run may become prunable, a kept
    // one or one finishing now (nullopt: no company at all).
    std::optional<TimePoint> next_due;
};

// Deletes one batch of the runs prunable at `now`. Only one transaction at a time prunes, across
// all nodes (a transaction-level advisory lock): the others get locked_out at once, never wait.
PruneBatch PruneRuns(pqxx::work& tx, TimePoint now, const Retention& retention, PruneLimits limits);

// A company's own retention (companies.retention / retention_failed); nullopt: the config's.
struct CompanyRetention {
    std::optional<std::chrono::milliseconds> kept;
    std::optional<std::chrono::milliseconds> kept_failed;
};

// Throw Error(NotFound) for an unknown company.
CompanyRetention FindCompanyRetention(pqxx::work& tx, CompanyId company);
void SetCompanyRetention(pqxx::work& tx, CompanyId company, const CompanyRetention& retention);

}  // namespace jobd::store
