-- advisor code 008: recommendations — stage 4 of a scan. recommend() clears a snapshot's
-- recommendations, runs every rule (the index rules here; stats, rewrite, redundant and unused
-- index rules where they are installed) and ranks the result (advisor_rank).
--
-- The index rules read the plans capture_plans() stored. A scan node is a candidate when it
-- reads a table of at least howdah_advisor.index_min_rows rows (default 10000) with a Seq Scan, or
-- with an index scan whose Filter throws most fetched rows away; the inner Seq Scan of a Nested
-- Loop adds its join key, the big outer Seq Scan of a Hash Join against a few rows adds its hash
-- key, a Sort under a Limit adds its keys. Columns come from the node's predicates (equality,
-- range, IS [NOT] NULL; columns and immutable expressions such as lower(email) or doc ->> 'k'),
-- ordered equality (most selective first) → one range → sort keys, each kept only while it still
-- narrows the rows (pg_stats n_distinct and null_frac, reltuples). The index must read at most
-- howdah_advisor.index_max_selectivity of the table (default 0.05) unless it serves an ORDER BY
-- ... LIMIT. A selective IS NULL / IS NOT NULL becomes the WHERE of a partial index. An index
-- that an existing valid btree index already serves (same leading columns or expressions, in
-- any order for the equality part) is never recommended. One index for several queries (or for
-- a shorter candidate that is its prefix) is one row listing them all.
--
-- Errors: 22023 (invalid_parameter_value) for a NULL snapshot id; P0002 (no_data_found) for an
-- unknown snapshot.

CREATE FUNCTION howdah_internal.advisor_expr_immutable(rel oid, expr text)
RETURNS boolean
LANGUAGE plpgsql STABLE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
-- Whether an expression from a plan (lower(email), doc ->> 'k'::text, (created_at)::date) can key
-- an index: every function and operator in it has only IMMUTABLE implementations under its name,
-- and every cast is of a literal or of a column to a type whose cast is IMMUTABLE (timestamptz to
-- date is not: it depends on TimeZone). Conservative: false when in doubt.
DECLARE
    lx record;
    n integer;
    typ oid;
    target regtype;
    j integer;
    tname text;
BEGIN
    lx := howdah_internal.advisor_lex(expr);
    n := coalesce(cardinality(lx.toks), 0);
    FOR i IN 1 .. n LOOP
        IF lx.kinds[i] IN ('w', 'i') AND i < n AND lx.toks[i + 1] = '(' THEN
            IF NOT EXISTS (SELECT FROM pg_proc p WHERE p.proname = howdah_internal.advisor_ident_name(lx.kinds[i], lx.toks[i]))
               OR EXISTS (SELECT FROM pg_proc p WHERE p.proname = howdah_internal.advisor_ident_name(lx.kinds[i], lx.toks[i])
                             AND p.provolatile <> 'i') THEN
                RETURN false;
            END IF;
        ELSIF lx.kinds[i] = 'o' THEN
            IF NOT EXISTS (SELECT FROM pg_operator o WHERE o.oprname = lx.toks[i])
               OR EXISTS (SELECT FROM pg_operator o JOIN pg_proc p ON p.oid = o.oprcode
                           WHERE o.oprname = lx.toks[i] AND p.provolatile <> 'i') THEN
                RETURN false;
            END IF;
        ELSIF lx.toks[i] = '::' THEN
            CONTINUE WHEN i > 1 AND lx.kinds[i - 1] IN ('s', 'n');
            -- (column)::type
            IF NOT (i > 3 AND lx.toks[i - 1] = ')' AND lx.toks[i - 3] = '(' AND lx.kinds[i - 2] IN ('w', 'i')) THEN
                RETURN false;
            END IF;
            SELECT a.atttypid INTO typ FROM pg_attribute a
             WHERE a.attrelid = rel AND a.attname = howdah_internal.advisor_ident_name(lx.kinds[i - 2], lx.toks[i - 2])
               AND a.attnum > 0 AND NOT a.attisdropped;
            j := i + 1;
            tname := '';
            WHILE j <= n AND lx.kinds[j] IN ('w', 'i') LOOP
                tname := tname || ' ' || lx.toks[j];
                j := j + 1;
            END LOOP;
            target := to_regtype(btrim(tname));
            IF typ IS NULL OR target IS NULL THEN
                RETURN false;
            END IF;
            IF typ <> target AND NOT EXISTS (
                   SELECT FROM pg_cast c LEFT JOIN pg_proc p ON p.oid = c.castfunc
                    WHERE c.castsource = typ AND c.casttarget = target
                      AND (c.castmethod = 'b' OR c.castmethod = 'f' AND p.provolatile = 'i')) THEN
                RETURN false;
            END IF;
        END IF;
    END LOOP;
    RETURN true;
