-- complete: only running jobs, only those the named worker holds, in one call; returns the count.
BEGIN;
SELECT plan(7);

CREATE TEMP TABLE p AS SELECT howdah_queue.push_many(jsonb_agg(jsonb_build_object('queue', 'cq', 'payload', g))) AS ids
  FROM generate_series(1, 4) g;
CREATE TEMP TABLE a AS SELECT id FROM howdah_queue.claim('cq', 'worker-a', 2);
CREATE TEMP TABLE b AS SELECT id FROM howdah_queue.claim('cq', 'worker-b', 1);

SELECT is(howdah_queue.complete(ARRAY(SELECT id FROM a) || ARRAY(SELECT id FROM b), 'worker-a'), 2,
          'complete with a worker id completes only the jobs that worker holds');
SELECT is((SELECT count(*)::int FROM howdah_queue.jobs WHERE id IN (SELECT id FROM a) AND state = 'completed'
             AND finalized_at = now() AND lease_expires_at IS NULL), 2, 'they are completed, finalized now, without a lease');
SELECT is((SELECT state::text FROM howdah_queue.jobs WHERE id = (SELECT id FROM b)), 'running', 'worker-b''s job is still running');
SELECT is(howdah_queue.complete(ARRAY(SELECT id FROM a)), 0, 'completing again changes nothing');
SELECT is(howdah_queue.complete((SELECT ids FROM p) || ARRAY[-1, 0]::bigint[]), 1,
          'without a worker id: every running job among the ids; available, completed and unknown ids are skipped');
SELECT is((SELECT count(*)::int FROM howdah_queue.jobs WHERE id = ANY ((SELECT ids FROM p)::bigint[]) AND state = 'available'), 1,
          'the job never claimed is still available');
SELECT is(howdah_queue.complete(NULL), 0, 'NULL ids complete nothing');

SELECT * FROM finish();
ROLLBACK;
