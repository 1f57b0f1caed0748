-- pictrs code 007: UploadRepo — uploads that other requests wait for. A request creates an
-- upload, hands the file to a worker and waits; the worker completes it with a result, which
-- NOTIFYs channel {{.Schema}}_upload (payload: the upload id); the waiter reads the result and
-- claims the upload, which removes it. The Go client's WaitUpload listens on one shared
-- connection for every waiter and re-reads upload_result after subscribing, so a completion
-- committed before it listened is not missed.
--
-- Errors: 22023 (invalid_parameter_value) naming the parameter; P0002 (no_data_found) naming an
-- unknown upload; 55000 (object_not_in_prerequisite_state) for an upload completed already.

CREATE FUNCTION {{.Schema}}.create_upload()
RETURNS uuid
LANGUAGE sql VOLATILE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    -- A new upload, pending, and its id.
    INSERT INTO {{.Schema}}.uploads DEFAULT VALUES RETURNING id;
END;
COMMENT ON FUNCTION {{.Schema}}.create_upload() IS 'Starts an upload and returns its id (a uuid); it is pending until complete_upload. Errors: none.';

CREATE FUNCTION {{.Schema}}.upload_result(id uuid)
RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
-- The result of upload `id`, NULL while it is pending.
DECLARE
    r jsonb;
BEGIN
    SELECT u.result INTO r FROM {{.Schema}}.uploads u WHERE u.id = upload_result.id;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'no_data_found', MESSAGE = format('no upload %s', coalesce(upload_result.id::text, 'null')),
            HINT = 'it was never created, or claim_upload removed it';
    END IF;
    RETURN r;
END;
$$;
COMMENT ON FUNCTION {{.Schema}}.upload_result(uuid) IS 'The result of an upload, NULL while it is pending (what a waiter reads). Errors: P0002 naming an unknown or claimed upload.';

CREATE FUNCTION {{.Schema}}.complete_upload(id uuid, result jsonb)
RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
-- Stores the result of upload `id` and notifies its waiters (channel {{.Schema}}_upload, payload
-- the id; delivered when the transaction commits).
DECLARE
    had jsonb;
BEGIN
    IF complete_upload.result IS NULL OR jsonb_typeof(complete_upload.result) = 'null' THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value', MESSAGE = 'result must be a JSON value other than null';
    END IF;
    SELECT u.result INTO had FROM {{.Schema}}.uploads u WHERE u.id = complete_upload.id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'no_data_found', MESSAGE = format('no upload %s', coalesce(complete_upload.id::text, 'null')),
            HINT = 'create it with create_upload';
    END IF;
    IF had IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'object_not_in_prerequisite_state',
            MESSAGE = format('upload %s is completed already', complete_upload.id),
            HINT = 'an upload gets one result';
    END IF;
    UPDATE {{.Schema}}.uploads u SET result = complete_upload.result WHERE u.id = complete_upload.id;
    PERFORM pg_notify('{{.Schema}}_upload', complete_upload.id::text);
END;
$$;
COMMENT ON FUNCTION {{.Schema}}.complete_upload(uuid, jsonb) IS 'Stores the result of an upload and notifies its waiters on channel <schema>_upload (payload: the id): complete_upload(id, result). Errors: 22023 for a null result, P0002 naming an unknown upload, 55000 for an upload completed already.';

CREATE FUNCTION {{.Schema}}.claim_upload(id uuid)
RETURNS boolean
LANGUAGE plpgsql VOLATILE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
-- Removes upload `id` once its waiter has its result (or gave up); true when it existed.
BEGIN
    DELETE FROM {{.Schema}}.uploads u WHERE u.id = claim_upload.id;
    RETURN FOUND;
END;
$$;
COMMENT ON FUNCTION {{.Schema}}.claim_upload(uuid) IS 'Removes an upload once its waiter has read the result (or gave up): true, or false when there was none. Errors: none.';
