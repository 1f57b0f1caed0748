-- pg_qualstats is optional: without the extension the index rules read the plans alone
-- (advisor_index_candidates_all is exactly advisor_index_candidates); with the extension created
-- but its library not preloaded (as on the shared test server), reading it fails, the failure is
-- recorded once in the snapshot's errors and the recommendations are the same as without it.
-- (TestAdvisorQualstats runs a server that preloads it: candidates from its predicates.)
BEGIN;
SELECT plan(6);

CREATE SCHEMA adv_qs;
CREATE TABLE adv_qs.orders (id int PRIMARY KEY, customer_id int, note text);
INSERT INTO adv_qs.orders SELECT g, g % 5000, 'n' FROM generate_series(1, 30000) g;
ANALYZE adv_qs.orders;
SELECT count(*) FROM adv_qs.orders WHERE customer_id = 42;

CREATE TEMP TABLE snap AS SELECT howdah_advisor.ingest(top_n => 10000, exclude => ARRAY['^(?!.*adv_qs\.)']) AS id;
SELECT howdah_advisor.capture_plans((SELECT id FROM snap), top_k => 100);

SELECT is(howdah_advisor.environment() #>> '{pg_qualstats,schema}', NULL, 'this database has no pg_qualstats');
SELECT set_eq(
    $$SELECT query_id, cols, confidence, evidence::text, why FROM howdah_internal.advisor_index_candidates_all((SELECT id FROM snap))$$,
    $$SELECT query_id, cols, confidence, evidence::text, why FROM howdah_internal.advisor_index_candidates((SELECT id FROM snap))$$,
    'without pg_qualstats the index rules read the plans'' candidates, unchanged');
SELECT howdah_advisor.recommend((SELECT id FROM snap));
CREATE TEMP TABLE before AS
    SELECT type, ddl, confidence, query_ids FROM howdah_advisor.recommendations WHERE snapshot_id = (SELECT id FROM snap);
SELECT is((SELECT ddl FROM before WHERE type = 'missing_index'),
          'CREATE INDEX CONCURRENTLY ON adv_qs.orders USING btree (customer_id)', 'the plan-backed recommendation');

-- The extension, then unreadable (its function gone, as after a broken upgrade): the read error is
-- recorded, never raised. Skipped where the package is missing.
CREATE FUNCTION pg_temp.qs_available() RETURNS boolean LANGUAGE sql AS
    $$SELECT EXISTS (SELECT FROM pg_available_extensions WHERE name = 'pg_qualstats')$$;
DO $$ BEGIN IF pg_temp.qs_available() THEN CREATE EXTENSION pg_qualstats; END IF; END $$;
SELECT CASE WHEN pg_temp.qs_available() THEN
    lives_ok($$SELECT howdah_advisor.recommend((SELECT id FROM snap))$$, 'recommend runs with pg_qualstats installed (here without its preload)')
  ELSE skip('pg_qualstats is not installed on this server (Debian: postgresql-15-pg-qualstats)', 3) END;
DO $$ BEGIN
    IF pg_temp.qs_available() THEN
        EXECUTE format('ALTER FUNCTION %I.pg_qualstats() RENAME TO pg_qualstats_gone', howdah_advisor.environment() #>> '{pg_qualstats,schema}');
        PERFORM howdah_advisor.recommend((SELECT id FROM snap));
        PERFORM howdah_advisor.recommend((SELECT id FROM snap));
    END IF;
END $$;
SELECT is((SELECT count(*)::int FROM howdah_advisor.snapshots s, jsonb_array_elements(s.errors) e
            WHERE s.id = (SELECT id FROM snap) AND e ->> 'source' = 'pg_qualstats' AND e ->> 'stage' = 'recommend'
              AND e ->> 'sqlstate' = '42883' AND e ->> 'message' LIKE '%pg_qualstats()%'), 1,
          'the read error is recorded once in the snapshot''s errors, however often recommend runs')
  FROM (SELECT) one WHERE pg_temp.qs_available();
SELECT set_eq($$SELECT type, ddl, confidence, query_ids FROM howdah_advisor.recommendations WHERE snapshot_id = (SELECT id FROM snap)$$,
              $$SELECT * FROM before$$, 'and the recommendations are those of the plans alone')
  FROM (SELECT) one WHERE pg_temp.qs_available();

SELECT * FROM finish();
ROLLBACK;