END;
$$;
COMMENT ON FUNCTION howdah_internal.advisor_expr_immutable(oid, text) IS 'Whether an expression printed by EXPLAIN can key an index on the relation (only IMMUTABLE functions, operators and casts). Errors: none.';

CREATE FUNCTION howdah_internal.advisor_col_selectivity(rel oid, col text, kind text, op text, rows_est double precision)
RETURNS double precision
LANGUAGE sql STABLE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    -- The share of rel's rows a predicate on column col keeps, from pg_stats as the planner would
    -- guess it for an unknown value: equality (1 - null_frac) / n_distinct, IN five times that,
    -- a range one third, IS NULL null_frac, IS NOT NULL 1 - null_frac. Without statistics
    -- (an expression, a table never analyzed): the planner's defaults (0.005, one third).
    SELECT CASE
               WHEN kind = 'null' AND st.null_frac IS NOT NULL
                   THEN CASE WHEN op = 'is null' THEN st.null_frac ELSE 1 - st.null_frac END
               WHEN kind = 'eq' AND st.n_distinct IS NOT NULL AND st.n_distinct <> 0
                   THEN least(1, (1 - st.null_frac)
                                 / greatest(1, CASE WHEN st.n_distinct > 0 THEN st.n_distinct ELSE -st.n_distinct * greatest(rows_est, 1) END)
                                 * CASE WHEN op = 'in' THEN 5 ELSE 1 END)
               WHEN kind = 'range' THEN 1.0 / 3
               ELSE 0.005
           END
      FROM (SELECT NULL) one
      LEFT JOIN LATERAL (
          SELECT s.null_frac::double precision AS null_frac, s.n_distinct::double precision AS n_distinct
            FROM pg_catalog.pg_class c
            JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
            JOIN pg_catalog.pg_stats s ON s.schemaname = n.nspname AND s.tablename = c.relname AND s.attname = col
           WHERE c.oid = rel
           ORDER BY s.inherited
           LIMIT 1) st ON true;
END;
COMMENT ON FUNCTION howdah_internal.advisor_col_selectivity(oid, text, text, text, double precision) IS 'The estimated share of a table''s rows a predicate keeps (pg_stats: n_distinct, null_frac), for an unknown value. Errors: none.';

CREATE FUNCTION howdah_internal.advisor_index_key(kinds text[], toks text[])
RETURNS text
LANGUAGE sql IMMUTABLE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
RETURN howdah_internal.advisor_expr_key(kinds, toks);
COMMENT ON FUNCTION howdah_internal.advisor_index_key(text[], text[]) IS 'The canonical key of an index column or expression (advisor_expr_key). Errors: none.';

CREATE FUNCTION howdah_internal.advisor_index_serves(idx_keys text[], keys text[], n_eq integer)
RETURNS boolean
LANGUAGE sql IMMUTABLE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
-- An index with key columns idx_keys serves a candidate (keys, the first n_eq of them equality
-- columns) when it starts with the same equality columns in any order, then the rest in order.
RETURN cardinality(idx_keys) >= cardinality(keys)
   AND (SELECT array_agg(k ORDER BY k) FROM unnest(idx_keys[1:n_eq]) k) IS NOT DISTINCT FROM (SELECT array_agg(k ORDER BY k) FROM unnest(keys[1:n_eq]) k)
   AND idx_keys[n_eq + 1:cardinality(keys)] = keys[n_eq + 1:cardinality(keys)];
COMMENT ON FUNCTION howdah_internal.advisor_index_serves(text[], text[], integer) IS 'Whether an existing index''s key columns serve a candidate''s (equality columns in any order first, then the rest in order). Errors: none.';

CREATE FUNCTION howdah_internal.advisor_index_candidates(sid bigint)
RETURNS TABLE (query_id bigint, relid oid, table_name text, node_id integer, cols text[], keys text[], n_eq integer,
               partial text, sel double precision, benefit_ms double precision, calls bigint, mean_ms double precision,
               confidence real, evidence jsonb, why text)
