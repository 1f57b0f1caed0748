-- The wake-up trigger is statement-level with a transition table (one notification per statement
-- and queue, never per row), and the setting howdah.queue_notify switches it off. Whether
-- notifications arrive, and how many, is tested from Go with LISTEN (client/queue).
BEGIN;
SELECT plan(8);

SELECT is((SELECT row(tgtype & 1, tgtype & 4, tgnewtable, tgenabled)::text FROM pg_trigger
            WHERE tgrelid = 'howdah_queue.jobs'::regclass AND tgname = 'jobs_notify'),
          '(0,4,inserted_jobs,O)', 'jobs_notify: FOR EACH STATEMENT (not ROW), AFTER INSERT, with NEW TABLE inserted_jobs, enabled');
SELECT is((SELECT count(*)::int FROM pg_trigger WHERE tgrelid = 'howdah_queue.jobs'::regclass AND NOT tgisinternal), 1, 'it is the only trigger');

SELECT ok(howdah_internal.queue_notify_enabled(), 'notify is on when the setting is unset');
SET LOCAL howdah.queue_notify = off;
SELECT ok(NOT howdah_internal.queue_notify_enabled(), 'off turns it off');
SET LOCAL howdah.queue_notify = 'false';
SELECT ok(NOT howdah_internal.queue_notify_enabled(), 'false turns it off');
SELECT lives_ok($$SELECT howdah_queue.push_many('[{"queue": "nq", "payload": 1}, {"queue": "nq2", "payload": 2}]')$$, 'pushes work with notify off');
SET LOCAL howdah.queue_notify = on;
SELECT ok(howdah_internal.queue_notify_enabled(), 'on turns it back on');
SELECT lives_ok($$SELECT howdah_queue.push('nq', '1', run_at => now() + interval '1 hour')$$, 'a scheduled push (which wakes nobody) works');

SELECT * FROM finish();
ROLLBACK;
