-- queue 001: the job table, its state enum and indexes, private helpers, and the wake-up
-- trigger. Functions that work on jobs come in 002 (push) and 003 (work and admin).
--
-- State machine (docs/queue.md draws it):
--   push        → available (run_at <= now()) | scheduled (run_at later)
--   claim       available | scheduled | retryable, with run_at <= now() → running
--   complete    running → completed
--   fail        running → retryable (attempts left) | failed
--   rescue      running with an expired lease → retryable | failed
--   release     running → available (the attempt is given back)
--   cancel      available | scheduled | retryable | running → cancelled
--   retry       completed | failed | cancelled → available (attempt back to 0)
-- completed, failed and cancelled are final (finalized_at is set) until retry; prune deletes them.

CREATE SCHEMA howdah_queue;
COMMENT ON SCHEMA howdah_queue IS 'howdah queue: durable jobs with SKIP LOCKED claims, leases, retries and NOTIFY wake-ups. No privileges are granted by default; docs/queue.md lists the GRANT lines for worker and producer roles.';
REVOKE ALL ON SCHEMA howdah_queue FROM PUBLIC;

CREATE TYPE howdah_queue.job_state AS ENUM
    ('available', 'scheduled', 'running', 'retryable', 'completed', 'failed', 'cancelled');
COMMENT ON TYPE howdah_queue.job_state IS 'Where a job is in its life: available, scheduled (run_at later), running (held under a lease), retryable (failed, attempts left), completed, failed (out of attempts), cancelled. The last three are final.';

-- Columns by alignment: 8-byte fixed-width first, then 4/2-byte, then variable-length.
CREATE TABLE howdah_queue.jobs (
    id               bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    run_at           timestamptz NOT NULL DEFAULT now(),
    created_at       timestamptz NOT NULL DEFAULT now(),
    attempted_at     timestamptz,
    finalized_at     timestamptz,
    lease_expires_at timestamptz,
    state            howdah_queue.job_state NOT NULL DEFAULT 'available',
    priority         smallint    NOT NULL DEFAULT 0,
    attempt          smallint    NOT NULL DEFAULT 0,
    max_attempts     smallint    NOT NULL DEFAULT 25,
    queue            text        NOT NULL,
    worker_id        text,
    unique_key       text,
    payload          jsonb       NOT NULL,
    errors           jsonb       NOT NULL DEFAULT '[]',
    tags             text[]      NOT NULL DEFAULT '{}',
    -- A bounded repetition such as {0,127} makes PostgreSQL's regex engine ~10x slower: length apart.
    CONSTRAINT jobs_queue_name CHECK (char_length(queue) <= 128 AND queue ~ '^[a-z0-9][a-z0-9_.-]*$'),
    CONSTRAINT jobs_attempts CHECK (max_attempts >= 1 AND attempt >= 0),
    CONSTRAINT jobs_finalized CHECK ((state IN ('completed', 'failed', 'cancelled')) = (finalized_at IS NOT NULL)),
    CONSTRAINT jobs_running_lease CHECK (state <> 'running' OR (worker_id IS NOT NULL AND lease_expires_at IS NOT NULL)),
    CONSTRAINT jobs_unique_key CHECK (unique_key IS NULL OR char_length(unique_key) BETWEEN 1 AND 512)
) WITH (autovacuum_vacuum_scale_factor = 0.02, autovacuum_vacuum_insert_scale_factor = 0.02);
COMMENT ON TABLE howdah_queue.jobs IS 'One row per job. Write it through the howdah_queue functions; read it freely.';
COMMENT ON COLUMN howdah_queue.jobs.run_at IS 'When the job may run next: set by push, by fail (backoff) and by rescue/release/retry.';
COMMENT ON COLUMN howdah_queue.jobs.priority IS 'Smaller runs first (claim orders by priority, then run_at, then id).';
COMMENT ON COLUMN howdah_queue.jobs.attempt IS 'Attempts so far, counted when claimed; release gives one back, retry resets to 0.';
COMMENT ON COLUMN howdah_queue.jobs.worker_id IS 'The worker holding the job (running) or that held it last.';
COMMENT ON COLUMN howdah_queue.jobs.lease_expires_at IS 'While running: when rescue may take the job back unless heartbeat extends it.';
COMMENT ON COLUMN howdah_queue.jobs.unique_key IS 'At most one job per (queue, unique_key) that is not completed, failed or cancelled.';
COMMENT ON COLUMN howdah_queue.jobs.errors IS 'One {"attempt", "at", "error"} object per failed attempt, oldest first.';

