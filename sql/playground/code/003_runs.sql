-- playground code 003: pipeline runs, what the original kept in Redis under a pipeline id:
-- status, outputs and logs (read incrementally), other cache sub-keys, cancellation and expiry.
--
-- Statuses and their legal transitions (anything else raises 55000 naming both states; setting
-- the current status again changes nothing):
--   validating → preparing | validation_error
--   preparing  → compiling | executing | preparation_error   (interpreted SDKs skip compiling)
--   compiling  → executing | compile_error
--   executing  → finished | run_error
--   any of the four above → error | run_timeout | cancelled
-- validation_error, preparation_error, compile_error, finished, run_error, error, run_timeout and
-- cancelled are final.
--
-- cancel(run) sets the flag and NOTIFYs channel cancel_channel() ('<schema>_cancel', so
-- 'playground_cancel' for the default instance) with the run id as payload.
--
-- Errors: 22023 (invalid_parameter_value) naming the bad value, P0002 (no_data_found) for an
-- unknown run, 55000 (object_not_in_prerequisite_state) for an illegal transition, 23505 for a
-- run id already taken.

CREATE FUNCTION {{.Schema}}._status_next(from_status text, to_status text)
RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
-- Whether a run may go from from_status to to_status.
RETURN from_status = to_status
    OR (from_status, to_status) IN (('validating', 'preparing'), ('validating', 'validation_error'),
                                    ('preparing', 'compiling'), ('preparing', 'executing'), ('preparing', 'preparation_error'),
                                    ('compiling', 'executing'), ('compiling', 'compile_error'),
                                    ('executing', 'finished'), ('executing', 'run_error'))
    OR (from_status IN ('validating', 'preparing', 'compiling', 'executing') AND to_status IN ('error', 'run_timeout', 'cancelled'));
COMMENT ON FUNCTION {{.Schema}}._status_next(text, text) IS 'The legal status transitions of a run (private).';

CREATE FUNCTION {{.Schema}}._run(id uuid, for_update boolean DEFAULT false)
RETURNS {{.Schema}}.runs
LANGUAGE plpgsql VOLATILE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
-- The run `id` (locked when for_update), or P0002.
DECLARE
    r {{.Schema}}.runs;
BEGIN
    IF for_update THEN
        SELECT x.* INTO r FROM {{.Schema}}.runs x WHERE x.id = _run.id FOR UPDATE;
    ELSE
        SELECT x.* INTO r FROM {{.Schema}}.runs x WHERE x.id = _run.id;
    END IF;
    IF r.id IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'no_data_found', MESSAGE = format('no run %L', _run.id), HINT = 'it may have expired';
    END IF;
    RETURN r;
END;
$$;
COMMENT ON FUNCTION {{.Schema}}._run(uuid, boolean) IS 'The row of a run (private). Errors: P0002 unknown run.';

CREATE FUNCTION {{.Schema}}.start_run(
    sdk text DEFAULT NULL,
    snippet text DEFAULT NULL,
    code text DEFAULT NULL,
    id uuid DEFAULT NULL,
    ttl interval DEFAULT '1 hour')
RETURNS uuid
LANGUAGE plpgsql VOLATILE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_variable
-- Starts a run of a saved snippet or of code, in status validating, expiring after ttl; returns
-- its id (the one given, else a new one). sdk defaults to the snippet's.
DECLARE
    s text;
    new_id uuid;
