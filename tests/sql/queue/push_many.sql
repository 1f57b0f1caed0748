-- push_many: one INSERT for the whole array, ids in input order, unique keys resolved against
-- earlier jobs and earlier elements, bad elements named by index and key, nothing written.
-- A batch without unique keys takes a path of its own (a plain INSERT): checked the same way.
BEGIN;
SELECT plan(24);

CREATE TEMP TABLE held AS SELECT howdah_queue.push('mail', '"old"', unique_key => 'k1') AS id;
CREATE TEMP TABLE ids AS SELECT howdah_queue.push_many($$[
    {"queue": "mail", "payload": {"n": 0}},
    {"queue": "mail", "payload": {"n": 1}, "unique_key": "k1"},
    {"queue": "sms", "payload": {"n": 2}, "unique_key": "k2", "priority": -3, "max_attempts": 2, "tags": ["t"]},
    {"queue": "sms", "payload": {"n": 3}, "unique_key": "k2"},
    {"queue": "mail", "payload": {"n": 4}, "run_at": "2999-01-02T03:04:05Z"},
    {"queue": "mail", "payload": 5, "priority": null, "run_at": null, "max_attempts": null, "unique_key": null, "tags": null}
]$$) AS a;

SELECT is(array_length((SELECT a FROM ids), 1), 6, 'one id per element');
SELECT is((SELECT a[2] FROM ids), (SELECT id FROM held), 'a held unique key yields the holder''s id');
SELECT is((SELECT a[4] FROM ids), (SELECT a[3] FROM ids), 'a key repeated inside the batch yields the first element''s id');
SELECT is((SELECT payload FROM howdah_queue.jobs WHERE id = (SELECT a[1] FROM ids)), '{"n": 0}'::jsonb, 'element 0 is the first id');
SELECT is((SELECT payload FROM howdah_queue.jobs WHERE id = (SELECT a[5] FROM ids)), '{"n": 4}'::jsonb, 'element 4 is the fifth id');
SELECT is((SELECT row(queue, priority, max_attempts, tags, unique_key)::text FROM howdah_queue.jobs WHERE id = (SELECT a[3] FROM ids)),
          '(sms,-3,2,{t},k2)', 'every key of an element is stored');
SELECT is((SELECT row(state, run_at)::text FROM howdah_queue.jobs WHERE id = (SELECT a[5] FROM ids)),
          row('scheduled'::howdah_queue.job_state, '2999-01-02T03:04:05Z'::timestamptz)::text, 'run_at in the future: scheduled');
SELECT is((SELECT row(payload, priority, max_attempts, tags, state)::text FROM howdah_queue.jobs WHERE id = (SELECT a[6] FROM ids)),
          '(5,0,25,{},available)', 'JSON nulls mean defaults');
SELECT is((SELECT count(*)::int FROM howdah_queue.jobs WHERE id = ANY ((SELECT a FROM ids)::bigint[]) AND id <> (SELECT id FROM held)), 4, 'four new jobs, two keys resolved');
SELECT is(howdah_queue.push_many('[]'), '{}'::bigint[], 'an empty array adds nothing');

-- Without any unique key: the plain INSERT path.
CREATE TEMP TABLE plain AS SELECT howdah_queue.push_many($$[
    {"queue": "plain", "payload": {"n": 0}, "tags": ["a,b", "{x}", "\"q\"", "ünï ✓", "; DROP TABLE x; --"]},
    {"queue": "plain", "payload": {"n": 1}, "priority": -32768, "max_attempts": 32767},
    {"queue": "plain", "payload": {"n": 2}, "run_at": "2999-01-02T03:04:05Z"},
    {"queue": "plain", "payload": {"n": 3}, "priority": null, "run_at": null, "max_attempts": null, "unique_key": null, "tags": null}
]$$) AS a;
SELECT is((SELECT array_agg((j.payload ->> 'n')::int ORDER BY u.ord) FROM plain, unnest(a) WITH ORDINALITY u(id, ord)
             JOIN howdah_queue.jobs j ON j.id = u.id),
          '{0,1,2,3}'::int[], 'without unique keys: one new job per element, ids in input order');
