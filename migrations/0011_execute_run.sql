-- executeJob's run in one statement (issue #8, store::ExecuteRun): the checks and the insert that
-- took a transaction of five round trips (BEGIN, the job, the company's room, the insert, COMMIT)
-- in one call, which needs no transaction of its own.
--
-- A function, because each statement of a VOLATILE function takes a fresh snapshot (READ
-- COMMITTED): the active runs of an overlap-Forbid job are counted after its row is locked, so
-- they include the runs of the call that held the lock, as the separate statements of a
-- transaction did. Within one plain statement they would be counted in the snapshot taken before
-- the wait, and two calls could both start the job.
--
-- Returns the run with its job (the launch a node needs to start it), or no row when the job does
-- not exist or is deleted meanwhile, or is overlap Forbid with a run active: the caller finds out
-- which (api ExecuteJob). p_run_id: the id reserved for it beforehand, or NULL for the next one.
-- The run is inserted Running on p_node when p_worker_free (a worker of p_node waits for it),
-- its job does not queue its runs (overlap Queue) and its company has room under p_company_limit
-- (NULL: no limit, else jobd_company_room); otherwise Queued, held by p_node.
-- The transaction lock a claim's check of a limit takes (store::ClaimRuns, store::RoomForRuns and
-- jobd_execute_run), keyed in one place: class 1 a company (a per-company limit), class 2 an
-- overlap-Queue job. The two int keys never meet the migrator's one-bigint lock.
CREATE FUNCTION jobd_claim_lock(class integer, id bigint) RETURNS void
    LANGUAGE sql VOLATILE
    AS $$ SELECT pg_advisory_xact_lock(class, (id % 2147483647)::int) $$;

-- How many more runs a company may start under a per-company limit of p_limit: the limit less
-- its runs Running on any node (none below 0), counted under its claim lock, which holds until the
-- caller's transaction ends: the answer holds until the runs it allowed commit. The count is a
-- statement of its own in a volatile function, so its snapshot is taken after the lock.
-- (store::RoomForRuns for a scheduler pass, jobd_execute_run for executeJob.)
CREATE FUNCTION jobd_company_room(p_company bigint, p_limit integer) RETURNS integer
    LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    PERFORM jobd_claim_lock(1, p_company);
    RETURN greatest(0, p_limit - (SELECT count(*) FROM runs r
                                  WHERE r.company_id = p_company AND r.state = 'Running'));
END
$$;

CREATE FUNCTION jobd_execute_run(p_run_id bigint, p_company bigint, p_job_name text,
                                 p_asked_at timestamptz, p_submit_user bigint, p_node text,
                                 p_worker_free boolean, p_company_limit integer)
    RETURNS TABLE (run runs, job jobs)
    -- One row at most: the caller's join then looks its user up by key, not by hashing them all.
    LANGUAGE plpgsql VOLATILE ROWS 1 AS $$
DECLARE
    v_job jobs;
    v_run runs;
    v_start boolean;
BEGIN
    SELECT * INTO v_job FROM jobs j
    WHERE j.company_id = p_company AND j.name = p_job_name AND j.deleted_at IS NULL;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    -- A job's overlap never changes (a job is never updated, only replaced under a new id).
    -- FOR UPDATE serializes the calls on a Forbid job; the others only keep the job alive until
    -- the run commits (KEY SHARE: stopJob and deleteJob wait for it) and go on together.
    IF v_job.overlap = 'Forbid' THEN
        PERFORM FROM jobs j WHERE j.id = v_job.id AND j.deleted_at IS NULL FOR UPDATE;
        IF NOT FOUND OR EXISTS (SELECT FROM runs r
                                WHERE r.job_id = v_job.id AND r.state IN ('Queued', 'Running')
                                  AND r.ended_at IS NULL) THEN
            RETURN;
        END IF;
    ELSE
        PERFORM FROM jobs j WHERE j.id = v_job.id AND j.deleted_at IS NULL FOR KEY SHARE;
        IF NOT FOUND THEN
            RETURN;
        END IF;
    END IF;
    v_start := p_worker_free AND v_job.overlap <> 'Queue';
    IF v_start AND p_company_limit IS NOT NULL THEN
        v_start := jobd_company_room(p_company, p_company_limit) > 0;
    END IF;
    INSERT INTO runs (id, company_id, job_id, trigger, scheduled_for, submit_user_id, state, node,
                      started_at, holder)
    OVERRIDING SYSTEM VALUE
    VALUES (coalesce(p_run_id, nextval(pg_get_serial_sequence('runs', 'id'))), p_company,
            v_job.id, 'Execute', p_asked_at, p_submit_user,
            CASE WHEN v_start THEN 'Running' ELSE 'Queued' END,
            CASE WHEN v_start THEN p_node END,
            CASE WHEN v_start THEN now() END,
            CASE WHEN v_start THEN NULL ELSE p_node END)
    RETURNING * INTO v_run;
    run := v_run;
    job := v_job;
    RETURN NEXT;
END
$$;
