-- queue code 007: periodic jobs — schedule (create or change), unschedule, schedules (list), and
-- enqueue_due, which workers call to turn due ticks into jobs.
--
-- Exactly once: enqueue_due locks the due schedules with FOR UPDATE SKIP LOCKED, moves their
-- next_run_at past the time it enqueues for, and inserts one job per schedule, all in one
-- statement. A concurrent caller skips the rows this one holds, or, once it committed, finds
-- them no longer due; so however many workers and processes call it, a tick gets one job.
--
-- Missed ticks: a schedule that is due for several ticks at once (nobody called enqueue_due
-- while they came due: downtime, or a schedule shorter than the callers' period) gets one job,
-- for the earliest of them (its run_at), and next_run_at moves to the first tick after now: the
-- ticks in between are skipped, never enqueued late one by one.
--
-- Errors: 22023 (invalid_parameter_value) naming the parameter, or the field of a cron
-- expression; 42501 without the privileges docs/queue.md lists. Bad input writes nothing.

CREATE FUNCTION howdah_internal.queue_schedule_problem(name text, cron text, every interval)
RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
-- NULL when `name` is a valid schedule name and exactly one of `cron` and `every` is given, with
-- `every` in range; else the problem, naming the parameter. The cron expression itself is checked
-- by queue_cron_parse.
RETURN CASE
    WHEN name IS NULL THEN 'name must not be null'
    WHEN pg_catalog.char_length(name) > 128 OR name !~ '^[a-z0-9][a-z0-9_.-]*$' THEN
        pg_catalog.format('schedule name %L is invalid: use 1 to 128 characters among a-z, 0-9, _ . - (starting with a letter or digit)', name)
    WHEN cron IS NOT NULL AND every IS NOT NULL THEN 'give cron or every, not both'
    WHEN cron IS NULL AND every IS NULL THEN
        'give cron (a cron expression such as ''0 3 * * *'') or every (an interval such as ''5 minutes'')'
    WHEN every IS NOT NULL AND (pg_catalog.date_part('month', every) <> 0 OR pg_catalog.date_part('year', every) <> 0
                                OR pg_catalog.date_part('epoch', every) NOT BETWEEN 1 AND 3650 * 86400) THEN
        pg_catalog.format('every must be from 1 second to 3650 days, without months or years (use cron for monthly schedules), got %s', every)
END;
COMMENT ON FUNCTION howdah_internal.queue_schedule_problem(text, text, interval) IS 'What is wrong with a schedule''s name, cron and every, or NULL when they are valid (the cron expression is parsed apart).';

CREATE FUNCTION howdah_internal.queue_schedule_next(cron text, every interval, tick timestamptz, after timestamptz)
RETURNS timestamptz
LANGUAGE sql STABLE PARALLEL SAFE
-- The first tick of a schedule after `after`, `tick` being one of its ticks: `tick` itself when
-- later; else the next time `cron` matches, or tick + k * every for the smallest such k. `every`
-- is counted in microseconds, so a day is 24 hours even across a daylight saving change.
RETURN CASE
    WHEN tick > after THEN tick
    WHEN every IS NULL THEN howdah_internal.queue_cron_next(cron, after)
    ELSE tick + ((pg_catalog.date_part('epoch', after - tick) * 1000000)::bigint
                 / (pg_catalog.date_part('epoch', every) * 1000000)::bigint + 1)
                * (pg_catalog.date_part('epoch', every) * 1000000)::bigint * interval '1 microsecond'
END;
COMMENT ON FUNCTION howdah_internal.queue_schedule_next(text, interval, timestamptz, timestamptz) IS 'The first tick of a schedule (cron or every) after a time, given one of its ticks.';

CREATE FUNCTION howdah_queue.schedule(
    name text,
    queue text,
    cron text DEFAULT NULL,
    every interval DEFAULT NULL,
    payload jsonb DEFAULT '{}',
    priority integer DEFAULT 0,
    max_attempts integer DEFAULT howdah_internal.queue_default_max_attempts(),
    tags text[] DEFAULT '{}',
    start_at timestamptz DEFAULT NULL)
RETURNS howdah_queue.schedules
LANGUAGE plpgsql VOLATILE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
-- Creates schedule `name`, or changes it, and returns its row. Each tick (each time `cron`
-- matches, in UTC, or every `every`) enqueues a job on `queue` with `payload`, `priority`,
-- `max_attempts` and `tags`. The first tick is `start_at` (every), the first match at or after
-- it (cron), or else the first match after now (cron) or now + every. Changing a schedule keeps
-- its next tick unless cron, every or start_at is given anew, so that every process of an
-- application may declare its schedules at start-up without moving or repeating ticks.
DECLARE
    bad text := coalesce(howdah_internal.queue_schedule_problem(schedule.name, schedule.cron, schedule.every),
                         howdah_internal.queue_job_problem(schedule.queue, schedule.payload, schedule.priority,
                                                           schedule.max_attempts, NULL));
    spec text := regexp_replace(btrim(schedule.cron, E' \t\n\r'), '\s+', ' ', 'g');
    step interval;
    first_run timestamptz;
    result howdah_queue.schedules;
BEGIN
    IF bad IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value', MESSAGE = bad;
    END IF;
    -- `every` as hours, minutes and seconds: a day of it is 24 hours in any time zone.
    step := make_interval(secs => date_part('epoch', schedule.every));
    -- queue_cron_next validates the expression (22023 naming the field) before anything is written.
    first_run := CASE
        WHEN step IS NOT NULL THEN coalesce(schedule.start_at, now() + step)
        WHEN schedule.start_at IS NOT NULL THEN howdah_internal.queue_cron_next(spec, schedule.start_at - interval '1 microsecond')
        ELSE howdah_internal.queue_cron_next(spec, now()) END;
    INSERT INTO howdah_queue.schedules AS s (name, queue, cron, every, payload, priority, max_attempts, tags, next_run_at)
    VALUES (schedule.name, schedule.queue, spec, step, schedule.payload, schedule.priority, schedule.max_attempts,
            coalesce(schedule.tags, '{}'), first_run)
    ON CONFLICT (name) DO UPDATE
       SET queue = excluded.queue, cron = excluded.cron, every = excluded.every, payload = excluded.payload,
           priority = excluded.priority, max_attempts = excluded.max_attempts, tags = excluded.tags,
           next_run_at = CASE WHEN schedule.start_at IS NOT NULL OR s.cron IS DISTINCT FROM excluded.cron
                                   OR s.every IS DISTINCT FROM excluded.every
                              THEN excluded.next_run_at ELSE s.next_run_at END,
           updated_at = now()
    RETURNING s.* INTO result;
    RETURN result;
END;
$$;
COMMENT ON FUNCTION howdah_queue.schedule(text, text, text, interval, jsonb, integer, integer, text[], timestamptz) IS
'Creates or changes a periodic job and returns its row: schedule(name, queue, cron => ''0 3 * * *'' | every => ''5 minutes'', payload = ''{}'', priority = 0, max_attempts = 25, tags = ''{}'', start_at = NULL). '
'cron: 5 fields (minute hour day-of-month month day-of-week) or @hourly, @daily, @weekly, @monthly, @yearly, matched in UTC; every: 1 second to 3650 days. '
'Each tick enqueues one job (enqueue_due does it). A change keeps the next tick unless cron, every or start_at changes. '
'Errors: 22023 naming the bad parameter or cron field.';

CREATE FUNCTION howdah_queue.unschedule(name text)
RETURNS boolean
LANGUAGE plpgsql VOLATILE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
-- Deletes schedule `name`; true when it existed, false when there was none. Jobs it enqueued stay.
BEGIN
    IF unschedule.name IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value', MESSAGE = 'name must not be null';
    END IF;
    DELETE FROM howdah_queue.schedules s WHERE s.name = unschedule.name;
    RETURN FOUND;
END;
$$;
COMMENT ON FUNCTION howdah_queue.unschedule(text) IS
'Deletes a schedule: unschedule(name) returns true, or false when there was none. Jobs it enqueued stay. Errors: 22023 for a null name.';

CREATE FUNCTION howdah_queue.schedules(queue text DEFAULT NULL)
RETURNS SETOF howdah_queue.schedules
LANGUAGE sql STABLE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    -- Every schedule, or those of `queue`, by name.
    SELECT s.*
      FROM howdah_queue.schedules s
     WHERE schedules.queue IS NULL OR s.queue = schedules.queue
     ORDER BY s.name;
END;
COMMENT ON FUNCTION howdah_queue.schedules(text) IS
'The schedules, by name, as rows of howdah_queue.schedules: schedules(queue = NULL) lists all, or those of one queue. next_run_at is the next tick, last_run_at and last_job_id the last one enqueued. Errors: none.';

CREATE FUNCTION howdah_queue.enqueue_due(queue text DEFAULT NULL, as_of timestamptz DEFAULT NULL)
RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
-- Enqueues one job for each schedule (of `queue`, when given) whose next tick is at or before
-- `as_of` (default now()), and returns how many. The job's run_at is that tick; next_run_at
-- moves to the first tick after `as_of`, skipping the ticks missed in between. One statement
-- locks the due schedules (skipping those another caller holds), advances them and inserts
-- their jobs, so concurrent callers never enqueue a tick twice. Cheap when nothing is due: one
-- read of the due schedules, no write.
DECLARE
    at_time timestamptz := coalesce(enqueue_due.as_of, now());
    bad text := CASE WHEN enqueue_due.queue IS NOT NULL THEN howdah_internal.queue_name_problem(enqueue_due.queue) END;
    n integer;
BEGIN
    IF bad IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value', MESSAGE = bad;
    END IF;
    WITH ticked AS (
        UPDATE howdah_queue.schedules s
           SET next_run_at = howdah_internal.queue_schedule_next(s.cron, s.every, s.next_run_at, at_time),
               last_run_at = s.next_run_at,
               last_job_id = nextval('howdah_queue.jobs_id_seq'::regclass)
         WHERE s.name = ANY (ARRAY(
                   SELECT d.name
                     FROM howdah_queue.schedules d
                    WHERE d.next_run_at <= at_time AND (enqueue_due.queue IS NULL OR d.queue = enqueue_due.queue)
                    ORDER BY d.next_run_at, d.name
                      FOR UPDATE SKIP LOCKED))
           AND s.next_run_at <= at_time
        RETURNING s.last_job_id, s.last_run_at, s.queue, s.payload, s.priority, s.max_attempts, s.tags),
    ins AS (
        INSERT INTO howdah_queue.jobs AS j (id, queue, payload, priority, run_at, max_attempts, tags, state)
        OVERRIDING SYSTEM VALUE
        SELECT t.last_job_id, t.queue, t.payload, t.priority, t.last_run_at, t.max_attempts, t.tags,
               CASE WHEN t.last_run_at > now() THEN 'scheduled' ELSE 'available' END::howdah_queue.job_state
          FROM ticked t
        RETURNING 1)
    SELECT count(*)::integer INTO n FROM ins;
    RETURN n;
END;
$$;
COMMENT ON FUNCTION howdah_queue.enqueue_due(text, timestamptz) IS
'Turns due ticks into jobs: enqueue_due(queue = NULL, as_of = now()) enqueues one job per schedule (of queue, when given) whose next tick is at or before as_of, with run_at = that tick, moves next_run_at past as_of (missed ticks are skipped, not enqueued one by one) and returns how many jobs it enqueued. '
'Safe to call from many workers at once: a tick gets one job. Workers of the Go client call it every poll. '
'Errors: 22023 for a bad queue name; 42501 without UPDATE on schedules and INSERT on jobs.';
