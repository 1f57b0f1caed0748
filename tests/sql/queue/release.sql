-- release: a worker gives running jobs back; they are available now and the attempt is not counted.
BEGIN;
SELECT plan(4);

SELECT howdah_queue.push('lq', '1'), howdah_queue.push('lq', '2');
CREATE TEMP TABLE c AS SELECT * FROM howdah_queue.claim('lq', 'w1', 2);
SELECT is(howdah_queue.release(ARRAY(SELECT id FROM c), 'w2'), 0, 'another worker cannot release them');
SELECT is(howdah_queue.release(ARRAY(SELECT id FROM c), 'w1'), 2, 'the holder releases both');
SELECT is((SELECT count(*)::int FROM howdah_queue.jobs WHERE id IN (SELECT id FROM c)
             AND state = 'available' AND attempt = 0 AND lease_expires_at IS NULL AND run_at = now()), 2,
          'available now, attempt given back, no lease');
SELECT is(howdah_queue.release(ARRAY(SELECT id FROM c)), 0, 'releasing jobs that are not running changes nothing');

SELECT * FROM finish();
ROLLBACK;
