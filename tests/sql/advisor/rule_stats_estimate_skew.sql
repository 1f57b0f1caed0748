-- Rule stats: a scan whose estimated rows are off by skew_threshold or more gets CREATE STATISTICS
-- (correlated columns compared with =), ANALYZE (a stale table) or SET STATISTICS 1000 (one
-- column whose most-common-values list is full), from EXPLAIN ANALYZE or, without it, from the
-- generic plan against pg_stat_statements' rows per call. The twins — the same data with extended
-- statistics or a larger target — get nothing. Bad snapshot ids are 22023 / P0002.
BEGIN;
SELECT plan(20);

CREATE SCHEMA adv_stats;
-- a and b always equal: the planner's independence assumption is wrong by a factor of 50.
CREATE TABLE adv_stats.corr (id int, a int, b int);
INSERT INTO adv_stats.corr SELECT g, g % 50, g % 50 FROM generate_series(1, 50000) g;
CREATE TABLE adv_stats.corr_ok (id int, a int, b int);
INSERT INTO adv_stats.corr_ok SELECT g, g % 50, g % 50 FROM generate_series(1, 50000) g;
CREATE STATISTICS adv_stats.corr_ok_ab (dependencies, ndistinct) ON a, b FROM adv_stats.corr_ok;
-- 300 frequent values of 200 rows each and 40000 single ones: a target of 100 keeps 100 of the 300.
CREATE TABLE adv_stats.skewed (id int, c int);
INSERT INTO adv_stats.skewed SELECT g, 1 + (g - 1) % 300 FROM generate_series(1, 60000) g;
INSERT INTO adv_stats.skewed SELECT 60000 + g, 1000 + g FROM generate_series(1, 40000) g;
CREATE TABLE adv_stats.skewed_ok (LIKE adv_stats.skewed);
INSERT INTO adv_stats.skewed_ok SELECT * FROM adv_stats.skewed;
ALTER TABLE adv_stats.skewed_ok ALTER COLUMN c SET STATISTICS 1000;
ANALYZE adv_stats.corr, adv_stats.corr_ok, adv_stats.skewed, adv_stats.skewed_ok;

-- The workload, into pg_stat_statements, then a snapshot.
SELECT count(*) FROM (SELECT * FROM adv_stats.corr WHERE a = 1 AND b = 1) s;
SELECT * FROM adv_stats.corr WHERE a = 2 AND b = 2 ORDER BY id;
SELECT * FROM adv_stats.corr WHERE a = 3 AND b = 3 ORDER BY id;
SELECT * FROM adv_stats.corr_ok WHERE a = 2 AND b = 2 ORDER BY id;
CREATE TEMP TABLE snap AS SELECT howdah_advisor.ingest(top_n => 10000) AS id;
-- Statistics counters reach pg_stat_user_tables when a transaction ends: say what they would say.
UPDATE howdah_advisor.tables SET last_analyzed = now(), n_mod_since_analyze = 0, n_live_tup = coalesce(rows_est, 0)
 WHERE snapshot_id = (SELECT id FROM snap) AND schema_name = 'adv_stats';

-- Plans as capture_plans would store them: generic plans of the ingested texts, and an
-- EXPLAIN ANALYZE for the statements below (queries rows made for those not ingested).
CREATE TEMP TABLE q (label text, sql text, run boolean);
INSERT INTO q VALUES
    ('corr_generic', 'SELECT * FROM adv_stats.corr WHERE a = 2 AND b = 2 ORDER BY id', false),
    ('corr_ok_generic', 'SELECT * FROM adv_stats.corr_ok WHERE a = 2 AND b = 2 ORDER BY id', false),
    ('corr_analyze', 'SELECT id FROM adv_stats.corr WHERE b = 7 AND a = 7', true),
    ('corr_ok_analyze', 'SELECT id FROM adv_stats.corr_ok WHERE b = 7 AND a = 7', true),
    ('corr_agg', 'SELECT count(*) FROM (SELECT * FROM adv_stats.corr WHERE a = 1 AND b = 1) s', false),
    ('skewed', format('SELECT * FROM adv_stats.skewed WHERE c = %s',
                      (SELECT min(v) FROM generate_series(1, 300) v
                        WHERE v::text <> ALL ((SELECT most_common_vals::text FROM pg_stats
                                                WHERE schemaname = 'adv_stats' AND tablename = 'skewed' AND attname = 'c')::text[]))), true),
    ('skewed_ok', 'SELECT * FROM adv_stats.skewed_ok WHERE c = 250', true);
