-- Released runs in the order nodes take them, executeJob's first (store::TakeReleasedRuns,
-- issue #8). Without it a take sorted every released run to return a few: 6.7 ms a take with
-- 10,000 released, which a company limit's backlog, a node that stopped or a lost node's queue
-- can leave. A take now reads the runs it takes, and those other takers hold (SKIP LOCKED).
CREATE INDEX runs_take_idx ON runs ((trigger <> 'Execute'), id) WHERE state = 'Queued' AND holder IS NULL;
