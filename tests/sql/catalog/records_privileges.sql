-- Records under the caller's own privileges and row-level security (everything is SECURITY
-- INVOKER): columns without SELECT are absent, RLS hides rows from results, counts, get, patch
-- and delete, a role without privileges gets 42501 on read and on write and changes nothing.
BEGIN;
SELECT plan(26);

CREATE SCHEMA "rec priv";
CREATE TABLE "rec priv".staff (id int PRIMARY KEY, name text, dept text, salary int);
INSERT INTO "rec priv".staff VALUES (1, 'Ann', 'sales', 100), (2, 'Bob', 'eng', 200), (3, 'Cy', 'sales', 300),
                                    (4, 'Di', 'eng', 400), (5, 'Ed', 'sales', 500);
ALTER TABLE "rec priv".staff ENABLE ROW LEVEL SECURITY;
CREATE POLICY sales_only ON "rec priv".staff USING (dept = 'sales');

CREATE ROLE howdah_test_rec_clerk NOLOGIN;   -- some columns, some rows
CREATE ROLE howdah_test_rec_peek NOLOGIN;    -- one column, not the key
CREATE ROLE howdah_test_rec_none NOLOGIN;    -- nothing on the table
GRANT USAGE ON SCHEMA "rec priv" TO howdah_test_rec_clerk, howdah_test_rec_peek, howdah_test_rec_none;
GRANT USAGE ON SCHEMA tap TO howdah_test_rec_clerk, howdah_test_rec_peek, howdah_test_rec_none;
GRANT SELECT (id, name, dept), INSERT (id, name, dept), UPDATE (name, dept), DELETE ON "rec priv".staff TO howdah_test_rec_clerk;
GRANT SELECT (name) ON "rec priv".staff TO howdah_test_rec_peek;

-- The clerk: no salary column, only sales rows.
SET LOCAL ROLE howdah_test_rec_clerk;
CREATE TEMP TABLE clerk AS SELECT
    howdah.list_records('"rec priv".staff'::regclass) AS all_rows,
    howdah.list_records('"rec priv".staff'::regclass, 1, 5) AS past_end,
    howdah.search_records('"rec priv".staff'::regclass, '[{"column": "name", "value": "d"}]') AS search,
    howdah.get_record('"rec priv".staff'::regclass, '3') AS got;
SELECT throws_ok($$SELECT howdah.list_records('"rec priv".staff'::regclass, filter => '{"column": "salary", "op": ">", "value": 1}')$$,
                 '42501', 'permission denied for table staff', 'filtering on a column without SELECT');
SELECT throws_ok($$SELECT howdah.list_records('"rec priv".staff'::regclass, "grouping" => '{"columns": ["salary"]}')$$,
                 '42501', 'grouping.columns[0]: permission denied for column "salary" of table "rec priv".staff', 'grouping by it');
SELECT throws_ok($$SELECT howdah.get_record('"rec priv".staff'::regclass, '2')$$,
                 'P0002', 'record 2 not found in table "rec priv".staff', 'get_record: a row RLS hides is not found');
SELECT throws_ok($$SELECT howdah.patch_record('"rec priv".staff'::regclass, '2', '{"name": "Bobby"}')$$,
                 'P0002', 'record 2 not found in table "rec priv".staff', 'patch_record: nor can it be patched');
SELECT throws_ok($$SELECT howdah.patch_record('"rec priv".staff'::regclass, '1', '{"salary": 1}')$$,
                 '42501', 'permission denied for table staff', 'patching a column without UPDATE');
SELECT throws_ok($$SELECT howdah.add_record('"rec priv".staff'::regclass, '{"id": 6, "name": "Fay", "dept": "eng"}')$$,
                 '42501', 'new row violates row-level security policy for table "staff"', 'adding a row the policy rejects');
SELECT throws_ok($$SELECT howdah.add_record('"rec priv".staff'::regclass, '{"id": 6, "name": "Fay", "dept": "sales", "salary": 9}')$$,
                 '42501', 'permission denied for table staff', 'adding a column without INSERT');
CREATE TEMP TABLE clerk_writes AS SELECT
    howdah.add_record('"rec priv".staff'::regclass, '{"id": 6, "name": "Fay", "dept": "sales"}') AS added,
    howdah.patch_record('"rec priv".staff'::regclass, '1', '{"name": "Annie"}') AS patched,
    howdah.delete_records('"rec priv".staff'::regclass, '[2, 4, 5]') AS deleted;
RESET ROLE;

