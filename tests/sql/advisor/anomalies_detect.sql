-- detect_anomalies() tags a seeded slow family member (family_slow, family_mad) and a mean that
-- jumps against its own history (regression, from the differences of the cumulative counters,
-- or since a pg_stat_statements reset), and nothing else; thresholds are settings; bad
-- arguments and settings are 22023 / P0002. (contention needs several connections: a Go test,
-- TestAdvisorContentionTag.)
BEGIN;
SELECT plan(23);

-- Adds a statement to a snapshot with exact counters.
CREATE FUNCTION pg_temp.addq(sid bigint, sql text, calls bigint, total double precision) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    a record;
    qid bigint;
BEGIN
    a := howdah_advisor.analyze_query(sql);
    INSERT INTO howdah_advisor.queries (verb, fingerprint, raw_sql, norm_sql, tables, tokens)
    VALUES (a.verb, a.fingerprint, sql, a.norm_sql, a.tables, a.tokens)
    ON CONFLICT (fingerprint) DO UPDATE SET last_seen = excluded.last_seen
    RETURNING id INTO qid;
    INSERT INTO howdah_advisor.metrics (snapshot_id, query_id, calls, rows, total_ms, mean_ms, shared_blks_hit, shared_blks_read, rank)
    VALUES (sid, qid, calls, calls, total, total / calls, 0, 0,
            (SELECT coalesce(max(m.rank), 0) + 1 FROM howdah_advisor.metrics m WHERE m.snapshot_id = sid));
    RETURN qid;
END $$;
CREATE TEMP TABLE snaps (name text PRIMARY KEY, id bigint);
CREATE TEMP TABLE q (name text PRIMARY KEY, id bigint);
CREATE TEMP VIEW tags AS SELECT a.snapshot_id, q.name, a.kind::text AS kind, a.detail FROM howdah_advisor.anomalies a JOIN q ON q.id = a.query_id;

-- Family tags. Family A (same tokens, other columns): means 1, 1.25, 0.75, 1, 5 → median 1,
-- MAD 0.25: the 5 ms member is slow (5 > 2 × 1) and 16 MADs out. Family B: 1, 1, 1, 3 → MAD 0:
-- slow, but no MAD tag. Family C of two: 1 and 10 → median 5.5, nothing.
WITH s AS (INSERT INTO howdah_advisor.snapshots DEFAULT VALUES RETURNING id) INSERT INTO snaps SELECT 'fam', id FROM s;
INSERT INTO q SELECT x.name, pg_temp.addq((SELECT id FROM snaps WHERE name = 'fam'), x.sql, 10, x.mean * 10)
  FROM (VALUES ('a1', 'SELECT a FROM anom.t WHERE id = 1', 1.0), ('a2', 'SELECT b FROM anom.t WHERE id = 1', 1.25),
               ('a3', 'SELECT c FROM anom.t WHERE id = 1', 0.75), ('a4', 'SELECT d FROM anom.t WHERE id = 1', 1.0),
               ('a_slow', 'SELECT e FROM anom.t WHERE id = 1', 5.0),
               ('b1', 'INSERT INTO anom.u (a) VALUES (1)', 1), ('b2', 'INSERT INTO anom.u (b) VALUES (1)', 1),
               ('b3', 'INSERT INTO anom.u (c) VALUES (1)', 1), ('b_slow', 'INSERT INTO anom.u (d) VALUES (1)', 3),
               ('c1', 'DELETE FROM anom.v WHERE k LIKE ''x''', 1), ('c2', 'DELETE FROM anom.v AS v2 WHERE k LIKE ''x''', 10)) x(name, sql, mean);
SELECT is(howdah_advisor.cluster((SELECT id FROM snaps WHERE name = 'fam')), 3, 'three families to compare within');

SELECT is(howdah_advisor.detect_anomalies((SELECT id FROM snaps WHERE name = 'fam')), 3, 'three tags');
SELECT is(ARRAY(SELECT name || ':' || kind FROM tags WHERE snapshot_id = (SELECT id FROM snaps WHERE name = 'fam') ORDER BY 1),
          '{a_slow:family_mad,a_slow:family_slow,b_slow:family_slow}'::text[],
          'the seeded slow members are tagged, and nothing else');
