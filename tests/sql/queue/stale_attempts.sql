-- complete, fail, heartbeat and release with the attempt a worker holds: when the job was rescued
-- and claimed again by the same worker id, the old attempt's calls change nothing and say so.
BEGIN;
SELECT plan(14);

CREATE TEMP TABLE j AS SELECT howdah_queue.push('stale.q', '{"k": "v; DROP TABLE x"}') AS id;
SELECT howdah_queue.claim('stale.q', 'wörker "1"; --', 1, '1 minute');
-- The lease runs out (a database outage longer than the lease), rescue takes the job back and the
-- same worker id claims it again: attempt 2.
UPDATE howdah_queue.jobs SET lease_expires_at = now() - interval '1 second' WHERE id = (SELECT id FROM j);
SELECT is(howdah_queue.rescue('stale.q'), 1, 'rescue takes back the expired attempt 1');
SELECT is((SELECT attempt::int FROM howdah_queue.claim('stale.q', 'wörker "1"; --', 1, '1 minute')), 2,
          'the same worker claims the job again: attempt 2');
CREATE TEMP TABLE before AS SELECT * FROM howdah_queue.jobs WHERE id = (SELECT id FROM j);

SELECT is(howdah_queue.heartbeat(ARRAY[(SELECT id FROM j)], 'wörker "1"; --', attempts => '{1}', lease => '10 minutes'), '{}'::bigint[],
          'heartbeat for attempt 1 extends nothing and leaves the id out');
SELECT is(howdah_queue.complete(ARRAY[(SELECT id FROM j)], 'wörker "1"; --', '{1}'), 0,
          'complete for attempt 1 completes nothing');
SELECT is(howdah_queue.release(ARRAY[(SELECT id FROM j)], 'wörker "1"; --', '{1}'), 0,
          'release for attempt 1 releases nothing');
SELECT throws_ok(format($$SELECT howdah_queue.fail(%s, 'late', worker_id => 'wörker "1"; --', attempt => 1)$$, (SELECT id FROM j)),
                 '55000', format('job %s is at attempt 2, not 1', (SELECT id FROM j)), 'fail for attempt 1 is refused, naming both attempts');
SELECT is((SELECT row(x.*)::text FROM howdah_queue.jobs x WHERE x.id = (SELECT id FROM j)),
          (SELECT row(b.*)::text FROM before b), 'the running attempt 2 is untouched');
SELECT throws_ok(format($$SELECT howdah_queue.complete(ARRAY[%s, %s], attempts => '{2}')$$, (SELECT id FROM j), (SELECT id FROM j) + 1),
                 '22023', 'attempts must be NULL or hold one non-null attempt per element of ids: got 1 attempt(s) for 2 id(s)',
                 'attempts must match ids one to one');
SELECT throws_ok(format($$SELECT howdah_queue.heartbeat(ARRAY[%s], 'w', attempts => '{NULL}')$$, (SELECT id FROM j)),
                 '22023', 'attempts must be NULL or hold one non-null attempt per element of ids: got 1 attempt(s) for 1 id(s)',
                 'attempts must not hold nulls');
SELECT is((SELECT row(x.*)::text FROM howdah_queue.jobs x WHERE x.id = (SELECT id FROM j)),
          (SELECT row(b.*)::text FROM before b), 'refused calls changed nothing');

SELECT is(howdah_queue.heartbeat(ARRAY[(SELECT id FROM j)], 'wörker "1"; --', attempts => '{2}', lease => '10 minutes'), ARRAY[(SELECT id FROM j)],
          'heartbeat for attempt 2 extends the lease');
SELECT is(howdah_queue.complete(ARRAY[(SELECT id FROM j)], attempts => '{2}'), 1,
          'complete for attempt 2 (named argument, no worker id) completes it');
SELECT is((SELECT state::text FROM howdah_queue.jobs WHERE id = (SELECT id FROM j)), 'completed', 'the job is completed');
SELECT is((SELECT jsonb_array_length(errors) FROM howdah_queue.jobs WHERE id = (SELECT id FROM j)), 1,
          'only rescue recorded an error: the stale fail wrote none');

SELECT * FROM finish();
ROLLBACK;
