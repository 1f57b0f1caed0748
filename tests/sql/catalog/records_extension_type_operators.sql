-- Filters and id lookups use the column type's own operators (from its default btree or hash
-- operator class), wherever they live: the functions pin search_path to pg_catalog, so a type
-- from an extension in another schema (citext, hstore) must not fall back to text's operators
-- or find none. Ordinary types behave as before.
BEGIN;
SELECT plan(26);

CREATE SCHEMA "ext; ops ✓";
CREATE EXTENSION citext SCHEMA "ext; ops ✓";
CREATE EXTENSION hstore SCHEMA "ext; ops ✓";
CREATE SCHEMA "rec ext";
CREATE DOMAIN "rec ext".email AS "ext; ops ✓".citext CHECK (VALUE LIKE '%@%');
CREATE TABLE "rec ext"."people ✓" (
    name  "ext; ops ✓".citext PRIMARY KEY,
    email "rec ext".email,
    attrs "ext; ops ✓".hstore,
    n     int,
    code  varchar(5),
    tags  "ext; ops ✓".citext[]
);
INSERT INTO "rec ext"."people ✓" VALUES
    ('Ann', 'Ann@Example.com', 'a=>1, b=>2', 1, 'x', '{Red}'),
    ('bob', 'bob@x', 'a=>2', 2, 'y', '{blue}'),
    ('Cara', 'CARA@x', NULL, 3, 'x', NULL);
CREATE TEMP TABLE t AS SELECT '"rec ext"."people ✓"'::regclass::oid AS oid;
-- The names of the matching rows, in list order.
CREATE FUNCTION pg_temp.f(filter jsonb, ord jsonb DEFAULT NULL) RETURNS jsonb LANGUAGE sql
RETURN (SELECT coalesce(jsonb_agg(x.v -> '1' ORDER BY x.n), '[]')
          FROM jsonb_array_elements(howdah.list_records((SELECT oid FROM t), "order" => ord, filter => filter) -> 'results') WITH ORDINALITY AS x(v, n));

-- What plain SQL does with the extension's schema on the search_path.
CREATE FUNCTION pg_temp.plain() RETURNS text LANGUAGE sql SET search_path = "ext; ops ✓", pg_catalog
AS $$ SELECT row((SELECT count(*) FROM "rec ext"."people ✓" WHERE email = 'ann@example.com'),
                 (SELECT count(*) FROM "rec ext"."people ✓" WHERE attrs = 'b=>2, a=>1'))::text $$;
SELECT is(pg_temp.plain(), '(1,1)', 'plain SQL: citext = ignores case, hstore = ignores key order');

-- citext (through a domain, too).
SELECT is(pg_temp.f('{"column": "email", "op": "=", "value": "ann@example.com"}'), '["Ann"]', 'citext =: case-insensitive, as in SQL');
SELECT is(pg_temp.f('{"column": "email", "op": "<>", "value": "ANN@EXAMPLE.COM"}'), '["bob", "Cara"]', 'citext <>');
SELECT is(pg_temp.f('{"column": "name", "op": "in", "value": ["ANN", "CARA", "nobody"]}'), '["Ann", "Cara"]', 'citext in');
SELECT is(pg_temp.f('{"and": [{"column": "name", "op": ">=", "value": "ANN"}, {"column": "name", "op": "<=", "value": "ann"}]}'),
          '["Ann"]', 'citext <= and >=: "Ann" is both, as citext orders');
SELECT is(pg_temp.f('{"column": "name", "op": "<", "value": "BOB"}'), '["Ann"]', 'citext <');
SELECT is(pg_temp.f('{"column": "name", "op": ">", "value": "BOB"}'), '["Cara"]', 'citext >');
SELECT is(pg_temp.f('{"column": "tags", "op": "=", "value": ["RED"]}'), '["Ann"]', 'an array of citext compares its elements as citext');
SELECT is(pg_temp.f('{"column": "tags", "op": "in", "value": [["BLUE"], ["green"]]}'), '["bob"]', 'in on an array of citext');
SELECT is(pg_temp.f(NULL, '[{"column": "name"}]'), '["Ann", "bob", "Cara"]', 'order by citext sorts case-insensitively');
SELECT is(pg_temp.f('{"column": "name", "op": "icontains", "value": "AR"}'), '["Cara"]', 'icontains on citext');
SELECT is(pg_temp.f('{"column": "name", "op": "contains", "value": "AR"}'), '[]', 'contains compares text, case-sensitively, on citext too');
SELECT is(pg_temp.f('{"column": "name", "op": "iequal", "value": "BOB"}'), '["bob"]', 'iequal on citext');
SELECT is(howdah.search_records((SELECT oid FROM t), '[{"column": "name", "value": "ANN"}]') -> 'results' -> 0 -> '1', '"Ann"', 'search on citext');

-- Ids: get, patch, delete by a citext primary key.
SELECT is(howdah.get_record((SELECT oid FROM t), '"ann"') -> '1', '"Ann"', 'get_record finds "Ann" by "ann"');
SELECT is(howdah.get_record((SELECT oid FROM t), '{"name": "CARA"}') -> '4', '3', 'and by an id object');
SELECT is(howdah.patch_record((SELECT oid FROM t), '"BOB"', '{"n": 20}') -> '4', '20', 'patch_record by a citext key');
SELECT is(howdah.delete_records((SELECT oid FROM t), '["CARA", "nobody"]'), 1::bigint, 'delete_records by a citext key');
SELECT is((SELECT array_agg(name::text ORDER BY n) FROM "rec ext"."people ✓"), '{Ann,bob}', 'only Cara was deleted');

-- hstore: its = and <> live in the extension's schema.
SELECT is(pg_temp.f('{"column": "attrs", "op": "=", "value": "b=>2, a=>1"}'), '["Ann"]', 'hstore = (key order does not matter)');
SELECT is(pg_temp.f('{"column": "attrs", "op": "<>", "value": "a=>2"}'), '["Ann"]', 'hstore <> (NULL is neither)');
SELECT is(pg_temp.f('{"column": "attrs", "op": "in", "value": ["a=>2", "c=>3"]}'), '["bob"]', 'hstore in');

-- Ordinary types still compare as before.
SELECT is(pg_temp.f('{"column": "n", "op": ">=", "value": "2"}'), '["bob"]', 'int >=');
SELECT is(pg_temp.f('{"column": "code", "op": "=", "value": "x"}'), '["Ann"]', 'varchar = (text''s operator)');
SELECT is(pg_temp.f('{"column": "code", "op": "in", "value": ["x", "y"]}'), '["Ann", "bob"]', 'varchar in');
SELECT throws_ok(format('SELECT howdah.list_records(%s, filter => %L)', (SELECT oid FROM t), '{"column": "attrs", "op": "<", "value": "a=>1"}'),
                 '22023', 'filter: op < does not apply to column "attrs" of table "rec ext"."people ✓", of type "ext; ops ✓".hstore',
                 'hstore orders with #<#, not <: op < is refused up front (no 42883)');

SELECT * FROM finish();
ROLLBACK;
