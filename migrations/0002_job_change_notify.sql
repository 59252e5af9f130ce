-- Wake-ups for every node's scheduler (contract §8): a job change that can make a job fire
-- earlier than before NOTIFYs channel jobd_job_changes, so no node scans the jobs table
-- periodically. The payload is the job's new next fire (jobd_micros): a node whose timer is
-- already set at or before it has nothing to do. Changes that only make a fire later (a fire
-- claimed and advanced, pause, delete) send nothing: a node whose timer was set for the old time
-- wakes, finds nothing due, and sets its timer afresh. NOTIFY is sent on commit, so a listener
-- never sees a change its next scan cannot.
CREATE FUNCTION jobd_notify_job_change() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.next_fire_at IS NOT NULL AND NEW.trigger_state = 'Normal' AND NEW.deleted_at IS NULL
       AND (TG_OP = 'INSERT' OR OLD.next_fire_at IS NULL OR NEW.next_fire_at < OLD.next_fire_at
            OR OLD.trigger_state <> 'Normal' OR OLD.deleted_at IS NOT NULL) THEN
        PERFORM pg_notify('jobd_job_changes', jobd_micros(NEW.next_fire_at)::text);
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER jobs_notify_change
    AFTER INSERT OR UPDATE OF next_fire_at, trigger_state, deleted_at ON jobs
    FOR EACH ROW EXECUTE FUNCTION jobd_notify_job_change();