-- claim: WHERE queue = $1 AND state IN (claimable) AND run_at <= now() ORDER BY priority, run_at, id.
CREATE INDEX jobs_claim_idx ON howdah_queue.jobs (queue, priority, run_at, id)
    WHERE state IN ('available', 'scheduled', 'retryable');
-- push: ON CONFLICT target for unique keys among jobs that are not final.
CREATE UNIQUE INDEX jobs_unique_idx ON howdah_queue.jobs (queue, unique_key)
    WHERE unique_key IS NOT NULL AND state IN ('available', 'scheduled', 'running', 'retryable');
-- rescue and release: the few running jobs. lease_expires_at stays out of every index so that
-- heartbeats can be HOT updates.
CREATE INDEX jobs_running_idx ON howdah_queue.jobs (worker_id) WHERE state = 'running';
-- prune: final jobs, oldest first.
CREATE INDEX jobs_finalized_idx ON howdah_queue.jobs (finalized_at) WHERE state IN ('completed', 'failed', 'cancelled');

CREATE FUNCTION howdah_internal.queue_name_problem(queue text)
RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
-- NULL when `queue` is a valid queue name, else what is wrong with it. No SET clause: it is
-- inlined into push_many's set-based validation.
RETURN CASE
    WHEN queue IS NULL THEN 'queue must not be null'
    WHEN pg_catalog.char_length(queue) > 128 OR queue !~ '^[a-z0-9][a-z0-9_.-]*$' THEN
        pg_catalog.format('queue name %L is invalid: use 1 to 128 characters among a-z, 0-9, _ . - (starting with a letter or digit)', queue)
END;
COMMENT ON FUNCTION howdah_internal.queue_name_problem(text) IS 'What is wrong with a queue name, or NULL when it is valid.';

CREATE FUNCTION howdah_internal.queue_job_problem(queue text, payload jsonb, priority integer, max_attempts integer, unique_key text)
RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
-- NULL when the values make a valid job, else the first problem, naming the parameter.
RETURN coalesce(howdah_internal.queue_name_problem(queue), CASE
    WHEN payload IS NULL OR pg_catalog.jsonb_typeof(payload) = 'null' THEN 'payload must be a JSON value other than null'
    WHEN priority IS NULL OR priority NOT BETWEEN -32768 AND 32767 THEN
        pg_catalog.format('priority must be an integer from -32768 to 32767, got %s', coalesce(priority::text, 'null'))
    WHEN max_attempts IS NULL OR max_attempts NOT BETWEEN 1 AND 32767 THEN
        pg_catalog.format('max_attempts must be an integer from 1 to 32767, got %s', coalesce(max_attempts::text, 'null'))
    WHEN pg_catalog.char_length(unique_key) NOT BETWEEN 1 AND 512 THEN
        'unique_key must be NULL or 1 to 512 characters long'
END);
COMMENT ON FUNCTION howdah_internal.queue_job_problem(text, jsonb, integer, integer, text) IS 'What is wrong with the values of a new job, or NULL when they are valid.';

CREATE FUNCTION howdah_internal.queue_element_problem(j jsonb)
RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
-- NULL when `j` is a valid element of push_many's array, else the first problem, naming the key.
-- Written without sub-SELECTs so that it is inlined into push_many's set-based check.
RETURN CASE
    WHEN pg_catalog.jsonb_typeof(j) IS DISTINCT FROM 'object' THEN
        pg_catalog.format('must be a JSON object, got %s', coalesce(pg_catalog.jsonb_typeof(j), 'null'))
    WHEN j - '{queue,payload,priority,run_at,max_attempts,unique_key,tags}'::text[] <> '{}' THEN
        pg_catalog.format('unknown key %s (allowed keys: queue, payload, priority, run_at, max_attempts, unique_key, tags)',
            pg_catalog.jsonb_path_query_first(j - '{queue,payload,priority,run_at,max_attempts,unique_key,tags}'::text[], '$.keyvalue().key'))
    WHEN pg_catalog.jsonb_typeof(j -> 'queue') IS DISTINCT FROM 'string' THEN
        pg_catalog.format('key "queue" must be a string, got %s', coalesce(pg_catalog.jsonb_typeof(j -> 'queue'), 'nothing'))
    WHEN pg_catalog.jsonb_typeof(j -> 'priority') NOT IN ('number', 'null')
      OR (j ->> 'priority') !~ '^-?[0-9]{1,5}$' THEN
        pg_catalog.format('key "priority" must be an integer from -32768 to 32767, got %s', j -> 'priority')
    WHEN pg_catalog.jsonb_typeof(j -> 'max_attempts') NOT IN ('number', 'null')
      OR (j ->> 'max_attempts') !~ '^[0-9]{1,5}$' THEN
        pg_catalog.format('key "max_attempts" must be an integer from 1 to 32767, got %s', j -> 'max_attempts')
    WHEN pg_catalog.jsonb_typeof(j -> 'run_at') NOT IN ('string', 'null') THEN
        pg_catalog.format('key "run_at" must be a timestamp string, got %s', pg_catalog.jsonb_typeof(j -> 'run_at'))
    WHEN pg_catalog.jsonb_typeof(j -> 'unique_key') NOT IN ('string', 'null') THEN
        pg_catalog.format('key "unique_key" must be a string, got %s', pg_catalog.jsonb_typeof(j -> 'unique_key'))
    WHEN pg_catalog.jsonb_typeof(j -> 'tags') NOT IN ('array', 'null')
      OR pg_catalog.jsonb_path_exists(j -> 'tags', 'strict $[*] ? (@.type() != "string")', '{}', true) THEN
        'key "tags" must be an array of strings'
    ELSE howdah_internal.queue_job_problem(j ->> 'queue', j -> 'payload',
             coalesce((j ->> 'priority')::integer, 0), coalesce((j ->> 'max_attempts')::integer, 25), j ->> 'unique_key')
