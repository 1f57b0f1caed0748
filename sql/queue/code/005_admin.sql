-- queue code 005: what operators call — cancel, retry, list, stats, prune.
--
-- Errors: 22023 (invalid_parameter_value) naming the parameter; 55000
-- (object_not_in_prerequisite_state) for cancel of a final job or retry of one that is not;
-- P0002 (no_data_found) for an unknown job id; 23505 when retry would duplicate a unique key.

CREATE FUNCTION howdah_queue.cancel(id bigint)
RETURNS howdah_queue.jobs
LANGUAGE plpgsql VOLATILE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
-- Cancels job `id` unless it is final, and returns it. A running job's worker finds out at its
-- next heartbeat; its complete or fail then changes nothing.
DECLARE
    cur howdah_queue.job_state;
    job howdah_queue.jobs;
BEGIN
    SELECT j.state INTO cur FROM howdah_queue.jobs j WHERE j.id = cancel.id FOR UPDATE;
    IF NOT FOUND THEN
        PERFORM howdah_internal.queue_not_found(cancel.id);
    END IF;
    IF cur IN ('completed', 'failed', 'cancelled') THEN
        PERFORM howdah_internal.queue_state_error(cancel.id, cur, 'cancel', 'available, scheduled, retryable or running');
    END IF;
    UPDATE howdah_queue.jobs j
       SET state = 'cancelled', finalized_at = now(), lease_expires_at = NULL
     WHERE j.id = cancel.id
    RETURNING j.* INTO job;
    RETURN job;
END;
$$;
COMMENT ON FUNCTION howdah_queue.cancel(bigint) IS
'Cancels a job that is not final and returns it: cancel(id). A running job''s worker learns it at its next heartbeat. '
'Errors: P0002 unknown id; 55000 when the job is completed, failed or cancelled.';

CREATE FUNCTION howdah_queue.retry(id bigint)
RETURNS howdah_queue.jobs
LANGUAGE plpgsql VOLATILE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
-- Makes final job `id` (completed, failed or cancelled) available now with a fresh set of
-- attempts (attempt back to 0; errors are kept) and returns it; wakes the queue's workers.
DECLARE
    cur howdah_queue.job_state;
    job howdah_queue.jobs;
    holder bigint;
BEGIN
    SELECT j.state INTO cur FROM howdah_queue.jobs j WHERE j.id = retry.id FOR UPDATE;
    IF NOT FOUND THEN
        PERFORM howdah_internal.queue_not_found(retry.id);
    END IF;
    IF cur NOT IN ('completed', 'failed', 'cancelled') THEN
        PERFORM howdah_internal.queue_state_error(retry.id, cur, 'retry', 'completed, failed or cancelled');
    END IF;
    SELECT h.id INTO holder
      FROM howdah_queue.jobs j
      JOIN howdah_queue.jobs h ON h.queue = j.queue AND h.unique_key = j.unique_key AND h.id <> j.id
     WHERE j.id = retry.id AND h.state IN ('available', 'scheduled', 'running', 'retryable');
    IF holder IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'unique_violation',
            MESSAGE = format('job %s cannot be retried: job %s has the same queue and unique key and is not final', retry.id, holder),
            HINT = 'cancel or finish the other job first';
    END IF;
    UPDATE howdah_queue.jobs j
       SET state = 'available', attempt = 0, run_at = now(), finalized_at = NULL, lease_expires_at = NULL
     WHERE j.id = retry.id
    RETURNING j.* INTO job;
    PERFORM howdah_internal.queue_wake(ARRAY[job.queue]);
    RETURN job;
END;
$$;
COMMENT ON FUNCTION howdah_queue.retry(bigint) IS
'Runs a final job again: retry(id) makes a completed, failed or cancelled job available now with attempt reset to 0 (errors are kept), wakes its queue''s workers and returns it. '
'Errors: P0002 unknown id; 55000 when the job is not final; 23505 when another job of the queue holds its unique key.';

CREATE FUNCTION howdah_queue.list(queue text DEFAULT NULL, state howdah_queue.job_state DEFAULT NULL,
                                  max_rows integer DEFAULT 100, before_id bigint DEFAULT NULL)
