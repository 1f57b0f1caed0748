-- advisor code 011: simulations — a recommendation proved before it is believed. simulate() plans
-- a query before and after a hypothetical index (hypopg), or builds the index for real in a
-- sandbox schema and runs EXPLAIN ANALYZE, always rolled back; simulate_set() applies several
-- index recommendations at once over every query of a snapshot, weighted by calls;
-- advisor_prove() (a scan stage) simulates every index recommendation of a snapshot, fills in
-- its benefit and size, and deletes the ones that gain nothing.
--
-- hypopg's hypothetical indexes live in the backend's memory, outside transactions: a rollback
-- does not remove them. advisor_hypo_explain drops exactly the ones it created on every way out
-- (success, error, statement timeout, cancel) and never calls hypopg_reset(), which would drop
-- the caller's own. Plans come from advisor_explain (006), which deallocates its prepared
-- statements the same way.
--
-- Rails (docs/advisor.md, Settings): howdah_advisor.max_simulations sessions simulate at once
-- (advisory-lock slots held to the end of the caller's transaction), howdah_advisor.
-- simulations_per_minute calls of simulate()/simulate_set() per minute in the database,
-- howdah_advisor.simulation_lock_timeout for every lock a simulation waits for. A function cannot
-- arm statement_timeout for its own statements (see 004_ingest.sql): the caller's bounds the call.
--
-- Errors: 22023 (invalid_parameter_value) bad argument or setting (names it); P0002
-- (no_data_found) unknown query, recommendation or snapshot id; 55000
-- (object_not_in_prerequisite_state) hypopg missing, or too old to hide an index (with a HINT);
-- 53400 (configuration_limit_exceeded) no free simulation slot or the per-minute limit reached
-- (the HINT says when to retry); 57014 the caller's statement_timeout or a cancel, after cleanup.

CREATE FUNCTION howdah_internal.advisor_require_hypopg()
RETURNS text
LANGUAGE plpgsql STABLE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
-- The schema of hypopg, or 55000 saying how to get it.
DECLARE
    sch text := howdah_internal.advisor_extension_schema('hypopg');
BEGIN
    IF sch IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'object_not_in_prerequisite_state',
            MESSAGE = format('simulations with mode hypopg need the extension hypopg, which database %I does not have', current_database()),
            HINT = format('Install the package postgresql-%s-hypopg (Debian) or your platform''s hypopg, then, as a superuser, run CREATE EXTENSION hypopg; or simulate with mode => ''real'' in a sandbox schema.',
                          current_setting('server_version_num')::int / 10000);
    END IF;
    RETURN sch;
END;
$$;
COMMENT ON FUNCTION howdah_internal.advisor_require_hypopg() IS 'The schema hypopg is installed in. Errors: 55000 hypopg missing (the HINT says what to install).';

CREATE FUNCTION howdah_internal.advisor_hypo_ddl(ddl text)
RETURNS text
LANGUAGE plpgsql IMMUTABLE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
-- A recommendation's CREATE INDEX made fit for hypopg_create_index and for a build inside a
-- transaction: one statement, without CONCURRENTLY, IF NOT EXISTS and the index name (the server
-- or hypopg names it). Anything but one CREATE INDEX is 22023.
DECLARE
    m text[];
BEGIN
    m := regexp_match(coalesce(ddl, ''),
        '^\s*create\s+(unique\s+)?index\s+(?:concurrently\s+)?(?:if\s+not\s+exists\s+)?(?:(?:"(?:[^"]|"")+"|[a-z_][a-z0-9_$]*)\s+)?on\s+(.*?)[\s;]*$', 'i');
    IF m IS NULL OR m[2] ~ ';' THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = format('index ddl must be one CREATE INDEX statement, not %L', left(ddl, 200));
    END IF;
    RETURN 'CREATE ' || coalesce(upper(btrim(m[1])) || ' ', '') || 'INDEX ON ' || m[2];
END;
$$;
COMMENT ON FUNCTION howdah_internal.advisor_hypo_ddl(text) IS 'CREATE INDEX text without CONCURRENTLY, IF NOT EXISTS and index name, as hypopg and a build in a transaction take it. Errors: 22023 not one CREATE INDEX statement.';

CREATE FUNCTION howdah_internal.advisor_sim_sql(sql text, params text[])
RETURNS text
LANGUAGE plpgsql STABLE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
-- `sql` with each $n parameter replaced by params[n] as a literal (NULL for a NULL element), so
-- that it can be planned for those values or run under EXPLAIN ANALYZE. Tokens are rejoined with
-- spaces (comments go); strings and quoted identifiers are untouched. NULL params: sql as it is.
DECLARE
    lexed record;
    n integer;
    outp text[] := '{}'::text[];
BEGIN
    IF params IS NULL THEN
        RETURN sql;
    END IF;
    lexed := howdah_internal.advisor_lex(sql);
    SELECT coalesce(max(substr(t, 2)::int), 0) INTO n
      FROM unnest(lexed.kinds, lexed.toks) AS u(k, t) WHERE k = 'p';
    IF cardinality(params) <> n THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = format('params has %s value(s), and the statement has %s parameter(s) ($1 ...)', cardinality(params), n),
            HINT = 'Pass one value per parameter, as text: params => ARRAY[''42'', ''2024-01-01''].';
    END IF;
    SELECT array_agg(CASE WHEN k = 'p' THEN coalesce(quote_literal(params[substr(t, 2)::int]), 'NULL') ELSE t END ORDER BY o)
      INTO outp
      FROM unnest(lexed.kinds, lexed.toks) WITH ORDINALITY AS u(k, t, o);
    RETURN array_to_string(outp, ' ');
END;
$$;
COMMENT ON FUNCTION howdah_internal.advisor_sim_sql(text, text[]) IS 'A statement with its $n parameters replaced by literal values. Errors: 22023 the number of values differs from the parameters; 42601 an unterminated string.';

CREATE FUNCTION howdah_internal.advisor_sim_nodes(plan jsonb, OUT nodes text[], OUT relations text[])
LANGUAGE plpgsql IMMUTABLE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
-- The nodes of an EXPLAIN (FORMAT JSON) object ({"Plan": ...}) in preorder: each node's type,
-- and the relation it scans ("orders", or "orders o" when the alias differs; NULL for others).
-- A loop over a stack: cheaper than a recursive query planned on every call.
DECLARE
    stack jsonb[] := CASE WHEN plan ? 'Plan' THEN ARRAY[plan -> 'Plan'] ELSE '{}'::jsonb[] END;
    n jsonb;
BEGIN
    nodes := '{}'::text[];
    relations := '{}'::text[];
    WHILE cardinality(stack) > 0 LOOP
        n := stack[cardinality(stack)];
        stack := stack[1:cardinality(stack) - 1];
        nodes := nodes || (n ->> 'Node Type');
        relations := relations || (n ->> 'Relation Name'
            || CASE WHEN n ->> 'Alias' IS DISTINCT FROM n ->> 'Relation Name' AND n ? 'Alias' THEN ' ' || (n ->> 'Alias') ELSE '' END);
        -- Children pushed last first, so that they come off in plan order.
        FOR k IN REVERSE coalesce(jsonb_array_length(n -> 'Plans'), 0) - 1 .. 0 LOOP
            stack := stack || (n -> 'Plans' -> k);
        END LOOP;
    END LOOP;
END;
$$;
COMMENT ON FUNCTION howdah_internal.advisor_sim_nodes(jsonb) IS 'The node types of an EXPLAIN (FORMAT JSON) object in preorder, with the relation each scans. Errors: none.';

CREATE FUNCTION howdah_internal.advisor_plan_changes(before_plan jsonb, after_plan jsonb)
RETURNS text[]
LANGUAGE plpgsql IMMUTABLE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
-- Labels for what changed between two plans: how each relation is read ("Seq Scan → Index
-- Scan on orders"), the join methods in plan order ("Nested Loop → Hash Join", "Hash Join
-- added"), and sorts ("Sort removed", "Sort added"). Empty when the plans have the same shape.
DECLARE
    b record := howdah_internal.advisor_sim_nodes(before_plan);
    a record := howdah_internal.advisor_sim_nodes(after_plan);
    labels text[] := '{}'::text[];
    rels text[] := '{}'::text[];
    rel text;
    was text;
    now text;
    jb text[];
    ja text[];
    sb integer;
    sa integer;
BEGIN
    -- Relations in order of first appearance, before then after.
    FOR k IN 1..cardinality(b.nodes) + cardinality(a.nodes) LOOP
        rel := CASE WHEN k <= cardinality(b.nodes) THEN b.relations[k] ELSE a.relations[k - cardinality(b.nodes)] END;
        IF rel IS NOT NULL AND NOT rel = ANY (rels) THEN
            rels := rels || rel;
        END IF;
    END LOOP;
    FOREACH rel IN ARRAY rels LOOP
        was := (SELECT string_agg(u.n, ' + ' ORDER BY u.o) FROM unnest(b.nodes, b.relations) WITH ORDINALITY AS u(n, r, o) WHERE u.r = rel);
        now := (SELECT string_agg(u.n, ' + ' ORDER BY u.o) FROM unnest(a.nodes, a.relations) WITH ORDINALITY AS u(n, r, o) WHERE u.r = rel);
        IF was IS DISTINCT FROM now THEN
            labels := labels || (coalesce(was, 'no scan') || ' → ' || coalesce(now, 'no scan') || ' on ' || rel);
        END IF;
    END LOOP;
    jb := ARRAY(SELECT u.n FROM unnest(b.nodes) WITH ORDINALITY AS u(n, o) WHERE u.n IN ('Nested Loop', 'Hash Join', 'Merge Join') ORDER BY u.o);
    ja := ARRAY(SELECT u.n FROM unnest(a.nodes) WITH ORDINALITY AS u(n, o) WHERE u.n IN ('Nested Loop', 'Hash Join', 'Merge Join') ORDER BY u.o);
    FOR k IN 1..greatest(cardinality(jb), cardinality(ja)) LOOP
        IF jb[k] IS DISTINCT FROM ja[k] THEN
            labels := labels || CASE WHEN jb[k] IS NULL THEN ja[k] || ' added' WHEN ja[k] IS NULL THEN jb[k] || ' removed'
                                     ELSE jb[k] || ' → ' || ja[k] END;
        END IF;
    END LOOP;
    sb := (SELECT count(*) FROM unnest(b.nodes) u(n) WHERE u.n IN ('Sort', 'Incremental Sort'));
    sa := (SELECT count(*) FROM unnest(a.nodes) u(n) WHERE u.n IN ('Sort', 'Incremental Sort'));
    IF sb <> sa THEN
        labels := labels || CASE WHEN sa = 0 THEN 'Sort removed' WHEN sb = 0 THEN 'Sort added' ELSE format('Sorts %s → %s', sb, sa) END;
    END IF;
    RETURN labels;
END;
$$;
COMMENT ON FUNCTION howdah_internal.advisor_plan_changes(jsonb, jsonb) IS 'Labels for what changed between two EXPLAIN (FORMAT JSON) objects: scans per relation ("Seq Scan → Index Scan on orders"), join methods ("Nested Loop → Hash Join"), sorts ("Sort removed"). Errors: none.';

CREATE FUNCTION howdah_internal.advisor_sim_admit(counted boolean)
RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
-- Admits one simulation or raises 53400. A slot is one of howdah_advisor.max_simulations
-- transaction-level advisory locks (a session that holds one already gets it again: advisory
-- locks are re-entrant, so a transaction never competes with itself); it is released when the
-- caller's transaction ends. When `counted`, the call also counts against howdah_advisor.
-- simulations_per_minute (0: no limit): simulate() and simulate_set() calls of the last minute,
-- from the tables (advisor_prove, a scan stage, is not counted). Returns the slot taken.
DECLARE
    slots integer := howdah_internal.advisor_setting('max_simulations', 2, 1, 1000)::integer;
    per_minute integer := howdah_internal.advisor_setting('simulations_per_minute', 30, 0, 1000000)::integer;
    recent integer;
    oldest timestamptz;
BEGIN
    IF counted AND per_minute > 0 THEN
        SELECT count(*), min(r.ran_at) INTO recent, oldest
          FROM (SELECT s.ran_at FROM howdah_advisor.simulations s
                 WHERE s.set_id IS NULL AND s.ran_at > clock_timestamp() - interval '1 minute' AND s.details ->> 'caller' = 'simulate'
                UNION ALL
                SELECT t.ran_at FROM howdah_advisor.simulation_sets t WHERE t.ran_at > clock_timestamp() - interval '1 minute') r;
        IF recent >= per_minute THEN
            RAISE EXCEPTION USING ERRCODE = 'configuration_limit_exceeded',
                MESSAGE = format('%s simulations ran in the last minute, the limit (howdah_advisor.simulations_per_minute) is %s', recent, per_minute),
                HINT = format('Retry in %s s, or raise howdah_advisor.simulations_per_minute.',
                              ceil(greatest(extract(epoch FROM oldest + interval '1 minute' - clock_timestamp()), 1))::integer);
        END IF;
    END IF;
    FOR slot IN 1..slots LOOP
        -- 1212432723 = 'HDAS' (howdah advisor simulation): the advisory-lock class of the slots.
        IF pg_try_advisory_xact_lock(1212432723, slot) THEN
            RETURN slot;
        END IF;
    END LOOP;
    RAISE EXCEPTION USING ERRCODE = 'configuration_limit_exceeded',
        MESSAGE = format('%s simulation(s) are running, the limit (howdah_advisor.max_simulations) is %s', slots, slots),
        HINT = 'Retry in a few seconds, when one of them has finished (a slot is held to the end of its transaction), or raise howdah_advisor.max_simulations.';
END;
$$;
COMMENT ON FUNCTION howdah_internal.advisor_sim_admit(boolean) IS 'Takes a simulation slot (an advisory lock held to the end of the transaction) and, when counted, checks the per-minute limit; returns the slot. Errors: 53400 no free slot or the per-minute limit reached (the HINT says when to retry); 22023 a bad setting.';

CREATE FUNCTION howdah_internal.advisor_hypo_cleanup(sch text, theirs oid[], hid oid[])
RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
-- Drops every hypothetical index of the session that is not in `theirs` and unhides the indexes
-- of `hid` (hypopg in schema `sch`), for exception handlers, which re-raise after it. Retried
-- when interrupted (the interrupt is swallowed; the handler re-raises its error): a cancel
-- request sent over the protocol (pgx, psql's Ctrl-C) reaches the backend twice, the postmaster
-- signalling both the process and its group, and the second can land in a cleanup. Drops and
-- unhides are idempotent.
DECLARE
    leftover oid;
    x oid;
BEGIN
    FOR attempt IN 1..10 LOOP
        BEGIN
            FOR leftover IN EXECUTE format('SELECT h.indexrelid FROM %I.hypopg() h WHERE NOT h.indexrelid = ANY ($1)', sch) USING theirs LOOP
                EXECUTE format('SELECT %I.hypopg_drop_index($1)', sch) USING leftover;
            END LOOP;
            FOREACH x IN ARRAY hid LOOP
                EXECUTE format('SELECT %I.hypopg_unhide_index($1)', sch) USING x;
            END LOOP;
            RETURN;
        EXCEPTION WHEN query_canceled THEN
            CONTINUE;  -- interrupted again: clean up again
        END;
    END LOOP;
END;
$$;
COMMENT ON FUNCTION howdah_internal.advisor_hypo_cleanup(text, oid[], oid[]) IS 'Drops the session''s hypothetical indexes other than `theirs` and unhides `hid`, retrying when a cancel or timeout interrupts it (advisor_hypo_explain''s cleanup on every way out). Errors: none of its own.';

CREATE FUNCTION howdah_internal.advisor_hypo_explain(sqls text[], index_ddls text[], hide_indexes oid[] DEFAULT '{}',
    search_path text DEFAULT NULL, before_plans jsonb[] DEFAULT NULL)
RETURNS TABLE (ord integer, before_plan jsonb, after_plan jsonb, error text, indexes jsonb, ms jsonb)
LANGUAGE plpgsql VOLATILE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
-- Plans each statement of `sqls` (advisor_explain: generic plan for $n texts) as it is, then
-- with the hypothetical indexes of `index_ddls` (CREATE INDEX texts; CONCURRENTLY and names are
-- stripped) created and the real indexes of `hide_indexes` hidden (hypopg >= 1.4), then removes
-- exactly the hypothetical indexes it created and unhides exactly what it hid — on success, on
-- error, on statement timeout and on cancel — and re-raises what interrupted it. The caller's
-- own hypothetical (and hidden) indexes are left as they were; hypopg_reset() is never called.
-- One row per statement, in order: both plans, or the error that kept it from being planned
-- (a statement that fails does not stop the others); `indexes` lists each hypothetical index
-- ({ddl, name, oid, bytes} from hypopg_relation_size), `ms` the time of each step.
-- `before_plans` (one element per statement, NULL to plan it here) are baselines the caller
-- planned already under the same conditions: advisor_prove plans each query's once per stage.
DECLARE
    sch text := howdah_internal.advisor_require_hypopg();
    -- What environment() reports as hypopg.hide_index (1.4 and later), looked up directly: cheaper.
    can_hide boolean := to_regprocedure(format('%I.hypopg_hide_index(oid)', sch)) IS NOT NULL;
    theirs oid[];
    their_hidden oid[] := '{}'::oid[];
    hid oid[] := '{}'::oid[];
    ddls text[] := '{}'::text[];
    befores jsonb[] := '{}'::jsonb[];
    errs text[] := '{}'::text[];
    afters jsonb[] := '{}'::jsonb[];
    made jsonb := '[]'::jsonb;
    new_oid oid;
    new_name text;
    j jsonb;
    d text;
    x oid;
    t0 timestamptz;
    t_before double precision;
    t_create double precision;
    t_after double precision;
    n integer := coalesce(cardinality(sqls), 0);
    leftover oid;
BEGIN
    IF n = 0 OR array_position(sqls, NULL) IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value', MESSAGE = 'sqls must be a non-empty array of statements without NULL elements';
    END IF;
    IF index_ddls IS NULL OR array_position(index_ddls, NULL) IS NOT NULL OR hide_indexes IS NULL OR array_position(hide_indexes, NULL) IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value', MESSAGE = 'index_ddls and hide_indexes must be arrays without NULL elements';
    END IF;
    IF coalesce(cardinality(index_ddls), 0) + coalesce(cardinality(hide_indexes), 0) = 0 THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value', MESSAGE = 'nothing to simulate: pass an index to create (index_ddls) or to hide (hide_indexes)';
    END IF;
    IF cardinality(hide_indexes) > 0 AND NOT can_hide THEN
        RAISE EXCEPTION USING ERRCODE = 'object_not_in_prerequisite_state',
            MESSAGE = format('simulating without an existing index needs hypopg_hide_index (hypopg 1.4 or later); this database has hypopg %s',
                             (SELECT e.extversion FROM pg_extension e WHERE e.extname = 'hypopg')),
            HINT = 'Upgrade hypopg to 1.4 or later (ALTER EXTENSION hypopg UPDATE after installing it), or simulate with mode => ''real'' in a sandbox schema.';
    END IF;
    FOREACH d IN ARRAY index_ddls LOOP
        ddls := ddls || howdah_internal.advisor_hypo_ddl(d);
    END LOOP;

    -- Baselines first, before anything hypothetical exists.
    t0 := clock_timestamp();
    FOR i IN 1..n LOOP
        BEGIN
            befores := befores || coalesce(before_plans[i],
                (howdah_internal.advisor_explain(sqls[i], search_path => advisor_hypo_explain.search_path)).plan);
            errs := errs || NULL::text;
        EXCEPTION WHEN OTHERS THEN  -- not query_canceled: a cancel or timeout ends the call
            befores := befores || NULL::jsonb;
            errs := errs || (SQLSTATE || ': ' || SQLERRM);
        END;
    END LOOP;
    t_before := extract(epoch FROM clock_timestamp() - t0) * 1000;

    -- What the caller has: never touched.
    EXECUTE format('SELECT coalesce(array_agg(h.indexrelid), ''{}'') FROM %I.hypopg() h', sch) INTO theirs;
    IF can_hide THEN
        EXECUTE format('SELECT coalesce(array_agg(h), ''{}'') FROM %I.hypopg_hidden_indexes() h', sch) INTO their_hidden;
    END IF;
    BEGIN  -- the guard: a second interrupt that cuts the handler below short lands here
        BEGIN
            t0 := clock_timestamp();
            FOREACH d IN ARRAY ddls LOOP
                new_oid := NULL;
                EXECUTE format('SELECT h.indexrelid, h.indexname FROM %I.hypopg_create_index($1) h', sch) INTO new_oid, new_name USING d;
                IF new_oid IS NULL THEN
                    RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value', MESSAGE = format('hypopg did not create an index from %L', d);
                END IF;
                EXECUTE format('SELECT jsonb_build_object(''ddl'', $1, ''name'', $2, ''oid'', $3, ''bytes'', %I.hypopg_relation_size($3))', sch)
                   INTO STRICT j USING d, new_name, new_oid;
                made := made || jsonb_build_array(j);
            END LOOP;
            FOREACH x IN ARRAY hide_indexes LOOP
                IF NOT x = ANY (their_hidden) THEN
                    EXECUTE format('SELECT %I.hypopg_hide_index($1)', sch) USING x;
                    hid := hid || x;
                END IF;
            END LOOP;
            t_create := extract(epoch FROM clock_timestamp() - t0) * 1000;
            t0 := clock_timestamp();
            FOR i IN 1..n LOOP
                IF errs[i] IS NULL THEN
                    BEGIN
                        afters := afters || (howdah_internal.advisor_explain(sqls[i], search_path => advisor_hypo_explain.search_path)).plan;
                    EXCEPTION WHEN OTHERS THEN
                        afters := afters || NULL::jsonb;
                        errs[i] := SQLSTATE || ': ' || SQLERRM;
                    END;
                ELSE
                    afters := afters || NULL::jsonb;
                END IF;
            END LOOP;
            t_after := extract(epoch FROM clock_timestamp() - t0) * 1000;
            -- The cleanup is inside the block, so that an interrupt during it is cleaned up too
            -- (and propagates: the helper, which swallows interrupts to finish, is for handlers).
            FOR leftover IN EXECUTE format('SELECT h.indexrelid FROM %I.hypopg() h WHERE NOT h.indexrelid = ANY ($1)', sch) USING theirs LOOP
                EXECUTE format('SELECT %I.hypopg_drop_index($1)', sch) USING leftover;
            END LOOP;
            FOREACH x IN ARRAY hid LOOP
                EXECUTE format('SELECT %I.hypopg_unhide_index($1)', sch) USING x;
            END LOOP;
            hid := '{}'::oid[];
        EXCEPTION WHEN OTHERS OR query_canceled THEN
            -- Drop every hypothetical index that was not the caller's (also one whose oid did
            -- not reach `made` because the interrupt came in between), unhide what we hid,
            -- re-raise.
            PERFORM howdah_internal.advisor_hypo_cleanup(sch, theirs, hid);
            RAISE;
        END;
    EXCEPTION WHEN OTHERS OR query_canceled THEN
        PERFORM howdah_internal.advisor_hypo_cleanup(sch, theirs, hid);
        RAISE;
    END;

    indexes := made;
    ms := jsonb_build_object('before_plans', round(t_before::numeric, 2), 'create', round(t_create::numeric, 2),
                             'after_plans', round(t_after::numeric, 2));
    FOR i IN 1..n LOOP
        ord := i;
        before_plan := befores[i];
        after_plan := afters[i];
        error := errs[i];
        RETURN NEXT;
    END LOOP;
END;
$$;
COMMENT ON FUNCTION howdah_internal.advisor_hypo_explain(text[], text[], oid[], text, jsonb[]) IS 'Plans statements (or takes their baselines from before_plans) and after hypothetical indexes (hypopg_create_index) are created and existing ones hidden (hypopg >= 1.4), then drops exactly what it created on every way out (errors, timeouts and cancels included), leaving the caller''s own hypothetical indexes. One row per statement: plans or the planning error, the indexes with their estimated bytes, step timings. '
'Errors: 22023 empty sqls or nothing to simulate, a ddl that is not one CREATE INDEX; 55000 hypopg missing or too old to hide an index; 57014 timeout or cancel (after cleanup).';

CREATE FUNCTION howdah_internal.advisor_sim_real(sql text, tab oid, ddl text, drop_index oid, search_path text,
    OUT before_plan jsonb, OUT after_plan jsonb, OUT index_bytes bigint, OUT ms jsonb)
LANGUAGE plpgsql VOLATILE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
-- Mode real: runs `sql` (a SELECT with literals) under EXPLAIN ANALYZE, builds the index of
-- `ddl` on `tab` (or drops `drop_index`) for real, runs it again, and rolls everything back: the
-- block always ends in an error of its own, caught below. Any other error (a lock not granted,
-- a timeout, a cancel) leaves the block rolled back too and is raised. The caller has checked
-- that the table is in the sandbox schema it named.
-- The ddl is a recommendation's CREATE INDEX, reduced to one statement by advisor_hypo_ddl and
-- run with the caller's privileges (SECURITY INVOKER).
-- @plpgsql_check_options: security_warnings = false
DECLARE
    existing oid[];
    built oid;
    t0 timestamptz;
    t_build double precision;
BEGIN
    BEGIN
        before_plan := (howdah_internal.advisor_explain(sql, run => true, search_path => advisor_sim_real.search_path)).plan;
        t0 := clock_timestamp();
        IF ddl IS NOT NULL THEN
            existing := ARRAY(SELECT i.indexrelid FROM pg_index i WHERE i.indrelid = tab);
            EXECUTE howdah_internal.advisor_hypo_ddl(ddl);
            SELECT i.indexrelid INTO built FROM pg_index i WHERE i.indrelid = tab AND NOT i.indexrelid = ANY (existing);
            index_bytes := pg_relation_size(built);
        ELSE
            EXECUTE format('DROP INDEX %s', drop_index::regclass);
        END IF;
        t_build := extract(epoch FROM clock_timestamp() - t0) * 1000;
        after_plan := (howdah_internal.advisor_explain(sql, run => true, search_path => advisor_sim_real.search_path)).plan;
        RAISE EXCEPTION USING ERRCODE = 'HA001';
    EXCEPTION WHEN SQLSTATE 'HA001' THEN  -- ours, raised just above: everything is rolled back
        NULL;
    END;
    ms := jsonb_build_object('build', round(t_build::numeric, 2));
END;
$$;
COMMENT ON FUNCTION howdah_internal.advisor_sim_real(text, oid, text, oid, text) IS 'EXPLAIN ANALYZE of a SELECT before and after an index is built (or dropped) for real, all rolled back. Errors: 22023 not a SELECT with literals, or a bad ddl; whatever the build raises (42501, 55P03 ...), after the rollback.';

CREATE FUNCTION howdah_internal.advisor_sim_store(sid bigint, qid bigint, rec bigint, set_id bigint,
    mode howdah_advisor.simulation_mode, before_plan jsonb, after_plan jsonb, error text,
    mean_ms double precision, is_drop boolean, details jsonb)
RETURNS howdah_advisor.simulations
LANGUAGE plpgsql VOLATILE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
-- Stores one simulation: costs from the plans' root nodes, improvement (cost for hypopg; the
-- measured execution times for real), gain against howdah_advisor.min_gain_pct, the ms (hypopg:
-- the measured mean scaled by the cost ratio, an estimate; real: EXPLAIN ANALYZE's execution
-- times) and the plan-change labels. A drop (is_drop) has no gain: details.harmless says whether
-- the queries stay within min_gain_pct of their cost without the index.
DECLARE
    min_gain double precision := howdah_internal.advisor_setting('min_gain_pct', 10, 0, 100);
    s howdah_advisor.simulations;
    bms double precision;
    ams double precision;
    imp double precision;
    bc double precision := (before_plan #>> '{Plan,Total Cost}')::double precision;
    ac double precision := (after_plan #>> '{Plan,Total Cost}')::double precision;
    extra jsonb;
BEGIN
    IF error IS NULL AND mode = 'real' THEN
        bms := (before_plan ->> 'Execution Time')::double precision;
        ams := (after_plan ->> 'Execution Time')::double precision;
        imp := CASE WHEN bms > 0 THEN (bms - ams) / bms * 100 ELSE 0 END;
        extra := jsonb_build_object('ms_source', 'measured: EXPLAIN ANALYZE execution times, before then after (the second run may find a warmer cache)',
                                    'cost_improvement_pct', CASE WHEN bc > 0 THEN round(((bc - ac) / bc * 100)::numeric, 2) END);
    ELSIF error IS NULL THEN
        imp := CASE WHEN bc > 0 THEN (bc - ac) / bc * 100 ELSE 0 END;
        bms := mean_ms;
        ams := CASE WHEN bc > 0 THEN mean_ms * ac / bc END;
        extra := jsonb_build_object('ms_source', CASE WHEN mean_ms IS NULL THEN 'no measured mean for this query: no ms estimate'
                                                     ELSE 'estimate: before_ms is the measured mean (pg_stat_statements), after_ms that mean scaled by after_cost / before_cost' END);
    END IF;
    INSERT INTO howdah_advisor.simulations AS m (snapshot_id, query_id, rec_id, set_id, before_cost, after_cost, before_ms, after_ms,
           improvement_pct, mode, gain, before_plan, after_plan, plan_changes, details, error)
    VALUES (sid, qid, rec, set_id, bc, ac, bms, ams, round(imp::numeric, 2)::double precision, mode,
            CASE WHEN error IS NULL AND NOT is_drop THEN imp >= min_gain END,
            before_plan, after_plan,
            CASE WHEN error IS NULL THEN howdah_internal.advisor_plan_changes(before_plan, after_plan) ELSE '{}'::text[] END,
            details || coalesce(extra, '{}'::jsonb) || jsonb_build_object('min_gain_pct', min_gain)
                    || CASE WHEN is_drop AND error IS NULL THEN jsonb_build_object('harmless', imp > -min_gain) ELSE '{}'::jsonb END,
            error)
    RETURNING m.* INTO s;
    RETURN s;
END;
$$;
COMMENT ON FUNCTION howdah_internal.advisor_sim_store(bigint, bigint, bigint, bigint, howdah_advisor.simulation_mode, jsonb, jsonb, text, double precision, boolean, jsonb) IS 'Stores one simulation row with its costs, improvement, gain, ms and plan-change labels. Errors: 22023 a bad howdah_advisor.min_gain_pct.';

CREATE FUNCTION howdah_internal.advisor_sim_lock_timeout()
RETURNS text
LANGUAGE plpgsql VOLATILE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
-- Sets lock_timeout for the rest of the transaction to howdah_advisor.simulation_lock_timeout
-- (default 1 s) and returns the value it replaced, for the caller to put back.
DECLARE
    raw text := coalesce(nullif(btrim(current_setting('howdah_advisor.simulation_lock_timeout', true)), ''), '1s');
    old text := current_setting('lock_timeout');
    v interval;
BEGIN
    BEGIN
        v := CASE WHEN raw ~ '^\d+$' THEN (raw || ' ms')::interval ELSE raw::interval END;
    EXCEPTION WHEN invalid_datetime_format OR datetime_field_overflow OR interval_field_overflow THEN
        v := NULL;
    END;
    IF v IS NULL OR v < '0'::interval THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = format('setting howdah_advisor.simulation_lock_timeout must be a duration such as ''1s'' (0: no limit), not %L', raw);
    END IF;
    PERFORM set_config('lock_timeout', (extract(epoch FROM v) * 1000)::bigint || 'ms', true);
    RETURN old;
END;
$$;
COMMENT ON FUNCTION howdah_internal.advisor_sim_lock_timeout() IS 'Sets lock_timeout (transaction-local) from howdah_advisor.simulation_lock_timeout and returns the previous value. Errors: 22023 a value that is not a duration.';

CREATE FUNCTION howdah_advisor.simulate(
    query_id bigint,
    rec_id bigint,
    mode howdah_advisor.simulation_mode DEFAULT 'hypopg',
    sandbox text DEFAULT NULL,
    params text[] DEFAULT NULL)
RETURNS howdah_advisor.simulations
LANGUAGE plpgsql VOLATILE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
-- Simulates recommendation `rec_id` for query `query_id` and stores the result (returned).
-- hypopg: the query's plan (generic for $n texts, or for `params` when given) before and after a
-- hypothetical index (an index recommendation) or with the index hidden (redundant/unused
-- index; hypopg 1.4 or later). real: only when the recommendation's table is in schema `sandbox`:
-- the index is built (or dropped) for real and the query runs under EXPLAIN ANALYZE before and
-- after, all rolled back; the query must be a SELECT, and a query with $n parameters needs
-- `params`, one text value per parameter. A query that cannot be planned gives a row with its
-- error. Rails: a simulation slot, the per-minute limit, simulation_lock_timeout.
DECLARE
    q record;
    rec howdah_advisor.recommendations;
    is_drop boolean;
    tab oid;
    sql text;
    hsch text;
    old_lock text;
    slot integer;
    mean double precision;
    hx record;
    rx record;
    det jsonb;
    t0 timestamptz := clock_timestamp();
    s howdah_advisor.simulations;
BEGIN
    IF mode IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value', MESSAGE = 'mode must be hypopg or real, not NULL';
    ELSIF mode = 'real' AND sandbox IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value', MESSAGE = 'mode real needs sandbox: the schema whose tables may have indexes built and dropped',
            HINT = 'Pass sandbox => ''my_sandbox_schema'' (a copy of the tables to experiment on), or use mode => ''hypopg''.';
    ELSIF mode = 'hypopg' AND sandbox IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value', MESSAGE = 'sandbox is only for mode real: hypopg builds nothing',
            HINT = 'Leave sandbox out, or pass mode => ''real''.';
    END IF;
    SELECT x.id, x.raw_sql, x.verb INTO q FROM howdah_advisor.queries x WHERE x.id = simulate.query_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'no_data_found', MESSAGE = format('no query %s', coalesce(simulate.query_id::text, 'NULL')),
            HINT = 'Query ids are howdah_advisor.queries.id (see bottlenecks() or the metrics of a snapshot).';
    END IF;
    SELECT * INTO rec FROM howdah_advisor.recommendations x WHERE x.id = simulate.rec_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'no_data_found', MESSAGE = format('no recommendation %s', coalesce(simulate.rec_id::text, 'NULL')),
            HINT = 'Recommendation ids are howdah_advisor.recommendations.id of a snapshot.';
    END IF;
    IF rec.type IN ('missing_index', 'composite_index') AND rec.ddl ~* '^\s*create\s' THEN
        is_drop := false;
        tab := coalesce(rec.table_relid, to_regclass(rec.table_name));
    ELSIF rec.type IN ('redundant_index', 'unused_index') AND rec.index_relid IS NOT NULL THEN
        is_drop := true;
        IF NOT EXISTS (SELECT FROM pg_index i WHERE i.indexrelid = rec.index_relid) THEN
            RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
                MESSAGE = format('recommendation %s names index %s, which no longer exists', rec.id, coalesce(rec.index_name, rec.index_relid::text)),
                HINT = 'Run a new scan.';
        END IF;
        tab := (SELECT i.indrelid FROM pg_index i WHERE i.indexrelid = rec.index_relid);
    ELSE
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = format('recommendation %s is a %s finding: only index recommendations (create or drop an index) can be simulated', rec.id, rec.type);
    END IF;
    IF mode = 'real' THEN
        IF sandbox ~ '^(pg_|howdah)' OR sandbox = 'information_schema' OR NOT EXISTS (SELECT FROM pg_namespace n WHERE n.nspname = sandbox) THEN
            RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
                MESSAGE = format('sandbox %L is not a schema of this database that may be a sandbox (system and howdah schemas may not)', sandbox);
        END IF;
        IF tab IS NULL OR NOT EXISTS (SELECT FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = tab AND n.nspname = sandbox) THEN
            RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
                MESSAGE = format('recommendation %s is on table %s, which is not in sandbox %I: mode real builds only there',
                                 rec.id, coalesce(tab::regclass::text, rec.table_name, 'unknown'), sandbox),
                HINT = 'Copy the table into the sandbox schema and scan again, or use mode => ''hypopg''.';
        END IF;
    ELSE
        hsch := howdah_internal.advisor_require_hypopg();
    END IF;
    sql := howdah_internal.advisor_sim_sql(q.raw_sql, params);

    slot := howdah_internal.advisor_sim_admit(true);
    old_lock := howdah_internal.advisor_sim_lock_timeout();
    mean := coalesce((SELECT m.mean_ms FROM howdah_advisor.metrics m WHERE m.query_id = q.id AND m.snapshot_id = rec.snapshot_id),
                     (SELECT m.mean_ms FROM howdah_advisor.metrics m WHERE m.query_id = q.id ORDER BY m.snapshot_id DESC LIMIT 1));
    det := jsonb_build_object('caller', 'simulate', 'slot', slot, 'params', to_jsonb(params), 'drop', is_drop);
    IF mode = 'hypopg' THEN
        SELECT * INTO hx FROM howdah_internal.advisor_hypo_explain(ARRAY[sql],
            CASE WHEN is_drop THEN '{}'::text[] ELSE ARRAY[rec.ddl] END,
            CASE WHEN is_drop THEN ARRAY[rec.index_relid] ELSE '{}'::oid[] END,
            howdah_internal.advisor_search_path(rec.snapshot_id)) h;
        det := det || jsonb_build_object('hypopg_version', (SELECT e.extversion FROM pg_extension e WHERE e.extname = 'hypopg'),
                                         'indexes', hx.indexes, 'ms', hx.ms || jsonb_build_object('total', round((extract(epoch FROM clock_timestamp() - t0) * 1000)::numeric, 2)));
        s := howdah_internal.advisor_sim_store(rec.snapshot_id, q.id, rec.id, NULL, mode, hx.before_plan, hx.after_plan, hx.error, mean, is_drop, det);
    ELSE
        BEGIN
            rx := howdah_internal.advisor_sim_real(sql, tab, CASE WHEN is_drop THEN NULL ELSE rec.ddl END, CASE WHEN is_drop THEN rec.index_relid END,
                                                  howdah_internal.advisor_search_path(rec.snapshot_id));
        EXCEPTION WHEN invalid_parameter_value THEN
            RAISE;
        WHEN OTHERS THEN  -- the query could not run (or the index not build): stored as the result
            s := howdah_internal.advisor_sim_store(rec.snapshot_id, q.id, rec.id, NULL, mode, NULL, NULL, SQLSTATE || ': ' || SQLERRM, mean, is_drop,
                                                   det || jsonb_build_object('sandbox', sandbox));
        END;
        IF s.id IS NULL THEN
            det := det || jsonb_build_object('sandbox', sandbox, 'index_bytes', rx.index_bytes,
                                             'ms', rx.ms || jsonb_build_object('total', round((extract(epoch FROM clock_timestamp() - t0) * 1000)::numeric, 2)));
            s := howdah_internal.advisor_sim_store(rec.snapshot_id, q.id, rec.id, NULL, mode, rx.before_plan, rx.after_plan, NULL, mean, is_drop, det);
        END IF;
    END IF;
    PERFORM set_config('lock_timeout', old_lock, true);
    IF s.error IS NOT NULL THEN
        RAISE NOTICE 'simulation %: query % could not be planned: %', s.id, q.id, s.error;
    END IF;
    RETURN s;
END;
$$;
COMMENT ON FUNCTION howdah_advisor.simulate(bigint, bigint, howdah_advisor.simulation_mode, text, text[]) IS
'Simulates a recommendation for one query and stores the result (a simulations row, returned): before/after cost, improvement_pct, gain (false under howdah_advisor.min_gain_pct), before_ms/after_ms (hypopg: the measured mean scaled by the cost ratio, an estimate), plan_changes, details (hypopg version, index sizes, timings). mode hypopg uses hypothetical indexes (hiding an index for a drop needs hypopg 1.4+); mode real builds the index in the sandbox schema only, runs EXPLAIN ANALYZE of the SELECT (params: values for its $n), and rolls back. A query that cannot be planned gives a row with its error. Bound it with statement_timeout. '
'Errors: 22023 bad mode, sandbox, params or recommendation type; P0002 unknown query or recommendation; 55000 hypopg missing or without hypopg_hide_index (HINT); 53400 no free slot or per-minute limit (HINT); 57014 timeout or cancel.';

CREATE FUNCTION howdah_advisor.simulate_set(rec_ids bigint[])
RETURNS howdah_advisor.simulation_sets
LANGUAGE plpgsql VOLATILE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
-- Applies every recommendation of `rec_ids` (one snapshot's) at once with hypopg — index
-- recommendations as hypothetical indexes, redundant/unused ones as hidden indexes (hypopg 1.4
-- or later) — and replans every query of that snapshot. Stores one simulation_sets row with the
-- totals weighted by calls (before_total_ms: sum of mean_ms × calls; after_total_ms: the same with
-- each mean scaled by its cost ratio, estimates; a query that cannot be planned counts as
-- unchanged) and one simulations row per query with its set_id. Returns the set.
DECLARE
    sid bigint;
    nsnap integer;
    ddls text[];
    hide oid[];
    bad record;
    set_row howdah_advisor.simulation_sets;
    slot integer;
    old_lock text;
    det jsonb;
    t0 timestamptz := clock_timestamp();
    s howdah_advisor.simulations;
    r record;
    bt double precision := 0;
    at double precision := 0;
    n integer := 0;
    nerr integer := 0;
    qids bigint[];
    sqls text[];
    means double precision[];
    calls bigint[];
BEGIN
    IF rec_ids IS NULL OR cardinality(rec_ids) = 0 OR array_position(rec_ids, NULL) IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value', MESSAGE = 'rec_ids must be a non-empty array of recommendation ids without NULL elements';
    END IF;
    SELECT u.id INTO bad FROM unnest(rec_ids) u(id) WHERE NOT EXISTS (SELECT FROM howdah_advisor.recommendations x WHERE x.id = u.id) LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'no_data_found', MESSAGE = format('no recommendation %s', bad.id);
    END IF;
    SELECT count(DISTINCT x.snapshot_id), min(x.snapshot_id) INTO nsnap, sid FROM howdah_advisor.recommendations x WHERE x.id = ANY (rec_ids);
    IF nsnap > 1 THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value', MESSAGE = 'rec_ids must all belong to one snapshot',
            HINT = 'Take the recommendations of the newest scan.';
    END IF;
    SELECT x.id, x.type INTO bad FROM howdah_advisor.recommendations x
     WHERE x.id = ANY (rec_ids)
       AND NOT ((x.type IN ('missing_index', 'composite_index') AND x.ddl ~* '^\s*create\s')
                OR (x.type IN ('redundant_index', 'unused_index') AND EXISTS (SELECT FROM pg_index i WHERE i.indexrelid = x.index_relid)))
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = format('recommendation %s (%s) cannot be simulated: a set takes index recommendations (create, or drop of an index that exists)', bad.id, bad.type);
    END IF;
    ddls := ARRAY(SELECT x.ddl FROM howdah_advisor.recommendations x WHERE x.id = ANY (rec_ids) AND x.type IN ('missing_index', 'composite_index') ORDER BY x.id);
    hide := ARRAY(SELECT x.index_relid FROM howdah_advisor.recommendations x WHERE x.id = ANY (rec_ids) AND x.type IN ('redundant_index', 'unused_index') ORDER BY x.id);
    PERFORM howdah_internal.advisor_require_hypopg();
    SELECT array_agg(m.query_id ORDER BY m.rank), array_agg(q.raw_sql ORDER BY m.rank), array_agg(m.mean_ms ORDER BY m.rank), array_agg(m.calls ORDER BY m.rank)
      INTO qids, sqls, means, calls
      FROM howdah_advisor.metrics m JOIN howdah_advisor.queries q ON q.id = m.query_id
     WHERE m.snapshot_id = sid AND q.verb <> 'utility';
    IF qids IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'object_not_in_prerequisite_state', MESSAGE = format('snapshot %s has no query to simulate', sid);
    END IF;

    slot := howdah_internal.advisor_sim_admit(true);
    old_lock := howdah_internal.advisor_sim_lock_timeout();
    INSERT INTO howdah_advisor.simulation_sets AS t (snapshot_id, rec_ids, mode)
    VALUES (sid, (SELECT array_agg(DISTINCT u.id ORDER BY u.id) FROM unnest(rec_ids) u(id)), 'hypopg')
    RETURNING t.* INTO set_row;
    FOR r IN SELECT * FROM howdah_internal.advisor_hypo_explain(sqls, ddls, hide, howdah_internal.advisor_search_path(sid)) LOOP
        det := jsonb_build_object('caller', 'set', 'slot', slot, 'indexes', r.indexes, 'ms', r.ms,
                                  'hypopg_version', (SELECT e.extversion FROM pg_extension e WHERE e.extname = 'hypopg'));
        s := howdah_internal.advisor_sim_store(sid, qids[r.ord], NULL, set_row.id, 'hypopg', r.before_plan, r.after_plan, r.error,
                                               means[r.ord], cardinality(ddls) = 0, det);
        n := n + 1;
        bt := bt + means[r.ord] * calls[r.ord];
        IF s.error IS NULL AND s.before_cost > 0 THEN
            at := at + means[r.ord] * calls[r.ord] * s.after_cost / s.before_cost;
        ELSE
            nerr := nerr + (s.error IS NOT NULL)::integer;
            at := at + means[r.ord] * calls[r.ord];
        END IF;
    END LOOP;
    UPDATE howdah_advisor.simulation_sets t
       SET before_total_ms = bt, after_total_ms = at,
           improvement_pct = CASE WHEN bt > 0 THEN round(((bt - at) / bt * 100)::numeric, 2)::double precision END,
           error = CASE WHEN nerr > 0 THEN format('%s of %s queries could not be planned (counted as unchanged): see their simulations', nerr, n) END
     WHERE t.id = set_row.id
    RETURNING t.* INTO set_row;
    PERFORM set_config('lock_timeout', old_lock, true);
    RAISE NOTICE 'simulation set %: % queries, % ms → % ms estimated (% %%) in % ms', set_row.id, n, round(bt::numeric), round(at::numeric),
        set_row.improvement_pct, round((extract(epoch FROM clock_timestamp() - t0) * 1000)::numeric);
    RETURN set_row;
END;
$$;
COMMENT ON FUNCTION howdah_advisor.simulate_set(bigint[]) IS
'Simulates a set of recommendations of one snapshot at once (hypothetical indexes; hidden indexes for drops with hypopg 1.4+) over every query of the snapshot, and stores the set (returned) with totals weighted by calls (before_total_ms, after_total_ms: estimates; improvement_pct) and one simulations row per query. '
'Errors: 22023 empty or NULL rec_ids, several snapshots, a recommendation that is not an index one; P0002 unknown recommendation; 55000 hypopg missing or without hypopg_hide_index, or no query in the snapshot; 53400 no free slot or per-minute limit (HINT); 57014 timeout or cancel.';

CREATE FUNCTION howdah_internal.advisor_prove(sid bigint)
RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
-- The scan stage that proves index recommendations: for every missing_index / composite_index
-- recommendation of snapshot `sid`, plans each query it lists (with metrics in the snapshot)
-- before and after its hypothetical index, stores the simulations, and sets benefit_ms (the mean
-- of the per-query ms saved, estimates), benefit_total_ms (ms saved × calls, summed) and
-- risk.index_bytes_est (hypopg_relation_size), and adds the simulations to evidence. A
-- recommendation none of whose queries gains (howdah_advisor.min_gain_pct) is deleted — no finding
-- beats a wrong one — and so is one whose index hypopg cannot create (recorded in the snapshot's
-- errors). Then ranks the snapshot (advisor_rank, when installed). Takes a simulation slot; not
-- counted in the per-minute limit. Returns the number of recommendations kept.
DECLARE
    rec record;
    r record;
    s howdah_advisor.simulations;
    slot integer;
    old_lock text;
    t0 timestamptz := clock_timestamp();
    qids bigint[];
    sqls text[];
    means double precision[];
    ncalls bigint[];
    sims jsonb;
    saved double precision[];
    saved_total double precision;
    bytes bigint;
    gained boolean;
    kept integer := 0;
    nsim integer := 0;
    removed jsonb := '[]'::jsonb;
    errs jsonb := '[]'::jsonb;
    rank_fn regprocedure;
    path text := howdah_internal.advisor_search_path(sid);
    -- Each query's baseline plan, planned once for the whole stage (no hypothetical index exists
    -- between two recommendations, so it cannot change): query id -> plan.
    baselines jsonb := '{}'::jsonb;
BEGIN
    PERFORM howdah_internal.advisor_require_snapshot(sid, 'sid (the snapshot id)');
    PERFORM howdah_internal.advisor_require_hypopg();
    slot := howdah_internal.advisor_sim_admit(false);
    old_lock := howdah_internal.advisor_sim_lock_timeout();
    FOR rec IN SELECT x.id, x.key, x.ddl, x.query_ids, x.evidence FROM howdah_advisor.recommendations x
                WHERE x.snapshot_id = sid AND x.type IN ('missing_index', 'composite_index') ORDER BY x.id LOOP
        -- A query whose predicate only pg_qualstats' example text shows (016) is planned from that text.
        SELECT array_agg(m.query_id ORDER BY m.query_id),
               array_agg(coalesce((SELECT e #>> '{qualstats,statement}' FROM jsonb_array_elements(rec.evidence -> 'queries') e
                                    WHERE (e ->> 'query_id')::bigint = m.query_id LIMIT 1), q.raw_sql) ORDER BY m.query_id),
               array_agg(m.mean_ms ORDER BY m.query_id), array_agg(m.calls ORDER BY m.query_id)
          INTO qids, sqls, means, ncalls
          FROM howdah_advisor.metrics m JOIN howdah_advisor.queries q ON q.id = m.query_id
         WHERE m.snapshot_id = sid AND m.query_id = ANY (rec.query_ids);
        IF qids IS NULL THEN
            DELETE FROM howdah_advisor.recommendations x WHERE x.id = rec.id;
            removed := removed || jsonb_build_object('key', rec.key, 'why', 'none of its queries has metrics in the snapshot');
            CONTINUE;
        END IF;
        sims := '[]'::jsonb;
        saved := '{}'::double precision[];
        saved_total := 0;
        bytes := NULL;
        gained := false;
        BEGIN
            FOR r IN SELECT * FROM howdah_internal.advisor_hypo_explain(sqls, ARRAY[rec.ddl], '{}', path,
                                   ARRAY(SELECT baselines -> q::text FROM unnest(qids) WITH ORDINALITY AS u(q, o) ORDER BY u.o)) LOOP
                IF r.before_plan IS NOT NULL THEN
                    baselines := baselines || jsonb_build_object(qids[r.ord]::text, r.before_plan);
                END IF;
                s := howdah_internal.advisor_sim_store(sid, qids[r.ord], rec.id, NULL, 'hypopg', r.before_plan, r.after_plan, r.error, means[r.ord], false,
                         jsonb_build_object('caller', 'prove', 'slot', slot, 'indexes', r.indexes, 'ms', r.ms,
                                            'hypopg_version', (SELECT e.extversion FROM pg_extension e WHERE e.extname = 'hypopg')));
                nsim := nsim + 1;
                bytes := (r.indexes #>> '{0,bytes}')::bigint;
                gained := gained OR coalesce(s.gain, false);
                IF s.error IS NULL THEN
                    saved := saved || greatest(coalesce(s.before_ms - s.after_ms, 0), 0);
                    saved_total := saved_total + greatest(coalesce(s.before_ms - s.after_ms, 0), 0) * ncalls[r.ord];
                END IF;
                sims := sims || jsonb_build_object('simulation_id', s.id, 'query_id', s.query_id, 'improvement_pct', s.improvement_pct,
                                                   'gain', s.gain, 'plan_changes', to_jsonb(s.plan_changes), 'error', s.error);
            END LOOP;
        EXCEPTION WHEN OTHERS THEN  -- hypopg could not create the index: this finding cannot be proved
            errs := errs || jsonb_build_object('stage', 'prove', 'object', rec.key, 'sqlstate', SQLSTATE, 'message', SQLERRM);
            gained := false;
        END;
        IF gained THEN
            UPDATE howdah_advisor.recommendations x
               SET benefit_ms = (SELECT avg(v) FROM unnest(saved) v),
                   benefit_total_ms = saved_total,
                   risk = x.risk || jsonb_strip_nulls(jsonb_build_object('index_bytes_est', bytes)),
                   evidence = x.evidence || jsonb_build_object('simulations', sims)
             WHERE x.id = rec.id;
            kept := kept + 1;
        ELSE
            DELETE FROM howdah_advisor.recommendations x WHERE x.id = rec.id;
            removed := removed || jsonb_build_object('key', rec.key, 'why', 'no simulated gain on any of its queries', 'simulations', sims);
        END IF;
    END LOOP;
    UPDATE howdah_advisor.snapshots x
       SET stats = x.stats || jsonb_build_object('prove', jsonb_build_object('kept', kept, 'removed', removed, 'simulations', nsim,
                                                 'ms', round((extract(epoch FROM clock_timestamp() - t0) * 1000)::numeric, 1))),
           errors = x.errors || errs
     WHERE x.id = sid;
    PERFORM set_config('lock_timeout', old_lock, true);
    -- advisor_rank comes with the rules (008_recommend.sql); called by oid so that this file
    -- does not depend on it.
    rank_fn := to_regprocedure('howdah_internal.advisor_rank(bigint)');
    IF rank_fn IS NOT NULL THEN
        EXECUTE format('SELECT %s($1)', rank_fn::oid::regproc) USING sid;
    END IF;
    RAISE NOTICE 'advisor prove %: % index recommendation(s) kept, % removed, % simulation(s), in % ms', sid, kept, jsonb_array_length(removed), nsim,
        round((extract(epoch FROM clock_timestamp() - t0) * 1000)::numeric);
    RETURN kept;
END;
$$;
COMMENT ON FUNCTION howdah_internal.advisor_prove(bigint) IS 'Scan stage: simulates every missing_index / composite_index recommendation of a snapshot against its queries, fills benefit_ms, benefit_total_ms, risk.index_bytes_est and evidence.simulations, deletes the ones with no gain (listed in the snapshot''s stats.prove), then ranks (advisor_rank when present). Returns the number kept. '
'Errors: 22023 NULL snapshot id; P0002 unknown snapshot; 55000 hypopg missing; 53400 no free simulation slot; 57014 timeout or cancel.';
