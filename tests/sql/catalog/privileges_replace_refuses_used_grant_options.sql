-- replace_table_privileges and replace_schema_privileges refuse to take a grant option from a
-- role that has used it to grant the privilege to others (PostgreSQL's REVOKE would need
-- CASCADE): 2BP01 naming the object, both roles and the privilege, with a hint, before any
-- change. Keeping that grant option (and the others' grants) works.
BEGIN;
SELECT plan(10);

CREATE ROLE "howdah_test_gr""ant; A" NOLOGIN;
CREATE ROLE "howdah_test_b ✓" NOLOGIN;
CREATE SCHEMA "gr; sch ✓";
CREATE TABLE "gr; sch ✓"."t""q" (id int);
GRANT USAGE ON SCHEMA "gr; sch ✓" TO "howdah_test_gr""ant; A";
GRANT SELECT, UPDATE ON "gr; sch ✓"."t""q" TO "howdah_test_gr""ant; A" WITH GRANT OPTION;
GRANT SELECT ON "gr; sch ✓"."t""q" TO PUBLIC;
SET LOCAL ROLE "howdah_test_gr""ant; A";
GRANT SELECT ON "gr; sch ✓"."t""q" TO "howdah_test_b ✓";
RESET ROLE;
CREATE TEMP TABLE t AS SELECT '"gr; sch ✓"."t""q"'::regclass::oid AS oid,
                              (SELECT relacl::text FROM pg_class WHERE oid = '"gr; sch ✓"."t""q"'::regclass) AS acl;
CREATE FUNCTION pg_temp.try(spec text) RETURNS text LANGUAGE sql
RETURN format('SELECT howdah.replace_table_privileges(%s, %L)', (SELECT oid FROM t), spec);

SELECT throws_ok(pg_temp.try('[]'), '2BP01',
                 'cannot take the grant option for SELECT on table "gr; sch ✓"."t""q" from "howdah_test_gr""ant; A": "howdah_test_gr""ant; A" has granted SELECT to "howdah_test_b ✓" with it',
                 'an empty spec: 2BP01 naming the table, both roles and the privilege');
CREATE FUNCTION pg_temp.hint(spec text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE h text;
BEGIN
    EXECUTE pg_temp.try(spec);
    RETURN NULL;
EXCEPTION WHEN dependent_objects_still_exist THEN
    GET STACKED DIAGNOSTICS h = PG_EXCEPTION_HINT;
    RETURN h;
END $$;
SELECT is(pg_temp.hint('[]'),
          'keep SELECT in the grant_option of "howdah_test_gr""ant; A", or first remove what it granted: as "howdah_test_gr""ant; A", '
          'REVOKE SELECT ON TABLE "gr; sch ✓"."t""q" FROM "howdah_test_b ✓"; or as the owner, REVOKE SELECT ON TABLE "gr; sch ✓"."t""q" FROM "howdah_test_gr""ant; A" CASCADE',
          'the hint says how to go on, with the statements');
SELECT throws_ok(pg_temp.try('[{"role": "howdah_test_gr\"ant; A", "direct": ["SELECT", "UPDATE"], "grant_option": ["UPDATE"]},
                               {"role": "howdah_test_b ✓", "direct": ["SELECT"]}, {"role": "PUBLIC", "direct": ["SELECT"]}]'),
                 '2BP01', NULL, 'keeping SELECT but not its grant option is refused too');
SELECT is((SELECT relacl::text FROM pg_class WHERE oid = (SELECT oid FROM t)), (SELECT acl FROM t), 'the refusals changed nothing');

-- Keeping the grant option that was used works; an unused one (UPDATE) may go.
CREATE TEMP TABLE kept AS SELECT howdah.replace_table_privileges((SELECT oid FROM t),
    '[{"role": "howdah_test_gr\"ant; A", "direct": ["SELECT"], "grant_option": ["SELECT"]},
      {"role": "howdah_test_b ✓", "direct": ["SELECT"]}]') AS v;
SELECT ok(has_table_privilege('howdah_test_gr"ant; A', (SELECT oid FROM t), 'SELECT WITH GRANT OPTION')
          AND NOT has_table_privilege('howdah_test_gr"ant; A', (SELECT oid FROM t), 'UPDATE'),
          'A keeps SELECT with grant option and loses UPDATE');
SELECT ok(has_table_privilege('howdah_test_b ✓', (SELECT oid FROM t), 'SELECT')
          AND NOT EXISTS (SELECT FROM aclexplode((SELECT relacl FROM pg_class WHERE oid = (SELECT oid FROM t))) e WHERE e.grantee = 0),
          'B keeps the SELECT A granted; PUBLIC lost its SELECT');

-- Schemas: the same for USAGE.
CREATE SCHEMA "gr; other";
GRANT USAGE ON SCHEMA "gr; other" TO "howdah_test_gr""ant; A" WITH GRANT OPTION;
SET LOCAL ROLE "howdah_test_gr""ant; A";
GRANT USAGE ON SCHEMA "gr; other" TO PUBLIC;
RESET ROLE;
CREATE TEMP TABLE s AS SELECT '"gr; other"'::regnamespace::oid AS oid,
                              (SELECT nspacl::text FROM pg_namespace WHERE oid = '"gr; other"'::regnamespace) AS acl;
SELECT throws_ok(format('SELECT howdah.replace_schema_privileges(%s, %L)', (SELECT oid FROM s), '[{"role": "PUBLIC", "direct": ["USAGE"]}]'),
                 '2BP01',
                 'cannot take the grant option for USAGE on schema "gr; other" from "howdah_test_gr""ant; A": "howdah_test_gr""ant; A" has granted USAGE to PUBLIC with it',
                 'replace_schema_privileges: 2BP01 naming the schema, both roles and the privilege');
SELECT is((SELECT nspacl::text FROM pg_namespace WHERE oid = (SELECT oid FROM s)), (SELECT acl FROM s), 'and changed nothing');
SELECT lives_ok(format('SELECT howdah.replace_schema_privileges(%s, %L)', (SELECT oid FROM s),
                       '[{"role": "PUBLIC", "direct": ["USAGE"]}, {"role": "howdah_test_gr\"ant; A", "direct": ["USAGE"], "grant_option": ["USAGE"]}]'),
                'keeping the used grant option works');
SELECT is((SELECT nspacl::text FROM pg_namespace WHERE oid = (SELECT oid FROM s)), (SELECT acl FROM s), 'and, since it is what is there, changes nothing');

SELECT * FROM finish();
ROLLBACK;
