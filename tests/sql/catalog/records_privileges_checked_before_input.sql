-- delete_records, add_record and patch_record check the caller's privileges before they read
-- their input: a role that may not write gets 42501 naming the table and the privilege, even for
-- 20,000 ids or a malformed list, rather than paying for the list first (an abuse probe burned
-- 18 s of backend CPU on 20,000 ids before the 42501). When both apply, the privilege error
-- comes before an id-format error.
BEGIN;
SELECT plan(10);

CREATE TABLE public.rec_first (id int PRIMARY KEY, name text);
INSERT INTO public.rec_first SELECT i, 'n' || i FROM generate_series(1, 10) i;
CREATE ROLE howdah_test_rec_first_none NOLOGIN;       -- nothing on the table
CREATE ROLE howdah_test_rec_first_blind NOLOGIN;      -- DELETE and UPDATE, but may not read the key
GRANT USAGE ON SCHEMA tap TO howdah_test_rec_first_none, howdah_test_rec_first_blind;
GRANT DELETE, UPDATE (name), SELECT (name) ON public.rec_first TO howdah_test_rec_first_blind;

-- 20,000 ids, the last of which does not convert to the key's type.
CREATE TEMP TABLE many AS
SELECT jsonb_agg(i) || '["not a number"]'::jsonb AS ids FROM generate_series(1, 19999) i;
GRANT SELECT ON many TO howdah_test_rec_first_none, howdah_test_rec_first_blind;

SET LOCAL ROLE howdah_test_rec_first_none;
SELECT throws_ok($$SELECT howdah.delete_records('public.rec_first'::regclass, (SELECT ids FROM many))$$, '42501',
                 'permission denied for table public.rec_first: delete_records needs the DELETE privilege on it',
                 'no DELETE: 42501 for 20,000 ids, before the id that does not convert');
SELECT throws_ok($$SELECT howdah.delete_records('public.rec_first'::regclass, '{"not": "an array"}')$$, '42501',
                 'permission denied for table public.rec_first: delete_records needs the DELETE privilege on it',
                 'no DELETE: 42501 before the shape of ids');
SELECT throws_ok($$SELECT howdah.add_record('public.rec_first'::regclass, '["not", "an", "object"]')$$, '42501',
                 'permission denied for table public.rec_first: add_record needs the INSERT privilege on it',
                 'no INSERT: 42501 before the shape of rec');
SELECT throws_ok($$SELECT howdah.patch_record('public.rec_first'::regclass, '"x"', '{"nope": 1}')$$, '42501',
                 'permission denied for table public.rec_first: patch_record needs the UPDATE privilege on it',
                 'no UPDATE: 42501 before id and rec');
RESET ROLE;

SET LOCAL ROLE howdah_test_rec_first_blind;
SELECT throws_ok($$SELECT howdah.delete_records('public.rec_first'::regclass, (SELECT ids FROM many))$$, '42501',
                 'permission denied for table public.rec_first: delete_records needs the SELECT privilege on its key column "id"',
                 'DELETE without SELECT on the key: 42501 before the ids are read');
SELECT throws_ok($$SELECT howdah.patch_record('public.rec_first'::regclass, '"x"', '{"name": "y"}')$$, '42501',
                 'permission denied for table public.rec_first: patch_record needs the SELECT privilege on its key column "id"',
                 'UPDATE without SELECT on the key: 42501 before the id is read');
RESET ROLE;

-- The owner gets the id error, naming the last of the 20,000, and nothing is deleted.
SELECT throws_ok($$SELECT howdah.delete_records('public.rec_first'::regclass, (SELECT ids FROM many))$$, '22P02',
                 'ids[19999]: column "id" of table public.rec_first: invalid input syntax for type integer: "not a number"',
                 'with the privileges, the id that does not convert is reported');
SELECT throws_ok($$SELECT howdah.delete_records('public.rec_first'::regclass, (SELECT jsonb_agg(i) || '[{"name": "n1"}]' FROM generate_series(1, 19999) i))$$, '22023',
                 'ids[19999]: column "name" of table public.rec_first is not part of its primary key',
                 'an id by a non-key column after 19,999 good ones');
SELECT is((SELECT count(*) FROM public.rec_first), 10::bigint, 'the refused calls deleted nothing');
SELECT is(howdah.delete_records('public.rec_first'::regclass, (SELECT jsonb_agg(i) FROM generate_series(1, 20000) i)), 10::bigint,
          '20,000 ids, ten of them present');

SELECT * FROM finish();
ROLLBACK;
