-- howdah.version() reports every installed module, reads the bookkeeping, and any role may call it.
BEGIN;
SELECT plan(8);

SELECT has_function('howdah', 'version', ARRAY[]::text[], 'howdah.version() exists');
SELECT function_returns('howdah', 'version', ARRAY[]::text[], 'jsonb', 'it returns jsonb');
SELECT is(jsonb_typeof(howdah.version()), 'array', 'the result is an array');
SELECT ok(howdah.version() @> '[{"module": "core", "schema": "howdah", "version": 1}]', 'core is listed with schema and version');
SELECT is(jsonb_array_length(howdah.version()), (SELECT count(*)::int FROM howdah_internal.modules),
          'one entry per installed module');

-- pgTAP's own state is not visible to another role, so capture what the role sees first.
CREATE ROLE howdah_test_nobody NOLOGIN;
SET LOCAL ROLE howdah_test_nobody;
CREATE TEMP TABLE seen_by_nobody AS SELECT howdah.version() AS versions, ''::text AS internal_error;
DO $$
BEGIN
    PERFORM FROM howdah_internal.modules;
EXCEPTION WHEN OTHERS THEN
    UPDATE seen_by_nobody SET internal_error = SQLSTATE;
END $$;
RESET ROLE;
SELECT ok((SELECT versions FROM seen_by_nobody) @> '[{"module": "core"}]', 'a role with no grants can read the versions');
SELECT is((SELECT internal_error FROM seen_by_nobody), '42501', 'but cannot read howdah_internal');
SELECT ok(NOT has_function_privilege('howdah_test_nobody', 'howdah_internal.record_step(text,text,integer,text,text,text,text[])', 'EXECUTE'),
          'nor execute the installer''s bookkeeping');

SELECT * FROM finish();
ROLLBACK;
