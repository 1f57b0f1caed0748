-- Rule unused_index: an index with no scan since the statistics reset and at least
-- howdah_advisor.unused_index_min_bytes large gets DROP INDEX CONCURRENTLY with the window in
-- words; a used, small, unique or primary index gets nothing, a short window gets low confidence,
-- an unknown reset on a young server gets nothing, and a redundant finding of the same index wins.
BEGIN;
SELECT plan(16);

CREATE SCHEMA adv_unused;
CREATE TABLE adv_unused.t (id int PRIMARY KEY, a int, b int, u int);
INSERT INTO adv_unused.t SELECT g, g % 100, g % 7, g FROM generate_series(1, 2000) g;
CREATE INDEX t_a_idx ON adv_unused.t (a);                -- unused: the finding
CREATE INDEX t_b_idx ON adv_unused.t (b);                -- used
CREATE UNIQUE INDEX t_u_idx ON adv_unused.t (u);         -- unique: never
CREATE INDEX t_a_b_idx ON adv_unused.t (a, b);           -- unused, but small
CREATE TEMP TABLE snap AS SELECT howdah_advisor.ingest(top_n => 1) AS id;
CREATE TEMP VIEW got AS
SELECT r.* FROM howdah_advisor.recommendations r
 WHERE r.snapshot_id = (SELECT id FROM snap) AND r.table_name = 'adv_unused.t';
UPDATE howdah_advisor.indexes SET scan_count = CASE WHEN name = 'adv_unused.t_b_idx' THEN 40 ELSE 0 END,
       bytes = CASE WHEN name = 'adv_unused.t_a_b_idx' THEN 8192 ELSE 5 * 1048576 END
 WHERE snapshot_id = (SELECT id FROM snap) AND table_name = 'adv_unused.t';

-- Statistics never reset, and this test server started minutes ago: the counters say too little.
UPDATE howdah_advisor.snapshots SET stats_reset_at = NULL WHERE id = (SELECT id FROM snap);
SELECT howdah_internal.advisor_rule_unused_index((SELECT id FROM snap));
SELECT is((SELECT count(*)::int FROM got), 0, 'an unknown reset on a server up less than a day: no finding');

UPDATE howdah_advisor.snapshots SET stats_reset_at = started_at - interval '10 days 2 hours' WHERE id = (SELECT id FROM snap);
SELECT cmp_ok(howdah_internal.advisor_rule_unused_index((SELECT id FROM snap)), '>=', 1, 'the rule returns how many findings it wrote');
SELECT is(ARRAY(SELECT index_name FROM got), '{adv_unused.t_a_idx}'::text[],
          'only the unused, large, non-unique index: not the used one, the small one, the unique one or the primary key');
SELECT is((SELECT row(type, key, ddl, confidence)::text FROM got),
          row('unused_index'::howdah_advisor.recommendation_type, 'drop:adv_unused.t_a_idx', 'DROP INDEX CONCURRENTLY adv_unused.t_a_idx', 0.7::real)::text,
          'DROP INDEX CONCURRENTLY, keyed drop:<index>, confidence 0.7 after more than a week');
SELECT matches((SELECT rationale FROM got),
               '^adv_unused\.t_a_idx on adv_unused\.t \(a\) was not scanned once in 10 days \(since the statistics were reset 10 days ago .*\); it takes 5120 kB',
               'the rationale says how long the window is and the size');
SELECT is((SELECT jsonb_array_length(risk -> 'notes')::int FROM got), 2, 'the risk notes rare queries and replicas');
SELECT is((SELECT (evidence ->> 'window_seconds')::bigint FROM got), (10 * 86400 + 7200)::bigint, 'the evidence has the window');

-- The size threshold: the setting, with a unit.
DELETE FROM howdah_advisor.recommendations WHERE snapshot_id = (SELECT id FROM snap);
SET LOCAL howdah_advisor.unused_index_min_bytes = '8kB';
SELECT howdah_internal.advisor_rule_unused_index((SELECT id FROM snap));
SELECT is(ARRAY(SELECT index_name FROM got ORDER BY 1), '{adv_unused.t_a_b_idx,adv_unused.t_a_idx}'::text[],
          'unused_index_min_bytes = 8kB takes the small index in');
