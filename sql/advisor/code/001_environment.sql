-- advisor code 001: what the advisor needs of the server and where it finds it —
-- pg_stat_statements (required), hypopg (simulations), pg_qualstats (optional predicates).
-- The extensions may live in any schema; these helpers look them up at run time.
--
-- Errors: 55000 (object_not_in_prerequisite_state) when pg_stat_statements is missing or not
-- preloaded, with a HINT saying what to change.

CREATE FUNCTION howdah_internal.advisor_extension_schema(ext text)
RETURNS text
LANGUAGE sql STABLE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
-- The schema extension `ext` is installed in, or NULL when this database does not have it.
RETURN (SELECT n.nspname::text FROM pg_catalog.pg_extension e JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace
         WHERE e.extname = ext);
COMMENT ON FUNCTION howdah_internal.advisor_extension_schema(text) IS 'The schema an extension is installed in, or NULL when the database lacks it. Errors: none.';

CREATE FUNCTION howdah_internal.advisor_require_pgss()
RETURNS text
LANGUAGE plpgsql STABLE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
-- Returns the schema of pg_stat_statements, or raises 55000 saying what to do when the
-- extension is missing from the database or its library was not preloaded.
DECLARE
    sch text := howdah_internal.advisor_extension_schema('pg_stat_statements');
BEGIN
    IF sch IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'object_not_in_prerequisite_state',
            MESSAGE = format('the advisor needs the extension pg_stat_statements, which database %I does not have', current_database()),
            HINT = 'As a superuser, run CREATE EXTENSION pg_stat_statements (it comes with postgresql-contrib).';
    END IF;
    -- The library defines its settings only when preloaded.
    IF current_setting('pg_stat_statements.max', true) IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'object_not_in_prerequisite_state',
            MESSAGE = 'pg_stat_statements is not loaded: the server did not preload its library',
            HINT = 'Set shared_preload_libraries = ''pg_stat_statements'' in postgresql.conf (keep the libraries already listed, comma-separated) and restart PostgreSQL.';
    END IF;
    RETURN sch;
END;
$$;
COMMENT ON FUNCTION howdah_internal.advisor_require_pgss() IS 'The schema of pg_stat_statements, checked to be usable. Errors: 55000 extension missing or library not preloaded (the HINT says what to change).';

CREATE FUNCTION howdah_advisor.environment()
RETURNS jsonb
LANGUAGE sql STABLE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    -- What the advisor can use here: each extension's schema and version (NULL when missing),
    -- whether pg_stat_statements is loaded and tracks nested statements, whether the caller sees
    -- other roles' statements (pg_read_all_stats), and what this hypopg can do.
    SELECT jsonb_build_object(
        'server_version_num', current_setting('server_version_num')::int,
        'pg_stat_statements', jsonb_build_object(
            'schema', howdah_internal.advisor_extension_schema('pg_stat_statements'),
            'version', (SELECT extversion FROM pg_extension WHERE extname = 'pg_stat_statements'),
            'loaded', current_setting('pg_stat_statements.max', true) IS NOT NULL,
            'track', current_setting('pg_stat_statements.track', true),
            'max', current_setting('pg_stat_statements.max', true)::int,
            'reads_all_roles', pg_has_role(current_user, 'pg_read_all_stats', 'USAGE')),
        'hypopg', jsonb_build_object(
            'schema', howdah_internal.advisor_extension_schema('hypopg'),
            'version', (SELECT extversion FROM pg_extension WHERE extname = 'hypopg'),
            'available', (SELECT default_version FROM pg_available_extensions WHERE name = 'hypopg'),
            -- hypopg_hide_index came with 1.4.0; Debian's PostgreSQL 15 ships 1.3.1.
            'hide_index', EXISTS (SELECT FROM pg_proc p JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
                                   JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'hypopg'
                                  WHERE p.proname = 'hypopg_hide_index')),
        'pg_qualstats', jsonb_build_object(
            'schema', howdah_internal.advisor_extension_schema('pg_qualstats'),
            'version', (SELECT extversion FROM pg_extension WHERE extname = 'pg_qualstats')));
END;
COMMENT ON FUNCTION howdah_advisor.environment() IS 'What the advisor can use in this database: pg_stat_statements (schema, version, loaded, track, whether the caller reads other roles'' statements), hypopg (schema, version, hypopg_hide_index present) and pg_qualstats, as JSON; a missing extension has a NULL schema. Errors: none.';
