-- executeJob by an API token in one round trip (issue #8, store::ExecuteRunForToken): the
-- caller's token, its user's right to call executeJob in the company and the run's statement
-- (jobd_execute_run), which were two round trips: the lookup, then the run.
--
-- p_token_sha256: the token's digest (api_tokens.token_sha256). p_roles: the membership roles
-- that may call executeJob (auth::RoleMayCall: the rule stays in C++, its answer is passed);
-- a global IpsAdmin (users.is_ips_admin) may in every company. The run's id was reserved before
-- (p_run_id, never NULL here: a statement whose answer is lost is resumed by it), and the row
-- returned carries one more id reserved for the node's next call (next_run_id), so that a node
-- keeps one in hand without a round trip of its own.
--
-- No row when the token is unknown, its user may not call executeJob in the company, or
-- jobd_execute_run inserted nothing: the caller then finds the fault, in its order, the way it
-- does without a token (api ExecuteJob); the reserved id goes unused.
CREATE FUNCTION jobd_execute_for_token(p_token_sha256 text, p_roles text[], p_run_id bigint,
                                       p_company bigint, p_job_name text,
                                       p_asked_at timestamptz, p_node text,
                                       p_worker_free boolean, p_company_limit integer)
    RETURNS TABLE (run runs, job jobs, next_run_id bigint)
    LANGUAGE plpgsql VOLATILE ROWS 1 AS $$
DECLARE
    v_token api_tokens;
    v_admin boolean;
BEGIN
    SELECT * INTO v_token FROM api_tokens t WHERE t.token_sha256 = p_token_sha256;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    -- Stamped at most once a minute and never waiting, as the lookup does (store FindUserByToken).
    UPDATE api_tokens SET last_used_at = now()
    WHERE id = (SELECT t.id FROM api_tokens t
                WHERE t.id = v_token.id
                  AND (t.last_used_at IS NULL OR t.last_used_at < now() - interval '1 minute')
                FOR UPDATE SKIP LOCKED);
    SELECT u.is_ips_admin INTO v_admin FROM users u WHERE u.id = v_token.user_id;
    IF NOT v_admin AND NOT EXISTS (SELECT FROM memberships m
                                   WHERE m.user_id = v_token.user_id
                                     AND m.company_id = p_company AND m.role = ANY (p_roles)) THEN
        RETURN;
    END IF;
    RETURN QUERY
        SELECT x.run, x.job, nextval(pg_get_serial_sequence('runs', 'id'))
        FROM jobd_execute_run(p_run_id, p_company, p_job_name, p_asked_at, v_token.user_id,
                              p_node, p_worker_free, p_company_limit) x;
END
$$;
