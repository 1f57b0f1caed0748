-- simulate(mode => 'real') builds the index for real, only on a table in the sandbox schema the
-- caller names, runs EXPLAIN ANALYZE before and after (a $n statement needs params), and rolls
-- everything back: no index is left, and a dropped index is back. It needs no hypopg.
BEGIN;
SELECT plan(12);

CREATE SCHEMA adv_sandbox;
CREATE TABLE adv_sandbox.items (id int PRIMARY KEY, k int NOT NULL, v text);
INSERT INTO adv_sandbox.items SELECT g, g % 1000, 'v' FROM generate_series(1, 30000) g;
CREATE INDEX items_v_idx ON adv_sandbox.items (v);
ANALYZE adv_sandbox.items;
SELECT count(*) FROM adv_sandbox.items WHERE k = 42;
SELECT count(*) FROM adv_sandbox.items WHERE v = 'w';
CREATE TEMP TABLE snap AS SELECT howdah_advisor.ingest(top_n => 10000) AS id;
CREATE TEMP TABLE q AS
SELECT id, raw_sql FROM howdah_advisor.queries WHERE fingerprint = howdah_advisor.fingerprint('SELECT count(*) FROM adv_sandbox.items WHERE k = 1');
CREATE TEMP TABLE qv AS
SELECT id FROM howdah_advisor.queries WHERE fingerprint = howdah_advisor.fingerprint('SELECT count(*) FROM adv_sandbox.items WHERE v = ''x''');
CREATE TEMP TABLE recs AS
WITH ins AS (
    INSERT INTO howdah_advisor.recommendations (snapshot_id, type, key, table_name, index_name, index_relid, columns, query_ids, ddl, rationale, confidence)
    VALUES ((SELECT id FROM snap), 'missing_index', 'index:adv_sandbox.items(k)', 'adv_sandbox.items', NULL, NULL, '{k}', ARRAY[(SELECT id FROM q)],
            'CREATE INDEX CONCURRENTLY ON adv_sandbox.items USING btree (k)', 'r', 0.9),
           ((SELECT id FROM snap), 'unused_index', 'drop:adv_sandbox.items_v_idx', 'adv_sandbox.items', 'adv_sandbox.items_v_idx',
            'adv_sandbox.items_v_idx'::regclass, '{v}', ARRAY[(SELECT id FROM qv)], 'DROP INDEX CONCURRENTLY adv_sandbox.items_v_idx', 'r', 0.3)
    RETURNING id, type)
SELECT * FROM ins;
PREPARE mine_stmt AS SELECT 1;
-- Mode real needs no hypopg.
DROP EXTENSION hypopg;

SELECT throws_ok(format('SELECT howdah_advisor.simulate(%s, %s, mode => ''real'', sandbox => ''adv_sandbox'')', (SELECT id FROM q), (SELECT id FROM recs WHERE type = 'missing_index')),
                 '22023', 'run (EXPLAIN ANALYZE) needs literal values, and this statement has 1 parameters ($1 ...)',
                 'a statement with $n parameters needs params in mode real');
CREATE TEMP TABLE r1 AS
SELECT * FROM howdah_advisor.simulate((SELECT id FROM q), (SELECT id FROM recs WHERE type = 'missing_index'), mode => 'real', sandbox => 'adv_sandbox', params => ARRAY['42']);
SELECT is((SELECT mode::text FROM r1), 'real', 'a real simulation');
SELECT ok((SELECT before_plan ? 'Execution Time' AND after_plan ? 'Execution Time' FROM r1), 'both plans were run (EXPLAIN ANALYZE)');
SELECT is((SELECT (after_plan #>> '{Plan,Actual Rows}')::numeric FROM r1), 1::numeric, 'the query ran with the value given');
SELECT is((SELECT plan_changes[1] ~ '^Seq Scan → (Index Only Scan|Index Scan|Bitmap Heap Scan) on items$' FROM r1), true, 'the built index is used');
SELECT ok((SELECT before_ms = (before_plan ->> 'Execution Time')::double precision AND details ->> 'ms_source' ~ '^measured' FROM r1),
          'the ms are measured, and labelled so');
SELECT ok((SELECT (details ->> 'index_bytes')::bigint > 0 AND details ->> 'sandbox' = 'adv_sandbox' FROM r1), 'details: the built index''s size, the sandbox');
SELECT is(ARRAY(SELECT indexname::text FROM pg_indexes WHERE schemaname = 'adv_sandbox' ORDER BY 1), '{items_pkey,items_v_idx}'::text[],
          'the index was rolled back');

CREATE TEMP TABLE r2 AS
SELECT * FROM howdah_advisor.simulate((SELECT id FROM qv), (SELECT id FROM recs WHERE type = 'unused_index'), mode => 'real', sandbox => 'adv_sandbox', params => ARRAY['w']);
SELECT is((SELECT row(gain, (details ->> 'drop')::boolean)::text FROM r2), row(NULL::boolean, true)::text, 'a drop has no gain, and says it is a drop');
SELECT ok((SELECT plan_changes[1] ~ '→ Seq Scan on items$' FROM r2), 'without the index the query scans the table');
SELECT ok(EXISTS (SELECT FROM pg_indexes WHERE schemaname = 'adv_sandbox' AND indexname = 'items_v_idx'), 'the dropped index is back');
SELECT is(ARRAY(SELECT name::text FROM pg_prepared_statements WHERE from_sql ORDER BY 1), '{mine_stmt}'::text[], 'no prepared statement left but the caller''s');

DEALLOCATE mine_stmt;
SELECT * FROM finish();
ROLLBACK;
