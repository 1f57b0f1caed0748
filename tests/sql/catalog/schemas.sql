-- Schemas through the catalog API: listing hides system and howdah schemas, add/patch/drop work
-- with hostile names, bad input gets 22023 naming the key and changes nothing, privileges are
-- the database's.
BEGIN;
SELECT plan(26);

SELECT ok(NOT (howdah.list_schemas() @> '[{"name": "pg_catalog"}]'), 'pg_catalog is hidden');
SELECT ok(NOT (howdah.list_schemas() @> '[{"name": "howdah"}]'), 'howdah is hidden');
SELECT ok(NOT (howdah.list_schemas() @> '[{"name": "howdah_internal"}]'), 'howdah_internal is hidden');
SELECT ok(howdah.list_schemas() @> '[{"name": "public"}]', 'public is listed');

-- Hostile names: quotes, semicolons, spaces, unicode, reserved words, 63 bytes.
CREATE TEMP TABLE hostile(name text);
INSERT INTO hostile VALUES ('we"ird'';drop'), ('has space'), ('ünïcødé ✓'), ('select'), (repeat('x', 63));
SELECT is((SELECT count(*)::int FROM hostile h WHERE (howdah.add_schema(h.name, NULL, 'c ''q'' ' || h.name) ->> 'name') = h.name),
          5, 'add_schema creates every hostile name exactly');
SELECT is((SELECT count(*)::int FROM hostile h JOIN pg_namespace n ON n.nspname = h.name), 5, 'and they exist in pg_namespace');
SELECT is(howdah.get_schema('"we""ird'';drop"'::regnamespace) ->> 'description', 'c ''q'' we"ird'';drop', 'the comment is stored verbatim');
SELECT ok(howdah.list_schemas() @> jsonb_build_array(jsonb_build_object('name', repeat('x', 63), 'table_count', 0)), 'list_schemas shows them');

SELECT throws_ok($$SELECT howdah.add_schema(repeat('y', 64))$$, '42622', NULL, 'a 64-byte name is refused');
SELECT throws_ok($$SELECT howdah.add_schema('')$$, '22023', 'add_schema: a name is required', 'an empty name is refused');
SELECT throws_ok($$SELECT howdah.add_schema('howdah_evil')$$, '42939', NULL, 'howdah names are reserved');
SELECT throws_ok($$SELECT howdah.add_schema('select')$$, '42P06', NULL, 'an existing name is refused');

-- patch_schema
SELECT is(howdah.patch_schema('"has space"'::regnamespace, '{"name": "now; renamed", "description": null}') ->> 'name',
          'now; renamed', 'patch_schema renames');
SELECT is(obj_description('"now; renamed"'::regnamespace, 'pg_namespace'), NULL, 'and clears the comment');
SELECT throws_ok($$SELECT howdah.patch_schema('"now; renamed"'::regnamespace, '{"name": "other", "colour": "red"}')$$,
                 '22023', 'patch_schema patch: unknown key ''colour''', 'an unknown key is refused by name');
SELECT throws_ok($$SELECT howdah.patch_schema('"now; renamed"'::regnamespace, '{"name": 5}')$$,
                 '22023', 'patch_schema patch: key ''name'' must be a string, got number', 'a wrong JSON type is refused');
SELECT throws_ok($$SELECT howdah.patch_schema('"now; renamed"'::regnamespace, '[1]')$$,
                 '22023', 'patch_schema patch must be a JSON object, got array', 'a non-object patch is refused');
SELECT ok(to_regnamespace('"now; renamed"') IS NOT NULL AND to_regnamespace('other') IS NULL, 'refused patches changed nothing');
SELECT throws_ok($$SELECT howdah.get_schema(4294967295)$$, '3F000', 'schema with oid 4294967295 does not exist', 'unknown oid names the oid');
SELECT throws_ok($$SELECT howdah.get_schema('howdah_internal'::regnamespace)$$, '3F000', NULL, 'hidden schemas are unknown');

-- drop_schemas: all or none, RESTRICT by default.
CREATE TABLE "select".t (id int);
SELECT throws_ok(format('SELECT howdah.drop_schemas(ARRAY[%s, %s]::oid[])', '"ünïcødé ✓"'::regnamespace::oid, '"select"'::regnamespace::oid),
                 '2BP01', NULL, 'a schema with a table is not dropped without cascade');
SELECT ok(to_regnamespace('"ünïcødé ✓"') IS NOT NULL, 'and the other schema of the call survives');
SELECT lives_ok(format('SELECT howdah.drop_schemas(ARRAY[%s, %s]::oid[], true)', '"ünïcødé ✓"'::regnamespace::oid, '"select"'::regnamespace::oid),
                'cascade drops both');

-- Privileges come from the database: a role without CREATE cannot add a schema.
CREATE ROLE howdah_test_reader NOLOGIN;
SET LOCAL ROLE howdah_test_reader;
CREATE TEMP TABLE reader_saw AS SELECT howdah.list_schemas() AS schemas, ''::text AS add_error;
DO $$ BEGIN PERFORM howdah.add_schema('reader_schema');
EXCEPTION WHEN OTHERS THEN UPDATE reader_saw SET add_error = SQLSTATE; END $$;
RESET ROLE;
SELECT is((SELECT add_error FROM reader_saw), '42501', 'a role without CREATE on the database gets 42501');

-- add_schema with an owner: the schema belongs to that role, which then may create in it.
SELECT is(howdah.add_schema('owned "by" reader', 'howdah_test_reader') ->> 'owner', 'howdah_test_reader', 'add_schema sets the owner');
SELECT ok(has_schema_privilege('howdah_test_reader', 'owned "by" reader', 'CREATE'), 'the owner may create in it');

SELECT * FROM finish();
ROLLBACK;
