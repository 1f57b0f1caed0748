-- list_records: records are objects keyed by attnum (stable under renames and dropped columns),
-- paging with lim/off, count of the whole filtered set even when the page is empty, bad lim/off.
BEGIN;
SELECT plan(20);

CREATE SCHEMA "rec; list";
CREATE TABLE "rec; list"."Pe""ople" (id int PRIMARY KEY, gone text, "näme" text, age int, born date, tags text[], doc jsonb, price numeric(8, 2));
ALTER TABLE "rec; list"."Pe""ople" DROP COLUMN gone;
INSERT INTO "rec; list"."Pe""ople" VALUES
    (3, 'Cara', 25, NULL, NULL, '[1]', 1.50),
    (1, 'Ann', 30, '1990-01-01', '{a,b}', '{"x": 1}', 10),
    (2, 'bob', NULL, '1985-05-05', '{}', NULL, NULL),
    (5, 'Dan', 30, '2000-01-01', '{a}', '"s"', 0.10),
    (4, 'Eve', 41, '1980-02-02', '{c}', '{}', 99.99);
CREATE FUNCTION pg_temp.ids(j jsonb) RETURNS jsonb LANGUAGE sql
RETURN (SELECT coalesce(jsonb_agg(x.v -> '1' ORDER BY x.n), '[]') FROM jsonb_array_elements(j -> 'results') WITH ORDINALITY AS x(v, n));

SELECT is(howdah.list_records('"rec; list"."Pe""ople"'::regclass, 1) -> 'results' -> 0,
          '{"1": 1, "3": "Ann", "4": 30, "5": "1990-01-01", "6": ["a", "b"], "7": {"x": 1}, "8": 10.00}',
          'a record is keyed by attnum, values as JSON (dropped column 2 absent)');
SELECT is(pg_temp.ids(howdah.list_records('"rec; list"."Pe""ople"'::regclass)), '[1, 2, 3, 4, 5]', 'no order: primary key order');
SELECT is(howdah.list_records('"rec; list"."Pe""ople"'::regclass) -> 'count', '5', 'count without a filter');
SELECT is(howdah.list_records('"rec; list"."Pe""ople"'::regclass) -> 'grouping', 'null', 'grouping is null without grouping');
SELECT is((SELECT array_agg(k ORDER BY k) FROM jsonb_object_keys(howdah.list_records('"rec; list"."Pe""ople"'::regclass)) k),
          ARRAY['count', 'grouping', 'results'], 'top-level keys');
SELECT is(pg_temp.ids(howdah.list_records('"rec; list"."Pe""ople"'::regclass, 2, 1)), '[2, 3]', 'lim 2 off 1');
SELECT is(howdah.list_records('"rec; list"."Pe""ople"'::regclass, 2, 1) -> 'count', '5', 'count is the whole set, not the page');
SELECT is(howdah.list_records('"rec; list"."Pe""ople"'::regclass, NULL, 3) -> 'count', '5', 'off without lim: count of the whole set');
SELECT is(howdah.list_records('"rec; list"."Pe""ople"'::regclass, 10, 50),
          '{"results": [], "count": 5, "grouping": null}', 'offset past the end: empty page, right count');
SELECT is(howdah.list_records('"rec; list"."Pe""ople"'::regclass, 0, 0, filter => '{"column": "age", "op": "=", "value": 30}'),
          '{"results": [], "count": 2, "grouping": null}', 'lim 0: empty page, count of the filtered set');
SELECT is(howdah.list_records('"rec; list"."Pe""ople"'::regclass, 5, 0, filter => '{"column": "age", "op": ">", "value": 100}'),
          '{"results": [], "count": 0, "grouping": null}', 'nothing passes the filter');

-- Renaming a column keeps the keys.
ALTER TABLE "rec; list"."Pe""ople" RENAME COLUMN age TO "äge";
SELECT is(howdah.list_records('"rec; list"."Pe""ople"'::regclass, 1, 3) -> 'results' -> 0 -> '4', '41', 'keys are attnums, stable under a rename');

SELECT throws_ok($$SELECT howdah.list_records('"rec; list"."Pe""ople"'::regclass, -1)$$, '22023',
                 'lim and off must not be negative, got lim -1, off NULL', 'negative lim');
SELECT throws_ok($$SELECT howdah.list_records('"rec; list"."Pe""ople"'::regclass, 1, -5)$$, '22023',
                 'lim and off must not be negative, got lim 1, off -5', 'negative off');
SELECT throws_ok($$SELECT howdah.list_records(4294967295)$$, '42P01', 'table with oid 4294967295 does not exist', 'unknown table oid');
SELECT throws_ok($$SELECT howdah.list_records('pg_catalog.pg_class'::regclass)$$, '42P01', NULL, 'system tables are not records tables');

-- A view lists like a table (no key: ordered by its sortable columns).
CREATE VIEW "rec; list".adults AS SELECT id, "näme" FROM "rec; list"."Pe""ople" WHERE "äge" >= 30;
SELECT is(howdah.list_records('"rec; list".adults'::regclass),
          '{"results": [{"1": 1, "2": "Ann"}, {"1": 4, "2": "Eve"}, {"1": 5, "2": "Dan"}], "count": 3, "grouping": null}', 'a view');

-- Wide tables: more columns than jsonb_build_object takes arguments.
DO $$ BEGIN
    EXECUTE format('CREATE TABLE "rec; list".wide (%s)', (SELECT string_agg(format('c%s int DEFAULT %s', i, i), ', ') FROM generate_series(1, 130) i));
END $$;
INSERT INTO "rec; list".wide DEFAULT VALUES;
SELECT is((SELECT count(*)::int FROM jsonb_object_keys(howdah.list_records('"rec; list".wide'::regclass) -> 'results' -> 0)), 130, '130 columns, all there');
SELECT is(howdah.list_records('"rec; list".wide'::regclass) -> 'results' -> 0 -> '130', '130', 'the last column keyed 130');
SELECT is(howdah.list_columns('"rec; list"."Pe""ople"'::regclass) -> 2 ->> 'attnum', '4', 'attnums match list_columns');

SELECT * FROM finish();
ROLLBACK;
