-- claim reads jobs_claim_idx and never scans the table: 30,000 jobs over 6 queues, half of them
-- final, statistics gathered. Proved twice: the plan of claim's query is Limit → LockRows →
-- Index Scan on jobs_claim_idx, with no Seq Scan and no Sort; and calling claim() itself adds
-- one scan of that index and no sequential scan of the table (transaction-local counters), so
-- its UPDATE does not hash-join over the table either.
BEGIN;
SELECT plan(7);

SELECT howdah_queue.push_many(jsonb_agg(jsonb_build_object('queue', 'ix' || (g % 6), 'payload', jsonb_build_object('n', g),
                                                           'priority', g % 3)))
  FROM generate_series(1, 30000) g;
UPDATE howdah_queue.jobs SET state = 'completed', finalized_at = now() WHERE queue LIKE 'ix%' AND (payload ->> 'n')::int % 4 < 2;
ANALYZE howdah_queue.jobs;

-- Generic plans, as PL/pgSQL caches them after a few calls: the worst case, since LIMIT n and the
-- queue are unknown when planning.
SET LOCAL plan_cache_mode = force_generic_plan;
-- The same query as claim's first step.
CREATE TEMP TABLE plan (p json);
DO $$
DECLARE
    p json;
BEGIN
    PREPARE claim_shape(text, int) AS
        SELECT j.id FROM howdah_queue.jobs j
         WHERE j.queue = $1 AND j.state IN ('available', 'scheduled', 'retryable') AND j.run_at <= now()
         ORDER BY j.priority, j.run_at, j.id LIMIT $2 FOR UPDATE SKIP LOCKED;
    EXECUTE 'EXPLAIN (FORMAT JSON) EXECUTE claim_shape(''ix1'', 10)' INTO p;
    INSERT INTO plan VALUES (p);
    DEALLOCATE claim_shape;
END
$$;
SELECT is((SELECT p -> 0 -> 'Plan' ->> 'Node Type' FROM plan), 'Limit', 'the plan starts with Limit');
SELECT is((SELECT p -> 0 -> 'Plan' -> 'Plans' -> 0 ->> 'Node Type' FROM plan), 'LockRows', 'then LockRows');
SELECT is((SELECT p -> 0 -> 'Plan' -> 'Plans' -> 0 -> 'Plans' -> 0 ->> 'Node Type' FROM plan), 'Index Scan', 'then an Index Scan');
SELECT is((SELECT p -> 0 -> 'Plan' -> 'Plans' -> 0 -> 'Plans' -> 0 ->> 'Index Name' FROM plan), 'jobs_claim_idx', 'of jobs_claim_idx');
SELECT ok((SELECT p::text NOT LIKE '%Seq Scan%' AND p::text NOT LIKE '%"Sort"%' FROM plan), 'with no Seq Scan and no Sort anywhere');

CREATE TEMP TABLE scans AS
    SELECT pg_stat_get_xact_numscans('howdah_queue.jobs'::regclass) AS seq,
           pg_stat_get_xact_numscans('howdah_queue.jobs_claim_idx'::regclass) AS idx;
CREATE TEMP TABLE got AS SELECT * FROM howdah_queue.claim('ix1', 'w', 10);
SELECT is((SELECT count(*)::int FROM got), 10, 'claim() took 10 jobs');
SELECT is((SELECT row(pg_stat_get_xact_numscans('howdah_queue.jobs'::regclass) - seq,
                      pg_stat_get_xact_numscans('howdah_queue.jobs_claim_idx'::regclass) - idx)::text FROM scans),
          '(0,1)', 'claim() scanned jobs_claim_idx once and the table never');

SELECT * FROM finish();
ROLLBACK;
