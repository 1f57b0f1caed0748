-- throughput counts the jobs that finished per queue and minute, completed apart from failed for
-- good, over the last minutes only; retryable and cancelled jobs are not counted.
BEGIN;
SELECT plan(5);
DELETE FROM howdah_queue.jobs;

INSERT INTO howdah_queue.jobs (queue, payload, state, finalized_at, worker_id, lease_expires_at)
SELECT q, '{}', s::howdah_queue.job_state, f, NULL, NULL
  FROM (VALUES ('tp', 'completed', date_trunc('minute', now())),
               ('tp', 'completed', date_trunc('minute', now())),
               ('tp', 'failed', date_trunc('minute', now())),
               ('tp', 'completed', date_trunc('minute', now()) - interval '2 minutes'),
               ('tp', 'cancelled', date_trunc('minute', now())),
               ('tp', 'completed', date_trunc('minute', now()) - interval '20 minutes'),
               ('tp2', 'failed', date_trunc('minute', now()) - interval '1 minute')) v(q, s, f);
INSERT INTO howdah_queue.jobs (queue, payload, state) VALUES ('tp', '{}', 'retryable');

SELECT results_eq($$SELECT queue, minute, completed::int, failed::int FROM howdah_queue.throughput()$$,
                  $$VALUES ('tp', date_trunc('minute', now()) - interval '2 minutes', 1, 0),
                           ('tp', date_trunc('minute', now()), 2, 1),
                           ('tp2', date_trunc('minute', now()) - interval '1 minute', 0, 1)$$,
                  'per queue and minute, oldest first; cancelled, retryable and older jobs left out');
SELECT is((SELECT sum(completed)::int FROM howdah_queue.throughput(1)), 2, 'minutes => 1: the current minute only');
SELECT is((SELECT sum(completed)::int FROM howdah_queue.throughput(1440)), 4, 'a day back: the job of 20 minutes ago too');
SELECT throws_ok($$SELECT * FROM howdah_queue.throughput(0)$$, '22023', 'minutes must be from 1 to 1440, got 0', 'minutes 0');
SELECT throws_ok($$SELECT * FROM howdah_queue.throughput(NULL)$$, '22023', 'minutes must be from 1 to 1440, got null', 'minutes null');

SELECT * FROM finish();
ROLLBACK;
