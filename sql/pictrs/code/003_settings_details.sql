-- pictrs code 003: SettingsRepo (the server's key-value settings, bytes) and DetailsRepo (what is
-- known of a stored file, a JSON document, by identifier).
--
-- Errors: 22023 (invalid_parameter_value) naming the parameter. Bad input writes nothing.

CREATE FUNCTION {{.Schema}}.set_setting(key text, value bytea)
RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
-- Sets setting `key` to `value`, replacing any earlier value.
DECLARE
    bad text := CASE WHEN set_setting.key IS NULL OR set_setting.key = '' THEN 'key must be a non-empty string'
                     WHEN set_setting.value IS NULL THEN 'value must not be null (remove_setting removes a setting)' END;
BEGIN
    IF bad IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value', MESSAGE = bad;
    END IF;
    INSERT INTO {{.Schema}}.settings AS s (key, value) VALUES (set_setting.key, set_setting.value)
    ON CONFLICT (key) DO UPDATE SET value = excluded.value;
END;
$$;
COMMENT ON FUNCTION {{.Schema}}.set_setting(text, bytea) IS 'Sets a setting: set_setting(key, value bytea), replacing any earlier value. Errors: 22023 for an empty or null key or a null value.';

CREATE FUNCTION {{.Schema}}.get_setting(key text)
RETURNS bytea
LANGUAGE sql STABLE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    -- The setting's value, NULL when it is not set.
    SELECT s.value FROM {{.Schema}}.settings s WHERE s.key = get_setting.key;
END;
COMMENT ON FUNCTION {{.Schema}}.get_setting(text) IS 'The value of a setting (bytea), NULL when it is not set. Errors: none.';

CREATE FUNCTION {{.Schema}}.remove_setting(key text)
RETURNS boolean
LANGUAGE plpgsql VOLATILE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
-- Removes setting `key`; true when it was set.
BEGIN
    DELETE FROM {{.Schema}}.settings s WHERE s.key = remove_setting.key;
    RETURN FOUND;
END;
$$;
COMMENT ON FUNCTION {{.Schema}}.remove_setting(text) IS 'Removes a setting: true, or false when it was not set. Errors: none.';

CREATE FUNCTION {{.Schema}}.relate_details(identifier text, details jsonb)
RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
-- Records the details of the file `identifier` (a JSON object), replacing earlier ones.
DECLARE
    bad text := CASE WHEN relate_details.identifier IS NULL OR relate_details.identifier = '' THEN 'identifier must be a non-empty string'
                     WHEN jsonb_typeof(relate_details.details) IS DISTINCT FROM 'object' THEN
                         format('details must be a JSON object, got %s', coalesce(jsonb_typeof(relate_details.details), 'null')) END;
BEGIN
    IF bad IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value', MESSAGE = bad;
    END IF;
    INSERT INTO {{.Schema}}.details AS d (identifier, details) VALUES (relate_details.identifier, relate_details.details)
    ON CONFLICT (identifier) DO UPDATE SET details = excluded.details;
END;
$$;
COMMENT ON FUNCTION {{.Schema}}.relate_details(text, jsonb) IS 'Records the details of a file: relate_details(identifier, details jsonb object), replacing earlier ones. Errors: 22023 for an empty or null identifier or details that are not a JSON object.';

CREATE FUNCTION {{.Schema}}.details(identifier text)
RETURNS jsonb
LANGUAGE sql STABLE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    -- The file's details, NULL when none are recorded.
    SELECT d.details FROM {{.Schema}}.details d WHERE d.identifier = details.identifier;
END;
COMMENT ON FUNCTION {{.Schema}}.details(text) IS 'The details of a file, NULL when none are recorded. Errors: none.';

CREATE FUNCTION {{.Schema}}.cleanup_details(identifier text)
RETURNS boolean
LANGUAGE plpgsql VOLATILE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
-- Forgets the details of the file `identifier`; true when there were some.
BEGIN
    DELETE FROM {{.Schema}}.details d WHERE d.identifier = cleanup_details.identifier;
    RETURN FOUND;
END;
$$;
COMMENT ON FUNCTION {{.Schema}}.cleanup_details(text) IS 'Forgets the details of a file: true, or false when none were recorded. Errors: none.';
