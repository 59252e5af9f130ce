-- A node announces its own job changes itself, after they commit, many in one NOTIFY (issue #8,
-- engine Engine::JobChanged, store::AnnounceJobChanges). With another node registered, migration
-- 0013 still announced each change in its own transaction, and a NOTIFY makes commits take turns
-- (PostgreSQL holds one lock per database from a notifying commit's start to its end, WAL flush
-- included): concurrent submissions committed one at a time as soon as a second node ran.
--
-- Sessions that set jobd.announces_changes (store::Pool of a jobd that announces) send nothing
-- here. Their node announces after the commit, when another node is registered by then; a node
-- registering meanwhile either is seen by that announcement or registered after the change
-- committed, and then finds it by the scan that follows its registration. A node lost before it
-- announced is covered by its reaper, which looks at every job once it has declared the node lost.
-- Sessions of a jobd that does not announce (jobd.node only: a node not yet upgraded) and
-- sessions that are no node (psql, a script) keep migration 0013's rules.
CREATE OR REPLACE FUNCTION jobd_notify_job_change() RETURNS trigger
    LANGUAGE plpgsql AS $$
DECLARE
    v_node text := nullif(current_setting('jobd.node', true), '');
BEGIN
    IF NEW.next_fire_at IS NOT NULL AND NEW.trigger_state = 'Normal' AND NEW.deleted_at IS NULL
       AND (TG_OP = 'INSERT' OR OLD.next_fire_at IS NULL OR NEW.next_fire_at < OLD.next_fire_at
            OR OLD.trigger_state <> 'Normal' OR OLD.deleted_at IS NOT NULL) THEN
        IF current_setting('jobd.announces_changes', true) = 'on' THEN
            RETURN NULL;
        END IF;
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