SELECT is((SELECT tags FROM howdah_queue.jobs WHERE id = (SELECT a[1] FROM plain)),
          ARRAY['a,b', '{x}', '"q"', 'ünï ✓', '; DROP TABLE x; --'], 'hostile tags stored verbatim');
SELECT is((SELECT row(priority, max_attempts, state)::text FROM howdah_queue.jobs WHERE id = (SELECT a[2] FROM plain)),
          '(-32768,32767,available)', 'extreme priority and max_attempts stored');
SELECT is((SELECT row(state, run_at)::text FROM howdah_queue.jobs WHERE id = (SELECT a[3] FROM plain)),
          row('scheduled'::howdah_queue.job_state, '2999-01-02T03:04:05Z'::timestamptz)::text, 'run_at in the future: scheduled');
SELECT is((SELECT row(priority, max_attempts, tags, unique_key, state, run_at = now())::text FROM howdah_queue.jobs WHERE id = (SELECT a[4] FROM plain)),
          '(0,25,{},,available,t)', 'JSON nulls mean defaults');

CREATE TEMP TABLE before AS SELECT count(*) AS n FROM howdah_queue.jobs;
SELECT throws_ok($$SELECT howdah_queue.push_many('{"queue": "mail"}')$$, '22023', 'push_many: jobs must be a JSON array of job objects, got object', 'not an array');
SELECT throws_ok($$SELECT howdah_queue.push_many('[{"queue": "mail", "payload": 1}, {"queue": "Bad Name", "payload": 1}]')$$, '22023',
    'push_many: jobs[1]: queue name ''Bad Name'' is invalid: use 1 to 128 characters among a-z, 0-9, _ . - (starting with a letter or digit)', 'bad queue name named by index');
SELECT throws_ok($$SELECT howdah_queue.push_many('[{"queue": "mail", "payload": 1, "colour": "red"}]')$$, '22023',
    'push_many: jobs[0]: unknown key "colour" (allowed keys: queue, payload, priority, run_at, max_attempts, unique_key, tags)', 'unknown key');
SELECT throws_ok($$SELECT howdah_queue.push_many('[{"queue": "mail"}]')$$, '22023',
    'push_many: jobs[0]: payload must be a JSON value other than null', 'missing payload');
SELECT throws_ok($$SELECT howdah_queue.push_many('[{"queue": "mail", "payload": 1, "priority": "high"}]')$$, '22023',
    'push_many: jobs[0]: key "priority" must be an integer from -32768 to 32767, got "high"', 'priority of the wrong type');
SELECT throws_ok($$SELECT howdah_queue.push_many('[{"queue": "mail", "payload": 1, "max_attempts": -1}]')$$, '22023',
    'push_many: jobs[0]: key "max_attempts" must be an integer from 1 to 32767, got -1', 'negative max_attempts');
SELECT throws_ok($$SELECT howdah_queue.push_many('[{"queue": "mail", "payload": 1}, {"queue": "mail", "payload": 1, "run_at": "2030-13-45"}]')$$, '22023',
    NULL, 'an impossible run_at is refused');
SELECT throws_ok($$SELECT howdah_queue.push_many('[{"queue": "mail", "payload": 1, "unique_key": "k9"}, {"queue": "mail", "payload": 1, "run_at": "yesterday-ish"}]')$$, '22023',
    'push_many: key ''run_at'' of an element must be a timestamp such as "2030-01-02T03:04:05Z": invalid input syntax for type timestamp with time zone: "yesterday-ish"',
    'an impossible run_at is refused in a batch with unique keys too, naming the key');
SELECT is((SELECT count(*) FROM howdah_queue.jobs), (SELECT n FROM before), 'refused batches wrote nothing, not even their valid elements');

SELECT * FROM finish();
ROLLBACK;
