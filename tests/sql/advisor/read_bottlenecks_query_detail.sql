-- bottlenecks() lists the queries with findings of the newest done scan in the findings' rank
-- order, with the first sentence of the rationale and the newest successful simulation;
-- query_detail() returns everything stored about one query; bad input is 22023 / P0002.
BEGIN;
SELECT plan(24);

-- Fixture: a real workload and two ingests (the later stages would write what this test sets), then findings, plans, simulations, a family and an
-- anomaly inserted by hand into the newest scan (the stages that write them are tested apart).
CREATE SCHEMA adv_read;
CREATE TABLE adv_read.orders (id int PRIMARY KEY, customer_id int NOT NULL, note text);
INSERT INTO adv_read.orders SELECT i, i % 100, 'n' || i FROM generate_series(1, 2000) i;
ANALYZE adv_read.orders;
SELECT count(*) FROM adv_read.orders WHERE customer_id = 1;
CREATE TEMP TABLE snaps AS SELECT howdah_advisor.ingest(top_n => 10000) AS s0;
SELECT count(*) FROM adv_read.orders WHERE customer_id = 2;
SELECT count(*) FROM adv_read.orders WHERE customer_id = 3;
SELECT count(*) FROM adv_read.orders WHERE note = 'n5';
ALTER TABLE snaps ADD COLUMN s1 bigint;
UPDATE snaps SET s1 = howdah_advisor.ingest(top_n => 10000);
CREATE TEMP TABLE ids AS
SELECT (SELECT id FROM howdah_advisor.queries WHERE fingerprint = howdah_advisor.fingerprint('SELECT count(*) FROM adv_read.orders WHERE customer_id = 1')) AS q1,
       (SELECT id FROM howdah_advisor.queries WHERE fingerprint = howdah_advisor.fingerprint('SELECT count(*) FROM adv_read.orders WHERE note = ''x''')) AS q2;
INSERT INTO howdah_advisor.plans (snapshot_id, query_id, kind, total_cost, est_rows, had_seq_scan, plan_json, facts)
SELECT s1, q1, 'generic', 38.5, 1, true, '[{"Plan": {"Node Type": "Seq Scan"}}]',
       '{"seq_scans": [{"table": "adv_read.orders", "rows": 2000, "filter": "(customer_id = $1)", "rows_removed": null, "columns": ["customer_id"]}],
         "max_skew": 12.5, "sorts": [], "joins": [], "subplans": []}'
  FROM snaps, ids;
INSERT INTO howdah_advisor.recommendations (snapshot_id, type, key, table_name, columns, query_ids, ddl, rationale, confidence, rank, benefit_total_ms)
SELECT s1, 'missing_index', 'index:adv_read.orders(customer_id)', 'adv_read.orders', '{customer_id}', ARRAY[q1],
       'CREATE INDEX CONCURRENTLY ON adv_read.orders USING btree (customer_id)',
       'Query reads all 2000 rows of adv_read.orders to find customer_id = $1 (12.5 ms per call). An index on customer_id finds them directly.', 0.9, 1, 30
  FROM snaps, ids;
INSERT INTO howdah_advisor.recommendations (snapshot_id, type, key, table_name, columns, query_ids, ddl, rationale, confidence, rank, benefit_total_ms)
SELECT s1, 'stats', 'stats:adv_read.orders(customer_id,note)', 'adv_read.orders', '{customer_id,note}', ARRAY[q2, q1],
       'ANALYZE adv_read.orders', 'Estimates are off by 12.5 times! Analyze the table.', 0.6, 2, 5
  FROM snaps, ids;
CREATE TEMP TABLE recs AS
SELECT (SELECT id FROM howdah_advisor.recommendations WHERE key = 'index:adv_read.orders(customer_id)') AS r1,
       (SELECT id FROM howdah_advisor.recommendations WHERE key LIKE 'stats:adv_read.orders%') AS r2;
INSERT INTO howdah_advisor.simulations (snapshot_id, query_id, rec_id, mode, before_cost, after_cost, before_ms, after_ms, improvement_pct, gain, plan_changes, ran_at, error)
SELECT s1, q1, r1, 'hypopg', 38.5, 20, 1, 0.5, 48, true, '{}', now() - interval '2 minutes', NULL FROM snaps, ids, recs;
INSERT INTO howdah_advisor.simulations (snapshot_id, query_id, rec_id, mode, before_cost, after_cost, before_ms, after_ms, improvement_pct, gain, plan_changes, ran_at, error)
SELECT s1, q1, r1, 'hypopg', 38.5, 6.2, 1, 0.16, 84, true, '{"Seq Scan → Index Scan on adv_read.orders"}', now() - interval '1 minute', NULL FROM snaps, ids, recs;
INSERT INTO howdah_advisor.simulations (snapshot_id, query_id, rec_id, mode, before_cost, after_cost, before_ms, after_ms, improvement_pct, gain, plan_changes, ran_at, error)
SELECT s1, q1, r1, 'hypopg', NULL, NULL, NULL, NULL, NULL, NULL, '{}', now(), 'canceled' FROM snaps, ids, recs;
INSERT INTO howdah_advisor.families (snapshot_id, label, size, tokens) SELECT s1, 'orders_eq_1col', 2, '{table:adv_read.orders}' FROM snaps;
INSERT INTO howdah_advisor.query_families (snapshot_id, query_id, family_id, similarity)
SELECT s1, q1, (SELECT id FROM howdah_advisor.families WHERE label = 'orders_eq_1col'), 0.9 FROM snaps, ids;
INSERT INTO howdah_advisor.anomalies (snapshot_id, query_id, kind, detail) SELECT s1, q1, 'family_slow', '{"mean_ms": 1, "family_median_ms": 0.2}' FROM snaps, ids;

