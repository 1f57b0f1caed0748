-- list_records order: directions, nulls first/last, the primary key appended so the order is
-- total, and paging page by page returns every row exactly once — with and without a key.
BEGIN;
SELECT plan(14);

CREATE TABLE public.rec_ord (k1 int, k2 text, grp int, name text, PRIMARY KEY (k2, k1));
INSERT INTO public.rec_ord SELECT i % 7, 'k' || (i % 5), CASE WHEN i % 4 = 0 THEN NULL ELSE i % 3 END, 'n' || i
  FROM generate_series(1, 35) i;
CREATE FUNCTION pg_temp.names(j jsonb) RETURNS jsonb LANGUAGE sql
RETURN (SELECT coalesce(jsonb_agg(x.v -> '4' ORDER BY x.n), '[]') FROM jsonb_array_elements(j -> 'results') WITH ORDINALITY AS x(v, n));
-- Every page of `size` rows under an order, concatenated.
CREATE FUNCTION pg_temp.paged(tab regclass, ord jsonb, size int) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    acc jsonb := '[]';
    page jsonb;
    off int := 0;
BEGIN
    LOOP
        page := howdah.list_records(tab, size, off, ord) -> 'results';
        EXIT WHEN jsonb_array_length(page) = 0;
        acc := acc || page;
        off := off + size;
    END LOOP;
    RETURN acc;
END $$;

SELECT is(pg_temp.names(howdah.list_records('public.rec_ord'::regclass, 5)),
          (SELECT jsonb_agg(name ORDER BY k2, k1) FROM (SELECT * FROM public.rec_ord ORDER BY k2, k1 LIMIT 5) s),
          'no order: the composite primary key, in key order');
SELECT is(pg_temp.names(howdah.list_records('public.rec_ord'::regclass, 6, 0, '[{"column": "grp", "direction": "desc"}]')),
          (SELECT jsonb_agg(name) FROM (SELECT name FROM public.rec_ord ORDER BY grp DESC, k2, k1 LIMIT 6) s),
          'desc puts nulls first (PostgreSQL''s default), then the key ascending');
SELECT is(pg_temp.names(howdah.list_records('public.rec_ord'::regclass, 6, 0, '[{"column": "grp", "direction": "desc", "nulls": "last"}]')),
          (SELECT jsonb_agg(name) FROM (SELECT name FROM public.rec_ord ORDER BY grp DESC NULLS LAST, k2, k1 LIMIT 6) s),
          'desc nulls last');
SELECT is(pg_temp.names(howdah.list_records('public.rec_ord'::regclass, 6, 0, '[{"column": 3, "nulls": "first"}]')),
          (SELECT jsonb_agg(name) FROM (SELECT name FROM public.rec_ord ORDER BY grp NULLS FIRST, k2, k1 LIMIT 6) s),
          'asc nulls first, by attnum');
SELECT is(pg_temp.names(howdah.list_records('public.rec_ord'::regclass, 4, 30, '[{"column": "grp"}, {"column": "k1", "direction": "desc"}]')),
          (SELECT jsonb_agg(name) FROM (SELECT name FROM public.rec_ord ORDER BY grp, k1 DESC, k2 LIMIT 4 OFFSET 30) s),
          'two columns; only the key columns not yet used are appended');
SELECT is(pg_temp.names(howdah.list_records('public.rec_ord'::regclass, 3, 0, '[]')),
          pg_temp.names(howdah.list_records('public.rec_ord'::regclass, 3, 0, 'null')), 'an empty order is the key order');

-- Paging through ties: every row exactly once.
SELECT is((SELECT count(DISTINCT x) FROM jsonb_array_elements(pg_temp.paged('public.rec_ord'::regclass, '[{"column": "grp"}]', 4)) x)::int,
          35, 'paging by a column with ties: 35 distinct rows');
SELECT is(jsonb_array_length(pg_temp.paged('public.rec_ord'::regclass, '[{"column": "grp"}]', 4)), 35, 'and 35 rows in all');
SELECT is(pg_temp.paged('public.rec_ord'::regclass, '[{"column": "grp", "direction": "desc", "nulls": "last"}]', 6),
          howdah.list_records('public.rec_ord'::regclass, NULL, 0, '[{"column": "grp", "direction": "desc", "nulls": "last"}]') -> 'results',
          'the pages, put together, are the unpaged list');

-- Without a primary key: the other sortable columns, then the row's physical address, so even
-- duplicate rows page exactly once.
CREATE TABLE public.rec_nokey (a int, doc json, b text);
INSERT INTO public.rec_nokey SELECT i % 2, '{}', 'same' FROM generate_series(1, 9) i;
SELECT is(jsonb_array_length(pg_temp.paged('public.rec_nokey'::regclass, NULL, 2)), 9, 'no key: paging returns all 9 rows');
SELECT is((SELECT array_agg(k ORDER BY k) FROM jsonb_object_keys(howdah.list_records('public.rec_nokey'::regclass, 1) -> 'results' -> 0) k),
          ARRAY['1', '2', '3'], 'records carry only the columns (no ctid)');
SELECT is((SELECT jsonb_agg(x -> '1') FROM jsonb_array_elements(howdah.list_records('public.rec_nokey'::regclass) -> 'results') x),
          '[0, 0, 0, 0, 1, 1, 1, 1, 1]', 'no key: ordered by the sortable columns (json is skipped)');
SELECT is(howdah_internal.catalog_order_sql('public.rec_nokey'::regclass, NULL, '{}'), 'r.a, r.b, r.tableoid, r.ctid',
          'the tie-breaker without a key');
SELECT is(howdah_internal.catalog_order_sql('public.rec_ord'::regclass, '[{"column": "k1", "direction": "desc", "nulls": "last"}]', '{3}'),
          'r.grp, r.k1 DESC NULLS LAST, r.k2', 'group columns first, then the order, then the rest of the key');

SELECT * FROM finish();
ROLLBACK;
