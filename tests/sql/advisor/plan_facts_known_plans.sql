-- advisor_plan_facts reads known plans into the facts shape of docs/advisor.md: seq scans with
-- their filter columns, index scans with the index, hash joins and nested loops with their inner
-- side, sorts under a LIMIT, hashed and correlated subplans, estimate skew from an ANALYZE plan,
-- and predicates split into classified conjuncts (columns, lower(x), doc ->> 'k', IS NULL).
BEGIN;
SELECT plan(29);

CREATE SCHEMA adv_facts;
CREATE TABLE adv_facts.customers (id int PRIMARY KEY, email text, active boolean);
INSERT INTO adv_facts.customers SELECT g, 'u' || g || '@x', g % 2 = 0 FROM generate_series(1, 5000) g;
CREATE TABLE adv_facts.orders (id int PRIMARY KEY, customer_id int, note text, doc jsonb, shipped_at timestamptz, a int, b int);
INSERT INTO adv_facts.orders SELECT g, g % 5000 + 1, 'n' || g, jsonb_build_object('k', g % 100), CASE WHEN g % 10 > 0 THEN now() END, g, g
  FROM generate_series(1, 20000) g;
ANALYZE adv_facts.customers, adv_facts.orders;

CREATE FUNCTION pg_temp.facts(sql text, run boolean DEFAULT false) RETURNS jsonb LANGUAGE sql AS $$
    SELECT howdah_internal.advisor_plan_facts((howdah_internal.advisor_explain(sql, run)).plan, ARRAY['adv_facts.orders', 'adv_facts.customers'])
$$;