BEGIN
    IF (start_run.snippet IS NULL) = (start_run.code IS NULL) THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value', MESSAGE = 'give snippet (an id) or code, not both and not neither';
    END IF;
    IF start_run.snippet IS NOT NULL THEN
        SELECT x.sdk INTO s FROM {{.Schema}}.snippets x WHERE x.id = start_run.snippet;
        IF s IS NULL THEN
            RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value', MESSAGE = format('unknown snippet %L', start_run.snippet);
        END IF;
        IF start_run.sdk IS NOT NULL AND start_run.sdk <> s THEN
            RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
                MESSAGE = format('snippet %L is for %s, not %s', start_run.snippet, s, start_run.sdk);
        END IF;
    END IF;
    s := coalesce(start_run.sdk, s);
    IF s IS NULL OR NOT EXISTS (SELECT FROM {{.Schema}}.sdks x WHERE x.id = s) THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value', MESSAGE = format('unknown sdk %L', s), HINT = 'use one of sdks()';
    END IF;
    IF start_run.ttl IS NULL OR start_run.ttl <= interval '0' THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value', MESSAGE = format('ttl must be a positive interval, got %s', coalesce(start_run.ttl::text, 'NULL'));
    END IF;
    IF start_run.id IS NOT NULL AND EXISTS (SELECT FROM {{.Schema}}.runs r WHERE r.id = start_run.id) THEN
        RAISE EXCEPTION USING ERRCODE = 'unique_violation', MESSAGE = format('run %L exists already', start_run.id);
    END IF;
    INSERT INTO {{.Schema}}.runs (id, sdk, snippet, code, expires_at)
    VALUES (coalesce(start_run.id, gen_random_uuid()), s, start_run.snippet, start_run.code, now() + start_run.ttl)
    RETURNING runs.id INTO new_id;
    RETURN new_id;
END;
$$;
COMMENT ON FUNCTION {{.Schema}}.start_run(text, text, text, uuid, interval) IS
'Starts a pipeline run and returns its id: start_run(sdk, snippet => id | code => text, id = new uuid, ttl = ''1 hour''). Status validating; sdk defaults to the snippet''s; prune_runs() removes it once expired. '
'Errors: 22023 naming the bad parameter (unknown sdk or snippet, both or neither of snippet and code, ttl not positive), 23505 run id taken.';

