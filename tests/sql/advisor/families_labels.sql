-- A family's label says in words what its members share (docs/advisor.md, "Families and
-- anomalies"): the first table, the verb unless select, the join, the predicate shape.
BEGIN;
SELECT plan(9);

-- The label of a family whose members are these statements (centre weights left out: ties
-- then go by token).
CREATE FUNCTION pg_temp.label(VARIADIC sqls text[]) RETURNS text
LANGUAGE sql AS $$
    SELECT howdah_internal.advisor_family_label(
        ARRAY(SELECT array_to_string(howdah_advisor.tokens(s), E'\n') FROM unnest(sqls) s),
        ARRAY(SELECT (howdah_advisor.analyze_query(s)).verb::text FROM unnest(sqls) s), '{}')
$$;

SELECT is(pg_temp.label('UPDATE orders SET status = 1 WHERE id = 2', 'UPDATE orders SET note = 1 WHERE id = 3'),
          'orders_update_by_id', 'an update by id');
SELECT is(pg_temp.label('SELECT * FROM events WHERE payload->>''k'' = ''v'''), 'events_payload_key', 'a jsonb key');
SELECT is(pg_temp.label('SELECT * FROM users WHERE lower(email) = ''x'''), 'users_lower_email', 'a function of a column');
SELECT is(pg_temp.label('SELECT * FROM t WHERE ts >= 1 AND ts < 2'), 't_range_ts', 'a range on one column');
SELECT is(pg_temp.label('DELETE FROM jobs WHERE id IN (1, 2)', 'DELETE FROM jobs WHERE id IN (3) RETURNING id', 'DELETE FROM jobs WHERE id IN (3) AND done IS NULL'),
          'jobs_delete_in_id', 'only the predicates at least half of the members have');
SELECT is(pg_temp.label('SELECT * FROM orders'), 'orders_select', 'no predicate: the verb');
SELECT is(pg_temp.label('INSERT INTO a (x) VALUES (1)', 'INSERT INTO b (x) VALUES (1)', 'INSERT INTO c (x) VALUES (1)'),
          'insert_3tables', 'no table leads: the verb and how many tables');
SELECT is(pg_temp.label('SELECT * FROM "Weird Table" WHERE "Col" = 1'), 'weird_table_by_col', 'quoted names in lower case, [a-z0-9_] only');
SELECT is(pg_temp.label('SELECT now()'), 'select_now', 'no table at all: the verb and the function');

SELECT * FROM finish();
ROLLBACK;