END;
COMMENT ON FUNCTION howdah_internal.queue_element_problem(jsonb) IS 'What is wrong with one element of push_many''s array, or NULL when it is valid.';

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

CREATE FUNCTION howdah_internal.queue_backoff(attempt integer)
RETURNS interval
LANGUAGE sql VOLATILE
-- The wait before retry number `attempt` + 1: 2^attempt seconds capped at one hour, times a
-- random factor in [0.5, 1) so that jobs failing together do not retry together.
RETURN pg_catalog.make_interval(secs => least(pg_catalog.power(2, least(attempt, 12)), 3600) * (0.5 + pg_catalog.random() / 2));
COMMENT ON FUNCTION howdah_internal.queue_backoff(integer) IS 'Default retry delay after a failed attempt: 2^attempt s (at most 1 h) with jitter, between half and all of it.';

CREATE FUNCTION howdah_internal.queue_state_error(job_id bigint, state howdah_queue.job_state, action text, allowed text)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
-- Raises 55000 (object_not_in_prerequisite_state): job `job_id` is in `state`, `action` needs `allowed`.
BEGIN
    RAISE EXCEPTION USING ERRCODE = 'object_not_in_prerequisite_state',
        MESSAGE = format('job %s is %s; %s needs a job that is %s', job_id, state, action, allowed),
        HINT = 'SELECT state FROM howdah_queue.jobs WHERE id = ... shows where a job is; docs/queue.md draws the state machine';
END;
$$;
COMMENT ON FUNCTION howdah_internal.queue_state_error(bigint, howdah_queue.job_state, text, text) IS 'Raises 55000 for an illegal state transition, naming the job, its state and what was allowed.';

CREATE FUNCTION howdah_internal.queue_not_found(job_id bigint)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
-- Raises P0002 (no_data_found) for an unknown job id.
BEGIN
    RAISE EXCEPTION USING ERRCODE = 'no_data_found',
        MESSAGE = format('job %s does not exist', job_id),
        HINT = 'it may never have existed or have been pruned';
END;
$$;
COMMENT ON FUNCTION howdah_internal.queue_not_found(bigint) IS 'Raises P0002 for an unknown job id.';

CREATE FUNCTION howdah_internal.queue_bad_parameter(message text)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
-- Raises 22023 (invalid_parameter_value) with `message` when it is not NULL.
BEGIN
    IF message IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value', MESSAGE = message;
    END IF;
END;
$$;
COMMENT ON FUNCTION howdah_internal.queue_bad_parameter(text) IS 'Raises 22023 with the message when it is not NULL.';

---- create above / drop below ----

DROP FUNCTION howdah_internal.queue_bad_parameter(text);
DROP FUNCTION howdah_internal.queue_not_found(bigint);
DROP FUNCTION howdah_internal.queue_state_error(bigint, howdah_queue.job_state, text, text);
DROP FUNCTION howdah_internal.queue_backoff(integer);
DROP TRIGGER jobs_notify ON howdah_queue.jobs;
DROP FUNCTION howdah_internal.queue_notify_inserted();
DROP FUNCTION howdah_internal.queue_wake(text[]);
DROP FUNCTION howdah_internal.queue_notify_enabled();
DROP FUNCTION howdah_internal.queue_element_problem(jsonb);
DROP FUNCTION howdah_internal.queue_job_problem(text, jsonb, integer, integer, text);
DROP FUNCTION howdah_internal.queue_name_problem(text);
DROP TABLE howdah_queue.jobs;
DROP TYPE howdah_queue.job_state;
DROP SCHEMA howdah_queue;
