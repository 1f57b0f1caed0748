-- delete_records reads a long list of ids in one query: 5,000 composite ids by name and by
-- attnum delete 5,000 rows, and a bad id among thousands is reported by its position with the
-- error it gets alone (unknown column, a column twice, a missing or null key column, a value that
-- does not convert), deleting nothing.
BEGIN;
SELECT plan(9);

CREATE TABLE public.rec_many (a text, b int, note text, PRIMARY KEY (a, b));
INSERT INTO public.rec_many SELECT 'k' || (i % 7), i, 'n' || i FROM generate_series(1, 6000) i;
CREATE FUNCTION pg_temp.ids(bad jsonb, at int) RETURNS jsonb LANGUAGE sql
RETURN (SELECT jsonb_agg(CASE WHEN i = at THEN bad
                              WHEN i % 2 = 0 THEN jsonb_build_object('a', 'k' || (i % 7), 'b', i)
                              ELSE jsonb_build_object('1', 'k' || (i % 7), '2', i::text) END ORDER BY i)
          FROM generate_series(1, 5000) i);

SELECT throws_ok($$SELECT howdah.delete_records('public.rec_many'::regclass, pg_temp.ids('{"a": "k1", "zz": 1}', 3001))$$, '42703',
                 'ids[3000] key ''zz'': column "zz" of table public.rec_many does not exist', 'an unknown column, by position');
SELECT throws_ok($$SELECT howdah.delete_records('public.rec_many'::regclass, pg_temp.ids('{"a": "k1", "1": "k1", "b": 1}', 4001))$$, '22023',
                 'ids[4000]: column "a" of table public.rec_many is given twice (by attnum and by name)', 'a column twice');
SELECT throws_ok($$SELECT howdah.delete_records('public.rec_many'::regclass, pg_temp.ids('{"a": "k1"}', 2))$$, '22023',
                 'ids[1]: key column "b" of table public.rec_many is missing', 'a key column missing');
SELECT throws_ok($$SELECT howdah.delete_records('public.rec_many'::regclass, pg_temp.ids('{"a": "k1", "b": null}', 5000))$$, '22023',
                 'ids[4999]: the value for key column "b" of table public.rec_many must not be null', 'a null key value');
SELECT throws_ok($$SELECT howdah.delete_records('public.rec_many'::regclass, pg_temp.ids('"k1"', 10))$$, '22023',
                 'ids[9] must be a JSON object keyed by the key columns, got "k1"', 'a scalar for a two-column key');
SELECT throws_ok($$SELECT howdah.delete_records('public.rec_many'::regclass, pg_temp.ids('{"a": "k1", "b": "two"}', 4000))$$, '22P02',
                 'ids[3999]: column "b" of table public.rec_many: invalid input syntax for type integer: "two"', 'a value that does not convert');
SELECT is((SELECT count(*) FROM public.rec_many), 6000::bigint, 'the refused calls deleted nothing');
SELECT is(howdah.delete_records('public.rec_many'::regclass, pg_temp.ids('{"a": "k1", "b": 1}', 1)), 5000::bigint,
          '5,000 composite ids, by name and by attnum');
SELECT is((SELECT min(b) FROM public.rec_many), 5001, 'the other rows stay');

SELECT * FROM finish();
ROLLBACK;
