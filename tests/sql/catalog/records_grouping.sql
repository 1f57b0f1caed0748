-- list_records grouping: the order starts with the group columns; the groups of the page come
-- with ids, their values, their count in the whole filtered set and their rows' indices.
BEGIN;
SELECT plan(12);

CREATE TABLE public.rec_grp (id int PRIMARY KEY, team text, level int, name text);
INSERT INTO public.rec_grp VALUES
    (1, 'red', 1, 'a'), (2, 'blue', 2, 'b'), (3, 'red', 2, 'c'), (4, NULL, 1, 'd'), (5, 'blue', 1, 'e'),
    (6, 'red', 1, 'f'), (7, 'green', 3, 'g'), (8, NULL, 2, 'h'), (9, 'blue', 2, 'i'), (10, 'red', 3, 'j');

CREATE TEMP TABLE g1 AS SELECT howdah.list_records('public.rec_grp'::regclass, 4, 0, "grouping" => '{"columns": ["team"]}') AS j;
SELECT is((SELECT jsonb_agg(x -> '1') FROM g1, jsonb_array_elements(g1.j -> 'results') x), '[2, 5, 9, 7]',
          'ordered by the group column first, then the key');
SELECT is((SELECT j -> 'grouping' FROM g1),
          '{"columns": [2], "groups": [
              {"id": 1, "count": 3, "values": {"2": "blue"}, "result_indices": [0, 1, 2]},
              {"id": 2, "count": 1, "values": {"2": "green"}, "result_indices": [3]}]}',
          'the groups of the page, with counts over the whole set');
SELECT is((SELECT j -> 'count' FROM g1), '10', 'count is the whole set');

-- Descending by the group column, taken from the order; a null group.
CREATE TEMP TABLE g2 AS SELECT howdah.list_records('public.rec_grp'::regclass, 3, 0,
    '[{"column": "name", "direction": "desc"}, {"column": "team", "direction": "desc"}]', NULL, '{"columns": [2]}') AS j;
SELECT is((SELECT jsonb_agg(x -> '1') FROM g2, jsonb_array_elements(g2.j -> 'results') x), '[8, 4, 10]',
          'the group column''s direction comes from the order (desc: nulls first); then the rest of the order');
SELECT is((SELECT j -> 'grouping' -> 'groups' FROM g2),
          '[{"id": 1, "count": 2, "values": {"2": null}, "result_indices": [0, 1]},
            {"id": 2, "count": 4, "values": {"2": "red"}, "result_indices": [2]}]',
          'a null group, and a group cut by the page still counts all its rows');

-- Two group columns, a filter, a later page.
CREATE TEMP TABLE g3 AS SELECT howdah.list_records('public.rec_grp'::regclass, 3, 2, NULL,
    '{"column": "team", "op": "is_not_null"}', '{"columns": ["team", "level"]}') AS j;
SELECT is((SELECT jsonb_agg(x -> '1') FROM g3, jsonb_array_elements(g3.j -> 'results') x), '[9, 7, 1]', 'two group columns, page 2');
SELECT is((SELECT j -> 'grouping' FROM g3),
          '{"columns": [2, 3], "groups": [
              {"id": 1, "count": 2, "values": {"2": "blue", "3": 2}, "result_indices": [0]},
              {"id": 2, "count": 1, "values": {"2": "green", "3": 3}, "result_indices": [1]},
              {"id": 3, "count": 2, "values": {"2": "red", "3": 1}, "result_indices": [2]}]}',
          'groups by both columns; counts within the filter');
SELECT is((SELECT j -> 'count' FROM g3), '8', 'count follows the filter');

SELECT is(howdah.list_records('public.rec_grp'::regclass, 5, 20, "grouping" => '{"columns": ["team"]}') -> 'grouping',
          '{"columns": [2], "groups": []}', 'an empty page has no groups');
SELECT is((SELECT sum((g ->> 'count')::int) FROM jsonb_array_elements(
              howdah.list_records('public.rec_grp'::regclass, "grouping" => '{"columns": [2]}') -> 'grouping' -> 'groups') g)::int,
          10, 'without a limit every group is there and the counts add up');
SELECT throws_ok($$SELECT howdah.list_records('public.rec_grp'::regclass, "grouping" => '{"columns": ["team", 2]}')$$, '22023',
                 'grouping.columns[1]: column "team" of table public.rec_grp is listed twice', 'a column grouped twice');
SELECT throws_ok($$SELECT howdah.list_records('public.rec_grp'::regclass, "grouping" => '{"columns": ["nope"]}')$$, '42703',
                 'grouping.columns[0]: column "nope" of table public.rec_grp does not exist', 'unknown group column');

SELECT * FROM finish();
ROLLBACK;
