-- Bounded history (contract §9): the pruner (store/retention.cpp) deletes finished runs older
-- than their company's retention, in small batches; their details go with them (ON DELETE
-- CASCADE, indexed by run_details_run_idx).

-- The pruner's only scan: per company and retention class (failed, timed-out and lost runs are
-- kept runs.retention_failed, the others runs.retention), the finished runs by the time they
-- ended (queued_at for runs that never started), oldest first. Queued and Running runs are not
-- in it, so they can never be pruned and never slow the scan. The expressions must stay exactly
-- as store/retention.cpp writes them, or the planner does not match the index.
CREATE INDEX runs_prune_idx ON runs (
    company_id,
    (state IN ('Failed', 'TimedOut', 'Lost')),
    (coalesce(ended_at, queued_at))
) WHERE state NOT IN ('Queued', 'Running');

-- A retry may outlive its original run (a shorter retention, or the original pruned in an
-- earlier batch): deleting the original must not fail, and the retry keeps its attempt number;
-- only the link to the original goes.
ALTER TABLE runs DROP CONSTRAINT runs_first_run_id_fkey;
ALTER TABLE runs ADD CONSTRAINT runs_first_run_id_fkey
    FOREIGN KEY (first_run_id) REFERENCES runs (id) ON DELETE SET NULL;
-- Without it every deleted run costs a scan of runs to find the retries pointing at it.
CREATE INDEX runs_first_run_idx ON runs (first_run_id) WHERE first_run_id IS NOT NULL;

-- getJobLogs of one company, newest first (its default sort: StartDate descending, store/runs.cpp
-- JobLogs), reads the first rows of this index instead of sorting the company's whole history,
-- which a bounded but long retention makes large (issue #8: fast on 1,000,000 runs). It replaces
-- the queued_at index, which no query used: getJobLogs sorts and filters on the start time.
CREATE INDEX runs_company_start_idx ON runs (company_id, (coalesce(started_at, queued_at)) DESC, id DESC);
DROP INDEX runs_company_queued_idx;
