-- rescue: running jobs whose lease expired go back to retryable (an error recorded, runnable now)
-- or to failed when out of attempts; live leases and other queues are untouched.
BEGIN;
SELECT plan(9);

SELECT howdah_queue.push('rq', '"a"', max_attempts => 3), howdah_queue.push('rq', '"b"', max_attempts => 1),
       howdah_queue.push('rq', '"c"'), howdah_queue.push('rq2', '"d"');
CREATE TEMP TABLE c AS SELECT * FROM howdah_queue.claim('rq', 'dead-worker', 3);
CREATE TEMP TABLE c2 AS SELECT * FROM howdah_queue.claim('rq2', 'dead-worker', 1);
-- Leases expire: the worker stopped heartbeating (time cannot pass inside one transaction).
UPDATE howdah_queue.jobs SET lease_expires_at = now() - interval '1 second' WHERE payload IN ('"a"', '"b"', '"d"') AND queue LIKE 'rq%';

SELECT is(howdah_queue.rescue('rq'), 2, 'rescue(queue) takes back the two expired jobs of that queue');
SELECT is((SELECT row(state, run_at = now(), lease_expires_at, attempt)::text FROM howdah_queue.jobs WHERE payload = '"a"' AND queue = 'rq'),
          '(retryable,t,,1)', 'a job with attempts left is retryable now');
SELECT is((SELECT errors -> 0 ->> 'error' FROM howdah_queue.jobs WHERE payload = '"a"' AND queue = 'rq'),
          format('lease expired at %s: worker dead-worker stopped heartbeating', now() - interval '1 second'), 'with an error saying why');
SELECT is((SELECT row(state, finalized_at = now())::text FROM howdah_queue.jobs WHERE payload = '"b"' AND queue = 'rq'),
          '(failed,t)', 'a job out of attempts fails');
SELECT is((SELECT state::text FROM howdah_queue.jobs WHERE payload = '"c"' AND queue = 'rq'), 'running', 'a live lease is untouched');
SELECT is((SELECT state::text FROM howdah_queue.jobs WHERE queue = 'rq2'), 'running', 'the other queue is untouched');
-- Every queue: whatever else in this database has an expired lease by now counts too (the
-- upgrade test runs this file over a database with jobs of its own).
CREATE TEMP TABLE expired AS SELECT count(*)::int AS n FROM howdah_queue.jobs WHERE state = 'running' AND lease_expires_at < now();
SELECT is(howdah_queue.rescue(), (SELECT n FROM expired), 'rescue() with no queue takes back every queue''s expired jobs');
SELECT is((SELECT state::text FROM howdah_queue.jobs WHERE queue = 'rq2'), 'retryable', 'the other queue''s among them');
SELECT is((SELECT id FROM howdah_queue.claim('rq', 'live-worker', 5)), (SELECT id FROM c WHERE payload = '"a"'),
          'the rescued job is claimed by the next worker');

SELECT * FROM finish();
ROLLBACK;
