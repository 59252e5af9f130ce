-- Several nodes on one database (contract §9, issue #6): leases, lost nodes, runs handed over.
--
-- A node's row is its lease: the node heartbeats it every lease/3, and any other node deletes
-- it once heartbeat_at is older than the node's own lease by the database clock. Runs then
-- refer to a node that has no row, which is what the reaper looks for (runs.node for Running
-- runs, runs.holder for Queued ones): a deleted row, not a flag, so there is nothing to clean up
-- and a node that finds its row gone knows it was declared lost (the fencing rule in
-- docs/guarantees.md).
ALTER TABLE nodes ADD COLUMN lease interval NOT NULL DEFAULT interval '30 seconds';

-- The node that holds a Queued run in its memory queue and will start it; NULL: released, any
-- node with a free worker takes it (oldest first). For Running and finished runs it is unused.
ALTER TABLE runs ADD COLUMN holder text;

-- Released runs, for the nodes that take them and for the wake-up sent when a run ends.
CREATE INDEX runs_released_idx ON runs (company_id, id) WHERE state = 'Queued' AND holder IS NULL;
-- Running runs per company: workers.per_company_max_concurrent_runs across the cluster.
CREATE INDEX runs_running_company_idx ON runs (company_id) WHERE state = 'Running';
