-- advisor code 004: ingest, the first stage of a scan — the statements of this database that take
-- the most time (pg_stat_statements), merged by fingerprint into queries and metrics, and the
-- tables and indexes with their sizes and counters.
--
-- Bounds: lock_timeout applies to every lock the stage takes (reading a size locks the relation);
-- step_timeout is checked between statements and between relations, and what is left when it
-- passes is skipped and recorded. A timer cannot interrupt a statement already running inside a
-- function (SET statement_timeout there arms nothing for the current call), so set
-- statement_timeout before calling scan() or ingest() to bound the whole call.
-- One statement that cannot be processed is recorded in the snapshot's errors, never raised.
--
-- Errors: 22023 (invalid_parameter_value) naming the parameter; P0002 (no_data_found) for an
-- unknown snapshot; 55000 (object_not_in_prerequisite_state) for a snapshot that is not running,
-- or when pg_stat_statements is missing or not preloaded.

CREATE FUNCTION howdah_internal.advisor_pgss_rows(sch text, pool integer)
RETURNS TABLE (userid oid, queryid bigint, toplevel boolean, query text, calls bigint,
               total_ms double precision, min_ms double precision, max_ms double precision, rows bigint,
               shared_blks_hit bigint, shared_blks_read bigint, temp_blks_written bigint,
               prepared text, utility bigint)
LANGUAGE plpgsql STABLE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
-- The `pool` pg_stat_statements entries of the current database with the most total time, among
-- those that are no utility statement: the utility ones are left out before the limit (a fresh
-- database's DDL would fill the window otherwise) and counted in `utility` (the same on every
-- row). A text without a leading verb (no text, or <insufficient privilege>) is kept for the
-- caller to count. `PREPARE name [(types)] AS statement` (a prepared statement made in SQL) comes
-- back as its statement, with the name in `prepared`. `sch` is the extension's schema
-- (advisor_require_pgss), so the view is read wherever it lives.
BEGIN
    RETURN QUERY EXECUTE format(
        $q$WITH s0 AS (
            SELECT s.*, lower(substring(s.query FROM '^(?:\s|--[^\n]*|/\*(?:[^*]|\*+[^*/])*\*+/)*[(\s]*([A-Za-z]+)')) AS lead
              FROM %I.pg_stat_statements(true) s
             WHERE s.dbid = (SELECT d.oid FROM pg_catalog.pg_database d WHERE d.datname = pg_catalog.current_database())
               AND s.calls > 0),
        s AS (
            SELECT s0.*,
                   CASE WHEN s0.lead = 'prepare' THEN regexp_match(s0.query,
                       '^(?:\s|--[^\n]*|/\*(?:[^*]|\*+[^*/])*\*+/)*prepare\s+("(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_$]*)\s*(?:\((?:[^()]|\([^()]*\))*\))?\s*as\s+(.*)$',
                       'is') END AS prep
              FROM s0),
        t AS (
            SELECT s.*, coalesce(s.prep[2], s.query) AS body,
                   CASE WHEN s.prep IS NOT NULL
                        THEN lower(substring(s.prep[2] FROM '^(?:\s|--[^\n]*|/\*(?:[^*]|\*+[^*/])*\*+/)*[(\s]*([A-Za-z]+)'))
                        ELSE s.lead END AS verb
              FROM s),
        u AS (
            SELECT t.*, count(*) FILTER (WHERE t.verb NOT IN ('select', 'with', 'insert', 'update', 'delete', 'merge', 'values', 'table')) OVER () AS n_utility
              FROM t)
        SELECT u.userid, u.queryid, u.toplevel, u.body, u.calls, u.total_exec_time, u.min_exec_time,
               u.max_exec_time, u.rows, u.shared_blks_hit, u.shared_blks_read, u.temp_blks_written, u.prep[1], u.n_utility
          FROM u
         WHERE u.verb IS NULL OR u.verb IN ('select', 'with', 'insert', 'update', 'delete', 'merge', 'values', 'table')
         ORDER BY u.total_exec_time DESC
         LIMIT $1$q$, sch) USING pool;
END;
$$;
COMMENT ON FUNCTION howdah_internal.advisor_pgss_rows(text, integer) IS 'The pg_stat_statements entries of the current database with the most total time, at most pool of them, utility statements left out before the limit (and counted in utility), SQL-level PREPAREs as their statement (name in prepared). Errors: 55000 when the library is not preloaded.';

