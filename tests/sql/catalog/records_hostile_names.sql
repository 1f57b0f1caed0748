-- Records with hostile names for the schema, the table and the columns (quotes, semicolons,
-- SQL comments, unicode, 63-byte names, reserved words, LIKE and format wildcards) and hostile
-- values: everything is stored and found verbatim, and nothing else runs.
BEGIN;
SELECT plan(17);

CREATE TABLE public.rec_sentinel (x int);
CREATE TEMP TABLE n AS SELECT
    'x''); DROP TABLE public.rec_sentinel; --'::text AS sch,
    'Ta"ble; DROP TABLE public.rec_sentinel; --'::text AS tab,
    repeat('é', 31) || 'x' AS long,   -- 63 bytes
    '''); DROP TABLE public.rec_sentinel; --'::text AS evil;
DO $$ DECLARE r record; BEGIN
    SELECT * INTO r FROM n;
    EXECUTE format('CREATE SCHEMA %I', r.sch);
    EXECUTE format('CREATE TABLE %I.%I ("order" text PRIMARY KEY, "select" int, %I text, "näme ✓" text, "a%%b_c" text, "it''s ""q""" text)',
                   r.sch, r.tab, r.long);
END $$;
CREATE TEMP TABLE t AS SELECT format('%I.%I', sch, tab)::regclass AS rel FROM n;

SELECT is(octet_length((SELECT long FROM n)), 63, 'a 63-byte column name');
SELECT is(howdah.add_record((SELECT rel FROM t), jsonb_build_object('order', (SELECT evil FROM n), 'select', 1, (SELECT long FROM n), 'g1',
                                                                    'näme ✓', 'Zoë "ü" \ $1 %s', 'a%b_c', '100%', 'it''s "q"', 'q''q')),
          jsonb_build_object('1', (SELECT evil FROM n), '2', 1, '3', 'g1', '4', 'Zoë "ü" \ $1 %s', '5', '100%', '6', 'q''q'),
          'add_record: hostile names as keys, hostile values stored verbatim');
SELECT is(howdah.add_record((SELECT rel FROM t), '{"1": "select; --", "2": 2, "3": "g1", "4": "Ann", "5": "10_0", "6": ""}') -> '1',
          '"select; --"', 'add_record by attnums');
SELECT is(howdah.add_record((SELECT rel FROM t), '{"1": "plain", "2": 3, "3": "g2", "4": "ann", "5": "x", "6": "y"}') -> '1',
          '"plain"', 'a plain row');
SELECT is(howdah.get_record((SELECT rel FROM t), to_jsonb((SELECT evil FROM n))) -> '4', '"Zoë \"ü\" \\ $1 %s"', 'get_record by a hostile key');
SELECT is(howdah.get_record((SELECT rel FROM t), jsonb_build_object('order', 'select; --')) -> '2', '2', 'get_record by the key named "order"');
SELECT is(howdah.list_records((SELECT rel FROM t), filter => jsonb_build_object('column', 'order', 'op', '=', 'value', (SELECT evil FROM n))) -> 'count',
          '1', 'filter = on a hostile value');
SELECT is(howdah.list_records((SELECT rel FROM t), filter => '{"column": "a%b_c", "op": "contains", "value": "%"}') -> 'results' -> 0 -> '5',
          '"100%"', 'contains %, on a column named a%b_c');
SELECT is(howdah.list_records((SELECT rel FROM t), filter => '{"column": "näme ✓", "op": "icontains", "value": "\\ $1 %S"}') -> 'count',
          '1', 'icontains a backslash, $1 and %s');
SELECT is((SELECT jsonb_agg(x -> '2') FROM jsonb_array_elements(howdah.list_records((SELECT rel FROM t), "order" => '[{"column": "select", "direction": "desc"}]') -> 'results') x),
          '[3, 2, 1]', 'order by the column named "select"');
SELECT is(howdah.list_records((SELECT rel FROM t), "grouping" => jsonb_build_object('columns', jsonb_build_array((SELECT long FROM n)))) -> 'grouping' -> 'groups',
          '[{"id": 1, "count": 2, "values": {"3": "g1"}, "result_indices": [0, 1]}, {"id": 2, "count": 1, "values": {"3": "g2"}, "result_indices": [2]}]',
          'grouping by the 63-byte column');
SELECT is((SELECT jsonb_agg(x -> '1') FROM jsonb_array_elements(howdah.search_records((SELECT rel FROM t), '[{"column": "näme ✓", "value": "ANN"}, {"column": "it''s \"q\"", "value": "Q''"}]') -> 'results') x),
          jsonb_build_array('plain', 'select; --', (SELECT evil FROM n)), 'search on hostile columns with a quote in the value');
SELECT is(howdah.patch_record((SELECT rel FROM t), to_jsonb((SELECT evil FROM n)), jsonb_build_object('it''s "q"', (SELECT evil FROM n))) -> '6',
          to_jsonb((SELECT evil FROM n)), 'patch_record with a hostile id and value');
SELECT throws_ok(format($$SELECT howdah.list_records(%s, filter => '{"column": "sel;ect", "op": "=", "value": 1}')$$, (SELECT rel::oid FROM t)), '42703',
                 format('filter.column: column "sel;ect" of table %s does not exist', (SELECT rel FROM t)), 'an unknown hostile column is named');
SELECT throws_ok(format($$SELECT howdah.add_record(%s, '{"order": "z", "select": "1; DROP TABLE public.rec_sentinel"}')$$, (SELECT rel::oid FROM t)), '22P02',
                 format('rec: column "select" of table %s: invalid input syntax for type integer: "1; DROP TABLE public.rec_sentinel"', (SELECT rel FROM t)),
                 'a hostile value that does not convert');
SELECT is(howdah.delete_records((SELECT rel FROM t), jsonb_build_array((SELECT evil FROM n), 'select; --', 'nope')), 2::bigint, 'delete_records by hostile ids');
SELECT ok(to_regclass('public.rec_sentinel') IS NOT NULL, 'and the sentinel table is still there');

SELECT * FROM finish();
ROLLBACK;
