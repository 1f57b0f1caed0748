-- get/set_table_metadata: a preview template and a column order per table, on hostile names;
-- keys left out are kept, null clears, nothing set means nulls; bad input gets 22023 or 42703
-- naming the key, the attnum and the table, and changes nothing.
BEGIN;
SELECT plan(25);

CREATE SCHEMA "select";
CREATE TABLE "select"."we""ird; tab ✓" (
    id int PRIMARY KEY,
    "näme ✓" text,
    "x""y; z" int,
    "from" date
);
DO $$ BEGIN EXECUTE format('ALTER TABLE "select"."we""ird; tab ✓" ADD COLUMN %I text', repeat('ü', 31) || 'x'); END $$;  -- 63 bytes
CREATE TEMP TABLE t AS SELECT '"select"."we""ird; tab ✓"'::regclass::oid AS oid;
CREATE FUNCTION pg_temp.set_sql(meta text) RETURNS text LANGUAGE sql
RETURN format('SELECT howdah.set_table_metadata(%s, %L)', (SELECT oid FROM t), meta);

SELECT is((SELECT octet_length(attname) FROM pg_attribute WHERE attrelid = (SELECT oid FROM t) AND attnum = 5), 63, 'column 5 has a 63-byte name');
SELECT is(howdah.get_table_metadata((SELECT oid FROM t)), '{"preview_template": null, "column_order": null}', 'nothing set: nulls');
SELECT is(howdah.set_table_metadata((SELECT oid FROM t), '{"preview_template": "{2} (\"{1}''; --) – {5} {x} {{3}}", "column_order": [5, 3, 1]}'),
          '{"preview_template": "{2} (\"{1}''; --) – {5} {x} {{3}}", "column_order": [5, 3, 1]}', 'set both; the result is get_table_metadata');
SELECT is(howdah.get_table_metadata((SELECT oid FROM t)), '{"preview_template": "{2} (\"{1}''; --) – {5} {x} {{3}}", "column_order": [5, 3, 1]}',
          'get returns what was set, verbatim');
SELECT is(howdah.set_table_metadata((SELECT oid FROM t), '{"column_order": [2]}'),
          '{"preview_template": "{2} (\"{1}''; --) – {5} {x} {{3}}", "column_order": [2]}', 'a key left out is kept');
SELECT is(howdah.set_table_metadata((SELECT oid FROM t), '{"preview_template": null}'),
          '{"preview_template": null, "column_order": [2]}', 'null clears a key');
SELECT is(howdah.set_table_metadata((SELECT oid FROM t), '{}'), '{"preview_template": null, "column_order": [2]}', 'an empty object changes nothing');
SELECT is(howdah.set_table_metadata((SELECT oid FROM t), '{"column_order": null}'),
          '{"preview_template": null, "column_order": null}', 'clearing both');
SELECT is((SELECT count(*)::int FROM howdah_internal.catalog_table_metadata WHERE table_oid = (SELECT oid FROM t)), 0,
          'and the row is gone');
SELECT is(howdah.set_table_metadata((SELECT oid FROM t), '{"preview_template": "no columns at all"}') ->> 'preview_template',
          'no columns at all', 'a template may be plain text');

-- Bad input, each refused before anything changes.
SELECT lives_ok(pg_temp.set_sql('{"preview_template": "{4}: {2}", "column_order": [4, 2]}'), 'a known state');
CREATE TEMP TABLE before AS SELECT preview_template, column_order, updated_at FROM howdah_internal.catalog_table_metadata WHERE table_oid = (SELECT oid FROM t);
SELECT throws_ok(pg_temp.set_sql('{"preview_template": "{2}", "colour": "red"}'), '22023',
                 'set_table_metadata meta for table "select"."we""ird; tab ✓": unknown key ''colour''', 'an unknown key, naming key and table');
SELECT throws_ok(pg_temp.set_sql('[1]'), '22023',
                 'set_table_metadata meta for table "select"."we""ird; tab ✓" must be a JSON object, got array', 'meta must be an object');
SELECT throws_ok(pg_temp.set_sql('{"preview_template": 5}'), '22023',
                 'set_table_metadata meta for table "select"."we""ird; tab ✓": key ''preview_template'' must be a string, got number', 'template must be a string');
SELECT throws_ok(pg_temp.set_sql('{"preview_template": ""}'), '22023',
                 'set_table_metadata meta for table "select"."we""ird; tab ✓": key ''preview_template'' must not be empty', 'empty template');
SELECT throws_ok(pg_temp.set_sql('{"preview_template": "{1} {6}", "column_order": [1]}'), '42703',
                 'preview_template of table "select"."we""ird; tab ✓" refers to column 6, which does not exist', 'a template naming an unknown attnum');
SELECT throws_ok(pg_temp.set_sql('{"preview_template": "{0}"}'), '42703',
                 'preview_template of table "select"."we""ird; tab ✓" refers to column 0, which does not exist', 'attnum 0');
SELECT throws_ok(pg_temp.set_sql('{"preview_template": "{99999999999999999999}"}'), '42703',
                 'preview_template of table "select"."we""ird; tab ✓" refers to column 99999999999999999999, which does not exist', 'a huge attnum');
SELECT throws_ok(pg_temp.set_sql('{"column_order": {"1": 2}}'), '22023',
                 'set_table_metadata meta for table "select"."we""ird; tab ✓": key ''column_order'' must be an array of attnums, got object', 'order must be an array');
SELECT throws_ok(pg_temp.set_sql('{"column_order": [1, "2"]}'), '22023',
                 'set_table_metadata meta for table "select"."we""ird; tab ✓": column_order[1] must be a whole number from 1 to 32767, got "2"', 'order lists integers');
SELECT throws_ok(pg_temp.set_sql('{"column_order": [1, 2.5]}'), '22023',
                 'set_table_metadata meta for table "select"."we""ird; tab ✓": column_order[1] must be a whole number from 1 to 32767, got 2.5', 'not fractions');
SELECT throws_ok(pg_temp.set_sql('{"column_order": [3, 1, 3]}'), '22023',
                 'column_order of table "select"."we""ird; tab ✓" lists column 3 twice', 'no duplicates');
ALTER TABLE "select"."we""ird; tab ✓" DROP COLUMN "from";
SELECT throws_ok(pg_temp.set_sql('{"column_order": [1, 4]}'), '42703',
                 'column_order of table "select"."we""ird; tab ✓" lists column 4, which does not exist', 'a dropped column is unknown');
SELECT is((SELECT row(preview_template, column_order, updated_at)::text FROM howdah_internal.catalog_table_metadata WHERE table_oid = (SELECT oid FROM t)),
          (SELECT row(preview_template, column_order, updated_at)::text FROM before), 'refused calls changed nothing');
SELECT throws_ok('SELECT howdah.get_table_metadata(4294967295)', '42P01', 'table with oid 4294967295 does not exist', 'unknown table oid');

SELECT * FROM finish();
ROLLBACK;