INSERT INTO howdah_advisor.queries (verb, fingerprint, raw_sql, norm_sql, tables)
SELECT 'select', howdah_advisor.fingerprint(q.sql), q.sql, howdah_advisor.normalize(q.sql), (howdah_advisor.analyze_query(q.sql)).tables
  FROM q ON CONFLICT (fingerprint) DO NOTHING;
ALTER TABLE q ADD COLUMN query_id bigint;
UPDATE q SET query_id = (SELECT id FROM howdah_advisor.queries WHERE fingerprint = howdah_advisor.fingerprint(q.sql));
INSERT INTO howdah_advisor.plans (snapshot_id, query_id, kind, plan_json, est_rows)
SELECT (SELECT id FROM snap), q.query_id, e.kind, e.plan, (e.plan #>> '{Plan,Plan Rows}')::double precision
  FROM q CROSS JOIN LATERAL howdah_internal.advisor_explain(
           CASE WHEN q.run THEN q.sql ELSE (SELECT raw_sql FROM howdah_advisor.queries WHERE id = q.query_id) END, q.run) e;
SELECT is((SELECT count(*)::int FROM howdah_advisor.plans p JOIN q ON q.query_id = p.query_id
            WHERE p.snapshot_id = (SELECT id FROM snap) AND p.kind = CASE WHEN q.run THEN 'analyze' ELSE 'generic' END::howdah_advisor.explain_kind),
          7, 'the test''s plans are in place: generic for the ingested texts, analyze for the others');

CREATE TEMP VIEW got AS
SELECT r.* FROM howdah_advisor.recommendations r WHERE r.snapshot_id = (SELECT id FROM snap) AND r.type = 'stats';

SELECT cmp_ok(howdah_internal.advisor_rule_stats((SELECT id FROM snap)), '>=', 2, 'the rule returns how many findings it wrote');
SELECT is(ARRAY(SELECT key FROM got WHERE table_name LIKE 'adv_stats.%' ORDER BY key),
          '{"stats:adv_stats.corr(a,b)","stats:adv_stats.skewed(c)"}'::text[],
          'correlated columns and a skewed column; not the twins with extended statistics or a larger target');
SELECT is((SELECT ddl FROM got WHERE key = 'stats:adv_stats.corr(a,b)'),
          'CREATE STATISTICS adv_stats.corr_a_b_stats (dependencies, ndistinct) ON a, b FROM adv_stats.corr; ANALYZE adv_stats.corr',
          'CREATE STATISTICS on the correlated columns, then ANALYZE to fill them');
SELECT is((SELECT query_ids FROM got WHERE key = 'stats:adv_stats.corr(a,b)'),
          ARRAY(SELECT query_id FROM q WHERE label IN ('corr_generic', 'corr_analyze') ORDER BY 1),
          'one finding lists both queries: the analyzed one and the generic one against pg_stat_statements');
SELECT matches((SELECT rationale FROM got WHERE key = 'stats:adv_stats.corr(a,b)'),
               '^The planner expected [0-9]+ rows from the Seq Scan on adv_stats\.corr \(\(\(b = 7\) AND \(a = 7\)\)\) and EXPLAIN ANALYZE counted 1000(\.0)?, [0-9.]+× more\. The scan compares columns a, b of adv_stats\.corr with =',
               'the rationale quotes estimated and actual rows of the analyzed query');
SELECT is((SELECT jsonb_agg(e ->> 'source' ORDER BY e ->> 'source') FROM got, jsonb_array_elements(evidence -> 'queries') e
            WHERE key = 'stats:adv_stats.corr(a,b)'), '["analyze", "pg_stat_statements"]'::jsonb,
          'the evidence has both measurements');
SELECT ok((SELECT (e ->> 'act_rows')::numeric = 1000 AND (e ->> 'ratio')::numeric >= 4 FROM got, jsonb_array_elements(evidence -> 'queries') e
            WHERE key = 'stats:adv_stats.corr(a,b)' AND e ->> 'source' = 'pg_stat_statements'),
          'pg_stat_statements'' rows per call are the actual rows of the generic plan');
SELECT is((SELECT count(*)::int FROM got WHERE (SELECT query_id FROM q WHERE label = 'corr_agg') = ANY (query_ids)), 0,
          'an aggregate root changes the row count: no finding from pg_stat_statements'' rows');
SELECT is((SELECT ddl FROM got WHERE key = 'stats:adv_stats.skewed(c)'),
          'ALTER TABLE adv_stats.skewed ALTER COLUMN c SET STATISTICS 1000; ANALYZE adv_stats.skewed (c)', 'SET STATISTICS 1000 for the skewed column');
SELECT matches((SELECT rationale FROM got WHERE key = 'stats:adv_stats.skewed(c)'),
               'counted 200(\.0)?, .*most-common-values list of adv_stats\.skewed\.c is full \(100 values at statistics target 100\)',
               'the rationale says the list is full');
SELECT is((SELECT row(confidence, risk ->> 'level', risk ? 'lock')::text FROM got WHERE key = 'stats:adv_stats.corr(a,b)'),
          row(0.7::real, 'low', true)::text, 'confidence and risk');

-- Extended statistics that exist already (even before ANALYZE fills them): no finding.
DELETE FROM howdah_advisor.recommendations WHERE snapshot_id = (SELECT id FROM snap);
CREATE STATISTICS adv_stats.corr_ab (dependencies) ON b, a FROM adv_stats.corr;
SELECT howdah_internal.advisor_rule_stats((SELECT id FROM snap));
SELECT is((SELECT count(*)::int FROM got WHERE table_name = 'adv_stats.corr'), 0, 'existing extended statistics on the columns: no finding');

-- A stale table: ANALYZE comes first.
DELETE FROM howdah_advisor.recommendations WHERE snapshot_id = (SELECT id FROM snap);
UPDATE howdah_advisor.tables SET n_mod_since_analyze = 20000 WHERE snapshot_id = (SELECT id FROM snap) AND name = 'adv_stats.corr';
SELECT howdah_internal.advisor_rule_stats((SELECT id FROM snap));
SELECT is((SELECT row(key, ddl, columns)::text FROM got WHERE table_name = 'adv_stats.corr'),
          row('stats:adv_stats.corr()', 'ANALYZE adv_stats.corr', '{}'::text[])::text, 'a table with many changes since its ANALYZE: ANALYZE');
SELECT matches((SELECT rationale FROM got WHERE table_name = 'adv_stats.corr'), '20000 rows of adv_stats\.corr changed since it was last analyzed',
               'the rationale says how many rows changed');
UPDATE howdah_advisor.tables SET last_analyzed = NULL WHERE snapshot_id = (SELECT id FROM snap) AND name = 'adv_stats.corr';
DELETE FROM howdah_advisor.recommendations WHERE snapshot_id = (SELECT id FROM snap);
SELECT howdah_internal.advisor_rule_stats((SELECT id FROM snap));
SELECT matches((SELECT rationale FROM got WHERE table_name = 'adv_stats.corr'), 'adv_stats\.corr was never analyzed: ANALYZE', 'never analyzed: ANALYZE');

-- The threshold is a setting.
DELETE FROM howdah_advisor.recommendations WHERE snapshot_id = (SELECT id FROM snap);
SET LOCAL howdah_advisor.skew_threshold = 100000;
SELECT is(howdah_internal.advisor_rule_stats((SELECT id FROM snap)), 0, 'skew_threshold = 100000: nothing is skewed enough');
SET LOCAL howdah_advisor.skew_threshold = '0.5';
SELECT throws_ok(format('SELECT howdah_internal.advisor_rule_stats(%s)', (SELECT id FROM snap)), '22023',
                 'setting howdah_advisor.skew_threshold must be a number of at least 1, not ''0.5''', 'a threshold below 1 is 22023 naming it');
RESET howdah_advisor.skew_threshold;

SELECT throws_ok('SELECT howdah_internal.advisor_rule_stats(NULL)', '22023', 'sid (the snapshot id) must not be NULL', 'a NULL snapshot is 22023');
SELECT throws_ok('SELECT howdah_internal.advisor_rule_stats(-1)', 'P0002', 'no snapshot -1', 'an unknown snapshot is P0002');

SELECT * FROM finish();
ROLLBACK;
