-- Stale metadata: dropped columns and tables leave rows behind (oids are keys), which reads
-- ignore — a template naming a dropped column falls back to the default, column_order skips it —
-- and the next metadata write sweeps them.
BEGIN;
SELECT plan(10);

CREATE SCHEMA "st""ale";
CREATE TABLE "st""ale"."dropped; col" (id int PRIMARY KEY, "gö ne" text, kept text);
CREATE TABLE "st""ale"."dropped table" (id int);
CREATE TABLE "st""ale".other (id int);
CREATE TEMP TABLE t AS SELECT '"st""ale"."dropped; col"'::regclass::oid AS col, '"st""ale"."dropped table"'::regclass::oid AS tab,
                              '"st""ale".other'::regclass::oid AS other;
GRANT SELECT ON t TO PUBLIC;
CREATE TEMP TABLE set_it AS SELECT

    howdah.set_table_metadata((SELECT col FROM t), '{"preview_template": "{2} {3}", "column_order": [2, 3, 1]}') AS a,
    howdah.set_column_metadata((SELECT col FROM t), 2::smallint, '{"w": 2}') AS b,
    howdah.set_column_metadata((SELECT col FROM t), 3::smallint, '{"w": 3}') AS c,
    howdah.set_table_metadata((SELECT tab FROM t), '{"preview_template": "{1}"}') AS d,
    howdah.set_column_metadata((SELECT tab FROM t), 1::smallint, '{"w": 1}') AS e;

ALTER TABLE "st""ale"."dropped; col" DROP COLUMN "gö ne";
SELECT is(howdah.get_table_metadata((SELECT col FROM t)), '{"preview_template": null, "column_order": [3, 1]}',
          'a template naming a dropped column is ignored; column_order skips it');
SELECT is(howdah.get_table((SELECT col FROM t)) -> 'preview_settings', '{"customized": false, "template": "{3}"}',
          'and the preview falls back to the default');
SELECT is(howdah.get_column_metadata((SELECT col FROM t)), '[{"attnum": 3, "display_options": {"w": 3}}]',
          'the dropped column''s options are not shown');

DROP TABLE "st""ale"."dropped table";
SELECT is((SELECT count(*)::int FROM howdah_internal.catalog_column_metadata WHERE table_oid = (SELECT tab FROM t))
          + (SELECT count(*)::int FROM howdah_internal.catalog_table_metadata WHERE table_oid = (SELECT tab FROM t)), 2,
          'rows of a dropped table stay until the next write');
SELECT is(howdah.get_table_metadata((SELECT col FROM t)) -> 'column_order', '[3, 1]', 'they do not disturb reads');

-- Any metadata write, by any role, sweeps the rows of dropped tables; dropped columns are swept
-- by their table's owners.
CREATE ROLE howdah_test_sweeper NOLOGIN;
ALTER TABLE "st""ale".other OWNER TO howdah_test_sweeper;
SET LOCAL ROLE howdah_test_sweeper;
CREATE TEMP TABLE swept AS SELECT howdah.set_column_metadata((SELECT other FROM t), 1::smallint, '{"x": 1}');
RESET ROLE;
SELECT is((SELECT count(*)::int FROM howdah_internal.catalog_column_metadata WHERE table_oid = (SELECT tab FROM t))
          + (SELECT count(*)::int FROM howdah_internal.catalog_table_metadata WHERE table_oid = (SELECT tab FROM t)), 0,
          'another role''s write swept the dropped table''s rows');
SELECT is((SELECT count(*)::int FROM howdah_internal.catalog_column_metadata WHERE table_oid = (SELECT col FROM t) AND attnum = 2), 1,
          'but not the dropped column of a table it does not own');
SELECT is(howdah.set_table_metadata((SELECT col FROM t), '{"column_order": [1, 3]}') -> 'column_order', '[1, 3]', 'the owner writes');
SELECT is((SELECT count(*)::int FROM howdah_internal.catalog_column_metadata WHERE table_oid = (SELECT col FROM t) AND attnum = 2), 0,
          'which sweeps the dropped column''s options');
SELECT is((SELECT column_order FROM howdah_internal.catalog_table_metadata WHERE table_oid = (SELECT col FROM t)), '{1,3}'::smallint[],
          'and stores only live columns');

SELECT * FROM finish();
ROLLBACK;