CREATE FUNCTION {{.Schema}}.set_status(run uuid, status text)
RETURNS text
LANGUAGE plpgsql VOLATILE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_variable
-- Moves a run to `status` when the transition is legal (see the file's header); returns the
-- status it had.
DECLARE
    r {{.Schema}}.runs;
BEGIN
    IF set_status.status IS NULL OR set_status.status NOT IN ('validating', 'validation_error', 'preparing', 'preparation_error',
            'compiling', 'compile_error', 'executing', 'finished', 'run_error', 'error', 'run_timeout', 'cancelled') THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value', MESSAGE = format('unknown status %L', set_status.status),
            HINT = 'statuses: validating, validation_error, preparing, preparation_error, compiling, compile_error, executing, finished, run_error, error, run_timeout, cancelled';
    END IF;
    r := {{.Schema}}._run(set_status.run, true);
    IF NOT {{.Schema}}._status_next(r.status, set_status.status) THEN
        RAISE EXCEPTION USING ERRCODE = 'object_not_in_prerequisite_state',
            MESSAGE = format('run %s cannot go from %s to %s', r.id, r.status, set_status.status);
    END IF;
    IF r.status <> set_status.status THEN
        UPDATE {{.Schema}}.runs x SET status = set_status.status, updated = now() WHERE x.id = r.id;
    END IF;
    RETURN r.status;
END;
$$;
COMMENT ON FUNCTION {{.Schema}}.set_status(uuid, text) IS
'Moves a run to a status and returns the one it had; legal: validating → preparing | validation_error, preparing → compiling | executing | preparation_error, compiling → executing | compile_error, executing → finished | run_error, and any unfinished → error | run_timeout | cancelled. '
'Errors: 22023 unknown status, P0002 unknown run, 55000 illegal transition (naming both states).';

CREATE FUNCTION {{.Schema}}.status(run uuid)
RETURNS text
LANGUAGE plpgsql STABLE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    s text;
BEGIN
    SELECT x.status INTO s FROM {{.Schema}}.runs x WHERE x.id = status.run;
    IF s IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'no_data_found', MESSAGE = format('no run %L', status.run);
    END IF;
    RETURN s;
END;
$$;
COMMENT ON FUNCTION {{.Schema}}.status(uuid) IS 'The status of a run. Errors: P0002 unknown run.';

CREATE FUNCTION {{.Schema}}._check_stage(stage text)
RETURNS void
LANGUAGE plpgsql IMMUTABLE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF stage IS NULL OR stage NOT IN ('run_output', 'run_error', 'validation_output', 'preparation_output', 'compile_output', 'logs', 'graph') THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value', MESSAGE = format('unknown stage %L', stage),
            HINT = 'stages: run_output, run_error, validation_output, preparation_output, compile_output, logs, graph';
    END IF;
END;
$$;
COMMENT ON FUNCTION {{.Schema}}._check_stage(text) IS 'Raises 22023 for an unknown output stage (private).';

CREATE FUNCTION {{.Schema}}.append_output(run uuid, stage text, output text)
RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_variable
-- Appends text to a stage's output of a run; returns the index after it (the number of chunks),
-- which a reader that has read everything passes to read_output next.
DECLARE
    nxt integer;
BEGIN
    PERFORM {{.Schema}}._check_stage(append_output.stage);
    IF append_output.output IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value', MESSAGE = 'output must not be null';
    END IF;
    -- The run's row lock orders concurrent appends of one run.
    PERFORM {{.Schema}}._run(append_output.run, true);
    SELECT coalesce(max(o.seq) + 1, 0) INTO nxt FROM {{.Schema}}.run_output o WHERE o.run = append_output.run AND o.stage = append_output.stage;
    IF append_output.output = '' THEN
        RETURN nxt;
    END IF;
    INSERT INTO {{.Schema}}.run_output (run, stage, seq, chunk) VALUES (append_output.run, append_output.stage, nxt, append_output.output);
    RETURN nxt + 1;
END;
$$;
COMMENT ON FUNCTION {{.Schema}}.append_output(uuid, text, text) IS
'Appends text to one output of a run: append_output(run, stage, output), stage one of run_output, run_error, validation_output, preparation_output, compile_output, logs, graph. Returns the next index. '
'Errors: 22023 unknown stage or null output, P0002 unknown run.';

CREATE FUNCTION {{.Schema}}.read_output(run uuid, stage text, from_index integer DEFAULT 0)
RETURNS TABLE (output text, next_index integer)
LANGUAGE plpgsql STABLE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_variable
-- The text appended to a stage's output since from_index, and the index to pass next time (a
-- poll with nothing new returns '' and the same index).
BEGIN
    PERFORM {{.Schema}}._check_stage(read_output.stage);
    IF read_output.from_index IS NULL OR read_output.from_index < 0 THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value', MESSAGE = format('from_index must be 0 or more, got %s', coalesce(read_output.from_index::text, 'NULL'));
    END IF;
    IF NOT EXISTS (SELECT FROM {{.Schema}}.runs r WHERE r.id = read_output.run) THEN
        RAISE EXCEPTION USING ERRCODE = 'no_data_found', MESSAGE = format('no run %L', read_output.run), HINT = 'it may have expired';
    END IF;
    RETURN QUERY
    SELECT coalesce(string_agg(o.chunk, '' ORDER BY o.seq), ''), coalesce(max(o.seq) + 1, read_output.from_index)
      FROM {{.Schema}}.run_output o
     WHERE o.run = read_output.run AND o.stage = read_output.stage AND o.seq >= read_output.from_index;
END;
$$;
COMMENT ON FUNCTION {{.Schema}}.read_output(uuid, text, integer) IS
'Incremental read of one output of a run: read_output(run, stage, from_index = 0) returns the text appended since from_index and the next index to pass. '
'Errors: 22023 unknown stage or negative from_index, P0002 unknown run.';

CREATE FUNCTION {{.Schema}}.cancel_channel()
RETURNS text
LANGUAGE sql IMMUTABLE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
-- The NOTIFY channel of this instance's cancellations.
RETURN left('{{.Schema}}' || '_cancel', 63);
COMMENT ON FUNCTION {{.Schema}}.cancel_channel() IS 'The channel cancel() notifies, with the run id as payload: <schema>_cancel (playground_cancel for the default instance). Errors: none.';

CREATE FUNCTION {{.Schema}}.cancel(run uuid)
RETURNS boolean
LANGUAGE plpgsql VOLATILE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_variable
-- Flags a run as cancelled and notifies its runner (at commit); true when this call cancelled
-- it, false when it was cancelled already or has finished.
DECLARE
    r {{.Schema}}.runs := {{.Schema}}._run(cancel.run, true);
