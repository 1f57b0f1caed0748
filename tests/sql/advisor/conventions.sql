-- The advisor module keeps the rules of docs/sql-conventions.md: what it puts into the shared
-- schema howdah_internal is named advisor_*, and every function of its API (schema howdah_advisor) has
-- named parameters, a COMMENT listing its errors with SQLSTATEs, SECURITY INVOKER and a
-- pinned search_path; its helpers say their errors too, and its tables what they hold. The
-- module's objects are those the installer recorded for it.
BEGIN;
SELECT plan(7);

CREATE TEMP VIEW api AS
SELECT p.* FROM howdah_internal.objects o JOIN pg_proc p ON p.oid::regprocedure::text = o.identity
 WHERE o.module = 'advisor' AND o.kind = 'function' AND p.pronamespace = 'howdah_advisor'::regnamespace;

SELECT cmp_ok((SELECT count(*)::int FROM api), '>', 0, 'the installer recorded the module''s API functions');
SELECT is(ARRAY(SELECT o.kind || ' ' || o.identity FROM howdah_internal.objects o
                 WHERE o.module = 'advisor' AND o.identity LIKE 'howdah\_internal.%' AND o.identity NOT LIKE 'howdah\_internal.advisor\_%'
                 ORDER BY 1),
          '{}'::text[], 'every object it puts into howdah_internal is named advisor_*');
SELECT is(ARRAY(SELECT oid::regprocedure::text FROM api
                 WHERE coalesce(obj_description(oid, 'pg_proc'), '') !~ 'Errors: [0-9A-Z]{5}|Errors: none\.' ORDER BY 1),
          '{}'::text[], 'every API function has a COMMENT listing its errors');
SELECT is(ARRAY(SELECT oid::regprocedure::text FROM api
                 WHERE prosecdef OR NOT coalesce(proconfig @> '{"search_path=pg_catalog, pg_temp"}', false) ORDER BY 1),
          '{}'::text[], 'every API function is SECURITY INVOKER with search_path pinned to pg_catalog, pg_temp');
SELECT is(ARRAY(SELECT oid::regprocedure::text FROM api
                 WHERE pronargs > 0 AND (proargnames IS NULL OR '' = ANY (proargnames[1:pronargs])) ORDER BY 1),
          '{}'::text[], 'every parameter of an API function has a name');

SELECT is(ARRAY(SELECT p.oid::regprocedure::text FROM howdah_internal.objects o JOIN pg_proc p ON p.oid::regprocedure::text = o.identity
                 WHERE o.module = 'advisor' AND o.kind = 'function' AND p.pronamespace = 'howdah_internal'::regnamespace
                   AND coalesce(obj_description(p.oid, 'pg_proc'), '') !~ 'Errors: [0-9A-Z]{5}|Errors: none' ORDER BY 1),
          '{}'::text[], 'every helper in howdah_internal has a COMMENT listing its errors');
SELECT is(ARRAY(SELECT c.oid::regclass::text FROM pg_class c
                 WHERE c.relnamespace = 'howdah_advisor'::regnamespace AND c.relkind = 'r'
                   AND coalesce(obj_description(c.oid, 'pg_class'), '') = '' ORDER BY 1),
          '{}'::text[], 'every table has a COMMENT');

SELECT * FROM finish();
ROLLBACK;
