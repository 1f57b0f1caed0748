-- replace_table_privileges validates the whole spec before any GRANT or REVOKE: every bad
-- entry gets 22023 or 42704 naming the entry, key, privilege or role, and the ACL is left as it
-- was — also when only the last entry is bad, and when a grant made by another role would
-- survive the owner's REVOKE.
BEGIN;
SELECT plan(24);

CREATE ROLE howdah_test_good NOLOGIN;
CREATE ROLE howdah_test_other NOLOGIN;
CREATE SCHEMA "sch; x";
CREATE TABLE "sch; x"."t""q" (id int);
GRANT SELECT ON "sch; x"."t""q" TO howdah_test_other;
GRANT SELECT ON "sch; x"."t""q" TO PUBLIC;
CREATE TEMP TABLE t AS SELECT '"sch; x"."t""q"'::regclass::oid AS oid,
                              (SELECT relacl::text FROM pg_class WHERE oid = '"sch; x"."t""q"'::regclass) AS acl;
CREATE FUNCTION pg_temp.try(spec text) RETURNS text LANGUAGE sql
RETURN format('SELECT howdah.replace_table_privileges(%s, %L)', (SELECT oid FROM t), spec);
CREATE FUNCTION pg_temp.msg(entry int, rest text) RETURNS text LANGUAGE sql
RETURN format('replace_table_privileges spec for table "sch; x"."t""q", entry %s: %s', entry, rest);

SELECT throws_ok(pg_temp.try('{"role": "howdah_test_good"}'), '22023',
                 'replace_table_privileges spec for table "sch; x"."t""q" must be a JSON array, got object', 'not an array');
SELECT throws_ok(pg_temp.try('null'), '22023',
                 'replace_table_privileges spec for table "sch; x"."t""q" must be a JSON array, got null', 'JSON null');
SELECT throws_ok(pg_temp.try('["howdah_test_good"]'), '22023',
                 'replace_table_privileges spec for table "sch; x"."t""q", entry 1 must be a JSON object, got string', 'an entry that is not an object');
SELECT throws_ok(pg_temp.try('[{"role": "howdah_test_good", "direct": [], "colour": "red"}]'), '22023',
                 pg_temp.msg(1, 'unknown key ''colour'''), 'an unknown key, by name');
SELECT throws_ok(pg_temp.try('[{"direct": ["SELECT"]}]'), '22023',
                 pg_temp.msg(1, 'give exactly one of "role" and "role_oid"'), 'no role');
SELECT throws_ok(pg_temp.try(format('[{"role": "howdah_test_good", "role_oid": %s, "direct": []}]', 'howdah_test_good'::regrole::oid)), '22023',
                 pg_temp.msg(1, 'give exactly one of "role" and "role_oid"'), 'both role and role_oid');
SELECT throws_ok(pg_temp.try('[{"role": 5, "direct": []}]'), '22023',
                 pg_temp.msg(1, 'key ''role'' must be a string, got number'), 'a role that is not a string');
SELECT throws_ok(pg_temp.try('[{"role_oid": "12ab", "direct": []}]'), '22023',
                 pg_temp.msg(1, 'key ''role_oid'' (an oid) must be a whole number from 0 to 4294967295, got "12ab"'), 'a role_oid that is not an integer');
SELECT throws_ok(pg_temp.try('[{"role_oid": 1.5, "direct": []}]'), '22023',
                 pg_temp.msg(1, 'key ''role_oid'' (an oid) must be a whole number from 0 to 4294967295, got 1.5'), 'a fractional role_oid');
SELECT throws_ok(pg_temp.try('[{"role": "howdah_test_good", "direct": []}, {"role": "howdah_test_nobody''s \"here\"", "direct": []}]'), '42704',
                 pg_temp.msg(2, 'role ''howdah_test_nobody''''s "here"'' does not exist'), 'an unknown role name, quoted');
SELECT throws_ok(pg_temp.try('[{"role_oid": 4294967295, "direct": []}]'), '42704',
                 pg_temp.msg(1, 'role with oid 4294967295 does not exist'), 'an unknown role oid');
SELECT throws_ok(pg_temp.try('[{"role": "howdah_test_good"}]'), '22023',
                 pg_temp.msg(1, 'key ''direct'' is required'), 'direct is required');
SELECT throws_ok(pg_temp.try('[{"role": "howdah_test_good", "direct": "SELECT"}]'), '22023',
                 pg_temp.msg(1, 'key ''direct'' must be an array of privileges, got string'), 'direct must be an array');
SELECT throws_ok(pg_temp.try('[{"role": "howdah_test_good", "direct": ["SELECT", "SELECT; DROP TABLE t"]}]'), '22023',
                 pg_temp.msg(1, 'unknown table privilege "SELECT; DROP TABLE t" in ''direct'''), 'an unknown privilege, by name');
