-- Periodic jobs: schedule creates and changes (keeping the next tick unless the timing changes),
-- enqueue_due turns each due tick into one job (run_at = the tick), collapses missed ticks into
-- one job, filters by queue, counts intervals in exact hours across DST, unschedule and
-- schedules; bad input is refused with 22023 naming the parameter and changes nothing.
BEGIN;
SELECT plan(53);
-- Independent of schedules already in the database (the upgrade test runs this file over its data).
DELETE FROM howdah_queue.schedules;
SET LOCAL TimeZone = 'Europe/Paris';

-- Creating: defaults, the first tick, the returned row.
CREATE TEMP TABLE made AS SELECT * FROM howdah_queue.schedule('tick', 'sched-q', every => '10 seconds');
SELECT results_eq(
    $$SELECT name, queue, cron, every, payload, priority, max_attempts::int, tags, next_run_at, last_run_at, last_job_id FROM made$$,
    $$VALUES ('tick', 'sched-q', NULL::text, interval '10 seconds', '{}'::jsonb, 0::smallint, howdah_internal.queue_default_max_attempts(),
              '{}'::text[], now() + interval '10 seconds', NULL::timestamptz, NULL::bigint)$$,
    'schedule with defaults: payload {}, priority 0, the default attempts, no tags, first tick now + every');
SELECT is((SELECT row(m.*)::text FROM made m), (SELECT row(s.*)::text FROM howdah_queue.schedules s WHERE name = 'tick'),
          'schedule returns the row it wrote');
SELECT is((howdah_queue.schedule('nightly', 'sched-q', cron => E' 0  3 *\t* * ')).cron, '0 3 * * *',
          'the cron expression is stored with its whitespace normalised');
SELECT is((SELECT next_run_at FROM howdah_queue.schedules WHERE name = 'nightly'), howdah_queue.cron_next('0 3 * * *'),
          'a cron schedule''s first tick is the first match after now');
SELECT is((howdah_queue.schedule('daily', 'sched-q', every => '1 day')).every, interval '24 hours',
          'every is stored as hours: a day is 24 hours in any time zone');
SELECT is((howdah_queue.schedule('c1', 'sched-q', cron => '0 * * * *', start_at => '2026-01-01 10:00Z')).next_run_at, '2026-01-01 10:00Z'::timestamptz,
          'cron with start_at on a match: the first tick is start_at');
SELECT is((howdah_queue.schedule('c1', 'sched-q', cron => '0 * * * *', start_at => '2026-01-01 10:00:30Z')).next_run_at, '2026-01-01 11:00Z'::timestamptz,
          'cron with start_at between matches: the next match');
SELECT is((howdah_queue.schedule('e1', 'sched-q', every => '1 hour', start_at => '2026-01-01 10:20Z')).next_run_at, '2026-01-01 10:20Z'::timestamptz,
          'every with start_at: the first tick is start_at');

-- Changing: the next tick stays unless cron, every or start_at changes it.
UPDATE howdah_queue.schedules SET next_run_at = '2020-01-01Z', created_at = '2020-01-01Z' WHERE name = 'tick';
SELECT results_eq(
    $$SELECT payload, priority::int, max_attempts::int, tags, next_run_at, created_at, updated_at = now()
        FROM howdah_queue.schedule('tick', 'sched-q', every => '00:00:10', payload => '{"v": 2}', priority => -5, max_attempts => 3, tags => '{a,b}')$$,
    $$VALUES ('{"v": 2}'::jsonb, -5, 3, '{a,b}'::text[], '2020-01-01Z'::timestamptz, '2020-01-01Z'::timestamptz, true)$$,
    'changing the job settings keeps the next tick (the same every written differently is no change)');
SELECT is((howdah_queue.schedule('tick', 'sched-q', every => '20 seconds')).next_run_at, now() + interval '20 seconds',
          'changing every recomputes the next tick');
SELECT is((howdah_queue.schedule('tick', 'sched-q', cron => '0 3 * * *')).next_run_at, howdah_queue.cron_next('0 3 * * *'),
          'changing to cron recomputes it');
SELECT is((howdah_queue.schedule('tick', 'sched-q', every => '10 seconds', start_at => '2020-01-01Z', payload => '{"n": 1}', tags => '{t}')).next_run_at,
          '2020-01-01Z'::timestamptz, 'start_at moves it, even into the past');
SELECT is((SELECT count(*)::int FROM howdah_queue.schedules), 5, 'one row per name');

