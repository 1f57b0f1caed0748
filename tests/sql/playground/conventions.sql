-- The playground module keeps the rules of docs/sql-conventions.md: every function of its API
-- (schema playground, the default instance) has named parameters, a COMMENT listing its errors,
-- SECURITY INVOKER and a pinned search_path; it puts nothing into howdah_internal.
BEGIN;
SELECT plan(5);

CREATE TEMP VIEW api AS
SELECT p.* FROM howdah_internal.objects o JOIN pg_proc p ON p.oid::regprocedure::text = o.identity
 WHERE o.module = 'playground' AND o.kind = 'function' AND p.pronamespace = 'playground'::regnamespace
   AND p.proname NOT LIKE '\_%';

SELECT cmp_ok((SELECT count(*)::int FROM api), '>=', 25, 'the installer recorded the module''s API functions');
SELECT is(ARRAY(SELECT o.kind || ' ' || o.identity FROM howdah_internal.objects o
                 WHERE o.module = 'playground' AND o.identity LIKE 'howdah\_internal.%' ORDER BY 1),
          '{}'::text[], 'it puts nothing into howdah_internal (helpers are _-prefixed in the instance schema)');
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
