-- The pictrs module keeps the rules of docs/sql-conventions.md: it puts nothing into
-- howdah_internal (two instances would collide there), and every function of its schema has
-- named parameters, a COMMENT listing its errors with SQLSTATEs, SECURITY INVOKER and a pinned
-- search_path. The module's objects are those the installer recorded for it.
BEGIN;
SELECT plan(6);

CREATE TEMP VIEW api AS
SELECT p.* FROM howdah_internal.objects o JOIN pg_proc p ON p.oid::regprocedure::text = o.identity
 WHERE o.module = 'pictrs' AND o.kind = 'function' AND p.pronamespace = 'pictrs'::regnamespace;

SELECT cmp_ok((SELECT count(*)::int FROM api), '>=', 46, 'the installer recorded the module''s functions');
SELECT is(ARRAY(SELECT o.kind || ' ' || o.identity FROM howdah_internal.objects o
                 WHERE o.module = 'pictrs' AND o.identity LIKE 'howdah\_internal.%' ORDER BY 1),
          '{}'::text[], 'nothing of it is in howdah_internal');
SELECT is(ARRAY(SELECT oid::regprocedure::text FROM api
                 WHERE coalesce(obj_description(oid, 'pg_proc'), '') !~ 'Errors: [0-9A-Z]{5}|Errors: none\.' ORDER BY 1),
          '{}'::text[], 'every function has a COMMENT listing its errors');
SELECT is(ARRAY(SELECT oid::regprocedure::text FROM api
                 WHERE prosecdef OR NOT coalesce(proconfig @> '{"search_path=pg_catalog, pg_temp"}', false) ORDER BY 1),
          '{}'::text[], 'every function is SECURITY INVOKER with search_path pinned to pg_catalog, pg_temp');
SELECT is(ARRAY(SELECT oid::regprocedure::text FROM api
                 WHERE pronargs > 0 AND (proargnames IS NULL OR '' = ANY (proargnames[1:pronargs])) ORDER BY 1),
          '{}'::text[], 'every parameter has a name');
SELECT is(ARRAY(SELECT proname::text FROM api GROUP BY proname HAVING count(*) > 1), '{}'::text[], 'no overloads: one function per method');

SELECT * FROM finish();
ROLLBACK;
