-- jobd's own texts in job logs by message id (contract §5 "Locale"): beside the English text it
-- has always written (kept for outcome files, daemon logs and readers of older rows), a run's
-- reason and each log detail jobd itself writes carry their message as jsonb,
--   {"id": "RunExited", "args": {"code": "1"}}   (a nested message argument has the same shape),
-- which getJobLogs / getJobLogDetails render in the reader's language. NULL: no message (process
-- output, rows written before this migration); the English text is shown as stored.
ALTER TABLE runs ADD COLUMN reason_message jsonb;
ALTER TABLE run_details ADD COLUMN own_message jsonb;
