-- scan() runs cluster() and detect_anomalies() after ingest: every ingested query has a family,
-- the snapshot counts both stages, and bad k bounds are refused before a snapshot is made.
BEGIN;
SELECT plan(6);

CREATE SCHEMA adv_fscan;
CREATE TABLE adv_fscan.t (a int, b text);
SELECT count(*) FROM adv_fscan.t WHERE a = 1;
SELECT count(*) FROM adv_fscan.t WHERE b LIKE 'x%';
INSERT INTO adv_fscan.t (a) VALUES (1);

CREATE TEMP TABLE snap AS SELECT howdah_advisor.scan(keep => NULL, k_min => 2, k_max => 4) AS id;
SELECT is((SELECT state::text FROM howdah_advisor.snapshots WHERE id = (SELECT id FROM snap)), 'done', 'the scan is done');
SELECT is((SELECT count(*)::int FROM howdah_advisor.metrics m
            WHERE m.snapshot_id = (SELECT id FROM snap)
              AND NOT EXISTS (SELECT FROM howdah_advisor.query_families qf WHERE qf.snapshot_id = m.snapshot_id AND qf.query_id = m.query_id)),
          0, 'every ingested query has a family');
SELECT ok((SELECT (stats #>> '{families,k}')::int BETWEEN 1 AND 4 AND stats #> '{families,families}' IS NOT NULL AND stats ? 'anomalies'
             FROM howdah_advisor.snapshots WHERE id = (SELECT id FROM snap)),
          'the snapshot counts the families stage (k within the bounds given) and the anomalies stage');
SELECT is((SELECT jsonb_build_array(settings -> 'k_min', settings -> 'k_max') FROM howdah_advisor.snapshots WHERE id = (SELECT id FROM snap)), '[2, 4]'::jsonb,
          'its settings record k_min and k_max');

CREATE TEMP TABLE before AS SELECT count(*) AS n FROM howdah_advisor.snapshots;
SELECT throws_ok('SELECT howdah_advisor.scan(k_min => 5, k_max => 4)', '22023',
                 'k_min must be 1 or more and k_max between k_min and 1000, not k_min 5, k_max 4', 'bad k bounds are 22023');
SELECT is((SELECT count(*) FROM howdah_advisor.snapshots), (SELECT n FROM before), 'and no snapshot was made');

SELECT * FROM finish();
ROLLBACK;
