-- A statement that ingest() cannot process is recorded in the snapshot's errors and the others
-- are ingested; a step_timeout that passes skips the rest and says so. Never an exception.
BEGIN;
SELECT plan(8);

CREATE SCHEMA adv_fail;
CREATE TABLE adv_fail.adv_boom (a int);
CREATE TABLE adv_fail.fine (a int);
SELECT count(*) FROM adv_fail.adv_boom WHERE a = 1;
SELECT count(*) FROM adv_fail.fine WHERE a = 1;

-- Make the feature reader fail on one statement (the rollback at the end restores it).
ALTER FUNCTION howdah_internal.advisor_features(text[], text[]) RENAME TO advisor_features_real;
CREATE FUNCTION howdah_internal.advisor_features(kinds text[], toks text[],
    OUT verb howdah_advisor.query_verb, OUT tables text[], OUT schemas text[], OUT tokens text[])
LANGUAGE plpgsql AS $$
DECLARE
    f record;
BEGIN
    IF 'adv_boom' = ANY (toks) THEN
        RAISE EXCEPTION USING ERRCODE = 'data_corrupted', MESSAGE = 'adv_boom cannot be read';
    END IF;
    f := howdah_internal.advisor_features_real(kinds, toks);
    verb := f.verb; tables := f.tables; schemas := f.schemas; tokens := f.tokens;
END $$;

SELECT lives_ok('CREATE TEMP TABLE snap AS SELECT howdah_advisor.ingest(top_n => 10000) AS id', 'ingest() goes on past a statement it cannot process');
SELECT is((SELECT state::text FROM howdah_advisor.snapshots WHERE id = (SELECT id FROM snap)), 'done', 'the snapshot is done');
SELECT is((SELECT e - 'queryid' FROM howdah_advisor.snapshots s, jsonb_array_elements(s.errors) e
            WHERE s.id = (SELECT id FROM snap) AND e ->> 'query' LIKE '%adv_boom%'),
          jsonb_build_object('stage', 'ingest', 'sqlstate', 'XX001', 'message', 'adv_boom cannot be read',
                             'query', 'SELECT count(*) FROM adv_fail.adv_boom WHERE a = $1'),
          'the failing statement is in the snapshot''s errors, with its SQLSTATE');
SELECT is((SELECT count(*)::int FROM howdah_advisor.metrics m JOIN howdah_advisor.queries q ON q.id = m.query_id
            WHERE m.snapshot_id = (SELECT id FROM snap) AND q.norm_sql = 'select count(*) from adv_fail.fine where a = ?'),
          1, 'the other statements are ingested');
SELECT is((SELECT (stats #>> '{ingest,errors}')::int FROM howdah_advisor.snapshots WHERE id = (SELECT id FROM snap)),
          1, 'the stage counts its errors');

-- No time at all: everything is skipped and recorded, nothing raised.
SELECT lives_ok($$CREATE TEMP TABLE snap0 AS SELECT howdah_advisor.ingest(step_timeout => '0') AS id$$, 'ingest() with no time left does not raise');
SELECT is((SELECT count(*)::int FROM howdah_advisor.metrics WHERE snapshot_id = (SELECT id FROM snap0)), 0, 'it records no statement');
SELECT is(ARRAY(SELECT e ->> 'stage' || ' ' || (e ->> 'sqlstate') FROM howdah_advisor.snapshots s, jsonb_array_elements(s.errors) e
                 WHERE s.id = (SELECT id FROM snap0) ORDER BY 1),
          '{"ingest 57014","tables 57014"}'::text[], 'it says which steps ran out of time');

SELECT * FROM finish();
ROLLBACK;
