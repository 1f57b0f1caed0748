-- push: defaults, scheduled jobs, any JSON payload but null, hostile values stored verbatim, and
-- bad input refused with 22023 naming the parameter, writing nothing.
BEGIN;
SELECT plan(22);

CREATE TEMP TABLE pushed AS SELECT howdah_queue.push('mail', '{"to": "a@example.com"}') AS id;
SELECT results_eq(
    $$SELECT queue, payload, priority, attempt, max_attempts, state::text, unique_key, tags, errors, run_at = now(), created_at = now()
        FROM howdah_queue.jobs WHERE id = (SELECT id FROM pushed)$$,
    $$VALUES ('mail', '{"to": "a@example.com"}'::jsonb, 0::smallint, 0::smallint, 25::smallint, 'available', NULL::text, '{}'::text[], '[]'::jsonb, true, true)$$,
    'push with defaults: available now, priority 0, 25 attempts, no key, no tags, no errors');

CREATE TEMP TABLE p (label text PRIMARY KEY, id bigint);
INSERT INTO p VALUES
    ('future', howdah_queue.push('mail', '1', run_at => now() + interval '1 hour')),
    ('past', howdah_queue.push('mail', '1', run_at => now() - interval '1 hour')),
    ('scalar', howdah_queue.push('mail', '"just a string"')),
    ('array', howdah_queue.push('mail', '[1, 2]')),
    ('extreme', howdah_queue.push('a.b_c-9', '{}', priority => -32768, max_attempts => 32767, tags => ARRAY['x', 'y'])),
    ('hostile', howdah_queue.push('mail', '{"we\"ird'';drop": "ünïcødé ✓"}', unique_key => 'k''; DROP TABLE x; --',
                                  tags => ARRAY['select', 'has space', '"q"']));
CREATE TEMP VIEW pj AS SELECT p.label, j.* FROM p JOIN howdah_queue.jobs j USING (id);

SELECT is((SELECT state::text FROM pj WHERE label = 'future'), 'scheduled', 'run_at in the future makes the job scheduled');
SELECT is((SELECT state::text FROM pj WHERE label = 'past'), 'available', 'run_at in the past makes it available');
SELECT is((SELECT payload FROM pj WHERE label = 'scalar'), '"just a string"'::jsonb, 'a JSON scalar is a valid payload');
SELECT is((SELECT payload FROM pj WHERE label = 'array'), '[1, 2]'::jsonb, 'a JSON array is a valid payload');
SELECT is((SELECT row(queue, priority, max_attempts, tags)::text FROM pj WHERE label = 'extreme'),
          '(a.b_c-9,-32768,32767,"{x,y}")', 'extreme priority and max_attempts, tags stored');
-- Hostile values are data: stored verbatim.
SELECT is((SELECT row(payload, unique_key, tags)::text FROM pj WHERE label = 'hostile'),
          row('{"we\"ird'';drop": "ünïcødé ✓"}'::jsonb, 'k''; DROP TABLE x; --', ARRAY['select', 'has space', '"q"'])::text,
          'hostile payload keys, unique keys and tags are stored verbatim');
SELECT is(howdah_queue.push(repeat('q', 128), '{}') > 0, true, 'a 128-character queue name is accepted');

CREATE TEMP TABLE before AS SELECT count(*) AS n FROM howdah_queue.jobs;
SELECT throws_ok($$SELECT howdah_queue.push('Mail', '{}')$$, '22023',
    'queue name ''Mail'' is invalid: use 1 to 128 characters among a-z, 0-9, _ . - (starting with a letter or digit)', 'uppercase queue name');
SELECT throws_ok($$SELECT howdah_queue.push('mail; drop', '{}')$$, '22023', NULL, 'queue name with a semicolon and space');
SELECT throws_ok($$SELECT howdah_queue.push('', '{}')$$, '22023', NULL, 'empty queue name');
SELECT throws_ok($$SELECT howdah_queue.push(repeat('q', 129), '{}')$$, '22023', NULL, '129-character queue name');
SELECT throws_ok($$SELECT howdah_queue.push('-mail', '{}')$$, '22023', NULL, 'queue name starting with -');
SELECT throws_ok($$SELECT howdah_queue.push(NULL, '{}')$$, '22023', 'queue must not be null', 'null queue');
SELECT throws_ok($$SELECT howdah_queue.push('mail', NULL)$$, '22023', 'payload must be a JSON value other than null', 'SQL null payload');
SELECT throws_ok($$SELECT howdah_queue.push('mail', 'null')$$, '22023', 'payload must be a JSON value other than null', 'JSON null payload');
SELECT throws_ok($$SELECT howdah_queue.push('mail', 'not json')$$, '22P02', NULL, 'a payload that is not JSON is refused by the jsonb type');
SELECT throws_ok($$SELECT howdah_queue.push('mail', '{}', max_attempts => 0)$$, '22023', 'max_attempts must be an integer from 1 to 32767, got 0', 'max_attempts 0');
SELECT throws_ok($$SELECT howdah_queue.push('mail', '{}', max_attempts => 40000)$$, '22023', 'max_attempts must be an integer from 1 to 32767, got 40000', 'max_attempts too big');
SELECT throws_ok($$SELECT howdah_queue.push('mail', '{}', priority => 32768)$$, '22023', 'priority must be an integer from -32768 to 32767, got 32768', 'priority too big');
SELECT throws_ok($$SELECT howdah_queue.push('mail', '{}', unique_key => '')$$, '22023', 'unique_key must be NULL or 1 to 512 characters long', 'empty unique key');
SELECT is((SELECT count(*) FROM howdah_queue.jobs), (SELECT n FROM before), 'refused pushes wrote nothing');

SELECT * FROM finish();
ROLLBACK;