SET LOCAL howdah_advisor.unused_index_min_bytes = 'lots';
SELECT throws_ok(format('SELECT howdah_internal.advisor_rule_unused_index(%s)', (SELECT id FROM snap)), '22023',
                 'setting howdah_advisor.unused_index_min_bytes must be a number of at least 0, not ''lots''', 'a bad setting is 22023 naming it');
RESET howdah_advisor.unused_index_min_bytes;

-- A short window: low confidence, and the rationale says so.
DELETE FROM howdah_advisor.recommendations WHERE snapshot_id = (SELECT id FROM snap);
UPDATE howdah_advisor.snapshots SET stats_reset_at = started_at - interval '3 hours' WHERE id = (SELECT id FROM snap);
SELECT howdah_internal.advisor_rule_unused_index((SELECT id FROM snap));
SELECT is((SELECT row(confidence, risk ->> 'level')::text FROM got), row(0.2::real, 'high')::text, 'reset 3 hours ago: confidence 0.2, risk high');
SELECT matches((SELECT rationale FROM got), 'in 3 hours .*That window is short', 'and the rationale says the window is short');

-- An index an earlier snapshot did not have counts from that snapshot.
DELETE FROM howdah_advisor.recommendations WHERE snapshot_id = (SELECT id FROM snap);
UPDATE howdah_advisor.snapshots SET stats_reset_at = started_at - interval '30 days' WHERE id = (SELECT id FROM snap);
-- An older snapshot (a smaller id) that recorded the table without the index.
INSERT INTO howdah_advisor.snapshots (started_at, finished_at, state) VALUES (now() - interval '2 hours', now() - interval '2 hours', 'done');
INSERT INTO howdah_advisor.tables (snapshot_id, relid, name, schema_name, table_name)
VALUES ((SELECT max(id) FROM howdah_advisor.snapshots), 'adv_unused.t'::regclass, 'adv_unused.t', 'adv_unused', 't');
CREATE TEMP TABLE snap_new AS SELECT howdah_advisor.ingest(top_n => 1) AS id;
UPDATE howdah_advisor.snapshots SET stats_reset_at = started_at - interval '30 days' WHERE id = (SELECT id FROM snap_new);
UPDATE howdah_advisor.indexes SET bytes = 5 * 1048576 WHERE snapshot_id = (SELECT id FROM snap_new) AND name = 'adv_unused.t_a_idx';
SELECT howdah_internal.advisor_rule_unused_index((SELECT id FROM snap_new));
SELECT is((SELECT confidence FROM howdah_advisor.recommendations WHERE snapshot_id = (SELECT id FROM snap_new) AND key = 'drop:adv_unused.t_a_idx'),
          0.2::real, 'an index a scan 2 hours ago did not see counts from then: low confidence');

-- Redundant and unused is one finding, redundant, whichever rule runs first.
DELETE FROM howdah_advisor.recommendations WHERE snapshot_id = (SELECT id FROM snap);
SELECT howdah_internal.advisor_rule_redundant_index((SELECT id FROM snap));
SELECT howdah_internal.advisor_rule_unused_index((SELECT id FROM snap));
SELECT is((SELECT type::text FROM got WHERE key = 'drop:adv_unused.t_a_idx'), 'redundant_index',
          'unused after redundant leaves the redundant finding');

-- Bad snapshot ids.
CREATE TEMP TABLE before AS SELECT count(*) AS n FROM howdah_advisor.recommendations;
SELECT throws_ok('SELECT howdah_internal.advisor_rule_unused_index(NULL)', '22023', 'sid (the snapshot id) must not be NULL', 'a NULL snapshot is 22023');
SELECT throws_ok('SELECT howdah_internal.advisor_rule_unused_index(-1)', 'P0002', 'no snapshot -1', 'an unknown snapshot is P0002');
SELECT is((SELECT count(*) FROM howdah_advisor.recommendations), (SELECT n FROM before), 'bad ids write nothing');

SELECT * FROM finish();
ROLLBACK;
