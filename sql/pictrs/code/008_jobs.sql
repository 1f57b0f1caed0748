-- pictrs code 008: QueueRepo — background jobs, on the queue module (no second queue). The
-- instance's queues are named pictrs.{{.Schema}}.<queue> in howdah_queue.jobs, so two instances
-- never see each other's jobs, and `howdah queue` shows them. Retries are the queue's: a job runs
-- at most max_attempts (25) times; a failed attempt or a worker restart counts as one.
--
-- The caller needs the queue's privileges (docs/queue.md lists them): these functions are
-- SECURITY INVOKER and call howdah_queue's.
--
-- Errors: 22023 (invalid_parameter_value) naming the parameter (the queue's, for a bad queue
-- name); P0002 (no_data_found) naming a job that is not one of this instance's.

CREATE FUNCTION {{.Schema}}.push(queue text, job jsonb, unique_key text DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
-- Enqueues `job` on the instance's queue `queue` and returns the job's id. With `unique_key`,
-- while a job of that queue and key is waiting or running, returns that job's id and adds
-- nothing (pict-rs dedupes jobs this way).
BEGIN
    RETURN howdah_queue.push(queue => 'pictrs.{{.Schema}}.' || push.queue, payload => push.job, unique_key => push.unique_key);
END;
$$;
COMMENT ON FUNCTION {{.Schema}}.push(text, jsonb, text) IS 'Enqueues a job on one of the instance''s queues (howdah_queue queue pictrs.<schema>.<queue>) and returns its id: push(queue, job jsonb, unique_key = NULL); a waiting or running job with the same unique_key is returned instead of a new one. Errors: 22023 for a bad queue name, a null job or a unique_key of more than 512 characters.';

CREATE FUNCTION {{.Schema}}.pop(queue text, worker_id text, lease interval DEFAULT '30 seconds')
RETURNS TABLE (id bigint, job jsonb, attempt integer)
LANGUAGE plpgsql VOLATILE SECURITY INVOKER ROWS 1
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
-- Claims one runnable job of the instance's queue `queue` for `worker_id` under `lease`, and
-- returns it (id, job, attempt), or no row when none is runnable. The Go client waits for the
-- queue's NOTIFY (channel howdah_queue) between empty pops.
BEGIN
    RETURN QUERY
    SELECT j.id, j.payload, j.attempt::integer
      FROM howdah_queue.claim(queue => 'pictrs.{{.Schema}}.' || pop.queue, worker_id => pop.worker_id, n => 1, lease => pop.lease) j;
END;
$$;
COMMENT ON FUNCTION {{.Schema}}.pop(text, text, interval) IS 'Claims one runnable job of one of the instance''s queues: pop(queue, worker_id, lease = ''30 seconds'') returns (id, job, attempt), or no row when none is runnable. Keep it with heartbeat, end it with complete_job. Errors: 22023 for a bad queue name, worker_id (1..128 characters) or lease.';

CREATE FUNCTION {{.Schema}}.heartbeat(id bigint, worker_id text, attempt integer DEFAULT NULL, lease interval DEFAULT '30 seconds')
RETURNS boolean
LANGUAGE plpgsql VOLATILE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
-- Extends the lease of job `id` that `worker_id` holds (at `attempt`, when given): true, or
-- false when the worker lost it (stop working on it).
DECLARE
    q text;
BEGIN
    SELECT j.queue INTO q FROM howdah_queue.jobs j WHERE j.id = heartbeat.id;
    IF q IS NULL OR left(q, length('pictrs.{{.Schema}}.')) <> 'pictrs.{{.Schema}}.' THEN
        RAISE EXCEPTION USING ERRCODE = 'no_data_found', MESSAGE = format('no job %s in pictrs instance %L', coalesce(heartbeat.id::text, 'null'), '{{.Schema}}');
    END IF;
    RETURN cardinality(howdah_queue.heartbeat(ids => ARRAY[heartbeat.id], worker_id => heartbeat.worker_id,
        attempts => CASE WHEN heartbeat.attempt IS NOT NULL THEN ARRAY[heartbeat.attempt] END, lease => heartbeat.lease)) > 0;
END;
$$;
COMMENT ON FUNCTION {{.Schema}}.heartbeat(bigint, text, integer, interval) IS 'Extends the lease of a job a worker holds: heartbeat(id, worker_id, attempt = NULL, lease = ''30 seconds'') returns true, or false when the worker lost it. Errors: 22023 for a bad worker_id or lease, P0002 naming a job that is not the instance''s.';

CREATE FUNCTION {{.Schema}}.complete_job(id bigint, worker_id text, status text DEFAULT 'success', error text DEFAULT NULL, attempt integer DEFAULT NULL)
RETURNS text
LANGUAGE plpgsql VOLATILE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
-- Ends the attempt of job `id` that `worker_id` holds: status 'success' completes it; 'failure'
-- and 'aborted' (pict-rs's job results) record `error` and retry it with backoff, or fail it
-- for good when out of attempts. Returns the job's new state (completed, retryable, failed),
-- or 'lost' when the worker no longer holds the job at that attempt (nothing changes).
DECLARE
    j howdah_queue.jobs;
BEGIN
    IF complete_job.status IS NULL OR complete_job.status NOT IN ('success', 'failure', 'aborted') THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = format('status must be success, failure or aborted, got %s', coalesce(quote_literal(complete_job.status), 'null'));
    END IF;
    SELECT * INTO j FROM howdah_queue.jobs x WHERE x.id = complete_job.id;
    IF j.queue IS NULL OR left(j.queue, length('pictrs.{{.Schema}}.')) <> 'pictrs.{{.Schema}}.' THEN
        RAISE EXCEPTION USING ERRCODE = 'no_data_found', MESSAGE = format('no job %s in pictrs instance %L', coalesce(complete_job.id::text, 'null'), '{{.Schema}}');
    END IF;
    IF j.state <> 'running' OR j.worker_id IS DISTINCT FROM complete_job.worker_id
       OR (complete_job.attempt IS NOT NULL AND j.attempt <> complete_job.attempt) THEN
        RETURN 'lost';
    END IF;
    IF complete_job.status = 'success' THEN
        RETURN CASE WHEN howdah_queue.complete(ids => ARRAY[complete_job.id], worker_id => complete_job.worker_id,
                                               attempts => ARRAY[j.attempt::integer]) = 1
                    THEN 'completed' ELSE 'lost' END;
    END IF;
    RETURN howdah_queue.fail(id => complete_job.id, error => coalesce(complete_job.error, 'job ' || complete_job.status),
                             worker_id => complete_job.worker_id, attempt => j.attempt::integer)::text;
END;
$$;
COMMENT ON FUNCTION {{.Schema}}.complete_job(bigint, text, text, text, integer) IS 'Ends a worker''s attempt at a job: complete_job(id, worker_id, status = ''success'' | ''failure'' | ''aborted'', error = NULL, attempt = NULL) returns the new state (completed; retryable or failed after a failure) or ''lost'' when the worker no longer holds the job (nothing changes). Errors: 22023 for a bad status, P0002 naming a job that is not the instance''s, 55000 when the job is taken from the worker during the call.';

CREATE FUNCTION {{.Schema}}.requeue_in_progress(worker_id text)
RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
-- Takes back the instance's jobs that `worker_id` was running (the worker restarted): each
-- becomes runnable at once, its attempt counted as failed (so a job that kills its worker every
-- time ends failed after max_attempts), or failed when out of attempts. Returns how many.
DECLARE
    jid bigint;
    n integer := 0;
BEGIN
    IF requeue_in_progress.worker_id IS NULL OR requeue_in_progress.worker_id = '' THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value', MESSAGE = 'worker_id must be a non-empty string';
    END IF;
    FOR jid IN
        SELECT j.id FROM howdah_queue.jobs j
         WHERE j.state = 'running' AND j.worker_id = requeue_in_progress.worker_id
           AND left(j.queue, length('pictrs.{{.Schema}}.')) = 'pictrs.{{.Schema}}.'
         ORDER BY j.id
           FOR UPDATE
    LOOP
        PERFORM howdah_queue.fail(id => jid, error => format('worker %s restarted; requeued by requeue_in_progress', requeue_in_progress.worker_id),
                                  worker_id => requeue_in_progress.worker_id, retry_in => interval '0');
        n := n + 1;
    END LOOP;
    RETURN n;
END;
$$;
COMMENT ON FUNCTION {{.Schema}}.requeue_in_progress(text) IS 'Takes back the instance''s jobs a restarted worker was running: requeue_in_progress(worker_id) makes each runnable at once (the attempt counts as failed; out of attempts, it fails) and returns how many. Errors: 22023 for an empty or null worker_id.';

CREATE FUNCTION {{.Schema}}.queue_length(queue text)
RETURNS bigint
LANGUAGE sql STABLE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    -- Jobs of the instance's queue that are waiting or running.
    SELECT count(*) FROM howdah_queue.jobs j
     WHERE j.queue = 'pictrs.{{.Schema}}.' || queue_length.queue
       AND j.state IN ('available', 'scheduled', 'retryable', 'running');
END;
COMMENT ON FUNCTION {{.Schema}}.queue_length(text) IS 'How many jobs of one of the instance''s queues are waiting or running. Errors: none.';
