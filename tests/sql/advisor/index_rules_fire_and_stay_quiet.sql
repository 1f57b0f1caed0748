-- The index rules fire on their patterns with the exact DDL — a missing single-column index, an
-- expression index on lower(email), a composite (equality before range), equality before the
-- sort keys of ORDER BY ... LIMIT, a partial index for a selective IS NULL, a join key on a hash
-- join's big side — and stay quiet on the well-indexed twin (the same queries on a copy of the
-- table that has the index) and on a low-selectivity column alone. Literal variants are one
-- query listed once; one index for two queries is one recommendation listing both.
BEGIN;
SELECT plan(15);

CREATE SCHEMA adv_rules;
CREATE TABLE adv_rules.customers (id int PRIMARY KEY, email text);
INSERT INTO adv_rules.customers SELECT g, 'U' || g || '@x' FROM generate_series(1, 20000) g;
CREATE TABLE adv_rules.orders (id int PRIMARY KEY, customer_id int, region_id int, status text, created_at timestamptz, shipped_at timestamptz);
INSERT INTO adv_rules.orders
SELECT g, g % 20000 + 1, g % 100, (ARRAY['new', 'paid', 'sent'])[g % 3 + 1], '2024-01-01'::timestamptz + g * interval '1 minute',
       CASE WHEN g % 100 > 0 THEN '2024-06-01'::timestamptz END
  FROM generate_series(1, 50000) g;
-- The twin: the same rows with the indexes the queries need.
CREATE TABLE adv_rules.twin (LIKE adv_rules.orders INCLUDING ALL);
INSERT INTO adv_rules.twin SELECT * FROM adv_rules.orders;
CREATE INDEX ON adv_rules.twin (customer_id);
CREATE INDEX ON adv_rules.twin (region_id, created_at);
CREATE INDEX ON adv_rules.twin (status, created_at);
CREATE INDEX ON adv_rules.twin (shipped_at) WHERE shipped_at IS NULL;
ANALYZE adv_rules.customers, adv_rules.orders, adv_rules.twin;

-- The workload, twice: on orders and on its twin.
SELECT count(*) FROM adv_rules.orders WHERE customer_id = 42;
SELECT count(*) FROM adv_rules.orders WHERE customer_id = 43;
SELECT max(created_at) FROM adv_rules.orders WHERE customer_id = 44;
SELECT count(*) FROM adv_rules.orders WHERE region_id = 7 AND created_at >= '2024-01-20';
SELECT id FROM adv_rules.orders WHERE status = 'new' ORDER BY created_at DESC LIMIT 10;
SELECT count(*) FROM adv_rules.orders WHERE shipped_at IS NULL;
SELECT count(*) FROM adv_rules.orders WHERE status = 'paid';
SELECT count(*) FROM adv_rules.twin WHERE customer_id = 42;
SELECT max(created_at) FROM adv_rules.twin WHERE customer_id = 44;
SELECT count(*) FROM adv_rules.twin WHERE region_id = 7 AND created_at >= '2024-01-20';
SELECT id FROM adv_rules.twin WHERE status = 'new' ORDER BY created_at DESC LIMIT 10;
SELECT count(*) FROM adv_rules.twin WHERE shipped_at IS NULL;
SELECT * FROM adv_rules.customers WHERE lower(email) = 'u5@x';
SELECT c.email, o.id FROM adv_rules.orders o JOIN adv_rules.customers c ON c.id = o.customer_id WHERE c.id = 5;

CREATE TEMP TABLE snap AS SELECT howdah_advisor.ingest(top_n => 10000, exclude => ARRAY['^(?!.*adv_rules\.)']) AS id;
SELECT howdah_advisor.capture_plans((SELECT id FROM snap), top_k => 100);
CREATE TEMP TABLE made AS SELECT howdah_advisor.recommend((SELECT id FROM snap)) AS n;
CREATE TEMP VIEW recs AS SELECT * FROM howdah_advisor.recommendations WHERE snapshot_id = (SELECT id FROM snap);
CREATE FUNCTION pg_temp.qid(sql text) RETURNS bigint LANGUAGE sql AS $$
    SELECT id FROM howdah_advisor.queries WHERE fingerprint = howdah_advisor.fingerprint(sql) $$;

