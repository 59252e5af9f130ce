-- jobd_may_execute (migration 0014) in PL/pgSQL, same signature and answers (issue #8).
--
-- As a LANGUAGE sql function it could not be inlined (its body has subqueries), and a SQL
-- function that is not inlined is parsed, analysed and planned again at every call: 14% of
-- PostgreSQL's time for an executeJob by token (`perf record` of the backends, one call at a
-- time). PL/pgSQL keeps the plan of its expression for the session, as for the statements of
-- jobd_execute_run.
CREATE OR REPLACE FUNCTION jobd_may_execute(p_user_id bigint, p_company bigint, p_roles text[])
    RETURNS boolean LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN EXISTS (SELECT FROM users u WHERE u.id = p_user_id AND u.is_ips_admin)
        OR EXISTS (SELECT FROM memberships m
                   WHERE m.user_id = p_user_id AND m.company_id = p_company
                     AND m.role = ANY (p_roles));
END
$$;
