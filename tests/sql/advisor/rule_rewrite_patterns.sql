-- Rule rewrite: a correlated subquery run per row, an OR of indexed columns read by a Seq Scan,
-- NOT IN over a nullable column and date(col) / col::date / date_trunc('day', col) on an indexed
-- timestamp each get a sketch in the rationale (no DDL); their twins — the subquery run once, the
-- OR served by a BitmapOr or on a column without an index, NOT IN over a NOT NULL column,
-- lower(email), date() of a column without an index — get nothing. Bad snapshot ids are 22023 / P0002.
BEGIN;
SELECT plan(19);

CREATE SCHEMA adv_rw;
CREATE TABLE adv_rw.customers (id int PRIMARY KEY, email text, region int);
INSERT INTO adv_rw.customers SELECT g, 'u' || g || '@example.com', g % 10 FROM generate_series(1, 2000) g;
CREATE INDEX customers_email_idx ON adv_rw.customers (email);
CREATE TABLE adv_rw.orders (id int PRIMARY KEY, customer_id int NOT NULL, amount int, status int, ref int,
                            created_at timestamptz NOT NULL, shipped_at timestamptz);
INSERT INTO adv_rw.orders
SELECT g, 1 + g % 2000, g % 1000, g % 997, g % 991, timestamptz '2024-01-01' + g * interval '1 minute', timestamptz '2024-01-01' + g * interval '1 minute'
  FROM generate_series(1, 50000) g;
CREATE INDEX orders_customer_idx ON adv_rw.orders (customer_id);
CREATE INDEX orders_amount_idx ON adv_rw.orders (amount);
CREATE INDEX orders_status_idx ON adv_rw.orders (status);
CREATE INDEX orders_created_idx ON adv_rw.orders (created_at);
CREATE TABLE adv_rw.blocked (customer_id int, cid_nn int NOT NULL);
INSERT INTO adv_rw.blocked SELECT g, g FROM generate_series(1, 50) g;
ANALYZE adv_rw.customers, adv_rw.orders, adv_rw.blocked;
CREATE TEMP TABLE snap AS SELECT howdah_advisor.ingest(top_n => 1) AS id;

-- The statements as capture_plans would store them (queries rows made here, estimated plans).
-- The planner answers an OR of indexed columns with a BitmapOr when it may: the plan the rule
-- looks for (a Seq Scan, as a generic plan or a misestimate gives) is made with bitmap scans off.
CREATE TEMP TABLE q (label text, sql text, no_bitmap boolean DEFAULT false, query_id bigint);
INSERT INTO q (label, sql, no_bitmap) VALUES
    ('correlated', 'SELECT c.id, (SELECT count(*) FROM adv_rw.orders o WHERE o.customer_id = c.id) AS n FROM adv_rw.customers c', false),
    ('correlated_once', 'SELECT c.id, (SELECT count(*) FROM adv_rw.orders o WHERE o.customer_id = c.id) AS n FROM adv_rw.customers c WHERE c.id = 7', false),
    ('or_seq', 'SELECT * FROM adv_rw.orders WHERE status = 3 OR amount = 17', true),
    ('or_bitmap', 'SELECT id FROM adv_rw.orders WHERE status = 3 OR amount = 17', false),
    ('or_unindexed', 'SELECT ref FROM adv_rw.orders WHERE status = 3 OR ref = 17', true),
    ('not_in', 'SELECT * FROM adv_rw.customers WHERE id NOT IN (SELECT customer_id FROM adv_rw.blocked)', false),
    ('not_in_not_null', 'SELECT email FROM adv_rw.customers WHERE id NOT IN (SELECT cid_nn FROM adv_rw.blocked)', false),
    ('not_in_filtered', 'SELECT region FROM adv_rw.customers WHERE id NOT IN (SELECT customer_id FROM adv_rw.blocked WHERE customer_id IS NOT NULL)', false),
    ('date_call', 'SELECT * FROM adv_rw.orders WHERE date(created_at) = ''2024-01-05''', false),
    ('date_cast', 'SELECT id FROM adv_rw.orders WHERE created_at::date = $1', false),
    ('date_trunc', 'SELECT amount FROM adv_rw.orders WHERE date_trunc(''day'', created_at) = ''2024-01-05''', false),
    ('date_unindexed', 'SELECT status FROM adv_rw.orders WHERE date(shipped_at) = ''2024-01-05''', false),
    ('lower_email', 'SELECT * FROM adv_rw.customers WHERE lower(email) = ''u7@example.com''', false);
