-- list_records filters: every op, columns by attnum or name, values converted to the column's
-- type by PostgreSQL, LIKE wildcards in values matched literally.
BEGIN;
SELECT plan(32);

CREATE SCHEMA "rec filter";
CREATE TYPE "rec filter".mood AS ENUM ('sad', 'ok', 'happy');
CREATE TABLE "rec filter".t (
    id int PRIMARY KEY, name text, age int, born date, tags text[], doc jsonb, mood "rec filter".mood,
    code varchar(4), seen timestamptz, ok boolean);
INSERT INTO "rec filter".t VALUES
    (1, 'Ann', 30, '1990-01-01', '{a,b}', '{"x": 1}', 'happy', 'A1', '2024-01-01 10:00+00', true),
    (2, 'bob', NULL, '1985-05-05', '{}', NULL, 'sad', 'B2', NULL, false),
    (3, 'Cara', 25, NULL, NULL, '[1]', NULL, NULL, '2024-06-01 00:00+00', NULL),
    (4, 'ann-marie', 41, '1980-02-02', '{c}', '{}', 'ok', 'A4', '2023-12-31 23:00+00', true),
    (5, '100%_sure', 30, '2000-01-01', '{a}', '"s"', 'ok', 'C5', '2024-01-01 09:00+00', false),
    (6, 'it''s', 7, '2001-01-01', '{}', 'true', 'ok', 'x_y', NULL, true);
CREATE FUNCTION pg_temp.f(filter jsonb) RETURNS jsonb LANGUAGE sql
RETURN (SELECT coalesce(jsonb_agg(x.v -> '1' ORDER BY x.n), '[]')
          FROM jsonb_array_elements(howdah.list_records('"rec filter".t'::regclass, filter => filter) -> 'results') WITH ORDINALITY AS x(v, n));

SELECT is(pg_temp.f('{"column": "age", "op": "=", "value": 30}'), '[1, 5]', '= on int (by name)');
SELECT is(pg_temp.f('{"column": 3, "op": "=", "value": "30"}'), '[1, 5]', '= by attnum, a string value converted to int');
SELECT is(pg_temp.f('{"column": "age", "op": "<>", "value": 30}'), '[3, 4, 6]', '<> (NULL is neither)');
SELECT is(pg_temp.f('{"column": "age", "op": "<", "value": 30}'), '[3, 6]', '<');
SELECT is(pg_temp.f('{"column": "age", "op": "<=", "value": 30}'), '[1, 3, 5, 6]', '<=');
SELECT is(pg_temp.f('{"column": "age", "op": ">", "value": 30}'), '[4]', '>');
SELECT is(pg_temp.f('{"column": "age", "op": ">=", "value": 30}'), '[1, 4, 5]', '>=');
SELECT is(pg_temp.f('{"column": "born", "op": "<", "value": "1990-01-01"}'), '[2, 4]', '< on date');
SELECT is(pg_temp.f('{"column": "seen", "op": ">=", "value": "2024-01-01 10:00:00+00"}'), '[1, 3]', '>= on timestamptz');
SELECT is(pg_temp.f('{"column": "mood", "op": ">", "value": "sad"}'), '[1, 4, 5, 6]', '> on an enum follows the enum order');
SELECT is(pg_temp.f('{"column": "ok", "op": "=", "value": true}'), '[1, 4, 6]', '= on boolean with a JSON boolean');
SELECT is(pg_temp.f('{"column": "code", "op": "=", "value": "x_y"}'), '[6]', '= on varchar');
SELECT is(pg_temp.f('{"column": "tags", "op": "=", "value": ["a", "b"]}'), '[1]', '= on an array column with a JSON array');
SELECT is(pg_temp.f('{"column": "tags", "op": "=", "value": "{}"}'), '[2, 6]', '= on an array column with an array literal');
SELECT is(pg_temp.f('{"column": "doc", "op": "=", "value": {"x": 1}}'), '[1]', '= on jsonb with a JSON object');
SELECT is(pg_temp.f('{"column": "doc", "op": "=", "value": true}'), '[6]', '= on jsonb with a JSON scalar');
SELECT is(pg_temp.f('{"column": "age", "op": "is_null"}'), '[2]', 'is_null');
SELECT is(pg_temp.f('{"column": "mood", "op": "is_not_null"}'), '[1, 2, 4, 5, 6]', 'is_not_null');
SELECT is(pg_temp.f('{"column": "name", "op": "contains", "value": "nn"}'), '[1, 4]', 'contains (case-sensitive)');
SELECT is(pg_temp.f('{"column": "name", "op": "contains", "value": "%_"}'), '[5]', 'contains: % and _ are literal');
SELECT is(pg_temp.f('{"column": "name", "op": "contains", "value": "''"}'), '[6]', 'contains a quote');
SELECT is(pg_temp.f('{"column": "name", "op": "icontains", "value": "AN"}'), '[1, 4]', 'icontains');
SELECT is(pg_temp.f('{"column": "name", "op": "starts_with", "value": "a"}'), '[4]', 'starts_with (case-sensitive)');
SELECT is(pg_temp.f('{"column": "name", "op": "istarts_with", "value": "a"}'), '[1, 4]', 'istarts_with');
SELECT is(pg_temp.f('{"column": "name", "op": "iequal", "value": "BOB"}'), '[2]', 'iequal');
SELECT is(pg_temp.f('{"column": "age", "op": "contains", "value": "0"}'), '[1, 5]', 'contains on an int column matches its text form');
SELECT is(pg_temp.f('{"column": "born", "op": "starts_with", "value": "198"}'), '[2, 4]', 'starts_with on a date column matches its text form');
SELECT is(pg_temp.f('{"column": "code", "op": "istarts_with", "value": "x_"}'), '[6]', 'istarts_with: _ is literal');
SELECT is(pg_temp.f('{"column": "age", "op": "in", "value": [7, "25", 99]}'), '[3, 6]', 'in');
SELECT is(pg_temp.f('{"column": "age", "op": "in", "value": []}'), '[]', 'in an empty list matches nothing');
SELECT is(pg_temp.f('{"column": "mood", "op": "in", "value": ["sad", "happy"]}'), '[1, 2]', 'in on an enum');
SELECT is(pg_temp.f('null'), '[1, 2, 3, 4, 5, 6]', 'a JSON null filter is no filter');

SELECT * FROM finish();
ROLLBACK;
