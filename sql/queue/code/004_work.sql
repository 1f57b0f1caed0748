-- queue code 004: what workers call — claim, heartbeat, complete, fail, release — and rescue, which
-- takes back the jobs of workers that stopped heartbeating.
--
-- One parameter order for the calls of a worker: what identifies the work (queue, ids or id),
-- then worker_id, then the attempt(s) the worker holds, then the call's own settings (n, lease,
-- retry_in); parameters without a default come first, as SQL requires, so fail's error follows
-- id. Call them with named arguments (heartbeat(ids => ..., worker_id => ...)).
--
-- Errors: 22023 (invalid_parameter_value) naming the parameter; 55000
-- (object_not_in_prerequisite_state) for fail on a job that is not running or is held by another
-- worker; P0002 (no_data_found) for an unknown job id. Bad input writes nothing.

CREATE FUNCTION howdah_internal.queue_backoff(attempt integer)
RETURNS interval
LANGUAGE sql VOLATILE
-- The wait before retry number `attempt` + 1: 2^attempt seconds capped at one hour, times a
-- random factor in [0.5, 1) so that jobs failing together do not retry together.
RETURN pg_catalog.make_interval(secs => least(pg_catalog.power(2, least(attempt, 12)), 3600) * (0.5 + pg_catalog.random() / 2));
COMMENT ON FUNCTION howdah_internal.queue_backoff(integer) IS 'Default retry delay after a failed attempt: 2^attempt s (at most 1 h) with jitter, between half and all of it.';

CREATE FUNCTION howdah_queue.claim(queue text, worker_id text, n integer DEFAULT 1, lease interval DEFAULT '30 seconds')
RETURNS SETOF howdah_queue.jobs
LANGUAGE plpgsql VOLATILE SECURITY INVOKER ROWS 10
SET search_path = pg_catalog, pg_temp
-- One plan for every call, made once per session: jobs_claim_idx (a pgTAP test checks it), never
-- a sequential scan, even when the plan is made while the table is empty. Without these the plan
-- cache may plan every call anew (0.1 to 0.2 ms each) or keep a sequential scan made for an
-- empty table until the next ANALYZE.
SET plan_cache_mode = force_generic_plan
SET enable_seqscan = off
AS $$
#variable_conflict use_column
-- Takes up to `n` runnable jobs of `queue` for `worker_id` and returns them, smallest priority
-- first, then oldest run_at, then id. Runnable means available, scheduled or retryable with
-- run_at <= now(): scheduled and retried jobs need no promoter. Each job becomes running with
-- attempt + 1 and a lease of `lease`; rows other claimers have locked are skipped.
DECLARE
    bad text := coalesce(howdah_internal.queue_name_problem(claim.queue), CASE
        WHEN claim.worker_id IS NULL OR char_length(claim.worker_id) NOT BETWEEN 1 AND 128 THEN
            'worker_id must be 1 to 128 characters long'
        WHEN claim.n IS NULL OR claim.n NOT BETWEEN 1 AND 1000 THEN
            format('n must be from 1 to 1000, got %s', coalesce(claim.n::text, 'null'))
        WHEN claim.lease IS NULL OR claim.lease <= interval '0' THEN
            format('lease must be a positive interval, got %s', coalesce(claim.lease::text, 'null'))
    END);
BEGIN
    IF bad IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value', MESSAGE = bad;
    END IF;
    RETURN QUERY
    WITH picked AS (
        SELECT j.id
          FROM howdah_queue.jobs j
         WHERE j.queue = claim.queue
           AND j.state IN ('available', 'scheduled', 'retryable')
           AND j.run_at <= now()
         ORDER BY j.priority, j.run_at, j.id
         LIMIT claim.n
           FOR UPDATE SKIP LOCKED),
    claimed AS (
        UPDATE howdah_queue.jobs j
           SET state = 'running', attempt = j.attempt + 1, attempted_at = now(),
               worker_id = claim.worker_id, lease_expires_at = now() + claim.lease
         WHERE j.id = ANY (ARRAY(SELECT p.id FROM picked p)) -- never a hash join over the whole table
        RETURNING j.*)
    SELECT c.* FROM claimed c ORDER BY c.priority, c.run_at, c.id;
