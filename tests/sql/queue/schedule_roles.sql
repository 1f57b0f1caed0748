-- Privileges of schedules, with the GRANT lines of docs/queue.md ("Privileges"): an operator
-- manages schedules and runs enqueue_due; a worker with the base grants gets 42501 from
-- enqueue_due and changes nothing; with the lines for enqueue_due it turns due ticks into jobs.
BEGIN;
SELECT plan(7);
DELETE FROM howdah_queue.schedules;

CREATE ROLE howdah_test_s_nobody NOLOGIN;
CREATE ROLE howdah_test_s_worker NOLOGIN;
CREATE ROLE howdah_test_s_ticker NOLOGIN;
CREATE ROLE howdah_test_s_operator NOLOGIN;
-- docs/queue.md, "Privileges": the base grants of workers and operators ...
GRANT USAGE ON SCHEMA howdah_queue TO howdah_test_s_worker, howdah_test_s_ticker, howdah_test_s_operator;
GRANT SELECT, UPDATE ON howdah_queue.jobs TO howdah_test_s_worker, howdah_test_s_ticker;
GRANT SELECT, INSERT, UPDATE, DELETE ON howdah_queue.jobs TO howdah_test_s_operator;
GRANT USAGE ON SEQUENCE howdah_queue.jobs_id_seq TO howdah_test_s_operator;
-- ... and those of schedules.
GRANT SELECT, INSERT, UPDATE, DELETE ON howdah_queue.schedules TO howdah_test_s_operator;
GRANT SELECT, UPDATE ON howdah_queue.schedules TO howdah_test_s_ticker;
GRANT INSERT ON howdah_queue.jobs TO howdah_test_s_ticker;
GRANT USAGE ON SEQUENCE howdah_queue.jobs_id_seq TO howdah_test_s_ticker;

CREATE TEMP TABLE r (who text, what text, result text);
GRANT ALL ON r TO PUBLIC;

SET LOCAL ROLE howdah_test_s_nobody;
DO $$ BEGIN PERFORM howdah_queue.schedule('roles-s', 'roles-sq', every => '1 minute');
EXCEPTION WHEN OTHERS THEN INSERT INTO r VALUES ('nobody', 'schedule', SQLSTATE); END $$;
RESET ROLE;
SELECT is((SELECT result FROM r WHERE who = 'nobody'), '42501', 'a role without grants cannot schedule');

SET LOCAL ROLE howdah_test_s_operator;
INSERT INTO r SELECT 'operator', 'schedule', (howdah_queue.schedule('roles-s', 'roles-sq', every => '1 minute', start_at => '2020-01-01Z')).name;
INSERT INTO r SELECT 'operator', 'schedule other', (howdah_queue.schedule('roles-t', 'roles-sq', every => '1 minute', start_at => '2020-01-01Z')).name;
INSERT INTO r SELECT 'operator', 'schedules', count(*)::text FROM howdah_queue.schedules('roles-sq');
INSERT INTO r SELECT 'operator', 'enqueue_due', howdah_queue.enqueue_due('roles-sq', as_of => '2020-01-01Z')::text;
INSERT INTO r SELECT 'operator', 'unschedule', howdah_queue.unschedule('roles-t')::text;
RESET ROLE;
SELECT results_eq($$SELECT what, result FROM r WHERE who = 'operator' ORDER BY what$$,
                  $$VALUES ('enqueue_due', '2'), ('schedule', 'roles-s'), ('schedule other', 'roles-t'), ('schedules', '2'), ('unschedule', 'true')$$,
                  'an operator schedules, lists, enqueues due ticks and unschedules');

CREATE TEMP TABLE before AS SELECT s.next_run_at FROM howdah_queue.schedules s WHERE name = 'roles-s';
SET LOCAL ROLE howdah_test_s_worker;
DO $$ BEGIN PERFORM howdah_queue.enqueue_due('roles-sq', as_of => '2020-01-01 00:01Z');
EXCEPTION WHEN OTHERS THEN INSERT INTO r VALUES ('worker', 'enqueue_due', SQLSTATE); END $$;
DO $$ BEGIN PERFORM howdah_queue.schedule('roles-s', 'roles-sq', every => '1 hour');
EXCEPTION WHEN OTHERS THEN INSERT INTO r VALUES ('worker', 'schedule', SQLSTATE); END $$;
RESET ROLE;
SELECT results_eq($$SELECT what, result FROM r WHERE who = 'worker' ORDER BY what$$,
                  $$VALUES ('enqueue_due', '42501'), ('schedule', '42501')$$,
                  'a worker with the base grants can neither enqueue due ticks nor schedule');
SELECT is((SELECT next_run_at FROM howdah_queue.schedules WHERE name = 'roles-s'), (SELECT next_run_at FROM before),
          'and changed nothing');

SET LOCAL ROLE howdah_test_s_ticker;
INSERT INTO r SELECT 'ticker', 'enqueue_due', howdah_queue.enqueue_due('roles-sq', as_of => '2020-01-01 00:01Z')::text;
DO $$ BEGIN PERFORM howdah_queue.unschedule('roles-s');
EXCEPTION WHEN OTHERS THEN INSERT INTO r VALUES ('ticker', 'unschedule', SQLSTATE); END $$;
RESET ROLE;
SELECT results_eq($$SELECT what, result FROM r WHERE who = 'ticker' ORDER BY what$$,
                  $$VALUES ('enqueue_due', '1'), ('unschedule', '42501')$$,
                  'a worker with the grants for enqueue_due enqueues due ticks, but cannot unschedule');
SELECT is((SELECT count(*)::int FROM howdah_queue.jobs WHERE queue = 'roles-sq'), 3, 'three ticks, three jobs');
SELECT ok((SELECT bool_and(NOT p.prosecdef) FROM pg_proc p WHERE p.pronamespace = 'howdah_queue'::regnamespace),
          'schedule functions too are SECURITY INVOKER');

SELECT * FROM finish();
ROLLBACK;
