-- replace_schema_privileges: the same contract as for tables, with USAGE and CREATE, on
-- hostile schema and role names; bad specs and unknown or hidden schemas are refused and change
-- nothing.
BEGIN;
SELECT plan(10);

CREATE ROLE "howdah_test_sch'ema ✓" NOLOGIN;
CREATE ROLE howdah_test_gone NOLOGIN;
CREATE SCHEMA "sel""ect; --";
GRANT USAGE, CREATE ON SCHEMA "sel""ect; --" TO howdah_test_gone;
GRANT USAGE ON SCHEMA "sel""ect; --" TO PUBLIC;
CREATE TEMP TABLE s AS SELECT '"sel""ect; --"'::regnamespace::oid AS oid;

CREATE TEMP TABLE res AS SELECT howdah.replace_schema_privileges((SELECT oid FROM s),
    '[{"role": "howdah_test_sch''ema ✓", "direct": ["usage", "CREATE"], "grant_option": ["CREATE"]}]') AS v;
SELECT ok(has_schema_privilege('howdah_test_sch''ema ✓', (SELECT oid FROM s), 'USAGE')
          AND has_schema_privilege('howdah_test_sch''ema ✓', (SELECT oid FROM s), 'CREATE WITH GRANT OPTION'),
          'the listed role gets USAGE and CREATE with grant option');
SELECT ok(NOT has_schema_privilege('howdah_test_gone', (SELECT oid FROM s), 'USAGE')
          AND NOT has_schema_privilege('howdah_test_gone', (SELECT oid FROM s), 'CREATE'), 'the unlisted role loses both');
SELECT ok(NOT EXISTS (SELECT FROM aclexplode((SELECT nspacl FROM pg_namespace WHERE oid = (SELECT oid FROM s))) e WHERE e.grantee = 0),
          'PUBLIC loses USAGE');
SELECT is((SELECT v FROM res), howdah.list_schema_privileges((SELECT oid FROM s)), 'the result is list_schema_privileges');
SELECT is((SELECT jsonb_agg(x - 'role_oid' ORDER BY x -> 'owner' DESC) FROM res, jsonb_array_elements(v) x),
          jsonb_build_array(
              jsonb_build_object('role', current_user, 'owner', true, 'direct', '["USAGE", "CREATE"]'::jsonb, 'grant_option', '[]'::jsonb),
              '{"role": "howdah_test_sch''ema ✓", "owner": false, "direct": ["USAGE", "CREATE"], "grant_option": ["CREATE"]}'::jsonb),
          'the owner keeps its defaults');

CREATE TEMP TABLE before AS SELECT nspacl::text AS acl FROM pg_namespace WHERE oid = (SELECT oid FROM s);
SELECT throws_ok(format('SELECT howdah.replace_schema_privileges(%s, %L)', (SELECT oid FROM s),
                        '[{"role": "howdah_test_gone", "direct": ["USAGE"]}, {"role": "PUBLIC", "direct": ["SELECT"]}]'),
                 '22023', 'replace_schema_privileges spec for schema "sel""ect; --", entry 2: unknown schema privilege "SELECT" in ''direct''',
                 'a table privilege on a schema is refused by name');
SELECT throws_ok(format('SELECT howdah.replace_schema_privileges(%s, %L)', (SELECT oid FROM s), '{}'),
                 '22023', 'replace_schema_privileges spec for schema "sel""ect; --" must be a JSON array, got object', 'not an array');
SELECT is((SELECT nspacl::text FROM pg_namespace WHERE oid = (SELECT oid FROM s)), (SELECT acl FROM before), 'refused specs changed nothing');
SELECT throws_ok('SELECT howdah.replace_schema_privileges(4294967295, ''[]'')', '3F000',
                 'schema with oid 4294967295 does not exist', 'unknown schema oid');
SELECT throws_ok(format('SELECT howdah.replace_schema_privileges(%s, ''[]'')', 'howdah'::regnamespace::oid), '3F000',
                 format('schema with oid %s does not exist', 'howdah'::regnamespace::oid), 'howdah''s own schemas cannot be changed');

SELECT * FROM finish();
ROLLBACK;
