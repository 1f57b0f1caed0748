-- Every function of schema howdah is documented by its COMMENT (it becomes the API doc), and the
-- COMMENT lists the function's errors ("Errors: none." when it raises none).
BEGIN;
SELECT plan(2);

SELECT is(ARRAY(SELECT p.oid::regprocedure::text FROM pg_proc p
                 WHERE p.pronamespace = 'howdah'::regnamespace AND obj_description(p.oid, 'pg_proc') IS NULL ORDER BY 1),
          '{}'::text[], 'every howdah function has a COMMENT');
SELECT is(ARRAY(SELECT p.oid::regprocedure::text FROM pg_proc p
                 WHERE p.pronamespace = 'howdah'::regnamespace AND obj_description(p.oid, 'pg_proc') !~ 'Errors: [0-9A-Z]{5}|Errors: none\.'
                 ORDER BY 1),
          '{}'::text[], 'every COMMENT lists the errors, with SQLSTATEs');

SELECT * FROM finish();
ROLLBACK;