END;
$$;
COMMENT ON FUNCTION howdah_queue.claim(text, text, integer, interval) IS
'Takes up to n (1..1000) runnable jobs of a queue for a worker, in one statement with FOR UPDATE SKIP LOCKED, and returns them as rows of howdah_queue.jobs: claim(queue, worker_id, n = 1, lease = ''30 seconds''). '
'Runnable: available, scheduled or retryable with run_at <= now(); order: priority, run_at, id. Claimed jobs are running, attempt + 1, lease_expires_at = now() + lease. '
'Errors: 22023 naming the bad parameter (queue name, worker_id of 1..128 characters, n, lease > 0).';

CREATE FUNCTION howdah_queue.heartbeat(ids bigint[], worker_id text, attempts integer[] DEFAULT NULL, lease interval DEFAULT '30 seconds')
RETURNS bigint[]
LANGUAGE plpgsql VOLATILE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
-- Extends to now() + `lease` the leases of the jobs among `ids` that `worker_id` holds (running)
-- and returns their ids, sorted. With `attempts` (one per id), only a job still at that attempt
-- counts: the same worker may have claimed it again after a rescue. The ids left out were lost:
-- cancelled, or rescued and maybe claimed again; their handlers should stop.
DECLARE
    kept bigint[];
BEGIN
    PERFORM howdah_internal.queue_bad_parameter(CASE
        WHEN heartbeat.worker_id IS NULL OR char_length(heartbeat.worker_id) NOT BETWEEN 1 AND 128 THEN
            'worker_id must be 1 to 128 characters long'
        WHEN heartbeat.lease IS NULL OR heartbeat.lease <= interval '0' THEN
            format('lease must be a positive interval, got %s', coalesce(heartbeat.lease::text, 'null'))
        ELSE howdah_internal.queue_attempts_problem(heartbeat.ids, heartbeat.attempts)
    END);
    WITH kept_jobs AS (
        UPDATE howdah_queue.jobs j
           SET lease_expires_at = now() + heartbeat.lease
          FROM unnest(heartbeat.ids, heartbeat.attempts) u(id, attempt) -- attempts NULL: u.attempt NULL
         WHERE j.id = u.id AND j.state = 'running' AND j.worker_id = heartbeat.worker_id
           AND (heartbeat.attempts IS NULL OR j.attempt = u.attempt)
        RETURNING j.id)
    SELECT coalesce(array_agg(k.id ORDER BY k.id), '{}') INTO kept FROM kept_jobs k;
    RETURN kept;
END;
$$;
COMMENT ON FUNCTION howdah_queue.heartbeat(bigint[], text, integer[], interval) IS
'Extends the leases of the jobs a worker holds: heartbeat(ids, worker_id, attempts = NULL, lease = ''30 seconds'') returns the ids still held (sorted); the others were cancelled or rescued and their work should stop. '
'attempts, when given, has one attempt number per id (the attempt column of the claimed row): a job claimed again since (even by the same worker) is then not extended and its id is left out. '
'Errors: 22023 for a bad worker_id, a lease that is not positive, or attempts not matching ids.';

CREATE FUNCTION howdah_queue.complete(ids bigint[], worker_id text DEFAULT NULL, attempts integer[] DEFAULT NULL)
RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
-- One plan (jobs_pkey on ids) made once per session, as for claim.
SET plan_cache_mode = force_generic_plan
SET enable_seqscan = off
AS $$
#variable_conflict use_column
-- Marks the running jobs among `ids` completed (only those `worker_id` holds, when given, and
-- only those still at the matching element of `attempts`, when given) and returns how many;
-- others (unknown, not running, held by another worker, claimed again since) are left alone.
-- PL/pgSQL with a generic plan: a SQL function would plan the UPDATE on every call (~0.1 ms).
DECLARE
    done integer;
    -- 'running' as a variable, a parameter of the generic plan: jobs_running_idx (WHERE state =
    -- 'running') then cannot be used, so the plan looks the ids up in jobs_pkey rather than read
    -- every running job when statistics say few jobs run.
    running CONSTANT howdah_queue.job_state := 'running'::howdah_queue.job_state;
    bad text := howdah_internal.queue_attempts_problem(complete.ids, complete.attempts);
