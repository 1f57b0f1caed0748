-- advisor_explain plans pg_stat_statements' parameterised texts as generic plans, literals as
-- estimates, ANALYZE only for SELECTs (rolled back); it refuses several statements, and leaves no
-- prepared statement behind, the caller's own untouched, errors and all.
BEGIN;
SELECT plan(22);

CREATE SCHEMA adv_explain;
CREATE TABLE adv_explain.orders (id bigint PRIMARY KEY, customer_id bigint, note text);
INSERT INTO adv_explain.orders SELECT g, g % 100, 'n' FROM generate_series(1, 2000) g;
ANALYZE adv_explain.orders;
PREPARE mine AS SELECT 1;

SELECT is((howdah_internal.advisor_explain('SELECT * FROM adv_explain.orders WHERE customer_id = $1')).kind::text,
          'generic', 'a statement with $n parameters gets its generic plan');
SELECT is((howdah_internal.advisor_explain('SELECT * FROM adv_explain.orders WHERE customer_id = $1 AND id > $2')).params,
          2, 'the parameters are counted');
SELECT is((howdah_internal.advisor_explain('SELECT * FROM adv_explain.orders WHERE customer_id = $1')).plan #>> '{Plan,Node Type}',
          'Seq Scan', 'the plan is EXPLAIN''s JSON object (no index on customer_id: a Seq Scan)');
SELECT is((howdah_internal.advisor_explain('SELECT * FROM adv_explain.orders WHERE id = $1')).plan #>> '{Plan,Node Type}',
          'Index Scan', 'the primary key serves an equality on id');
SELECT is((howdah_internal.advisor_explain('select count(*) from adv_explain.orders where note = ''n'';  ')).kind::text,
          'estimate', 'literals and a trailing semicolon: an estimate');
SELECT is((howdah_internal.advisor_explain('UPDATE adv_explain.orders SET note = $1 WHERE id = $2')).plan #>> '{Plan,Node Type}',
          'ModifyTable', 'an UPDATE is planned, not run');

SELECT is((howdah_internal.advisor_explain('SELECT count(*) FROM adv_explain.orders WHERE id > $1 AND now() - interval $2 < now() - INTERVAL  $3')).params,
          3, 'typed literals that pg_stat_statements made parameters (interval $2) are planned as casts');

-- Unqualified names: the session's default path (pg_stat_statements keeps no path), or the one given.
CREATE TABLE public.adv_explain_pub (id int);
SELECT is((howdah_internal.advisor_explain('SELECT * FROM adv_explain_pub WHERE id = $1')).plan #>> '{Plan,Schema}',
          NULL, 'an unqualified table resolves through the session''s default path (public here)');
SELECT is((howdah_internal.advisor_explain('SELECT * FROM orders WHERE id = $1', search_path => 'adv_explain')).plan #>> '{Plan,Relation Name}',
          'orders', 'or through the path given');
SELECT throws_ok($$SELECT howdah_internal.advisor_explain('SELECT * FROM orders WHERE id = $1')$$,
                 '42P01', NULL, 'a path without the table cannot plan it');

-- ANALYZE: SELECT only, literals only, and whatever it did is undone.
CREATE FUNCTION adv_explain.touch() RETURNS int LANGUAGE sql AS $$ UPDATE adv_explain.orders SET note = 'touched' WHERE id = 1 RETURNING 1 $$;
SELECT is((howdah_internal.advisor_explain('SELECT adv_explain.touch()', run => true)).kind::text,
          'analyze', 'analyze runs a SELECT');
SELECT ok((howdah_internal.advisor_explain('SELECT adv_explain.touch()', run => true)).plan #> '{Plan,Actual Rows}' IS NOT NULL,
          'with actual rows');
SELECT is((SELECT note FROM adv_explain.orders WHERE id = 1), 'n', 'and its writes are rolled back');
SELECT throws_ok($$SELECT howdah_internal.advisor_explain('DELETE FROM adv_explain.orders', run => true)$$,
                 '22023', 'run (EXPLAIN ANALYZE) takes only SELECT statements: explain this one without run', 'analyze refuses a DELETE');
SELECT throws_ok($$SELECT howdah_internal.advisor_explain('SELECT * FROM adv_explain.orders WHERE id = $1', run => true)$$,
                 '22023', 'run (EXPLAIN ANALYZE) needs literal values, and this statement has 1 parameters ($1 ...)', 'analyze refuses parameters');
SELECT is((SELECT count(*)::int FROM adv_explain.orders), 2000, 'no row was deleted');

-- One statement, never two.
SELECT throws_ok($$SELECT howdah_internal.advisor_explain('SELECT 1; DROP TABLE adv_explain.orders')$$,
                 '22023', 'sql holds more than one statement: pass one statement to explain', 'a second statement is refused');
SELECT has_table('adv_explain', 'orders', 'and did not run');
SELECT throws_ok($$SELECT howdah_internal.advisor_explain(' ; ')$$, '22023', 'sql is empty: pass one statement to explain', 'empty sql is refused');

-- Failures clean up; the caller's prepared statement stays.
SELECT throws_ok($$SELECT howdah_internal.advisor_explain('SELECT * FROM adv_explain.gone WHERE id = $1')$$,
                 '42P01', NULL, 'a dropped table is PREPARE''s error');
SELECT is((SELECT count(*)::int FROM pg_prepared_statements WHERE name LIKE 'howdah%'), 0,
          'no prepared statement of the advisor is left');
SELECT ok(EXISTS (SELECT FROM pg_prepared_statements WHERE name = 'mine'), 'the caller''s is untouched');

DEALLOCATE mine;
SELECT * FROM finish();
ROLLBACK;