LANGUAGE plpgsql STABLE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
-- One row per (query, scan node) that an index would serve better, from the plans of snapshot
-- `sid` (see the file's header for the rules): the index columns in order (cols as DDL writes them,
-- keys canonical), how many lead as equality columns, the partial predicate, the share of the
-- table it would read, the estimated time saved per call, and the facts behind it.
DECLARE
    min_rows double precision := howdah_internal.advisor_setting('index_min_rows', 10000, 0);
    max_sel double precision := howdah_internal.advisor_setting('index_max_selectivity', 0.05, 0, 1, lo_included => false);
    p record;
    n record;
    t record;
    pr record;
    srt jsonb;
    c_cols text[];
    c_keys text[];
    c_kinds text[];
    c_text text[];
    cur double precision;
    eff double precision;
    has_range boolean;
    sorted boolean;
    analyzed boolean;
    c_partial text;
    parts text[];
    share double precision;
    conf double precision;
BEGIN
    FOR p IN
        SELECT DISTINCT ON (pl.query_id) pl.query_id, pl.kind, pl.total_cost, pl.facts, m.calls, m.mean_ms
          FROM howdah_advisor.plans pl
          JOIN howdah_advisor.metrics m ON m.snapshot_id = pl.snapshot_id AND m.query_id = pl.query_id
         WHERE pl.snapshot_id = sid AND pl.plan_json IS NOT NULL
         ORDER BY pl.query_id, pl.kind = 'analyze' DESC, pl.kind
    LOOP
        analyzed := p.kind = 'analyze';
        -- The scan nodes worth a look: Seq Scans, and index scans whose Filter throws most rows away.
        FOR n IN
            SELECT s.node_id, (s.relid)::oid AS relid, s.node, s.rows, s.cost, s.filter, NULL::text AS index_name
              FROM jsonb_to_recordset(p.facts -> 'seq_scans') AS s(node_id integer, relid bigint, rows double precision, cost double precision,
                                                                    filter text, node text)
             WHERE s.relid IS NOT NULL
            UNION ALL
            SELECT i.heap_node_id, (i.relid)::oid, i.node, i.rows, i.cost, i.filter, i.index
              FROM jsonb_to_recordset(p.facts -> 'index_scans') AS i(heap_node_id integer, relid bigint, rows double precision, cost double precision,
                                                                      filter text, node text, index text, rows_removed double precision)
             WHERE i.relid IS NOT NULL AND i.filter IS NOT NULL
        LOOP
            SELECT tb.rows_est, tb.name INTO t FROM howdah_advisor.tables tb WHERE tb.snapshot_id = sid AND tb.relid = n.relid;
            CONTINUE WHEN t.rows_est IS NULL OR t.rows_est < min_rows;
            -- The node's indexable predicates, one per column or expression, with its selectivity;
            -- join keys count once per outer row (Nested Loop inner side) or inner row (Hash Join outer side).
            c_cols := '{}'; c_keys := '{}'; c_kinds := '{}'; c_text := '{}';
            cur := 1;
            has_range := false;
            sorted := false;
            c_partial := NULL;
            FOR pr IN
                WITH pred AS (
                    SELECT x.*, 1::double precision AS loops
                      FROM jsonb_to_recordset(p.facts -> 'predicates') AS x(node_id integer, relid bigint, "column" text, expr text,
                           expr_key text, op text, operator text, kind text, rhs text, value text, other text, source text, alias text)
                     WHERE x.node_id = n.node_id AND x.relid = n.relid AND x.source IN ('filter', 'index_cond')
                    UNION ALL
                    SELECT x.*, CASE WHEN j.node = 'Nested Loop' THEN greatest(j.outer_rows, 1) ELSE greatest(j.inner_rows, 1) END
                      FROM jsonb_to_recordset(p.facts -> 'joins') AS j(node_id integer, node text, inner_node_id integer, outer_node_id integer,
                                                                        inner_rows double precision, outer_rows double precision)
                      JOIN jsonb_to_recordset(p.facts -> 'predicates') AS x(node_id integer, relid bigint, "column" text, expr text,
                           expr_key text, op text, operator text, kind text, rhs text, value text, other text, source text, alias text)
                        ON x.node_id = j.node_id AND x.source = 'join' AND x.relid = n.relid AND x.kind = 'eq'
                     WHERE (j.node = 'Nested Loop' AND j.inner_node_id = n.node_id)
                        OR (j.node = 'Hash Join' AND j.outer_node_id = n.node_id AND j.inner_rows <= 1000 AND j.inner_rows * 100 <= n.rows)),
                usable AS (
                    SELECT d.*, coalesce(quote_ident(d."column"), d.expr_key) AS key,
                           coalesce(quote_ident(d."column"),
                                    CASE WHEN d.expr ~ '^\w+\(.*\)$' THEN d.expr ELSE '(' || d.expr || ')' END) AS ddl,
                           coalesce(d."column", d.expr) || ' ' || d.operator
                               || coalesce(' ' || coalesce(d.value, d.other), '')
                               || CASE WHEN d.source = 'join' THEN ' (join key)' ELSE '' END AS txt,
                           least(1, howdah_internal.advisor_col_selectivity(n.relid,
                               coalesce(d."column", (SELECT r FROM regexp_matches(d.expr, '^\w+\((\w+)\)$') r0, unnest(r0) r)),
                               d.kind, d.op, t.rows_est) * d.loops) AS s
                      FROM pred d
                     WHERE d.kind IN ('eq', 'range', 'null')
                       AND (d."column" IS NOT NULL
                            OR d.expr IS NOT NULL AND strpos(d.expr, '$') = 0 AND howdah_internal.advisor_expr_immutable(n.relid, d.expr))
                       -- compared with a value, or with another relation's column
                       AND (d.rhs IN ('param', 'const') OR d.rhs = 'column' AND d.source = 'join'
                            OR d.rhs = 'column' AND d.other LIKE '%.%' AND split_part(d.other, '.', 1) IS DISTINCT FROM d.alias))
                SELECT u.key, min(u.ddl) AS ddl, min(u.kind) AS kind, min(u.op) AS op,
                       -- two bounds on one column (BETWEEN): the planner's 0.005
                       CASE WHEN min(u.kind) = 'range' AND count(DISTINCT left(u.op, 1)) = 2 THEN 0.005 ELSE min(u.s) END AS s,
                       string_agg(DISTINCT u.txt, ' AND ') AS txt, bool_or(u.rhs = 'const') AS literal
                  FROM usable u
                 GROUP BY u.key
                 ORDER BY min(u.kind) = 'eq' DESC, min(u.kind) = 'range' DESC, 5, 1
            LOOP
                IF pr.kind = 'eq' AND (cardinality(c_keys) = 0 OR t.rows_est * cur > 10 AND pr.s <= 0.5) THEN
                    c_cols := c_cols || pr.ddl; c_keys := c_keys || pr.key; c_kinds := c_kinds || 'eq'::text; c_text := c_text || pr.txt;
                    cur := cur * pr.s;
                ELSIF pr.kind = 'range' AND NOT has_range AND (cardinality(c_keys) = 0 OR t.rows_est * cur > 10) THEN
                    c_cols := c_cols || pr.ddl; c_keys := c_keys || pr.key; c_kinds := c_kinds || 'range'::text; c_text := c_text || pr.txt;
                    cur := cur * CASE WHEN pr.literal THEN least(pr.s, greatest(n.rows, 1) / t.rows_est) ELSE pr.s END;
                    has_range := true;
                ELSIF pr.kind = 'null' AND pr.s <= 0.2 AND c_partial IS NULL THEN
                    c_partial := pr.ddl || ' ' || upper(pr.op);
                    c_text := c_text || pr.txt;
                    cur := cur * pr.s;
                    IF cardinality(c_keys) = 0 THEN
                        c_cols := c_cols || pr.ddl; c_keys := c_keys || pr.key; c_kinds := c_kinds || 'null'::text;
                    END IF;
                END IF;
            END LOOP;
            -- ORDER BY ... LIMIT over this table: its keys after the equality columns.
            SELECT s INTO srt FROM jsonb_array_elements(p.facts -> 'sorts') s
             WHERE (s ->> 'relid')::oid = n.relid AND (s ->> 'limit')::boolean
               AND NOT EXISTS (SELECT FROM jsonb_array_elements(s -> 'columns') k WHERE k ->> 'column' IS NULL)
             LIMIT 1;
            IF srt IS NOT NULL AND NOT has_range AND (cardinality(c_keys) = 0 OR t.rows_est * cur > 10) THEN
                SELECT c_cols || array_agg(quote_ident(k ->> 'column')
                                           || CASE WHEN (k ->> 'desc')::boolean AND EXISTS (SELECT FROM jsonb_array_elements(srt -> 'columns') k2 WHERE NOT (k2 ->> 'desc')::boolean)
                                                   THEN ' DESC' ELSE '' END ORDER BY o),
                       c_keys || array_agg(quote_ident(k ->> 'column') ORDER BY o)
                  INTO c_cols, c_keys
                  FROM jsonb_array_elements(srt -> 'columns') WITH ORDINALITY e(k, o)
                 WHERE NOT quote_ident(k ->> 'column') = ANY (c_keys);
                c_kinds := c_kinds || array_fill('sort'::text, ARRAY[cardinality(c_keys) - cardinality(c_kinds)]);
                c_text := c_text || ('sorts by ' || array_to_string(ARRAY(SELECT jsonb_array_elements_text(srt -> 'keys')), ', ') || ' under a LIMIT');
                sorted := true;
            END IF;
            CONTINUE WHEN cardinality(c_keys) = 0;
            -- Selective enough, unless it serves ORDER BY ... LIMIT.
            eff := cur;
            CONTINUE WHEN eff > max_sel AND NOT sorted;
            -- Never what an existing valid btree index serves.
            CONTINUE WHEN EXISTS (
                SELECT FROM howdah_advisor.indexes x
                 WHERE x.snapshot_id = sid AND x.table_relid = n.relid AND x.is_valid AND x.method = 'btree'
                   AND (x.predicate IS NULL OR x.predicate = c_partial
                        OR replace(x.predicate, '(', '') = replace(coalesce(c_partial, ''), '(', ''))
                   AND howdah_internal.advisor_index_serves(
                           ARRAY(SELECT howdah_internal.advisor_index_key(l.kinds, l.toks)
                                   FROM unnest(x.columns) WITH ORDINALITY c(col, o), howdah_internal.advisor_lex(c.col) l ORDER BY c.o),
                           c_keys, coalesce(array_position(c_kinds, 'range'), array_position(c_kinds, 'sort'), cardinality(c_kinds) + 1) - 1));
            share := least(1, greatest(n.cost, 0) / greatest(p.total_cost, 1e-9));
            conf := CASE WHEN cardinality(c_keys) = 1 THEN 0.8 ELSE 0.7 END
                    + CASE WHEN analyzed THEN 0.1 ELSE 0 END
                    + CASE WHEN eff <= 0.001 THEN 0.05 ELSE 0 END
                    - CASE WHEN sorted AND eff > max_sel THEN 0.15 ELSE 0 END
                    - CASE WHEN EXISTS (SELECT FROM unnest(c_keys) k WHERE k LIKE '%(%' OR k LIKE '% %') THEN 0.05 ELSE 0 END;
            parts := c_text;
            query_id := p.query_id;
            relid := n.relid;
            table_name := t.name;
            node_id := n.node_id;
            cols := c_cols;
            keys := c_keys;
            n_eq := coalesce(array_position(c_kinds, 'range'), array_position(c_kinds, 'sort'), cardinality(c_kinds) + 1) - 1;
            partial := c_partial;
            sel := eff;
            benefit_ms := p.mean_ms * share * (1 - least(eff, 1)) * CASE WHEN sorted AND eff > max_sel THEN 0.9 ELSE 1 END;
            calls := p.calls;
            mean_ms := p.mean_ms;
            confidence := greatest(0.05, least(0.95, conf))::real;
            evidence := jsonb_strip_nulls(jsonb_build_object(
                'query_id', p.query_id, 'plan_kind', p.kind, 'calls', p.calls, 'mean_ms', round(p.mean_ms::numeric, 3),
                'node_id', n.node_id, 'node', n.node, 'index_used', n.index_name, 'filter', n.filter,
                'node_rows', n.rows, 'table_rows', t.rows_est, 'cost_share', round(share::numeric, 3),
                'selectivity', eff, 'predicates', to_jsonb(parts)));
            why := format('%s on %s (%s rows est.)%s %s; %s calls, mean %s ms',
                          n.node, t.name, to_char(t.rows_est, 'FM999,999,999,990'),
                          CASE WHEN n.index_name IS NOT NULL THEN ' using ' || n.index_name END,
                          CASE WHEN cardinality(parts) > 0 THEN 'filters ' || array_to_string(parts, ' AND ') ELSE '' END,
                          p.calls, round(p.mean_ms::numeric, CASE WHEN p.mean_ms < 10 THEN 2 ELSE 0 END));
            RETURN NEXT;
        END LOOP;
    END LOOP;
