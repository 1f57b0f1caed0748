-- fail: appends {attempt, at, error}, retryable after retry_in or exponential backoff with jitter,
-- failed (final, errors kept) once max_attempts is used; guarded against late workers.
BEGIN;
SELECT plan(15);

CREATE TEMP TABLE p AS SELECT howdah_queue.push('fq', '{"n": 1}', max_attempts => 2) AS id;
CREATE TEMP TABLE c1 AS SELECT * FROM howdah_queue.claim('fq', 'w1', 1);
SELECT is(howdah_queue.fail((SELECT id FROM p), 'boom "1"; DROP', 'w1'), 'retryable'::howdah_queue.job_state,
          'the first failure of two allowed attempts makes the job retryable');
SELECT is((SELECT errors FROM howdah_queue.jobs WHERE id = (SELECT id FROM p)),
          jsonb_build_array(jsonb_build_object('attempt', 1, 'at', now(), 'error', 'boom "1"; DROP')),
          'errors holds the attempt, the time and the message verbatim');
SELECT ok((SELECT run_at >= now() + interval '1 second' AND run_at < now() + interval '2 seconds'
             FROM howdah_queue.jobs WHERE id = (SELECT id FROM p)),
          'default backoff after attempt 1: between 1 and 2 seconds (2^1 s with jitter)');
SELECT is((SELECT row(worker_id, lease_expires_at, finalized_at)::text FROM howdah_queue.jobs WHERE id = (SELECT id FROM p)),
          '(w1,,)', 'no lease, not final, the last worker remembered');
SELECT is((SELECT count(*)::int FROM howdah_queue.claim('fq', 'w2', 1)), 0, 'not claimable before its retry time');

UPDATE howdah_queue.jobs SET run_at = now() WHERE id = (SELECT id FROM p);
CREATE TEMP TABLE c2 AS SELECT * FROM howdah_queue.claim('fq', 'w2', 1);
SELECT is((SELECT attempt FROM c2), 2::smallint, 'claimed again for attempt 2');
SELECT throws_ok(format('SELECT howdah_queue.fail(%s, %L, %L)', (SELECT id FROM p), 'late', 'w1'), '55000',
                 format('job %s is held by worker ''w2'', not ''w1''', (SELECT id FROM p)), 'a late worker cannot fail a job it lost');
SELECT is(howdah_queue.fail((SELECT id FROM p), 'boom 2', retry_in => interval '5 minutes'), 'failed'::howdah_queue.job_state,
          'the last attempt failing makes the job failed');
SELECT is((SELECT row(state, finalized_at = now(), jsonb_array_length(errors), errors -> 1 ->> 'error', errors -> 1 -> 'attempt')::text
             FROM howdah_queue.jobs WHERE id = (SELECT id FROM p)),
          '(failed,t,2,"boom 2",2)', 'failed is final and keeps both errors');

CREATE TEMP TABLE q AS SELECT howdah_queue.push('fq', '{}', max_attempts => 5) AS id;
CREATE TEMP TABLE c3 AS SELECT * FROM howdah_queue.claim('fq', 'w3', 1);
SELECT is(howdah_queue.fail((SELECT id FROM q), NULL, retry_in => interval '0'), 'retryable'::howdah_queue.job_state, 'retry_in 0 with a NULL error');
SELECT is((SELECT row(run_at = now(), errors -> 0 -> 'error')::text FROM howdah_queue.jobs WHERE id = (SELECT id FROM q)),
          '(t,null)', 'retryable at once; the error is JSON null');
SELECT is((SELECT count(*)::int FROM howdah_queue.claim('fq', 'w3', 1)), 1, 'and claimable at once');

SELECT throws_ok(format('SELECT howdah_queue.fail(%s, %L, retry_in => %L)', (SELECT id FROM q), 'x', '-1 second'), '22023',
                 'retry_in must not be negative, got -00:00:01', 'negative retry_in');
SELECT is((SELECT jsonb_array_length(errors) FROM howdah_queue.jobs WHERE id = (SELECT id FROM q)), 1, 'the refused fail recorded nothing');
SELECT ok((SELECT bool_and(howdah_internal.queue_backoff(10) BETWEEN interval '512 seconds' AND interval '1024 seconds')
             AND bool_and(howdah_internal.queue_backoff(30) BETWEEN interval '1800 seconds' AND interval '3600 seconds')
             FROM generate_series(1, 200)),
          'backoff doubles per attempt with jitter in [1/2, 1) and is capped at one hour');

SELECT * FROM finish();
ROLLBACK;
