-- Privileges: the module grants nothing by default (a role without grants gets 42501 and changes
-- nothing); the GRANT lines of docs/queue.md let a producer push without reading payloads, a
-- worker run the whole cycle but not delete, and an operator prune.
BEGIN;
SELECT plan(10);
-- Independent of jobs already in the database (the upgrade test runs this file over its data).
DELETE FROM howdah_queue.jobs;

CREATE ROLE howdah_test_nobody NOLOGIN;
CREATE ROLE howdah_test_producer NOLOGIN;
CREATE ROLE howdah_test_worker NOLOGIN;
CREATE ROLE howdah_test_operator NOLOGIN;
-- docs/queue.md, "Privileges":
GRANT USAGE ON SCHEMA howdah_queue TO howdah_test_producer, howdah_test_worker, howdah_test_operator;
GRANT INSERT, SELECT (id, queue, state, unique_key) ON howdah_queue.jobs TO howdah_test_producer;
GRANT USAGE ON SEQUENCE howdah_queue.jobs_id_seq TO howdah_test_producer;
GRANT SELECT, UPDATE ON howdah_queue.jobs TO howdah_test_worker;
GRANT SELECT, INSERT, UPDATE, DELETE ON howdah_queue.jobs TO howdah_test_operator;
GRANT USAGE ON SEQUENCE howdah_queue.jobs_id_seq TO howdah_test_operator;

SELECT ok((SELECT bool_and(NOT p.prosecdef) FROM pg_proc p WHERE p.pronamespace = 'howdah_queue'::regnamespace), 'every function is SECURITY INVOKER');

CREATE TEMP TABLE r (who text, what text, result text);
GRANT ALL ON r TO PUBLIC;
SET LOCAL ROLE howdah_test_nobody;
DO $$ BEGIN PERFORM howdah_queue.push('rolesq', '1');
EXCEPTION WHEN OTHERS THEN INSERT INTO r VALUES ('nobody', 'push', SQLSTATE); END $$;
RESET ROLE;
SELECT is((SELECT result FROM r WHERE who = 'nobody'), '42501', 'a role without grants cannot push');
SELECT is((SELECT count(*)::int FROM howdah_queue.jobs WHERE queue = 'rolesq'), 0, 'and wrote nothing');

SET LOCAL ROLE howdah_test_producer;
INSERT INTO r SELECT 'producer', 'push_many', array_length(howdah_queue.push_many('[{"queue": "rolesq", "payload": 1}, {"queue": "rolesq", "payload": 2}]'), 1)::text;
INSERT INTO r SELECT 'producer', 'push', (howdah_queue.push('rolesq', '3') > 0)::text;
INSERT INTO r SELECT 'producer', 'push key', howdah_queue.push('rolesq', '"k"', unique_key => 'k; "x"')::text;
INSERT INTO r SELECT 'producer', 'push key again', howdah_queue.push('rolesq', '"k2"', unique_key => 'k; "x"')::text;
INSERT INTO r SELECT 'producer', 'push_many key', (howdah_queue.push_many('[{"queue": "rolesq", "payload": 5, "unique_key": "k; \"x\""}]'))[1]::text;
DO $$ BEGIN PERFORM howdah_queue.claim('rolesq', 'p', 1);
EXCEPTION WHEN OTHERS THEN INSERT INTO r VALUES ('producer', 'claim', SQLSTATE); END $$;
DO $$ BEGIN PERFORM payload FROM howdah_queue.jobs;
EXCEPTION WHEN OTHERS THEN INSERT INTO r VALUES ('producer', 'read payloads', SQLSTATE); END $$;
DO $$ BEGIN PERFORM howdah_queue.list();
EXCEPTION WHEN OTHERS THEN INSERT INTO r VALUES ('producer', 'list', SQLSTATE); END $$;
RESET ROLE;
SELECT results_eq($$SELECT what, result FROM r WHERE who = 'producer' AND what IN ('claim', 'push', 'push_many', 'read payloads', 'list') ORDER BY what$$,
                  $$VALUES ('claim', '42501'), ('list', '42501'), ('push', 'true'), ('push_many', '2'), ('read payloads', '42501')$$,
                  'a producer pushes but can neither claim nor read payloads');
SELECT is((SELECT count(DISTINCT result)::int FROM r WHERE who = 'producer' AND what LIKE '%key%'), 1,
          'a producer''s unique keys work: push and push_many return the holder''s id');
SELECT is((SELECT result FROM r WHERE who = 'producer' AND what = 'push key'),
          (SELECT id::text FROM howdah_queue.jobs WHERE unique_key = 'k; "x"'), 'and that id is the keyed job');

SET LOCAL ROLE howdah_test_worker;
CREATE TEMP TABLE w AS SELECT id, attempt FROM howdah_queue.claim('rolesq', 'worker', 4);
INSERT INTO r SELECT 'worker', 'heartbeat', cardinality(howdah_queue.heartbeat(ARRAY(SELECT id FROM w), 'worker', attempts => ARRAY(SELECT attempt FROM w)))::text;
INSERT INTO r SELECT 'worker', 'complete', howdah_queue.complete(ARRAY(SELECT id FROM w ORDER BY id LIMIT 2), 'worker')::text;
INSERT INTO r SELECT 'worker', 'fail', howdah_queue.fail((SELECT max(id) FROM w), 'e', worker_id => 'worker', retry_in => interval '0')::text;
INSERT INTO r SELECT 'worker', 'release', howdah_queue.release(ARRAY(SELECT id FROM w), 'worker')::text;
INSERT INTO r SELECT 'worker', 'rescue', howdah_queue.rescue()::text;
INSERT INTO r SELECT 'worker', 'stats', count(*)::text FROM howdah_queue.stats() WHERE queue = 'rolesq';
DO $$ BEGIN PERFORM howdah_queue.prune(interval '0');
EXCEPTION WHEN OTHERS THEN INSERT INTO r VALUES ('worker', 'prune', SQLSTATE); END $$;
DO $$ BEGIN PERFORM howdah_queue.push('rolesq', '1');
EXCEPTION WHEN OTHERS THEN INSERT INTO r VALUES ('worker', 'push', SQLSTATE); END $$;
RESET ROLE;
SELECT results_eq($$SELECT what, result FROM r WHERE who = 'worker' ORDER BY what$$,
                  $$VALUES ('complete', '2'), ('fail', 'retryable'), ('heartbeat', '4'), ('prune', '42501'), ('push', '42501'),
                           ('release', '1'), ('rescue', '0'), ('stats', '3')$$,
                  'a worker claims, heartbeats, completes, fails, releases, rescues and reads stats, but cannot prune or push');
SELECT is((SELECT count(*)::int FROM howdah_queue.jobs WHERE queue = 'rolesq' AND state = 'completed'), 2, 'the refused prune deleted nothing');

SET LOCAL ROLE howdah_test_operator;
INSERT INTO r SELECT 'operator', 'prune', howdah_queue.prune(interval '0')::text;
INSERT INTO r SELECT 'operator', 'cancel', (howdah_queue.cancel((SELECT min(id) FROM howdah_queue.jobs WHERE queue = 'rolesq' AND state = 'available'))).state::text;
RESET ROLE;
SELECT results_eq($$SELECT what, result FROM r WHERE who = 'operator' ORDER BY what$$,
                  $$VALUES ('cancel', 'cancelled'), ('prune', '2')$$, 'an operator prunes and cancels');
SELECT is((SELECT count(*)::int FROM howdah_queue.jobs WHERE queue = 'rolesq'), 2, 'two jobs left: the retryable one and the cancelled one');

SELECT * FROM finish();
ROLLBACK;
