-- advisor code 006: advisor_explain(), the one way the advisor plans a statement — for plan facts,
-- for simulations and for SQL a user pastes. pg_stat_statements' texts carry $n placeholders, so a
-- statement is PREPAREd under a name of its own and explained with EXECUTE (NULL for every
-- parameter) under plan_cache_mode = force_generic_plan: the generic plan, the one the server
-- falls back to for every value. (PostgreSQL 16's EXPLAIN (GENERIC_PLAN) gives the same plan; one
-- path for every version keeps one set of tests.) The prepared statement is deallocated on every
-- way out, errors and cancels included; the caller's own prepared statements are never touched.
--
-- Errors: 22023 (invalid_parameter_value) for an empty statement, more than one statement, or
-- run (ANALYZE) asked of a statement that is not a SELECT or that has parameters; otherwise whatever
-- PREPARE or EXPLAIN raise (42P01 for a dropped table, 42P18 for a parameter whose type cannot be
-- inferred, 57014 for a timeout), after the cleanup.

CREATE FUNCTION howdah_internal.advisor_drop_prepared(stmt text)
RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
-- Deallocates the session's prepared statement `stmt` when it exists (looked up, so that it can
-- be called whether or not PREPARE got through), for exception handlers, which re-raise after
-- it. Retried when interrupted (the interrupt is swallowed; the handler re-raises its error): a cancel request sent
-- over the protocol (pgx, psql's Ctrl-C) reaches the backend twice, the postmaster signalling
-- both the process and its group, and the second can land in a cleanup.
BEGIN
    FOR attempt IN 1..10 LOOP
        BEGIN
            IF EXISTS (SELECT FROM pg_catalog.pg_prepared_statements p WHERE p.name = stmt) THEN
                EXECUTE format('DEALLOCATE %I', stmt);
            END IF;
            RETURN;
        EXCEPTION WHEN query_canceled THEN
            CONTINUE;  -- interrupted again: look again
        END;
    END LOOP;
END;
$$;
COMMENT ON FUNCTION howdah_internal.advisor_drop_prepared(text) IS 'Deallocates a prepared statement of the session if it exists, retrying when a cancel or timeout interrupts it (the advisor''s cleanup on every way out). Errors: none of its own.';

CREATE FUNCTION howdah_internal.advisor_explain(sql text, run boolean DEFAULT false, search_path text DEFAULT NULL,
    OUT plan jsonb, OUT kind howdah_advisor.explain_kind, OUT params integer)
LANGUAGE plpgsql VOLATILE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
SET plan_cache_mode = force_generic_plan
AS $$
-- Plans `sql` (one statement: SELECT, INSERT, UPDATE, DELETE, MERGE or VALUES, with $n
-- parameters or literals) and returns EXPLAIN (FORMAT JSON)'s document, its kind (generic when
-- the statement has parameters, estimate when not, analyze when asked) and the parameter count.
-- With `run`, a SELECT without parameters runs under EXPLAIN (ANALYZE, BUFFERS) inside a
-- subtransaction that is always rolled back; it runs in full, so bound it with statement_timeout.
-- Unqualified names resolve through `search_path`; NULL means this session's default (the
-- server's, database's and role's setting: pg_settings.reset_val), since pg_stat_statements does
-- not record the path a statement ran under.
-- Running a caller's statement is this function's job, and the caller's own privileges bound it:
-- the one place the advisor puts SQL text into EXECUTE, checked above to be one statement.
-- @plpgsql_check_options: security_warnings = false
DECLARE
    lexed record;
    semis integer;
    -- One name per backend, not per call: with pg_stat_statements.track_utility every distinct
    -- PREPARE text is an entry of its own, and a random name made a new one on every call.
    stmt text := format('howdah_advisor_explain_%s', pg_backend_pid());
    path text := coalesce(advisor_explain.search_path,
        (SELECT s.reset_val FROM pg_catalog.pg_settings s WHERE s.name = 'search_path'));
    explain text;
