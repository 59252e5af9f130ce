-- The indexes of active runs (Queued or Running: the runs not ended yet) under `ended_at IS NULL`
-- instead of `state IN ('Queued', 'Running')` (issue #8).
--
-- With a state predicate, any statement that says `state = 'Queued'` may reach these indexes, and
-- with statistics taken while few runs were active the planner did: looking up one run by id, or
-- whether released runs of a company wait (a run end under a company limit), it scanned every
-- active run, a whole backlog per claim and end (pg test
-- UnderACompanyLimitClaimsAndEndsInABacklogReadOnlyTheirOwnRuns). Now only the statements that
-- mean to list active runs say `ended_at IS NULL` and use them; the others find their rows by
-- primary key or through the indexes of released and running runs, which stay small.
--
-- Every change of a run to a finished state sets ended_at in the same statement, and no finished
-- run becomes active again, so the two predicates select the same rows.
DROP INDEX runs_active_idx;
CREATE INDEX runs_active_idx ON runs (state, id) WHERE ended_at IS NULL;
DROP INDEX runs_job_active_idx;
CREATE INDEX runs_job_active_idx ON runs (job_id) WHERE ended_at IS NULL;
