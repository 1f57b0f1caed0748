-- queue code 003: putting jobs on a queue — push (one job) and push_many (a JSON array, one INSERT).
-- Both return the existing job's id when a unique key is taken by a job that is not final, and
-- both wake the queue's workers through the statement-level trigger of 002_notify.sql.
--
-- Errors: 22023 (invalid_parameter_value) naming the parameter or the array element and key;
-- 42501 without INSERT (push_many checks it before reading its array; push leaves it to its
-- INSERT, its input being one job); 40001 when a concurrent transaction holds the unique key and this one cannot see it
-- (REPEATABLE READ or SERIALIZABLE): retry the transaction. Bad input writes nothing.

CREATE FUNCTION howdah_queue.push(
    queue text,
    payload jsonb,
    priority integer DEFAULT 0,
    run_at timestamptz DEFAULT NULL,
    max_attempts integer DEFAULT howdah_internal.queue_default_max_attempts(),
    unique_key text DEFAULT NULL,
    tags text[] DEFAULT '{}')
RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
-- Adds a job to `queue` and returns its id. `run_at` NULL means now; later means the job is
-- scheduled. With a `unique_key`, a job of the same queue and key that is not final makes this a
-- no-op that returns that job's id (decided by ON CONFLICT on the partial unique index, so two
-- pushers racing get the same id).
DECLARE
    start_at timestamptz := coalesce(push.run_at, now());
    -- An assignment, not PERFORM of a helper: plpgsql evaluates it without running a query.
    bad text := howdah_internal.queue_job_problem(push.queue, push.payload, push.priority, push.max_attempts, push.unique_key);
    job_id bigint;
BEGIN
    IF bad IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value', MESSAGE = bad;
    END IF;
    IF push.unique_key IS NULL THEN
        -- Nothing to deduplicate: a plain INSERT, without ON CONFLICT's speculative insertion.
        INSERT INTO howdah_queue.jobs AS j (queue, payload, priority, run_at, max_attempts, tags, state)
        VALUES (push.queue, push.payload, push.priority, start_at, push.max_attempts, coalesce(push.tags, '{}'),
                CASE WHEN start_at > now() THEN 'scheduled' ELSE 'available' END::howdah_queue.job_state)
        RETURNING j.id INTO job_id;
        RETURN job_id;
    END IF;
    FOR i IN 1..3 LOOP
        INSERT INTO howdah_queue.jobs AS j (queue, payload, priority, run_at, max_attempts, unique_key, tags, state)
        VALUES (push.queue, push.payload, push.priority, start_at, push.max_attempts, push.unique_key,
                coalesce(push.tags, '{}'),
                CASE WHEN start_at > now() THEN 'scheduled' ELSE 'available' END::howdah_queue.job_state)
        ON CONFLICT (queue, unique_key)
           WHERE unique_key IS NOT NULL AND state IN ('available', 'scheduled', 'running', 'retryable')
        DO NOTHING
        RETURNING j.id INTO job_id;
        IF job_id IS NOT NULL THEN
            RETURN job_id;
        END IF;
        -- The key is taken: a new statement sees the holder even if it committed just now.
        SELECT j.id INTO job_id
          FROM howdah_queue.jobs j
         WHERE j.queue = push.queue AND j.unique_key = push.unique_key
           AND j.state IN ('available', 'scheduled', 'running', 'retryable');
        IF job_id IS NOT NULL THEN
            RETURN job_id;
        END IF;
        -- The holder became final in between: insert again.
    END LOOP;
    RAISE EXCEPTION USING ERRCODE = 'serialization_failure',
        MESSAGE = format('push: unique key %L of queue %L is taken by a job this transaction cannot see', push.unique_key, push.queue),
        HINT = 'retry the transaction';
END;
$$;
COMMENT ON FUNCTION howdah_queue.push(text, jsonb, integer, timestamptz, integer, text, text[]) IS
'Adds a job and returns its id: push(queue, payload, priority = 0, run_at = now(), max_attempts = 25, unique_key = NULL, tags = ''{}''). '
'queue: 1 to 128 characters among a-z 0-9 _ . - starting with a letter or digit; payload is any JSON value but null; smaller priority runs first; run_at in the future makes the job scheduled. '
'With unique_key, a job of the same queue and key that is not completed, failed or cancelled is kept and its id returned. '
'Errors: 22023 naming the bad parameter; 40001 when a concurrent transaction holds the key invisibly (REPEATABLE READ).';