BEGIN
    lexed := howdah_internal.advisor_lex(sql);
    IF cardinality(lexed.toks) IS NULL OR lexed.toks = ARRAY[';'] THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value', MESSAGE = 'sql is empty: pass one statement to explain';
    END IF;
    -- EXECUTE runs every statement of a string: allow one, with trailing semicolons at most.
    SELECT count(*) FILTER (WHERE k = 'x' AND t = ';' AND EXISTS (
               SELECT FROM unnest(lexed.kinds[o + 1:], lexed.toks[o + 1:]) AS r(k2, t2) WHERE NOT (r.k2 = 'x' AND r.t2 = ';')))
      INTO semis
      FROM unnest(lexed.kinds, lexed.toks) WITH ORDINALITY AS u(k, t, o);
    IF semis > 0 THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value', MESSAGE = 'sql holds more than one statement: pass one statement to explain';
    END IF;
    IF run AND (howdah_internal.advisor_features(lexed.kinds, lexed.toks)).verb <> 'select' THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = 'run (EXPLAIN ANALYZE) takes only SELECT statements: explain this one without run';
    END IF;
    -- pg_stat_statements turns the string of a typed literal into a parameter (interval '1 day'
    -- becomes interval $2), which is no longer SQL: write those as casts ($2::interval).
    IF 'p' = ANY (lexed.kinds) THEN
        sql := regexp_replace(sql,
            '\m(double precision|timestamptz|timestamp|timetz|time|interval|date|numeric|decimal|text|varchar|bigint|integer|int[248]?|smallint|real|float[48]?|boolean|bool|uuid|jsonb|json|bytea|inet|cidr|money|tsquery|tsvector|xml)\s+(\$[0-9]+)',
            '\2::\1', 'gi');
    END IF;
    -- Left over by a call that was cut off before its cleanup (it is ours: the name says so).
    PERFORM howdah_internal.advisor_drop_prepared(stmt);
    BEGIN  -- the guard: a second interrupt that cuts the handler below short lands here
        BEGIN
            -- The statement's names resolve through its path. PREPARE and EXECUTE run under it (a
            -- prepared statement is parsed again under the path in force when it runs); everything
            -- else here runs under the pinned one, which the function's SET restores on every way out.
            PERFORM pg_catalog.set_config('search_path', path, true);
            EXECUTE format('PREPARE %I AS %s', stmt, rtrim(sql, E'; \t\r\n'));
            PERFORM pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true);
            SELECT cardinality(p.parameter_types) INTO params FROM pg_catalog.pg_prepared_statements p WHERE p.name = stmt;
            IF run AND params > 0 THEN
                RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
                    MESSAGE = format('run (EXPLAIN ANALYZE) needs literal values, and this statement has %s parameters ($1 ...)', params),
                    HINT = 'Paste the statement with the values it runs with, or explain it without run.';
            END IF;
            explain := format('EXPLAIN (%s) EXECUTE %I%s',
                CASE WHEN run THEN 'ANALYZE, BUFFERS, FORMAT JSON' ELSE 'FORMAT JSON' END, stmt,
                CASE WHEN params > 0 THEN '(' || array_to_string(array_fill('NULL'::text, ARRAY[params]), ', ') || ')' ELSE '' END);
            kind := CASE WHEN run THEN 'analyze' WHEN params > 0 THEN 'generic' ELSE 'estimate' END::howdah_advisor.explain_kind;
            -- Run it (with run), keep the plan, undo whatever it did: the inner block always rolls back.
            BEGIN
                PERFORM pg_catalog.set_config('search_path', path, true);
                EXECUTE explain INTO plan;
                PERFORM pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true);
                RAISE EXCEPTION USING ERRCODE = 'HA000';
            EXCEPTION WHEN SQLSTATE 'HA000' THEN  -- ours, raised just above: it never leaves this block
                NULL;
            END;
            EXECUTE format('DEALLOCATE %I', stmt);
        EXCEPTION WHEN OTHERS OR query_canceled THEN
            -- Prepared statements outlive a rolled-back transaction: drop ours before
            -- re-raising (looked up: an interrupt can land between PREPARE and the next line).
            PERFORM howdah_internal.advisor_drop_prepared(stmt);
            RAISE;
        END;
    EXCEPTION WHEN OTHERS OR query_canceled THEN
        PERFORM howdah_internal.advisor_drop_prepared(stmt);
        RAISE;
    END;
    plan := plan -> 0;
END;
$$;
COMMENT ON FUNCTION howdah_internal.advisor_explain(text, boolean, text) IS 'The plan of one statement as EXPLAIN (FORMAT JSON)''s object: generic (force_generic_plan, NULL parameters) when it has $n parameters, estimate when it has literals, analyze (with run: ANALYZE, BUFFERS, rolled back; SELECT with literals only). Unqualified names resolve through search_path (NULL: the session''s default, pg_settings.reset_val). Deallocates its prepared statement on every way out. '
'Errors: 22023 empty, several statements, or run of a non-SELECT or parameterised statement; else PREPARE''s or EXPLAIN''s own (42P01, 42P18, 57014 ...).';

CREATE FUNCTION howdah_internal.advisor_search_path(sid bigint)
RETURNS text
LANGUAGE plpgsql STABLE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
-- The search_path snapshot `sid` plans its statements under (scan() records it), or NULL (then
-- advisor_explain takes the session's default).
-- PL/pgSQL, not SQL: a SQL function with a SET clause is never inlined and plans its query again
-- at every call; PL/pgSQL keeps the plan for the session (it is called once per row or plan).
BEGIN
    RETURN (SELECT s.settings ->> 'search_path' FROM howdah_advisor.snapshots s WHERE s.id = sid);
END;
$$;
COMMENT ON FUNCTION howdah_internal.advisor_search_path(bigint) IS 'The search_path a snapshot''s statements are planned under (scan''s search_path argument, recorded in its settings), or NULL. Errors: none.';
