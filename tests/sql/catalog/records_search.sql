-- search_records: case-insensitive substring match on any given column, ranked exact (3) >
-- prefix (2) > substring (1), summed over the columns, ties by primary key; with a count.
BEGIN;
SELECT plan(11);

CREATE TABLE public.rec_search (id int PRIMARY KEY, name text, city text, zip int);
INSERT INTO public.rec_search VALUES
    (1, 'Xanna', 'Paris', 75001),
    (2, 'ann', 'Annecy', 74000),
    (3, 'Anna', 'Berlin', 31000),
    (4, 'Bob', 'Anneville', 12345),
    (5, 'Joanne', 'Rome', 100),
    (6, 'ANN', 'Oslo', 150),
    (7, 'Zed', 'Nowhere', 1001),
    (8, '50%_off', 'x', 1);
CREATE FUNCTION pg_temp.ids(j jsonb) RETURNS jsonb LANGUAGE sql
RETURN (SELECT coalesce(jsonb_agg(x.v -> '1' ORDER BY x.n), '[]') FROM jsonb_array_elements(j -> 'results') WITH ORDINALITY AS x(v, n));

SELECT is(pg_temp.ids(howdah.search_records('public.rec_search'::regclass, '[{"column": "name", "value": "ann"}]')),
          '[2, 6, 3, 1, 5]', 'exact (any case) before prefix before substring; ties by key');
SELECT is(howdah.search_records('public.rec_search'::regclass, '[{"column": "name", "value": "ann"}]') -> 'count', '5', 'count');
SELECT is(pg_temp.ids(howdah.search_records('public.rec_search'::regclass, '[{"column": "name", "value": "ann"}, {"column": 3, "value": "ANN"}]')),
          '[2, 6, 3, 4, 1, 5]', 'scores add up over columns: exact+prefix 5, exact 3, prefix 2 (twice, by key), substring 1');
SELECT is(pg_temp.ids(howdah.search_records('public.rec_search'::regclass, '[{"column": "name", "value": "ann"}]', 2, 2)),
          '[3, 1]', 'lim and off');
SELECT is(howdah.search_records('public.rec_search'::regclass, '[{"column": "name", "value": "ann"}]', 2, 2) -> 'count', '5', 'count is all the matches');
SELECT is(howdah.search_records('public.rec_search'::regclass, '[{"column": "name", "value": "ann"}]', 2, 20),
          '{"results": [], "count": 5}', 'past the end');
SELECT is(pg_temp.ids(howdah.search_records('public.rec_search'::regclass, '[{"column": "zip", "value": "100"}]')),
          '[5, 7, 3]', 'a number column by its text form: exact, prefix, substring');
SELECT is(pg_temp.ids(howdah.search_records('public.rec_search'::regclass, '[{"column": "name", "value": "%_"}]')),
          '[8]', '% and _ are literal');
SELECT is(howdah.search_records('public.rec_search'::regclass, '[{"column": "name", "value": "ann"}]', 1) -> 'results' -> 0,
          howdah.get_record('public.rec_search'::regclass, '2'), 'records as get_record shows them');

SELECT throws_ok($$SELECT howdah.search_records('public.rec_search'::regclass, '[]')$$, '22023',
                 'search must be a non-empty JSON array of {"column", "value"}, got []', 'an empty search');
SELECT throws_ok($$SELECT howdah.search_records('public.rec_search'::regclass, '[{"column": "name", "value": 5}]')$$, '22023',
                 'search[0]: key ''value'' must be a string, got number', 'a value that is no string');

SELECT * FROM finish();
ROLLBACK;
