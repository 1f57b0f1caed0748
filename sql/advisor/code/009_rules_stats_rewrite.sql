-- advisor code 009: the rules that read plans — stats (the planner's row estimates are off: ANALYZE,
-- SET STATISTICS, CREATE STATISTICS) and rewrite (a query shape no index fixes: correlated
-- subquery, OR defeating an index, NOT IN over a nullable column, a function hiding an indexed
-- column) — and the helpers every rule of this file and of 010 shares. recommend() calls each
-- howdah_internal.advisor_rule_* function by name; the helpers here are named otherwise so that it
-- never mistakes one for a rule.
--
-- Errors: 22023 (invalid_parameter_value) for a NULL snapshot id or a bad setting (names it);
-- P0002 (no_data_found) for an unknown snapshot.

CREATE FUNCTION howdah_internal.advisor_duration_text(d interval)
RETURNS text
LANGUAGE sql IMMUTABLE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
-- A duration in words, rounded down: "3 days", "5 hours", "12 minutes".
RETURN CASE WHEN d IS NULL THEN 'an unknown time'
            WHEN d >= interval '2 days' THEN floor(extract(epoch FROM d) / 86400)::text || ' days'
            WHEN d >= interval '2 hours' THEN floor(extract(epoch FROM d) / 3600)::text || ' hours'
            ELSE greatest(floor(extract(epoch FROM d) / 60), 0)::text || ' minutes' END;
COMMENT ON FUNCTION howdah_internal.advisor_duration_text(interval) IS 'A duration in words (days, hours or minutes, rounded down). Errors: none.';

CREATE FUNCTION howdah_internal.advisor_walk_plan(plan jsonb)
RETURNS TABLE (path integer[], node jsonb, ancestors text[], relations text[], subplan text)
LANGUAGE sql IMMUTABLE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
-- Every node of an EXPLAIN (FORMAT JSON) object, depth first: its path of child positions from
-- the root ('{}'), the node without its children, the node types of its ancestors (root first;
-- joins with their join type, such as 'Nested Loop Semi'), the parent relationships from the
-- root's first child down to it ('Outer', 'Inner', 'SubPlan', 'InitPlan', ...), and the name of
-- the innermost subplan it belongs to ('SubPlan 1', 'hashed SubPlan 2', 'InitPlan 1 (returns $0)').
BEGIN ATOMIC
    WITH RECURSIVE w(path, node, ancestors, relations, subplan) AS (
        SELECT '{}'::integer[], plan -> 'Plan', '{}'::text[], '{}'::text[], NULL::text
         WHERE plan -> 'Plan' IS NOT NULL
        UNION ALL
        SELECT w.path || c.o::integer, c.child,
               w.ancestors || ((w.node ->> 'Node Type') || coalesce(' ' || (w.node ->> 'Join Type'), '')),
               w.relations || coalesce(c.child ->> 'Parent Relationship', ''),
               CASE WHEN c.child ->> 'Parent Relationship' IN ('SubPlan', 'InitPlan') THEN c.child ->> 'Subplan Name' ELSE w.subplan END
          FROM w, jsonb_array_elements(w.node -> 'Plans') WITH ORDINALITY AS c(child, o))
    SELECT w.path, w.node - 'Plans', w.ancestors, w.relations, w.subplan FROM w ORDER BY w.path;
END;
COMMENT ON FUNCTION howdah_internal.advisor_walk_plan(jsonb) IS 'Every node of an EXPLAIN (FORMAT JSON) object with its path, ancestors'' node types, parent relationships and enclosing subplan. Errors: none.';

CREATE FUNCTION howdah_internal.advisor_plan_relation(sid bigint, relname text, query_tables text[])
RETURNS oid
LANGUAGE plpgsql STABLE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
-- The table a plan node's "Relation Name" means (EXPLAIN without VERBOSE does not say the
-- schema): the snapshot's only table of that name, else the one the query names schema-qualified
-- or whose qualified name it names; NULL when that leaves none or several.
-- PL/pgSQL, not SQL: a SQL function with a SET clause is never inlined and plans its query again
-- at every call; PL/pgSQL keeps the plan for the session (it is called once per row or plan).
BEGIN
    RETURN (SELECT CASE WHEN count(*) = 1 THEN min(t.relid)
                        WHEN count(*) FILTER (WHERE t.name = ANY (query_tables) OR t.schema_name || '.' || t.table_name = ANY (query_tables)) = 1
                        THEN min(t.relid) FILTER (WHERE t.name = ANY (query_tables) OR t.schema_name || '.' || t.table_name = ANY (query_tables)) END
              FROM howdah_advisor.tables t WHERE t.snapshot_id = sid AND t.table_name = relname);
END;
$$;
COMMENT ON FUNCTION howdah_internal.advisor_plan_relation(bigint, text, text[]) IS 'The relid of the table a plan node names, resolved against the snapshot''s tables and the query''s table list; NULL when ambiguous or unknown. Errors: none.';

CREATE FUNCTION howdah_internal.advisor_cond_columns(rel oid, cond text,
    OUT all_cols text[], OUT cmp_cols text[], OUT eq_cols text[])
