-- claim and complete keep one generic plan per session (plan_cache_mode = force_generic_plan on
-- the functions) and that plan reads indexes even when it was made while the table was empty
-- and analyzed (enable_seqscan = off): a plan made for an empty queue must not become a
-- sequential scan once thousands of jobs arrive. complete looks ids up in jobs_pkey, never in
-- jobs_running_idx (which would read every running job).
BEGIN;
SELECT plan(10);
-- Independent of jobs already in the database (the upgrade test runs this file over its data).
DELETE FROM howdah_queue.jobs;

SELECT is((SELECT count(*)::int FROM howdah_queue.jobs), 0, 'the table starts empty');
ANALYZE howdah_queue.jobs;
-- First calls in this state: the generic plans are made now, for an empty table.
SELECT is((SELECT count(*)::int FROM howdah_queue.claim('gp', 'w', 10)), 0, 'claim on the empty table takes nothing');
SELECT is(howdah_queue.complete('{1,2,3}'), 0, 'complete on the empty table completes nothing');

-- Thousands of jobs later, without a new ANALYZE, the same plans run.
SELECT howdah_queue.push_many(jsonb_agg(jsonb_build_object('queue', 'gp' || (g % 3), 'payload', g)))
  FROM generate_series(1, 6000) g;
CREATE TEMP TABLE before_claim AS
    SELECT pg_stat_get_xact_numscans('howdah_queue.jobs'::regclass) AS seq,
           pg_stat_get_xact_numscans('howdah_queue.jobs_claim_idx'::regclass) AS claim_idx;
CREATE TEMP TABLE got AS SELECT id FROM howdah_queue.claim('gp1', 'w', 50);
SELECT is((SELECT count(*)::int FROM got), 50, 'claim takes 50 jobs');
SELECT is((SELECT row(pg_stat_get_xact_numscans('howdah_queue.jobs'::regclass) - seq,
                      pg_stat_get_xact_numscans('howdah_queue.jobs_claim_idx'::regclass) - claim_idx)::text FROM before_claim),
          '(0,1)', 'claim read jobs_claim_idx once and never scanned the table');

CREATE TEMP TABLE before_complete AS
    SELECT pg_stat_get_xact_numscans('howdah_queue.jobs'::regclass) AS seq,
           pg_stat_get_xact_numscans('howdah_queue.jobs_pkey'::regclass) AS pkey,
           pg_stat_get_xact_numscans('howdah_queue.jobs_running_idx'::regclass) AS running;
SELECT is(howdah_queue.complete(ARRAY(SELECT id FROM got), 'w'), 50, 'complete completes the 50');
-- (jobs_pkey counts one scan per array element.)
SELECT is((SELECT row(pg_stat_get_xact_numscans('howdah_queue.jobs'::regclass) - seq,
                      pg_stat_get_xact_numscans('howdah_queue.jobs_pkey'::regclass) - pkey > 0,
                      pg_stat_get_xact_numscans('howdah_queue.jobs_running_idx'::regclass) - running)::text FROM before_complete),
          '(0,t,0)', 'complete looked the ids up in jobs_pkey: no table scan, no jobs_running_idx');
-- The same with attempts (what the Go client sends): the ids still come from jobs_pkey.
CREATE TEMP TABLE got2 AS SELECT id, attempt FROM howdah_queue.claim('gp2', 'w', 50);
CREATE TEMP TABLE before_complete2 AS
    SELECT pg_stat_get_xact_numscans('howdah_queue.jobs'::regclass) AS seq,
           pg_stat_get_xact_numscans('howdah_queue.jobs_pkey'::regclass) AS pkey,
           pg_stat_get_xact_numscans('howdah_queue.jobs_running_idx'::regclass) AS running;
SELECT is(howdah_queue.complete(ARRAY(SELECT id FROM got2 ORDER BY id), 'w', ARRAY(SELECT attempt FROM got2 ORDER BY id)), 50,
          'complete with attempts completes the 50');
SELECT is((SELECT row(pg_stat_get_xact_numscans('howdah_queue.jobs'::regclass) - seq,
                      pg_stat_get_xact_numscans('howdah_queue.jobs_pkey'::regclass) - pkey > 0,
                      pg_stat_get_xact_numscans('howdah_queue.jobs_running_idx'::regclass) - running)::text FROM before_complete2),
          '(0,t,0)', 'complete with attempts also looked the ids up in jobs_pkey');
SELECT is((SELECT array_agg(DISTINCT proconfig::text) FROM pg_proc
            WHERE oid IN ('howdah_queue.claim(text, text, integer, interval)'::regprocedure,
                          'howdah_queue.complete(bigint[], text, integer[])'::regprocedure)),
          ARRAY['{"search_path=pg_catalog, pg_temp",plan_cache_mode=force_generic_plan,enable_seqscan=off}'],
          'both functions pin search_path, generic plans and no sequential scans');

SELECT * FROM finish();
ROLLBACK;
