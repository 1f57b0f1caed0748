-- current_role_priv of every table and column in get_schema_table_details is what
-- has_table_privilege and has_column_privilege say for the caller, for roles that get privileges
-- through table grants, column grants, PUBLIC, a group (inherited or not) and ownership through
-- a group. get_schema_table_details asks the table once and a column only when it has an ACL of
-- its own; this checks that shortcut against the functions it stands for.
BEGIN;
SELECT plan(10);

CREATE SCHEMA "priv; s";
CREATE TABLE "priv; s".t (id int PRIMARY KEY, a text, "b c" text, d int, gone int);
ALTER TABLE "priv; s".t DROP COLUMN gone;
CREATE TABLE "priv; s".u (x int, y text);
CREATE TABLE "priv; s".w (k int);
CREATE VIEW "priv; s".v AS SELECT id, a FROM "priv; s".t;

CREATE ROLE howdah_test_grp NOLOGIN;
CREATE ROLE howdah_test_mem NOLOGIN IN ROLE howdah_test_grp;
CREATE ROLE howdah_test_noinh NOLOGIN NOINHERIT IN ROLE howdah_test_grp;
CREATE ROLE howdah_test_owners NOLOGIN;
CREATE ROLE howdah_test_ownmem NOLOGIN IN ROLE howdah_test_owners;
CREATE ROLE howdah_test_nobody NOLOGIN;
GRANT USAGE ON SCHEMA "priv; s" TO PUBLIC;
GRANT SELECT (id, a), UPDATE ("b c"), REFERENCES (id) ON "priv; s".t TO howdah_test_grp;
GRANT INSERT (d) ON "priv; s".t TO howdah_test_mem;
GRANT UPDATE (a) ON "priv; s".t TO PUBLIC;
GRANT SELECT, TRIGGER ON "priv; s".u TO howdah_test_grp;
GRANT SELECT ON "priv; s".v TO PUBLIC;
-- The owner revokes its own privileges but still owns the table; a column grant gives some back.
ALTER TABLE "priv; s".u OWNER TO howdah_test_owners;
REVOKE ALL ON "priv; s".u FROM howdah_test_owners;
GRANT INSERT (y) ON "priv; s".u TO howdah_test_owners;
-- A column ACL that grants nothing (granted, then revoked): attacl is not NULL.
GRANT SELECT (k) ON "priv; s".w TO howdah_test_grp;
REVOKE SELECT (k) ON "priv; s".w FROM howdah_test_grp;

-- {"table": privileges, "table.column": privileges} as the document shows them, and as the
-- privilege functions say, for whoever runs the view.
CREATE TEMP VIEW priv_doc AS
SELECT jsonb_object_agg(k, p) AS m FROM (
    SELECT t ->> 'name' AS k, t -> 'current_role_priv' AS p
      FROM jsonb_array_elements(howdah.get_schema_table_details('"priv; s"'::regnamespace)::jsonb) t
    UNION ALL
    SELECT (t ->> 'name') || '.' || (c ->> 'name'), c -> 'current_role_priv'
      FROM jsonb_array_elements(howdah.get_schema_table_details('"priv; s"'::regnamespace)::jsonb) t,
           jsonb_array_elements(t -> 'columns') c) x;
