-- ask() answers four kinds of question from stored facts only, every sentence ending with the
-- markers of the citations it rests on, and each citation quoting the row it names; a question
-- it cannot answer gets intent unknown and the list it can; bad input is 22023 / P0002.
BEGIN;
SELECT plan(40);

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

-- Every sentence ends with markers [n] (a period after anything else never ends one); the markers are exactly 1..(number of citations).
CREATE FUNCTION pg_temp.grounded(a jsonb) RETURNS boolean LANGUAGE sql AS $$
    SELECT a ->> 'answer' ~ '^(([^][]|\[[0-9]+\])*\[[0-9]+\]\.( |$))+$' AND a ->> 'answer' !~ '[^]]\. [A-Z]'
       AND ARRAY(SELECT DISTINCT m[1]::int FROM regexp_matches(a ->> 'answer', '\[([0-9]+)\]', 'g') m ORDER BY 1)
           = ARRAY(SELECT generate_series(1, jsonb_array_length(a -> 'citations')))
$$;
CREATE FUNCTION pg_temp.cite(a jsonb, r text) RETURNS text LANGUAGE sql AS $$
    SELECT c ->> 'text' FROM jsonb_array_elements(a -> 'citations') c WHERE c ->> 'ref' = r
$$;
SELECT ok(NOT pg_temp.grounded('{"answer": "A claim. Another one [1].", "citations": [{}]}'), 'the check sees a sentence without a citation');
CREATE TEMP TABLE m1 AS SELECT m.* FROM howdah_advisor.metrics m, snaps, ids WHERE m.snapshot_id = s1 AND m.query_id = q1;

-- why_slow
CREATE TEMP TABLE a1 AS SELECT howdah_advisor.ask('Why is query ' || q1 || ' so slow?') AS a FROM ids;
SELECT is((SELECT a ->> 'intent' FROM a1), 'why_slow', '"why is query N so slow" is why_slow');
SELECT is((SELECT (a ->> 'query_id')::bigint FROM a1), (SELECT q1 FROM ids), 'the query named in the question');
SELECT ok((SELECT pg_temp.grounded(a) FROM a1), 'why_slow: every sentence is backed by citations');
SELECT is((SELECT pg_temp.cite(a, format('metrics:%s/%s', s1, q1)) FROM a1, snaps, ids),
          (SELECT format('query %s at snapshot %s, captured at %s: mean_ms %s, calls %s, total_ms %s, rank %s', query_id, snapshot_id, captured_at,
                         howdah_internal.advisor_num(mean_ms), calls, howdah_internal.advisor_num(total_ms), rank) FROM m1),
          'it cites the metrics row with its mean_ms, calls, total_ms and rank');
SELECT ok((SELECT a ->> 'answer' LIKE format('%%ran %s times at %s ms on average%%', calls, howdah_internal.advisor_num(mean_ms)) FROM a1, m1),
          'and the answer says the same numbers');
SELECT matches((SELECT pg_temp.cite(a, format('plan:%s/%s/generic', s1, q1)) FROM a1, snaps, ids),
               '^plan captured at .* \(generic\): had_seq_scan = true, total_cost 38\.5, est_rows 1$', 'it cites the plan: had_seq_scan, cost');
SELECT is((SELECT pg_temp.cite(a, format('plan:%s/%s/generic#seq_scans/0', s1, q1)) FROM a1, snaps, ids),
          (SELECT format('plan captured at %s: Seq Scan on adv_read.orders, rows 2000, filter (customer_id = $1), rows_removed n/a', captured_at)
             FROM howdah_advisor.plans, snaps, ids WHERE snapshot_id = s1 AND query_id = q1),
          'and each sequential scan of its facts');
SELECT ok((SELECT a ->> 'answer' ~ 'off by up to 12\.5 times' AND a ->> 'answer' ~ 'tagged family_slow' AND a ->> 'answer' ~ 'family orders_eq_1col'
             FROM a1), 'estimate skew, anomaly tags and the family are in the answer');
SELECT ok((SELECT pg_temp.cite(a, 'recommendation:' || r1) LIKE '%missing_index, rank 1, confidence 0.9%CREATE INDEX CONCURRENTLY ON adv_read.orders USING btree (customer_id)%'
             FROM a1, recs), 'it cites its first finding with the DDL');
SELECT is((SELECT howdah_advisor.ask('why is ' || fingerprint || ' slow') ->> 'query_id' FROM howdah_advisor.queries, ids WHERE id = q2),
          (SELECT q2::text FROM ids), 'a query may be named by its fingerprint');
SELECT is((SELECT howdah_advisor.ask('why is query 1 slow', query_id => q2) ->> 'query_id' FROM ids), (SELECT q2::text FROM ids),
          'the query_id argument wins over the question');