END;
$$;
COMMENT ON FUNCTION howdah_internal.advisor_index_candidates(bigint) IS 'One row per query and scan node of a snapshot''s plans that a new btree index would serve: columns in reasoned order (equality, one range, sort keys), partial predicate, share of the table read, estimated ms saved per call, confidence, evidence and a sentence quoting the facts. Errors: none.';

CREATE FUNCTION howdah_internal.advisor_index_rule(sid bigint, composite boolean)
RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
-- Turns the snapshot's index candidates into recommendations: one row per (table, columns,
-- partial predicate), listing every query it serves; a candidate whose columns start another
-- candidate's (same table and predicate) folds into the longer one, which serves it too. With
-- composite false it writes the single-column ones (missing_index), else the others
-- (composite_index). Returns the number of rows written.
DECLARE
    written integer;
BEGIN
    WITH c AS (   -- the plans' candidates, and pg_qualstats' when it is installed (016)
        SELECT * FROM howdah_internal.advisor_index_candidates_all(sid)),
    g AS (
        SELECT c.relid, c.table_name, c.cols, c.keys, max(c.n_eq) AS n_eq, c.partial
          FROM c GROUP BY c.relid, c.table_name, c.cols, c.keys, c.partial),
    target AS (   -- the longest candidate each one is a prefix of (itself when none)
        SELECT g.*, (SELECT y.cols FROM g y
                      WHERE y.relid = g.relid AND y.partial IS NOT DISTINCT FROM g.partial
                        AND y.keys[1:cardinality(g.keys)] = g.keys
                      ORDER BY cardinality(y.keys) DESC, y.cols LIMIT 1) AS t_cols
          FROM g),
    merged AS (
        SELECT t.relid, t.table_name, t.t_cols AS cols, t.partial, c.query_id, c.calls, c.mean_ms, c.benefit_ms, c.confidence,
               c.sel, c.evidence, c.why, (SELECT y.n_eq FROM g y WHERE y.relid = t.relid AND y.cols = t.t_cols
                                            AND y.partial IS NOT DISTINCT FROM t.partial LIMIT 1) AS n_eq
          FROM target t JOIN c ON c.relid = t.relid AND c.cols = t.cols AND c.partial IS NOT DISTINCT FROM t.partial),
    per_query AS (   -- a query counts once per index, with its best node
        SELECT DISTINCT ON (m.relid, m.cols, m.partial, m.query_id) m.*
          FROM merged m ORDER BY m.relid, m.cols, m.partial, m.query_id, m.benefit_ms DESC),
    rec AS (
        SELECT q.relid, q.table_name, q.cols, q.partial, max(q.n_eq) AS n_eq,
               array_agg(q.query_id ORDER BY q.benefit_ms * q.calls DESC, q.query_id) AS query_ids,
               sum(q.benefit_ms * q.calls) AS benefit_total_ms, sum(q.calls) AS calls, min(q.sel) AS sel,
               max(q.confidence) + least(0.05, 0.01 * (count(*) - 1)) AS confidence,
               (array_agg(q.why ORDER BY q.benefit_ms * q.calls DESC, q.query_id))[1] AS why,
               jsonb_agg(q.evidence ORDER BY q.benefit_ms * q.calls DESC, q.query_id) AS evidence
          FROM per_query q
         GROUP BY q.relid, q.table_name, q.cols, q.partial),
    risk AS (
        SELECT r.relid, tb.write_rate, tb.table_bytes, tb.rows_est,
               (SELECT count(*) FROM howdah_advisor.indexes x WHERE x.snapshot_id = sid AND x.table_relid = r.relid) AS index_count
          FROM (SELECT DISTINCT rec.relid FROM rec) r
          LEFT JOIN howdah_advisor.tables tb ON tb.snapshot_id = sid AND tb.relid = r.relid),
    ins AS (
        INSERT INTO howdah_advisor.recommendations AS o (snapshot_id, type, key, table_relid, table_name, columns, query_ids, ddl,
               rationale, confidence, risk, evidence, benefit_ms, benefit_total_ms)
        SELECT sid,
               CASE WHEN cardinality(r.cols) = 1 THEN 'missing_index' ELSE 'composite_index' END::howdah_advisor.recommendation_type,
               format('index:%s(%s)%s', r.table_name, array_to_string(r.cols, ','), ' where ' || r.partial),
               r.relid, r.table_name, r.cols, r.query_ids,
               format('CREATE INDEX CONCURRENTLY ON %s USING btree (%s)%s', r.table_name, array_to_string(r.cols, ', '), ' WHERE ' || r.partial),
               r.why || format('. An index on (%s)%s would read about %s of the table''s rows.', array_to_string(r.cols, ', '),
                               ' WHERE ' || r.partial,
                               CASE WHEN r.sel >= 0.001 THEN round((r.sel * 100)::numeric, 1) || '%'
                                    ELSE to_char(greatest(r.sel * k.rows_est, 1), 'FM999,999,990') || ' (' || round((r.sel * 100)::numeric, 4) || '%)' END)
                    || CASE WHEN cardinality(r.query_ids) > 1
                            THEN format(' It serves %s queries (ids %s), %s calls in all.', cardinality(r.query_ids),
                                        array_to_string(r.query_ids, ', '), r.calls) ELSE '' END,
               least(0.95, r.confidence)::real,
               (jsonb_build_object(
                   'write_rate', round(k.write_rate::numeric, 2), 'index_count', k.index_count, 'table_bytes', k.table_bytes,
                   'lock', 'CREATE INDEX CONCURRENTLY takes a SHARE UPDATE EXCLUSIVE lock: reads and writes go on, schema changes and VACUUM wait; '
                           || 'it scans the table twice, cannot run inside a transaction block, and leaves an INVALID index to drop if it fails.',
                   'level', CASE WHEN k.write_rate >= 500 OR k.index_count >= 10 THEN 'high'
                                 WHEN k.write_rate >= 50 OR k.index_count >= 6 OR k.table_bytes >= 10::bigint * 1024 * 1024 * 1024 THEN 'medium'
                                 ELSE 'low' END)),
               jsonb_build_object('queries', r.evidence, 'selectivity', r.sel, 'table_rows', k.rows_est, 'equality_columns', r.n_eq,
                                  'partial', r.partial),
               r.benefit_total_ms / greatest(r.calls, 1), r.benefit_total_ms
          FROM rec r JOIN risk k ON k.relid = r.relid
         WHERE (cardinality(r.cols) > 1) = composite
        ON CONFLICT (snapshot_id, key) DO UPDATE
           SET query_ids = ARRAY(SELECT DISTINCT u FROM unnest(o.query_ids || excluded.query_ids) u ORDER BY u),
               confidence = greatest(o.confidence, excluded.confidence),
               benefit_total_ms = greatest(o.benefit_total_ms, excluded.benefit_total_ms),
               benefit_ms = greatest(o.benefit_ms, excluded.benefit_ms),
               evidence = excluded.evidence, rationale = excluded.rationale, risk = excluded.risk
        RETURNING 1)
    SELECT count(*) INTO written FROM ins;
    RETURN written;
