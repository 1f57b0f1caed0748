-- list_table_privileges / list_schema_privileges group the object's ACL by grantee: the owner's
-- defaults when never granted, PUBLIC as role_oid 0, grant options, hostile names; any role may
-- read them; unknown oids are errors.
BEGIN;
SELECT plan(12);

CREATE ROLE howdah_test_owner NOLOGIN;
CREATE ROLE "howdah_test_r;""ole ü" NOLOGIN;
CREATE ROLE howdah_test_stranger NOLOGIN;
CREATE SCHEMA "table";
ALTER SCHEMA "table" OWNER TO howdah_test_owner;
CREATE TABLE "table"."sel""ect; x" (id int);
ALTER TABLE "table"."sel""ect; x" OWNER TO howdah_test_owner;
CREATE VIEW "table"."a view" AS SELECT 1 AS one;

SELECT is(howdah.list_table_privileges('"table"."sel""ect; x"'::regclass),
          jsonb_build_array(jsonb_build_object('role_oid', 'howdah_test_owner'::regrole::oid::bigint, 'role', 'howdah_test_owner', 'owner', true,
              'direct', '["SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER"]'::jsonb, 'grant_option', '[]'::jsonb)),
          'a table never granted shows the owner''s default privileges');

GRANT SELECT, UPDATE ON "table"."sel""ect; x" TO "howdah_test_r;""ole ü" WITH GRANT OPTION;
GRANT INSERT ON "table"."sel""ect; x" TO "howdah_test_r;""ole ü";
GRANT SELECT ON "table"."sel""ect; x" TO PUBLIC;
REVOKE TRUNCATE ON "table"."sel""ect; x" FROM howdah_test_owner;

CREATE TEMP TABLE l AS SELECT howdah.list_table_privileges('"table"."sel""ect; x"'::regclass) AS v;
SELECT is((SELECT v -> 0 FROM l), '{"role_oid": 0, "role": "PUBLIC", "owner": false, "direct": ["SELECT"], "grant_option": []}',
          'PUBLIC comes first, as role_oid 0');
SELECT is((SELECT x FROM l, jsonb_array_elements(v) x WHERE x ->> 'role' = 'howdah_test_r;"ole ü'),
          jsonb_build_object('role_oid', '"howdah_test_r;""ole ü"'::regrole::oid::bigint, 'role', 'howdah_test_r;"ole ü', 'owner', false,
              'direct', '["SELECT", "INSERT", "UPDATE"]'::jsonb, 'grant_option', '["SELECT", "UPDATE"]'::jsonb),
          'a hostile role name, its privileges in PostgreSQL''s order and its grant options');
SELECT is((SELECT x -> 'direct' FROM l, jsonb_array_elements(v) x WHERE (x ->> 'owner')::boolean),
          '["SELECT", "INSERT", "UPDATE", "DELETE", "REFERENCES", "TRIGGER"]', 'the owner''s own revoke shows');
SELECT is((SELECT jsonb_agg(x ->> 'role') FROM l, jsonb_array_elements(v) x), '["PUBLIC", "howdah_test_owner", "howdah_test_r;\"ole ü"]',
          'PUBLIC first, then by role name');

SELECT is(howdah.list_table_privileges('"table"."a view"'::regclass) -> 0 ->> 'role', current_user::text, 'views have privileges too');

-- Schemas
SELECT is(howdah.list_schema_privileges('"table"'::regnamespace),
          jsonb_build_array(jsonb_build_object('role_oid', 'howdah_test_owner'::regrole::oid::bigint, 'role', 'howdah_test_owner', 'owner', true,
              'direct', '["USAGE", "CREATE"]'::jsonb, 'grant_option', '[]'::jsonb)),
          'a schema never granted shows the owner''s defaults');
GRANT USAGE ON SCHEMA "table" TO PUBLIC;
GRANT CREATE ON SCHEMA "table" TO "howdah_test_r;""ole ü" WITH GRANT OPTION;
SELECT is(howdah.list_schema_privileges('"table"'::regnamespace) - 1,
          jsonb_build_array(
              '{"role_oid": 0, "role": "PUBLIC", "owner": false, "direct": ["USAGE"], "grant_option": []}'::jsonb,
              jsonb_build_object('role_oid', '"howdah_test_r;""ole ü"'::regrole::oid::bigint, 'role', 'howdah_test_r;"ole ü', 'owner', false,
                  'direct', '["CREATE"]'::jsonb, 'grant_option', '["CREATE"]'::jsonb)),
          'schema grants to PUBLIC and to a hostile role');

-- Anyone may read them (ACLs are public in pg_class and pg_namespace).
GRANT USAGE ON SCHEMA tap TO howdah_test_stranger;
SET LOCAL ROLE howdah_test_stranger;
CREATE TEMP TABLE stranger_saw AS
    SELECT howdah.list_table_privileges('"table"."sel""ect; x"'::regclass) AS t, howdah.list_schema_privileges('"table"'::regnamespace) AS s;
SELECT throws_ok($$SELECT howdah.list_table_privileges(4294967295)$$, '42P01', 'table with oid 4294967295 does not exist',
                 'unknown table oid, even for a stranger');
RESET ROLE;
SELECT is((SELECT t FROM stranger_saw), (SELECT v FROM l), 'a role without any privilege reads the same table list');
SELECT is((SELECT s FROM stranger_saw), howdah.list_schema_privileges('"table"'::regnamespace), 'and the same schema list');

SELECT throws_ok($$SELECT howdah.list_schema_privileges('howdah_internal'::regnamespace)$$, '3F000',
                 format('schema with oid %s does not exist', 'howdah_internal'::regnamespace::oid), 'hidden schemas are unknown');

SELECT * FROM finish();
ROLLBACK;
