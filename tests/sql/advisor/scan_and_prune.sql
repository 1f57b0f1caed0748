-- scan() runs the stages into a new snapshot and prunes old ones; prune() keeps the newest.
BEGIN;
SELECT plan(9);

CREATE SCHEMA adv_scan;
CREATE TABLE adv_scan.t (a int);
SELECT count(*) FROM adv_scan.t WHERE a = 1;

CREATE TEMP TABLE scans (id bigint);
INSERT INTO scans SELECT howdah_advisor.scan(keep => NULL);
INSERT INTO scans SELECT howdah_advisor.scan(keep => NULL);
INSERT INTO scans SELECT howdah_advisor.scan(top_n => 5, keep => NULL);

SELECT is((SELECT array_agg(DISTINCT state::text) FROM howdah_advisor.snapshots WHERE id IN (SELECT id FROM scans)), '{done}', 'every scan is done');
SELECT ok((SELECT bool_and(stats ? 'ingest' AND finished_at >= started_at) FROM howdah_advisor.snapshots WHERE id IN (SELECT id FROM scans)),
          'each ran ingest and has its times');
SELECT is((SELECT (settings ->> 'top_n')::int FROM howdah_advisor.snapshots WHERE id = (SELECT max(id) FROM scans)), 5, 'its settings are recorded');
SELECT cmp_ok((SELECT count(*)::int FROM howdah_advisor.metrics WHERE snapshot_id = (SELECT max(id) FROM scans)), '<=', 5, 'top_n bounds the queries');

-- A query only the oldest scan saw goes with it.
INSERT INTO howdah_advisor.queries (verb, fingerprint, raw_sql, norm_sql) VALUES ('select', md5('adv_scan_only_old'), 'x', 'x');
INSERT INTO howdah_advisor.metrics (snapshot_id, query_id, calls, rows, total_ms, mean_ms, shared_blks_hit, shared_blks_read, rank)
SELECT min(s.id), (SELECT id FROM howdah_advisor.queries WHERE fingerprint = md5('adv_scan_only_old')), 1, 0, 1, 1, 0, 0, 100000
  FROM scans s;
SELECT is(howdah_advisor.prune(keep => 1), (SELECT count(*)::int FROM howdah_advisor.snapshots) - 1, 'prune(keep => 1) deletes all but one snapshot');
SELECT is(ARRAY(SELECT id FROM howdah_advisor.snapshots), ARRAY(SELECT max(id) FROM scans), 'the newest one stays');
SELECT is((SELECT count(*)::int FROM howdah_advisor.queries WHERE fingerprint = md5('adv_scan_only_old')), 0,
          'queries no snapshot mentions any more are deleted');
SELECT is((SELECT count(*)::int FROM howdah_advisor.metrics WHERE snapshot_id NOT IN (SELECT id FROM howdah_advisor.snapshots)), 0,
          'the deleted snapshots'' rows went with them');

SELECT throws_ok('SELECT howdah_advisor.prune(keep => 0)', '22023', 'keep must be 1 or more, not 0', 'keep below 1 is 22023');

SELECT * FROM finish();
ROLLBACK;