INSERT INTO howdah_advisor.queries (verb, fingerprint, raw_sql, norm_sql, tables)
SELECT 'select', howdah_advisor.fingerprint(q.sql), q.sql, howdah_advisor.normalize(q.sql), (howdah_advisor.analyze_query(q.sql)).tables
  FROM q ON CONFLICT (fingerprint) DO NOTHING;
UPDATE q SET query_id = (SELECT id FROM howdah_advisor.queries WHERE fingerprint = howdah_advisor.fingerprint(q.sql));
SET LOCAL enable_bitmapscan = off;
INSERT INTO howdah_advisor.plans (snapshot_id, query_id, kind, plan_json)
SELECT (SELECT id FROM snap), q.query_id, e.kind, e.plan FROM q CROSS JOIN LATERAL howdah_internal.advisor_explain(q.sql) e WHERE q.no_bitmap;
RESET enable_bitmapscan;
INSERT INTO howdah_advisor.plans (snapshot_id, query_id, kind, plan_json)
SELECT (SELECT id FROM snap), q.query_id, e.kind, e.plan FROM q CROSS JOIN LATERAL howdah_internal.advisor_explain(q.sql) e WHERE NOT q.no_bitmap;
SELECT is((SELECT count(*)::int FROM howdah_advisor.plans WHERE snapshot_id = (SELECT id FROM snap)), 13, 'the test''s plans are in place');

SELECT cmp_ok(howdah_internal.advisor_rule_rewrite((SELECT id FROM snap)), '>=', 6, 'the rule returns how many findings it wrote');
CREATE TEMP VIEW got AS
SELECT q.label, r.* FROM howdah_advisor.recommendations r JOIN q ON r.query_ids = ARRAY[q.query_id]
 WHERE r.snapshot_id = (SELECT id FROM snap);

SELECT is(ARRAY(SELECT label || ' ' || (evidence ->> 'kind') FROM got ORDER BY label),
          '{"correlated correlated_subquery","date_call sargable_function","date_cast sargable_function","date_trunc sargable_function","not_in not_in_nullable","or_seq or_index"}'::text[],
          'each pattern fires once, and no twin does');
SELECT is((SELECT count(*)::int FROM got WHERE type <> 'rewrite' OR ddl IS NOT NULL OR key <> format('rewrite:%s:%s', evidence ->> 'kind', query_ids[1])), 0,
          'type rewrite, no DDL, key rewrite:<kind>:<query_id>');

SELECT matches((SELECT rationale FROM got WHERE label = 'correlated'),
               '^SubPlan 1 on orders is a correlated subquery: it runs once per outer row \(2000 times, estimated\), each time with \(customer_id = c\.id\)\. It aggregates: .*LEFT JOIN \(SELECT customer_id, <the aggregate> AS v FROM orders GROUP BY customer_id\) s ON s\.customer_id = c\.id',
               'a correlated aggregate: the grouped-join sketch, with the count of outer rows');
SELECT is((SELECT evidence -> 'outer' FROM got WHERE label = 'correlated'), '["c"]'::jsonb, 'the evidence names the outer relation');

SELECT matches((SELECT rationale FROM got WHERE label = 'or_seq'),
               '^The Seq Scan on adv_rw\.orders reads the whole table for \(\(status = 3\) OR \(amount = 17\)\) .*UNION ALL',
               'an OR of indexed columns read by a Seq Scan: the UNION ALL sketch');