-- enqueue_due, stepping through time with as_of. Only 'tick' is due in 2020.
SELECT is(howdah_queue.enqueue_due(as_of => '2019-12-31 23:59:59Z'), 0, 'nothing due before the first tick');
SELECT is(howdah_queue.enqueue_due(as_of => '2020-01-01Z'), 1, 'a tick at as_of is due: one job');
SELECT results_eq(
    $$SELECT j.queue, j.payload, j.priority::int, j.max_attempts::int, j.tags, j.run_at, j.state::text, j.id = s.last_job_id,
             s.last_run_at, s.next_run_at
        FROM howdah_queue.schedules s JOIN howdah_queue.jobs j ON j.id = s.last_job_id WHERE s.name = 'tick'$$,
    $$VALUES ('sched-q', '{"n": 1}'::jsonb, 0, howdah_internal.queue_default_max_attempts(), '{t}'::text[], '2020-01-01Z'::timestamptz, 'available', true,
              '2020-01-01Z'::timestamptz, '2020-01-01 00:00:10Z'::timestamptz)$$,
    'the job has the schedule''s settings (each call declares them all) and run_at = the tick; the schedule records it and moves on by every');
SELECT is(howdah_queue.enqueue_due(as_of => '2020-01-01Z'), 0, 'the same tick again: nothing');
SELECT is(howdah_queue.enqueue_due(as_of => '2020-01-01 00:00:09.999999Z'), 0, 'just before the next tick: nothing');
SELECT is(howdah_queue.enqueue_due(as_of => '2020-01-01 00:00:10Z'), 1, 'the next tick: one job');
SELECT is(howdah_queue.enqueue_due(as_of => '2020-01-01 00:01:35Z'), 1, 'nine ticks missed: one job');
SELECT results_eq(
    $$SELECT s.last_run_at, s.next_run_at FROM howdah_queue.schedules s WHERE s.name = 'tick'$$,
    $$VALUES ('2020-01-01 00:00:20Z'::timestamptz, '2020-01-01 00:01:40Z'::timestamptz)$$,
    'the catch-up job is for the earliest missed tick; the next tick is the first after as_of');
SELECT is(howdah_queue.enqueue_due(as_of => '2020-01-01 00:01:40Z'), 1, 'and the schedule goes on from there');
SELECT is(ARRAY(SELECT run_at FROM howdah_queue.jobs WHERE queue = 'sched-q' ORDER BY id),
          '{2020-01-01 00:00Z,2020-01-01 00:00:10Z,2020-01-01 00:00:20Z,2020-01-01 00:01:40Z}'::timestamptz[],
          'one job per enqueued tick, none twice');

-- Queue filter.
SELECT howdah_queue.schedule('other', 'sched-other', every => '1 minute', start_at => '2020-01-01Z');
SELECT is(howdah_queue.enqueue_due('sched-q', as_of => '2020-01-01 00:01:45Z'), 0, 'enqueue_due(queue) leaves other queues'' schedules');
SELECT is((SELECT next_run_at FROM howdah_queue.schedules WHERE name = 'other'), '2020-01-01Z'::timestamptz, 'which stay due');
SELECT is(howdah_queue.enqueue_due('sched-other', as_of => '2020-01-01 00:01:45Z'), 1, 'and enqueues its own queue''s');

-- A cron schedule catching up, and a tick later than now() making a scheduled job.
SELECT howdah_queue.schedule('hourly', 'sched-cron', cron => '@hourly', start_at => '2020-01-01Z');
SELECT is(howdah_queue.enqueue_due('sched-cron', as_of => '2020-01-01 05:30Z'), 1, 'cron: five ticks missed, one job');
SELECT results_eq(
    $$SELECT s.last_run_at, s.next_run_at, j.run_at FROM howdah_queue.schedules s JOIN howdah_queue.jobs j ON j.id = s.last_job_id WHERE s.name = 'hourly'$$,
    $$VALUES ('2020-01-01 00:00Z'::timestamptz, '2020-01-01 06:00Z'::timestamptz, '2020-01-01 00:00Z'::timestamptz)$$,
    'for the earliest missed tick; the next is the first match after as_of');
SELECT howdah_queue.schedule('ahead', 'sched-ahead', every => '1 hour', start_at => now() + interval '1 day');
SELECT is(howdah_queue.enqueue_due('sched-ahead', as_of => now() + interval '1 day'), 1, 'as_of ahead of now');
SELECT is((SELECT state::text FROM howdah_queue.jobs WHERE queue = 'sched-ahead'), 'scheduled', 'makes a job scheduled for its tick');

