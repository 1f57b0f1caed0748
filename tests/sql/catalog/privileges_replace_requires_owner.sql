-- Only an owner of the table or schema (or a member of the owning role, or a superuser) may
-- replace its privileges: a reader, a role holding a grant option, and a stranger get 42501
-- naming the object, and nothing changes. Without howdah, PostgreSQL refuses them the same way.
BEGIN;
SELECT plan(9);

CREATE ROLE howdah_test_owner NOLOGIN;
CREATE ROLE howdah_test_reader NOLOGIN;
CREATE ROLE howdah_test_granter NOLOGIN;
CREATE ROLE howdah_test_stranger NOLOGIN;
CREATE SCHEMA "Owned ✓";
ALTER SCHEMA "Owned ✓" OWNER TO howdah_test_owner;
CREATE TABLE "Owned ✓"."in; table" (id int);
ALTER TABLE "Owned ✓"."in; table" OWNER TO howdah_test_owner;
GRANT USAGE ON SCHEMA "Owned ✓" TO howdah_test_reader, howdah_test_granter, howdah_test_stranger;
GRANT SELECT ON "Owned ✓"."in; table" TO howdah_test_reader;
GRANT SELECT ON "Owned ✓"."in; table" TO howdah_test_granter WITH GRANT OPTION;
GRANT USAGE ON SCHEMA tap TO howdah_test_reader, howdah_test_granter, howdah_test_stranger;
CREATE TEMP TABLE before AS
    SELECT (SELECT relacl::text FROM pg_class WHERE oid = '"Owned ✓"."in; table"'::regclass) AS t,
           (SELECT nspacl::text FROM pg_namespace WHERE oid = '"Owned ✓"'::regnamespace) AS s;
CREATE FUNCTION pg_temp.tab_sql(spec text) RETURNS text LANGUAGE sql
RETURN format('SELECT howdah.replace_table_privileges(%s, %L)', '"Owned ✓"."in; table"'::regclass::oid, spec);
CREATE FUNCTION pg_temp.sch_sql(spec text) RETURNS text LANGUAGE sql
RETURN format('SELECT howdah.replace_schema_privileges(%s, %L)', '"Owned ✓"'::regnamespace::oid, spec);
CREATE TEMP TABLE sql AS SELECT pg_temp.tab_sql('[{"role": "howdah_test_stranger", "direct": ["SELECT"]}]') AS tab,
                                pg_temp.sch_sql('[]') AS sch;
GRANT SELECT ON sql TO PUBLIC;

SET LOCAL ROLE howdah_test_reader;
SELECT throws_ok((SELECT tab FROM sql), '42501', 'must be owner of table "Owned ✓"."in; table" to replace its privileges',
                 'a reader may not replace the table''s privileges');
SELECT throws_ok((SELECT sch FROM sql), '42501', 'must be owner of schema "Owned ✓" to replace its privileges',
                 'nor the schema''s');
RESET ROLE;
SET LOCAL ROLE howdah_test_granter;
SELECT throws_ok((SELECT tab FROM sql), '42501', 'must be owner of table "Owned ✓"."in; table" to replace its privileges',
                 'a role with a grant option may GRANT by hand, but not replace the whole ACL');
RESET ROLE;
SET LOCAL ROLE howdah_test_stranger;
SELECT throws_ok((SELECT tab FROM sql), '42501', 'must be owner of table "Owned ✓"."in; table" to replace its privileges',
                 'a stranger may not');
SELECT throws_ok(pg_temp.tab_sql('[]'), '42501', NULL, 'not even with an empty spec');
SELECT throws_ok('GRANT SELECT ON "Owned ✓"."in; table" TO howdah_test_stranger', '42501', 'permission denied for table in; table',
                 'PostgreSQL itself refuses the stranger''s GRANT');
RESET ROLE;
SELECT is((SELECT relacl::text FROM pg_class WHERE oid = '"Owned ✓"."in; table"'::regclass), (SELECT t FROM before),
          'the table''s ACL is unchanged');
SELECT is((SELECT nspacl::text FROM pg_namespace WHERE oid = '"Owned ✓"'::regnamespace), (SELECT s FROM before),
          'the schema''s ACL is unchanged');

SET LOCAL ROLE howdah_test_owner;
CREATE TEMP TABLE owner_did AS SELECT howdah.replace_table_privileges('"Owned ✓"."in; table"'::regclass,
    '[{"role": "howdah_test_stranger", "direct": ["SELECT"]}]') AS v;
RESET ROLE;
SELECT is((SELECT jsonb_agg(x ->> 'role' ORDER BY x ->> 'role') FROM owner_did, jsonb_array_elements(v) x),
          '["howdah_test_owner", "howdah_test_stranger"]', 'the owner may (the reader and the granter lost their grants)');

SELECT * FROM finish();
ROLLBACK;
