-- tokens() and analyze_query(): the verb, relations and feature tokens of a statement — the
-- same for literal variants — and the captured query of a pasted statement.
BEGIN;
SELECT plan(12);

SELECT is(howdah_advisor.tokens('SELECT o.id FROM orders o JOIN users u ON u.id = o.user_id WHERE o.customer_id = 42 AND lower(u.email) LIKE ''a%'' ORDER BY o.created_at DESC LIMIT 5'),
          '{verb:select,table:orders,join:inner,table:users,"joincond:id = user_id","pred:customer_id = ?",func:lower,"pred:lower(email) like ?",clause:order_by,clause:limit}'::text[],
          'tables, joins, join conditions, predicate shapes, functions and clauses, in order');
SELECT is(howdah_advisor.tokens('SELECT * FROM events WHERE payload->>''kind'' = ''click'' AND ts >= $1 AND ts < $2 AND id IN (1, 2) AND x IS NOT NULL'),
          '{verb:select,table:events,op:->>,"pred:payload->>? = ?","pred:ts >= ?","pred:ts < ?","pred:id in ?","pred:x is not null"}'::text[],
          'jsonb keys, ranges, IN lists and IS NOT NULL');
SELECT is(howdah_advisor.tokens('SELECT * FROM orders WHERE customer_id = 7'), howdah_advisor.tokens('select * from ORDERS where customer_id = $1'),
          'literal variants have the same tokens');
SELECT is(howdah_advisor.tokens('UPDATE orders SET status = ''x'' WHERE id NOT IN (SELECT order_id FROM items) AND 10 < total'),
          '{verb:update,table:orders,set:status,clause:not_in,"pred:id not in (select)",clause:subquery,table:items,"pred:total > ?"}'::text[],
          'SET assignments, NOT IN over a subquery, a literal on the left');
SELECT is((howdah_advisor.analyze_query('WITH recent AS (SELECT * FROM orders WHERE created_at > now() - interval ''1 day'') INSERT INTO archive (id) SELECT id FROM recent')).tables,
          '{orders,archive}'::text[], 'a WITH query''s name is no table');
SELECT is((howdah_advisor.analyze_query('WITH x AS (SELECT 1) DELETE FROM public.jobs j USING x WHERE j.id = 1')).verb,
          'delete'::howdah_advisor.query_verb, 'the verb comes after the WITH clause');
SELECT is((howdah_advisor.analyze_query('SELECT extract(year FROM ts), substring(s FROM 2) FROM t, u AS x, v y WHERE t.a IS DISTINCT FROM x.b')).tables,
          '{t,u,v}'::text[], 'FROM inside function calls is no table; comma lists with aliases are');
SELECT is((howdah_advisor.analyze_query('VACUUM orders')).verb, 'utility'::howdah_advisor.query_verb, 'utility statements');
SELECT is((howdah_advisor.analyze_query('(SELECT 1 FROM a) UNION ALL (SELECT 2 FROM b)')).tables, '{a,b}'::text[], 'a statement that starts with a bracket');

SELECT is((SELECT row(norm_sql, fingerprint, verb)::text FROM howdah_advisor.analyze_query('SELECT * FROM "T" WHERE a = 1')),
          row('select * from "T" where a = ?', md5('select * from "T" where a = ?'), 'select')::text, 'analyze_query: normalized text, fingerprint, verb');
SELECT is((howdah_advisor.analyze_query('SELECT 1')).query_id, NULL, 'no query_id for a statement no scan captured');
SELECT throws_ok($$SELECT howdah_advisor.analyze_query('SELECT ''x')$$, '42601', NULL, 'an unterminated string is 42601');

SELECT * FROM finish();
ROLLBACK;
