-- list_records grouping groups as GROUP BY does, by the group columns' types: on citext,
-- values that differ only in case are one group (its rows adjacent, its count over the whole
-- filtered set), shown with the values of its first row on the page. A column whose name is
-- the one the statement uses internally for the group count does not confuse it.
BEGIN;
SELECT plan(6);

CREATE SCHEMA "grp; ext ✓";
CREATE EXTENSION citext SCHEMA "grp; ext ✓";
CREATE TABLE public."grp ✓" (id int PRIMARY KEY, team "grp; ext ✓".citext, "?group count" int, "?group key" text);
INSERT INTO public."grp ✓" VALUES
    (1, 'red', 10, 'k'), (2, 'RED', 20, 'k'), (3, 'blue', 30, 'k'), (4, 'Red', 40, 'k'), (5, NULL, 50, 'k'), (6, 'Blue', 60, 'k');
CREATE TEMP TABLE g AS SELECT howdah.list_records('public."grp ✓"'::regclass, 4, 0, "grouping" => '{"columns": ["team"]}') AS j;

SELECT is((SELECT jsonb_agg(x -> '1') FROM g, jsonb_array_elements(g.j -> 'results') x), '[3, 6, 1, 2]',
          'ordered by the citext group column (case ignored), then the key');
SELECT is((SELECT j -> 'grouping' FROM g),
          '{"columns": [2], "groups": [
              {"id": 1, "count": 2, "values": {"2": "blue"}, "result_indices": [0, 1]},
              {"id": 2, "count": 3, "values": {"2": "red"}, "result_indices": [2, 3]}]}',
          'blue/Blue and red/RED/Red are one group each, counted over the whole table, values of the first row');
SELECT is((SELECT j -> 'results' -> 0 FROM g), '{"1": 3, "2": "blue", "3": 30, "4": "k"}',
          'columns named like the statement''s internal names are records as any other');

CREATE TEMP TABLE g2 AS SELECT howdah.list_records('public."grp ✓"'::regclass, 2, 3,
    '[{"column": "team", "direction": "desc"}]', '{"column": "id", "op": "<>", "value": 4}', '{"columns": ["team"]}') AS j;
SELECT is((SELECT jsonb_agg(x -> '1') FROM g2, jsonb_array_elements(g2.j -> 'results') x), '[3, 6]', 'descending, filtered, page 2');
SELECT is((SELECT j -> 'grouping' -> 'groups' FROM g2), '[{"id": 1, "count": 2, "values": {"2": "blue"}, "result_indices": [0, 1]}]',
          'the group''s count follows the filter');
SELECT is((SELECT sum((x ->> 'count')::int) FROM jsonb_array_elements(
              howdah.list_records('public."grp ✓"'::regclass, "grouping" => '{"columns": ["team"]}') -> 'grouping' -> 'groups') x)::int,
          6, 'without a limit: three groups (NULL is one) whose counts add up');

SELECT * FROM finish();
ROLLBACK;
