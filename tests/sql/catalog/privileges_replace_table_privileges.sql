-- replace_table_privileges: listed roles end with exactly the listed privileges (and grant
-- options), unlisted grantees (PUBLIC included) lose theirs, the owner is never changed; roles
-- may be named or given by oid; hostile names throughout; a second identical call changes
-- nothing.
BEGIN;
SELECT plan(14);

CREATE ROLE "howdah_test_a""; DROP TABLE x; --" NOLOGIN;
CREATE ROLE "howdah_test_b ünï" NOLOGIN;
CREATE ROLE howdah_test_c NOLOGIN;
CREATE ROLE howdah_test_owner NOLOGIN;
CREATE ROLE "PUBLIC" NOLOGIN;   -- a real role spelled PUBLIC, only reachable by oid
CREATE SCHEMA "we""ird; schema";
CREATE TABLE "we""ird; schema"."user" (id int PRIMARY KEY, "näme" text);
ALTER TABLE "we""ird; schema"."user" OWNER TO howdah_test_owner;
GRANT SELECT, DELETE ON "we""ird; schema"."user" TO howdah_test_c;
GRANT SELECT ON "we""ird; schema"."user" TO PUBLIC;
REVOKE TRUNCATE ON "we""ird; schema"."user" FROM howdah_test_owner;
CREATE TEMP TABLE t AS SELECT '"we""ird; schema"."user"'::regclass::oid AS oid;

CREATE TEMP TABLE res AS SELECT howdah.replace_table_privileges((SELECT oid FROM t), jsonb_build_array(
    jsonb_build_object('role', 'howdah_test_a"; DROP TABLE x; --', 'direct', '["SELECT", "update"]'::jsonb),
    jsonb_build_object('role_oid', '"howdah_test_b ünï"'::regrole::oid::bigint, 'direct', '["INSERT", "SELECT"]'::jsonb,
                       'grant_option', '["SELECT"]'::jsonb),
    jsonb_build_object('role_oid', ('"PUBLIC"'::regrole::oid)::text, 'direct', '["REFERENCES"]'::jsonb),
    jsonb_build_object('role', 'howdah_test_owner', 'direct', '[]'::jsonb))) AS v;

SELECT ok(has_table_privilege('howdah_test_a"; DROP TABLE x; --', (SELECT oid FROM t), 'SELECT')
          AND has_table_privilege('howdah_test_a"; DROP TABLE x; --', (SELECT oid FROM t), 'UPDATE')
          AND NOT has_table_privilege('howdah_test_a"; DROP TABLE x; --', (SELECT oid FROM t), 'INSERT'),
          'a role named like an injection gets exactly SELECT and UPDATE (case of keywords ignored)');
SELECT ok(has_table_privilege('howdah_test_b ünï', (SELECT oid FROM t), 'SELECT WITH GRANT OPTION')
          AND has_table_privilege('howdah_test_b ünï', (SELECT oid FROM t), 'INSERT')
          AND NOT has_table_privilege('howdah_test_b ünï', (SELECT oid FROM t), 'INSERT WITH GRANT OPTION'),
          'a role given by oid gets INSERT, and SELECT with grant option');
SELECT ok(has_table_privilege('"PUBLIC"'::regrole::oid, (SELECT oid FROM t), 'REFERENCES'), 'the real role "PUBLIC" given by oid (as a string)');
SELECT ok(NOT has_table_privilege('howdah_test_c', (SELECT oid FROM t), 'SELECT')
          AND NOT has_table_privilege('howdah_test_c', (SELECT oid FROM t), 'DELETE'), 'an unlisted role loses everything');
SELECT ok(NOT EXISTS (SELECT FROM aclexplode((SELECT relacl FROM pg_class WHERE oid = (SELECT oid FROM t))) e WHERE e.grantee = 0),
          'PUBLIC, unlisted, loses its SELECT');
