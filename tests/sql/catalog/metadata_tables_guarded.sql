-- The metadata tables cannot be used to get around the rule: their row policies apply to
-- direct SELECT/INSERT/UPDATE/DELETE (and to the tables' owner, FORCE ROW LEVEL SECURITY), and
-- TRUNCATE is not granted.
BEGIN;
SELECT plan(16);

CREATE ROLE howdah_test_owner NOLOGIN;
CREATE ROLE howdah_test_reader NOLOGIN;
CREATE ROLE howdah_test_stranger NOLOGIN;
CREATE SCHEMA "guard; ed";
CREATE TABLE "guard; ed"."the ""one""" (a int, b int);
CREATE TABLE "guard; ed".mine (a int);
ALTER TABLE "guard; ed"."the ""one""" OWNER TO howdah_test_owner;
ALTER TABLE "guard; ed".mine OWNER TO howdah_test_stranger;
GRANT SELECT (a) ON "guard; ed"."the ""one""" TO howdah_test_reader;
GRANT USAGE ON SCHEMA tap TO PUBLIC;
CREATE TEMP TABLE t AS SELECT '"guard; ed"."the ""one"""'::regclass::oid AS oid, '"guard; ed".mine'::regclass::oid AS mine;
GRANT SELECT ON t TO PUBLIC;
SELECT lives_ok(format('SELECT howdah.set_column_metadata(%s, %s::smallint, ''{"secret": true}'')', (SELECT oid FROM t), n),
                format('options on column %s', n)) FROM generate_series(1, 2) n;
SELECT lives_ok(format('SELECT howdah.set_table_metadata(%s, ''{"preview_template": "{1}"}'')', (SELECT oid FROM t)), 'a template');
CREATE TEMP TABLE saw (who text, n int);
GRANT INSERT ON saw TO PUBLIC;

SET LOCAL ROLE howdah_test_stranger;
INSERT INTO saw SELECT 'stranger', count(*) FROM howdah_internal.catalog_column_metadata WHERE table_oid = (SELECT oid FROM t);
SELECT throws_ok(format('INSERT INTO howdah_internal.catalog_column_metadata (table_oid, attnum, display_options) VALUES (%s, 2, ''{}'')', (SELECT oid FROM t)),
                 '42501', 'new row violates row-level security policy for table "catalog_column_metadata"', 'a stranger cannot insert options');
SELECT throws_ok(format('INSERT INTO howdah_internal.catalog_table_metadata (table_oid, preview_template) VALUES (%s, ''{2}'') ON CONFLICT (table_oid) DO UPDATE SET preview_template = ''{2}''', (SELECT oid FROM t)),
                 '42501', NULL, 'nor upsert a template');
WITH u AS (UPDATE howdah_internal.catalog_table_metadata SET preview_template = '{2}' RETURNING 1)
INSERT INTO saw SELECT 'stranger updated', count(*) FROM u;
WITH d AS (DELETE FROM howdah_internal.catalog_table_metadata RETURNING 1)
INSERT INTO saw SELECT 'stranger deleted', count(*) FROM d;
SELECT lives_ok(format('SELECT howdah.set_column_metadata(%s, 1::smallint, ''{"mine": 1}'')', (SELECT mine FROM t)),
                'a stranger may set options on its own table');
SELECT throws_ok(format('UPDATE howdah_internal.catalog_column_metadata SET table_oid = %s WHERE table_oid = %s', (SELECT oid FROM t), (SELECT mine FROM t)),
                 '42501', 'new row violates row-level security policy for table "catalog_column_metadata"', 'nor move rows onto a table it does not own');
SELECT throws_ok('TRUNCATE howdah_internal.catalog_column_metadata', '42501', 'permission denied for table catalog_column_metadata', 'TRUNCATE is not granted');
RESET ROLE;

SET LOCAL ROLE howdah_test_reader;
INSERT INTO saw SELECT 'reader', count(*) FROM howdah_internal.catalog_column_metadata WHERE table_oid = (SELECT oid FROM t);
WITH d AS (DELETE FROM howdah_internal.catalog_column_metadata RETURNING 1)
INSERT INTO saw SELECT 'reader deleted', count(*) FROM d;
RESET ROLE;

SELECT is((SELECT n FROM saw WHERE who = 'stranger'), 0, 'a stranger reads no option rows directly');
SELECT is((SELECT n FROM saw WHERE who = 'stranger updated'), 0, 'an UPDATE by a stranger finds no row it may change');
SELECT is((SELECT n FROM saw WHERE who = 'stranger deleted'), 0, 'nor one it may delete');
SELECT is((SELECT n FROM saw WHERE who = 'reader deleted'), 0, 'a reader cannot delete the options it sees');
SELECT is((SELECT n FROM saw WHERE who = 'reader'), 1, 'a reader reads only the row of its column');
SELECT is((SELECT count(*)::int FROM howdah_internal.catalog_column_metadata WHERE table_oid = (SELECT oid FROM t) AND display_options = '{"secret": true}'), 2,
          'the option rows are intact');
SELECT is((SELECT preview_template FROM howdah_internal.catalog_table_metadata WHERE table_oid = (SELECT oid FROM t)), '{1}', 'so is the template');

-- The policies bind the tables' owner too, unless it is a superuser.
SELECT ok((SELECT relrowsecurity AND relforcerowsecurity FROM pg_class WHERE oid = 'howdah_internal.catalog_column_metadata'::regclass)
          AND (SELECT relrowsecurity AND relforcerowsecurity FROM pg_class WHERE oid = 'howdah_internal.catalog_table_metadata'::regclass),
          'row security is enabled and forced on both tables');

SELECT * FROM finish();
ROLLBACK;