CREATE FUNCTION howdah_internal.advisor_code_hash()
RETURNS text
LANGUAGE sql STABLE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
-- A hash of the functions in howdah's schemas (their oids and the transactions that made them):
-- it changes whenever an install or upgrade recreates the code, which invalidates the rows of
-- statement_cache.
RETURN (SELECT md5(string_agg(p.oid::text || ':' || p.xmin::text, ',' ORDER BY p.oid))
          FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
         WHERE n.nspname IN ('howdah', 'howdah_internal', 'howdah_advisor', 'howdah_queue'));
COMMENT ON FUNCTION howdah_internal.advisor_code_hash() IS 'A hash of the functions in howdah''s schemas, changed by every install or upgrade (keys statement_cache). Errors: none.';

CREATE FUNCTION howdah_internal.advisor_own_statement(sql text)
RETURNS boolean
LANGUAGE sql STABLE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
-- Whether a nested statement's text comes from the body of a function in one of howdah's
-- schemas. PL/pgSQL hands the server the statement as written in the body (INTO clause blanked),
-- and pg_stat_statements replaces its constants with $n: every piece of the text between the $n
-- and the runs of whitespace is then found verbatim in that one body. Pieces under 4 characters
-- are ignored, and the pieces must add up to 16 characters or more.
BEGIN ATOMIC
    WITH seg AS (
        SELECT btrim(x.s) AS s FROM pg_catalog.regexp_split_to_table(sql, '\$[0-9]+|\s*\n\s*|\s{2,}') AS x(s)
         WHERE length(btrim(x.s)) >= 4)
    SELECT coalesce(sum(length(seg.s)), 0) >= 16
           AND EXISTS (SELECT FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
                        WHERE n.nspname IN ('howdah', 'howdah_internal', 'howdah_advisor', 'howdah_queue')
                          AND NOT EXISTS (SELECT FROM seg g WHERE strpos(p.prosrc, g.s) = 0))
      FROM seg;
END;
COMMENT ON FUNCTION howdah_internal.advisor_own_statement(text) IS 'Whether a nested pg_stat_statements text is a statement of a function in howdah''s schemas (every piece between its $n and whitespace runs found in one body). Errors: none.';

CREATE FUNCTION howdah_internal.advisor_unresolved(sql text, search_path text)
RETURNS boolean
LANGUAGE plpgsql VOLATILE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
-- Whether `sql` names a column that does not exist when it is parsed (PREPARE: parse analysis
-- only, nothing runs, nothing is planned) under `search_path` (NULL: the session's default). For
-- a nested statement that is the mark of a PL/pgSQL statement whose variables pg_stat_statements
-- shows by name (unnest(vals) ...): it can never be planned from its text, so ingest skips it.
-- Parsing a statement text from pg_stat_statements is this function's job; the prepared statement
-- is deallocated before it returns.
-- @plpgsql_check_options: security_warnings = false
DECLARE
    stmt text := format('howdah_advisor_parse_%s', pg_backend_pid());
    path text := coalesce(advisor_unresolved.search_path,
        (SELECT s.reset_val FROM pg_catalog.pg_settings s WHERE s.name = 'search_path'));
BEGIN
    PERFORM pg_catalog.set_config('search_path', path, true);
    EXECUTE format('PREPARE %I AS %s', stmt, rtrim(sql, E'; \t\r\n'));
    PERFORM pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true);
    EXECUTE format('DEALLOCATE %I', stmt);
    RETURN false;
EXCEPTION
    WHEN undefined_column THEN
        RETURN true;
    WHEN OTHERS THEN  -- another error (a dropped table, a type to infer): the plan stage records it
        RETURN false;
END;
$$;
COMMENT ON FUNCTION howdah_internal.advisor_unresolved(text, text) IS 'Whether a statement text names a column that does not exist (42703 from PREPARE, which only parses it), as a PL/pgSQL statement''s variables do in pg_stat_statements. Errors: none (other errors give false).';

CREATE FUNCTION howdah_internal.advisor_relation_sizes(rel oid, deadline timestamptz,
    OUT main_bytes bigint, OUT total_bytes bigint, OUT error jsonb)
LANGUAGE plpgsql VOLATILE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
-- The size of a table (pg_table_size, pg_total_relation_size) or an index (pg_relation_size, in
-- main_bytes), or why it could not be read: a lock not granted within lock_timeout, the relation
-- dropped meanwhile, or the step's deadline passed (then without trying).
BEGIN
    IF clock_timestamp() > deadline THEN
        error := jsonb_build_object('sqlstate', '57014', 'message', 'step_timeout reached before its size was read');
        RETURN;
    END IF;
    IF (SELECT c.relkind FROM pg_class c WHERE c.oid = rel) = 'i' THEN
        main_bytes := pg_relation_size(rel);
    ELSE
        main_bytes := pg_table_size(rel);
        total_bytes := pg_total_relation_size(rel);
    END IF;
