-- get_record: by a one-column key (a JSON scalar or an object), by a composite key (an object
-- keyed by attnum or name); P0002 when absent, 55000 without a primary key, bad ids refused.
BEGIN;
SELECT plan(16);

CREATE TABLE public.rec_get (id bigint PRIMARY KEY, name text, born date);
INSERT INTO public.rec_get VALUES (1, 'Ann', '1990-01-01'), (2, 'it''s; --', NULL);
CREATE TABLE public.rec_get2 (region text, num int, label text, PRIMARY KEY (region, num));
INSERT INTO public.rec_get2 VALUES ('north', 1, 'n1'), ('south', 1, 's1'), ('north', 2, 'n2');
CREATE TABLE public.rec_get_nokey (a int);

SELECT is(howdah.get_record('public.rec_get'::regclass, '1'), '{"1": 1, "2": "Ann", "3": "1990-01-01"}', 'by a JSON number');
SELECT is(howdah.get_record('public.rec_get'::regclass, '"2"'), '{"1": 2, "2": "it''s; --", "3": null}', 'by a JSON string, converted');
SELECT is(howdah.get_record('public.rec_get'::regclass, '{"id": 2}') -> '2', '"it''s; --"', 'by an object keyed by name');
SELECT is(howdah.get_record('public.rec_get2'::regclass, '{"region": "south", "num": 1}') -> '3', '"s1"', 'composite key by names');
SELECT is(howdah.get_record('public.rec_get2'::regclass, '{"1": "north", "2": 2}') -> '3', '"n2"', 'composite key by attnums');
SELECT is(howdah.get_record('public.rec_get'::regclass, '1'), howdah.list_records('public.rec_get'::regclass, 1) -> 'results' -> 0,
          'the same shape as list_records');

SELECT throws_ok($$SELECT howdah.get_record('public.rec_get'::regclass, '3')$$, 'P0002',
                 'record 3 not found in table public.rec_get', 'an unknown id');
SELECT throws_ok($$SELECT howdah.get_record('public.rec_get2'::regclass, '{"region": "east", "num": 1}')$$, 'P0002',
                 'record {"num": 1, "region": "east"} not found in table public.rec_get2', 'an unknown composite id');
SELECT throws_ok($$SELECT howdah.get_record('public.rec_get'::regclass, '"x"')$$, '22P02',
                 'id: column "id" of table public.rec_get: invalid input syntax for type bigint: "x"', 'an id that does not convert');
SELECT throws_ok($$SELECT howdah.get_record('public.rec_get2'::regclass, '"north"')$$, '22023',
                 'id must be a JSON object keyed by the key columns, got "north"', 'a scalar for a composite key');
SELECT throws_ok($$SELECT howdah.get_record('public.rec_get2'::regclass, '{"region": "north"}')$$, '22023',
                 'id: key column "num" of table public.rec_get2 is missing', 'a key column missing');
SELECT throws_ok($$SELECT howdah.get_record('public.rec_get2'::regclass, '{"region": "north", "num": 1, "label": "n1"}')$$, '22023',
                 'id: column "label" of table public.rec_get2 is not part of its primary key', 'a column outside the key');
SELECT throws_ok($$SELECT howdah.get_record('public.rec_get2'::regclass, '{"region": null, "num": 1}')$$, '22023',
                 'id: the value for key column "region" of table public.rec_get2 must not be null', 'a null key value');
SELECT throws_ok($$SELECT howdah.get_record('public.rec_get2'::regclass, '{"region": "north", "nope": 1}')$$, '42703',
                 'id key ''nope'': column "nope" of table public.rec_get2 does not exist', 'an unknown column');
SELECT throws_ok($$SELECT howdah.get_record('public.rec_get_nokey'::regclass, '1')$$, '55000',
                 'table public.rec_get_nokey has no primary key, so its records cannot be addressed by id', 'no primary key');
SELECT throws_ok($$SELECT howdah.get_record(4294967295, '1')$$, '42P01', 'table with oid 4294967295 does not exist', 'unknown table');

SELECT * FROM finish();
ROLLBACK;