CREATE TEMP TABLE a2 AS SELECT howdah_advisor.ask('What is the bottleneck?') AS a;
SELECT ok((SELECT (a ->> 'query_id')::bigint = q1 AND a ->> 'answer' LIKE 'You named no query: this is the top bottleneck%' AND pg_temp.grounded(a)
             FROM a2, ids), 'without a query: the top bottleneck, said so');

-- what_index
CREATE TEMP TABLE a3 AS SELECT howdah_advisor.ask('What index should I add?') AS a;
SELECT is((SELECT a ->> 'intent' FROM a3), 'what_index', '"what index should I add" is what_index');
SELECT ok((SELECT pg_temp.grounded(a) FROM a3), 'what_index: every sentence is backed by citations');
SELECT is((SELECT array_agg(c ->> 'ref') FROM a3, jsonb_array_elements(a -> 'citations') c), (SELECT ARRAY['recommendation:' || r1] FROM recs),
          'overall: the index findings, not the others');
SELECT ok((SELECT a ->> 'answer' LIKE 'First, add CREATE INDEX CONCURRENTLY ON adv_read.orders USING btree (customer_id): it serves one query (query ' || q1 || ')%'
             FROM a3, ids), 'with its DDL and the queries it serves');
CREATE TEMP TABLE a4 AS SELECT howdah_advisor.ask('which index would fix it', q1) AS a FROM ids;
SELECT ok((SELECT pg_temp.grounded(a) FROM a4), 'for a query: grounded');
SELECT matches((SELECT pg_temp.cite(a, 'simulation:' || s.id) FROM a4, howdah_advisor.simulations s WHERE s.improvement_pct = 84),
               'before_cost 38\.5, after_cost 6\.2, improvement_pct 84, gain true$', 'it cites the newest successful simulation');
SELECT ok((SELECT a ->> 'answer' LIKE '%its cost goes from 38.5 to 6.2 (−84 \%)%' FROM a4), 'and quotes it');
CREATE TEMP TABLE a5 AS SELECT howdah_advisor.ask('what index should I add', q2) AS a FROM ids;
SELECT ok((SELECT a ->> 'answer' LIKE 'No index is recommended for query ' || q2 || '%' AND a ->> 'answer' LIKE '%ANALYZE adv_read.orders (stats%'
                  AND pg_temp.grounded(a) FROM a5, ids), 'a query without an index finding: said so, with its other findings');

-- show_impact: stored simulations when simulate() cannot run; a simulation when it can.
CREATE TEMP TABLE has_sim AS SELECT to_regproc('howdah_advisor.simulate') IS NOT NULL AS real;
CREATE ROLE adv_ask_reader;
GRANT USAGE ON SCHEMA howdah_advisor TO adv_ask_reader;
GRANT SELECT ON ALL TABLES IN SCHEMA howdah_advisor TO adv_ask_reader;
GRANT SELECT ON ids TO adv_ask_reader;
DO $$
BEGIN
    -- Where simulate() is not installed, a stand-in that records a fixed result.
    IF to_regproc('howdah_advisor.simulate') IS NULL THEN
        CREATE FUNCTION howdah_advisor.simulate(query_id bigint, rec_id bigint, mode howdah_advisor.simulation_mode DEFAULT 'hypopg', sandbox text DEFAULT NULL)
        RETURNS howdah_advisor.simulations LANGUAGE sql
        AS 'INSERT INTO howdah_advisor.simulations (snapshot_id, query_id, rec_id, mode, before_cost, after_cost, before_ms, after_ms, improvement_pct, gain, plan_changes)
            SELECT r.snapshot_id, $1, $2, $3, 38.5, 5, 0.2, 0.03, 87, true, ''{"Seq Scan → Index Scan on adv_read.orders"}''
              FROM howdah_advisor.recommendations r WHERE r.id = $2 RETURNING *';
    END IF;
    REVOKE EXECUTE ON FUNCTION howdah_advisor.simulate FROM PUBLIC;
END
$$;
SET LOCAL ROLE adv_ask_reader;
CREATE TEMP TABLE a6 AS SELECT howdah_advisor.ask('show impact', q1) AS a FROM ids;
RESET ROLE;
SELECT is((SELECT a ->> 'intent' FROM a6), 'show_impact', '"show impact" is show_impact');
SELECT ok((SELECT pg_temp.grounded(a) FROM a6), 'show_impact without simulate: grounded');
SELECT ok((SELECT a ->> 'answer' LIKE '%No new simulation ran: role adv_ask_reader may not run simulate()%' FROM a6),
          'a role that may not run simulate() is told so');
SELECT is((SELECT (a ->> 'simulation_id')::bigint FROM a6), (SELECT id FROM howdah_advisor.simulations WHERE improvement_pct = 84),
          'and gets the newest stored successful simulation');
