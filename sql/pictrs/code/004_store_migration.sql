-- pictrs code 004: StoreMigrationRepo — the files a store migration (local disk → object
-- storage, say) already copied, so that a restarted migration continues where it stopped.
--
-- Errors: 22023 (invalid_parameter_value) naming the parameter. Bad input writes nothing.

CREATE FUNCTION {{.Schema}}.is_continuing_migration()
RETURNS boolean
LANGUAGE sql STABLE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    -- Whether a migration recorded any file: a new run continues it.
    SELECT EXISTS (SELECT FROM {{.Schema}}.store_migrations);
END;
COMMENT ON FUNCTION {{.Schema}}.is_continuing_migration() IS 'Whether a store migration has recorded files (a new run continues it). Errors: none.';

CREATE FUNCTION {{.Schema}}.mark_migrated(old_identifier text, new_identifier text)
RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
-- Records that the file `old_identifier` was copied to `new_identifier`. Marking a file twice
-- keeps the first record (a retried copy of the same file).
DECLARE
    bad text := CASE WHEN mark_migrated.old_identifier IS NULL OR mark_migrated.old_identifier = '' THEN 'old_identifier'
                     WHEN mark_migrated.new_identifier IS NULL OR mark_migrated.new_identifier = '' THEN 'new_identifier' END;
BEGIN
    IF bad IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value', MESSAGE = bad || ' must be a non-empty string';
    END IF;
    INSERT INTO {{.Schema}}.store_migrations (old_identifier, new_identifier)
    VALUES (mark_migrated.old_identifier, mark_migrated.new_identifier)
    ON CONFLICT (old_identifier) DO NOTHING;
END;
$$;
COMMENT ON FUNCTION {{.Schema}}.mark_migrated(text, text) IS 'Records a file a store migration copied: mark_migrated(old_identifier, new_identifier); a second mark of the same file keeps the first. Errors: 22023 for an empty or null identifier.';

CREATE FUNCTION {{.Schema}}.is_migrated(identifier text)
RETURNS boolean
LANGUAGE sql STABLE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    -- Whether the file `identifier` (of the old store) was copied already.
    SELECT EXISTS (SELECT FROM {{.Schema}}.store_migrations m WHERE m.old_identifier = is_migrated.identifier);
END;
COMMENT ON FUNCTION {{.Schema}}.is_migrated(text) IS 'Whether a file of the old store was copied by the running store migration. Errors: none.';

CREATE FUNCTION {{.Schema}}.clear_migrations()
RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
-- Forgets the migration's records (it finished) and returns how many there were.
DECLARE
    n bigint;
BEGIN
    DELETE FROM {{.Schema}}.store_migrations;
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END;
$$;
COMMENT ON FUNCTION {{.Schema}}.clear_migrations() IS 'Forgets the records of a finished store migration and returns how many there were. Errors: none.';
