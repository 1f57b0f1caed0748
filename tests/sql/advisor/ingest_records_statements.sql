-- ingest() records the statements this database ran (pg_stat_statements), merged by
-- fingerprint and ranked by total time, skips howdah's, the catalog's and excluded ones, records
-- tables and indexes; bad arguments are 22023/P0002/55000 and change nothing.
BEGIN;
SELECT plan(25);

CREATE SCHEMA adv_ingest;
CREATE TABLE adv_ingest.orders (id int PRIMARY KEY, customer_id int NOT NULL, note text);
INSERT INTO adv_ingest.orders SELECT i, i % 10, 'n' FROM generate_series(1, 1000) i;
CREATE INDEX orders_customer_idx ON adv_ingest.orders (customer_id) INCLUDE (note);
CREATE INDEX orders_note_idx ON adv_ingest.orders (lower(note)) WHERE note IS NOT NULL;
ANALYZE adv_ingest.orders;
CREATE TABLE adv_ingest.skip_me (a int);

-- The workload: two literal variants of one query, an IN list, one statement to exclude by
-- pattern (patterns see pg_stat_statements' text, where literals are $n), and howdah's and the
-- catalog's own.
SELECT count(*) FROM adv_ingest.orders WHERE customer_id = 1;
SELECT count(*) FROM adv_ingest.orders WHERE customer_id = 2;
SELECT count(*) FROM adv_ingest.orders WHERE customer_id IN (3, 4);
SELECT count(*) FROM adv_ingest.skip_me WHERE a = 1;
SELECT count(*) FROM howdah_advisor.snapshots;
SELECT howdah.version();
SELECT count(*) FROM pg_catalog.pg_class WHERE relname = 'adv_ingest';

-- top_n => 10000 reads every entry: the files run before this one filled pg_stat_statements.
CREATE TEMP TABLE snap AS SELECT howdah_advisor.ingest(top_n => 10000, exclude => ARRAY['ADV_INGEST\.SKIP_ME']) AS id;
CREATE TEMP VIEW got AS
SELECT q.*, m.calls, m.rank, m.total_ms, m.mean_ms, m.queryids, m.snapshot_id
  FROM howdah_advisor.metrics m JOIN howdah_advisor.queries q ON q.id = m.query_id
 WHERE m.snapshot_id = (SELECT id FROM snap);

SELECT is((SELECT state::text FROM howdah_advisor.snapshots WHERE id = (SELECT id FROM snap)), 'done', 'ingest() without a snapshot makes one and finishes it');
SELECT is((SELECT (settings ->> 'top_n')::int FROM howdah_advisor.snapshots WHERE id = (SELECT id FROM snap)), 10000, 'the snapshot records its settings');
SELECT is((SELECT calls FROM got WHERE fingerprint = howdah_advisor.fingerprint('SELECT count(*) FROM adv_ingest.orders WHERE customer_id = 99')),
          2::bigint, 'two literal variants are one query with two calls');
SELECT matches((SELECT raw_sql FROM got WHERE fingerprint = howdah_advisor.fingerprint('SELECT count(*) FROM adv_ingest.orders WHERE customer_id = 99')),
          'SELECT count\(\*\) FROM adv_ingest.orders WHERE customer_id = \$1$', 'raw_sql is pg_stat_statements'' text');
SELECT is((SELECT tables FROM got WHERE fingerprint = howdah_advisor.fingerprint('SELECT count(*) FROM adv_ingest.orders WHERE customer_id IN (5, 6, 7)')),
          '{adv_ingest.orders}'::text[], 'the IN-list query is there, with its table');
SELECT ok((SELECT 'pred:customer_id = ?' = ANY (tokens) FROM got WHERE norm_sql = 'select count(*) from adv_ingest.orders where customer_id = ?'),
          'queries carry their feature tokens');
SELECT is((SELECT count(*)::int FROM got WHERE raw_sql ILIKE '%skip_me%'), 0, 'a statement matching an exclude pattern is skipped');
-- (Catalog reads, that is: PostgreSQL's own foreign-key checks, which write operator(pg_catalog.=),
-- are application work the advisor may well advise on.)
SELECT is((SELECT count(*)::int FROM got WHERE norm_sql ~ 'howdah|(from|join) pg_catalog\.|pg_class|pg_stat_statements'), 0,
          'howdah''s, the advisor''s and the catalog''s statements are skipped');
SELECT ok((SELECT (stats #>> '{ingest,skipped,pattern}')::int >= 1 AND (stats #>> '{ingest,skipped,howdah}')::int >= 1
                  AND (stats #>> '{ingest,skipped,catalog}')::int >= 1
             FROM howdah_advisor.snapshots WHERE id = (SELECT id FROM snap)), 'the snapshot counts what it skipped, by reason');
SELECT is(ARRAY(SELECT rank FROM got ORDER BY rank), ARRAY(SELECT generate_series(1, (SELECT count(*)::int FROM got))),
          'ranks run 1..n');
SELECT is((SELECT count(*)::int FROM got g WHERE EXISTS (SELECT FROM got h WHERE h.rank < g.rank AND h.total_ms < g.total_ms)), 0,
          'rank follows total time');
SELECT is((SELECT count(*)::int FROM got WHERE abs(mean_ms - total_ms / calls) > 1e-9 OR cardinality(queryids) = 0), 0,
          'mean_ms is total_ms / calls, and every row lists its pg_stat_statements ids');

SELECT is((SELECT row(name, rows_est, table_bytes > 0, total_bytes > table_bytes)::text FROM howdah_advisor.tables
            WHERE snapshot_id = (SELECT id FROM snap) AND relid = 'adv_ingest.orders'::regclass),
          row('adv_ingest.orders', 1000::double precision, true, true)::text, 'the table with its estimated rows and sizes');
SELECT is((SELECT row(columns, covers_columns, is_unique, backs_constraint, bytes > 0)::text FROM howdah_advisor.indexes
            WHERE snapshot_id = (SELECT id FROM snap) AND name = 'adv_ingest.orders_customer_idx'),
          row('{customer_id}'::text[], '{note}'::text[], false, false, true)::text, 'an index with its key and INCLUDE columns');
SELECT is((SELECT row(columns, predicate)::text FROM howdah_advisor.indexes
            WHERE snapshot_id = (SELECT id FROM snap) AND name = 'adv_ingest.orders_note_idx'),
          row('{lower(note)}'::text[], 'note IS NOT NULL')::text, 'an expression index with its predicate');
SELECT ok((SELECT is_primary AND is_unique AND backs_constraint FROM howdah_advisor.indexes
            WHERE snapshot_id = (SELECT id FROM snap) AND name = 'adv_ingest.orders_pkey'), 'the primary key backs a constraint');
SELECT is((SELECT count(*)::int FROM howdah_advisor.tables WHERE snapshot_id = (SELECT id FROM snap) AND schema_name LIKE 'howdah%'), 0,
          'howdah''s own tables are not recorded');

-- A second ingest reuses the queries and measures write rates against the first.
CREATE TEMP TABLE snap2 AS SELECT howdah_advisor.ingest(top_n => 10000) AS id;
SELECT is((SELECT count(*)::int FROM howdah_advisor.queries WHERE fingerprint = howdah_advisor.fingerprint('SELECT count(*) FROM adv_ingest.orders WHERE customer_id = 0')),
          1, 'a query seen twice is one row');
SELECT is((SELECT last_snapshot FROM howdah_advisor.queries WHERE fingerprint = howdah_advisor.fingerprint('SELECT count(*) FROM adv_ingest.orders WHERE customer_id = 0')),
          (SELECT id FROM snap2), 'its last_snapshot moves on');
SELECT is((SELECT write_rate_since FROM howdah_advisor.tables WHERE snapshot_id = (SELECT id FROM snap2) AND relid = 'adv_ingest.orders'::regclass),
          (SELECT captured_at FROM howdah_advisor.tables WHERE snapshot_id = (SELECT id FROM snap) AND relid = 'adv_ingest.orders'::regclass),
          'the write rate counts from the previous snapshot');

-- Bad arguments.
CREATE TEMP TABLE before AS SELECT count(*) AS n FROM howdah_advisor.snapshots;
SELECT throws_ok('SELECT howdah_advisor.ingest(top_n => 0)', '22023', 'top_n must be between 1 and 10000, not 0', 'top_n below 1 is 22023');
SELECT throws_ok($$SELECT howdah_advisor.ingest(exclude => ARRAY['(unclosed'])$$, '22023', NULL, 'an invalid exclude pattern is 22023');
SELECT throws_ok('SELECT howdah_advisor.ingest(snapshot_id => -1)', 'P0002', 'no snapshot -1', 'an unknown snapshot is P0002');
SELECT throws_ok(format('SELECT howdah_advisor.ingest(snapshot_id => %s)', (SELECT id FROM snap)), '55000', NULL,
                 'a finished snapshot is 55000');
SELECT is((SELECT count(*) FROM howdah_advisor.snapshots), (SELECT n FROM before), 'bad arguments change nothing');

SELECT * FROM finish();
ROLLBACK;
