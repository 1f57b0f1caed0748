-- get/set_column_metadata: display options per column (any JSON object, stored verbatim),
-- replaced as a whole, cleared by NULL or JSON null; unknown or dropped attnums get 42703 naming
-- the attnum and the table, non-objects 22023; refused calls change nothing.
BEGIN;
SELECT plan(18);

CREATE SCHEMA "sch ✓; ""q""";
CREATE TABLE "sch ✓; ""q"""."order" ("user" int, "näme; --" text, "it's" numeric, gone int);
CREATE TEMP TABLE t AS SELECT '"sch ✓; ""q"""."order"'::regclass::oid AS oid;
CREATE FUNCTION pg_temp.set_sql(attnum int, opts text) RETURNS text LANGUAGE sql
RETURN format('SELECT howdah.set_column_metadata(%s, %s::smallint, %L)', (SELECT oid FROM t), attnum, opts);

SELECT is(howdah.get_column_metadata((SELECT oid FROM t)), '[]', 'no options yet');
SELECT is(howdah.set_column_metadata((SELECT oid FROM t), 2::smallint, '{"label": "Name \"of\" it''s; --", "width": 120, "nested": {"a": [1, null]}}'),
          '{"attnum": 2, "display_options": {"label": "Name \"of\" it''s; --", "width": 120, "nested": {"a": [1, null]}}}',
          'set returns {attnum, display_options}');
SELECT lives_ok(pg_temp.set_sql(3, '{"currency": "€"}'), 'a second column');
SELECT is(howdah.get_column_metadata((SELECT oid FROM t)),
          '[{"attnum": 2, "display_options": {"label": "Name \"of\" it''s; --", "width": 120, "nested": {"a": [1, null]}}},
            {"attnum": 3, "display_options": {"currency": "€"}}]', 'get lists columns with options, in attnum order, verbatim');
SELECT is(howdah.set_column_metadata((SELECT oid FROM t), 2::smallint, '{"width": 80}') -> 'display_options', '{"width": 80}',
          'set replaces the whole object');
SELECT is(howdah.set_column_metadata((SELECT oid FROM t), 3::smallint, NULL), '{"attnum": 3, "display_options": null}', 'NULL clears');
SELECT is(howdah.set_column_metadata((SELECT oid FROM t), 2::smallint, 'null'), '{"attnum": 2, "display_options": null}', 'JSON null clears too');
SELECT is((SELECT count(*)::int FROM howdah_internal.catalog_column_metadata WHERE table_oid = (SELECT oid FROM t)), 0, 'no rows are left');
SELECT is(howdah.set_column_metadata((SELECT oid FROM t), 1::smallint, '{}'), '{"attnum": 1, "display_options": {}}', 'an empty object is kept');

-- Bad input
SELECT lives_ok(pg_temp.set_sql(4, '{"keep": true}'), 'a known state');
CREATE TEMP TABLE before AS SELECT howdah.get_column_metadata((SELECT oid FROM t)) AS v;
SELECT throws_ok(pg_temp.set_sql(9, '{"width": 1}'), '42703', 'column 9 of table "sch ✓; ""q"""."order" does not exist', 'unknown attnum, naming it and the table');
SELECT throws_ok(pg_temp.set_sql(-1, '{"width": 1}'), '42703', 'column -1 of table "sch ✓; ""q"""."order" does not exist', 'system columns have no display options');
ALTER TABLE "sch ✓; ""q"""."order" DROP COLUMN gone;
SELECT throws_ok(pg_temp.set_sql(4, '{"width": 1}'), '42703', 'column 4 of table "sch ✓; ""q"""."order" does not exist', 'a dropped column is unknown');
SELECT throws_ok(pg_temp.set_sql(2, '["width"]'), '22023',
                 'display_options of column 2 of table "sch ✓; ""q"""."order" must be a JSON object, got array', 'an array is refused');
SELECT throws_ok(pg_temp.set_sql(2, '"wide"'), '22023',
                 'display_options of column 2 of table "sch ✓; ""q"""."order" must be a JSON object, got string', 'a string is refused');
SELECT is(howdah.get_column_metadata((SELECT oid FROM t)), '[{"attnum": 1, "display_options": {}}]',
          'refused calls changed nothing (the dropped column''s options are no longer shown)');
SELECT throws_ok('SELECT howdah.set_column_metadata(4294967295, 1::smallint, ''{}'')', '42P01',
                 'table with oid 4294967295 does not exist', 'set: unknown table oid');
SELECT throws_ok('SELECT howdah.get_column_metadata(4294967295)', '42P01',
                 'table with oid 4294967295 does not exist', 'get: unknown table oid');

SELECT * FROM finish();
ROLLBACK;
