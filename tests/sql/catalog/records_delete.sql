-- delete_records: deletes by a list of ids in one statement and returns how many; unknown ids
-- count nothing; one bad id refuses the whole call and deletes nothing.
BEGIN;
SELECT plan(10);

CREATE TABLE public.rec_del (id int PRIMARY KEY, name text);
INSERT INTO public.rec_del SELECT i, 'n' || i FROM generate_series(1, 10) i;
CREATE TABLE public.rec_del2 (a text, b int, PRIMARY KEY (a, b));
INSERT INTO public.rec_del2 VALUES ('x', 1), ('x', 2), ('y', 1);
CREATE TABLE public.rec_del_child (id int PRIMARY KEY, parent int REFERENCES public.rec_del);
INSERT INTO public.rec_del_child VALUES (1, 9);

SELECT is(howdah.delete_records('public.rec_del'::regclass, '[1, "2", {"id": 3}, {"1": 4}]'), 4::bigint, 'four ids, four ways');
SELECT is(howdah.delete_records('public.rec_del'::regclass, '[5, 5, 99]'), 1::bigint, 'a repeated id counts once, an unknown one not at all');
SELECT is(howdah.delete_records('public.rec_del'::regclass, '[]'), 0::bigint, 'no ids');
SELECT is(howdah.delete_records('public.rec_del2'::regclass, '[{"a": "x", "b": 2}, {"1": "y", "2": 1}]'), 2::bigint, 'composite keys');
SELECT is((SELECT jsonb_agg(jsonb_build_array(a, b)) FROM public.rec_del2), '[["x", 1]]', 'the other composite row stays');

SELECT throws_ok($$SELECT howdah.delete_records('public.rec_del'::regclass, '[6, "seven", 8]')$$, '22P02',
                 'ids[1]: column "id" of table public.rec_del: invalid input syntax for type integer: "seven"', 'an id that does not convert');
SELECT throws_ok($$SELECT howdah.delete_records('public.rec_del'::regclass, '{"id": 6}')$$, '22023',
                 'ids must be a JSON array of record ids, got object', 'ids is an array');
SELECT throws_ok($$SELECT howdah.delete_records('public.rec_del'::regclass, '[6, {"name": "n7"}]')$$, '22023',
                 'ids[1]: column "name" of table public.rec_del is not part of its primary key', 'an id by a non-key column');
SELECT throws_ok($$SELECT howdah.delete_records('public.rec_del'::regclass, '[6, 9]')$$, '23503', NULL, 'a referenced row: PostgreSQL''s 23503');
SELECT is((SELECT jsonb_agg(id ORDER BY id) FROM public.rec_del), '[6, 7, 8, 9, 10]', 'the refused calls deleted nothing');

SELECT * FROM finish();
ROLLBACK;