-- every across a DST change: 24 hours, whatever the session's zone (Paris moves on 29 March 2026).
SELECT howdah_queue.schedule('dst', 'sched-dst', every => '1 day', start_at => '2026-03-28 12:00Z');
SELECT howdah_queue.enqueue_due('sched-dst', as_of => '2026-03-28 12:00Z');
SELECT is((SELECT next_run_at FROM howdah_queue.schedules WHERE name = 'dst'), '2026-03-29 12:00Z'::timestamptz,
          'every 1 day is 24 hours across a DST change');

-- Listing and removing.
SELECT is(ARRAY(SELECT name FROM howdah_queue.schedules()), '{ahead,c1,daily,dst,e1,hourly,nightly,other,tick}'::text[], 'schedules() by name');
SELECT is(ARRAY(SELECT name FROM howdah_queue.schedules('sched-cron')), '{hourly}'::text[], 'schedules(queue) filters');
SELECT is(howdah_queue.unschedule('tick'), true, 'unschedule of a schedule: true');
SELECT is(howdah_queue.unschedule('tick'), false, 'unschedule again: false');
SELECT is((SELECT count(*)::int FROM howdah_queue.jobs WHERE queue = 'sched-q'), 4, 'the jobs it enqueued stay');

-- Bad input: 22023 naming the parameter, nothing written, an existing schedule unchanged.
CREATE TEMP TABLE before AS SELECT array_agg(s.* ORDER BY name)::text AS rows FROM howdah_queue.schedules s;
SELECT throws_ok(format('SELECT howdah_queue.schedule(%s)', a), '22023', m, format('schedule(%s)', a))
  FROM (VALUES
    ($$NULL, 'q', every => '1 minute'$$, 'name must not be null'),
    ($$'Daily', 'q', every => '1 minute'$$, 'schedule name ''Daily'' is invalid: use 1 to 128 characters among a-z, 0-9, _ . - (starting with a letter or digit)'),
    ($$'daily', 'Q', every => '1 minute'$$, 'queue name ''Q'' is invalid: use 1 to 128 characters among a-z, 0-9, _ . - (starting with a letter or digit)'),
    ($$'daily', 'q'$$, 'give cron (a cron expression such as ''0 3 * * *'') or every (an interval such as ''5 minutes'')'),
    ($$'daily', 'q', cron => '* * * * *', every => '1 minute'$$, 'give cron or every, not both'),
    ($$'daily', 'q', every => '1 month'$$, 'every must be from 1 second to 3650 days, without months or years (use cron for monthly schedules), got 1 mon'),
    ($$'daily', 'q', every => '0.5 seconds'$$, 'every must be from 1 second to 3650 days, without months or years (use cron for monthly schedules), got 00:00:00.5'),
    ($$'daily', 'q', every => '-1 hour'$$, 'every must be from 1 second to 3650 days, without months or years (use cron for monthly schedules), got -01:00:00'),
    ($$'daily', 'q', every => '3651 days'$$, 'every must be from 1 second to 3650 days, without months or years (use cron for monthly schedules), got 3651 days'),
    ($$'daily', 'q', cron => '0 3 * * 8'$$, 'cron expression ''0 3 * * 8'': day-of-week field: 8 is out of range 0-7'),
    ($$'daily', 'q', cron => '0 0 31 2 *'$$, 'cron expression ''0 0 31 2 *'' never matches: no month it names has day 31'),
    ($$'daily', 'q', every => '1 minute', payload => 'null'$$, 'payload must be a JSON value other than null'),
    ($$'daily', 'q', every => '1 minute', max_attempts => 0$$, 'max_attempts must be an integer from 1 to 32767, got 0'),
    ($$'daily', 'q', every => '1 minute', priority => 40000$$, 'priority must be an integer from -32768 to 32767, got 40000')) v(a, m);
SELECT throws_ok($$SELECT howdah_queue.unschedule(NULL)$$, '22023', 'name must not be null', 'unschedule(NULL)');
SELECT throws_ok($$SELECT howdah_queue.enqueue_due('Bad')$$, '22023', NULL, 'enqueue_due with a bad queue name');
SELECT is((SELECT array_agg(s.* ORDER BY name)::text FROM howdah_queue.schedules s), (SELECT rows FROM before), 'refused calls changed nothing');

SELECT * FROM finish();
ROLLBACK;
