-- The functions that change a table's columns and constraints check that the caller owns the
-- table before they read their input: a role that does not gets 42501 naming the table, even
-- for a long or malformed list (alter_columns with 20,000 changes used to cost a non-owner 2.5
-- minutes of backend CPU before PostgreSQL's own 42501). When both apply, the ownership error
-- comes before an input error. Long lists from the owner are read without quadratic work.
BEGIN;
SELECT plan(12);

CREATE TABLE public.ddl_first (id int PRIMARY KEY, name text);
CREATE ROLE howdah_test_ddl_first NOLOGIN;
GRANT USAGE ON SCHEMA tap TO howdah_test_ddl_first;
GRANT SELECT, INSERT, UPDATE, DELETE ON public.ddl_first TO howdah_test_ddl_first;

SET LOCAL ROLE howdah_test_ddl_first;
SELECT throws_ok($$SELECT howdah.alter_columns('public.ddl_first'::regclass,
                       (SELECT jsonb_agg(jsonb_build_object('column', 'name', 'description', 'd' || i)) || '[{"column": "nope"}]' FROM generate_series(1, 20000) i))$$,
                 '42501', 'must be owner of table public.ddl_first to alter its columns', 'alter_columns: 20,000 changes and an unknown column: 42501');
SELECT throws_ok($$SELECT howdah.add_columns('public.ddl_first'::regclass, '[{"name": "x"}]')$$,
                 '42501', 'must be owner of table public.ddl_first to add columns', 'add_columns: 42501 before the definition');
SELECT throws_ok($$SELECT howdah.add_constraints('public.ddl_first'::regclass, '[{"type": "check"}]')$$,
                 '42501', 'must be owner of table public.ddl_first to add constraints', 'add_constraints: 42501 before the definition');
SELECT throws_ok($$SELECT howdah.drop_columns('public.ddl_first'::regclass, '{99}')$$,
                 '42501', 'must be owner of table public.ddl_first to drop its columns', 'drop_columns: 42501 before the attnums');
SELECT throws_ok($$SELECT howdah.drop_constraints('public.ddl_first'::regclass, '{1}')$$,
                 '42501', 'must be owner of table public.ddl_first to drop its constraints', 'drop_constraints: 42501 before the oids');
SELECT throws_ok($$SELECT howdah.patch_table('public.ddl_first'::regclass, '{"colour": "red"}')$$,
                 '42501', 'must be owner of table public.ddl_first to change it', 'patch_table: 42501 before the patch');
RESET ROLE;

-- The owner: long lists work, and their errors name the first bad element.
SELECT is(howdah.drop_columns('public.ddl_first'::regclass, (SELECT array_agg(2::smallint) FROM generate_series(1, 20000))), 1,
          'drop_columns: one attnum given 20,000 times counts once');
SELECT throws_ok($$SELECT howdah.drop_columns('public.ddl_first'::regclass, '{1, 70, 60}')$$,
                 '42703', 'drop_columns: column 60 of table public.ddl_first does not exist', 'drop_columns: the smallest unknown attnum');
SELECT throws_ok($$SELECT howdah.add_columns('public.ddl_first'::regclass, (SELECT jsonb_agg(jsonb_build_object('name', 'c' || i, 'type', 'int')) FROM generate_series(1, 1600) i))$$,
                 '54011', 'add_columns columns: table public.ddl_first would have more than 1600 columns (1600 given)', 'add_columns: more than 1600 columns, before reading them');
SELECT is(cardinality(howdah.add_columns('public.ddl_first'::regclass, (SELECT jsonb_agg(jsonb_build_object('name', 'c' || i, 'type', 'int')) FROM generate_series(1, 300) i))), 300,
          'add_columns: 300 columns');
SELECT is(jsonb_array_length(howdah.alter_columns('public.ddl_first'::regclass,
              (SELECT jsonb_agg(jsonb_build_object('column', 'c' || i, 'not_null', false)) FROM generate_series(1, 300) i))), 301,
          'alter_columns: 300 changes');
SELECT throws_ok($$SELECT howdah.alter_columns('public.ddl_first'::regclass,
                       (SELECT jsonb_agg(jsonb_build_object('column', 'c' || i)) || '[{"column": "nope"}]' FROM generate_series(1, 300) i))$$,
                 '42703', 'alter_columns change 300: column "nope" of table public.ddl_first does not exist', 'alter_columns: the bad change after 300 good ones');

SELECT * FROM finish();
ROLLBACK;
