-- add_table / patch_table / drop_tables: JSON column and constraint definitions become one
-- table, with types, options, defaults, keys and comments as given, under hostile names.
BEGIN;
SELECT plan(16);

CREATE SCHEMA "dd'l; --";
CREATE TEMP TABLE t AS SELECT howdah.add_table('"dd''l; --"'::regnamespace, 'Tab"le; DROP TABLE x',
    '[{"name": "id", "type": "bigint", "identity": true, "primary_key": true},
      {"name": "näme ✓", "type": "character varying", "type_options": {"length": 40}, "not_null": true, "description": "who ''they'' are"},
      {"name": "select", "type": "numeric", "type_options": {"precision": 12, "scale": 2}, "default": "1.50"},
      {"name": "seen", "type": "timestamp with time zone", "type_options": {"precision": 3}, "default_expr": "now()"},
      {"name": "span", "type": "interval", "type_options": {"fields": "day to second", "precision": 2}},
      {"name": "tags", "type": "text[]", "default": "{a,b}"},
      {"name": "doc", "type": "jsonb", "default": {"k": "v'' --"}},
      {"name": "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijk", "type": 23}]',
    NULL, 'a ''hostile'' table') AS v;
CREATE TEMP TABLE col AS SELECT x ->> 'name' AS name, x AS j FROM t, jsonb_array_elements(t.v -> 'columns') x;

SELECT is((SELECT v ->> 'name' FROM t), 'Tab"le; DROP TABLE x', 'the table has its hostile name');
SELECT is((SELECT v ->> 'description' FROM t), 'a ''hostile'' table', 'table comment');
SELECT is((SELECT jsonb_agg(j ->> 'type_display' ORDER BY (j ->> 'attnum')::int) FROM col),
          '["bigint", "character varying(40)", "numeric(12,2)", "timestamp(3) with time zone", "interval day to second(2)", "text[]", "jsonb", "integer"]',
          'types and type options round-trip through type_display');
SELECT is((SELECT j -> 'type_options' FROM col WHERE name = 'span'), '{"fields": "day to second", "precision": 2}', 'interval options read back as given');
SELECT is((SELECT (j ->> 'identity')::boolean AND (j ->> 'primary_key')::boolean FROM col WHERE name = 'id'), true, 'identity primary key');
SELECT is((SELECT j ->> 'nullable' FROM col WHERE name = 'näme ✓'), 'false', 'not null');
SELECT is((SELECT j ->> 'description' FROM col WHERE name = 'näme ✓'), 'who ''they'' are', 'column comment');
SELECT is((SELECT j ->> 'default' FROM col WHERE name = 'seen'), 'now()', 'default_expr');

INSERT INTO "dd'l; --"."Tab""le; DROP TABLE x" ("näme ✓") VALUES ('Ann');
SELECT is((SELECT ROW("select", tags, doc)::text FROM "dd'l; --"."Tab""le; DROP TABLE x"),
          ROW(1.50::numeric(12,2), '{a,b}'::text[], '{"k": "v'' --"}'::jsonb)::text, 'literal defaults are values, not SQL');

CREATE TEMP TABLE plain AS SELECT howdah.add_table('"dd''l; --"'::regnamespace, 'plain') AS v;
SELECT is((SELECT v -> 'columns' -> 0 ->> 'name' FROM plain), 'id', 'without columns a table gets an id column');
SELECT is((SELECT count(*)::int FROM pg_constraint WHERE conrelid = '"dd''l; --".plain'::regclass AND contype = 'p'), 1, '… that is its primary key');

SELECT is(howdah.patch_table((SELECT (v ->> 'oid')::oid FROM t),
          '{"name": "renamed ✓", "description": null, "columns": [{"column": "select", "name": "from"}]}') - 'columns' - 'preview_settings' - 'oid' - 'schema_oid' - 'owner' - 'estimated_rows' - 'current_role_priv',
          '{"name": "renamed ✓", "kind": "table", "description": null, "column_order": null, "has_dependents": false, "current_role_owns": true}',
          'patch_table renames, clears the comment and changes columns');
SELECT has_column('dd''l; --', 'renamed ✓', 'from', 'the column change was applied');

SELECT throws_ok($$SELECT howdah.patch_table('"dd''l; --"."renamed ✓"'::regclass, '{"name": "x", "colour": "red"}')$$,
                 '22023', 'patch_table "dd''l; --"."renamed ✓": unknown key ''colour''', 'patch_table: unknown key, nothing renamed');
SELECT is(howdah.drop_tables(ARRAY['"dd''l; --".plain'::regclass]::oid[]), 1, 'drop_tables');
SELECT hasnt_table('dd''l; --', 'plain', 'the table is gone');

SELECT * FROM finish();
ROLLBACK;
