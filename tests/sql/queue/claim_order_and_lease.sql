-- claim: priority then run_at then id; due scheduled and retryable jobs are claimable without a
-- promoter, future ones are not; claimed jobs are running with attempt + 1, the worker and a
-- lease; other queues are untouched; bad parameters get 22023 and change nothing.
BEGIN;
SELECT plan(16);

CREATE TEMP TABLE p (label text PRIMARY KEY, id bigint);
INSERT INTO p VALUES
    ('late-high', howdah_queue.push('claimq', '"a"', priority => 1, run_at => now() - interval '1 minute')),
    ('early-high', howdah_queue.push('claimq', '"b"', priority => 1, run_at => now() - interval '2 minutes')),
    ('urgent', howdah_queue.push('claimq', '"c"', priority => -5)),
    ('future', howdah_queue.push('claimq', '"d"', priority => -10, run_at => now() + interval '1 minute')),
    ('other-queue', howdah_queue.push('claimq2', '"e"', priority => -10));
-- A scheduled job that became due and a retryable one whose retry time came.
INSERT INTO p VALUES ('due-scheduled', howdah_queue.push('claimq', '"f"', priority => 2, run_at => now() + interval '1 minute'));
UPDATE howdah_queue.jobs SET run_at = now() - interval '1 second' WHERE id = (SELECT id FROM p WHERE label = 'due-scheduled');
INSERT INTO p VALUES ('retryable', howdah_queue.push('claimq', '"g"', priority => 3));
UPDATE howdah_queue.jobs SET state = 'retryable', attempt = 1, run_at = now() - interval '1 second'
 WHERE id = (SELECT id FROM p WHERE label = 'retryable');

SELECT is((SELECT state::text FROM howdah_queue.jobs WHERE id = (SELECT id FROM p WHERE label = 'due-scheduled')), 'scheduled',
          'the due job is still labelled scheduled before the claim');

CREATE TEMP TABLE got AS SELECT row_number() OVER () AS n, c.* FROM howdah_queue.claim('claimq', 'worker-1', 3, '45 seconds') c;
SELECT results_eq($$SELECT p.label FROM got JOIN p USING (id) ORDER BY got.n$$,
                  $$VALUES ('urgent'), ('early-high'), ('late-high')$$, 'claim returns the smallest priority, then the oldest run_at');
SELECT is((SELECT count(*)::int FROM got WHERE state = 'running' AND attempt = 1 AND worker_id = 'worker-1'
             AND attempted_at = now() AND lease_expires_at = now() + interval '45 seconds'), 3,
          'claimed jobs are running, attempt 1, held by the worker with the lease asked for');
SELECT is((SELECT count(*)::int FROM howdah_queue.jobs j JOIN got USING (id) WHERE j.state = 'running'), 3, 'and so they are in the table');

CREATE TEMP TABLE got2 AS SELECT c.* FROM howdah_queue.claim('claimq', 'worker-2', 10) c;
SELECT results_eq($$SELECT p.label FROM got2 JOIN p USING (id) ORDER BY got2.priority$$,
                  $$VALUES ('due-scheduled'), ('retryable')$$, 'a due scheduled job and a due retryable job are claimable');
SELECT is((SELECT attempt FROM got2 JOIN p USING (id) WHERE p.label = 'retryable'), 2::smallint, 'a retried job''s attempt goes on counting');
SELECT is((SELECT lease_expires_at FROM got2 LIMIT 1), now() + interval '30 seconds', 'the default lease is 30 seconds');
SELECT is((SELECT count(*)::int FROM howdah_queue.claim('claimq', 'worker-3', 10)), 0, 'the future job is not claimable, nothing else is left');
SELECT is((SELECT state::text FROM howdah_queue.jobs WHERE id = (SELECT id FROM p WHERE label = 'other-queue')), 'available',
          'another queue''s job was not touched');

CREATE TEMP TABLE before AS SELECT count(*) FILTER (WHERE state = 'running') AS running FROM howdah_queue.jobs;
SELECT throws_ok($$SELECT * FROM howdah_queue.claim('claimq2', 'w', 0)$$, '22023', 'n must be from 1 to 1000, got 0', 'n = 0');
SELECT throws_ok($$SELECT * FROM howdah_queue.claim('claimq2', 'w', -1)$$, '22023', 'n must be from 1 to 1000, got -1', 'negative n');
SELECT throws_ok($$SELECT * FROM howdah_queue.claim('claimq2', 'w', 1001)$$, '22023', 'n must be from 1 to 1000, got 1001', 'n above 1000');
SELECT throws_ok($$SELECT * FROM howdah_queue.claim('claimq2', 'w', 1, '-1 second')$$, '22023', 'lease must be a positive interval, got -00:00:01', 'negative lease');
SELECT throws_ok($$SELECT * FROM howdah_queue.claim('claimq2', '', 1)$$, '22023', 'worker_id must be 1 to 128 characters long', 'empty worker id');
SELECT throws_ok($$SELECT * FROM howdah_queue.claim('Claim Q', 'w', 1)$$, '22023', NULL, 'bad queue name');
SELECT is((SELECT count(*) FILTER (WHERE state = 'running') FROM howdah_queue.jobs), (SELECT running FROM before), 'refused claims claimed nothing');

SELECT * FROM finish();
ROLLBACK;