RETURNS SETOF howdah_queue.jobs
LANGUAGE plpgsql STABLE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
-- The newest jobs first (by id), filtered by `queue` and `state` when given, at most `max_rows`
-- (1..10000), with ids below `before_id` when given (the next page starts below the last id).
BEGIN
    PERFORM howdah_internal.queue_bad_parameter(CASE
        WHEN list.max_rows IS NULL OR list.max_rows NOT BETWEEN 1 AND 10000 THEN
            format('max_rows must be from 1 to 10000, got %s', coalesce(list.max_rows::text, 'null'))
    END);
    RETURN QUERY
    SELECT j.*
      FROM howdah_queue.jobs j
     WHERE (list.queue IS NULL OR j.queue = list.queue)
       AND (list.state IS NULL OR j.state = list.state)
       AND (list.before_id IS NULL OR j.id < list.before_id)
     ORDER BY j.id DESC
     LIMIT list.max_rows;
END;
$$;
COMMENT ON FUNCTION howdah_queue.list(text, howdah_queue.job_state, integer, bigint) IS
'Jobs, newest first: list(queue = NULL, state = NULL, max_rows = 100, before_id = NULL); page with before_id = the last id seen. Errors: 22023 for max_rows outside 1..10000.';

CREATE FUNCTION howdah_queue.stats()
RETURNS TABLE (queue text, state howdah_queue.job_state, jobs bigint, oldest_age interval)
LANGUAGE sql STABLE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    -- One row per queue and state with jobs. oldest_age: for available, scheduled and retryable,
    -- how long the oldest due job has waited (NULL when none is due); for running, since the
    -- oldest was claimed; for final states, since the oldest was finalized.
    SELECT j.queue, j.state, count(*),
           CASE WHEN j.state IN ('available', 'scheduled', 'retryable')
                     THEN now() - min(j.run_at) FILTER (WHERE j.run_at <= now())
                WHEN j.state = 'running' THEN now() - min(j.attempted_at)
                ELSE now() - min(j.finalized_at) END
      FROM howdah_queue.jobs j
     GROUP BY j.queue, j.state
     ORDER BY j.queue, j.state;
END;
COMMENT ON FUNCTION howdah_queue.stats() IS
'Counts per queue and state: stats() returns (queue, state, jobs, oldest_age). oldest_age is how long the oldest due job has waited (available, scheduled, retryable), has run (running) or has been final (completed, failed, cancelled). Errors: none.';

CREATE FUNCTION howdah_queue.prune(older_than interval, batch integer DEFAULT 10000)
RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
-- Deletes up to `batch` (1..100000) completed, failed or cancelled jobs finalized at least
-- `older_than` ago, oldest first, and returns how many. Call it until it returns less than
-- `batch`, one transaction per call, so that each batch commits and vacuum can keep up.
DECLARE
    deleted integer;
BEGIN
    PERFORM howdah_internal.queue_bad_parameter(CASE
        WHEN prune.older_than IS NULL OR prune.older_than < interval '0' THEN
            format('older_than must not be negative, got %s', coalesce(prune.older_than::text, 'null'))
        WHEN prune.batch IS NULL OR prune.batch NOT BETWEEN 1 AND 100000 THEN
            format('batch must be from 1 to 100000, got %s', coalesce(prune.batch::text, 'null'))
    END);
    WITH doomed AS (
        SELECT j.id
          FROM howdah_queue.jobs j
         WHERE j.state IN ('completed', 'failed', 'cancelled') AND j.finalized_at <= now() - prune.older_than
         ORDER BY j.finalized_at
         LIMIT prune.batch
           FOR UPDATE SKIP LOCKED),
    gone AS (
        DELETE FROM howdah_queue.jobs j WHERE j.id = ANY (ARRAY(SELECT d.id FROM doomed d)) RETURNING 1)
    SELECT count(*)::integer INTO deleted FROM gone;
    RETURN deleted;
END;
$$;
COMMENT ON FUNCTION howdah_queue.prune(interval, integer) IS
'Deletes final jobs (completed, failed, cancelled) finalized at least older_than ago, oldest first: prune(older_than, batch = 10000) deletes one batch and returns its size; repeat while it returns batch, one transaction each. '
'Errors: 22023 for a negative older_than or batch outside 1..100000.';
