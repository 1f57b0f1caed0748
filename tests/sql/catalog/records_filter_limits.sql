-- Filters and searches have documented size limits, checked before anything recurses: a filter
-- nests at most 100 levels deep and has at most 1000 nodes, a search at most 100 terms. Over a
-- limit is 22023 naming it, not "stack depth limit exceeded" (54001), which a filter 1,000 nots
-- deep and a search of 8,000 terms used to hit.
BEGIN;
SELECT plan(12);

CREATE TABLE public.rec_lim (id int PRIMARY KEY, name text);
INSERT INTO public.rec_lim VALUES (1, 'one'), (2, 'two');
-- `levels` levels: levels - 1 nested nots around one condition.
CREATE FUNCTION pg_temp.nots(levels int) RETURNS jsonb LANGUAGE sql
RETURN (SELECT repeat('{"not": ', levels - 1) || '{"column": "id", "op": "=", "value": 1}' || repeat('}', levels - 1))::jsonb;
-- `levels` levels of single-child ands around one condition.
CREATE FUNCTION pg_temp.ands(levels int) RETURNS jsonb LANGUAGE sql
RETURN (SELECT repeat('{"and": [', levels - 1) || '{"column": "id", "op": "=", "value": 1}' || repeat(']}', levels - 1))::jsonb;
CREATE FUNCTION pg_temp.conds(n int) RETURNS jsonb LANGUAGE sql
RETURN jsonb_build_object('or', (SELECT jsonb_agg(jsonb_build_object('column', 'id', 'op', '=', 'value', i)) FROM generate_series(1, n) i));
CREATE FUNCTION pg_temp.terms(n int) RETURNS jsonb LANGUAGE sql
RETURN (SELECT jsonb_agg(jsonb_build_object('column', 'name', 'value', CASE WHEN i = 1 THEN 'o' ELSE 'x' || i END)) FROM generate_series(1, n) i);

SELECT throws_ok($$SELECT howdah.list_records('public.rec_lim'::regclass, filter => pg_temp.nots(1001))$$, '22023',
                 'filter nests deeper than 100 levels, the limit (each and, or and not is a level)', '1,000 nots: 22023, not 54001');
SELECT throws_ok($$SELECT howdah.list_records('public.rec_lim'::regclass, filter => pg_temp.nots(101))$$, '22023',
                 'filter nests deeper than 100 levels, the limit (each and, or and not is a level)', '101 levels');
SELECT is(howdah.list_records('public.rec_lim'::regclass, filter => pg_temp.nots(100)) -> 'count', '1', '100 levels of not');
SELECT is(howdah.list_records('public.rec_lim'::regclass, filter => pg_temp.ands(100)) -> 'count', '1', '100 levels of and');
SELECT throws_ok($$SELECT howdah.list_records('public.rec_lim'::regclass, filter => pg_temp.ands(101))$$, '22023',
                 'filter nests deeper than 100 levels, the limit (each and, or and not is a level)', '101 levels of and');
SELECT is(howdah.list_records('public.rec_lim'::regclass, filter => pg_temp.conds(999)) -> 'count', '2', '1000 nodes');
SELECT throws_ok($$SELECT howdah.list_records('public.rec_lim'::regclass, filter => pg_temp.conds(1000))$$, '22023',
                 'filter has more than 1000 nodes (conditions, and, or, not), the limit', '1001 nodes');
SELECT throws_ok($$SELECT howdah.list_records('public.rec_lim'::regclass, filter => pg_temp.conds(8000))$$, '22023',
                 'filter has more than 1000 nodes (conditions, and, or, not), the limit', '8,000 conditions');
SELECT is(howdah.list_records('public.rec_lim'::regclass, filter => jsonb_build_object('column', 'id', 'op', 'in', 'value',
                                  (SELECT jsonb_agg(i) FROM generate_series(1, 20000) i))) -> 'count', '2', 'the values of op in do not count');

SELECT throws_ok($$SELECT howdah.search_records('public.rec_lim'::regclass, pg_temp.terms(8000))$$, '22023',
                 'search has 8000 terms; at most 100 are allowed', 'a search of 8,000 terms: 22023, not 54001');
SELECT throws_ok($$SELECT howdah.search_records('public.rec_lim'::regclass, pg_temp.terms(101))$$, '22023',
                 'search has 101 terms; at most 100 are allowed', '101 terms');
SELECT is(howdah.search_records('public.rec_lim'::regclass, pg_temp.terms(100)) -> 'count', '2', '100 terms');

SELECT * FROM finish();
ROLLBACK;