END;
$$;
COMMENT ON FUNCTION howdah_internal.advisor_index_rule(bigint, boolean) IS 'Writes the snapshot''s index recommendations, deduplicated across queries (and folded into longer candidates they are a prefix of): single-column ones (composite false, missing_index) or multi-column ones (composite_index), with DDL, rationale, confidence, risk, evidence and estimated benefit. Errors: none.';

CREATE FUNCTION howdah_internal.advisor_rule_missing_index(sid bigint)
RETURNS integer
LANGUAGE sql VOLATILE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
RETURN howdah_internal.advisor_index_rule(sid, false);
COMMENT ON FUNCTION howdah_internal.advisor_rule_missing_index(bigint) IS 'Rule missing_index: single-column (or single-expression, or partial) btree indexes the snapshot''s plans lack. Returns the rows written. Errors: none.';

CREATE FUNCTION howdah_internal.advisor_rule_composite_index(sid bigint)
RETURNS integer
LANGUAGE sql VOLATILE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
RETURN howdah_internal.advisor_index_rule(sid, true);
COMMENT ON FUNCTION howdah_internal.advisor_rule_composite_index(bigint) IS 'Rule composite_index: multi-column btree indexes (equality, range, sort columns in that order) the snapshot''s plans lack. Returns the rows written. Errors: none.';

