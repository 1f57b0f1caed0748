-- Integers in JSON input are read one way everywhere in the catalog (howdah_internal.catalog_json_int
-- and catalog_json_int_value): a JSON number, whole, within the bounds of what it names; anything else
-- is 22023 "<input> must be a whole number from <lo> to <hi>, got <value>" naming the input,
-- and changes nothing. lim and off are checked by one helper for list and search.
BEGIN;
SELECT plan(19);

CREATE SCHEMA "int; ✓";
CREATE TABLE "int; ✓"."t""q" (id int PRIMARY KEY, "näme" text);
CREATE ROLE howdah_test_int NOLOGIN;
CREATE TEMP TABLE t AS SELECT '"int; ✓"."t""q"'::regclass::oid AS oid;
CREATE FUNCTION pg_temp.call(fn text, arg text) RETURNS text LANGUAGE sql
RETURN format('SELECT howdah.%s(%s, %L)', fn, (SELECT oid FROM t), arg);

-- set_table_metadata column_order: attnums 1 .. 32767.
SELECT throws_ok(pg_temp.call('set_table_metadata', '{"column_order": [1, 2.5]}'), '22023',
                 'set_table_metadata meta for table "int; ✓"."t""q": column_order[1] must be a whole number from 1 to 32767, got 2.5',
                 'column_order: a fraction, by position');
SELECT throws_ok(pg_temp.call('set_table_metadata', '{"column_order": ["2"]}'), '22023',
                 'set_table_metadata meta for table "int; ✓"."t""q": column_order[0] must be a whole number from 1 to 32767, got "2"',
                 'column_order: a string');
SELECT throws_ok(pg_temp.call('set_table_metadata', '{"column_order": [2, null]}'), '22023',
                 'set_table_metadata meta for table "int; ✓"."t""q": column_order[1] must be a whole number from 1 to 32767, got null',
                 'column_order: null');
SELECT throws_ok(pg_temp.call('set_table_metadata', '{"column_order": [0]}'), '22023',
                 'set_table_metadata meta for table "int; ✓"."t""q": column_order[0] must be a whole number from 1 to 32767, got 0',
                 'column_order: 0 is no attnum');
SELECT throws_ok(pg_temp.call('set_table_metadata', '{"column_order": [1e30]}'), '22023', NULL, 'column_order: a huge number');
SELECT is((SELECT count(*)::int FROM howdah_internal.catalog_table_metadata WHERE table_oid = (SELECT oid FROM t)), 0, 'nothing was stored');

-- replace_table_privileges role_oid: an oid, 0 .. 4294967295, as a number or a string of digits.
CREATE FUNCTION pg_temp.msg(rest text) RETURNS text LANGUAGE sql
RETURN format('replace_table_privileges spec for table "int; ✓"."t""q", entry 1: key ''role_oid'' (an oid) must be a whole number from 0 to 4294967295, got %s', rest);
SELECT throws_ok(pg_temp.call('replace_table_privileges', '[{"role_oid": 1.5, "direct": []}]'), '22023', pg_temp.msg('1.5'), 'role_oid: a fraction');
SELECT throws_ok(pg_temp.call('replace_table_privileges', '[{"role_oid": "12ab", "direct": []}]'), '22023', pg_temp.msg('"12ab"'), 'role_oid: not digits');
SELECT throws_ok(pg_temp.call('replace_table_privileges', '[{"role_oid": -1, "direct": []}]'), '22023', pg_temp.msg('-1'), 'role_oid: negative');
SELECT throws_ok(pg_temp.call('replace_table_privileges', '[{"role_oid": 4294967296, "direct": []}]'), '22023', pg_temp.msg('4294967296'), 'role_oid: beyond the oid range');
SELECT throws_ok(pg_temp.call('replace_table_privileges', '[{"role_oid": null, "direct": []}]'), '22023', pg_temp.msg('null'), 'role_oid: null');
SELECT is((howdah.replace_table_privileges((SELECT oid FROM t), jsonb_build_array(jsonb_build_object(
               'role_oid', 'howdah_test_int'::regrole::oid::text, 'direct', '["SELECT"]'::jsonb))) -> 0 ->> 'role'),
          'howdah_test_int', 'role_oid: a string of digits is read as the number');

-- Column attnums in records and DDL input.
SELECT throws_ok($$SELECT howdah.list_records('"int; ✓"."t""q"'::regclass, filter => '{"column": 1.5, "op": "=", "value": 1}')$$,
                 '22023', 'filter.column (a column attnum) must be a whole number from 1 to 32767, got 1.5', 'a fractional attnum');
SELECT throws_ok($$SELECT howdah.list_records('"int; ✓"."t""q"'::regclass, "order" => '[{"column": -2}]')$$,
                 '22023', 'order[0].column (a column attnum) must be a whole number from 1 to 32767, got -2', 'a negative attnum');
SELECT throws_ok($$SELECT howdah.list_records('"int; ✓"."t""q"'::regclass, "order" => '[{"column": 0}]')$$,
                 '22023', 'order[0].column (a column attnum) must be a whole number from 1 to 32767, got 0', 'attnum 0');

-- Type oids and type_options.
SELECT throws_ok(pg_temp.call('add_columns', '[{"name": "a", "type": 25.5}]'), '22023',
                 'add_columns columns[0] (column a): key ''type'' (a type oid) must be a whole number from 1 to 4294967295, got 25.5', 'a fractional type oid');
SELECT throws_ok(pg_temp.call('add_columns', '[{"name": "a", "type": "varchar", "type_options": {"length": 0}}]'), '22023',
                 'add_columns columns[0] (column a) type_options: key ''length'' must be a whole number from 1 to 10485760, got 0', 'a length out of range');

-- lim and off: one check for list_records and search_records.
SELECT throws_ok($$SELECT howdah.list_records('"int; ✓"."t""q"'::regclass, 1, -5)$$,
                 '22023', 'lim and off must not be negative, got lim 1, off -5', 'list_records: negative off');
SELECT throws_ok($$SELECT howdah.search_records('"int; ✓"."t""q"'::regclass, '[{"column": 2, "value": "a"}]', -1)$$,
                 '22023', 'lim and off must not be negative, got lim -1, off 0', 'search_records: the same check');

SELECT * FROM finish();
ROLLBACK;