LANGUAGE sql STABLE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
-- The columns of table `rel` a condition as EXPLAIN prints it mentions (scan conditions print
-- bare column names, each clause in parentheses), in attnum order: all of them (inside function
-- calls too); those that are a bare operand of a comparison (=, <>, <, >, <=, >=, LIKE); and those
-- compared with = (or = ANY). String literals and type casts are removed first, so that
-- 'status'::text or ::date never count, and (a)::text = ... counts as a bare a.
BEGIN ATOMIC
    WITH c AS (SELECT regexp_replace(regexp_replace(coalesce(cond, ''), '''(?:[^'']|'''')*''', '''''', 'g'),
                                     '::("[^"]+"|[A-Za-z_][A-Za-z0-9_]*( (with|without) time zone| varying| precision)?)(\[\])?', '', 'g') AS s),
    ids AS (SELECT DISTINCT CASE WHEN m[1] LIKE '"%' THEN replace(substr(m[1], 2, length(m[1]) - 2), '""', '"') ELSE m[1] END AS id
              FROM c, regexp_matches(c.s, '("(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_$]*)(?![A-Za-z0-9_$"(])', 'g') AS m),
    cmp AS (SELECT DISTINCT CASE WHEN m[1] LIKE '"%' THEN replace(substr(m[1], 2, length(m[1]) - 2), '""', '"') ELSE m[1] END AS id,
                   m[2] = '=' AS eq
              FROM c, regexp_matches(c.s, '(?<![A-Za-z0-9_$"])\(+("(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_$]*)\)* (=|<>|<|>|<=|>=|~~|~~\*|!~~|!~~\*) ', 'g') AS m),
    cols AS (SELECT a.attname::text AS col, a.attnum FROM pg_attribute a
              WHERE a.attrelid = rel AND a.attnum > 0 AND NOT a.attisdropped)
    SELECT ARRAY(SELECT cols.col FROM cols WHERE cols.col IN (SELECT ids.id FROM ids) ORDER BY cols.attnum),
           ARRAY(SELECT cols.col FROM cols WHERE cols.col IN (SELECT cmp.id FROM cmp) ORDER BY cols.attnum),
           ARRAY(SELECT cols.col FROM cols WHERE cols.col IN (SELECT cmp.id FROM cmp WHERE cmp.eq) ORDER BY cols.attnum);
END;
COMMENT ON FUNCTION howdah_internal.advisor_cond_columns(oid, text) IS 'The columns of a table an EXPLAIN condition mentions: all, those compared bare, those compared with =. Errors: none.';

CREATE FUNCTION howdah_internal.advisor_rule_stats(sid bigint)
RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
-- Writes stats findings into snapshot `sid` where the planner's row estimate of a table scan is off
-- by a factor of howdah_advisor.skew_threshold (default 4) or more, with at least 100 rows on the
-- larger side (a plan expecting 2 rows that gets 9 is not worth a finding).
--  * With an EXPLAIN ANALYZE plan of the query: every Seq Scan, Index Scan, Index Only Scan and
--    Bitmap Heap Scan that ran, its Plan Rows against its Actual Rows (both per loop), except
--    under a Limit or on the inner side of a semi or anti join, where a node stops early.
--  * Otherwise, for a SELECT: the root's estimated rows against pg_stat_statements' rows per
--    call, attributed to the one scan the root reaches through Sort, Gather, Result, Materialize
--    or Memoize only (anything else changes the row count on the way).
-- The fix, for the scanned table: ANALYZE when it was never analyzed or more than 20 % of its
-- live rows (+ 50) changed since; else CREATE STATISTICS (dependencies, ndistinct) when the scan
-- compares two or more columns with = (no OR) and no extended statistics cover them; else, when it
-- compares one column, SET STATISTICS 1000 when that column's most-common-values list is full at
-- a target below 1000. Anything else gets no finding. Returns the number of findings written.
DECLARE
    snap howdah_advisor.snapshots := howdah_internal.advisor_require_snapshot(sid, 'sid (the snapshot id)');
    k double precision := howdah_internal.advisor_setting('skew_threshold', 4, 1);
    deftarget integer := current_setting('default_statistics_target')::integer;
    n integer;
