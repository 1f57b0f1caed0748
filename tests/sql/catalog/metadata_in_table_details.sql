-- get_schema_table_details / get_table / list_columns show the metadata: preview_settings is
-- {customized: true, template} when a template is set and the default with customized false
-- otherwise; column_order is the stored order (null when unset); each column carries its
-- display_options (null when none).
BEGIN;
SELECT plan(10);

CREATE SCHEMA "de""tails; ✓";
CREATE TABLE "de""tails; ✓"."per son" (id int PRIMARY KEY, "first näme" text, "last; name" text);
CREATE TABLE "de""tails; ✓".plain (id int PRIMARY KEY);
CREATE TEMP TABLE t AS SELECT '"de""tails; ✓"."per son"'::regclass::oid AS oid;

SELECT is(howdah.get_table((SELECT oid FROM t)) -> 'preview_settings', '{"customized": false, "template": "{2}"}',
          'default preview before any metadata');
SELECT is(howdah.get_table((SELECT oid FROM t)) -> 'column_order', 'null', 'no column order yet');
SELECT is((SELECT jsonb_agg(c -> 'display_options') FROM jsonb_array_elements(howdah.get_table((SELECT oid FROM t)) -> 'columns') c),
          '[null, null, null]', 'no display options yet');

CREATE TEMP TABLE set_it AS SELECT howdah.set_table_metadata((SELECT oid FROM t), '{"preview_template": "{3}, {2} \"#{1}\"", "column_order": [3, 2]}'),
                                   howdah.set_column_metadata((SELECT oid FROM t), 3::smallint, '{"bold": true}');
CREATE TEMP TABLE d AS SELECT x AS tab FROM jsonb_array_elements(howdah.get_schema_table_details('"de""tails; ✓"'::regnamespace)::jsonb) x;

SELECT is((SELECT tab -> 'preview_settings' FROM d WHERE tab ->> 'name' = 'per son'), '{"customized": true, "template": "{3}, {2} \"#{1}\""}',
          'get_schema_table_details: the customized template');
SELECT is((SELECT tab -> 'column_order' FROM d WHERE tab ->> 'name' = 'per son'), '[3, 2]', 'and the column order');
SELECT is((SELECT jsonb_agg(c -> 'display_options' ORDER BY (c ->> 'attnum')::int) FROM d, jsonb_array_elements(tab -> 'columns') c
            WHERE tab ->> 'name' = 'per son'), '[null, null, {"bold": true}]', 'and the display options, columns still in attnum order');
SELECT is((SELECT tab -> 'preview_settings' FROM d WHERE tab ->> 'name' = 'plain'), '{"customized": false, "template": "{1}"}',
          'a table without metadata keeps the default');
SELECT is(howdah.get_table((SELECT oid FROM t)) - 'estimated_rows', (SELECT tab - 'estimated_rows' FROM d WHERE tab ->> 'name' = 'per son'),
          'get_table shows the same');
SELECT is(howdah.list_columns((SELECT oid FROM t)) -> 2 -> 'display_options', '{"bold": true}', 'list_columns too');
SELECT ok(NOT (howdah.list_tables('"de""tails; ✓"'::regnamespace) -> 0 ? 'column_order'), 'list_tables stays without columns or metadata');

SELECT * FROM finish();
ROLLBACK;
