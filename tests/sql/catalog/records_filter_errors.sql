-- list_records: bad filter, order and grouping input is refused before anything runs, with the
-- SQLSTATE and a message naming the path in the input, the column and the table.
BEGIN;
SELECT plan(30);

CREATE SCHEMA "rec; err";
CREATE TABLE "rec; err"."T" (id int PRIMARY KEY, name text, age int, born date, doc json, code varchar(2),
                             pos int CHECK (pos > 0));
CREATE DOMAIN "rec; err".positive AS int CHECK (VALUE > 0);
ALTER TABLE "rec; err"."T" ADD COLUMN score "rec; err".positive;
INSERT INTO "rec; err"."T" VALUES (1, 'Ann', 30, '1990-01-01', '{}', 'ab', 1, 5);

-- Unknown columns: 42703 naming the column and the table.
SELECT throws_ok($$SELECT howdah.list_records('"rec; err"."T"'::regclass, filter => '{"column": "nope", "op": "=", "value": 1}')$$,
                 '42703', 'filter.column: column "nope" of table "rec; err"."T" does not exist', 'unknown column name');
SELECT throws_ok($$SELECT howdah.list_records('"rec; err"."T"'::regclass, filter => '{"and": [{"column": 42, "op": "=", "value": 1}]}')$$,
                 '42703', 'filter.and[0].column: column 42 of table "rec; err"."T" does not exist', 'unknown attnum');
SELECT throws_ok($$SELECT howdah.list_records('"rec; err"."T"'::regclass, filter => '{"column": 1.5, "op": "=", "value": 1}')$$,
                 '22023', 'filter.column (a column attnum) must be a whole number from 1 to 32767, got 1.5', 'a fractional attnum');
SELECT throws_ok($$SELECT howdah.list_records('"rec; err"."T"'::regclass, filter => '{"column": true, "op": "=", "value": 1}')$$,
                 '22023', 'filter.column must be a column attnum (JSON number) or name (JSON string), got boolean', 'column of the wrong JSON type');

-- Shape and keys.
SELECT throws_ok($$SELECT howdah.list_records('"rec; err"."T"'::regclass, filter => '[1]')$$,
                 '22023', 'filter must be a JSON object, got array', 'a filter that is no object');
SELECT throws_ok($$SELECT howdah.list_records('"rec; err"."T"'::regclass, filter => '{"column": "age", "op": "=", "value": 1, "colour": 2}')$$,
                 '22023', 'filter: unknown key ''colour''', 'unknown key');
SELECT throws_ok($$SELECT howdah.list_records('"rec; err"."T"'::regclass, filter => '{"and": [], "or": []}')$$,
                 '22023', 'filter must have exactly one of the keys "and", "or", "not", or be a condition {"column", "op", "value"}', 'and with or');
SELECT throws_ok($$SELECT howdah.list_records('"rec; err"."T"'::regclass, filter => '{"and": {"column": "age"}}')$$,
                 '22023', 'filter.and must be a JSON array of filters, got object', 'and takes an array');
SELECT throws_ok($$SELECT howdah.list_records('"rec; err"."T"'::regclass, filter => '{"or": [{"column": "age", "value": 1}]}')$$,
                 '22023', 'filter.or[0]: a condition needs the keys "column" and "op"', 'missing op');
SELECT throws_ok($$SELECT howdah.list_records('"rec; err"."T"'::regclass, filter => '{"not": {"column": "age", "op": "like", "value": 1}}')$$,
                 '22023', 'filter.not: unknown op ''like'' (column "age" of table "rec; err"."T")', 'unknown op');
SELECT throws_ok($$SELECT howdah.list_records('"rec; err"."T"'::regclass, filter => '{"column": "age", "op": 5, "value": 1}')$$,
                 '22023', 'filter: key ''op'' must be a string, got number', 'op of the wrong JSON type');
SELECT throws_ok($$SELECT howdah.list_records('"rec; err"."T"'::regclass, filter => '{"column": "age", "op": "<"}')$$,
                 '22023', 'filter: op < needs a "value" (column "age" of table "rec; err"."T")', 'missing value');
SELECT throws_ok($$SELECT howdah.list_records('"rec; err"."T"'::regclass, filter => '{"column": "age", "op": "is_null", "value": 1}')$$,
                 '22023', 'filter: op is_null takes no "value" (column "age" of table "rec; err"."T")', 'is_null takes no value');
SELECT throws_ok($$SELECT howdah.list_records('"rec; err"."T"'::regclass, filter => '{"column": "age", "op": "=", "value": null}')$$,
                 '22023', 'filter.value: a value is required for column "age" of table "rec; err"."T"', 'a JSON null value');
