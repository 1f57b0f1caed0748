-- list_records filters: and/or/not nest (up to 100 levels, records_filter_limits.sql); empty and/or are true/false.
BEGIN;
SELECT plan(9);

CREATE TABLE public.rec_nest (id int PRIMARY KEY, a int, b text);
INSERT INTO public.rec_nest SELECT i, i % 3, CASE WHEN i % 2 = 0 THEN 'even' ELSE 'odd' END FROM generate_series(1, 12) i;
UPDATE public.rec_nest SET b = NULL WHERE id = 12;
CREATE FUNCTION pg_temp.f(filter jsonb) RETURNS jsonb LANGUAGE sql
RETURN (SELECT coalesce(jsonb_agg(x.v -> '1' ORDER BY x.n), '[]')
          FROM jsonb_array_elements(howdah.list_records('public.rec_nest'::regclass, filter => filter) -> 'results') WITH ORDINALITY AS x(v, n));

SELECT is(pg_temp.f('{"and": [{"column": "a", "op": "=", "value": 0}, {"column": "b", "op": "=", "value": "odd"}]}'),
          '[3, 9]', 'and');
SELECT is(pg_temp.f('{"or": [{"column": "a", "op": "=", "value": 0}, {"column": "id", "op": "<", "value": 3}]}'),
          '[1, 2, 3, 6, 9, 12]', 'or');
SELECT is(pg_temp.f('{"not": {"column": "b", "op": "=", "value": "odd"}}'), '[2, 4, 6, 8, 10]', 'not (NULL stays out)');
SELECT is(pg_temp.f('{"not": {"or": [{"column": "a", "op": "=", "value": 0}, {"column": "a", "op": "=", "value": 1}]}}'),
          '[2, 5, 8, 11]', 'not of or');
SELECT is(pg_temp.f('{"and": [{"or": [{"column": "a", "op": "=", "value": 1}, {"column": "a", "op": "=", "value": 2}]},
                              {"not": {"and": [{"column": "id", "op": ">", "value": 3}, {"column": "id", "op": "<", "value": 10}]}},
                              {"or": [{"column": "b", "op": "is_null"}, {"column": "b", "op": "starts_with", "value": "o"}, {"column": "id", "op": "=", "value": 2}]}]}'),
          '[1, 2, 11]', 'three levels deep');
SELECT is(pg_temp.f('{"and": []}'), '[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]', 'an empty and is true');
SELECT is(pg_temp.f('{"or": []}'), '[]', 'an empty or is false');
SELECT is(pg_temp.f('{"not": {"or": []}}'), '[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]', 'not of an empty or is true');
SELECT is(howdah.list_records('public.rec_nest'::regclass, 2, 0, filter => '{"or": [{"column": "a", "op": "=", "value": 0}, {"column": "b", "op": "is_null"}]}') -> 'count',
          '4', 'count follows the nested filter');

SELECT * FROM finish();
ROLLBACK;
