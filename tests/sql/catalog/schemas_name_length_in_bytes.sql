-- Schema names are limited to 63 bytes, not characters: add_schema and patch_schema's rename
-- refuse a longer name with 42622 (PostgreSQL would silently truncate it) and change nothing;
-- 63 bytes of multi-byte characters are accepted exactly.
BEGIN;
SELECT plan(12);

-- 40 × 'é' is 40 characters but 80 bytes.
SELECT throws_ok($$SELECT howdah.add_schema(repeat('é', 40))$$, '42622',
                 format('add_schema: name %L is longer than 63 bytes', repeat('é', 40)), 'add_schema counts bytes, not characters');
SELECT is((SELECT count(*)::int FROM pg_namespace WHERE nspname LIKE 'éé%'), 0, 'and no truncated schema was created');
SELECT throws_ok($$SELECT howdah.add_schema(repeat('x', 62) || 'é')$$, '42622', NULL, '64 bytes in 63 characters are refused');
SELECT throws_ok($$SELECT howdah.add_schema('   ')$$, '22023', 'add_schema: a name is required', 'a blank name is refused');

-- 31 × 'é' + 'x' is exactly 63 bytes.
SELECT is(howdah.add_schema(repeat('é', 31) || 'x') ->> 'name', repeat('é', 31) || 'x', 'a 63-byte name of 32 characters is created exactly');

CREATE SCHEMA "ren; ✓ ""me""";
COMMENT ON SCHEMA "ren; ✓ ""me""" IS 'before';
CREATE TEMP TABLE sch AS SELECT '"ren; ✓ ""me"""'::regnamespace::oid AS oid;
SELECT throws_ok(format('SELECT howdah.patch_schema(%s, %L)', (SELECT oid FROM sch),
                        jsonb_build_object('name', repeat('ü', 32), 'description', 'after')),
                 '42622', format('patch_schema patch: name %L is longer than 63 bytes', repeat('ü', 32)),
                 'patch_schema refuses a 64-byte new name');
SELECT is((SELECT nspname::text FROM pg_namespace WHERE oid = (SELECT oid FROM sch)), 'ren; ✓ "me"', 'the schema keeps its name');
SELECT is(obj_description((SELECT oid FROM sch), 'pg_namespace'), 'before', 'and its comment: the refused patch changed nothing');
SELECT is((SELECT count(*)::int FROM pg_namespace WHERE nspname LIKE 'üü%'), 0, 'no truncated name appears');
SELECT throws_ok(format('SELECT howdah.patch_schema(%s, %L)', (SELECT oid FROM sch), '{"name": " "}'),
                 '22023', 'patch_schema patch: a name is required', 'a blank new name is refused');
SELECT is(howdah.patch_schema((SELECT oid FROM sch), jsonb_build_object('name', repeat('ü', 31) || 'x')) ->> 'name',
          repeat('ü', 31) || 'x', 'a 63-byte new name is used exactly');
SELECT throws_ok(format('SELECT howdah.patch_schema(%s, %L)', (SELECT oid FROM sch), '{"name": "howdah_x"}'),
                 '22023', NULL, 'a reserved new name is still refused');

SELECT * FROM finish();
ROLLBACK;