CREATE TEMP TABLE before_sims AS SELECT max(id) AS id FROM howdah_advisor.simulations;
CREATE TEMP TABLE a7 AS SELECT howdah_advisor.ask('Show the impact of the index for query ' || q1) AS a FROM ids;
SELECT ok((SELECT pg_temp.grounded(a) FROM a7), 'show_impact: grounded');
SELECT ok((SELECT (a ->> 'simulation_id')::bigint > id AND (a ->> 'rec_id')::bigint = r1 FROM a7, before_sims, recs),
          'it ran simulate() on the query''s best index finding: a new simulation');
SELECT is((SELECT pg_temp.cite(a, 'simulation:' || (a ->> 'simulation_id')) FROM a7),
          (SELECT format('simulation %s (%s, ran at %s) of recommendation %s on query %s: before_cost %s, after_cost %s, improvement_pct %s, gain %s', s.id, s.mode,
                         to_jsonb(s.ran_at) #>> '{}', s.rec_id, s.query_id, howdah_internal.advisor_num(s.before_cost), howdah_internal.advisor_num(s.after_cost),
                         howdah_internal.advisor_num(s.improvement_pct), to_jsonb(s.gain))
             FROM a7, howdah_advisor.simulations s WHERE s.id = (a ->> 'simulation_id')::bigint), 'and cites the stored row');

-- what_changed: make query 1's calls since the previous scan slow.
UPDATE howdah_advisor.metrics m SET total_ms = m.total_ms + 1000 * (m.calls - m0.calls)
  FROM howdah_advisor.metrics m0, snaps, ids
 WHERE m.snapshot_id = s1 AND m.query_id = q1 AND m0.snapshot_id = s0 AND m0.query_id = q1;
CREATE TEMP TABLE a8 AS SELECT howdah_advisor.ask('What changed since the last scan?') AS a;
SELECT is((SELECT a ->> 'intent' FROM a8), 'what_changed', '"what changed since the last scan" is what_changed');
SELECT ok((SELECT pg_temp.grounded(a) FROM a8), 'what_changed: grounded');
SELECT ok((SELECT a ->> 'answer' LIKE format('Comparing snapshot %s with the scan before it, snapshot %s [1][2].%%', s1, s0)
                  AND (a ->> 'previous_snapshot_id')::bigint = s0 FROM a8, snaps), 'it compares the two newest done scans');
SELECT ok((SELECT a ->> 'answer' LIKE format('%%Query %s got slower: %%', q1) FROM a8, ids), 'a regression over the calls between the scans');
SELECT ok((SELECT a ->> 'answer' LIKE '%2 findings are new: missing_index index:adv_read.orders(customer_id) [%], stats stats:adv_read.orders(customer_id,note) [%]%'
             FROM a8), 'the new findings, by key, each cited');
SELECT ok((SELECT CASE WHEN n = 0 THEN a ->> 'answer' LIKE '%No query is new%' ELSE a ->> 'answer' LIKE format('%%%s new in snapshot %%', CASE WHEN n = 1 THEN '1 query is' ELSE n || ' queries are' END) END
             FROM a8, (SELECT count(*) AS n FROM howdah_advisor.metrics m, snaps WHERE m.snapshot_id = s1
                        AND NOT EXISTS (SELECT FROM howdah_advisor.metrics o WHERE o.snapshot_id = s0 AND o.query_id = m.query_id)) x),
          'the queries new since the previous scan');

-- unknown and bad input
CREATE TEMP TABLE a9 AS SELECT howdah_advisor.ask('What is the weather in Lisbon?') AS a;
SELECT ok((SELECT a ->> 'intent' = 'unknown' AND a -> 'citations' = '[]' AND jsonb_array_length(a -> 'can_answer') = 4
                  AND a ->> 'answer' LIKE 'I answer only from the advisor''s stored facts, and only these questions: why is query <id> slow?%' FROM a9),
          'a question it cannot answer: intent unknown, the questions it can answer, no error');
SELECT throws_ok($$SELECT howdah_advisor.ask('  ')$$, '22023', 'question is empty: ask one of the questions can_answer lists', 'an empty question is 22023');
SELECT throws_ok($$SELECT howdah_advisor.ask(NULL)$$, '22023', 'question is empty: ask one of the questions can_answer lists', 'a NULL question is 22023');
SELECT throws_ok($$SELECT howdah_advisor.ask(repeat('why ', 600))$$, '22023', 'question is 2399 characters long: ask in at most 2000', 'an overlong question is 22023');
SELECT throws_ok($$SELECT howdah_advisor.ask('why is query 987654321 slow?')$$, 'P0002', 'query 987654321 does not exist', 'an unknown query is P0002');
SELECT throws_ok($$SELECT howdah_advisor.ask('why is 0123456789abcdef0123456789abcdef slow?')$$, 'P0002', 'no query has the fingerprint 0123456789abcdef0123456789abcdef',
                 'an unknown fingerprint is P0002');

SELECT * FROM finish();
ROLLBACK;