EXCEPTION WHEN OTHERS THEN
    error := jsonb_build_object('sqlstate', SQLSTATE, 'message', SQLERRM);
END;
$$;
COMMENT ON FUNCTION howdah_internal.advisor_relation_sizes(oid, timestamptz) IS 'A relation''s sizes, or the error that kept them from being read (lock timeout, relation dropped, deadline passed), as data. Errors: none.';

CREATE FUNCTION howdah_internal.advisor_capture_schema(sid bigint, deadline timestamptz)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
-- Records every user table and index (outside howdah's schemas and temporary ones) into
-- snapshot `sid`, with write rates against the previous snapshot that saw each table. Returns the
-- problems as the snapshot's error objects: one per relation whose size could not be read, and
-- one line for all those the deadline left unread.
DECLARE
    prev bigint := (SELECT max(t.snapshot_id) FROM howdah_advisor.tables t WHERE t.snapshot_id < sid);
    reset_at timestamptz := (SELECT d.stats_reset FROM pg_stat_database d WHERE d.datname = current_database());
    problems jsonb;
BEGIN
    WITH rel AS (
        SELECT s.*, c.reltuples, howdah_internal.advisor_relation_sizes(s.relid, deadline) AS sz,
               s.n_tup_ins + s.n_tup_upd + s.n_tup_del AS written, clock_timestamp() AS at
          FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid
         WHERE s.schemaname !~ '^(howdah|pg_temp_|pg_toast_temp_)'),
    ins AS (
        INSERT INTO howdah_advisor.tables AS t (snapshot_id, captured_at, write_rate_since, last_analyzed, rows_est,
               write_rate, table_bytes, total_bytes, n_tup_ins, n_tup_upd, n_tup_del, n_live_tup, n_dead_tup,
               n_mod_since_analyze, seq_scan, seq_tup_read, idx_scan, relid, name, schema_name, table_name)
        SELECT sid, r.at,
               CASE WHEN p.relid IS NOT NULL AND r.written >= p.written AND r.at > p.captured_at THEN p.captured_at
                    WHEN reset_at < r.at THEN reset_at END,
               greatest(r.last_analyze, r.last_autoanalyze),
               CASE WHEN r.reltuples >= 0 THEN r.reltuples END,
               CASE WHEN p.relid IS NOT NULL AND r.written >= p.written AND r.at > p.captured_at
                        THEN (r.written - p.written) / extract(epoch FROM r.at - p.captured_at)::double precision
                    WHEN reset_at < r.at THEN r.written / extract(epoch FROM r.at - reset_at)::double precision END,
               (r.sz).main_bytes, (r.sz).total_bytes, r.n_tup_ins, r.n_tup_upd, r.n_tup_del, r.n_live_tup, r.n_dead_tup,
               r.n_mod_since_analyze, coalesce(r.seq_scan, 0), coalesce(r.seq_tup_read, 0), r.idx_scan, r.relid,
               r.relid::regclass::text, r.schemaname, r.relname
          FROM rel r
          LEFT JOIN LATERAL (SELECT pt.relid, pt.captured_at, pt.n_tup_ins + pt.n_tup_upd + pt.n_tup_del AS written
                               FROM howdah_advisor.tables pt WHERE pt.snapshot_id = prev AND pt.relid = r.relid) p ON true
        RETURNING t.relid)
    SELECT jsonb_agg(jsonb_build_object('stage', 'tables', 'object', r.relid::regclass::text) || (r.sz).error)
      INTO problems
      FROM rel r WHERE (r.sz).error IS NOT NULL AND (r.sz).error ->> 'sqlstate' <> '57014';
    problems := coalesce(problems, '[]');

    WITH idx AS (
        SELECT s.*, i.indisunique, i.indisprimary, i.indisvalid, i.indnkeyatts, i.indnatts, i.indpred, am.amname,
               howdah_internal.advisor_relation_sizes(s.indexrelid, deadline) AS sz, clock_timestamp() AS at
          FROM pg_stat_user_indexes s
          JOIN pg_index i ON i.indexrelid = s.indexrelid
          JOIN pg_class ic ON ic.oid = s.indexrelid
          JOIN pg_am am ON am.oid = ic.relam
         WHERE s.schemaname !~ '^(howdah|pg_temp_|pg_toast_temp_)'),
    ins AS (
        INSERT INTO howdah_advisor.indexes AS x (snapshot_id, captured_at, bytes, scan_count, tup_read, tup_fetch, indexrelid,
               table_relid, is_unique, is_primary, is_valid, backs_constraint, name, table_name, method, columns,
               covers_columns, predicate, definition)
        SELECT sid, d.at, (d.sz).main_bytes, coalesce(d.idx_scan, 0), coalesce(d.idx_tup_read, 0), coalesce(d.idx_tup_fetch, 0),
               d.indexrelid, d.relid, d.indisunique, d.indisprimary, d.indisvalid,
               EXISTS (SELECT FROM pg_constraint k WHERE k.conindid = d.indexrelid AND k.conrelid = d.relid AND k.contype IN ('p', 'u', 'x')),
               d.indexrelid::regclass::text, d.relid::regclass::text, d.amname,
               ARRAY(SELECT pg_get_indexdef(d.indexrelid, a, true) FROM generate_series(1, d.indnkeyatts) a ORDER BY a),
               ARRAY(SELECT pg_get_indexdef(d.indexrelid, a, true) FROM generate_series(d.indnkeyatts + 1, d.indnatts) a ORDER BY a),
               pg_get_expr(d.indpred, d.relid, true), pg_get_indexdef(d.indexrelid)
          FROM idx d
        RETURNING x.indexrelid)
    SELECT problems || coalesce(jsonb_agg(jsonb_build_object('stage', 'indexes', 'object', d.indexrelid::regclass::text) || (d.sz).error), '[]')
      INTO problems
      FROM idx d WHERE (d.sz).error IS NOT NULL AND (d.sz).error ->> 'sqlstate' <> '57014';

    -- One line for everything the deadline left unread.
    IF EXISTS (SELECT FROM howdah_advisor.tables t WHERE t.snapshot_id = sid AND t.table_bytes IS NULL)
       AND clock_timestamp() > deadline THEN
        problems := problems || jsonb_build_object('stage', 'tables', 'sqlstate', '57014',
            'message', format('step_timeout reached: the sizes of %s table(s) and %s index(es) were not read',
                              (SELECT count(*) FROM howdah_advisor.tables t WHERE t.snapshot_id = sid AND t.table_bytes IS NULL),
                              (SELECT count(*) FROM howdah_advisor.indexes x WHERE x.snapshot_id = sid AND x.bytes IS NULL)));
    END IF;
    RETURN problems;
END;
$$;
COMMENT ON FUNCTION howdah_internal.advisor_capture_schema(bigint, timestamptz) IS 'Records the user tables and indexes into a snapshot and returns what could not be read as error objects. Errors: none of its own.';

CREATE FUNCTION howdah_advisor.ingest(
    snapshot_id bigint DEFAULT NULL,
    top_n integer DEFAULT 100,
    min_calls bigint DEFAULT 1,
    min_mean_ms double precision DEFAULT 0,
    exclude text[] DEFAULT '{}',
    step_timeout interval DEFAULT '30 seconds',
    lock_timeout interval DEFAULT '1 second')
RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
#variable_conflict use_column
-- Fills snapshot `snapshot_id` (running; NULL makes a new one and finishes it) with the top_n
-- queries by total time among this database's pg_stat_statements entries, merged by fingerprint,
-- keeping those with at least min_calls calls and min_mean_ms mean; skips utility statements,
-- howdah's and the catalog's own, and texts matching an `exclude` pattern (case-insensitive
-- regular expressions over the text pg_stat_statements shows). Then records tables and indexes.
-- Returns the snapshot's id.
DECLARE
    sid bigint := ingest.snapshot_id;
    st howdah_advisor.snapshot_state;
    sch text;
    started timestamptz := clock_timestamp();
    deadline timestamptz;
    old_lock text := current_setting('lock_timeout');
    pool integer;
    dealloc bigint;
    pgss_reset timestamptz;
    r record;
    code text;
    path text;
    verb text;
    tabs text[];
    toks text[];
    nutility bigint := 0;
    -- What this scan computed, for statement_cache.
    c_md5 text[] := '{}'::text[];
    c_top boolean[] := '{}'::boolean[];
    c_skip text[] := '{}'::text[];
    c_fp text[] := '{}'::text[];
    c_norm text[] := '{}'::text[];
    c_verb text[] := '{}'::text[];
    c_tables text[] := '{}'::text[];
    c_tokens text[] := '{}'::text[];
    lx record;
    nm record;
    feat record;
    ntext text;
    fp text;
    fi integer;
    why text;
    pat text;
    -- One element per fingerprint met.
    f_fp text[] := '{}'::text[];
    f_raw text[] := '{}'::text[];
    f_norm text[] := '{}'::text[];
    f_verb text[] := '{}'::text[];
    f_tables text[] := '{}'::text[];
    f_tokens text[] := '{}'::text[];
    -- One element per entry kept.
    e_f integer[] := '{}'::integer[];
    e_qid bigint[] := '{}'::bigint[];
    e_calls bigint[] := '{}'::bigint[];
    e_total double precision[] := '{}'::double precision[];
    e_min double precision[] := '{}'::double precision[];
    e_max double precision[] := '{}'::double precision[];
    e_rows bigint[] := '{}'::bigint[];
    e_hit bigint[] := '{}'::bigint[];
    e_read bigint[] := '{}'::bigint[];
    e_temp bigint[] := '{}'::bigint[];
    e_top boolean[] := '{}'::boolean[];
    skips jsonb := '{}'::jsonb;
    errs jsonb := '[]'::jsonb;
    nread integer := 0;
    nqueries integer;
    ms double precision;
BEGIN
    -- Validate everything before the first write.
    IF top_n IS NULL OR top_n NOT BETWEEN 1 AND 10000 THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value', MESSAGE = format('top_n must be between 1 and 10000, not %s', coalesce(top_n::text, 'NULL'));
    END IF;
    IF min_calls IS NULL OR min_calls < 1 THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value', MESSAGE = format('min_calls must be 1 or more, not %s', coalesce(min_calls::text, 'NULL'));
    END IF;
    IF min_mean_ms IS NULL OR min_mean_ms < 0 OR min_mean_ms = 'NaN' THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value', MESSAGE = format('min_mean_ms must be 0 or more, not %s', coalesce(min_mean_ms::text, 'NULL'));
    END IF;
    IF step_timeout IS NULL OR step_timeout < '0'::interval THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value', MESSAGE = format('step_timeout must be 0 or more, not %s', coalesce(step_timeout::text, 'NULL'));
    END IF;
    IF lock_timeout IS NULL OR lock_timeout < '0'::interval THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value', MESSAGE = format('lock_timeout must be 0 (no limit) or more, not %s', coalesce(lock_timeout::text, 'NULL'));
    END IF;
    IF exclude IS NULL OR array_position(exclude, NULL) IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value', MESSAGE = 'exclude must be an array of patterns without NULL elements',
            HINT = 'Pass ''{}'' to exclude nothing.';
    END IF;
    FOREACH pat IN ARRAY exclude LOOP
        BEGIN
            PERFORM '' ~* pat;
        EXCEPTION WHEN invalid_regular_expression THEN
            RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
                MESSAGE = format('exclude pattern %L is not a valid regular expression: %s', pat, SQLERRM);
        END;
    END LOOP;
    IF sid IS NOT NULL THEN
        SELECT s.state INTO st FROM howdah_advisor.snapshots s WHERE s.id = sid FOR UPDATE;
        IF NOT FOUND THEN
            RAISE EXCEPTION USING ERRCODE = 'no_data_found', MESSAGE = format('no snapshot %s', sid);
        ELSIF st <> 'running' THEN
            RAISE EXCEPTION USING ERRCODE = 'object_not_in_prerequisite_state', MESSAGE = format('snapshot %s is %s, not running', sid, st),
                HINT = 'Call ingest() without snapshot_id to make a new snapshot, or run scan().';
        END IF;
    END IF;
    sch := howdah_internal.advisor_require_pgss();

    IF sid IS NULL THEN
        INSERT INTO howdah_advisor.snapshots AS s (settings)
        VALUES (jsonb_build_object('top_n', top_n, 'min_calls', min_calls, 'min_mean_ms', min_mean_ms, 'exclude', to_jsonb(exclude),
                                   'step_timeout', step_timeout::text, 'lock_timeout', lock_timeout::text))
        RETURNING s.id INTO sid;
    END IF;
    PERFORM set_config('lock_timeout', (extract(epoch FROM lock_timeout) * 1000)::bigint || 'ms', true);

    EXECUTE format('SELECT i.dealloc, i.stats_reset FROM %I.pg_stat_statements_info i', sch) INTO dealloc, pgss_reset;
    UPDATE howdah_advisor.snapshots s
       SET pgss_dealloc = dealloc, pgss_reset_at = pgss_reset,
           stats_reset_at = (SELECT d.stats_reset FROM pg_stat_database d WHERE d.datname = current_database())
     WHERE s.id = sid;

    -- Statements: the entries with the most time, more than top_n since several merge into one
    -- query and some are skipped. What an earlier scan learned about a text (statement_cache) is
    -- not computed again: lexing and classifying texts was most of this stage's time.
    pool := least(greatest(top_n * 5, 500), 50000);
    deadline := clock_timestamp() + step_timeout;
    code := howdah_internal.advisor_code_hash();
    path := howdah_internal.advisor_search_path(sid);
    DELETE FROM howdah_advisor.statement_cache c WHERE c.code_hash <> code OR c.checked_at < clock_timestamp() - interval '1 day';
    FOR r IN SELECT p.*, c.text_md5 IS NOT NULL AS cached, c.skip AS c_skip, c.fingerprint AS c_fp, c.norm_sql AS c_norm,
                    c.verb AS c_verb, c.tables AS c_tables, c.tokens AS c_tokens
               FROM howdah_internal.advisor_pgss_rows(sch, pool) p
               LEFT JOIN howdah_advisor.statement_cache c ON c.text_md5 = md5(p.query) AND c.toplevel = p.toplevel AND c.code_hash = code
    LOOP
        IF clock_timestamp() > deadline THEN
            errs := errs || jsonb_build_object('stage', 'ingest', 'sqlstate', '57014',
                'message', format('step_timeout (%s) reached after %s statement(s); the rest were skipped', step_timeout, nread));
            EXIT;
        END IF;
        nread := nread + 1;
        nutility := r.utility;
        IF r.query IS NULL THEN
            skips := jsonb_set(skips, '{no_text}', to_jsonb(coalesce((skips ->> 'no_text')::int, 0) + 1));
            CONTINUE;
        ELSIF r.queryid IS NULL OR r.query = '<insufficient privilege>' THEN
            skips := jsonb_set(skips, '{hidden}', to_jsonb(coalesce((skips ->> 'hidden')::int, 0) + 1));
            CONTINUE;
        ELSIF r.prepared ~* '^"?howdah' THEN
            -- The advisor's own PREPAREs (advisor_explain plans a statement that way).
            skips := jsonb_set(skips, '{howdah}', to_jsonb(coalesce((skips ->> 'howdah')::int, 0) + 1));
            CONTINUE;
        END IF;
        IF r.cached THEN
            why := r.c_skip;
            fp := r.c_fp;
            ntext := r.c_norm;
            verb := r.c_verb;
            tabs := r.c_tables;
            toks := r.c_tokens;
        ELSE
            BEGIN
                lx := howdah_internal.advisor_lex(r.query);
                nm := howdah_internal.advisor_normalize_tokens(lx.kinds, lx.toks);
                feat := howdah_internal.advisor_features(nm.okinds, nm.otoks);
                why := CASE
                    WHEN feat.verb = 'utility' THEN 'utility'
                    WHEN EXISTS (SELECT FROM unnest(feat.schemas) q(s) WHERE q.s ~ '^"?howdah') THEN 'howdah'
                    WHEN EXISTS (SELECT FROM unnest(feat.schemas) q(s) WHERE q.s IN ('pg_catalog', 'information_schema') OR q.s ~ '^pg_')
                      OR EXISTS (SELECT FROM unnest(feat.tables) q(t) WHERE q.t ~ '(^|\.)"?pg_') THEN 'catalog'
                    -- No relation and only the server's or extensions' functions (set_config, pg_advisory_lock,
                    -- to_regclass, pg_stat_statements_reset, hypopg_create_index ...): nothing an index could
                    -- help, mostly tools talking to the server (the advisor's own expressions among them).
                    WHEN cardinality(feat.tables) = 0 AND NOT EXISTS (
                             SELECT FROM unnest(feat.tokens) q(t)
                              WHERE q.t LIKE 'func:%' AND substr(q.t, 6) !~ '^pg_'
                                AND substr(q.t, 6) NOT IN ('coalesce', 'nullif', 'greatest', 'least')
                                AND NOT EXISTS (SELECT FROM pg_proc p WHERE p.proname = substr(q.t, 6)
                                                   AND (p.pronamespace = 'pg_catalog'::regnamespace
                                                        OR EXISTS (SELECT FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid
                                                                      AND d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e'))))
                         THEN 'no_relation'
                    -- A nested statement (pg_stat_statements.track = all) of one of howdah's functions
                    -- names no howdah schema when it works on the function's variables: found in the
                    -- function's body, or naming a column that does not exist (a PL/pgSQL variable).
                    WHEN NOT r.toplevel AND howdah_internal.advisor_own_statement(r.query) THEN 'howdah'
                    WHEN NOT r.toplevel AND howdah_internal.advisor_unresolved(r.query, path) THEN 'unresolved'
                END;
                fp := NULL;
                ntext := NULL;
                verb := feat.verb::text;
                tabs := feat.tables;
                toks := feat.tokens;
                IF why IS NULL THEN
                    ntext := howdah_internal.advisor_join_tokens(nm.okinds, nm.otoks);
                    fp := md5(ntext);
                END IF;
                c_md5 := c_md5 || md5(r.query);
                c_top := c_top || r.toplevel;
                c_skip := c_skip || why;
                c_fp := c_fp || fp;
                c_norm := c_norm || ntext;
                c_verb := c_verb || verb;
                c_tables := c_tables || tabs::text;
                c_tokens := c_tokens || toks::text;
            EXCEPTION WHEN OTHERS THEN
                errs := errs || jsonb_build_object('stage', 'ingest', 'queryid', r.queryid, 'query', left(r.query, 200),
                                                   'sqlstate', SQLSTATE, 'message', SQLERRM);
                CONTINUE;
            END;
        END IF;
        IF why IS NULL AND EXISTS (SELECT FROM unnest(exclude) q(p) WHERE r.query ~* q.p) THEN
            why := 'pattern';
        END IF;
        IF why IS NOT NULL THEN
            skips := jsonb_set(skips, ARRAY[why], to_jsonb(coalesce((skips ->> why)::int, 0) + 1));
            CONTINUE;
        END IF;
        fi := array_position(f_fp, fp);
        IF fi IS NULL THEN
            f_fp := f_fp || fp;
            f_raw := f_raw || r.query;
            f_norm := f_norm || ntext;
            f_verb := f_verb || verb;
            f_tables := f_tables || tabs::text;
            f_tokens := f_tokens || toks::text;
            fi := array_length(f_fp, 1);
        END IF;
        e_f := e_f || fi;
        e_qid := e_qid || r.queryid;
        e_calls := e_calls || r.calls;
        e_total := e_total || r.total_ms;
        e_min := e_min || r.min_ms;
        e_max := e_max || r.max_ms;
        e_rows := e_rows || r.rows;
        e_hit := e_hit || r.shared_blks_hit;
        e_read := e_read || r.shared_blks_read;
        e_temp := e_temp || r.temp_blks_written;
        e_top := e_top || r.toplevel;
    END LOOP;
    IF nutility > 0 THEN
        skips := jsonb_set(skips, '{utility}', to_jsonb(coalesce((skips ->> 'utility')::int, 0) + nutility));
    END IF;
    -- What this scan learned, for the next ones (a concurrent scan may have stored it too: rows
    -- are written in key order, so two scans lock them in the same order and cannot deadlock).
    INSERT INTO howdah_advisor.statement_cache AS c (text_md5, toplevel, code_hash, skip, fingerprint, norm_sql, verb, tables, tokens)
    SELECT DISTINCT ON (x.m, x.t) x.m, x.t, code, x.s, x.f, x.n, x.v, x.tb::text[], x.tk::text[]
      FROM unnest(c_md5, c_top, c_skip, c_fp, c_norm, c_verb, c_tables, c_tokens) AS x(m, t, s, f, n, v, tb, tk)
     ORDER BY x.m, x.t
    ON CONFLICT (text_md5, toplevel) DO UPDATE
       SET code_hash = excluded.code_hash, checked_at = excluded.checked_at, skip = excluded.skip, fingerprint = excluded.fingerprint,
           norm_sql = excluded.norm_sql, verb = excluded.verb, tables = excluded.tables, tokens = excluded.tokens;

    WITH e AS (
        SELECT * FROM unnest(e_f, e_qid, e_calls, e_total, e_min, e_max, e_rows, e_hit, e_read, e_temp, e_top)
                   AS e(fi, queryid, calls, total_ms, min_ms, max_ms, rows, hit, read, temp, toplevel)),
    agg AS (
        SELECT e.fi, sum(e.calls)::bigint AS calls, sum(e.total_ms) AS total_ms, min(e.min_ms) AS min_ms,
               max(e.max_ms) AS max_ms, sum(e.rows)::bigint AS rows, sum(e.hit)::bigint AS hit,
               sum(e.read)::bigint AS read, sum(e.temp)::bigint AS temp, bool_or(e.toplevel) AS toplevel,
               array_agg(DISTINCT e.queryid ORDER BY e.queryid) AS queryids
          FROM e
         GROUP BY e.fi
        HAVING sum(e.calls) >= ingest.min_calls AND sum(e.total_ms) / sum(e.calls) >= ingest.min_mean_ms
         ORDER BY sum(e.total_ms) DESC, e.fi
         LIMIT ingest.top_n),
    f AS (
        SELECT * FROM unnest(f_fp, f_raw, f_norm, f_verb, f_tables, f_tokens) WITH ORDINALITY
                   AS f(fingerprint, raw_sql, norm_sql, verb, tables, tokens, fi)),
    q AS (
        INSERT INTO howdah_advisor.queries AS q (first_snapshot, last_snapshot, verb, fingerprint, raw_sql, norm_sql, tables, tokens)
        SELECT sid, sid, f.verb::howdah_advisor.query_verb, f.fingerprint, f.raw_sql, f.norm_sql, f.tables::text[], f.tokens::text[]
          FROM agg JOIN f ON f.fi = agg.fi
        ON CONFLICT (fingerprint) DO UPDATE
           SET last_seen = greatest(q.last_seen, excluded.last_seen), last_snapshot = excluded.last_snapshot,
               verb = excluded.verb, tables = excluded.tables, tokens = excluded.tokens
        RETURNING q.id, q.fingerprint)
    INSERT INTO howdah_advisor.metrics AS m (snapshot_id, query_id, calls, rows, total_ms, mean_ms, min_ms, max_ms,
           shared_blks_hit, shared_blks_read, temp_blks_written, rank, toplevel, queryids)
    SELECT sid, q.id, agg.calls, agg.rows, agg.total_ms, agg.total_ms / agg.calls, agg.min_ms, agg.max_ms,
           agg.hit, agg.read, agg.temp, row_number() OVER (ORDER BY agg.total_ms DESC, q.id), agg.toplevel, agg.queryids
      FROM agg JOIN f ON f.fi = agg.fi JOIN q ON q.fingerprint = f.fingerprint;
    GET DIAGNOSTICS nqueries = ROW_COUNT;

    -- Tables and indexes, on a deadline of their own.
    errs := errs || howdah_internal.advisor_capture_schema(sid, clock_timestamp() + step_timeout);

    ms := extract(epoch FROM clock_timestamp() - started) * 1000;
    UPDATE howdah_advisor.snapshots s
       SET stats = s.stats || jsonb_build_object('ingest', jsonb_strip_nulls(jsonb_build_object(
               'read', nread, 'statements', coalesce(array_length(e_f, 1), 0), 'queries', nqueries, 'skipped', skips,
               'tables', (SELECT count(*) FROM howdah_advisor.tables t WHERE t.snapshot_id = sid),
               'indexes', (SELECT count(*) FROM howdah_advisor.indexes x WHERE x.snapshot_id = sid),
               'errors', jsonb_array_length(errs), 'ms', round(ms::numeric, 1),
               'note', CASE WHEN skips ? 'hidden' THEN 'statements of other roles were hidden: grant pg_read_all_stats to the role that scans' END))),
           errors = s.errors || errs,
           state = CASE WHEN ingest.snapshot_id IS NULL THEN 'done' ELSE s.state END,
           finished_at = CASE WHEN ingest.snapshot_id IS NULL THEN clock_timestamp() ELSE s.finished_at END
     WHERE s.id = sid;
    PERFORM set_config('lock_timeout', old_lock, true);
    RAISE NOTICE 'advisor ingest: snapshot %: % queries from % statements read (% skipped, % errors), % tables, in % ms',
        sid, nqueries, nread, (SELECT coalesce(sum(v::int), 0) FROM jsonb_each_text(skips) j(k, v)), jsonb_array_length(errs),
        (SELECT count(*) FROM howdah_advisor.tables t WHERE t.snapshot_id = sid), round(ms::numeric);
    RETURN sid;
END;
$$;
COMMENT ON FUNCTION howdah_advisor.ingest(bigint, integer, bigint, double precision, text[], interval, interval) IS
'Stage 1 of a scan: records into a snapshot the top_n queries of this database by total time from pg_stat_statements (entries merged by fingerprint; kept when calls >= min_calls and mean >= min_mean_ms; utility statements, howdah''s and catalog queries, and texts matching an exclude regular expression skipped), then every user table and index with sizes, write rates and counters. With no snapshot_id it makes a new snapshot and finishes it. Statements that fail are recorded in the snapshot''s errors; step_timeout bounds each part, lock_timeout each lock. Returns the snapshot id. '
'Errors: 22023 bad argument (names it); P0002 unknown snapshot; 55000 snapshot not running, or pg_stat_statements missing or not preloaded.';