SELECT is((SELECT n FROM made), (SELECT count(*)::int FROM recs), 'recommend returns how many it wrote');
SELECT is((SELECT row(type, ddl)::text FROM recs WHERE key = 'index:adv_rules.orders(customer_id)'),
          row('missing_index', 'CREATE INDEX CONCURRENTLY ON adv_rules.orders USING btree (customer_id)')::text,
          'a seq scan filtering a selective column: missing_index with the exact DDL');
SELECT is((SELECT array_agg(q ORDER BY q) FROM recs, unnest(query_ids) q WHERE key = 'index:adv_rules.orders(customer_id)'),
          ARRAY(SELECT unnest(ARRAY[pg_temp.qid('SELECT count(*) FROM adv_rules.orders WHERE customer_id = 1'),
                                   pg_temp.qid('SELECT max(created_at) FROM adv_rules.orders WHERE customer_id = 1'),
                                   pg_temp.qid('SELECT c.email, o.id FROM adv_rules.orders o JOIN adv_rules.customers c ON c.id = o.customer_id WHERE c.id = 5')])
                  ORDER BY 1),
          'one recommendation for every query it serves (two literal variants are one query, listed once; the join key too)');
SELECT matches((SELECT rationale FROM recs WHERE key = 'index:adv_rules.orders(customer_id)'),
               '^Seq Scan on adv_rules\.orders \(50,000 rows est\.\) filters customer_id = \$1.* calls, mean .* ms\. An index on \(customer_id\) would read about .* It serves 3 queries',
               'the rationale quotes the facts');
SELECT is((SELECT ddl FROM recs WHERE table_name = 'adv_rules.customers'),
          'CREATE INDEX CONCURRENTLY ON adv_rules.customers USING btree (lower(email))', 'lower(email): an expression index');
SELECT is((SELECT row(type, ddl)::text FROM recs WHERE key = 'index:adv_rules.orders(region_id,created_at)'),
          row('composite_index', 'CREATE INDEX CONCURRENTLY ON adv_rules.orders USING btree (region_id, created_at)')::text,
          'equality then range: a composite index');
SELECT is((SELECT ddl FROM recs WHERE key = 'index:adv_rules.orders(status,created_at)'),
          'CREATE INDEX CONCURRENTLY ON adv_rules.orders USING btree (status, created_at)', 'equality then the sort key of ORDER BY ... LIMIT');
SELECT is((SELECT ddl FROM recs WHERE key LIKE 'index:adv_rules.orders(shipped_at)%'),
          'CREATE INDEX CONCURRENTLY ON adv_rules.orders USING btree (shipped_at) WHERE shipped_at IS NULL', 'a selective IS NULL: a partial index');
SELECT is((SELECT count(*)::int FROM recs WHERE table_name = 'adv_rules.twin'), 0, 'the well-indexed twin gets nothing');
SELECT is((SELECT count(*)::int FROM recs WHERE columns = '{status}'), 0, 'a three-value column alone gets nothing');
SELECT ok((SELECT bool_and(confidence BETWEEN 0 AND 1 AND risk ? 'write_rate' AND risk ? 'index_count' AND risk ? 'lock' AND risk ->> 'level' IN ('low', 'medium', 'high')
                           AND benefit_total_ms >= 0 AND evidence -> 'queries' -> 0 ? 'mean_ms') FROM recs),
          'every row has a confidence, a risk, evidence and a benefit');
SELECT is(ARRAY(SELECT rank FROM recs ORDER BY rank), ARRAY(SELECT generate_series(1, (SELECT count(*)::int FROM recs))), 'ranks run 1..n');
SELECT is((SELECT count(*)::int FROM recs r WHERE EXISTS (SELECT FROM recs s WHERE s.rank > r.rank AND s.type < r.type)), 0, 'by type first');

-- Running it again replaces, never doubles.
SELECT is(howdah_advisor.recommend((SELECT id FROM snap)), (SELECT n FROM made), 'recommend again gives the same count');
SELECT throws_ok('SELECT howdah_advisor.recommend(-1)', 'P0002', 'no snapshot -1', 'an unknown snapshot is P0002');

SELECT * FROM finish();
ROLLBACK;
