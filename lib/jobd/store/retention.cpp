#include "jobd/store/retention.hpp"

#include <string>

#include "jobd/model/error.hpp"
#include "jobd/store/pqxx_support.hpp"

namespace jobd::store {
namespace {

// "jobdprun": one pruning transaction at a time across all nodes, so two nodes never delete the
// same rows or compete for them; the others look again later (contract §9, issue #8).
constexpr std::int64_t kPruneLockKey = 0x6a6f62647072756e;

constexpr const char* kTryPruneLock = "SELECT pg_try_advisory_xact_lock($1)";

// Each company's retention per class ($1/$2: the config's retention and retention_failed in
// microseconds; a company's own interval column wins). `failed` is the class of Failed, TimedOut
// and Lost runs. The queries below continue this WITH.
constexpr const char* kWithPolicy = R"sql(
    WITH policy AS (
        SELECT c.id AS company_id, k.failed,
               CASE WHEN k.failed
                    THEN coalesce(c.retention_failed, $2 * interval '1 microsecond')
                    ELSE coalesce(c.retention, $1 * interval '1 microsecond') END AS kept
        FROM companies c CROSS JOIN (VALUES (false), (true)) AS k (failed)))sql";

// $3 now. The expressions and the predicate match runs_prune_idx (migration 0006) exactly: each
// (company, class) is one range scan of it from its oldest entry up to the cutoff, and the scans
// stop once the batch has $4 runs. The batch also stops once the details of the runs before a
// run reach $5 rows, so one transaction stays small whatever the runs wrote; its first run always
// goes, or a run with more details than that would stall pruning.
constexpr const char* kPrune = R"sql(,
    candidates AS (
        SELECT r.id, r.detail_rows,
               sum(r.detail_rows) OVER (ORDER BY p.company_id, p.failed, r.ended, r.id)
                   - r.detail_rows AS details_before
        FROM policy p CROSS JOIN LATERAL (
            SELECT id, detail_rows, coalesce(ended_at, queued_at) AS ended FROM runs
            WHERE company_id = p.company_id
              AND (state IN ('Failed', 'TimedOut', 'Lost')) = p.failed
              AND state NOT IN ('Queued', 'Running')
              AND coalesce(ended_at, queued_at) < jobd_ts($3) - p.kept
            ORDER BY coalesce(ended_at, queued_at)
            LIMIT $4) r
        LIMIT $4)
    DELETE FROM runs WHERE id IN (
        SELECT id FROM candidates WHERE details_before = 0 OR details_before + detail_rows <= $5)
    RETURNING detail_rows, (SELECT count(*) FROM candidates))sql";

// When the oldest kept finished run of any company and class becomes prunable (the first entry
// of each (company, class) range of runs_prune_idx), or a run finishing at $3 at the soonest,
// whichever is first.
constexpr const char* kNextDue = R"sql(
    SELECT jobd_micros(least(min(o.oldest + p.kept), jobd_ts($3) + min(p.kept)))
    FROM policy p CROSS JOIN LATERAL (
        SELECT min(coalesce(ended_at, queued_at)) AS oldest FROM runs
        WHERE company_id = p.company_id
          AND (state IN ('Failed', 'TimedOut', 'Lost')) = p.failed
          AND state NOT IN ('Queued', 'Running')) o)sql";

constexpr const char* kSelectCompanyRetention = R"sql(
    SELECT (extract(epoch FROM retention) * 1000000)::bigint,
           (extract(epoch FROM retention_failed) * 1000000)::bigint
    FROM companies WHERE id = $1)sql";

constexpr const char* kSetCompanyRetention = R"sql(
    UPDATE companies SET retention = $2 * interval '1 microsecond',
                         retention_failed = $3 * interval '1 microsecond'
    WHERE id = $1)sql";

Error NoSuchCompany(CompanyId company) {
    return Error(ErrorKind::NotFound,
                 Message(MessageId::NoSuchCompany, {{"company", std::to_string(company)}}),
                 "COMPANY");
}

std::optional<std::chrono::milliseconds> DurationOf(const pqxx::field& micros) {
    const auto value = Nullable<std::int64_t>(micros);
    if (!value) {
        return std::nullopt;
    }
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::microseconds(*value));
}

std::optional<std::int64_t> MicrosOf(std::optional<std::chrono::milliseconds> duration) {
    if (!duration) {
        return std::nullopt;
    }
    return std::chrono::duration_cast<std::chrono::microseconds>(*duration).count();
}

}  // namespace

PruneBatch PruneRuns(pqxx::work& tx,
                     TimePoint now,
                     const Retention& retention,
                     PruneLimits limits) {
    PruneBatch batch;
    if (!tx.exec_params1(kTryPruneLock, kPruneLockKey)[0].as<bool>()) {
        batch.locked_out = true;
        return batch;
    }
    const std::int64_t kept = *MicrosOf(retention.kept);
    const std::int64_t kept_failed = *MicrosOf(retention.kept_failed);
    const auto deleted = tx.exec_params(std::string(kWithPolicy) + kPrune,
                                        kept,
                                        kept_failed,
                                        ToMicros(now),
                                        limits.runs,
                                        limits.details);
    batch.runs = static_cast<int>(deleted.size());
    for (const auto& row : deleted) {
        batch.details += row[0].as<std::int64_t>();
    }
    // Candidates left behind for their details, or as many as the batch takes: more may be due.
    const int candidates = deleted.empty() ? 0 : deleted[0][1].as<int>();
    batch.full = candidates >= limits.runs || batch.runs < candidates;
    if (!batch.full) {
        const auto next =
            tx.exec_params1(std::string(kWithPolicy) + kNextDue, kept, kept_failed, ToMicros(now));
        batch.next_due = NullableTime(next[0]);
    }
    return batch;
}

CompanyRetention FindCompanyRetention(pqxx::work& tx, CompanyId company) {
    const auto rows = tx.exec_params(kSelectCompanyRetention, company);
    if (rows.empty()) {
        throw NoSuchCompany(company);
    }
    return {DurationOf(rows[0][0]), DurationOf(rows[0][1])};
}

void SetCompanyRetention(pqxx::work& tx, CompanyId company, const CompanyRetention& retention) {
    const auto updated = tx.exec_params0(
        kSetCompanyRetention, company, MicrosOf(retention.kept), MicrosOf(retention.kept_failed));
    if (updated.affected_rows() == 0) {
        throw NoSuchCompany(company);
    }
}

}  // namespace jobd::store
