-- executeJob by a caller with a password (SOAP's authHeader, HTTP Basic) in one round trip, as
-- migration 0012 does for a token (issue #8, store::ExecuteRunForPassword). The password itself
-- is verified in jobd (Argon2id, auth::VerifyPassword) and the success remembered with the stored
-- hash it matched (auth::CredentialCache); this statement checks that this hash is still the
-- user's, so a password changed since is never accepted: the call then goes the usual way.
--
-- The check both kinds of caller share moves to jobd_may_execute; jobd_execute_for_token keeps
-- its signature and answers (nodes not yet upgraded call it).

-- Whether the user may call executeJob in p_company: a global IpsAdmin (users.is_ips_admin), or
-- a membership with one of p_roles (auth::RoleMayCall's answer: the rule stays in C++).
CREATE FUNCTION jobd_may_execute(p_user_id bigint, p_company bigint, p_roles text[])
    RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT EXISTS (SELECT FROM users u WHERE u.id = p_user_id AND u.is_ips_admin)
        OR EXISTS (SELECT FROM memberships m
                   WHERE m.user_id = p_user_id AND m.company_id = p_company
                     AND m.role = ANY (p_roles))
$$;

CREATE OR REPLACE FUNCTION jobd_execute_for_token(p_token_sha256 text, p_roles text[],
                                                  p_run_id bigint, p_company bigint,
                                                  p_job_name text, p_asked_at timestamptz,
                                                  p_node text, p_worker_free boolean,
                                                  p_company_limit integer)
    RETURNS TABLE (run runs, job jobs, next_run_id bigint)
    LANGUAGE plpgsql VOLATILE ROWS 1 AS $$
DECLARE
    v_token api_tokens;
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
    IF NOT jobd_may_execute(v_token.user_id, p_company, p_roles) THEN
        RETURN;
    END IF;
    RETURN QUERY
        SELECT x.run, x.job, nextval(pg_get_serial_sequence('runs', 'id'))
        FROM jobd_execute_run(p_run_id, p_company, p_job_name, p_asked_at, v_token.user_id,
                              p_node, p_worker_free, p_company_limit) x;
END
$$;

-- The same for the user with p_email (matched case-insensitively, as store FindUserByEmail does)
-- whose password jobd verified against p_password_hash: no row either when that is no longer
-- the user's hash.
CREATE FUNCTION jobd_execute_for_password(p_email text, p_password_hash text, p_roles text[],
                                          p_run_id bigint, p_company bigint, p_job_name text,
                                          p_asked_at timestamptz, p_node text,
                                          p_worker_free boolean, p_company_limit integer)
    RETURNS TABLE (run runs, job jobs, next_run_id bigint)
    LANGUAGE plpgsql VOLATILE ROWS 1 AS $$
DECLARE
    v_user_id bigint;
BEGIN
    SELECT u.id INTO v_user_id FROM users u
    WHERE lower(u.email) = lower(p_email) AND u.password_hash = p_password_hash;
    IF NOT FOUND OR NOT jobd_may_execute(v_user_id, p_company, p_roles) THEN
        RETURN;
    END IF;
    RETURN QUERY
        SELECT x.run, x.job, nextval(pg_get_serial_sequence('runs', 'id'))
        FROM jobd_execute_run(p_run_id, p_company, p_job_name, p_asked_at, v_user_id,
                              p_node, p_worker_free, p_company_limit) x;
END
$$;
