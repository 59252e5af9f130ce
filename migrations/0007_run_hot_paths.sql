-- The hot paths of executeJob and of every fire (issue #8, bench/README.md).
--
-- A job's Queued and Running runs are counted on each executeJob and fire of the job (overlap
-- Forbid, getActiveJobs' Blocked). Through runs_job_idx that count read the job's whole history,
-- so each call got slower with every run the job had ever had; this index holds only the few
-- active ones.
CREATE INDEX runs_job_active_idx ON runs (job_id) WHERE state IN ('Queued', 'Running');
