-- Privileges: the module grants nothing by default (a role without grants gets 42501 and changes
-- nothing); the GRANT lines of docs/queue.md let a producer push and a worker run the whole cycle.
BEGIN;
SELECT plan(6);

CREATE ROLE howdah_test_nobody NOLOGIN;
CREATE ROLE howdah_test_producer NOLOGIN;
CREATE ROLE howdah_test_worker NOLOGIN;
-- docs/queue.md, "Privileges":
GRANT USAGE ON SCHEMA howdah_queue TO howdah_test_producer, howdah_test_worker;
GRANT SELECT, INSERT ON howdah_queue.jobs TO howdah_test_producer;
GRANT USAGE ON SEQUENCE howdah_queue.jobs_id_seq TO howdah_test_producer;
GRANT SELECT, INSERT, UPDATE, DELETE ON howdah_queue.jobs TO howdah_test_worker;
GRANT USAGE ON SEQUENCE howdah_queue.jobs_id_seq TO howdah_test_worker;

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
DO $$ BEGIN PERFORM howdah_queue.claim('rolesq', 'p', 1);
EXCEPTION WHEN OTHERS THEN INSERT INTO r VALUES ('producer', 'claim', SQLSTATE); END $$;
RESET ROLE;
SELECT results_eq($$SELECT what, result FROM r WHERE who = 'producer' ORDER BY what$$,
                  $$VALUES ('claim', '42501'), ('push', 'true'), ('push_many', '2')$$, 'a producer pushes but cannot claim');

SET LOCAL ROLE howdah_test_worker;
CREATE TEMP TABLE w AS SELECT id FROM howdah_queue.claim('rolesq', 'worker', 3);
INSERT INTO r SELECT 'worker', 'complete', howdah_queue.complete(ARRAY(SELECT id FROM w ORDER BY id LIMIT 2), 'worker')::text;
INSERT INTO r SELECT 'worker', 'fail', howdah_queue.fail((SELECT max(id) FROM w), 'e', interval '0', 'worker')::text;
INSERT INTO r SELECT 'worker', 'rescue', howdah_queue.rescue()::text;
INSERT INTO r SELECT 'worker', 'prune', howdah_queue.prune(interval '0')::text;
INSERT INTO r SELECT 'worker', 'stats', count(*)::text FROM howdah_queue.stats() WHERE queue = 'rolesq';
RESET ROLE;
SELECT results_eq($$SELECT what, result FROM r WHERE who = 'worker' ORDER BY what$$,
                  $$VALUES ('complete', '2'), ('fail', 'retryable'), ('prune', '2'), ('rescue', '0'), ('stats', '1')$$,
                  'a worker claims, completes, fails, rescues, prunes and reads stats');
SELECT is((SELECT count(*)::int FROM howdah_queue.jobs WHERE queue = 'rolesq'), 1, 'one job left, retryable');

SELECT * FROM finish();
ROLLBACK;
