-- Rule redundant_index: an index whose keys lead a longer index, or an exact duplicate, gets
-- DROP INDEX CONCURRENTLY naming its cover; a unique index, the primary key, an index with other
-- operator options or collation, a partial index and the kept duplicate get nothing. Bad snapshot
-- ids are 22023 / P0002 and write nothing.
BEGIN;
SELECT plan(17);

CREATE SCHEMA adv_redundant;
CREATE TABLE adv_redundant.t (id int PRIMARY KEY, a int, b int, c text, u int, w int);
INSERT INTO adv_redundant.t SELECT g, g % 100, g % 7, 'c' || (g % 50), g, g % 3 FROM generate_series(1, 2000) g;
CREATE INDEX t_a_idx ON adv_redundant.t (a);                  -- prefix of t_a_b_idx: dropped
CREATE INDEX t_a_b_idx ON adv_redundant.t (a, b);
CREATE UNIQUE INDEX t_u_idx ON adv_redundant.t (u);           -- unique: kept although (u, b) exists
CREATE INDEX t_u_b_idx ON adv_redundant.t (u, b);
CREATE UNIQUE INDEX t_u_dup_idx ON adv_redundant.t (u);       -- a unique duplicate of a unique one: dropped
CREATE INDEX t_id_dup_idx ON adv_redundant.t (id);            -- duplicate of the primary key: dropped
CREATE INDEX t_b_desc_idx ON adv_redundant.t (b DESC);        -- another sort option than t_b_c_idx: kept
CREATE INDEX t_b_c_idx ON adv_redundant.t (b, c);
CREATE INDEX t_c_coll_idx ON adv_redundant.t (c COLLATE "C");  -- another collation than t_c_w_idx: kept
CREATE INDEX t_c_w_idx ON adv_redundant.t (c, w);
CREATE INDEX t_w_part_idx ON adv_redundant.t (w) WHERE a > 50; -- partial: kept
CREATE INDEX t_w_x_idx ON adv_redundant.t (w, a);
CREATE INDEX t_w1_idx ON adv_redundant.t (w) INCLUDE (c);     -- INCLUDE c, not in (w, a): kept
CREATE INDEX t_b_hash_idx ON adv_redundant.t USING hash (b);  -- exact hash duplicates: the newer dropped
CREATE INDEX t_b_hash2_idx ON adv_redundant.t USING hash (b);
ANALYZE adv_redundant.t;

CREATE TEMP TABLE snap AS SELECT howdah_advisor.ingest(top_n => 1) AS id;
UPDATE howdah_advisor.snapshots SET stats_reset_at = now() - interval '3 days' WHERE id = (SELECT id FROM snap);
UPDATE howdah_advisor.indexes SET scan_count = 12
 WHERE snapshot_id = (SELECT id FROM snap) AND name = 'adv_redundant.t_a_idx';

SELECT cmp_ok(howdah_internal.advisor_rule_redundant_index((SELECT id FROM snap)), '>=', 4, 'the rule returns how many findings it wrote');
CREATE TEMP VIEW got AS
SELECT r.* FROM howdah_advisor.recommendations r
 WHERE r.snapshot_id = (SELECT id FROM snap) AND r.table_name = 'adv_redundant.t';

SELECT is(ARRAY(SELECT index_name FROM got ORDER BY index_name),
          '{adv_redundant.t_a_idx,adv_redundant.t_b_hash2_idx,adv_redundant.t_id_dup_idx,adv_redundant.t_u_dup_idx}'::text[],
          'the prefix, the duplicates (of the primary key, of a unique index, of a hash index) and nothing else');
SELECT is((SELECT row(type, key, ddl, columns, index_relid)::text FROM got WHERE index_name = 'adv_redundant.t_a_idx'),
          row('redundant_index'::howdah_advisor.recommendation_type, 'drop:adv_redundant.t_a_idx',
              'DROP INDEX CONCURRENTLY adv_redundant.t_a_idx', '{a}'::text[], 'adv_redundant.t_a_idx'::regclass::oid)::text,
          'a prefix: DROP INDEX CONCURRENTLY, keyed drop:<index>');
SELECT matches((SELECT rationale FROM got WHERE index_name = 'adv_redundant.t_a_idx'),
               '^adv_redundant\.t_a_idx \(a\) is a leading prefix of adv_redundant\.t_a_b_idx \(a, b\) on adv_redundant\.t: .*frees [0-9]+ kB \(adv_redundant\.t_a_b_idx takes [0-9]+ kB\).*scanned 12 times since the statistics were reset 3 days ago',
               'the rationale names the covering index, both sizes and the scans since the reset');