CREATE FUNCTION howdah_internal.advisor_rank(sid bigint)
RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
-- Numbers the snapshot's recommendations 1..n: by type (the enum's order: missing_index first),
-- then by benefit_total_ms (most first, unknown last), then id. Returns how many were ranked.
DECLARE
    ranked integer;
BEGIN
    -- rank is unique per snapshot: clear it before renumbering.
    UPDATE howdah_advisor.recommendations r SET rank = NULL WHERE r.snapshot_id = sid AND r.rank IS NOT NULL;
    UPDATE howdah_advisor.recommendations r
       SET rank = o.rn
      FROM (SELECT x.id, row_number() OVER (ORDER BY x.type, x.benefit_total_ms DESC NULLS LAST, x.id) AS rn
              FROM howdah_advisor.recommendations x WHERE x.snapshot_id = sid) o
     WHERE r.id = o.id;
    GET DIAGNOSTICS ranked = ROW_COUNT;
    RETURN ranked;
END;
$$;
COMMENT ON FUNCTION howdah_internal.advisor_rank(bigint) IS 'Ranks a snapshot''s recommendations: by type (missing_index, composite_index, stats, rewrite, redundant_index, unused_index), then benefit_total_ms, then id. Returns the number ranked. Errors: none.';

CREATE FUNCTION howdah_advisor.recommend(snapshot_id bigint)
RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
-- Stage 4 of a scan: deletes the snapshot's recommendations, runs every rule that is installed
-- (missing_index, composite_index, stats, rewrite, redundant_index, unused_index; each
-- howdah_internal.advisor_rule_<name>(bigint)), then ranks them. Returns the number of
-- recommendations. A rule that fails is recorded in the snapshot's errors and the others run.
DECLARE
    sid bigint := recommend.snapshot_id;
    started timestamptz := clock_timestamp();
    rule text;
    fn regprocedure;
    n integer;
    counts jsonb := '{}'::jsonb;
    errs jsonb := '[]'::jsonb;
    total integer;
    code text;
    msg text;
