-- current_role_info describes the effective role, the session user, and the roles whose
-- privileges it has: direct or through another role, inherited or only through SET ROLE.
BEGIN;
SELECT plan(8);

CREATE ROLE "howdah_test_top ✓; ""group""" NOLOGIN;
CREATE ROLE howdah_test_mid NOLOGIN;
CREATE ROLE howdah_test_member NOLOGIN INHERIT;
CREATE ROLE howdah_test_noinherit NOLOGIN NOINHERIT;
GRANT "howdah_test_top ✓; ""group""" TO howdah_test_mid;
GRANT howdah_test_mid TO howdah_test_member WITH ADMIN OPTION;
GRANT howdah_test_mid TO howdah_test_noinherit;
CREATE TEMP TABLE me AS SELECT session_user::text AS login;

SET LOCAL ROLE howdah_test_member;
CREATE TEMP TABLE member_info AS SELECT howdah.current_role_info() AS v;
RESET ROLE;
SET LOCAL ROLE howdah_test_noinherit;
CREATE TEMP TABLE noinherit_info AS SELECT howdah.current_role_info() AS v;
RESET ROLE;

SELECT is((SELECT v -> 'current_role' FROM member_info),
          (SELECT x FROM jsonb_array_elements(howdah.list_roles()) x WHERE x ->> 'name' = 'howdah_test_member'),
          'current_role is the effective role, as list_roles shows it');
SELECT is((SELECT v -> 'session_user' FROM member_info),
          (SELECT jsonb_build_object('oid', r.oid::bigint, 'name', r.rolname) FROM pg_roles r, me WHERE r.rolname = me.login),
          'session_user is the login role, not the one set');
SELECT is((SELECT v -> 'parent_roles' FROM member_info),
          jsonb_build_array(
              jsonb_build_object('oid', 'howdah_test_mid'::regrole::oid::bigint, 'name', 'howdah_test_mid', 'builtin', false,
                                 'direct', true, 'admin', true, 'inherited', true),
              jsonb_build_object('oid', '"howdah_test_top ✓; ""group"""'::regrole::oid::bigint, 'name', 'howdah_test_top ✓; "group"',
                                 'builtin', false, 'direct', false, 'admin', false, 'inherited', true)),
          'parent roles: the direct one with its admin option, and the one reached through it');
SELECT is((SELECT jsonb_agg(jsonb_build_object(p ->> 'name', p -> 'inherited')) FROM noinherit_info, jsonb_array_elements(v -> 'parent_roles') p),
          '[{"howdah_test_mid": false}, {"howdah_test_top ✓; \"group\"": false}]',
          'a NOINHERIT role is a member but does not inherit the privileges');
SELECT is((SELECT (v -> 'current_role' ->> 'inherits')::boolean FROM noinherit_info), false, 'and says so itself');

-- The top role has no parents.
SET LOCAL ROLE "howdah_test_top ✓; ""group""";
CREATE TEMP TABLE top_info AS SELECT howdah.current_role_info() AS v;
RESET ROLE;
SELECT is((SELECT v -> 'parent_roles' FROM top_info), '[]', 'a role that belongs to nothing has no parent roles');
SELECT is((SELECT v -> 'current_role' ->> 'name' FROM top_info), 'howdah_test_top ✓; "group"', 'hostile names come back verbatim');

-- A superuser is a member of every role.
SELECT is((SELECT jsonb_array_length(howdah.current_role_info() -> 'parent_roles')),
          (SELECT count(*)::int - 1 FROM pg_roles), 'a superuser''s parent roles are every other role');

SELECT * FROM finish();
ROLLBACK;