SELECT throws_ok(pg_temp.try('[{"role": "howdah_test_good", "direct": ["USAGE"]}]'), '22023',
                 pg_temp.msg(1, 'unknown table privilege "USAGE" in ''direct'''), 'a schema privilege on a table');
SELECT throws_ok(pg_temp.try('[{"role": "howdah_test_good", "direct": ["SELECT"], "grant_option": ["UPDATE"]}]'), '22023',
                 pg_temp.msg(1, 'grant_option lists UPDATE, which "direct" does not'), 'a grant option without the privilege');
SELECT throws_ok(pg_temp.try('[{"role": "PUBLIC", "direct": ["SELECT"], "grant_option": ["SELECT"]}]'), '22023',
                 pg_temp.msg(1, 'PUBLIC cannot hold grant options'), 'PUBLIC with a grant option');
SELECT throws_ok(pg_temp.try(format('[{"role": "howdah_test_good", "direct": []}, {"role_oid": "%s", "direct": ["SELECT"]}]',
                                    'howdah_test_good'::regrole::oid)), '22023',
                 pg_temp.msg(2, 'role howdah_test_good is listed twice'), 'a role listed twice (by name, then by oid)');
SELECT throws_ok(pg_temp.try('[{"role": "howdah_test_good", "direct": ["SELECT"]}, {"role": "PUBLIC", "direct": ["DROP"]}]'), '22023',
                 pg_temp.msg(2, 'unknown table privilege "DROP" in ''direct'''), 'a good entry then a bad one');
SELECT is((SELECT relacl::text FROM pg_class WHERE oid = (SELECT oid FROM t)), (SELECT acl FROM t),
          'after all those refusals the ACL is as it was');
SELECT ok(NOT EXISTS (SELECT FROM aclexplode((SELECT relacl FROM pg_class WHERE oid = (SELECT oid FROM t))) e
                       WHERE e.grantee = 'howdah_test_good'::regrole),
          'the good entry of a refused spec was not applied');

-- A grant made by another role (through its grant option) cannot be revoked by the owner: the
-- call fails as a whole.
GRANT UPDATE ON "sch; x"."t""q" TO howdah_test_good WITH GRANT OPTION;
GRANT USAGE ON SCHEMA "sch; x" TO howdah_test_good;
SET LOCAL ROLE howdah_test_good;
GRANT UPDATE ON "sch; x"."t""q" TO howdah_test_other;
RESET ROLE;
UPDATE t SET acl = (SELECT relacl::text FROM pg_class WHERE oid = (SELECT oid FROM t));
SELECT throws_ok(pg_temp.try('[{"role": "howdah_test_good", "direct": ["UPDATE"], "grant_option": ["UPDATE"]}, {"role": "howdah_test_other", "direct": ["SELECT"]}]'),
                 '42501', 'UPDATE on table "sch; x"."t""q" was granted to howdah_test_other by howdah_test_good and cannot be revoked by the owner',
                 'a grant by another role that would survive is an error naming both roles');
SELECT throws_ok(pg_temp.try('[{"role": "howdah_test_other", "direct": ["SELECT"]}]'),
                 '2BP01', 'cannot take the grant option for UPDATE on table "sch; x"."t""q" from howdah_test_good: howdah_test_good has granted UPDATE to howdah_test_other with it',
                 'revoking a grant option others used is refused up front, naming the table, the roles and the privilege');
SELECT is((SELECT relacl::text FROM pg_class WHERE oid = (SELECT oid FROM t)), (SELECT acl FROM t),
          'and those refusals changed nothing either (PUBLIC still has SELECT)');

SELECT * FROM finish();
ROLLBACK;