BEGIN
    PERFORM howdah_internal.advisor_require_snapshot(sid);
    DELETE FROM howdah_advisor.recommendations r WHERE r.snapshot_id = sid;
    FOREACH rule IN ARRAY ARRAY['missing_index', 'composite_index', 'stats', 'rewrite', 'redundant_index', 'unused_index'] LOOP
        fn := to_regprocedure(format('howdah_internal.advisor_rule_%s(bigint)', rule));
        CONTINUE WHEN fn IS NULL;
        BEGIN
            -- fn is a regprocedure from the fixed list above, never input.
            EXECUTE format('SELECT %s($1)', fn::oid::regproc) INTO n USING sid;
            counts := counts || jsonb_build_object(rule, coalesce(n, 0));
        EXCEPTION WHEN OTHERS THEN
            GET STACKED DIAGNOSTICS code = RETURNED_SQLSTATE, msg = MESSAGE_TEXT;
            errs := errs || jsonb_build_object('stage', 'recommend', 'rule', rule, 'sqlstate', code, 'message', msg);
        END;
    END LOOP;
    total := howdah_internal.advisor_rank(sid);
    UPDATE howdah_advisor.snapshots s
       SET stats = s.stats || jsonb_build_object('recommend', jsonb_build_object(
               'rules', counts, 'recommendations', total, 'errors', jsonb_array_length(errs),
               'ms', round((extract(epoch FROM clock_timestamp() - started) * 1000)::numeric, 1))),
           errors = s.errors || errs
     WHERE s.id = sid;
    RAISE NOTICE 'advisor recommend: snapshot %: % recommendations (%)', sid, total, counts;
    RETURN total;
END;
$$;
COMMENT ON FUNCTION howdah_advisor.recommend(bigint) IS
'Stage 4 of a scan: replaces the snapshot''s recommendations with what every installed rule finds (missing_index, composite_index, stats, rewrite, redundant_index, unused_index), then ranks them (type, then benefit_total_ms). A rule that fails is recorded in the snapshot''s errors. Returns the number of recommendations. '
'Errors: 22023 NULL snapshot id; P0002 unknown snapshot.';