SELECT is((SELECT evidence #>> '{covered_by,name}' FROM got WHERE index_name = 'adv_redundant.t_a_idx'), 'adv_redundant.t_a_b_idx',
          'the evidence names the cover');
SELECT ok((SELECT confidence < 0.9 FROM got WHERE index_name = 'adv_redundant.t_a_idx'), 'a scanned prefix index gets less confidence than an unused one');
SELECT matches((SELECT rationale FROM got WHERE index_name = 'adv_redundant.t_id_dup_idx'),
               '^adv_redundant\.t_id_dup_idx is an exact duplicate of adv_redundant\.t_pkey ',
               'a duplicate of the primary key names the primary key, which stays');
SELECT is((SELECT evidence #>> '{covered_by,name}' FROM got WHERE index_name = 'adv_redundant.t_u_dup_idx'), 'adv_redundant.t_u_idx',
          'of two unique duplicates the older stays');
SELECT is((SELECT count(*)::int FROM got WHERE index_name IN ('adv_redundant.t_u_idx', 'adv_redundant.t_pkey')), 0,
          'a unique index that leads a longer one, and the primary key, are never dropped');
SELECT is((SELECT count(*)::int FROM got WHERE index_name IN ('adv_redundant.t_b_desc_idx', 'adv_redundant.t_c_coll_idx',
                                                              'adv_redundant.t_w_part_idx', 'adv_redundant.t_w1_idx')), 0,
          'another sort option, another collation, a predicate or INCLUDE columns the longer index lacks: no finding');
SELECT is((SELECT jsonb_build_object('level', risk ->> 'level', 'lock', risk ? 'lock', 'index_count', (risk ->> 'index_count')::int)
             FROM got WHERE index_name = 'adv_redundant.t_a_idx'),
          jsonb_build_object('level', 'low', 'lock', true, 'index_count', 16), 'the risk has the level, the lock note and the index count');

-- Run again: the same rows, not new ones.
SELECT howdah_internal.advisor_rule_redundant_index((SELECT id FROM snap));
SELECT is((SELECT count(*)::int FROM got), 4, 'a second run updates its findings in place');

-- An unused_index finding of the same index becomes the redundant one.
DELETE FROM howdah_advisor.recommendations WHERE snapshot_id = (SELECT id FROM snap);
INSERT INTO howdah_advisor.recommendations (snapshot_id, confidence, index_relid, type, key, ddl, rationale)
VALUES ((SELECT id FROM snap), 0.5, 'adv_redundant.t_a_idx'::regclass, 'unused_index', 'drop:adv_redundant.t_a_idx',
        'DROP INDEX CONCURRENTLY adv_redundant.t_a_idx', 'unused');
SELECT howdah_internal.advisor_rule_redundant_index((SELECT id FROM snap));
SELECT is((SELECT type::text FROM got WHERE key = 'drop:adv_redundant.t_a_idx'), 'redundant_index',
          'redundant and unused is one finding: redundant');

-- An index dropped since the snapshot gets nothing.
DELETE FROM howdah_advisor.recommendations WHERE snapshot_id = (SELECT id FROM snap);
DROP INDEX adv_redundant.t_a_idx;
SELECT howdah_internal.advisor_rule_redundant_index((SELECT id FROM snap));
SELECT is((SELECT count(*)::int FROM got WHERE index_name = 'adv_redundant.t_a_idx'), 0, 'an index dropped since the snapshot gets no finding');

-- Bad snapshot ids.
CREATE TEMP TABLE before AS SELECT count(*) AS n FROM howdah_advisor.recommendations;
SELECT throws_ok('SELECT howdah_internal.advisor_rule_redundant_index(NULL)', '22023', 'sid (the snapshot id) must not be NULL', 'a NULL snapshot is 22023');
SELECT throws_ok('SELECT howdah_internal.advisor_rule_redundant_index(-1)', 'P0002', 'no snapshot -1', 'an unknown snapshot is P0002');
SELECT is((SELECT count(*) FROM howdah_advisor.recommendations), (SELECT n FROM before), 'bad ids write nothing');

SELECT * FROM finish();
ROLLBACK;
