-- Cron expressions: the parser (fields, lists, ranges, steps, names, shortcuts), the next
-- matching times (minute, hour, day, month and year roll-overs, month lengths, leap years, the
-- day-of-month / day-of-week rule), UTC whatever the session's time zone, and bad expressions
-- refused with 22023 naming the field.
BEGIN;
SELECT plan(61);

-- Times are written in UTC; the session's zone is one with daylight saving changes on purpose.
SET LOCAL TimeZone = 'America/New_York';

CREATE TEMP TABLE c (label text, expr text, after timestamptz, want timestamptz[]);
INSERT INTO c VALUES
    ('every minute: strictly after, seconds dropped', '* * * * *', '2026-01-01 00:00:30Z', '{2026-01-01 00:01Z,2026-01-01 00:02Z}'),
    ('every minute: a time on a minute is not its own next', '* * * * *', '2026-01-01 00:00:00Z', '{2026-01-01 00:01Z}'),
    ('top of the hour, across the year', '0 * * * *', '2026-12-31 23:30Z', '{2027-01-01 00:00Z,2027-01-01 01:00Z}'),
    ('*/15', '*/15 * * * *', '2026-05-05 10:07Z', '{2026-05-05 10:15Z,2026-05-05 10:30Z,2026-05-05 10:45Z,2026-05-05 11:00Z}'),
    ('*/7 restarts at each hour', '*/7 * * * *', '2026-05-05 10:50Z', '{2026-05-05 10:56Z,2026-05-05 11:00Z,2026-05-05 11:07Z}'),
    ('range with step, list of hours', '5-10/2 3,15 * * *', '2026-05-05 03:06Z',
        '{2026-05-05 03:07Z,2026-05-05 03:09Z,2026-05-05 15:05Z,2026-05-05 15:07Z,2026-05-05 15:09Z,2026-05-06 03:05Z}'),
    ('a/step runs to the end of the field', '0 8 3/9 * *', '2026-01-05Z', '{2026-01-12 08:00Z,2026-01-21 08:00Z,2026-01-30 08:00Z,2026-02-03 08:00Z}'),
    ('mixed list of values and ranges', '5/20,1-3 * * * *', '2026-03-06 16:50Z',
        '{2026-03-06 17:01Z,2026-03-06 17:02Z,2026-03-06 17:03Z,2026-03-06 17:05Z,2026-03-06 17:25Z,2026-03-06 17:45Z,2026-03-06 18:01Z}'),
    ('day 31 skips the shorter months', '0 0 31 * *', '2026-01-31Z', '{2026-03-31Z,2026-05-31Z,2026-07-31Z,2026-08-31Z}'),
    ('day 30 skips February', '59 23 30 * *', '2026-01-30 23:59Z', '{2026-03-30 23:59Z,2026-04-30 23:59Z}'),
    ('29 February: leap years only', '0 0 29 2 *', '2026-01-01Z', '{2028-02-29Z,2032-02-29Z}'),
    ('29 February: 2100 is not a leap year', '0 0 29 2 *', '2096-03-01Z', '{2104-02-29Z}'),
    ('once a year', '0 0 1 1 *', '2026-06-01Z', '{2027-01-01Z,2028-01-01Z}'),
    ('month names, any case', '30 2 * FEB,mar *', '2026-03-31 02:30Z', '{2027-02-01 02:30Z,2027-02-02 02:30Z}'),
    ('weekday range with names', '0 9 * * MON-FRI', '2026-03-06 09:00Z', '{2026-03-09 09:00Z,2026-03-10 09:00Z}'),
    ('7 is Sunday too, in a range', '0 12 * * 5-7', '2026-03-02Z', '{2026-03-06 12:00Z,2026-03-07 12:00Z,2026-03-08 12:00Z,2026-03-13 12:00Z}'),
    ('both day fields restricted: either matches', '0 0 1 * 1', '2026-01-01Z',
        '{2026-01-05Z,2026-01-12Z,2026-01-19Z,2026-01-26Z,2026-02-01Z,2026-02-02Z}'),
    ('Friday or the 13th', '0 0 13 * FRI', '2026-02-01Z', '{2026-02-06Z,2026-02-13Z,2026-02-20Z,2026-02-27Z}'),
    ('1-7 and sun: either (not the first Sunday)', '15 */6 1-7 * sun', '2026-03-01Z',
        '{2026-03-01 00:15Z,2026-03-01 06:15Z,2026-03-01 12:15Z,2026-03-01 18:15Z,2026-03-02 00:15Z,2026-03-02 06:15Z}'),
    ('day of month starting with *: both must match', '0 0 */10 * 1', '2026-01-01Z', '{2026-05-11Z,2026-06-01Z,2026-08-31Z}'),
    ('31 February with a weekday: the weekday alone', '0 0 31 2 1', '2026-01-01Z', '{2026-02-02Z,2026-02-09Z}'),
    ('whitespace around and between fields', E'  0\t 3 * * *  ', '2026-01-01Z', '{2026-01-01 03:00Z}');

SELECT is(ARRAY(SELECT howdah_queue.cron_next(c.expr, c.after, cardinality(c.want))), c.want, c.label) FROM c ORDER BY c.label;

-- Sunday is 0, 7 and SUN; the shortcuts are their usual fields.
SELECT is(ARRAY(SELECT howdah_queue.cron_next(e, '2026-01-01Z', 3)), ARRAY(SELECT howdah_queue.cron_next('0 0 * * 0', '2026-01-01Z', 3)),
          format('%L is Sundays at midnight', e))
  FROM unnest(ARRAY['0 0 * * 7', '0 0 * * sun', '@weekly']) e;
