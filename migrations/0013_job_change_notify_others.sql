-- A job change is announced (migration 0002) only where another node may need it (issue #8).
-- NOTIFY makes commits take turns: PostgreSQL holds one lock per database from a notifying
-- commit's start to its end, WAL flush included, so every submitJob committed after the one
-- before and concurrent submissions were capped near one per flush (1,870/s measured, 2,890/s
-- without the announcement). A jobd node names itself in its sessions (setting jobd.node,
-- store::Pool) and wakes its own scheduler for the changes it makes (api Effects::wake_at): a
-- change it makes while no other node is registered announces nothing. Changes from a session
-- that is no node (psql, a script) are still announced.
--
-- A node registering while such a silent change is under way must not miss it: the change
-- holds lock (3, 0) shared until it commits, and registration (store::RegisterNode) takes it
-- exclusively (jobd_await_unannounced_changes), so it waits for the silent changes in flight,
-- and the new node's first scan, which follows its registration, sees them. A change that
-- begins after the registration sees the new node and is announced. (Advisory lock classes 1
-- and 2 are jobd_claim_lock's.)
CREATE FUNCTION jobd_await_unannounced_changes() RETURNS void
    LANGUAGE sql VOLATILE
    AS $$ SELECT pg_advisory_xact_lock(3, 0) $$;

CREATE OR REPLACE FUNCTION jobd_notify_job_change() RETURNS trigger
    LANGUAGE plpgsql AS $$
DECLARE
    v_node text := nullif(current_setting('jobd.node', true), '');
BEGIN
    IF NEW.next_fire_at IS NOT NULL AND NEW.trigger_state = 'Normal' AND NEW.deleted_at IS NULL
       AND (TG_OP = 'INSERT' OR OLD.next_fire_at IS NULL OR NEW.next_fire_at < OLD.next_fire_at
            OR OLD.trigger_state <> 'Normal' OR OLD.deleted_at IS NOT NULL) THEN
        IF v_node IS NOT NULL THEN
            PERFORM pg_advisory_xact_lock_shared(3, 0);
            IF NOT EXISTS (SELECT 1 FROM nodes n WHERE n.name <> v_node) THEN
                RETURN NULL;
            END IF;
        END IF;
        PERFORM pg_notify('jobd_job_changes', jobd_micros(NEW.next_fire_at)::text);
    END IF;
    RETURN NULL;
END
$$;
