-- heartbeat: extends only the leases the worker holds and returns them; lost jobs are left out.
BEGIN;
SELECT plan(6);

SELECT howdah_queue.push_many(jsonb_agg(jsonb_build_object('queue', 'hq', 'payload', g))) FROM generate_series(1, 3) g;
CREATE TEMP TABLE mine AS SELECT id FROM howdah_queue.claim('hq', 'w1', 2, '1 second');
CREATE TEMP TABLE theirs AS SELECT id FROM howdah_queue.claim('hq', 'w2', 1, '1 second');
SELECT howdah_queue.cancel((SELECT max(id) FROM mine));

SELECT is(howdah_queue.heartbeat(ARRAY(SELECT id FROM mine) || ARRAY(SELECT id FROM theirs), 'w1', lease => '10 minutes'),
          ARRAY(SELECT min(id) FROM mine), 'only the job w1 still holds is returned: not the cancelled one, not w2''s');
SELECT is((SELECT lease_expires_at FROM howdah_queue.jobs WHERE id = (SELECT min(id) FROM mine)), now() + interval '10 minutes',
          'its lease is extended');
SELECT is((SELECT lease_expires_at FROM howdah_queue.jobs WHERE id = (SELECT id FROM theirs)), now() + interval '1 second',
          'w2''s lease is untouched');
SELECT is(howdah_queue.heartbeat('{}', 'w1'), '{}'::bigint[], 'no ids, nothing to extend');
SELECT throws_ok($$SELECT howdah_queue.heartbeat('{1}', 'w1', lease => '0 seconds')$$, '22023', 'lease must be a positive interval, got 00:00:00', 'zero lease');
SELECT throws_ok($$SELECT howdah_queue.heartbeat('{1}', NULL)$$, '22023', 'worker_id must be 1 to 128 characters long', 'null worker');

SELECT * FROM finish();
ROLLBACK;