SELECT is((SELECT row(table_name, columns)::text FROM got WHERE label = 'or_seq'), row('adv_rw.orders', '{amount,status}'::text[])::text,
          'it names the table and the columns');

SELECT matches((SELECT rationale FROM got WHERE label = 'not_in'),
               '^NOT IN \(SELECT customer_id FROM adv_rw\.blocked \.\.\.\) returns no row at all .*NOT EXISTS \(SELECT 1 FROM adv_rw\.blocked x WHERE x\.customer_id = ',
               'NOT IN over a nullable column: the NOT EXISTS sketch');

SELECT matches((SELECT rationale FROM got WHERE label = 'date_call'),
               '^The filter date\(created_at\) = ''2024-01-05''::date on adv_rw\.orders hides created_at from its index adv_rw\.orders_created_idx.*created_at >= ''2024-01-05''::date AND created_at < ''2024-01-05''::date \+ interval ''1 day''',
               'date(col) = x: the range sketch');
SELECT matches((SELECT rationale FROM got WHERE label = 'date_cast'),
               'The filter \(created_at\)::date = \$1 .*created_at >= \$1 AND created_at < \$1 \+ interval ''1 day''', 'col::date = $1: the range on $1');
SELECT matches((SELECT rationale FROM got WHERE label = 'date_trunc'),
               'The filter date_trunc\(''day''::text, created_at\) = ', 'date_trunc(''day'', col) = x');
SELECT is((SELECT count(*)::int FROM howdah_advisor.recommendations WHERE snapshot_id = (SELECT id FROM snap)
              AND query_ids && ARRAY(SELECT query_id FROM q WHERE label IN ('lower_email', 'date_unindexed'))), 0,
          'lower(email) and date() of a column without an index get no rewrite');
SELECT is((SELECT count(*)::int FROM howdah_advisor.recommendations WHERE snapshot_id = (SELECT id FROM snap)
              AND query_ids && ARRAY(SELECT query_id FROM q WHERE label IN ('not_in_not_null', 'not_in_filtered'))), 0,
          'NOT IN over a NOT NULL column, or with IS NOT NULL in the subquery: nothing');
SELECT is((SELECT count(*)::int FROM howdah_advisor.recommendations WHERE snapshot_id = (SELECT id FROM snap)
              AND query_ids && ARRAY(SELECT query_id FROM q WHERE label IN ('or_bitmap', 'or_unindexed', 'correlated_once'))), 0,
          'an OR served by a BitmapOr, an OR with an unindexed arm, and a subquery run once: nothing');

-- Run again: the same rows.
SELECT howdah_internal.advisor_rule_rewrite((SELECT id FROM snap));
SELECT is((SELECT count(*)::int FROM got), 6, 'a second run updates its findings in place');

-- Tables too small to matter get no OR or function finding.
DELETE FROM howdah_advisor.recommendations WHERE snapshot_id = (SELECT id FROM snap);
UPDATE howdah_advisor.tables SET rows_est = 500 WHERE snapshot_id = (SELECT id FROM snap) AND name = 'adv_rw.orders';
SELECT howdah_internal.advisor_rule_rewrite((SELECT id FROM snap));
SELECT is(ARRAY(SELECT label FROM got ORDER BY label), '{correlated,not_in}'::text[], 'a 500-row table: no OR or function finding');

SELECT throws_ok('SELECT howdah_internal.advisor_rule_rewrite(NULL)', '22023', 'sid (the snapshot id) must not be NULL', 'a NULL snapshot is 22023');
SELECT throws_ok('SELECT howdah_internal.advisor_rule_rewrite(-1)', 'P0002', 'no snapshot -1', 'an unknown snapshot is P0002');

SELECT * FROM finish();
ROLLBACK;