CREATE TEMP VIEW b AS SELECT * FROM howdah_advisor.bottlenecks();

SELECT is((SELECT count(*)::int FROM b), 2, 'one row per query with a finding');
SELECT is(ARRAY(SELECT row(rank, query_id, rec_id, type)::text FROM b ORDER BY rank),
          ARRAY[row(1, (SELECT q1 FROM ids), (SELECT r1 FROM recs), 'missing_index')::text,
                row(2, (SELECT q2 FROM ids), (SELECT r2 FROM recs), 'stats')::text],
          'each query with its best finding, in the findings'' rank order');
SELECT is((SELECT row(b.fingerprint, b.query, b.mean_ms, b.calls, b.total_ms)::text FROM b WHERE rank = 1),
          (SELECT row(q.fingerprint, q.norm_sql, m.mean_ms, m.calls, m.total_ms)::text FROM howdah_advisor.queries q
             JOIN howdah_advisor.metrics m ON m.query_id = q.id AND m.snapshot_id = (SELECT s1 FROM snaps) WHERE q.id = (SELECT q1 FROM ids)),
          'the query''s text and metrics at the snapshot');
SELECT is((SELECT reason FROM b WHERE rank = 1), 'Query reads all 2000 rows of adv_read.orders to find customer_id = $1 (12.5 ms per call).',
          'reason is the rationale''s first sentence ("12.5" and "adv_read.orders" do not end it)');
SELECT is((SELECT reason FROM b WHERE rank = 2), 'Estimates are off by 12.5 times!', 'a sentence may end with !');
SELECT is((SELECT improvement_pct FROM b WHERE rank = 1), 84::double precision, 'improvement_pct is the newest simulation without an error');
SELECT is((SELECT improvement_pct FROM b WHERE rank = 2), NULL, 'NULL when the finding was never simulated on the query');
SELECT is((SELECT row(ddl, confidence)::text FROM b WHERE rank = 1),
          row('CREATE INDEX CONCURRENTLY ON adv_read.orders USING btree (customer_id)', 0.9::real)::text, 'ddl and confidence');
SELECT is((SELECT count(*)::int FROM howdah_advisor.bottlenecks(lim => 1)), 1, 'lim bounds the rows');
SELECT is((SELECT count(*)::int FROM howdah_advisor.bottlenecks(snapshot_id => (SELECT s0 FROM snaps))), 0, 'an older snapshot, by id, has its own (no) findings');

SELECT throws_ok('SELECT * FROM howdah_advisor.bottlenecks(lim => 0)', '22023', 'lim must be from 1 to 1000, not 0', 'lim 0 is 22023');
SELECT throws_ok('SELECT * FROM howdah_advisor.bottlenecks(lim => 1001)', '22023', 'lim must be from 1 to 1000, not 1001', 'lim over 1000 is 22023');
SELECT throws_ok('SELECT * FROM howdah_advisor.bottlenecks(lim => NULL)', '22023', 'lim must be from 1 to 1000, not NULL', 'lim NULL is 22023');
SELECT throws_ok('SELECT * FROM howdah_advisor.bottlenecks(snapshot_id => -1)', 'P0002', 'snapshot -1 does not exist', 'an unknown snapshot is P0002');

CREATE TEMP TABLE d AS SELECT howdah_advisor.query_detail((SELECT q1 FROM ids)) AS j;
SELECT is((SELECT array_agg(k ORDER BY k) FROM d, jsonb_object_keys(j) k),
          '{anomalies,family,history,metrics,plans,query,recommendations,simulations,snapshot_id}', 'query_detail has every part');
SELECT is((SELECT (j ->> 'snapshot_id')::bigint FROM d), (SELECT s1 FROM snaps), 'the newest done snapshot by default');
SELECT is((SELECT row(j #>> '{query,fingerprint}', (j #>> '{metrics,calls}')::bigint, (j #>> '{metrics,mean_ms}')::double precision)::text FROM d),
          (SELECT row(q.fingerprint, m.calls, m.mean_ms)::text FROM howdah_advisor.queries q JOIN howdah_advisor.metrics m ON m.query_id = q.id
            WHERE q.id = (SELECT q1 FROM ids) AND m.snapshot_id = (SELECT s1 FROM snaps)), 'the query and its metrics');
SELECT is((SELECT array_agg((h ->> 'snapshot_id')::bigint) FROM d, jsonb_array_elements(j -> 'history') h),
          (SELECT ARRAY[s1, s0] FROM snaps), 'its history, newest first');
SELECT is((SELECT j #>> '{plans,0,facts,seq_scans,0,table}' FROM d), 'adv_read.orders', 'its plans with their facts');
SELECT is((SELECT array_agg((r ->> 'id')::bigint) FROM d, jsonb_array_elements(j -> 'recommendations') r), (SELECT ARRAY[r1, r2] FROM recs),
          'the findings that list it, in rank order');
SELECT is((SELECT array_agg((s ->> 'improvement_pct')::double precision) FROM d, jsonb_array_elements(j -> 'simulations') s),
          ARRAY[NULL, 84, 48]::double precision[], 'its simulations, newest first');
SELECT is((SELECT row(j #>> '{family,label}', j #>> '{anomalies,0,kind}')::text FROM d), row('orders_eq_1col', 'family_slow')::text,
          'its family and anomaly tags');

SELECT throws_ok('SELECT howdah_advisor.query_detail(-5)', 'P0002', 'query -5 does not exist', 'an unknown query is P0002');
DELETE FROM howdah_advisor.snapshots;
SELECT throws_ok('SELECT * FROM howdah_advisor.bottlenecks()', 'P0002', 'no advisor scan has finished yet: there is nothing to read',
                 'with no finished scan, P0002 says to scan first');

SELECT * FROM finish();
ROLLBACK;