SELECT is(ARRAY(SELECT howdah_queue.cron_next(s, '2026-02-17 13:45Z', 3)), ARRAY(SELECT howdah_queue.cron_next(f, '2026-02-17 13:45Z', 3)),
          format('%s is %L', s, f))
  FROM (VALUES ('@yearly', '0 0 1 1 *'), ('@annually', '0 0 1 1 *'), ('@monthly', '0 0 1 * *'), ('@daily', '0 0 * * *'),
               ('@midnight', '0 0 * * *'), ('@hourly', '0 * * * *'), ('@DAILY', '0 0 * * *')) v(s, f);

-- UTC whatever the session's zone: 09:00 UTC on both sides of New York's change to summer time
-- (8 March 2026), and the same instants under another zone.
SELECT is(ARRAY(SELECT howdah_queue.cron_next('0 9 * * *', '2026-03-07 12:00Z', 3)),
          '{2026-03-08 09:00Z,2026-03-09 09:00Z,2026-03-10 09:00Z}'::timestamptz[], 'cron is matched in UTC across a DST change');
SET LOCAL TimeZone = 'Asia/Kolkata';
SELECT is(ARRAY(SELECT howdah_queue.cron_next('0 9 * * *', '2026-03-07 12:00Z', 3)),
          '{2026-03-08 09:00Z,2026-03-09 09:00Z,2026-03-10 09:00Z}'::timestamptz[], 'and gives the same instants in another session zone');
SELECT is((SELECT count(*)::int FROM howdah_queue.cron_next('* * * * *', n => 1000)), 1000, 'cron_next gives up to 1000 times');
SELECT cmp_ok(howdah_queue.cron_next('* * * * *'), '>', now(), 'after defaults to now()');

-- Bad expressions: 22023 naming the field and what is wrong.
SELECT throws_ok(format('SELECT howdah_queue.cron_next(%L)', e), '22023', m, format('refused: %L', e))
  FROM (VALUES
    ('', 'cron expression must not be empty'),
    ('* * * *', 'cron expression ''* * * *'' has 4 field(s), not 5'),
    ('* * * * * *', 'cron expression ''* * * * * *'' has 6 field(s), not 5'),
    ('60 * * * *', 'cron expression ''60 * * * *'': minute field: 60 is out of range 0-59'),
    ('* 24 * * *', 'cron expression ''* 24 * * *'': hour field: 24 is out of range 0-23'),
    ('* * 0 * *', 'cron expression ''* * 0 * *'': day-of-month field: 0 is out of range 1-31'),
    ('* * 32 * *', 'cron expression ''* * 32 * *'': day-of-month field: 32 is out of range 1-31'),
    ('* * * 13 *', 'cron expression ''* * * 13 *'': month field: 13 is out of range 1-12'),
    ('* * * * 8', 'cron expression ''* * * * 8'': day-of-week field: 8 is out of range 0-7'),
    ('99999 * * * *', 'cron expression ''99999 * * * *'': minute field: 99999 is out of range 0-59'),
    ('5-1 * * * *', 'cron expression ''5-1 * * * *'': minute field: range ''5-1'' runs backwards'),
    ('*/0 * * * *', 'cron expression ''*/0 * * * *'': minute field: step 0 in ''*/0'' is out of range 1-60'),
    ('* */25 * * *', 'cron expression ''* */25 * * *'': hour field: step 25 in ''*/25'' is out of range 1-24'),
    ('1,,2 * * * *', 'cron expression ''1,,2 * * * *'': minute field: '''' is not *, a value, a range a-b, or one of them with /step'),
    ('1-2-3 * * * *', 'cron expression ''1-2-3 * * * *'': minute field: ''1-2-3'' is not *, a value, a range a-b, or one of them with /step'),
    ('* * * * MON-', 'cron expression ''* * * * MON-'': day-of-week field: ''MON-'' is not *, a value, a range a-b, or one of them with /step'),
    ('*/ * * * *', 'cron expression ''*/ * * * *'': minute field: ''*/'' is not *, a value, a range a-b, or one of them with /step'),
    ('a * * * *', 'cron expression ''a * * * *'': minute field: ''a'' is not a number'),
    ('* * * JANUARY *', 'cron expression ''* * * JANUARY *'': month field: ''JANUARY'' is not a number nor one of JAN, FEB, MAR, APR, MAY, JUN, JUL, AUG, SEP, OCT, NOV, DEC'),
    ('* * * * MON-XYZ', 'cron expression ''* * * * MON-XYZ'': day-of-week field: ''XYZ'' is not a number nor one of SUN, MON, TUE, WED, THU, FRI, SAT'),
    ('@reboot', 'cron expression ''@reboot'': unknown shortcut (known: @yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly)'),
    ('0 0 30 2 *', 'cron expression ''0 0 30 2 *'' never matches: no month it names has day 30'),
    ('0 0 31 4,6,9,11 *', 'cron expression ''0 0 31 4,6,9,11 *'' never matches: no month it names has day 31')) v(e, m);
SELECT throws_ok($$SELECT howdah_queue.cron_next(NULL)$$, '22023', 'cron expression must not be empty', 'a null expression');
SELECT throws_ok($$SELECT howdah_queue.cron_next('* * * * *', n => 0)$$, '22023', 'n must be from 1 to 1000, got 0', 'n out of range');

SELECT * FROM finish();
ROLLBACK;
