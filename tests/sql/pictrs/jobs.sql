-- QueueRepo on howdah_queue: push dedupes by unique key, pop claims one job of the instance's
-- queue (pictrs.pictrs.<queue>), heartbeat, complete_job for success, failure and a lost job,
-- requeue_in_progress takes a restarted worker's jobs back with the attempt counted; jobs of
-- another instance are never touched; bad input refused with nothing written.
BEGIN;
SELECT plan(21);

CREATE TEMP TABLE j (label text PRIMARY KEY, id bigint);
INSERT INTO j VALUES ('a', pictrs.push('process', '{"hash": "h1"}', unique_key => 'process:h1'));
INSERT INTO j VALUES ('a-again', pictrs.push('process', '{"hash": "h1"}', unique_key => 'process:h1'));
INSERT INTO j VALUES ('b', pictrs.push('process', '{"hash": "h2"}'));
INSERT INTO j VALUES ('other', howdah_queue.push('pictrs.media.process', '{"hash": "x"}'));
SELECT is((SELECT id FROM j WHERE label = 'a-again'), (SELECT id FROM j WHERE label = 'a'), 'push with a held unique key returns the waiting job');
SELECT is((SELECT queue FROM howdah_queue.jobs WHERE id = (SELECT id FROM j WHERE label = 'a')), 'pictrs.pictrs.process', 'on the instance''s queue');
SELECT is(pictrs.queue_length('process'), 2::bigint, 'queue_length counts the instance''s jobs only');
SELECT throws_ok($$SELECT pictrs.push('Bad Queue', '{}')$$, '22023', NULL, 'a bad queue name is refused');
SELECT throws_ok($$SELECT pictrs.push('process', NULL)$$, '22023', NULL, 'a null job is refused');
SELECT is(pictrs.queue_length('process'), 2::bigint, 'and nothing was pushed');

CREATE TEMP TABLE popped AS SELECT * FROM pictrs.pop('process', 'w1');
SELECT is((SELECT id FROM popped), (SELECT id FROM j WHERE label = 'a'), 'pop claims the oldest job');
SELECT is((SELECT attempt FROM popped), 1, 'at attempt 1');
SELECT ok(pictrs.heartbeat((SELECT id FROM popped), 'w1', 1), 'heartbeat of the holder: true');
SELECT ok(NOT pictrs.heartbeat((SELECT id FROM popped), 'w2'), 'heartbeat of another worker: false');
SELECT throws_ok(format('SELECT pictrs.heartbeat(%s, ''w1'')', (SELECT id FROM j WHERE label = 'other')), 'P0002',
                 format('no job %s in pictrs instance ''pictrs''', (SELECT id FROM j WHERE label = 'other')), 'another instance''s job is not ours');
SELECT is(pictrs.complete_job((SELECT id FROM popped), 'w2'), 'lost', 'complete_job by another worker: lost');
SELECT throws_ok(format('SELECT pictrs.complete_job(%s, ''w1'', ''done'')', (SELECT id FROM popped)), '22023',
                 'status must be success, failure or aborted, got ''done''', 'a bad status is refused');
SELECT is(pictrs.complete_job((SELECT id FROM popped), 'w1', 'failure', 'convert: bad file', 1), 'retryable', 'a failure: retryable');
SELECT is((SELECT errors -> 0 ->> 'error' FROM howdah_queue.jobs WHERE id = (SELECT id FROM popped)), 'convert: bad file', 'with its error recorded');
UPDATE howdah_queue.jobs SET run_at = now() WHERE id = (SELECT id FROM popped);

-- w1 takes both jobs, then restarts.
SELECT count(*) FROM pictrs.pop('process', 'w1');
SELECT count(*) FROM pictrs.pop('process', 'w1');
SELECT is((SELECT count(*) FROM pictrs.pop('process', 'w1')), 0::bigint, 'pop on an empty queue: no row (another instance''s job is not popped)');
SELECT is(pictrs.requeue_in_progress('w1'), 2, 'requeue_in_progress takes the restarted worker''s jobs back');
SELECT results_eq($$SELECT state::text, attempt::int FROM howdah_queue.jobs WHERE queue = 'pictrs.pictrs.process' ORDER BY id$$,
                  $$VALUES ('retryable', 2), ('retryable', 1)$$, 'runnable again, attempts kept');
CREATE TEMP TABLE again AS SELECT * FROM pictrs.pop('process', 'w3');
SELECT is((SELECT attempt FROM again), 3, 'the next pop is the job''s third attempt');
SELECT is(pictrs.complete_job((SELECT id FROM again), 'w3', attempt => 3), 'completed', 'complete_job: completed');
SELECT is((SELECT state::text FROM howdah_queue.jobs WHERE id = (SELECT id FROM j WHERE label = 'other')), 'available', 'the other instance''s job was never touched');

SELECT * FROM finish();
ROLLBACK;
