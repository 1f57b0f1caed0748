-- The default number of attempts of a job is written once, in
-- howdah_internal.queue_default_max_attempts(): push's and schedule's parameter defaults call it,
-- push_many (with and without unique keys) falls back to it, and no other function of the module
-- spells the number. The COMMENTs that quote it and the jobs table's column default (a released
-- migration, which may not call code) are checked against it.
BEGIN;
SELECT plan(8);

CREATE TEMP TABLE d AS SELECT howdah_internal.queue_default_max_attempts() AS n;

SELECT is(pg_get_function_arg_default('howdah_queue.push'::regproc, 5), 'howdah_internal.queue_default_max_attempts()',
          'push''s max_attempts defaults to the helper');
SELECT is(pg_get_function_arg_default('howdah_queue.schedule'::regproc, 7), 'howdah_internal.queue_default_max_attempts()',
          'schedule''s max_attempts defaults to the helper');
CREATE TEMP TABLE ids AS
SELECT howdah_queue.push('defaults-q', '1') AS id
UNION ALL SELECT unnest(howdah_queue.push_many('[{"queue": "defaults-q", "payload": 2}]'))
UNION ALL SELECT unnest(howdah_queue.push_many('[{"queue": "defaults-q", "payload": 3, "unique_key": "k"}]'));
SELECT is(ARRAY(SELECT j.max_attempts::int FROM howdah_queue.jobs j JOIN ids USING (id)),
          ARRAY[(SELECT n FROM d), (SELECT n FROM d), (SELECT n FROM d)],
          'push, push_many and push_many with a unique key give a job the default attempts');
SELECT throws_ok($$SELECT howdah_queue.push_many('[{"queue": "defaults-q", "payload": 4, "max_attempts": 0}]')$$, '22023',
          'push_many: jobs[0]: max_attempts must be an integer from 1 to 32767, got 0', 'push_many still checks a given max_attempts');
SELECT is(ARRAY(WITH f AS MATERIALIZED (
                    SELECT p.oid FROM howdah_internal.objects o JOIN pg_proc p ON p.oid::regprocedure::text = o.identity
                     WHERE o.module = 'queue' AND o.kind = 'function' AND p.oid <> 'howdah_internal.queue_default_max_attempts'::regproc)
                SELECT f.oid::regprocedure::text FROM f WHERE pg_get_functiondef(f.oid) ~ '\m25\M' ORDER BY 1),
          '{}'::text[], 'no other function of the module spells the default');
SELECT ok(obj_description('howdah_queue.push'::regproc, 'pg_proc') LIKE '%max_attempts = ' || (SELECT n FROM d) || ',%'
          AND obj_description('howdah_queue.schedule'::regproc, 'pg_proc') LIKE '%max_attempts = ' || (SELECT n FROM d) || ',%',
          'the COMMENTs of push and schedule quote it');
SELECT is((SELECT pg_get_expr(a.adbin, a.adrelid) FROM pg_attrdef a
            WHERE a.adrelid = 'howdah_queue.jobs'::regclass AND a.adnum = (SELECT attnum FROM pg_attribute
                                                                           WHERE attrelid = 'howdah_queue.jobs'::regclass AND attname = 'max_attempts')),
          (SELECT n::text FROM d), 'the jobs table''s column default (released migration 001) agrees with it');
SELECT is((SELECT count(*)::int FROM howdah_queue.jobs WHERE queue = 'defaults-q'), 3, 'the refused push_many wrote nothing');

SELECT * FROM finish();
ROLLBACK;
