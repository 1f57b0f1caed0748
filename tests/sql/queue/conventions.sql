-- The queue module keeps the rules of docs/sql-conventions.md: what it puts into the shared
-- schema howdah_internal is named queue_*, and every function of its API (schema howdah_queue) has
-- named parameters, a COMMENT listing its errors with SQLSTATEs, SECURITY INVOKER and a
-- pinned search_path. The module's objects are those the installer recorded for it.
BEGIN;
SELECT plan(5);

CREATE TEMP VIEW api AS
SELECT p.* FROM howdah_internal.objects o JOIN pg_proc p ON p.oid::regprocedure::text = o.identity
 WHERE o.module = 'queue' AND o.kind = 'function' AND p.pronamespace = 'howdah_queue'::regnamespace;

SELECT cmp_ok((SELECT count(*)::int FROM api), '>', 0, 'the installer recorded the module''s API functions');
SELECT is(ARRAY(SELECT o.kind || ' ' || o.identity FROM howdah_internal.objects o
                 WHERE o.module = 'queue' AND o.identity LIKE 'howdah\_internal.%' AND o.identity NOT LIKE 'howdah\_internal.queue\_%'
                 ORDER BY 1),
          '{}'::text[], 'every object it puts into howdah_internal is named queue_*');
SELECT is(ARRAY(SELECT oid::regprocedure::text FROM api
                 WHERE coalesce(obj_description(oid, 'pg_proc'), '') !~ 'Errors: [0-9A-Z]{5}|Errors: none\.' ORDER BY 1),
          '{}'::text[], 'every API function has a COMMENT listing its errors');
SELECT is(ARRAY(SELECT oid::regprocedure::text FROM api
                 WHERE prosecdef OR NOT coalesce(proconfig @> '{"search_path=pg_catalog, pg_temp"}', false) ORDER BY 1),
          '{}'::text[], 'every API function is SECURITY INVOKER with search_path pinned to pg_catalog, pg_temp');
SELECT is(ARRAY(SELECT oid::regprocedure::text FROM api
                 WHERE pronargs > 0 AND (proargnames IS NULL OR '' = ANY (proargnames[1:pronargs])) ORDER BY 1),
          '{}'::text[], 'every parameter of an API function has a name');

SELECT * FROM finish();
ROLLBACK;
