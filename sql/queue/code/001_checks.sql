-- queue code 001: checks of the values callers give, and the errors every queue function raises:
-- 22023 (invalid_parameter_value) naming the parameter; 55000 (object_not_in_prerequisite_state)
-- for an illegal state transition; P0002 (no_data_found) for an unknown job id.

CREATE FUNCTION howdah_internal.queue_default_max_attempts()
RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE
-- How many times a job may run unless its maker says otherwise: the one place of this default,
-- used by push, push_many and schedule. No SET clause: it is inlined into its callers, a constant.
RETURN 25;
COMMENT ON FUNCTION howdah_internal.queue_default_max_attempts() IS 'The default max_attempts of a job (25), for push, push_many and schedules.';

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
             coalesce((j ->> 'priority')::integer, 0), coalesce((j ->> 'max_attempts')::integer, howdah_internal.queue_default_max_attempts()), j ->> 'unique_key')
END;
COMMENT ON FUNCTION howdah_internal.queue_element_problem(jsonb) IS 'What is wrong with one element of push_many''s array, or NULL when it is valid.';

CREATE FUNCTION howdah_internal.queue_attempts_problem(ids bigint[], attempts integer[])
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
-- NULL when `attempts` is NULL or gives one non-null attempt per element of `ids`, else what is wrong.
RETURN CASE WHEN attempts IS NOT NULL AND (coalesce(pg_catalog.cardinality(attempts), 0) <> coalesce(pg_catalog.cardinality(ids), 0)
                                            OR pg_catalog.array_position(attempts, NULL) IS NOT NULL) THEN
    pg_catalog.format('attempts must be NULL or hold one non-null attempt per element of ids: got %s attempt(s) for %s id(s)',
        coalesce(pg_catalog.cardinality(attempts), 0), coalesce(pg_catalog.cardinality(ids), 0))
END;
COMMENT ON FUNCTION howdah_internal.queue_attempts_problem(bigint[], integer[]) IS 'What is wrong with an attempts array given with job ids, or NULL when it is fine.';

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