SELECT is((SELECT detail - 'family_id' - 'family' FROM tags WHERE name = 'a_slow' AND kind = 'family_slow'),
          '{"mean_ms": 5, "median_ms": 1, "mad_ms": 0.25, "members": 5, "factor": 2, "ratio": 5.000}'::jsonb,
          'family_slow''s detail: mean, median, MAD, members, factor and ratio');
SELECT is((SELECT (detail ->> 'mads')::numeric FROM tags WHERE name = 'a_slow' AND kind = 'family_mad'), 16.000,
          'family_mad''s detail: how many MADs out');
SELECT is((SELECT detail ->> 'family' FROM tags WHERE name = 'b_slow'),
          (SELECT f.label FROM howdah_advisor.families f JOIN howdah_advisor.query_families qf ON qf.family_id = f.id
            WHERE qf.query_id = (SELECT id FROM q WHERE name = 'b_slow') AND qf.snapshot_id = (SELECT id FROM snaps WHERE name = 'fam')),
          'the detail names the family');

-- Thresholds are settings.
SET LOCAL howdah_advisor.family_slow_factor = 6;
SET LOCAL howdah_advisor.mad_threshold = 50;
SELECT is(howdah_advisor.detect_anomalies((SELECT id FROM snaps WHERE name = 'fam')), 0, 'factor 6 and 50 MADs: no tag, the old ones replaced');
SET LOCAL howdah_advisor.family_slow_factor = 2.5;
SELECT is(howdah_advisor.detect_anomalies((SELECT id FROM snaps WHERE name = 'fam')), 2, 'factor 2.5: two tags');
SELECT is(ARRAY(SELECT name || ':' || kind FROM tags WHERE snapshot_id = (SELECT id FROM snaps WHERE name = 'fam') ORDER BY 1),
          '{a_slow:family_slow,b_slow:family_slow}'::text[], 'factor 2.5: the 5× and 3× members');
SET LOCAL howdah_advisor.mad_threshold = 'lots';
SELECT throws_ok(format('SELECT howdah_advisor.detect_anomalies(%s)', (SELECT id FROM snaps WHERE name = 'fam')),
                 '22023', 'setting howdah_advisor.mad_threshold must be a number above 0, not ''lots''', 'a setting that is no number is 22023');
SET LOCAL howdah_advisor.mad_threshold = 0;
SELECT throws_ok(format('SELECT howdah_advisor.detect_anomalies(%s)', (SELECT id FROM snaps WHERE name = 'fam')),
                 '22023', NULL, 'mad_threshold 0 is 22023');
SET LOCAL howdah_advisor.regression_factor = 0.5;
RESET howdah_advisor.mad_threshold;
SELECT throws_ok(format('SELECT howdah_advisor.detect_anomalies(%s)', (SELECT id FROM snaps WHERE name = 'fam')),
                 '22023', 'setting howdah_advisor.regression_factor must be a number of at least 1, not ''0.5''', 'a factor below 1 is 22023');
RESET howdah_advisor.regression_factor;
RESET howdah_advisor.family_slow_factor;

-- Regression. Snapshots 1 and 2 share a pg_stat_statements reset, 3 comes after another one.
-- jump: 1000 calls / 1000 ms, then 1100 / 1500: 5 ms a call in between (the cumulative mean,
-- 1.36, would not show it). steady: 1000 / 1000, then 1100 / 1120 (1.2 ms). idle: no new calls.
-- reset: 1000 / 1000 in snapshot 2, then 10 calls / 50 ms since the reset in snapshot 3. new:
-- first seen in snapshot 2, no history.
WITH s AS (INSERT INTO howdah_advisor.snapshots (pgss_reset_at) VALUES ('2025-01-01') RETURNING id) INSERT INTO snaps SELECT 'r1', id FROM s;
WITH s AS (INSERT INTO howdah_advisor.snapshots (pgss_reset_at) VALUES ('2025-01-01') RETURNING id) INSERT INTO snaps SELECT 'r2', id FROM s;
WITH s AS (INSERT INTO howdah_advisor.snapshots (pgss_reset_at) VALUES ('2025-02-01') RETURNING id) INSERT INTO snaps SELECT 'r3', id FROM s;
INSERT INTO q SELECT x.name, pg_temp.addq((SELECT id FROM snaps WHERE name = 'r1'), x.sql, 1000, 1000)
  FROM (VALUES ('jump', 'SELECT * FROM anom.r WHERE a = 1'), ('steady', 'SELECT * FROM anom.r WHERE b = 1'),
               ('idle', 'SELECT * FROM anom.r WHERE c = 1')) x(name, sql);
