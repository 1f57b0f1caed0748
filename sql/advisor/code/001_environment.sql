-- advisor code 001: what the advisor needs of the server and where it finds it —
-- pg_stat_statements (required), hypopg (simulations), pg_qualstats (optional predicates).
-- The extensions may live in any schema; these helpers look them up at run time.
--
-- Errors: 55000 (object_not_in_prerequisite_state) when pg_stat_statements is missing or not
-- preloaded, with a HINT saying what to change.

CREATE FUNCTION howdah_internal.advisor_extension_schema(ext text)
RETURNS text
LANGUAGE plpgsql STABLE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
-- The schema extension `ext` is installed in, or NULL when this database does not have it.
-- PL/pgSQL, not SQL: a SQL function with a SET clause is never inlined and plans its query again
-- at every call; PL/pgSQL keeps the plan for the session (it is called once per row or plan).
BEGIN
    RETURN (SELECT n.nspname::text FROM pg_catalog.pg_extension e JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace
             WHERE e.extname = ext);
END;
$$;
COMMENT ON FUNCTION howdah_internal.advisor_extension_schema(text) IS 'The schema an extension is installed in, or NULL when the database lacks it. Errors: none.';

CREATE FUNCTION howdah_internal.advisor_setting(name text, dflt double precision, lo double precision,
    hi double precision DEFAULT 'Infinity', lo_included boolean DEFAULT true, sizes boolean DEFAULT false)
RETURNS double precision
LANGUAGE plpgsql STABLE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
-- The number in custom setting howdah_advisor.<name>, `dflt` when it is unset or empty. It must
-- be finite, at least `lo` (above it when lo_included is false) and at most `hi`; with `sizes`
-- it may carry a unit ('1MB', read by pg_size_bytes). Otherwise 22023 naming the setting, with
-- the allowed range and a HINT that restores the default. Every advisor setting is read here.
DECLARE
    raw text := nullif(btrim(current_setting('howdah_advisor.' || name, true)), '');
    v double precision;
BEGIN
    IF raw IS NULL THEN
        RETURN dflt;
    END IF;
    BEGIN
        v := CASE WHEN NOT sizes OR raw ~ '^[+-]?[0-9]*\.?[0-9]+([eE][+-]?[0-9]+)?$' THEN raw::double precision
                  ELSE pg_size_bytes(raw)::double precision END;
    EXCEPTION WHEN invalid_parameter_value OR invalid_text_representation OR numeric_value_out_of_range THEN
        v := NULL;
    END;
    IF v IS NULL OR v IN ('NaN', 'Infinity', '-Infinity') OR v < lo OR (v = lo AND NOT lo_included) OR v > hi THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = format('setting howdah_advisor.%s must be a number %s, not %L', name,
                             CASE WHEN hi < 'Infinity' THEN format('between %s and %s', lo, hi)
                                  WHEN lo_included THEN format('of at least %s', lo)
                                  ELSE format('above %s', lo) END, raw),
            HINT = format('SET howdah_advisor.%s = %s (its default), or RESET it.', name, dflt);
    END IF;
    RETURN v;
END;
$$;
COMMENT ON FUNCTION howdah_internal.advisor_setting(text, double precision, double precision, double precision, boolean, boolean) IS 'A numeric howdah_advisor.* setting with its default and range (sizes may carry a unit when asked). Errors: 22023 not a finite number in range (names the setting and the range).';

CREATE FUNCTION howdah_internal.advisor_require_snapshot(sid bigint, arg text DEFAULT 'snapshot_id', lock boolean DEFAULT false)
RETURNS howdah_advisor.snapshots
LANGUAGE plpgsql VOLATILE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
-- The snapshot a stage or rule works on (any state), locked FOR UPDATE when `lock` (two runs of
-- a stage that replaces rows for one snapshot would collide). A NULL id is 22023 naming the
-- argument (`arg`), an unknown one P0002. Every stage and rule checks its snapshot here.
DECLARE
    snap howdah_advisor.snapshots;
BEGIN
    IF sid IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value', MESSAGE = format('%s must not be NULL', arg),
            HINT = 'Pass the id scan() returned: SELECT max(id) FROM howdah_advisor.snapshots.';
    END IF;
    IF lock THEN
        SELECT s.* INTO snap FROM howdah_advisor.snapshots s WHERE s.id = sid FOR UPDATE;
    ELSE
        SELECT s.* INTO snap FROM howdah_advisor.snapshots s WHERE s.id = sid;
    END IF;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'no_data_found', MESSAGE = format('no snapshot %s', sid),
            HINT = 'Pass the id scan() or ingest() returned: SELECT id, state FROM howdah_advisor.snapshots lists the snapshots there are.';
    END IF;
    RETURN snap;
END;
$$;
COMMENT ON FUNCTION howdah_internal.advisor_require_snapshot(bigint, text, boolean) IS 'The snapshot a stage or rule works on, locked when asked. Errors: 22023 NULL id (names the argument), P0002 unknown snapshot.';

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
