-- push_many checks that the caller may insert jobs before it reads its array: a role without
-- INSERT gets 42501 naming the table, not an error about (or the cost of) the elements. A long
-- batch with repeated unique keys gets one id per element, the first element's for a repeat.
BEGIN;
SELECT plan(5);

CREATE ROLE howdah_test_pm_peek NOLOGIN;
GRANT USAGE ON SCHEMA howdah_queue TO howdah_test_pm_peek;
GRANT USAGE ON SCHEMA tap TO howdah_test_pm_peek;

SET LOCAL ROLE howdah_test_pm_peek;
SELECT throws_ok($$SELECT howdah_queue.push_many('{"not": "an array"}')$$, '42501',
                 'permission denied for table howdah_queue.jobs: push_many needs the INSERT privilege on it',
                 'no INSERT: 42501 before the shape of jobs');
SELECT throws_ok($$SELECT howdah_queue.push_many((SELECT jsonb_agg(jsonb_build_object('queue', 'pmq', 'payload', i)) || '[{"queue": "BAD"}]' FROM generate_series(1, 20000) i))$$,
                 '42501', 'permission denied for table howdah_queue.jobs: push_many needs the INSERT privilege on it',
                 'no INSERT: 42501 before 20,000 elements and a bad one');
RESET ROLE;

CREATE TEMP TABLE pm AS
SELECT howdah_queue.push_many((SELECT jsonb_agg(jsonb_build_object('queue', 'pmq', 'payload', i, 'unique_key', 'k' || (i % 5000)) ORDER BY i)
                                 FROM generate_series(1, 10000) i)) AS ids;
SELECT is(cardinality((SELECT ids FROM pm)), 10000, 'one id per element');
SELECT is((SELECT count(DISTINCT x) FROM unnest((SELECT ids FROM pm)) x), 5000::bigint, 'one job per unique key');
SELECT ok((SELECT bool_and(p.ids[i] = p.ids[i + 5000]) FROM pm p, generate_series(1, 5000) i),
          'a repeated key gets the id of its first element');

SELECT * FROM finish();
ROLLBACK;