SELECT is((SELECT array_agg(e.privilege_type ORDER BY e.privilege_type)
             FROM aclexplode((SELECT relacl FROM pg_class WHERE oid = (SELECT oid FROM t))) e
            WHERE e.grantee = 'howdah_test_owner'::regrole),
          '{DELETE,INSERT,REFERENCES,SELECT,TRIGGER,UPDATE}', 'the owner is never changed, even when listed with nothing');
SELECT is((SELECT v FROM res), howdah.list_table_privileges((SELECT oid FROM t)), 'the result is list_table_privileges');
SELECT is((SELECT jsonb_object_agg(x ->> 'role', x -> 'direct') FROM res, jsonb_array_elements(v) x WHERE NOT (x ->> 'owner')::boolean),
          '{"howdah_test_a\"; DROP TABLE x; --": ["SELECT", "UPDATE"], "howdah_test_b ünï": ["SELECT", "INSERT"], "PUBLIC": ["REFERENCES"]}',
          'and lists what was asked for');
SELECT ok(to_regclass('x') IS NULL AND to_regclass('"we""ird; schema"."user"') IS NOT NULL, 'nothing was injected');

-- The same spec again changes nothing; then take the grant option away and PUBLIC back in.
CREATE TEMP TABLE acl_before AS SELECT relacl FROM pg_class WHERE oid = (SELECT oid FROM t);
CREATE TEMP TABLE again AS
    SELECT howdah.replace_table_privileges((SELECT oid FROM t), (SELECT jsonb_agg(x - 'owner' - 'role') FROM res, jsonb_array_elements(v) x));
SELECT is((SELECT relacl::text FROM pg_class WHERE oid = (SELECT oid FROM t)), (SELECT relacl::text FROM acl_before),
          'feeding list_table_privileges back (by role_oid) changes nothing');
CREATE TEMP TABLE fewer AS SELECT howdah.replace_table_privileges((SELECT oid FROM t), jsonb_build_array(
    jsonb_build_object('role', 'howdah_test_b ünï', 'direct', '["SELECT"]'::jsonb),
    '{"role": "PUBLIC", "direct": ["SELECT"]}'::jsonb));
SELECT ok(has_table_privilege('howdah_test_b ünï', (SELECT oid FROM t), 'SELECT')
          AND NOT has_table_privilege('howdah_test_b ünï', (SELECT oid FROM t), 'SELECT WITH GRANT OPTION')
          AND NOT has_table_privilege('howdah_test_b ünï', (SELECT oid FROM t), 'INSERT'),
          'the grant option and INSERT are taken away, SELECT stays');
SELECT is((SELECT jsonb_agg(x ->> 'role') FROM jsonb_array_elements(howdah.list_table_privileges((SELECT oid FROM t))) x),
          '["PUBLIC", "howdah_test_b ünï", "howdah_test_owner"]', '"role": "PUBLIC" is the PUBLIC grantee; the rest are gone');

-- An empty spec leaves only the owner; a member of the owning role may do it.
CREATE ROLE howdah_test_owner_member NOLOGIN IN ROLE howdah_test_owner;
GRANT USAGE ON SCHEMA "we""ird; schema" TO howdah_test_owner;
GRANT SELECT ON t TO howdah_test_owner_member;
SET LOCAL ROLE howdah_test_owner_member;
CREATE TEMP TABLE emptied AS SELECT howdah.replace_table_privileges((SELECT oid FROM t), '[]') AS v;
RESET ROLE;
SELECT is((SELECT jsonb_agg(x ->> 'role') FROM emptied, jsonb_array_elements(v) x), '["howdah_test_owner"]',
          'an empty spec, run by a member of the owning role, leaves only the owner');
SELECT is((SELECT count(*)::int FROM aclexplode((SELECT relacl FROM pg_class WHERE oid = (SELECT oid FROM t))) e
            WHERE e.grantor <> 'howdah_test_owner'::regrole), 0, 'every grant was made as the owner');

SELECT * FROM finish();
ROLLBACK;
