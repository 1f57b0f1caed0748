-- queue code 002: wake-ups. Workers LISTEN on channel howdah_queue; the payload is a queue's name.
-- Inserted runnable jobs wake their queue's workers through a statement-level trigger (one
-- notification per statement and queue); retry, release and rescue call queue_wake. The setting
-- howdah.queue_notify = off turns them off.

CREATE FUNCTION howdah_internal.queue_notify_enabled()
RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE
-- False when the setting howdah.queue_notify is off (off, false, no, 0); true when it is on or unset.
RETURN coalesce(pg_catalog.lower(pg_catalog.current_setting('howdah.queue_notify', true)), '')
       NOT IN ('off', 'false', 'no', '0', 'f', 'n');
COMMENT ON FUNCTION howdah_internal.queue_notify_enabled() IS 'Whether queue wake-ups are sent: the setting howdah.queue_notify, on unless set to off.';

CREATE FUNCTION howdah_internal.queue_wake(queues text[])
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
-- Sends one notification on channel howdah_queue per distinct queue name in `queues`, unless
-- howdah.queue_notify is off.
DECLARE
    q text;
BEGIN
    IF NOT howdah_internal.queue_notify_enabled() THEN
        RETURN;
    END IF;
    FOR q IN SELECT DISTINCT u.q FROM unnest(queues) u(q) WHERE u.q IS NOT NULL ORDER BY 1 LOOP
        PERFORM pg_catalog.pg_notify('howdah_queue', q);
    END LOOP;
END;
$$;
COMMENT ON FUNCTION howdah_internal.queue_wake(text[]) IS 'Notifies channel howdah_queue once per queue name (payload = the name), unless howdah.queue_notify is off.';

CREATE FUNCTION howdah_internal.queue_notify_inserted()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
-- Statement-level AFTER INSERT trigger on howdah_queue.jobs: one notification per statement and
-- queue that received a job it can run now. Scheduled jobs wake nobody: workers poll for them.
-- The notifications are sent here rather than through queue_wake: one PL/pgSQL call less per
-- INSERT statement, a fifth of a single push's cost.
-- The transition table's name, for plpgsql_check (a checker option, not a suppression):
-- @plpgsql_check_options: newtable = inserted_jobs
DECLARE
    q text;
BEGIN
    IF howdah_internal.queue_notify_enabled() THEN
        FOR q IN SELECT DISTINCT n.queue FROM inserted_jobs n WHERE n.state = 'available' ORDER BY 1 LOOP
            PERFORM pg_notify('howdah_queue', q);
        END LOOP;
    END IF;
    RETURN NULL;
END;
$$;
COMMENT ON FUNCTION howdah_internal.queue_notify_inserted() IS 'Trigger: wakes the workers of each queue an INSERT statement added runnable jobs to.';

CREATE TRIGGER jobs_notify AFTER INSERT ON howdah_queue.jobs
    REFERENCING NEW TABLE AS inserted_jobs
    FOR EACH STATEMENT EXECUTE FUNCTION howdah_internal.queue_notify_inserted();