BEGIN
    IF bad IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value', MESSAGE = bad;
    END IF;
    UPDATE howdah_queue.jobs j
       SET state = 'completed', finalized_at = now(), lease_expires_at = NULL
      FROM unnest(complete.ids, complete.attempts) u(id, attempt) -- attempts NULL: u.attempt NULL
     WHERE j.id = u.id AND j.state = running
       AND (complete.worker_id IS NULL OR j.worker_id = complete.worker_id)
       AND (complete.attempts IS NULL OR j.attempt = u.attempt);
    GET DIAGNOSTICS done = ROW_COUNT;
    RETURN done;
END;
$$;
COMMENT ON FUNCTION howdah_queue.complete(bigint[], text, integer[]) IS
'Marks running jobs completed, in one statement: complete(ids, worker_id = NULL, attempts = NULL) returns how many changed. '
'Jobs that are not running (unknown, cancelled, rescued), or, when worker_id is given, held by another worker, or, when attempts (one attempt number per id) is given, claimed again since that attempt, are left alone and not counted, so a late result cannot complete a job someone (even the same worker) now runs again. '
'Errors: 22023 when attempts does not match ids.';

CREATE FUNCTION howdah_queue.fail(id bigint, error text, worker_id text DEFAULT NULL, attempt integer DEFAULT NULL, retry_in interval DEFAULT NULL)
RETURNS howdah_queue.job_state
LANGUAGE plpgsql VOLATILE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
-- Records a failed attempt of running job `id`: appends {"attempt", "at", "error"} to errors,
-- then makes the job retryable at now() + `retry_in` (NULL: exponential backoff with jitter), or
-- failed when its attempts are used up. Returns the new state. With `worker_id`, the job must be
-- held by that worker; with `attempt`, it must still be at that attempt.
DECLARE
    cur record;
    new_state howdah_queue.job_state;
BEGIN
    PERFORM howdah_internal.queue_bad_parameter(CASE WHEN fail.retry_in < interval '0' THEN
        format('retry_in must not be negative, got %s', fail.retry_in) END);
    SELECT j.state, j.worker_id, j.attempt INTO cur FROM howdah_queue.jobs j WHERE j.id = fail.id FOR UPDATE;
    IF NOT FOUND THEN
        PERFORM howdah_internal.queue_not_found(fail.id);
    END IF;
    IF cur.state <> 'running' THEN
        PERFORM howdah_internal.queue_state_error(fail.id, cur.state, 'fail', 'running');
    END IF;
    IF fail.worker_id IS NOT NULL AND cur.worker_id IS DISTINCT FROM fail.worker_id THEN
        RAISE EXCEPTION USING ERRCODE = 'object_not_in_prerequisite_state',
            MESSAGE = format('job %s is held by worker %L, not %L', fail.id, cur.worker_id, fail.worker_id),
            HINT = 'its lease expired and it was rescued and claimed again; this attempt''s result is ignored';
    END IF;
    IF fail.attempt IS NOT NULL AND cur.attempt <> fail.attempt THEN
        RAISE EXCEPTION USING ERRCODE = 'object_not_in_prerequisite_state',
            MESSAGE = format('job %s is at attempt %s, not %s', fail.id, cur.attempt, fail.attempt),
            HINT = 'that attempt''s lease expired and the job was rescued and claimed again; its result is ignored';
    END IF;
    UPDATE howdah_queue.jobs j
       SET state = CASE WHEN j.attempt >= j.max_attempts THEN 'failed' ELSE 'retryable' END::howdah_queue.job_state,
           finalized_at = CASE WHEN j.attempt >= j.max_attempts THEN now() END,
           run_at = CASE WHEN j.attempt >= j.max_attempts THEN j.run_at
                         ELSE now() + coalesce(fail.retry_in, howdah_internal.queue_backoff(j.attempt)) END,
           lease_expires_at = NULL,
           errors = j.errors || jsonb_build_array(jsonb_build_object('attempt', j.attempt, 'at', now(), 'error', fail.error))
     WHERE j.id = fail.id
    RETURNING j.state INTO new_state;
    RETURN new_state;
END;
$$;
COMMENT ON FUNCTION howdah_queue.fail(bigint, text, text, integer, interval) IS
'Records a failed attempt of a running job: fail(id, error, worker_id = NULL, attempt = NULL, retry_in = NULL) appends {"attempt", "at", "error"} to errors and returns the new state: '
'retryable at now() + retry_in (NULL: 2^attempt seconds, at most 1 hour, with jitter) or failed when attempt = max_attempts. '
'Errors: P0002 unknown id; 55000 when the job is not running, or (worker_id given) is held by another worker, or (attempt given) was claimed again since that attempt; 22023 negative retry_in.';