CREATE FUNCTION howdah_queue.push_many(jobs jsonb)
RETURNS bigint[]
LANGUAGE plpgsql VOLATILE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
-- Adds every job of the JSON array `jobs` in one INSERT and returns their ids in the array's
-- order. Each element is {"queue", "payload", "priority"?, "run_at"?, "max_attempts"?,
-- "unique_key"?, "tags"?}. A unique key already held (by an earlier job or an earlier element)
-- yields the holder's id. Every element is checked before anything is written, and the
-- privilege to insert before the elements are read (a role that may not push pays nothing for a
-- long array). Each check is one query over the array.
DECLARE
    bad text;
    ids bigint[];
BEGIN
    IF NOT has_any_column_privilege('howdah_queue.jobs'::regclass, 'INSERT') THEN
        RAISE EXCEPTION USING ERRCODE = 'insufficient_privilege',
            MESSAGE = 'permission denied for table howdah_queue.jobs: push_many needs the INSERT privilege on it',
            HINT = 'docs/queue.md, "Privileges", gives the GRANT lines of a producer role';
    END IF;
    IF jsonb_typeof(push_many.jobs) IS DISTINCT FROM 'array' THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = format('push_many: jobs must be a JSON array of job objects, got %s', coalesce(jsonb_typeof(push_many.jobs), 'null'));
    END IF;
    SELECT format('push_many: jobs[%s]: %s', e.ord - 1, howdah_internal.queue_element_problem(e.j)) INTO bad
      FROM jsonb_array_elements(push_many.jobs) WITH ORDINALITY e(j, ord)
     WHERE howdah_internal.queue_element_problem(e.j) IS NOT NULL
     ORDER BY e.ord
     LIMIT 1;
    IF bad IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value', MESSAGE = bad;
    END IF;
    -- run_at strings are parsed here, in a block of their own that writes nothing, so that the
    -- INSERT below runs outside any exception block (which would make it a subtransaction).
    IF jsonb_path_exists(push_many.jobs, '$[*].run_at ? (@ != null)') THEN
        BEGIN
            PERFORM (e.j ->> 'run_at')::timestamptz FROM jsonb_array_elements(push_many.jobs) e(j);
        EXCEPTION WHEN invalid_datetime_format OR datetime_field_overflow OR invalid_time_zone_displacement_value THEN
            RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
                MESSAGE = format('push_many: key ''run_at'' of an element must be a timestamp such as "2030-01-02T03:04:05Z": %s', SQLERRM);
        END;
    END IF;

    IF NOT jsonb_path_exists(push_many.jobs, '$[*].unique_key ? (@ != null)') THEN
        -- No unique key: a plain INSERT (no ON CONFLICT, whose speculative insertion costs a lock
        -- and a WAL record per row), with the elements read by jsonb_to_recordset in one pass.
        -- Ids are drawn in the CTE so that each element's id is known whatever the insert order.
        WITH input AS MATERIALIZED (
            SELECT x.ord, nextval('howdah_queue.jobs_id_seq'::regclass) AS id, x.queue, x.payload,
                   coalesce(x.priority, 0) AS priority, coalesce(x.run_at, now()) AS run_at,
                   coalesce(x.max_attempts, howdah_internal.queue_default_max_attempts()) AS max_attempts, coalesce(x.tags, '{}') AS tags
              FROM ROWS FROM (jsonb_to_recordset(push_many.jobs) AS (queue text, payload jsonb, priority smallint,
                                  run_at timestamptz, max_attempts smallint, tags text[]))
                   WITH ORDINALITY x(queue, payload, priority, run_at, max_attempts, tags, ord)),
        ins AS (
            INSERT INTO howdah_queue.jobs AS j (id, queue, payload, priority, run_at, max_attempts, tags, state)
            OVERRIDING SYSTEM VALUE
            SELECT i.id, i.queue, i.payload, i.priority, i.run_at, i.max_attempts, i.tags,
                   CASE WHEN i.run_at > now() THEN 'scheduled' ELSE 'available' END::howdah_queue.job_state
              FROM input i
             ORDER BY i.ord)
        SELECT array_agg(i.id ORDER BY i.ord) INTO ids FROM input i;
        RETURN coalesce(ids, '{}');
    END IF;

    WITH input AS MATERIALIZED (
        SELECT e.ord,
               nextval('howdah_queue.jobs_id_seq'::regclass) AS id,
               e.j ->> 'queue' AS queue,
               e.j -> 'payload' AS payload,
               coalesce((e.j ->> 'priority')::smallint, 0) AS priority,
               coalesce((e.j ->> 'run_at')::timestamptz, now()) AS run_at,
               coalesce((e.j ->> 'max_attempts')::smallint, howdah_internal.queue_default_max_attempts()::smallint) AS max_attempts,
               e.j ->> 'unique_key' AS unique_key,
               CASE WHEN jsonb_typeof(e.j -> 'tags') = 'array'
                    THEN ARRAY(SELECT jsonb_array_elements_text(e.j -> 'tags')) ELSE '{}' END AS tags
          FROM jsonb_array_elements(push_many.jobs) WITH ORDINALITY e(j, ord)),
    ins AS (
        INSERT INTO howdah_queue.jobs AS j (id, queue, payload, priority, run_at, max_attempts, unique_key, tags, state)
        OVERRIDING SYSTEM VALUE
        SELECT i.id, i.queue, i.payload, i.priority, i.run_at, i.max_attempts, i.unique_key, i.tags,
               CASE WHEN i.run_at > now() THEN 'scheduled' ELSE 'available' END::howdah_queue.job_state
          FROM input i
         ORDER BY i.ord
        ON CONFLICT (queue, unique_key)
           WHERE unique_key IS NOT NULL AND state IN ('available', 'scheduled', 'running', 'retryable')
        DO NOTHING
        RETURNING j.id, j.queue, j.unique_key)
    SELECT array_agg(coalesce(n.id, earlier.id, held.id) ORDER BY i.ord) INTO ids
      FROM input i
      LEFT JOIN ins n ON n.id = i.id
      LEFT JOIN LATERAL (SELECT x.id FROM ins x
                          WHERE n.id IS NULL AND x.queue = i.queue AND x.unique_key = i.unique_key) earlier ON true
      LEFT JOIN LATERAL (SELECT h.id FROM howdah_queue.jobs h
                          WHERE n.id IS NULL AND earlier.id IS NULL AND h.queue = i.queue AND h.unique_key = i.unique_key
                            AND h.state IN ('available', 'scheduled', 'running', 'retryable')) held ON true;

    IF array_position(ids, NULL) IS NOT NULL THEN
        -- A concurrent transaction committed a holder after this statement's snapshot was taken.
        SELECT array_agg(coalesce(ids[e.ord], (
                   SELECT h.id FROM howdah_queue.jobs h
                    WHERE h.queue = e.j ->> 'queue' AND h.unique_key = e.j ->> 'unique_key'
                      AND h.state IN ('available', 'scheduled', 'running', 'retryable'))) ORDER BY e.ord) INTO ids
          FROM jsonb_array_elements(push_many.jobs) WITH ORDINALITY e(j, ord);
        IF array_position(ids, NULL) IS NOT NULL THEN
            RAISE EXCEPTION USING ERRCODE = 'serialization_failure',
                MESSAGE = 'push_many: a unique key is taken by a job this transaction cannot see',
                HINT = 'retry the transaction';
        END IF;
    END IF;
    RETURN coalesce(ids, '{}');
END;
$$;
COMMENT ON FUNCTION howdah_queue.push_many(jsonb) IS
'Adds many jobs in one INSERT and returns their ids in input order: push_many(''[{"queue": "mail", "payload": {...}, "priority": 0, "run_at": "2030-01-02T03:04:05Z", "max_attempts": 25, "unique_key": "k", "tags": ["a"]}, ...]''). '
'Only queue and payload are required; defaults and unique keys work as in push. The trigger sends one wake-up per queue for the whole batch. '
'Errors: 42501 without INSERT on howdah_queue.jobs (checked before jobs is read); 22023 naming the element (jobs[i], from 0) and key; 40001 as in push. Bad input writes nothing.';