CREATE TEMP VIEW priv_ref AS
SELECT jsonb_object_agg(k, p) AS m FROM (
    SELECT c.relname::text AS k, to_jsonb(array_remove(ARRAY[
               CASE WHEN has_table_privilege(c.oid, 'SELECT') THEN 'SELECT' END,
               CASE WHEN has_table_privilege(c.oid, 'INSERT') THEN 'INSERT' END,
               CASE WHEN has_table_privilege(c.oid, 'UPDATE') THEN 'UPDATE' END,
               CASE WHEN has_table_privilege(c.oid, 'DELETE') THEN 'DELETE' END,
               CASE WHEN has_table_privilege(c.oid, 'TRUNCATE') THEN 'TRUNCATE' END,
               CASE WHEN has_table_privilege(c.oid, 'REFERENCES') THEN 'REFERENCES' END,
               CASE WHEN has_table_privilege(c.oid, 'TRIGGER') THEN 'TRIGGER' END], NULL)) AS p
      FROM pg_class c WHERE c.relnamespace = '"priv; s"'::regnamespace AND c.relkind IN ('r', 'v')
    UNION ALL
    SELECT c.relname || '.' || a.attname, to_jsonb(array_remove(ARRAY[
               CASE WHEN has_column_privilege(c.oid, a.attnum, 'SELECT') THEN 'SELECT' END,
               CASE WHEN has_column_privilege(c.oid, a.attnum, 'INSERT') THEN 'INSERT' END,
               CASE WHEN has_column_privilege(c.oid, a.attnum, 'UPDATE') THEN 'UPDATE' END,
               CASE WHEN has_column_privilege(c.oid, a.attnum, 'REFERENCES') THEN 'REFERENCES' END], NULL))
      FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
     WHERE c.relnamespace = '"priv; s"'::regnamespace AND c.relkind IN ('r', 'v')) x;
GRANT SELECT ON priv_doc, priv_ref TO PUBLIC;

-- Each role writes what it sees into a table of its own; the checks run after RESET ROLE.
SET LOCAL ROLE howdah_test_grp;
CREATE TEMP TABLE seen_grp AS SELECT d.m AS doc, r.m AS ref FROM priv_doc d, priv_ref r;
SET LOCAL ROLE howdah_test_mem;
CREATE TEMP TABLE seen_mem AS SELECT d.m AS doc, r.m AS ref FROM priv_doc d, priv_ref r;
SET LOCAL ROLE howdah_test_noinh;
CREATE TEMP TABLE seen_noinh AS SELECT d.m AS doc, r.m AS ref FROM priv_doc d, priv_ref r;
SET LOCAL ROLE howdah_test_owners;
CREATE TEMP TABLE seen_owners AS SELECT d.m AS doc, r.m AS ref FROM priv_doc d, priv_ref r;
SET LOCAL ROLE howdah_test_ownmem;
CREATE TEMP TABLE seen_ownmem AS SELECT d.m AS doc, r.m AS ref FROM priv_doc d, priv_ref r;
SET LOCAL ROLE howdah_test_nobody;
CREATE TEMP TABLE seen_nobody AS SELECT d.m AS doc, r.m AS ref FROM priv_doc d, priv_ref r;
RESET ROLE;

SELECT is((SELECT doc FROM seen_grp), (SELECT ref FROM seen_grp), 'a group with column grants sees its own privileges');
SELECT is((SELECT doc FROM seen_mem), (SELECT ref FROM seen_mem), 'a member inherits the group''s column grants, plus its own');
SELECT is((SELECT doc FROM seen_noinh), (SELECT ref FROM seen_noinh), 'a NOINHERIT member does not');
SELECT is((SELECT doc FROM seen_owners), (SELECT ref FROM seen_owners), 'an owner that revoked its own privileges');
SELECT is((SELECT doc FROM seen_ownmem), (SELECT ref FROM seen_ownmem), 'a member of the owning role');
SELECT is((SELECT doc FROM seen_nobody), (SELECT ref FROM seen_nobody), 'a role with PUBLIC''s privileges only');

-- The reference is not trivially empty: spot checks of what it says.
SELECT is((SELECT (doc -> 't.id') || (doc -> 't.b c') || (doc -> 't.d') FROM seen_mem),
          '["SELECT", "REFERENCES", "UPDATE", "INSERT"]', 'member: SELECT and REFERENCES on id, UPDATE on "b c" (group), INSERT on d (own)');
SELECT is((SELECT (doc -> 't.a') || (doc -> 't.id') FROM seen_noinh), '["UPDATE"]', 'NOINHERIT member: UPDATE on a from PUBLIC only');
SELECT is((SELECT jsonb_build_array(doc -> 'u', doc -> 'u.x', doc -> 'u.y') FROM seen_owners), '[[], [], ["INSERT"]]',
          'owner without its privileges: INSERT on y only');
SELECT is((SELECT doc -> 'w.k' FROM seen_grp), '[]', 'a column ACL granting nothing');

SELECT * FROM finish();
ROLLBACK;