SELECT pg_temp.addq((SELECT id FROM snaps WHERE name = 'r2'), x.sql, x.calls, x.total)
  FROM (VALUES ('SELECT * FROM anom.r WHERE a = 1', 1100, 1500), ('SELECT * FROM anom.r WHERE b = 1', 1100, 1120),
               ('SELECT * FROM anom.r WHERE c = 1', 1000, 1000)) x(sql, calls, total);
INSERT INTO q SELECT x.name, pg_temp.addq((SELECT id FROM snaps WHERE name = 'r2'), x.sql, 1000, x.total)
  FROM (VALUES ('reset', 'SELECT * FROM anom.r WHERE d = 1', 1000), ('new', 'SELECT * FROM anom.r WHERE e = 1', 9000)) x(name, sql, total);
SELECT pg_temp.addq((SELECT id FROM snaps WHERE name = 'r3'), 'SELECT * FROM anom.r WHERE d = 1', 10, 50);

SELECT is(howdah_advisor.detect_anomalies((SELECT id FROM snaps WHERE name = 'r1')), 0, 'a first snapshot has no history: no regression');
SELECT is(howdah_advisor.detect_anomalies((SELECT id FROM snaps WHERE name = 'r2')), 1, 'one regression in snapshot 2');
SELECT is(ARRAY(SELECT name FROM tags WHERE snapshot_id = (SELECT id FROM snaps WHERE name = 'r2') AND kind = 'regression'), '{jump}'::text[],
          'the jump, not the steady, idle or new query');
SELECT is((SELECT detail - 'previous_snapshot' FROM tags WHERE name = 'jump' AND kind = 'regression'),
          jsonb_build_object('mean_ms', 5, 'calls', 100, 'method', 'interval', 'cumulative_mean_ms', 1500::float8 / 1100,
                             'history_mean_ms', 1, 'history_calls', 1000, 'history_snapshots', 1, 'factor', 2, 'ratio', 5.000),
          'its detail: the interval''s mean and calls, the cumulative mean, the history''s, factor and ratio');
SELECT is((SELECT (detail ->> 'previous_snapshot')::bigint FROM tags WHERE name = 'jump' AND kind = 'regression'),
          (SELECT id FROM snaps WHERE name = 'r1'), 'and the snapshot it compares with');
SELECT is(howdah_advisor.detect_anomalies((SELECT id FROM snaps WHERE name = 'r3')), 1, 'after a reset, the counters since it');
SELECT is((SELECT row(detail ->> 'method', (detail ->> 'mean_ms')::numeric, (detail ->> 'history_mean_ms')::numeric)::text
             FROM tags WHERE name = 'reset' AND kind = 'regression'),
          row('since_reset', 5, 1)::text, 'method since_reset: 5 ms against 1');
SET LOCAL howdah_advisor.regression_factor = 5;
SELECT is(howdah_advisor.detect_anomalies((SELECT id FROM snaps WHERE name = 'r2')), 0, 'regression_factor 5: 5 ms against 1 is not over 5×');
RESET howdah_advisor.regression_factor;

-- Bad arguments: clear errors, the tags stay.
SELECT throws_ok('SELECT howdah_advisor.detect_anomalies(NULL)', '22023', 'snapshot_id must not be NULL', 'a NULL snapshot is 22023');
SELECT throws_ok('SELECT howdah_advisor.detect_anomalies(-1)', 'P0002', 'no snapshot -1', 'an unknown snapshot is P0002');
SELECT is((SELECT count(*)::int FROM tags WHERE snapshot_id = (SELECT id FROM snaps WHERE name = 'r3')), 1, 'the tags are as they were');

SELECT * FROM finish();
ROLLBACK;
