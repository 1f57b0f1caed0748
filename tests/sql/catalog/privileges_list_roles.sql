-- list_roles shows every role with its attributes, comment and direct members; hostile role
-- names come back exactly; PostgreSQL's predefined roles are listed and marked builtin; every
-- role may call it.
BEGIN;
SELECT plan(12);

CREATE TEMP TABLE hostile(name text);
INSERT INTO hostile VALUES ('howdah_test_we"ird''q'), ('howdah_test_semi;colon'), ('howdah_test_has space'),
                           ('howdah_test_ünïcødé ✓'), ('howdah_test_' || repeat('x', 51));
DO $$ DECLARE n text; BEGIN
    FOR n IN SELECT name FROM hostile LOOP EXECUTE format('CREATE ROLE %I NOLOGIN', n); END LOOP;
END $$;
CREATE ROLE howdah_test_boss LOGIN CREATEDB CREATEROLE NOINHERIT;
COMMENT ON ROLE howdah_test_boss IS 'runs ''it''; all';
GRANT howdah_test_boss TO "howdah_test_we""ird'q" WITH ADMIN OPTION;
GRANT howdah_test_boss TO "howdah_test_semi;colon";

CREATE TEMP TABLE r AS SELECT howdah.list_roles() AS v;
CREATE TEMP TABLE boss AS SELECT x AS j FROM r, jsonb_array_elements(r.v) x WHERE x ->> 'name' = 'howdah_test_boss';

SELECT is(length('howdah_test_' || repeat('x', 51)), 63, 'the long role name is 63 bytes');
SELECT is((SELECT count(*)::int FROM hostile h, r, jsonb_array_elements(r.v) x WHERE x ->> 'name' = h.name),
          5, 'every hostile role name is listed exactly once, verbatim');
SELECT is((SELECT count(*)::int FROM hostile h, r, jsonb_array_elements(r.v) x
            WHERE x ->> 'name' = h.name AND x -> 'oid' = (SELECT to_jsonb(oid::bigint) FROM pg_roles WHERE rolname = h.name)),
          5, 'with their oids');
SELECT is((SELECT j - 'members' - 'oid' FROM boss),
          '{"name": "howdah_test_boss", "builtin": false, "super": false, "inherits": false, "create_role": true,
            "create_db": true, "login": true, "description": "runs ''it''; all"}',
          'attributes and comment of a role');
SELECT is((SELECT j -> 'members' FROM boss),
          (SELECT jsonb_agg(jsonb_build_object('oid', m.oid::bigint, 'admin', m.rolname = 'howdah_test_we"ird''q') ORDER BY m.oid)
             FROM pg_roles m WHERE m.rolname IN ('howdah_test_we"ird''q', 'howdah_test_semi;colon')),
          'direct members with their admin option');
SELECT is((SELECT x -> 'members' FROM r, jsonb_array_elements(r.v) x WHERE x ->> 'name' = 'howdah_test_semi;colon'),
          '[]', 'a role without members has an empty list');
SELECT is((SELECT jsonb_agg(x ->> 'name' ORDER BY x ->> 'name') FROM r, jsonb_array_elements(r.v) x WHERE (x ->> 'builtin')::boolean),
          (SELECT jsonb_agg(rolname ORDER BY rolname) FROM pg_roles WHERE rolname LIKE 'pg\_%'),
          'the predefined pg_* roles are listed and marked builtin');
SELECT ok((SELECT (x -> 'members') @> jsonb_build_array(jsonb_build_object('oid', 'pg_monitor'::regrole::oid::bigint))
             FROM r, jsonb_array_elements(r.v) x WHERE x ->> 'name' = 'pg_read_all_stats'),
          'builtin memberships are shown too (pg_monitor is a member of pg_read_all_stats)');
SELECT is((SELECT jsonb_array_length(v) FROM r), (SELECT count(*)::int FROM pg_roles), 'every role of the cluster');
SELECT is((SELECT array_agg(x ->> 'name' ORDER BY i) FROM r, jsonb_array_elements(r.v) WITH ORDINALITY AS e(x, i)),
          (SELECT array_agg(x ->> 'name' ORDER BY x ->> 'name') FROM r, jsonb_array_elements(r.v) x),
          'sorted by name');

-- An unprivileged role sees the same list.
CREATE ROLE howdah_test_nobody NOLOGIN;
SET LOCAL ROLE howdah_test_nobody;
CREATE TEMP TABLE nobody_saw AS SELECT howdah.list_roles() AS v;
RESET ROLE;
SELECT is((SELECT v FROM nobody_saw), howdah.list_roles(), 'an unprivileged role sees every role too');
SELECT ok((SELECT v FROM nobody_saw) @> '[{"name": "howdah_test_boss", "create_db": true}]', 'including others'' attributes');

SELECT * FROM finish();
ROLLBACK;
