-- advisor code 009: the rules that read plans — stats (the planner's row estimates are off: ANALYZE,
-- SET STATISTICS, CREATE STATISTICS) and rewrite (a query shape no index fixes: correlated
-- subquery, OR defeating an index, NOT IN over a nullable column, a function hiding an indexed
-- column) — and the helpers every rule of this file and of 010 shares. recommend() calls each
-- howdah_internal.advisor_rule_* function by name; the helpers here are named otherwise so that it
-- never mistakes one for a rule.
--
-- Errors: 22023 (invalid_parameter_value) for a NULL snapshot id or a bad setting (names it);
-- P0002 (no_data_found) for an unknown snapshot.

CREATE FUNCTION howdah_internal.advisor_snapshot_for_rules(sid bigint)
RETURNS howdah_advisor.snapshots
LANGUAGE plpgsql STABLE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
-- The snapshot a rule works on, or 22023 (NULL) / P0002 (no such snapshot). Any state: rules run
-- inside scan() (running) and again through recommend() on a finished snapshot.
DECLARE
    snap howdah_advisor.snapshots;
BEGIN
    IF sid IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value', MESSAGE = 'sid (the snapshot id) must not be NULL',
            HINT = 'Pass the id scan() returned, or SELECT max(id) FROM howdah_advisor.snapshots.';
    END IF;
    SELECT s.* INTO snap FROM howdah_advisor.snapshots s WHERE s.id = sid;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'no_data_found', MESSAGE = format('no snapshot %s', sid),
            HINT = 'SELECT id, state FROM howdah_advisor.snapshots lists the snapshots there are.';
    END IF;
    RETURN snap;
END;
$$;
COMMENT ON FUNCTION howdah_internal.advisor_snapshot_for_rules(bigint) IS 'The snapshot a rule works on. Errors: 22023 NULL id, P0002 unknown snapshot.';

CREATE FUNCTION howdah_internal.advisor_setting_number(setting text, fallback double precision, lo double precision)
RETURNS double precision
LANGUAGE plpgsql STABLE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
-- The custom setting howdah_advisor.<setting> as a number, `fallback` when unset or empty; 22023
-- naming the setting when it is not a number or is below `lo`. Sizes may carry a unit ('1MB'),
-- read by pg_size_bytes.
DECLARE
    raw text := nullif(btrim(current_setting('howdah_advisor.' || setting, true)), '');
    v double precision;
BEGIN
    IF raw IS NULL THEN
        RETURN fallback;
    END IF;
    BEGIN
        v := CASE WHEN raw ~ '^[+-]?[0-9]*\.?[0-9]+([eE][+-]?[0-9]+)?$' THEN raw::double precision
                  ELSE pg_size_bytes(raw)::double precision END;
    EXCEPTION WHEN invalid_parameter_value OR invalid_text_representation OR numeric_value_out_of_range THEN
        v := NULL;
    END;
    IF v IS NULL OR v = 'NaN' OR v < lo THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = format('setting howdah_advisor.%s must be a number of at least %s, not %L', setting, lo, raw),
            HINT = format('SET howdah_advisor.%s = %s (its default), or RESET it.', setting, fallback);
    END IF;
    RETURN v;
END;
$$;
COMMENT ON FUNCTION howdah_internal.advisor_setting_number(text, double precision, double precision) IS 'A howdah_advisor.* setting as a number (sizes may carry a unit), or the fallback when unset. Errors: 22023 not a number or below the minimum (names the setting).';

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
LANGUAGE sql STABLE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
-- The table a plan node's "Relation Name" means (EXPLAIN without VERBOSE does not say the
-- schema): the snapshot's only table of that name, else the one the query names schema-qualified
-- or whose qualified name it names; NULL when that leaves none or several.
RETURN (SELECT CASE WHEN count(*) = 1 THEN min(t.relid)
                    WHEN count(*) FILTER (WHERE t.name = ANY (query_tables) OR t.schema_name || '.' || t.table_name = ANY (query_tables)) = 1
                    THEN min(t.relid) FILTER (WHERE t.name = ANY (query_tables) OR t.schema_name || '.' || t.table_name = ANY (query_tables)) END
          FROM howdah_advisor.tables t WHERE t.snapshot_id = sid AND t.table_name = relname);
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
    snap howdah_advisor.snapshots := howdah_internal.advisor_snapshot_for_rules(sid);
    k double precision := howdah_internal.advisor_setting_number('skew_threshold', 4, 1);
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
