-- catalog code 001: the validating readers of JSON input — an object's keys, a key of a given
-- JSON type, integers within bounds, new identifiers. Every public function reads its JSON
-- through these, so a bad input is refused with 22023 (invalid_parameter_value) naming the
-- input and the key before anything changes; 42622 (name_too_long) for a name over 63 bytes.

CREATE FUNCTION howdah_internal.catalog_check_keys(input jsonb, allowed text[], what text)
RETURNS void
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
-- Raises 22023 unless `input` is a JSON object whose keys are all in `allowed`; `what` names
-- the input in the message.
DECLARE
    bad text;
BEGIN
    IF jsonb_typeof(input) IS DISTINCT FROM 'object' THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = format('%s must be a JSON object, got %s', what, coalesce(jsonb_typeof(input), 'null'));
    END IF;
    SELECT k INTO bad FROM jsonb_object_keys(input) k WHERE k <> ALL (allowed) ORDER BY k LIMIT 1;
    IF bad IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = format('%s: unknown key %L', what, bad),
            HINT = format('allowed keys: %s', array_to_string(allowed, ', '));
    END IF;
END;
$$;
COMMENT ON FUNCTION howdah_internal.catalog_check_keys(jsonb, text[], text) IS 'Validates the keys of a JSON object input (22023 naming the first unknown key).';

CREATE FUNCTION howdah_internal.catalog_json_get(input jsonb, key text, want text, what text)
RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
-- input->key when it has JSON type `want` (string, number, boolean, array, object); NULL when
-- absent or JSON null; 22023 naming the key when it has another type.
BEGIN
    IF NOT input ? key OR jsonb_typeof(input -> key) = 'null' THEN
        RETURN NULL;
    END IF;
    IF jsonb_typeof(input -> key) <> want THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = format('%s: key %L must be a %s, got %s', what, key, want, jsonb_typeof(input -> key));
    END IF;
    RETURN input -> key;
END;
$$;
COMMENT ON FUNCTION howdah_internal.catalog_json_get(jsonb, text, text, text) IS 'Reads a key of a JSON input with the expected JSON type, 22023 naming the key otherwise.';

CREATE FUNCTION howdah_internal.catalog_json_text(input jsonb, key text, what text)
RETURNS text
LANGUAGE sql IMMUTABLE
SET search_path = pg_catalog, pg_temp
RETURN howdah_internal.catalog_json_get(input, key, 'string', what) #>> '{}';
COMMENT ON FUNCTION howdah_internal.catalog_json_text(jsonb, text, text) IS 'Reads a string key of a JSON input, 22023 when it has another JSON type.';

CREATE FUNCTION howdah_internal.catalog_json_int_value(v jsonb, lo bigint, hi bigint, what text)
RETURNS bigint
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
-- The one reader of integers from JSON input: `v` (a JSON number) as an integer in [lo, hi];
-- NULL for SQL NULL (an absent input); otherwise, JSON null included, 22023 "<what> must be a
-- whole number from lo to hi, got <v>", `what` naming the input (key, array element).
DECLARE
    n numeric := CASE WHEN jsonb_typeof(v) = 'number' THEN v::numeric END;
BEGIN
    IF v IS NULL THEN
        RETURN NULL;
    END IF;
    IF n IS NULL OR n <> trunc(n) OR n < lo OR n > hi THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = format('%s must be a whole number from %s to %s, got %s', what, lo, hi, v);
    END IF;
    RETURN n::bigint;
END;
$$;
COMMENT ON FUNCTION howdah_internal.catalog_json_int_value(jsonb, bigint, bigint, text) IS 'Reads an integer within bounds from a JSON value (SQL NULL stays NULL). Errors: 22023 anything else, naming the input.';

CREATE FUNCTION howdah_internal.catalog_json_int(input jsonb, key text, lo bigint, hi bigint, what text)
RETURNS bigint
LANGUAGE sql IMMUTABLE
SET search_path = pg_catalog, pg_temp
-- input->key as an integer in [lo, hi]; NULL when absent or null; 22023 naming the key otherwise.
RETURN howdah_internal.catalog_json_int_value(howdah_internal.catalog_json_get(input, key, 'number', what), lo, hi, format('%s: key %L', what, key));
COMMENT ON FUNCTION howdah_internal.catalog_json_int(jsonb, text, bigint, bigint, text) IS 'Reads an integer key of a JSON object input within bounds (catalog_json_int_value), 22023 naming the key otherwise.';

CREATE FUNCTION howdah_internal.catalog_check_name(name text, what text)
RETURNS text
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
-- `name` when usable as an identifier: 22023 when missing or blank, 42622 over 63 bytes.
BEGIN
    IF name IS NULL OR btrim(name) = '' THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value', MESSAGE = format('%s: a name is required', what);
    END IF;
    IF octet_length(name) > 63 THEN
        RAISE EXCEPTION USING ERRCODE = 'name_too_long',
            MESSAGE = format('%s: name %L is longer than 63 bytes', what, name);
    END IF;
    RETURN name;
END;
$$;
COMMENT ON FUNCTION howdah_internal.catalog_check_name(text, text) IS 'Checks a new identifier: required, at most 63 bytes.';
