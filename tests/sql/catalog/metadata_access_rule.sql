-- The metadata rule, through the functions: whoever may read a column reads its display
-- options; the table's owners (and members of the owning role) change table and column
-- metadata; readers and strangers get 42501 naming the table, and nothing changes. Table-level
-- metadata is readable by every role.
BEGIN;
SELECT plan(17);

CREATE ROLE howdah_test_owner NOLOGIN;
CREATE ROLE howdah_test_owner_member NOLOGIN IN ROLE howdah_test_owner;
CREATE ROLE howdah_test_col_reader NOLOGIN;
CREATE ROLE howdah_test_tab_reader NOLOGIN;
CREATE ROLE howdah_test_stranger NOLOGIN;
CREATE SCHEMA "acc""ess; ✓";
CREATE TABLE "acc""ess; ✓"."sec ret" (id int, "pub lic" text, "sal""ary" numeric);
ALTER TABLE "acc""ess; ✓"."sec ret" OWNER TO howdah_test_owner;
GRANT USAGE ON SCHEMA "acc""ess; ✓" TO PUBLIC;
GRANT SELECT (id, "pub lic") ON "acc""ess; ✓"."sec ret" TO howdah_test_col_reader;
GRANT SELECT ON "acc""ess; ✓"."sec ret" TO howdah_test_tab_reader;
GRANT USAGE ON SCHEMA tap TO PUBLIC;
CREATE TEMP TABLE t AS SELECT '"acc""ess; ✓"."sec ret"'::regclass::oid AS oid;
GRANT SELECT ON t TO PUBLIC;
CREATE TEMP TABLE saw (who text, what text, v jsonb);
GRANT INSERT ON saw TO PUBLIC;

SET LOCAL ROLE howdah_test_owner;
SELECT lives_ok(format('SELECT howdah.set_column_metadata(%s, %s::smallint, %L)', (SELECT oid FROM t), n, '{"n": ' || n || '}'),
                format('the owner sets column %s', n))
  FROM generate_series(1, 3) n;
SELECT lives_ok(format('SELECT howdah.set_table_metadata(%s, %L)', (SELECT oid FROM t), '{"preview_template": "{2}", "column_order": [3, 2, 1]}'),
                'the owner sets table metadata');
RESET ROLE;

SET LOCAL ROLE howdah_test_col_reader;
INSERT INTO saw SELECT 'col_reader', 'columns', howdah.get_column_metadata((SELECT oid FROM t));
INSERT INTO saw SELECT 'col_reader', 'details', jsonb_agg(c -> 'display_options' ORDER BY (c ->> 'attnum')::int)
  FROM jsonb_array_elements(howdah.get_table((SELECT oid FROM t)) -> 'columns') c;
INSERT INTO saw SELECT 'col_reader', 'table', howdah.get_table_metadata((SELECT oid FROM t));
SELECT throws_ok(format('SELECT howdah.set_column_metadata(%s, 1::smallint, ''{"n": 0}'')', (SELECT oid FROM t)), '42501',
                 'must be owner of table "acc""ess; ✓"."sec ret" to change its metadata', 'a column reader may not change column options');
SELECT throws_ok(format('SELECT howdah.set_table_metadata(%s, ''{"preview_template": null}'')', (SELECT oid FROM t)), '42501',
                 'must be owner of table "acc""ess; ✓"."sec ret" to change its metadata', 'nor table metadata');
RESET ROLE;

SET LOCAL ROLE howdah_test_tab_reader;
INSERT INTO saw SELECT 'tab_reader', 'columns', howdah.get_column_metadata((SELECT oid FROM t));
SELECT throws_ok(format('SELECT howdah.set_column_metadata(%s, 2::smallint, NULL)', (SELECT oid FROM t)), '42501',
                 'must be owner of table "acc""ess; ✓"."sec ret" to change its metadata', 'a table reader may not clear options');
RESET ROLE;

SET LOCAL ROLE howdah_test_stranger;
INSERT INTO saw SELECT 'stranger', 'columns', howdah.get_column_metadata((SELECT oid FROM t));
INSERT INTO saw SELECT 'stranger', 'details', jsonb_agg(c -> 'display_options' ORDER BY (c ->> 'attnum')::int)
  FROM jsonb_array_elements(howdah.get_table((SELECT oid FROM t)) -> 'columns') c;
INSERT INTO saw SELECT 'stranger', 'table', howdah.get_table_metadata((SELECT oid FROM t));
SELECT throws_ok(format('SELECT howdah.set_table_metadata(%s, ''{"column_order": [1]}'')', (SELECT oid FROM t)), '42501',
                 'must be owner of table "acc""ess; ✓"."sec ret" to change its metadata', 'a stranger may not change table metadata');
RESET ROLE;

SELECT is((SELECT v FROM saw WHERE who = 'col_reader' AND what = 'columns'),
          '[{"attnum": 1, "display_options": {"n": 1}}, {"attnum": 2, "display_options": {"n": 2}}]',
          'a column reader sees the options of the columns it may read, not of "sal""ary"');
SELECT is((SELECT v FROM saw WHERE who = 'col_reader' AND what = 'details'), '[{"n": 1}, {"n": 2}, null]',
          'get_table shows the same: display_options null where the column is not readable');
SELECT is((SELECT jsonb_array_length(v) FROM saw WHERE who = 'tab_reader' AND what = 'columns'), 3, 'a table reader sees all three');
SELECT is((SELECT v FROM saw WHERE who = 'stranger' AND what = 'columns'), '[]', 'a stranger sees none');
SELECT is((SELECT v FROM saw WHERE who = 'stranger' AND what = 'details'), '[null, null, null]', 'not in get_table either');
SELECT is((SELECT v FROM saw WHERE who = 'stranger' AND what = 'table'), '{"preview_template": "{2}", "column_order": [3, 2, 1]}',
          'table metadata is readable by every role, like a comment');
SELECT is(howdah.get_column_metadata((SELECT oid FROM t)),
          '[{"attnum": 1, "display_options": {"n": 1}}, {"attnum": 2, "display_options": {"n": 2}}, {"attnum": 3, "display_options": {"n": 3}}]',
          'the refused calls changed nothing');

-- A member of the owning role may change it; the owner reads options even after revoking its own SELECT.
SET LOCAL ROLE howdah_test_owner_member;
SELECT is(howdah.set_column_metadata((SELECT oid FROM t), 3::smallint, '{"n": 33}') -> 'display_options', '{"n": 33}',
          'a member of the owning role may change options');
RESET ROLE;
REVOKE SELECT ON "acc""ess; ✓"."sec ret" FROM howdah_test_owner;
SET LOCAL ROLE howdah_test_owner;
INSERT INTO saw SELECT 'owner', 'columns', howdah.get_column_metadata((SELECT oid FROM t));
RESET ROLE;
SELECT is((SELECT jsonb_array_length(v) FROM saw WHERE who = 'owner' AND what = 'columns'), 3, 'owners always read their tables'' options');

SELECT * FROM finish();
ROLLBACK;
