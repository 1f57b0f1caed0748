-- advisor code 016: pg_qualstats as a second source of index candidates, used when the database
-- has the extension and never required.
--
-- pg_qualstats (preloaded, then CREATE EXTENSION pg_qualstats) counts the predicates queries
-- really evaluate, keyed by pg_stat_statements' queryid: column op constant (with the constant,
-- how many rows it was evaluated on and how many it removed, and whether it ran as a filter or as
-- an index condition), and it keeps the first text of every queryid as it was sent, literals
-- included. It records nothing for a predicate on an expression (payload ->> 'kind' = 'x',
-- lower(email) = 'x'), but the example text has the constants that pg_stat_statements turned into
-- $n, so EXPLAIN of that text shows the expression with its key (payload ->> 'kind'::text).
--
-- advisor_index_candidates_all(sid) is what the index rules (008) read: the plan-backed
-- candidates of advisor_index_candidates(sid), with a higher confidence where pg_qualstats saw the
-- same predicates filter rows, plus candidates pg_qualstats alone shows:
--   * queries without a usable plan (not among capture_plans' top_k, or planning failed): their
--     column predicates, as pg_qualstats recorded them evaluated as a filter;
--   * expression predicates a $n text hides: the example text of at most 20 queries whose plan
--     compares an expression with a $n (or has no plan) is explained, and its scans' expression
--     predicates become candidates.
-- A candidate whose every column the query's own plan already compares on that table is left to
-- the plan rule. The guards are the plan rule's: table of at least howdah_advisor.index_min_rows
-- rows, selectivity within howdah_advisor.index_max_selectivity (pg_stats, or pg_qualstats' own
-- share of rows kept when that is larger: with other predicates in the same filter it is a lower
-- bound), no existing valid btree index serves it. When the extension is absent nothing changes;
-- when pg_qualstats cannot be read (library not preloaded, no privilege) the error goes to the
-- snapshot's errors and the plan-backed candidates are returned alone.
--
-- Errors: none (a failure to read pg_qualstats is recorded, never raised).

CREATE FUNCTION howdah_internal.advisor_qualstats_note(sid bigint, entry jsonb)
RETURNS void
LANGUAGE sql VOLATILE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    -- The index rules run twice per recommend() (single and multi-column): record a problem once.
    UPDATE howdah_advisor.snapshots s SET errors = s.errors || jsonb_build_array(entry)
     WHERE s.id = sid AND NOT s.errors @> jsonb_build_array(entry);
END;
COMMENT ON FUNCTION howdah_internal.advisor_qualstats_note(bigint, jsonb) IS 'Appends an entry to a snapshot''s errors unless the same entry is there already. Errors: none.';

CREATE FUNCTION howdah_internal.advisor_qualstats_example(example text, fingerprint text)
RETURNS text
LANGUAGE plpgsql STABLE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
-- The statement of pg_qualstats' example text that has `fingerprint`: the text itself, or, when
-- the client sent several statements in one string (pg_qualstats keeps the whole string), the
-- piece between semicolons that matches. NULL when none does (a semicolon inside a literal of
-- the statement splits it wrongly: no example then).
DECLARE
    piece text;
BEGIN
    IF example IS NULL OR fingerprint IS NULL THEN
        RETURN NULL;
    END IF;
    BEGIN
        IF howdah_advisor.fingerprint(example) = fingerprint THEN
            RETURN example;
        END IF;
    EXCEPTION WHEN syntax_error THEN
        NULL;   -- an unterminated literal: try the pieces
    END;
    FOR piece IN SELECT p FROM regexp_split_to_table(example, ';') p WHERE btrim(p, E' \t\r\n') <> '' LOOP
        BEGIN
            IF howdah_advisor.fingerprint(piece) = fingerprint THEN
                RETURN piece;
            END IF;
        EXCEPTION WHEN syntax_error THEN
            NULL;
        END;
    END LOOP;
    RETURN NULL;
END;
$$;
COMMENT ON FUNCTION howdah_internal.advisor_qualstats_example(text, text) IS 'The statement of a pg_qualstats example text (possibly several statements in one string) whose fingerprint is the given one, or NULL. Errors: none.';

CREATE FUNCTION howdah_internal.advisor_qualstats_preds(sid bigint, sch text)
RETURNS TABLE (query_id bigint, relid oid, grp text, col text, expr text, key text, ddl text, kind text, op text,
               value text, occurences bigint, execution_count bigint, nbfiltered bigint, node_id integer, cost_share double precision,
               statement text)
LANGUAGE plpgsql VOLATILE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
-- The predicates pg_qualstats (installed in schema `sch`) shows for the queries of snapshot
-- `sid`, one row per (query, table, group, column or expression):
--   grp 'qual:<id>': column op constant evaluated as a filter, from pg_qualstats(), grouped by the
--     AND they belong to (a lone predicate is its own group; several lone ones on one table of one
--     query may be the arms of an OR and are left out), with pg_qualstats' counters summed;
--   grp 'example:<node>': the column and expression predicates of a scan node in the plan of the
--     query's example text (only nodes with an expression), explained for the queries whose
--     stored plan compares an expression with a $n or has no plan (at most 20, by rank).
-- Raises whatever reading pg_qualstats raises (the caller records it). An example that cannot be
-- planned (the advisor's own nested statements, a parameter whose type cannot be inferred) is
-- skipped; the snapshot's stats.qualstats counts the examples planned and failed.
DECLARE
    examples jsonb;
    q record;
    stmt text;
    ex record;
    f jsonb;
    planned integer := 0;
    failed jsonb := '[]'::jsonb;
    code text;
    msg text;
BEGIN
    -- sch is an extension's schema from pg_extension, quoted with %I.
    RETURN QUERY EXECUTE format($q$
        WITH m AS (
            SELECT mm.query_id, u.queryid
              FROM howdah_advisor.metrics mm, unnest(mm.queryids) u(queryid)
             WHERE mm.snapshot_id = $1),
        qs AS (
            SELECT m.query_id, x.lrelid AS relid, x.lattnum, x.opno, x.qualid, x.qualnodeid, x.constvalue::text AS constvalue,
                   x.occurences, x.execution_count, x.nbfiltered
              FROM %I.pg_qualstats() x
              JOIN m ON m.queryid = x.queryid
             WHERE x.dbid = (SELECT d.oid FROM pg_catalog.pg_database d WHERE d.datname = pg_catalog.current_database())
               AND x.lrelid IS NOT NULL AND x.rrelid IS NULL AND x.eval_type = 'f'),
        lone AS (   -- tables where a query has several lone predicates: maybe an OR, never combined
            SELECT qs.query_id, qs.relid FROM qs WHERE qs.qualid IS NULL
             GROUP BY qs.query_id, qs.relid HAVING count(DISTINCT qs.qualnodeid) > 1)
        SELECT qs.query_id, qs.relid, 'qual:' || coalesce(qs.qualid, qs.qualnodeid), a.attname::text, NULL::text,
               pg_catalog.quote_ident(a.attname), pg_catalog.quote_ident(a.attname), o.kind,
               CASE WHEN o.op = '=' AND bool_or(qs.constvalue ~ '^''\{.*\}''::.*\[\]$') THEN 'in' ELSE o.op END,
               (pg_catalog.array_agg(qs.constvalue ORDER BY qs.execution_count DESC) FILTER (WHERE qs.constvalue <> ''))[1],
               sum(qs.occurences)::bigint, sum(qs.execution_count)::bigint, sum(qs.nbfiltered)::bigint, NULL::integer, NULL::double precision, NULL::text
          FROM qs
          JOIN pg_catalog.pg_attribute a ON a.attrelid = qs.relid AND a.attnum = qs.lattnum AND NOT a.attisdropped
          CROSS JOIN LATERAL (
              SELECT CASE WHEN ao.amopstrategy = 3 THEN 'eq' ELSE 'range' END AS kind,
                     (ARRAY['<', '<=', '=', '>=', '>'])[ao.amopstrategy] AS op
                FROM pg_catalog.pg_amop ao JOIN pg_catalog.pg_am am ON am.oid = ao.amopmethod
               WHERE am.amname = 'btree' AND ao.amopopr = qs.opno
               LIMIT 1) o
         WHERE NOT (qs.qualid IS NULL AND EXISTS (SELECT FROM lone l WHERE l.query_id = qs.query_id AND l.relid = qs.relid))
         GROUP BY qs.query_id, qs.relid, coalesce(qs.qualid, qs.qualnodeid), a.attname, o.kind, o.op$q$, sch)
    USING sid;

    -- Expression predicates: explain the example texts of the queries whose plan cannot show them.
    EXECUTE format($q$
        SELECT pg_catalog.jsonb_object_agg(e.queryid::text, e.query)
          FROM %I.pg_qualstats_example_queries() e
         WHERE e.queryid IN (SELECT u FROM howdah_advisor.metrics m, unnest(m.queryids) u WHERE m.snapshot_id = $1)$q$, sch)
       INTO examples USING sid;
    FOR q IN
        SELECT m.query_id, qu.fingerprint, qu.tables,
               (SELECT examples ->> u::text FROM unnest(m.queryids) u WHERE examples ? u::text LIMIT 1) AS example
          FROM howdah_advisor.metrics m JOIN howdah_advisor.queries qu ON qu.id = m.query_id
         WHERE m.snapshot_id = sid AND qu.verb IN ('select', 'update', 'delete')
           AND examples IS NOT NULL AND EXISTS (SELECT FROM unnest(m.queryids) u WHERE examples ? u::text)
           AND NOT EXISTS (   -- a plan that shows every predicate with its value
               SELECT FROM howdah_advisor.plans pl
                WHERE pl.snapshot_id = sid AND pl.query_id = m.query_id AND pl.plan_json IS NOT NULL
                  AND NOT EXISTS (SELECT FROM jsonb_array_elements(pl.facts -> 'predicates') x WHERE strpos(x ->> 'expr', '$') > 0))
         ORDER BY m.rank
         LIMIT 20
    LOOP
        stmt := howdah_internal.advisor_qualstats_example(q.example, q.fingerprint);
        CONTINUE WHEN stmt IS NULL;
        BEGIN
            ex := howdah_internal.advisor_explain(stmt, false, howdah_internal.advisor_search_path(sid));
            f := howdah_internal.advisor_plan_facts(ex.plan, q.tables);
        EXCEPTION WHEN OTHERS THEN
            GET STACKED DIAGNOSTICS code = RETURNED_SQLSTATE, msg = MESSAGE_TEXT;
            failed := failed || jsonb_build_object('query_id', q.query_id, 'sqlstate', code, 'message', msg);
            CONTINUE;
        END;
        planned := planned + 1;
        RETURN QUERY
            WITH nodes AS (
                SELECT s.node_id, s.relid::oid AS relid, s.cost
                  FROM jsonb_to_recordset(f -> 'seq_scans') AS s(node_id integer, relid bigint, cost double precision)
                 WHERE s.relid IS NOT NULL
                UNION ALL
                SELECT i.heap_node_id, i.relid::oid, i.cost
                  FROM jsonb_to_recordset(f -> 'index_scans') AS i(heap_node_id integer, relid bigint, cost double precision, filter text)
                 WHERE i.relid IS NOT NULL AND i.filter IS NOT NULL),
            pred AS (
                SELECT n.node_id, n.relid, x."column", x.expr, x.expr_key, x.kind, x.op, x.value,
                       least(1, greatest(n.cost, 0) / greatest((ex.plan #>> '{Plan,Total Cost}')::double precision, 1e-9)) AS share
                  FROM nodes n
                  JOIN jsonb_to_recordset(f -> 'predicates') AS x(node_id integer, relid bigint, "column" text, expr text, expr_key text,
                       op text, kind text, rhs text, value text, source text)
                    ON x.node_id = n.node_id AND x.relid = n.relid
                 WHERE x.source IN ('filter', 'index_cond') AND x.kind IN ('eq', 'range') AND x.rhs IN ('param', 'const')
                   AND (x."column" IS NOT NULL
                        OR x.expr IS NOT NULL AND strpos(x.expr, '$') = 0 AND howdah_internal.advisor_expr_immutable(n.relid, x.expr)))
            SELECT q.query_id, p.relid, 'example:' || p.node_id, p."column", p.expr,
                   coalesce(quote_ident(p."column"), p.expr_key),
                   coalesce(quote_ident(p."column"), CASE WHEN p.expr ~ '^\w+\(.*\)$' THEN p.expr ELSE '(' || p.expr || ')' END),
                   p.kind, p.op, p.value, NULL::bigint, NULL::bigint, NULL::bigint, p.node_id, p.share, stmt
              FROM pred p
             WHERE EXISTS (SELECT FROM pred e WHERE e.node_id = p.node_id AND e.expr IS NOT NULL);
    END LOOP;
    UPDATE howdah_advisor.snapshots s
       SET stats = s.stats || jsonb_build_object('qualstats', jsonb_build_object(
               'schema', sch, 'examples_planned', planned, 'examples_failed', jsonb_array_length(failed), 'failed', failed))
     WHERE s.id = sid;
END;
$$;
COMMENT ON FUNCTION howdah_internal.advisor_qualstats_preds(bigint, text) IS 'The predicates pg_qualstats (in schema sch) shows for a snapshot''s queries: column op constant filters from pg_qualstats() grouped by their AND, with execution counts, rows removed and an example constant; and the expression predicates of the plans of pg_qualstats'' example texts for queries whose plan hides them behind $n (counted in the snapshot''s stats.qualstats). Errors: none of its own; whatever reading pg_qualstats raises (42883 a function missing, 42501 no privilege ...) reaches the caller, which records it; an example that cannot be planned is skipped and counted.';

CREATE FUNCTION howdah_internal.advisor_qualstats_candidates(sid bigint, preds jsonb)
RETURNS TABLE (query_id bigint, relid oid, table_name text, node_id integer, cols text[], keys text[], n_eq integer,
               partial text, sel double precision, benefit_ms double precision, calls bigint, mean_ms double precision,
               confidence real, evidence jsonb, why text)
LANGUAGE plpgsql STABLE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
-- Index candidates from pg_qualstats' predicates `preds` (advisor_qualstats_preds as a JSON array)
-- that the snapshot's plans do not give, in advisor_index_candidates' shape: per (query, table,
-- group) the equality columns most selective first (each kept while it still narrows the rows,
-- as the plan rule does), then one range column; the guards of the plan rule.
DECLARE
    min_rows double precision := howdah_internal.advisor_setting('index_min_rows', 10000, 0);
    max_sel double precision := howdah_internal.advisor_setting('index_max_selectivity', 0.05, 0, 1, lo_included => false);
    g record;
    t record;
    pr record;
    m record;
    c_cols text[];
    c_keys text[];
    c_kinds text[];
    c_text text[];
    cur double precision;
    measured double precision;
    eff double precision;
    has_range boolean;
    share double precision;
    conf double precision;
    example_value text;
BEGIN
    FOR g IN
        SELECT x.query_id, x.relid, x.grp, array_agg(DISTINCT x.key) AS keys,
               max(x.occurences) AS occurences, max(x.execution_count) AS execution_count, max(x.nbfiltered) AS nbfiltered,
               -- pg_qualstats counts a filter's rows for each of its predicates (an IN once per element): the
               -- share kept, from the predicates that are not IN
               min(1 - x.nbfiltered::double precision / x.execution_count) FILTER (WHERE x.op <> 'in' AND x.execution_count > 0) AS kept,
               max(x.node_id) AS node_id, max(x.cost_share) AS cost_share, bool_or(x.expr IS NOT NULL) AS has_expr,
               max(x.statement) AS statement
          FROM jsonb_to_recordset(preds) AS x(query_id bigint, relid oid, grp text, key text, op text, expr text,
               occurences bigint, execution_count bigint, nbfiltered bigint, node_id integer, cost_share double precision,
               statement text)
         GROUP BY x.query_id, x.relid, x.grp
         ORDER BY x.query_id, x.relid, x.grp
    LOOP
        SELECT tb.rows_est, tb.name INTO t FROM howdah_advisor.tables tb WHERE tb.snapshot_id = sid AND tb.relid = g.relid;
        CONTINUE WHEN t.rows_est IS NULL OR t.rows_est < min_rows;
        SELECT mm.calls, mm.mean_ms INTO m FROM howdah_advisor.metrics mm WHERE mm.snapshot_id = sid AND mm.query_id = g.query_id;
        -- The plan of the query already compares every one of these columns on this table: the plan rule decided.
        CONTINUE WHEN NOT EXISTS (
            SELECT FROM unnest(g.keys) k
             WHERE NOT EXISTS (
                 SELECT FROM howdah_advisor.plans pl, jsonb_array_elements(pl.facts -> 'predicates') x
                  WHERE pl.snapshot_id = sid AND pl.query_id = g.query_id AND pl.plan_json IS NOT NULL
                    AND (x ->> 'relid')::oid = g.relid AND coalesce(quote_ident(x ->> 'column'), x ->> 'expr_key') = k));
        -- A group of pg_qualstats' whose columns an example plan's node (with the expression) also has: that one is the whole filter.
        CONTINUE WHEN g.grp LIKE 'qual:%' AND EXISTS (
            SELECT FROM jsonb_to_recordset(preds) AS y(query_id bigint, relid oid, grp text, key text)
             WHERE y.query_id = g.query_id AND y.relid = g.relid AND y.grp LIKE 'example:%'
             GROUP BY y.grp HAVING array_agg(y.key) @> g.keys);
        c_cols := '{}'; c_keys := '{}'; c_kinds := '{}'; c_text := '{}';
        cur := 1;
        has_range := false;
        FOR pr IN
            SELECT x.key, min(x.ddl) AS ddl, min(x.kind) AS kind,
                   least(1, howdah_internal.advisor_col_selectivity(g.relid, min(x.col), min(x.kind), min(x.op), t.rows_est)) AS s,
                   string_agg(DISTINCT coalesce(x.col, x.expr) || ' ' || CASE x.op WHEN 'in' THEN 'IN' ELSE x.op END
                                        || coalesce(' ' || x.value, ''), ' AND ') AS txt
              FROM jsonb_to_recordset(preds) AS x(query_id bigint, relid oid, grp text, col text, expr text, key text, ddl text,
                   kind text, op text, value text)
             WHERE x.query_id = g.query_id AND x.relid = g.relid AND x.grp = g.grp
             GROUP BY x.key
             ORDER BY min(x.kind) = 'eq' DESC, 4, 1
        LOOP
            IF pr.kind = 'eq' AND (cardinality(c_keys) = 0 OR t.rows_est * cur > 10 AND pr.s <= 0.5) THEN
                c_cols := c_cols || pr.ddl; c_keys := c_keys || pr.key; c_kinds := c_kinds || 'eq'::text; c_text := c_text || pr.txt;
                cur := cur * pr.s;
            ELSIF pr.kind = 'range' AND NOT has_range AND (cardinality(c_keys) = 0 OR t.rows_est * cur > 10) THEN
                c_cols := c_cols || pr.ddl; c_keys := c_keys || pr.key; c_kinds := c_kinds || 'range'::text; c_text := c_text || pr.txt;
                cur := cur * pr.s;
                has_range := true;
            END IF;
        END LOOP;
        CONTINUE WHEN cardinality(c_keys) = 0;
        -- pg_qualstats' share of rows kept covers the whole filter (other predicates too): never
        -- more selective than what it measured.
        measured := g.kept;
        eff := greatest(cur, coalesce(measured, 0));
        CONTINUE WHEN eff > max_sel;
        CONTINUE WHEN EXISTS (
            SELECT FROM howdah_advisor.indexes x
             WHERE x.snapshot_id = sid AND x.table_relid = g.relid AND x.is_valid AND x.method = 'btree' AND x.predicate IS NULL
               AND howdah_internal.advisor_index_serves(
                       ARRAY(SELECT howdah_internal.advisor_index_key(l.kinds, l.toks)
                               FROM unnest(x.columns) WITH ORDINALITY c(col, o), howdah_internal.advisor_lex(c.col) l ORDER BY c.o),
                       c_keys, coalesce(array_position(c_kinds, 'range'), cardinality(c_kinds) + 1) - 1));
        -- The scan's share of the query's cost: from the example's plan, else from the query's own
        -- plan on that table, else one half.
        share := coalesce(g.cost_share,
            (SELECT max(least(1, greatest((s ->> 'cost')::double precision, 0) / greatest(pl.total_cost, 1e-9)))
               FROM howdah_advisor.plans pl, jsonb_array_elements(pl.facts -> 'seq_scans') s
              WHERE pl.snapshot_id = sid AND pl.query_id = g.query_id AND pl.plan_json IS NOT NULL AND (s ->> 'relid')::oid = g.relid),
            0.5);
        conf := CASE WHEN cardinality(c_keys) = 1 THEN 0.75 ELSE 0.65 END
                + CASE WHEN eff <= 0.001 THEN 0.05 ELSE 0 END
                - CASE WHEN g.has_expr THEN 0.05 ELSE 0 END;
        example_value := (SELECT x.value FROM jsonb_to_recordset(preds) AS x(query_id bigint, relid oid, grp text, key text, value text)
                           WHERE x.query_id = g.query_id AND x.relid = g.relid AND x.grp = g.grp AND x.key = c_keys[1] LIMIT 1);
        query_id := g.query_id;
        relid := g.relid;
        table_name := t.name;
        node_id := g.node_id;
        cols := c_cols;
        keys := c_keys;
        n_eq := coalesce(array_position(c_kinds, 'range'), cardinality(c_kinds) + 1) - 1;
        partial := NULL;
        sel := eff;
        benefit_ms := coalesce(m.mean_ms, 0) * share * (1 - least(eff, 1));
        calls := coalesce(m.calls, 0);
        mean_ms := coalesce(m.mean_ms, 0);
        confidence := greatest(0.05, least(0.9, conf))::real;
        evidence := jsonb_strip_nulls(jsonb_build_object(
            'query_id', g.query_id, 'source', 'pg_qualstats', 'calls', m.calls, 'mean_ms', round(m.mean_ms::numeric, 3),
            'node_id', g.node_id, 'table_rows', t.rows_est, 'cost_share', round(share::numeric, 3), 'selectivity', eff,
            'predicates', to_jsonb(c_text),
            'qualstats', jsonb_build_object(
                'from', CASE WHEN g.grp LIKE 'example:%' THEN 'example query plan' ELSE 'pg_qualstats()' END,
                'executions', g.occurences, 'rows_evaluated', g.execution_count, 'rows_removed', g.nbfiltered,
                'kept_share', round(measured::numeric, 6), 'example_constant', example_value,
                -- the statement the prove stage plans instead of the $n text (011)
                'statement', g.statement)));
        why := format('pg_qualstats saw %s on %s (%s rows est.)%s; %s calls, mean %s ms',
                      array_to_string(c_text, ' AND '), t.name, to_char(t.rows_est, 'FM999,999,999,990'),
                      CASE WHEN g.grp LIKE 'example:%'
                           THEN ' in the text it kept of the query (pg_stat_statements shows the constants as $n)'
                           WHEN g.execution_count > 0
                           THEN format(' evaluated as a filter on %s rows in %s executions, keeping %s%% of them',
                                       g.execution_count, g.occurences, round((coalesce(measured, 0) * 100)::numeric, 2))
                           ELSE '' END,
                      coalesce(m.calls, 0), round(coalesce(m.mean_ms, 0)::numeric, CASE WHEN coalesce(m.mean_ms, 0) < 10 THEN 2 ELSE 0 END));
        RETURN NEXT;
    END LOOP;
END;
$$;
COMMENT ON FUNCTION howdah_internal.advisor_qualstats_candidates(bigint, jsonb) IS 'Index candidates from pg_qualstats'' predicates (advisor_qualstats_preds as JSON) that the snapshot''s plans do not give, in advisor_index_candidates'' shape, with the plan rule''s guards (table size, selectivity, no existing index serves it), confidence 0.75 (one column) or 0.65 and evidence citing pg_qualstats. Errors: none.';

CREATE FUNCTION howdah_internal.advisor_index_candidates_all(sid bigint)
RETURNS TABLE (query_id bigint, relid oid, table_name text, node_id integer, cols text[], keys text[], n_eq integer,
               partial text, sel double precision, benefit_ms double precision, calls bigint, mean_ms double precision,
               confidence real, evidence jsonb, why text)
LANGUAGE plpgsql VOLATILE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
-- What the index rules read: advisor_index_candidates(sid), and when pg_qualstats is installed
-- the candidates it adds (advisor_qualstats_candidates), with plan-backed candidates whose
-- columns pg_qualstats saw filter rows for the same query raised by 0.05 and citing it. Without
-- pg_qualstats, exactly advisor_index_candidates(sid). A failure to read pg_qualstats is recorded
-- in the snapshot's errors (stage recommend, source pg_qualstats) and the plan-backed candidates
-- are returned alone.
DECLARE
    sch text := howdah_internal.advisor_extension_schema('pg_qualstats');
    preds jsonb := '[]'::jsonb;
    code text;
    msg text;
BEGIN
    IF sch IS NOT NULL THEN
        BEGIN
            SELECT coalesce(jsonb_agg(to_jsonb(p)), '[]') INTO preds FROM howdah_internal.advisor_qualstats_preds(sid, sch) p;
        EXCEPTION WHEN OTHERS THEN
            GET STACKED DIAGNOSTICS code = RETURNED_SQLSTATE, msg = MESSAGE_TEXT;
            PERFORM howdah_internal.advisor_qualstats_note(sid, jsonb_build_object(
                'stage', 'recommend', 'source', 'pg_qualstats', 'sqlstate', code, 'message', msg));
            preds := '[]'::jsonb;
        END;
    END IF;
    IF preds = '[]'::jsonb THEN
        RETURN QUERY SELECT * FROM howdah_internal.advisor_index_candidates(sid);
        RETURN;
    END IF;
    RETURN QUERY
        WITH qs AS (
            SELECT x.query_id, x.relid, x.key, sum(x.occurences) AS occurences, sum(x.execution_count) AS execution_count,
                   sum(x.nbfiltered) AS nbfiltered
              FROM jsonb_to_recordset(preds) AS x(query_id bigint, relid oid, grp text, key text, occurences bigint,
                   execution_count bigint, nbfiltered bigint)
             WHERE x.grp LIKE 'qual:%'
             GROUP BY x.query_id, x.relid, x.key)
        SELECT c.query_id, c.relid, c.table_name, c.node_id, c.cols, c.keys, c.n_eq, c.partial, c.sel, c.benefit_ms, c.calls, c.mean_ms,
               CASE WHEN a.n = cardinality(c.keys) THEN least(0.95, c.confidence + 0.05)::real ELSE c.confidence END,
               CASE WHEN a.n = cardinality(c.keys)
                    THEN c.evidence || jsonb_build_object('qualstats', jsonb_build_object(
                             'executions', a.occurences, 'rows_evaluated', a.execution_count, 'rows_removed', a.nbfiltered))
                    ELSE c.evidence END,
               c.why || CASE WHEN a.n = cardinality(c.keys)
                             THEN format('; pg_qualstats agrees (filtered %s of %s rows evaluated)', a.nbfiltered, a.execution_count)
                             ELSE '' END
          FROM howdah_internal.advisor_index_candidates(sid) c
          LEFT JOIN LATERAL (
              SELECT count(*) AS n, max(qs.occurences) AS occurences, max(qs.execution_count) AS execution_count,
                     max(qs.nbfiltered) AS nbfiltered
                FROM qs WHERE qs.query_id = c.query_id AND qs.relid = c.relid AND qs.key = ANY (c.keys)) a ON true
        UNION ALL
        SELECT * FROM howdah_internal.advisor_qualstats_candidates(sid, preds);
END;
$$;
COMMENT ON FUNCTION howdah_internal.advisor_index_candidates_all(bigint) IS 'The index rules'' candidates: advisor_index_candidates (from plans) and, when pg_qualstats is installed, the ones only it shows (advisor_qualstats_candidates), plan-backed ones it confirms raised by 0.05. A failure to read pg_qualstats is recorded in the snapshot''s errors, never raised. Errors: none.';
