-- capture_plans() stores the plan and facts of a snapshot's top queries; a statement whose table
-- was dropped gets a plans row with its error and an entry in the snapshot's errors, and the
-- others are captured; step_timeout skips the rest and says so; bad arguments are 22023/P0002.
BEGIN;
SELECT plan(12);

CREATE SCHEMA adv_cap;
CREATE TABLE adv_cap.items (id int PRIMARY KEY, kind int);
INSERT INTO adv_cap.items SELECT g, g % 50 FROM generate_series(1, 2000) g;
ANALYZE adv_cap.items;
CREATE TABLE adv_cap.doomed (a int);
SELECT count(*) FROM adv_cap.items WHERE kind = 3;
SELECT * FROM adv_cap.items WHERE id = 4;
SELECT count(*) FROM adv_cap.doomed WHERE a = 1;
DROP TABLE adv_cap.doomed;

-- Only this file's statements (the pattern excludes every text that does not name adv_cap.).
CREATE TEMP TABLE snap AS SELECT howdah_advisor.ingest(top_n => 10000, exclude => ARRAY['^(?!.*adv_cap\.)']) AS id;
CREATE TEMP TABLE captured AS SELECT howdah_advisor.capture_plans((SELECT id FROM snap), top_k => 100) AS n;
CREATE TEMP VIEW got AS
SELECT q.raw_sql, p.* FROM howdah_advisor.plans p JOIN howdah_advisor.queries q ON q.id = p.query_id
 WHERE p.snapshot_id = (SELECT id FROM snap);

SELECT is((SELECT n FROM captured), (SELECT count(*)::int FROM got WHERE error IS NULL), 'capture_plans returns the plans it captured');
SELECT is((SELECT row(kind, had_seq_scan, facts #>> '{seq_scans,0,table}')::text FROM got WHERE raw_sql LIKE '%items WHERE kind%'),
          row('generic', true, 'adv_cap.items')::text, 'a $n text gets its generic plan and facts');
SELECT ok((SELECT total_cost > 0 AND est_rows > 0 AND plan_json #>> '{Plan,Node Type}' IS NOT NULL FROM got WHERE raw_sql LIKE '%items WHERE kind%'),
          'with cost, estimated rows and the plan');
SELECT is((SELECT row(had_seq_scan, facts #>> '{index_scans,0,index}')::text FROM got WHERE raw_sql LIKE '%items WHERE id%'),
          row(false, 'adv_cap.items_pkey')::text, 'an index scan is no seq scan');
SELECT is((SELECT error FROM got WHERE raw_sql LIKE '%doomed%'), '42P01: relation "adv_cap.doomed" does not exist',
          'the dropped table''s statement has a plans row with its error');
SELECT is((SELECT e - 'query_id' FROM howdah_advisor.snapshots s, jsonb_array_elements(s.errors) e
            WHERE s.id = (SELECT id FROM snap) AND e ->> 'stage' = 'plans' AND e ->> 'query' LIKE '%doomed%'),
          jsonb_build_object('stage', 'plans', 'sqlstate', '42P01', 'message', 'relation "adv_cap.doomed" does not exist',
                             'query', 'SELECT count(*) FROM adv_cap.doomed WHERE a = $1'),
          'and an entry in the snapshot''s errors');
-- (The INSERT ... generate_series($2, $3) of the set-up cannot be planned either: 42725.)
SELECT is((SELECT (stats #>> '{plans,errors}')::int FROM howdah_advisor.snapshots WHERE id = (SELECT id FROM snap)),
          (SELECT count(*)::int FROM got WHERE error IS NOT NULL), 'the stage counts its errors');

-- Again: the rows are replaced, not doubled.
SELECT lives_ok(format('SELECT howdah_advisor.capture_plans(%s, top_k => 100)', (SELECT id FROM snap)), 'capturing again replaces the plans');
SELECT is((SELECT count(*)::int FROM got WHERE raw_sql LIKE '%items WHERE kind%'), 1, 'one plan per query and kind');

-- No time: nothing planned, a 57014 entry.
CREATE TEMP TABLE snap0 AS SELECT howdah_advisor.ingest(top_n => 10000, exclude => ARRAY['^(?!.*adv_cap\.)']) AS id;
SELECT is(howdah_advisor.capture_plans((SELECT id FROM snap0), step_timeout => '0'), 0, 'with step_timeout 0 nothing is planned');
SELECT ok((SELECT EXISTS (SELECT FROM jsonb_array_elements(errors) e WHERE e ->> 'stage' = 'plans' AND e ->> 'sqlstate' = '57014')
             FROM howdah_advisor.snapshots WHERE id = (SELECT id FROM snap0)), 'and the snapshot says the time ran out');

-- Bad arguments.
SELECT throws_ok('SELECT howdah_advisor.capture_plans(-1)', 'P0002', 'no snapshot -1', 'an unknown snapshot is P0002');

SELECT * FROM finish();
ROLLBACK;
