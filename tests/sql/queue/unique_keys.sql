-- Unique keys: one job per (queue, key) that is not final; push returns the holder's id; a final
-- job frees the key; keys are per queue; retry refuses to duplicate a held key (23505).
BEGIN;
SELECT plan(8);

CREATE TEMP TABLE k (label text PRIMARY KEY, id bigint);
INSERT INTO k VALUES ('first', howdah_queue.push('uq', '"first"', unique_key => 'img:42'));
INSERT INTO k VALUES ('again', howdah_queue.push('uq', '"again"', unique_key => 'img:42'));
INSERT INTO k VALUES ('other-queue', howdah_queue.push('uq2', '"other"', unique_key => 'img:42'));
SELECT is((SELECT id FROM k WHERE label = 'again'), (SELECT id FROM k WHERE label = 'first'), 'a second push with the key returns the first job''s id');
SELECT is((SELECT payload FROM howdah_queue.jobs WHERE id = (SELECT id FROM k WHERE label = 'first')), '"first"'::jsonb, 'and leaves it unchanged');
SELECT isnt((SELECT id FROM k WHERE label = 'other-queue'), (SELECT id FROM k WHERE label = 'first'), 'the same key on another queue is another job');

SELECT count(*) FROM howdah_queue.claim('uq', 'w', 1);
SELECT is(howdah_queue.push('uq', '"while running"', unique_key => 'img:42'), (SELECT id FROM k WHERE label = 'first'), 'a running job still holds its key');
SELECT howdah_queue.complete(ARRAY[(SELECT id FROM k WHERE label = 'first')]);
INSERT INTO k VALUES ('after', howdah_queue.push('uq', '"after"', unique_key => 'img:42'));
SELECT isnt((SELECT id FROM k WHERE label = 'after'), (SELECT id FROM k WHERE label = 'first'), 'once the job is completed the key is free');
SELECT throws_ok(format('SELECT howdah_queue.retry(%s)', (SELECT id FROM k WHERE label = 'first')), '23505',
                 format('job %s cannot be retried: job %s has the same queue and unique key and is not final',
                        (SELECT id FROM k WHERE label = 'first'), (SELECT id FROM k WHERE label = 'after')),
                 'retrying the old job while the new one holds the key is refused');
SELECT is((SELECT state::text FROM howdah_queue.jobs WHERE id = (SELECT id FROM k WHERE label = 'first')), 'completed', 'and changes nothing');
SELECT throws_ok($$INSERT INTO howdah_queue.jobs (queue, payload, unique_key) VALUES ('uq', '1', 'img:42')$$, '23505', NULL,
                 'the partial unique index also holds for direct inserts');

SELECT * FROM finish();
ROLLBACK;