BEGIN
    IF r.cancelled OR r.status IN ('validation_error', 'preparation_error', 'compile_error', 'finished', 'run_error', 'error', 'run_timeout', 'cancelled') THEN
        RETURN false;
    END IF;
    UPDATE {{.Schema}}.runs x SET cancelled = true, updated = now() WHERE x.id = r.id;
    PERFORM pg_notify({{.Schema}}.cancel_channel(), r.id::text);
    RETURN true;
END;
$$;
COMMENT ON FUNCTION {{.Schema}}.cancel(uuid) IS
'Asks a run to stop: sets its cancelled flag and NOTIFYs cancel_channel() with the run id at commit. True when this call did it, false when it was cancelled already or is over. The runner then sets status cancelled. Errors: P0002 unknown run.';

CREATE FUNCTION {{.Schema}}.is_cancelled(run uuid)
RETURNS boolean
LANGUAGE plpgsql STABLE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RETURN ({{.Schema}}._run(is_cancelled.run)).cancelled;
END;
$$;
COMMENT ON FUNCTION {{.Schema}}.is_cancelled(uuid) IS 'Whether cancel() was called for a run (for runners that poll). Errors: P0002 unknown run.';

CREATE FUNCTION {{.Schema}}.set_expiry(run uuid, ttl interval)
RETURNS timestamptz
LANGUAGE plpgsql VOLATILE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_variable
-- The run expires ttl from now; returns when.
DECLARE
    at timestamptz;
BEGIN
    IF set_expiry.ttl IS NULL OR set_expiry.ttl <= interval '0' THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value', MESSAGE = format('ttl must be a positive interval, got %s', coalesce(set_expiry.ttl::text, 'NULL'));
    END IF;
    UPDATE {{.Schema}}.runs x SET expires_at = now() + set_expiry.ttl WHERE x.id = set_expiry.run RETURNING x.expires_at INTO at;
    IF at IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'no_data_found', MESSAGE = format('no run %L', set_expiry.run);
    END IF;
    RETURN at;
END;
$$;
COMMENT ON FUNCTION {{.Schema}}.set_expiry(uuid, interval) IS 'Makes a run expire ttl from now (the original''s SetExpTime) and returns when. Errors: 22023 ttl not positive, P0002 unknown run.';

CREATE FUNCTION {{.Schema}}.prune_runs()
RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
-- Deletes the expired runs with their outputs; returns how many. A queue schedule enqueues a
-- job for it every minute (migration 001).
DECLARE
    n integer;
BEGIN
    DELETE FROM {{.Schema}}.runs r WHERE r.expires_at <= now();
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END;
$$;
COMMENT ON FUNCTION {{.Schema}}.prune_runs() IS 'Deletes expired runs and their outputs, returning how many; scheduled every minute on queue playground. Errors: none.';

CREATE FUNCTION {{.Schema}}.set_value(run uuid, key text, value jsonb)
RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_variable
-- Stores a cache sub-key of a run (the original's SetValue for keys without a function of their
-- own), making the run when it does not exist yet (status validating, no sdk, one hour to live).
BEGIN
    IF set_value.key IS NULL OR set_value.key = '' OR length(set_value.key) > 128 THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value', MESSAGE = format('key must be 1 to 128 characters, got %L', set_value.key);
    END IF;
    INSERT INTO {{.Schema}}.runs AS r (id, vals) VALUES (set_value.run, jsonb_build_object(set_value.key, set_value.value))
    ON CONFLICT (id) DO UPDATE SET vals = r.vals || jsonb_build_object(set_value.key, set_value.value), updated = now();
END;
$$;
COMMENT ON FUNCTION {{.Schema}}.set_value(uuid, text, jsonb) IS
'Stores a sub-key of a run''s cache entry (creating the run in status validating when new). Errors: 22023 empty or longer than 128 characters key.';

CREATE FUNCTION {{.Schema}}.get_value(run uuid, key text)
RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RETURN ({{.Schema}}._run(get_value.run)).vals -> get_value.key;
END;
$$;
COMMENT ON FUNCTION {{.Schema}}.get_value(uuid, text) IS 'A sub-key of a run''s cache entry, NULL when not set. Errors: P0002 unknown run.';
