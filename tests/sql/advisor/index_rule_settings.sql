-- The index rules' thresholds are settings read like every other advisor setting: a bad value is
-- 22023 naming the setting and its range, not a cast error.
BEGIN;
SELECT plan(3);

CREATE TEMP TABLE snap AS SELECT howdah_advisor.ingest() AS id;
SET LOCAL howdah_advisor.index_max_selectivity = 'lots';
SELECT throws_ok($$SELECT count(*) FROM howdah_internal.advisor_index_candidates((SELECT id FROM snap))$$, '22023',
                 'setting howdah_advisor.index_max_selectivity must be a number between 0 and 1, not ''lots''',
                 'a selectivity that is no number is refused, naming the setting');
SET LOCAL howdah_advisor.index_max_selectivity = '0.05';
SET LOCAL howdah_advisor.index_min_rows = '-1';
SELECT throws_ok($$SELECT count(*) FROM howdah_internal.advisor_index_candidates((SELECT id FROM snap))$$, '22023',
                 'setting howdah_advisor.index_min_rows must be a number of at least 0, not ''-1''',
                 'a negative table size is refused');
RESET howdah_advisor.index_min_rows;
SELECT lives_ok($$SELECT count(*) FROM howdah_internal.advisor_index_candidates((SELECT id FROM snap))$$, 'the defaults read');

SELECT * FROM finish();
ROLLBACK;
