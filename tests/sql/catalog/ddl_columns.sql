-- add_columns / alter_columns / drop_columns: one statement per change, errors that name the
-- change, all or nothing, retyping that converts data, and the owner-only rule.
BEGIN;
SELECT plan(19);

CREATE SCHEMA "co""ls";
CREATE TABLE "co""ls"."prices; --" (id int PRIMARY KEY, "price ✓" text, "order" text DEFAULT 'x');
INSERT INTO "co""ls"."prices; --" VALUES (1, '10', 'a'), (2, '20', 'b');
CREATE TEMP TABLE rel AS SELECT '"co""ls"."prices; --"'::regclass::oid AS tab;

SELECT is(howdah.add_columns((SELECT tab FROM rel),
          '[{"name": "note", "type": "text", "default": "it''s; --"}, {"name": "n", "type": "integer", "not_null": true, "default": 7}]'),
          '{4,5}'::smallint[], 'add_columns returns the new attnums');
SELECT is((SELECT array_agg(note || n ORDER BY id) FROM "co""ls"."prices; --"), '{"it''s; --7","it''s; --7"}', 'existing rows get the defaults');

-- Retype with USING column::type converts the data; rename and comment in the same call.
SELECT is((howdah.alter_columns((SELECT tab FROM rel),
          '[{"column": "price ✓", "type": "numeric", "type_options": {"precision": 6, "scale": 2}, "name": "price €", "description": "in euros"},
            {"column": 3, "default": null, "not_null": true}]') -> 1) - 'current_role_priv',
          jsonb_build_object('attnum', 2, 'name', 'price €', 'type', 'numeric', 'type_display', 'numeric(6,2)',
                             'type_options', '{"precision": 6, "scale": 2}'::jsonb, 'nullable', true, 'default', null,
                             'identity', false, 'primary_key', false, 'description', 'in euros', 'display_options', null),
          'retype, rename and comment');
SELECT is((SELECT sum("price €") FROM "co""ls"."prices; --"), 30.00::numeric, 'text became numbers');
SELECT is((SELECT j ->> 'default' IS NULL AND NOT (j ->> 'nullable')::boolean
             FROM jsonb_array_elements(howdah.list_columns((SELECT tab FROM rel))) j WHERE j ->> 'name' = 'order'),
          true, 'default dropped, not null set on a reserved-word column');
SELECT is(howdah.alter_columns((SELECT tab FROM rel), '[{"column": "order", "default_expr": "current_user"}]') -> 2 ->> 'default',
          'CURRENT_USER', 'default_expr from the list');
SELECT is(howdah.alter_columns((SELECT tab FROM rel), '[{"column": "order", "default": "y''; DROP TABLE x; --"}]') -> 2 ->> 'default',
          '''y''''; DROP TABLE x; --''::text', 'a hostile default is a literal');

-- A change that fails names itself; earlier changes of the same call are undone.
SELECT throws_ok($$SELECT howdah.alter_columns((SELECT tab FROM rel),
                   '[{"column": "note", "name": "renamed"}, {"column": "note", "type": "integer", "default": null}]')$$,
                 '22P02', 'alter_columns change 1 (column note), set type integer: invalid input syntax for type integer: "it''s; --"',
                 'the failing change is named, with the SQLSTATE of the failure (the old default was dropped first)');
SELECT has_column('co"ls', 'prices; --', 'note', 'the rename before it was rolled back');
SELECT throws_ok($$SELECT howdah.alter_columns((SELECT tab FROM rel), '[{"column": 99, "name": "x"}]')$$,
                 '42703', 'alter_columns change 0: column 99 of table "co""ls"."prices; --" does not exist', 'unknown attnum');
SELECT throws_ok($$SELECT howdah.alter_columns((SELECT tab FROM rel), '[{"column": "no such", "name": "x"}]')$$,
                 '42703', 'alter_columns change 0: column "no such" of table "co""ls"."prices; --" does not exist', 'unknown column name');
SELECT throws_ok($$SELECT howdah.alter_columns((SELECT tab FROM rel), '[{"column": "n", "drop": true, "name": "x"}]')$$,
                 '22023', 'alter_columns change 0 (column n): a change that drops a column can do nothing else', 'drop is alone');
SELECT throws_ok($$SELECT howdah.alter_columns((SELECT tab FROM rel), '[{"column": "n", "default_expr": "pg_sleep(10)"}]')$$,
                 '22023', 'alter_columns change 0 (column n): default_expr ''pg_sleep(10)'' is not one of the allowed functions', 'no SQL from JSON');
SELECT is((SELECT count(*)::int FROM "co""ls"."prices; --" WHERE note = 'it''s; --' AND n = 7), 2, 'data unchanged after the failures');

SELECT is(howdah.alter_columns((SELECT tab FROM rel), '[{"column": "n", "drop": true}]') -> -1 ->> 'name', 'note', 'drop through alter_columns');
SELECT is(howdah.drop_columns((SELECT tab FROM rel), '{4}'), 1, 'drop_columns counts');
SELECT throws_ok($$SELECT howdah.drop_columns((SELECT tab FROM rel), '{2,42}')$$,
                 '42703', 'drop_columns: column 42 of table "co""ls"."prices; --" does not exist', 'one unknown attnum drops nothing');
SELECT has_column('co"ls', 'prices; --', 'price €', 'price € is still there');

-- A role that may read but does not own the table cannot change it.
CREATE ROLE howdah_test_reader NOLOGIN;
GRANT USAGE ON SCHEMA "co""ls" TO howdah_test_reader;
GRANT SELECT, UPDATE ON "co""ls"."prices; --" TO howdah_test_reader;
GRANT SELECT ON rel TO howdah_test_reader;
CREATE FUNCTION pg_temp.error_of(stmt text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE stmt;
    RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ' ' || SQLERRM;
END $$;
SET LOCAL ROLE howdah_test_reader;
CREATE TEMP TABLE reader AS SELECT pg_temp.error_of(format('SELECT howdah.add_columns(%s, %L)', (SELECT tab FROM rel), '[{"name": "x", "type": "text"}]')) AS e;
RESET ROLE;
SELECT is((SELECT e FROM reader), '42501 must be owner of table "co""ls"."prices; --" to add columns', 'not the owner: 42501 naming the table');

SELECT * FROM finish();
ROLLBACK;