SELECT throws_ok($$SELECT howdah.list_records('"rec; err"."T"'::regclass, filter => '{"column": "age", "op": "=", "value": {"a": 1}}')$$,
                 '22023', 'filter.value: column "age" of table "rec; err"."T" has type integer; a JSON object does not convert to it', 'an object for an int');
SELECT throws_ok($$SELECT howdah.list_records('"rec; err"."T"'::regclass, filter => '{"column": "age", "op": "in", "value": 1}')$$,
                 '22023', 'filter.value: op in needs a JSON array, got number (column "age" of table "rec; err"."T")', 'in takes an array');
SELECT throws_ok($$SELECT howdah.list_records('"rec; err"."T"'::regclass, filter => '{"column": "name", "op": "contains", "value": ["a"]}')$$,
                 '22023', 'filter.value: op contains needs a JSON string, got array (column "name" of table "rec; err"."T")', 'contains takes a string');
SELECT throws_ok($$SELECT howdah.list_records('"rec; err"."T"'::regclass, filter => '{"column": "doc", "op": "<", "value": 1}')$$,
                 '22023', 'filter: op < does not apply to column "doc" of table "rec; err"."T", of type json', 'an op the type lacks');

-- Values that do not convert keep PostgreSQL's SQLSTATE and name the column.
SELECT throws_ok($$SELECT howdah.list_records('"rec; err"."T"'::regclass, filter => '{"column": "age", "op": "=", "value": "abc"}')$$,
                 '22P02', 'filter.value: column "age" of table "rec; err"."T": invalid input syntax for type integer: "abc"', 'not an integer');
SELECT throws_ok($$SELECT howdah.list_records('"rec; err"."T"'::regclass, filter => '{"and": [{"column": "id", "op": ">", "value": 0}, {"column": "age", "op": "in", "value": [1, 99999999999]}]}')$$,
                 '22003', 'filter.and[1].value[1]: column "age" of table "rec; err"."T": value "99999999999" is out of range for type integer', 'out of range, in a list');
SELECT throws_ok($$SELECT howdah.list_records('"rec; err"."T"'::regclass, filter => '{"column": "born", "op": "<", "value": "2020-02-30"}')$$,
                 '22008', 'filter.value: column "born" of table "rec; err"."T": date/time field value out of range: "2020-02-30"', 'a bad date');
SELECT throws_ok($$SELECT howdah.list_records('"rec; err"."T"'::regclass, filter => '{"column": "score", "op": "=", "value": -1}')$$,
                 '23514', 'filter.value: column "score" of table "rec; err"."T": value for domain "rec; err".positive violates check constraint "positive_check"', 'a domain check');

-- Order and grouping input.
SELECT throws_ok($$SELECT howdah.list_records('"rec; err"."T"'::regclass, "order" => '{"column": "age"}')$$,
                 '22023', 'order must be a JSON array of {"column", "direction", "nulls"}, got object', 'order is an array');
SELECT throws_ok($$SELECT howdah.list_records('"rec; err"."T"'::regclass, "order" => '[{"column": "age", "direction": "up"}]')$$,
                 '22023', 'order[0]: direction must be "asc" or "desc" and nulls "first" or "last", got {"column": "age", "direction": "up"}', 'bad direction');
SELECT throws_ok($$SELECT howdah.list_records('"rec; err"."T"'::regclass, "order" => '[{"column": "age"}, {"column": 3, "direction": "desc"}]')$$,
                 '22023', 'order[1]: column "age" of table "rec; err"."T" is listed twice', 'a column ordered twice');
SELECT throws_ok($$SELECT howdah.list_records('"rec; err"."T"'::regclass, "order" => '[{"column": "doc"}]')$$,
                 '22023', 'order[0]: column "doc" of table "rec; err"."T" has type json, which cannot be sorted', 'an unsortable column');
SELECT throws_ok($$SELECT howdah.list_records('"rec; err"."T"'::regclass, "order" => '[{"column": "nope"}]')$$,
                 '42703', 'order[0].column: column "nope" of table "rec; err"."T" does not exist', 'order: unknown column');
SELECT throws_ok($$SELECT howdah.list_records('"rec; err"."T"'::regclass, "grouping" => '{"columns": []}')$$,
                 '22023', 'grouping.columns must be a non-empty JSON array of columns, got []', 'grouping without columns');
SELECT throws_ok($$SELECT howdah.list_records('"rec; err"."T"'::regclass, "grouping" => '{"columns": ["age"], "preproc": 1}')$$,
                 '22023', 'grouping: unknown key ''preproc''', 'grouping: unknown key');
SELECT is(howdah.list_records('"rec; err"."T"'::regclass) -> 'count', '1', 'the table is untouched');

SELECT * FROM finish();
ROLLBACK;
