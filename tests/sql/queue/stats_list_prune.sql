-- stats counts per queue and state with the oldest due age; list pages newest first; prune deletes
-- final jobs older than the limit in batches, oldest first, and nothing else.
BEGIN;
SELECT plan(12);
-- Independent of jobs already in the database (the upgrade test runs this file over its data).
DELETE FROM howdah_queue.jobs;

CREATE TEMP TABLE ids AS SELECT howdah_queue.push_many(jsonb_agg(jsonb_build_object('queue', 'st', 'payload', g))) AS a
  FROM generate_series(1, 6) g;
SELECT howdah_queue.push('st', '"later"', run_at => now() + interval '1 hour');
UPDATE howdah_queue.jobs SET run_at = now() - interval '10 minutes' WHERE id = (SELECT a[1] FROM ids);
CREATE TEMP TABLE c AS SELECT * FROM howdah_queue.claim('st', 'w', 3);
SELECT howdah_queue.complete(ARRAY(SELECT id FROM c ORDER BY id LIMIT 2));
UPDATE howdah_queue.jobs SET finalized_at = now() - interval '2 days' WHERE id = (SELECT min(id) FROM c);

SELECT results_eq($$SELECT state::text, jobs::int, oldest_age FROM howdah_queue.stats() WHERE queue = 'st'$$,
                  $$VALUES ('available', 3, interval '0'), ('scheduled', 1, NULL), ('running', 1, interval '0'), ('completed', 2, interval '2 days')$$,
                  'stats: counts per state; oldest due wait, time running, time final');
SELECT is((SELECT oldest_age FROM howdah_queue.stats() WHERE queue = 'st' AND state = 'available'), interval '0',
          'the job that waited 10 minutes was claimed first (oldest run_at)');

SELECT results_eq($$SELECT id FROM howdah_queue.list('st', max_rows => 3)$$,
                  $$SELECT id FROM howdah_queue.jobs WHERE queue = 'st' ORDER BY id DESC LIMIT 3$$, 'list: newest first, max_rows');
SELECT results_eq($$SELECT id FROM howdah_queue.list('st', 'available', 2, before_id => (SELECT a[6] FROM ids))$$,
                  $$SELECT id FROM howdah_queue.jobs WHERE queue = 'st' AND state = 'available' AND id < (SELECT a[6] FROM ids) ORDER BY id DESC LIMIT 2$$,
                  'list: by state, paged with before_id');
SELECT is((SELECT count(*)::int FROM howdah_queue.list()), LEAST((SELECT count(*)::int FROM howdah_queue.jobs), 100), 'list() with no filter');
SELECT throws_ok($$SELECT * FROM howdah_queue.list(max_rows => 0)$$, '22023', 'max_rows must be from 1 to 10000, got 0', 'list max_rows 0');

SELECT is(howdah_queue.prune(interval '1 day'), 1, 'prune deletes the job final for 2 days');
SELECT is(howdah_queue.prune(interval '1 day'), 0, 'and nothing more: the other completed job is recent');
SELECT is(howdah_queue.prune(interval '0', batch => 1), 1, 'older_than 0 deletes the recent one too, one per batch');
SELECT is((SELECT count(*)::int FROM howdah_queue.jobs WHERE queue = 'st'), 5, 'available, scheduled and running jobs are never pruned');
SELECT throws_ok($$SELECT howdah_queue.prune(interval '-1 day')$$, '22023', 'older_than must not be negative, got -1 days', 'negative older_than');
SELECT throws_ok($$SELECT howdah_queue.prune(interval '1 day', 0)$$, '22023', 'batch must be from 1 to 100000, got 0', 'batch 0');

SELECT * FROM finish();
ROLLBACK;