CREATE FUNCTION howdah_queue.release(ids bigint[], worker_id text DEFAULT NULL, attempts integer[] DEFAULT NULL)
RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
-- Gives back running jobs among `ids` (those `worker_id` holds, when given, and still at the
-- matching element of `attempts`, when given) without a result: they become available now and
-- their attempt is not counted. Returns how many; wakes workers.
DECLARE
    released integer;
    queues text[];
BEGIN
    PERFORM howdah_internal.queue_bad_parameter(howdah_internal.queue_attempts_problem(release.ids, release.attempts));
    WITH back AS (
        UPDATE howdah_queue.jobs j
           SET state = 'available', attempt = greatest(j.attempt - 1, 0), run_at = now(), lease_expires_at = NULL
          FROM unnest(release.ids, release.attempts) u(id, attempt) -- attempts NULL: u.attempt NULL
         WHERE j.id = u.id AND j.state = 'running'
           AND (release.worker_id IS NULL OR j.worker_id = release.worker_id)
           AND (release.attempts IS NULL OR j.attempt = u.attempt)
        RETURNING j.queue)
    SELECT count(*)::integer, array_agg(DISTINCT b.queue) INTO released, queues FROM back b;
    PERFORM howdah_internal.queue_wake(queues);
    RETURN released;
END;
$$;
COMMENT ON FUNCTION howdah_queue.release(bigint[], text, integer[]) IS
'Gives running jobs back without a result, for a worker shutting down: release(ids, worker_id = NULL, attempts = NULL) makes them available now, does not count the attempt, wakes the queues'' workers and returns how many changed. '
'Jobs not running, held by another worker (worker_id given) or claimed again since the attempt given in attempts (one per id) are left alone. Errors: 22023 when attempts does not match ids.';

CREATE FUNCTION howdah_queue.rescue(queue text DEFAULT NULL)
RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
-- Takes back running jobs whose lease expired (their worker died or hung), of `queue` or of
-- every queue when NULL: each records an error and becomes retryable now, or failed when its
-- attempts are used up. Returns how many; wakes the workers of queues with retryable jobs.
-- Rows locked by a concurrent complete, fail or rescue are skipped.
DECLARE
    rescued integer;
    queues text[];
BEGIN
    PERFORM howdah_internal.queue_bad_parameter(CASE WHEN rescue.queue IS NOT NULL
        THEN howdah_internal.queue_name_problem(rescue.queue) END);
    WITH expired AS (
        SELECT j.id
          FROM howdah_queue.jobs j
         WHERE j.state = 'running' AND j.lease_expires_at < now()
           AND (rescue.queue IS NULL OR j.queue = rescue.queue)
           FOR UPDATE SKIP LOCKED),
    back AS (
        UPDATE howdah_queue.jobs j
           SET state = CASE WHEN j.attempt >= j.max_attempts THEN 'failed' ELSE 'retryable' END::howdah_queue.job_state,
               finalized_at = CASE WHEN j.attempt >= j.max_attempts THEN now() END,
               run_at = CASE WHEN j.attempt >= j.max_attempts THEN j.run_at ELSE now() END,
               errors = j.errors || jsonb_build_array(jsonb_build_object('attempt', j.attempt, 'at', now(),
                   'error', format('lease expired at %s: worker %s stopped heartbeating', j.lease_expires_at, j.worker_id))),
               lease_expires_at = NULL
         WHERE j.id = ANY (ARRAY(SELECT e.id FROM expired e))
        RETURNING j.queue, j.state)
    SELECT count(*)::integer, array_agg(DISTINCT b.queue) FILTER (WHERE b.state = 'retryable')
      INTO rescued, queues
      FROM back b;
    PERFORM howdah_internal.queue_wake(queues);
    RETURN rescued;
END;
$$;
COMMENT ON FUNCTION howdah_queue.rescue(text) IS
'Takes back running jobs whose lease expired: rescue(queue = NULL: every queue) records an error on each and makes it retryable now, or failed when its attempts are used up, and returns how many. '
'Run it periodically (the Go client does, every lease); it skips rows other sessions have locked. Errors: 22023 for an invalid queue name.';