-- Seq scan.
CREATE TEMP TABLE f1 AS SELECT pg_temp.facts('SELECT * FROM adv_facts.orders WHERE customer_id = $1 AND note IS NOT NULL') AS f;
SELECT is((SELECT f #>> '{seq_scans,0,table}' FROM f1), 'adv_facts.orders', 'a Seq Scan names its table, schema-qualified');
SELECT is((SELECT f #> '{seq_scans,0,columns}' FROM f1), '["customer_id", "note"]', 'with the columns of its filter');
SELECT is((SELECT (f #>> '{seq_scans,0,relid}')::oid FROM f1), 'adv_facts.orders'::regclass::oid, 'and its relid');
SELECT is((SELECT jsonb_agg(p - 'node_id' - 'relid' - 'expr_key' ORDER BY p ->> 'column') FROM f1, jsonb_array_elements(f -> 'predicates') p),
          '[{"op": "=", "rhs": "param", "expr": null, "kind": "eq", "node": "Seq Scan", "alias": null, "other": null, "table": "adv_facts.orders", "value": "$1", "column": "customer_id", "source": "filter", "operator": "="},
            {"op": "is not null", "rhs": "const", "expr": null, "kind": "null", "node": "Seq Scan", "alias": null, "other": null, "table": "adv_facts.orders", "value": null, "column": "note", "source": "filter", "operator": "IS NOT NULL"}]'::jsonb,
          'the filter is split into classified conjuncts');
SELECT ok((SELECT f -> 'node_types' ? 'Seq Scan' AND NOT (f ->> 'analyzed')::boolean AND f -> 'max_skew' = 'null' FROM f1),
          'node_types lists the nodes; no skew without ANALYZE');

-- Index scan.
CREATE TEMP TABLE f2 AS SELECT pg_temp.facts('SELECT * FROM adv_facts.orders WHERE id = $1') AS f;
SELECT is((SELECT f -> 'index_scans' -> 0 ->> 'index' FROM f2), 'adv_facts.orders_pkey', 'an index scan names its index');
SELECT is((SELECT f -> 'index_scans' -> 0 ->> 'index_cond' FROM f2), '(id = $1)', 'and its Index Cond');
SELECT is((SELECT p ->> 'source' FROM f2, jsonb_array_elements(f -> 'predicates') p), 'index_cond', 'whose conjuncts are index_cond predicates');
SELECT is((SELECT jsonb_array_length(f -> 'seq_scans') FROM f2), 0, 'no seq scan');

-- Hash join: the condition gives a predicate on each side.
CREATE TEMP TABLE f3 AS SELECT pg_temp.facts('SELECT * FROM adv_facts.orders o JOIN adv_facts.customers c ON c.id = o.customer_id WHERE c.email = $1') AS f;
SELECT is((SELECT j - 'node_id' - 'inner_node_id' - 'outer_node_id' - 'inner_relid' - 'outer_relid' - 'rows' - 'outer_rows' - 'inner_rows' FROM f3, jsonb_array_elements(f -> 'joins') j),
          '{"cond": "(o.customer_id = c.id)", "node": "Hash Join", "join_type": "Inner", "inner_node": "Seq Scan", "inner_table": "adv_facts.customers",
            "join_filter": null, "outer_node": "Seq Scan", "outer_table": "adv_facts.orders"}'::jsonb,
          'a hash join with its condition and the tables on each side');
SELECT is(ARRAY(SELECT p ->> 'table' || '.' || (p ->> 'column') || ' ' || (p ->> 'op') || ' ' || (p ->> 'other')
                  FROM f3, jsonb_array_elements(f -> 'predicates') p WHERE p ->> 'source' = 'join' ORDER BY 1),
          ARRAY['adv_facts.customers.id = o.customer_id', 'adv_facts.orders.customer_id = c.id'], 'the hash condition names both sides, aliases resolved');

-- Nested loop.
SET LOCAL enable_hashjoin = off;
SET LOCAL enable_mergejoin = off;
CREATE TEMP TABLE f4 AS SELECT pg_temp.facts('SELECT * FROM adv_facts.customers c JOIN adv_facts.orders o ON o.id = c.id WHERE c.email = $1') AS f;
RESET enable_hashjoin;
RESET enable_mergejoin;
SELECT is((SELECT f #>> '{joins,0,node}' FROM f4), 'Nested Loop', 'a nested loop');
SELECT is((SELECT (f #>> '{joins,0,inner_table}') || ' ' || (f #>> '{joins,0,inner_node}') FROM f4), 'adv_facts.orders Index Scan',
          'with the table and node of its inner side');
SELECT is((SELECT p ->> 'other' FROM f4, jsonb_array_elements(f -> 'predicates') p WHERE p ->> 'source' = 'index_cond'), 'c.id',
          'the inner index condition compares with the outer column');

-- Sort under a LIMIT.
CREATE TEMP TABLE f5 AS SELECT pg_temp.facts('SELECT * FROM adv_facts.orders WHERE customer_id = $1 ORDER BY note DESC LIMIT 5') AS f;
SELECT is((SELECT (f -> 'sorts' -> 0) - 'node_id' - 'relid' - 'rows' FROM f5),
          '{"node": "Sort", "keys": ["note DESC"], "limit": true, "table": "adv_facts.orders", "columns": [{"desc": true, "expr": null, "column": "note"}]}'::jsonb,
          'a sort under a LIMIT with its keys and table');

-- Subplans: hashed NOT IN, correlated scalar subquery.
CREATE TEMP TABLE f6 AS SELECT pg_temp.facts('SELECT c.id, (SELECT count(*) FROM adv_facts.orders o WHERE o.customer_id = c.id) FROM adv_facts.customers c
                                             WHERE c.id NOT IN (SELECT customer_id FROM adv_facts.orders WHERE note = $1)') AS f;
SELECT is((SELECT jsonb_agg(s ->> 'name' || ' hashed=' || (s ->> 'hashed') || ' correlated=' || (s ->> 'correlated') ORDER BY s ->> 'name') FROM f6, jsonb_array_elements(f -> 'subplans') s),
          '["SubPlan 1 hashed=false correlated=true", "SubPlan 2 hashed=true correlated=false"]', 'subplans: correlated, and hashed');
SELECT is((SELECT s ->> 'table' FROM f6, jsonb_array_elements(f -> 'subplans') s WHERE s ->> 'name' = 'SubPlan 1'), 'adv_facts.orders', 'a subplan names the table it reads');

-- Expressions, jsonb keys, IS NULL, booleans, IN, ranges written value-first.
CREATE TEMP TABLE f7 AS SELECT pg_temp.facts($q$SELECT * FROM adv_facts.orders o JOIN adv_facts.customers c ON c.id = o.customer_id
    WHERE lower(c.email) = 'u1@x' AND c.active AND o.doc ->> 'k' = '5' AND o.shipped_at IS NULL AND o.note IN ('a', 'b') AND 5 < o.a$q$) AS f;
CREATE TEMP VIEW p7 AS SELECT p.* FROM f7, jsonb_to_recordset(f -> 'predicates')
    AS p("table" text, "column" text, expr text, op text, kind text, rhs text, value text, source text);
SELECT is((SELECT row("table", op, kind, rhs, value)::text FROM p7 WHERE expr = 'lower(email)'),
          row('adv_facts.customers', '=', 'eq', 'const', '''u1@x''::text')::text, 'lower(email) is an expression predicate on its table');
SELECT is((SELECT row("table", op, kind)::text FROM p7 WHERE expr = 'doc ->> ''k''::text'),
          row('adv_facts.orders', '=', 'eq')::text, 'doc ->> ''k'' is one too');
SELECT is((SELECT row(op, kind)::text FROM p7 WHERE "column" = 'shipped_at'), row('is null', 'null')::text, 'IS NULL is a null predicate');
SELECT is((SELECT row(op, kind, value)::text FROM p7 WHERE "column" = 'active'), row('=', 'eq', 'true')::text, 'a boolean column alone is = true');
SELECT is((SELECT row(op, kind)::text FROM p7 WHERE "column" = 'note'), row('in', 'eq')::text, 'IN is an equality');
SELECT is((SELECT row(op, kind)::text FROM p7 WHERE "column" = 'a'), row('>', 'range')::text, '5 < a is a > 5');

-- Skew: a = b holds for every row, the planner guesses 0.5 %.
CREATE TEMP TABLE f8 AS SELECT pg_temp.facts('SELECT * FROM adv_facts.orders WHERE a = b', run => true) AS f;
SELECT ok((SELECT (f ->> 'analyzed')::boolean AND (f ->> 'max_skew')::numeric >= 50 FROM f8), 'an ANALYZE plan has max_skew (est 100, act 20000)');
SELECT is((SELECT s ->> 'table' FROM f8, jsonb_array_elements(f -> 'skew') s WHERE s ->> 'node' = 'Seq Scan'), 'adv_facts.orders', 'skew names the node and its table');
SELECT ok((SELECT (f #>> '{seq_scans,0,rows_removed}')::numeric = 0 FROM f8), 'rows_removed comes from ANALYZE');

-- explain_query: plan, facts, fingerprint for pasted SQL; bad plans are refused.
SELECT is((SELECT howdah_advisor.explain_query('SELECT * FROM adv_facts.orders WHERE customer_id = 7') ->> 'fingerprint'),
          howdah_advisor.fingerprint('select * from adv_facts.orders where customer_id = $1'), 'explain_query gives the fingerprint');
SELECT is((SELECT howdah_advisor.explain_query('SELECT * FROM adv_facts.orders WHERE customer_id = 7') #>> '{facts,seq_scans,0,filter}'),
          '(customer_id = 7)', 'and the facts of its plan');
SELECT throws_ok($$SELECT howdah_internal.advisor_plan_facts('{"nope": 1}')$$, '22023', NULL, 'a document that is no plan is 22023');

SELECT * FROM finish();
ROLLBACK;