BEGIN
    WITH pl AS (
        SELECT p.query_id, p.kind, p.plan_json, q.tables, q.verb
          FROM howdah_advisor.plans p JOIN howdah_advisor.queries q ON q.id = p.query_id
         WHERE p.snapshot_id = snap.id AND p.plan_json IS NOT NULL),
    skewed AS (
        -- Measured: every scan node of an analyze plan.
        SELECT pl.query_id, pl.tables, 'analyze' AS source, w.node,
               (w.node ->> 'Plan Rows')::double precision AS est, (w.node ->> 'Actual Rows')::double precision AS act
          FROM pl CROSS JOIN LATERAL howdah_internal.advisor_walk_plan(pl.plan_json) w
         WHERE pl.kind = 'analyze'
           AND w.node ->> 'Node Type' IN ('Seq Scan', 'Index Scan', 'Index Only Scan', 'Bitmap Heap Scan')
           AND (w.node ->> 'Actual Loops')::double precision > 0
           AND NOT EXISTS (SELECT FROM unnest(w.ancestors) a WHERE a = 'Limit' OR a ~ ' (Semi|Anti)$')
        UNION ALL
        -- Estimated against pg_stat_statements: the root, through row-preserving nodes to one scan.
        SELECT pl.query_id, pl.tables, 'pg_stat_statements', w.node,
               (pl.plan_json #>> '{Plan,Plan Rows}')::double precision, m.rows::double precision / m.calls
          FROM pl
          JOIN howdah_advisor.metrics m ON m.snapshot_id = snap.id AND m.query_id = pl.query_id
          CROSS JOIN LATERAL howdah_internal.advisor_walk_plan(pl.plan_json) w
         WHERE pl.kind IN ('generic', 'estimate') AND pl.verb = 'select'
           AND NOT EXISTS (SELECT FROM pl a WHERE a.query_id = pl.query_id AND a.kind = 'analyze')
           AND w.node ->> 'Node Type' IN ('Seq Scan', 'Index Scan', 'Index Only Scan', 'Bitmap Heap Scan')
           AND w.ancestors <@ ARRAY['Sort', 'Incremental Sort', 'Gather', 'Gather Merge', 'Result', 'Materialize', 'Memoize']
           AND w.relations <@ ARRAY['Outer']),
    measured AS (
        SELECT s.*, greatest(greatest(s.act, 1) / greatest(s.est, 1), greatest(s.est, 1) / greatest(s.act, 1)) AS ratio,
               howdah_internal.advisor_plan_relation(snap.id, s.node ->> 'Relation Name', s.tables) AS relid,
               concat_ws(' AND ', s.node ->> 'Index Cond', s.node ->> 'Recheck Cond', s.node ->> 'Filter') AS cond
          FROM skewed s
         WHERE greatest(s.est, s.act) >= 100),
    facts AS (
        SELECT m.*, t.name AS table_name, format('%I.%I', t.schema_name, t.table_name) AS qtable, t.schema_name, t.table_name AS relname,
               t.last_analyzed, t.n_mod_since_analyze, t.n_live_tup, t.table_bytes, t.write_rate,
               (SELECT count(*) FROM howdah_advisor.indexes x WHERE x.snapshot_id = snap.id AND x.table_relid = m.relid) AS index_count,
               (t.last_analyzed IS NULL OR t.n_mod_since_analyze > 0.2 * t.n_live_tup + 50) AS stale,
               cc.all_cols, cc.cmp_cols, cc.eq_cols, mt.mean_ms, mt.calls
          FROM measured m
          JOIN howdah_advisor.tables t ON t.snapshot_id = snap.id AND t.relid = m.relid
          CROSS JOIN LATERAL howdah_internal.advisor_cond_columns(m.relid, m.cond) cc
          LEFT JOIN howdah_advisor.metrics mt ON mt.snapshot_id = snap.id AND mt.query_id = m.query_id
         WHERE m.ratio >= k AND EXISTS (SELECT FROM pg_class c WHERE c.oid = m.relid)),
    fixes AS (
        SELECT f.*,
               CASE WHEN f.stale THEN 'analyze'
                    WHEN cardinality(f.eq_cols) >= 2 AND f.cond !~* '\mOR\M'
                         AND NOT EXISTS (SELECT FROM pg_statistic_ext e
                                          WHERE e.stxrelid = f.relid AND 'f' = ANY (e.stxkind)
                                            AND (SELECT array_agg(a.attname::text) FROM pg_attribute a
                                                  WHERE a.attrelid = f.relid AND a.attnum = ANY (e.stxkeys)) @> f.eq_cols)
                         THEN 'create_statistics'
                    WHEN cardinality(f.eq_cols) >= 2 THEN NULL
                    WHEN cardinality(f.all_cols) = 1 AND f.cmp_cols = f.all_cols AND st.full_mcv AND st.target < 1000
                         THEN 'set_statistics' END AS fix,
               st.target, st.mcv_len
          FROM facts f
          LEFT JOIN LATERAL (
              SELECT coalesce(nullif(a.attstattarget, -1), deftarget) AS target, cardinality(s.most_common_freqs) AS mcv_len,
                     cardinality(s.most_common_freqs) >= coalesce(nullif(a.attstattarget, -1), deftarget) AS full_mcv
                FROM pg_attribute a
                JOIN pg_stats s ON s.schemaname = f.schema_name AND s.tablename = f.relname AND s.attname = a.attname
               WHERE a.attrelid = f.relid AND a.attname = f.all_cols[1] AND cardinality(f.all_cols) = 1
               ORDER BY s.inherited LIMIT 1) st ON true),
    keyed AS (
        SELECT x.*,
               'stats:' || x.table_name || '(' || CASE x.fix WHEN 'analyze' THEN '' WHEN 'create_statistics' THEN array_to_string(x.eq_cols, ',')
                                                             ELSE x.all_cols[1] END || ')' AS key,
               CASE x.fix WHEN 'analyze' THEN '{}'::text[] WHEN 'create_statistics' THEN x.eq_cols ELSE x.all_cols[1:1] END AS cols,
               jsonb_build_object('query_id', x.query_id, 'mean_ms', x.mean_ms, 'calls', x.calls, 'source', x.source,
                                  'node', x.node ->> 'Node Type', 'relation', x.table_name, 'condition', x.cond,
                                  'est_rows', x.est, 'act_rows', round(x.act::numeric, 1), 'ratio', round(x.ratio::numeric, 1)) AS ev
          FROM fixes x WHERE x.fix IS NOT NULL),
    grouped AS (
        SELECT DISTINCT ON (g.key) g.*,
               (SELECT array_agg(DISTINCT o.query_id ORDER BY o.query_id) FROM keyed o WHERE o.key = g.key) AS qids,
               (SELECT jsonb_agg(o.ev ORDER BY o.ratio DESC, o.query_id) FROM keyed o WHERE o.key = g.key) AS evs
          FROM keyed g
         ORDER BY g.key, (g.source = 'analyze') DESC, g.ratio DESC, g.query_id)
    INSERT INTO howdah_advisor.recommendations AS r
           (snapshot_id, confidence, table_relid, type, key, table_name, columns, query_ids, ddl, rationale, risk, evidence)
    SELECT snap.id,
           CASE g.fix WHEN 'analyze' THEN 0.8 WHEN 'create_statistics' THEN 0.7 ELSE 0.6 END
             * CASE WHEN g.source = 'analyze' THEN 1 ELSE 0.75 END,
           g.relid, 'stats', g.key, g.table_name, g.cols, g.qids,
           CASE g.fix
               WHEN 'analyze' THEN 'ANALYZE ' || g.qtable
               WHEN 'create_statistics' THEN
                   format('CREATE STATISTICS %I.%I (dependencies, ndistinct) ON %s FROM %s; ANALYZE %s', g.schema_name,
                          left(g.relname || '_' || array_to_string(g.eq_cols, '_') || '_stats', 63),
                          (SELECT string_agg(quote_ident(c), ', ') FROM unnest(g.eq_cols) c), g.qtable, g.qtable)
               ELSE format('ALTER TABLE %s ALTER COLUMN %I SET STATISTICS 1000; ANALYZE %s (%I)', g.qtable, g.all_cols[1], g.qtable, g.all_cols[1])
           END,
           format('The planner expected %s rows from the %s on %s (%s) and %s %s, %s× %s. ',
                  round(g.est::numeric), g.node ->> 'Node Type', g.table_name, coalesce(nullif(g.cond, ''), 'no condition'),
                  CASE WHEN g.source = 'analyze' THEN 'EXPLAIN ANALYZE counted' ELSE 'pg_stat_statements averages' END,
                  trim_scale(round(g.act::numeric, 1)), trim_scale(round(g.ratio::numeric, 1)), CASE WHEN g.act > g.est THEN 'more' ELSE 'fewer' END)
           || CASE g.fix
               WHEN 'analyze' THEN
                   CASE WHEN g.last_analyzed IS NULL THEN format('%s was never analyzed', g.table_name)
                        ELSE format('%s rows of %s changed since it was last analyzed %s ago, against %s live rows', g.n_mod_since_analyze,
                                    g.table_name, howdah_internal.advisor_duration_text(snap.started_at - g.last_analyzed), g.n_live_tup) END
                   || ': ANALYZE gives the planner statistics that match the data.'
               WHEN 'create_statistics' THEN
                   format('The scan compares columns %s of %s with =, and the planner multiplies their selectivities as if they were independent; extended statistics (dependencies, ndistinct), filled by the ANALYZE that follows, let it see how they correlate.',
                          array_to_string(g.eq_cols, ', '), g.table_name)
               ELSE
                   format('The most-common-values list of %s.%s is full (%s values at statistics target %s), so values outside it are estimated from an average that a skewed column does not follow; a target of 1000 keeps more of them.',
                          g.table_name, g.all_cols[1], g.mcv_len, g.target)
              END
           || CASE WHEN cardinality(g.qids) > 1 THEN format(' %s queries show it.', cardinality(g.qids)) ELSE '' END,
           jsonb_build_object('level', 'low', 'index_count', g.index_count, 'table_bytes', g.table_bytes, 'write_rate', g.write_rate,
                              'lock', 'ANALYZE, CREATE STATISTICS and SET STATISTICS take a SHARE UPDATE EXCLUSIVE lock: reads and writes go on, DDL, VACUUM and other ANALYZEs wait; ANALYZE reads a sample of the table',
                              'notes', jsonb_build_array('New statistics can change the plans of other queries on this table too.')),
           jsonb_build_object('fix', g.fix, 'queries', g.evs,
                              'table', jsonb_build_object('last_analyzed', g.last_analyzed, 'n_mod_since_analyze', g.n_mod_since_analyze,
                                                          'n_live_tup', g.n_live_tup),
                              'column', CASE WHEN g.fix = 'set_statistics' THEN jsonb_build_object('statistics_target', g.target, 'mcv_entries', g.mcv_len) END,
                              'skew_threshold', k)
      FROM grouped g
    ON CONFLICT (snapshot_id, key) DO UPDATE
       SET query_ids = ARRAY(SELECT DISTINCT u FROM unnest(r.query_ids || excluded.query_ids) u ORDER BY u),
           evidence = jsonb_set(r.evidence, '{queries}', coalesce(r.evidence -> 'queries', '[]') || (excluded.evidence -> 'queries'));
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END;
$$;
COMMENT ON FUNCTION howdah_internal.advisor_rule_stats(bigint) IS
'Rule stats: where a table scan''s estimated rows are off by howdah_advisor.skew_threshold (default 4) or more (EXPLAIN ANALYZE per node, else the root against pg_stat_statements'' rows per call for SELECTs), writes ANALYZE (never analyzed, or stale), CREATE STATISTICS (dependencies, ndistinct) (several columns compared with =, none yet) or SET STATISTICS 1000 (one column whose most-common-values list is full) into snapshot sid, quoting estimated and actual rows. Returns the number of findings. '
'Errors: 22023 NULL sid or bad skew_threshold; P0002 unknown snapshot.';

CREATE FUNCTION howdah_internal.advisor_or_arms(cond text)
RETURNS text[]
LANGUAGE plpgsql IMMUTABLE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
-- The arms of a condition as EXPLAIN prints it when its top level is an OR — '((a = 1) OR (b = 2))'
-- gives {'(a = 1)', '(b = 2)'} — else NULL. Parentheses and quoted strings and identifiers are
-- skipped over, so an OR inside an arm stays there.
DECLARE
    s text := btrim(coalesce(cond, ''));
    depth integer := 0;
    quote text;
    ch text;
    start integer;
    arms text[] := '{}'::text[];
    i integer;
BEGIN
    -- Drop the parentheses that wrap the whole condition.
    IF left(s, 1) <> '(' OR right(s, 1) <> ')' THEN
        RETURN NULL;
    END IF;
    s := substr(s, 2, length(s) - 2);
    start := 1;
    i := 1;
    WHILE i <= length(s) LOOP
        ch := substr(s, i, 1);
        IF quote IS NOT NULL THEN
            IF ch = quote THEN
                quote := NULL;
            END IF;
        ELSIF ch IN ('''', '"') THEN
            quote := ch;
        ELSIF ch = '(' THEN
            depth := depth + 1;
        ELSIF ch = ')' THEN
            depth := depth - 1;
            IF depth < 0 THEN
                RETURN NULL;  -- the outer parentheses did not wrap it all: '(a) AND (b)'
            END IF;
        ELSIF depth = 0 AND substr(s, i, 4) = ' OR ' THEN
            arms := arms || btrim(substr(s, start, i - start));
            start := i + 4;
            i := i + 3;
        ELSIF depth = 0 AND substr(s, i, 5) = ' AND ' THEN
            RETURN NULL;  -- an AND at the top level
        END IF;
        i := i + 1;
    END LOOP;
    IF cardinality(arms) = 0 THEN
        RETURN NULL;
    END IF;
    RETURN arms || btrim(substr(s, start));
END;
$$;
COMMENT ON FUNCTION howdah_internal.advisor_or_arms(text) IS 'The arms of an EXPLAIN condition whose top level is an OR, else NULL. Errors: none.';

CREATE FUNCTION howdah_internal.advisor_rule_rewrite(sid bigint)
RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
-- Writes rewrite findings (no DDL: the rationale carries the sketch) into snapshot `sid`, one per
-- query and kind, key rewrite:<kind>:<query_id>, reading each query's plan (EXPLAIN ANALYZE when
-- there is one, else the generic or estimated plan) and its normalized text:
--  * correlated_subquery: a SubPlan that is not hashed and whose conditions name a relation of
--    the outer query, run for 100 or more outer rows (Actual Loops, else the estimated rows of the
--    node it hangs on): a join on a grouped subquery (when it aggregates) or a LATERAL join;
--  * or_index: a Seq Scan of a table of 10000 or more rows whose filter is an OR of comparisons of
--    bare columns, each column the first key of a valid btree index without predicate, keeping at
--    most 5 % of the rows: UNION ALL of one branch per column (IN for one column);
--  * not_in_nullable: NOT IN (SELECT col FROM t ...) where t.col may be NULL (no NOT NULL in the
--    catalog, no col IS NOT NULL in the subquery) and the plan runs it as a SubPlan: NOT EXISTS;
--  * sargable_function: a filter date(col) = x, (col)::date = x or date_trunc('day', col) = x on
--    a timestamp column that leads a btree index, on a table of 10000 or more rows, with no
--    expression index on it: col >= x AND col < x + interval '1 day'.
-- Other function calls (lower(email) = x: an expression index is the fix, rule missing_index)
-- get nothing. Returns the number of findings written.
DECLARE
    snap howdah_advisor.snapshots := howdah_internal.advisor_require_snapshot(sid, 'sid (the snapshot id)');
    n integer;
BEGIN
    WITH pl AS (
        SELECT DISTINCT ON (p.query_id) p.query_id, p.kind, p.plan_json, q.tables, q.norm_sql, mt.mean_ms, mt.calls
          FROM howdah_advisor.plans p
          JOIN howdah_advisor.queries q ON q.id = p.query_id
          LEFT JOIN howdah_advisor.metrics mt ON mt.snapshot_id = p.snapshot_id AND mt.query_id = p.query_id
         WHERE p.snapshot_id = snap.id AND p.plan_json IS NOT NULL
         ORDER BY p.query_id, (p.kind = 'analyze') DESC, p.kind),
    nodes AS (
        SELECT pl.query_id, pl.kind, pl.tables, w.path, w.node, w.relations, w.subplan
          FROM pl CROSS JOIN LATERAL howdah_internal.advisor_walk_plan(pl.plan_json) w),

    -- Correlated subqueries.
    subs AS (
        SELECT s.query_id, s.kind, s.path, s.node, s.node ->> 'Subplan Name' AS name,
               CASE WHEN s.kind = 'analyze' THEN (s.node ->> 'Actual Loops')::double precision
                    ELSE (SELECT (p.node ->> 'Plan Rows')::double precision FROM nodes p
                           WHERE p.query_id = s.query_id AND p.path = s.path[1:cardinality(s.path) - 1]) END AS loops,
               (SELECT array_agg(DISTINCT i.node ->> 'Alias') FROM nodes i
                 WHERE i.query_id = s.query_id AND i.path[1:cardinality(s.path)] = s.path AND i.node ? 'Alias') AS inner_aliases,
               (SELECT array_agg(DISTINCT i.node ->> 'Relation Name') FROM nodes i
                 WHERE i.query_id = s.query_id AND i.path[1:cardinality(s.path)] = s.path AND i.node ? 'Relation Name') AS inner_tables,
               (SELECT string_agg(DISTINCT v.cond, ' AND ')
                  FROM nodes i
                  CROSS JOIN LATERAL (VALUES (i.node ->> 'Index Cond'), (i.node ->> 'Recheck Cond'), (i.node ->> 'Filter'),
                                             (i.node ->> 'Join Filter'), (i.node ->> 'Hash Cond')) AS v(cond)
                 WHERE i.query_id = s.query_id AND i.path[1:cardinality(s.path)] = s.path AND v.cond IS NOT NULL) AS conds
          FROM nodes s
         WHERE s.relations[cardinality(s.relations)] = 'SubPlan' AND s.node ->> 'Subplan Name' NOT LIKE 'hashed %'),
    corr AS (
        SELECT s.*,
               (SELECT array_agg(DISTINCT m[1]) FROM regexp_matches(regexp_replace(s.conds, '''(?:[^'']|'''')*''', '''''', 'g'),
                                                                      '([A-Za-z_][A-Za-z0-9_$]*)\.[A-Za-z_"]', 'g') AS m
                 WHERE m[1] <> ALL (coalesce(s.inner_aliases, '{}'))) AS outer_aliases,
               substring(s.conds FROM '\(([A-Za-z_][A-Za-z0-9_$]*) = ([A-Za-z_][A-Za-z0-9_$]*\.[A-Za-z_][A-Za-z0-9_$]*)\)') AS inner_key,
               substring(s.conds FROM '\([A-Za-z_][A-Za-z0-9_$]* = ([A-Za-z_][A-Za-z0-9_$]*\.[A-Za-z_][A-Za-z0-9_$]*)\)') AS outer_key
          FROM subs s),
    f_corr AS (
        SELECT DISTINCT ON (c.query_id) c.query_id, 'correlated_subquery' AS kind, NULL::oid AS relid, '{}'::text[] AS cols, 0.6 AS conf,
               format('%s on %s is a correlated subquery: it runs once per outer row (%s %s), each time with %s. ',
                      c.name, array_to_string(c.inner_tables, ', '), round(c.loops),
                      CASE WHEN c.kind = 'analyze' THEN 'times, measured' ELSE 'times, estimated' END, coalesce(nullif(c.conds, ''), 'no condition'))
               || CASE WHEN c.node ->> 'Node Type' = 'Aggregate' AND c.inner_key IS NOT NULL THEN
                      format('It aggregates: compute every group once and join it — LEFT JOIN (SELECT %1$s, <the aggregate> AS v FROM %2$s GROUP BY %1$s) s ON s.%1$s = %3$s, then read s.v (coalesce(s.v, 0) for a count) in place of the subquery.',
                             c.inner_key, c.inner_tables[1], c.outer_key)
                  ELSE
                      'Rewrite it as a join the planner can hash or merge: JOIN / LEFT JOIN on the correlating condition, or LEFT JOIN LATERAL (the subquery) s ON true for a scalar subquery, or EXISTS (...) when it filters.'
                  END AS rationale,
               jsonb_build_object('subplan', c.name, 'loops', c.loops, 'conditions', c.conds, 'outer', c.outer_aliases, 'node', c.node ->> 'Node Type') AS ev
          FROM corr c
         WHERE cardinality(c.outer_aliases) > 0 AND c.loops >= 100
         ORDER BY c.query_id, c.loops DESC),

    -- OR defeating an index.
    ors AS (
        SELECT s.query_id, s.kind, s.node, s.relid, t.name AS table_name, t.rows_est,
               CASE WHEN s.kind = 'analyze' THEN (s.node ->> 'Actual Rows')::double precision ELSE (s.node ->> 'Plan Rows')::double precision END AS kept,
               (SELECT array_agg(cc.cmp_cols[1] ORDER BY a.o)
                  FROM unnest(s.arms) WITH ORDINALITY AS a(arm, o)
                  CROSS JOIN LATERAL howdah_internal.advisor_cond_columns(s.relid, a.arm) cc
                 WHERE cardinality(cc.cmp_cols) = 1 AND cc.all_cols = cc.cmp_cols) AS arm_cols,
               cardinality(s.arms) AS narms
          FROM (SELECT n.*, howdah_internal.advisor_or_arms(n.node ->> 'Filter') AS arms,
                       howdah_internal.advisor_plan_relation(snap.id, n.node ->> 'Relation Name', n.tables) AS relid
                  FROM nodes n WHERE n.node ->> 'Node Type' = 'Seq Scan' AND n.node ? 'Filter') s
          JOIN howdah_advisor.tables t ON t.snapshot_id = snap.id AND t.relid = s.relid
         WHERE s.arms IS NOT NULL),
    f_or AS (
        SELECT DISTINCT ON (o.query_id) o.query_id, 'or_index' AS kind, o.relid, ARRAY(SELECT DISTINCT u FROM unnest(o.arm_cols) u ORDER BY u) AS cols, 0.5 AS conf,
               format('The Seq Scan on %s reads the whole table for %s (about %s of its %s rows): an OR across arms keeps the planner from using the index of each arm. ',
                      o.table_name, o.node ->> 'Filter', round(o.kept), round(o.rows_est))
               || CASE WHEN (SELECT count(DISTINCT u) FROM unnest(o.arm_cols) u) = 1 THEN
                      format('All arms compare %s: write %s IN (...) (or = ANY ($1)), one index scan.', o.arm_cols[1], o.arm_cols[1])
                  ELSE
                      format('Write one SELECT per arm, each served by its index (%s), joined with UNION ALL — adding AND NOT (earlier arms) to each later arm, or UNION instead, so that a row matching two arms comes once.',
                             array_to_string(ARRAY(SELECT DISTINCT u FROM unnest(o.arm_cols) u ORDER BY u), ', '))
                  END AS rationale,
               jsonb_build_object('filter', o.node ->> 'Filter', 'rows', o.kept, 'table_rows', o.rows_est, 'columns', o.arm_cols) AS ev
          FROM ors o
         WHERE cardinality(o.arm_cols) = o.narms AND o.rows_est >= 10000 AND o.kept <= 0.05 * o.rows_est
           AND NOT EXISTS (SELECT FROM unnest(o.arm_cols) u
                            WHERE NOT EXISTS (SELECT FROM howdah_advisor.indexes x
                                               WHERE x.snapshot_id = snap.id AND x.table_relid = o.relid AND x.is_valid
                                                 AND x.method = 'btree' AND x.predicate IS NULL AND x.columns[1] = quote_ident(u)))
         ORDER BY o.query_id, o.kept),

    -- NOT IN over a nullable column.
    notins AS (
        SELECT pl.query_id, m[1] AS col, m[2] AS tab, m[3] AS rest, pl.tables
          FROM pl CROSS JOIN LATERAL regexp_matches(pl.norm_sql,
                 'not in \( ?select (?:distinct )?(?:[a-z_][a-z0-9_$]*\.)?([a-z_][a-z0-9_$]*) from ([a-z_][a-z0-9_$]*(?:\.[a-z_][a-z0-9_$]*)?)([^()]*)\)', 'g') AS m
         WHERE pl.plan_json::text ~ '"Subplan Name": "(hashed )?SubPlan'),
    notins_r AS (
        SELECT ni.*, coalesce((SELECT t.relid FROM howdah_advisor.tables t WHERE t.snapshot_id = snap.id AND ni.tab LIKE '%.%'
                                 AND (t.name = ni.tab OR t.schema_name || '.' || t.table_name = ni.tab)),
                              howdah_internal.advisor_plan_relation(snap.id, ni.tab, ni.tables)) AS relid
          FROM notins ni),
    f_notin AS (
        SELECT DISTINCT ON (r.query_id) r.query_id, 'not_in_nullable' AS kind, r.relid, ARRAY[r.col] AS cols, 0.7 AS conf,
               format('NOT IN (SELECT %1$s FROM %2$s ...) returns no row at all as soon as the subquery yields a NULL, and %2$s.%1$s may be NULL (no NOT NULL constraint); the planner cannot run it as an anti-join either. Write NOT EXISTS (SELECT 1 FROM %2$s x WHERE x.%1$s = <the outer expression> ...) instead: the same result when there are no NULLs, and a Hash Anti Join.',
                      r.col, t.name) AS rationale,
               jsonb_build_object('column', r.col, 'table', t.name, 'nullable', true) AS ev
          FROM notins_r r
          JOIN howdah_advisor.tables t ON t.snapshot_id = snap.id AND t.relid = r.relid
          JOIN pg_attribute a ON a.attrelid = r.relid AND a.attname = r.col AND a.attnum > 0 AND NOT a.attisdropped
         WHERE NOT a.attnotnull AND r.rest !~ ('\m' || r.col || ' is not null')
         ORDER BY r.query_id, r.col),

    -- A function hiding an indexed timestamp column.
    funcs AS (
        SELECT n.query_id, n.node, m[1] AS expr, coalesce(m[2], m[3], m[4]) AS col, m[5] AS val,
               howdah_internal.advisor_plan_relation(snap.id, n.node ->> 'Relation Name', n.tables) AS relid
          FROM nodes n
          CROSS JOIN LATERAL regexp_matches(n.node ->> 'Filter',
                 '((?<![A-Za-z0-9_$])date\(([a-z_][a-z0-9_$]*)\)|\(([a-z_][a-z0-9_$]*)\)::date|date_trunc\(''day''::text, ([a-z_][a-z0-9_$]*)\)) = (\$[0-9]+|''[^'']*''(?:::[a-z ]+)?)', 'g') AS m
         WHERE n.node ->> 'Node Type' IN ('Seq Scan', 'Bitmap Heap Scan', 'Index Scan', 'Index Only Scan') AND n.node ? 'Filter'),
    f_func AS (
        SELECT DISTINCT ON (f.query_id) f.query_id, 'sargable_function' AS kind, f.relid, ARRAY[f.col] AS cols, 0.7 AS conf,
               format('The filter %1$s = %2$s on %3$s hides %4$s from its index %5$s: the index orders %4$s, not %1$s, so every row is read and computed. Compare the column itself with a range the index serves: %4$s >= %6$s AND %4$s < %6$s + interval ''1 day''.',
                      f.expr, f.val, t.name, f.col, x.name, f.val) AS rationale,
               jsonb_build_object('filter', f.node ->> 'Filter', 'expression', f.expr, 'column', f.col, 'index', x.name, 'node', f.node ->> 'Node Type') AS ev
          FROM funcs f
          JOIN howdah_advisor.tables t ON t.snapshot_id = snap.id AND t.relid = f.relid
          JOIN pg_attribute a ON a.attrelid = f.relid AND a.attname = f.col AND a.attnum > 0 AND NOT a.attisdropped
          JOIN howdah_advisor.indexes x ON x.snapshot_id = snap.id AND x.table_relid = f.relid AND x.is_valid AND x.method = 'btree'
                                       AND x.predicate IS NULL AND x.columns[1] = quote_ident(f.col)
         WHERE a.atttypid IN ('timestamp'::regtype, 'timestamptz'::regtype) AND t.rows_est >= 10000
           AND NOT EXISTS (SELECT FROM howdah_advisor.indexes e
                            WHERE e.snapshot_id = snap.id AND e.table_relid = f.relid AND e.is_valid
                              AND e.columns[1] ~ ('(date|date_trunc)\(.*\m' || f.col || '\M|\m' || f.col || '\)?::date'))
         ORDER BY f.query_id, cardinality(x.columns), x.name),

    found AS (
        SELECT * FROM f_corr UNION ALL SELECT * FROM f_or UNION ALL SELECT * FROM f_notin UNION ALL SELECT * FROM f_func)
    INSERT INTO howdah_advisor.recommendations AS r
           (snapshot_id, confidence, table_relid, type, key, table_name, columns, query_ids, ddl, rationale, risk, evidence)
    SELECT snap.id, f.conf, f.relid, 'rewrite', format('rewrite:%s:%s', f.kind, f.query_id),
           (SELECT t.name FROM howdah_advisor.tables t WHERE t.snapshot_id = snap.id AND t.relid = f.relid),
           f.cols, ARRAY[f.query_id], NULL, f.rationale,
           jsonb_build_object('level', 'medium', 'lock', 'none: a rewrite changes the application''s SQL, not the schema',
                              'notes', jsonb_build_array('Check that the rewritten query returns the same rows (NULLs, duplicates) before deploying it.')),
           f.ev || jsonb_build_object('kind', f.kind, 'plan_kind', pl.kind,
                                      'queries', jsonb_build_array(jsonb_build_object('query_id', f.query_id, 'mean_ms', pl.mean_ms, 'calls', pl.calls)))
      FROM found f JOIN pl ON pl.query_id = f.query_id
    ON CONFLICT (snapshot_id, key) DO UPDATE
       SET confidence = excluded.confidence, rationale = excluded.rationale, evidence = excluded.evidence,
           table_relid = excluded.table_relid, table_name = excluded.table_name, columns = excluded.columns,
           query_ids = ARRAY(SELECT DISTINCT u FROM unnest(r.query_ids || excluded.query_ids) u ORDER BY u);
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END;
$$;
COMMENT ON FUNCTION howdah_internal.advisor_rule_rewrite(bigint) IS
'Rule rewrite: writes into snapshot sid one finding per query and kind (key rewrite:<kind>:<query_id>, no DDL, the sketch in the rationale) for a correlated SubPlan run 100+ times (join on a grouped subquery, or LATERAL), an OR of indexed columns read by a Seq Scan (UNION ALL, or IN), NOT IN over a nullable column (NOT EXISTS), and date(col) / col::date / date_trunc(''day'', col) = x on an indexed timestamp (a range on col). Returns the number of findings. '
'Errors: 22023 NULL sid; P0002 unknown snapshot.';