SELECT is((SELECT all_rows -> 'results' FROM clerk),
          '[{"1": 1, "2": "Ann", "3": "sales"}, {"1": 3, "2": "Cy", "3": "sales"}, {"1": 5, "2": "Ed", "3": "sales"}]',
          'clerk: no salary key, only the rows the policy shows');
SELECT is((SELECT all_rows -> 'count' FROM clerk), '3', 'clerk: count is of the visible rows');
SELECT is((SELECT past_end FROM clerk), '{"results": [], "count": 3, "grouping": null}', 'clerk: empty page, count of the visible rows');
SELECT is((SELECT search FROM clerk), '{"results": [{"1": 5, "2": "Ed", "3": "sales"}], "count": 1}',
          'clerk: search finds Ed, not the hidden Di (eng) that would rank first');
SELECT is((SELECT got FROM clerk), '{"1": 3, "2": "Cy", "3": "sales"}', 'clerk: get_record without the salary');
SELECT is((SELECT added FROM clerk_writes), '{"1": 6, "2": "Fay", "3": "sales"}', 'clerk: add_record returns the readable columns');
SELECT is((SELECT patched FROM clerk_writes), '{"1": 1, "2": "Annie", "3": "sales"}', 'clerk: patch_record');
SELECT is((SELECT deleted FROM clerk_writes), 1::bigint, 'clerk: delete_records deletes only the visible row among the ids');
SELECT is((SELECT jsonb_agg(jsonb_build_array(id, name, salary) ORDER BY id) FROM "rec priv".staff),
          '[[1, "Annie", 100], [2, "Bob", 200], [3, "Cy", 300], [4, "Di", 400], [6, "Fay", null]]', 'the table after the clerk');

-- Peek reads one column that is not the key: records are {"2": name}; order by what it can read.
SET LOCAL ROLE howdah_test_rec_peek;
CREATE TEMP TABLE peek AS SELECT howdah.list_records('"rec priv".staff'::regclass, "order" => '[{"column": "name", "direction": "desc"}]') AS j,
                                 howdah.list_records('"rec priv".staff'::regclass, 2, 0) AS page;
SELECT throws_ok($$SELECT howdah.get_record('"rec priv".staff'::regclass, '1')$$, '42501', 'permission denied for table "rec priv".staff: get_record needs the SELECT privilege on its key column "id"',
                 'peek: get_record needs SELECT on the key');
RESET ROLE;
SELECT is((SELECT j FROM peek), '{"results": [{"2": "Fay"}, {"2": "Cy"}, {"2": "Annie"}], "count": 3, "grouping": null}',
          'peek: only the readable column, only the visible rows');
SELECT is((SELECT page -> 'results' FROM peek), '[{"2": "Annie"}, {"2": "Cy"}]', 'peek: the key is unreadable, so the order falls back to readable columns');

-- None: 42501 on every read and write, nothing changed.
SET LOCAL ROLE howdah_test_rec_none;
SELECT throws_ok($$SELECT howdah.list_records('"rec priv".staff'::regclass)$$, '42501', 'permission denied for table "rec priv".staff', 'none: list_records');
SELECT throws_ok($$SELECT howdah.search_records('"rec priv".staff'::regclass, '[{"column": 2, "value": "a"}]')$$, '42501', 'permission denied for table "rec priv".staff', 'none: search_records');
SELECT throws_ok($$SELECT howdah.get_record('"rec priv".staff'::regclass, '1')$$, '42501', 'permission denied for table "rec priv".staff', 'none: get_record');
SELECT throws_ok($$SELECT howdah.add_record('"rec priv".staff'::regclass, '{"id": 7, "name": "Gil", "dept": "sales"}')$$, '42501', 'permission denied for table "rec priv".staff: add_record needs the INSERT privilege on it', 'none: add_record');
SELECT throws_ok($$SELECT howdah.patch_record('"rec priv".staff'::regclass, '1', '{"name": "x"}')$$, '42501', 'permission denied for table "rec priv".staff: patch_record needs the UPDATE privilege on it', 'none: patch_record');
SELECT throws_ok($$SELECT howdah.delete_records('"rec priv".staff'::regclass, '[1, 3]')$$, '42501', 'permission denied for table "rec priv".staff: delete_records needs the DELETE privilege on it', 'none: delete_records');
RESET ROLE;
SELECT is((SELECT jsonb_agg(jsonb_build_array(id, name, salary) ORDER BY id) FROM "rec priv".staff),
          '[[1, "Annie", 100], [2, "Bob", 200], [3, "Cy", 300], [4, "Di", 400], [6, "Fay", null]]', 'none changed nothing');

SELECT * FROM finish();
ROLLBACK;
