-- drop_schemas / drop_tables / drop_columns / drop_constraints follow one rule: each takes an
-- array, drops all or none, counts an oid (or attnum) given twice once, returns how many it
-- dropped, refuses NULL elements, and drops what depends on them only with cascade.
BEGIN;
SELECT plan(24);

CREATE SCHEMA "drop; s";
CREATE TABLE "drop; s"."pa rent" (id int PRIMARY KEY, code text UNIQUE, note text);
CREATE TABLE "drop; s".child (id int PRIMARY KEY, parent_id int REFERENCES "drop; s"."pa rent");
CREATE VIEW "drop; s".v AS SELECT id, note FROM "drop; s"."pa rent";
CREATE MATERIALIZED VIEW "drop; s".mv AS SELECT id FROM "drop; s".v;
CREATE TABLE "drop; s".lone (a int);
CREATE TEMP TABLE r AS SELECT '"drop; s"."pa rent"'::regclass::oid AS parent, '"drop; s".child'::regclass::oid AS child,
    '"drop; s".v'::regclass::oid AS v, '"drop; s".mv'::regclass::oid AS mv, '"drop; s".lone'::regclass::oid AS lone;

-- drop_tables
SELECT throws_ok(format('SELECT howdah.drop_tables(ARRAY[%s]::oid[])', (SELECT parent FROM r)),
                 '2BP01', NULL, 'drop_tables: dependents that are not listed refuse the call');
SELECT has_table('drop; s', 'pa rent', 'and nothing is dropped');
SELECT is(howdah.drop_tables((SELECT ARRAY[v, parent, mv, child, parent] FROM r)), 4,
          'drop_tables: relations depending on each other all listed (a view, the materialized view over it, two tables with a foreign key): no cascade needed; an oid given twice counts once');
SELECT ok(to_regclass('"drop; s"."pa rent"') IS NULL AND to_regclass('"drop; s".child') IS NULL
          AND to_regclass('"drop; s".v') IS NULL AND to_regclass('"drop; s".mv') IS NULL, 'all four are gone');
SELECT throws_ok(format('SELECT howdah.drop_tables(ARRAY[%s, 4294967295]::oid[])', (SELECT lone FROM r)),
                 '42P01', 'table with oid 4294967295 does not exist', 'drop_tables: an unknown oid drops nothing');
SELECT throws_ok(format('SELECT howdah.drop_tables(ARRAY[%s, NULL]::oid[])', (SELECT lone FROM r)),
                 '22023', 'drop_tables: tables must not hold NULL', 'drop_tables: NULL is refused');
SELECT has_table('drop; s', 'lone', 'lone survived both');
SELECT is(howdah.drop_tables('{}'), 0, 'drop_tables: an empty array drops nothing');
CREATE VIEW "drop; s".lone_view AS SELECT a FROM "drop; s".lone;
SELECT is(howdah.drop_tables((SELECT ARRAY[lone] FROM r), "cascade" => true), 1, 'drop_tables with cascade counts what was listed …');
SELECT ok(to_regclass('"drop; s".lone_view') IS NULL, '… and drops the view over it too');

-- drop_columns
CREATE TABLE "drop; s".cols (id int, a int, b int);
CREATE VIEW "drop; s".cv AS SELECT a FROM "drop; s".cols;
SELECT throws_ok($$SELECT howdah.drop_columns('"drop; s".cols'::regclass, '{2,3}')$$,
                 '2BP01', NULL, 'drop_columns: a view over a column refuses the call');
SELECT has_column('drop; s', 'cols', 'b', 'and the other column is kept');
SELECT is(howdah.drop_columns('"drop; s".cols'::regclass, '{2,3,3}', true), 2, 'drop_columns with cascade, an attnum given twice counts once');
SELECT ok(to_regclass('"drop; s".cv') IS NULL AND NOT EXISTS (SELECT FROM pg_attribute WHERE attrelid = '"drop; s".cols'::regclass AND attname IN ('a', 'b')),
          'both columns and the view are gone');

-- drop_constraints
CREATE TABLE "drop; s".k (id int CONSTRAINT k_pk PRIMARY KEY, code int CONSTRAINT k_code UNIQUE, up int CONSTRAINT k_up REFERENCES "drop; s".k (id));
CREATE TABLE "drop; s".kref (x int CONSTRAINT kref_code REFERENCES "drop; s".k (code));
CREATE TEMP TABLE c AS SELECT '"drop; s".k'::regclass::oid AS k,
    (SELECT oid FROM pg_constraint WHERE conname = 'k_pk') AS pk, (SELECT oid FROM pg_constraint WHERE conname = 'k_code') AS uq,
    (SELECT oid FROM pg_constraint WHERE conname = 'k_up') AS fk;
SELECT throws_ok(format('SELECT howdah.drop_constraints(%s, ARRAY[%s]::oid[])', (SELECT k FROM c), (SELECT uq FROM c)),
                 '2BP01', NULL, 'drop_constraints: a key another table''s foreign key needs refuses the call');
SELECT is(howdah.drop_constraints((SELECT k FROM c), (SELECT ARRAY[pk, fk, fk] FROM c)), 2,
          'drop_constraints: the primary key and the foreign key that needs it, listed together, go without cascade (foreign keys first)');
SELECT is(howdah.drop_constraints((SELECT k FROM c), (SELECT ARRAY[uq] FROM c), "cascade" => true), 1, 'drop_constraints with cascade …');
SELECT ok(NOT EXISTS (SELECT FROM pg_constraint WHERE conrelid IN ('"drop; s".k'::regclass, '"drop; s".kref'::regclass)),
          '… drops the other table''s foreign key too');
SELECT throws_ok(format('SELECT howdah.drop_constraints(%s, ARRAY[NULL]::oid[])', (SELECT k FROM c)),
                 '22023', 'drop_constraints: constraints must not hold NULL', 'drop_constraints: NULL is refused');
SELECT throws_ok(format('SELECT howdah.drop_constraints(%s, ARRAY[%s]::oid[])', (SELECT k FROM c), (SELECT pk FROM c)),
                 '42704', NULL, 'drop_constraints: a constraint that is gone is unknown');

-- drop_schemas
CREATE SCHEMA "e 1";
CREATE SCHEMA "e 2";
SELECT is(howdah.drop_schemas(ARRAY['"e 1"'::regnamespace, '"e 2"'::regnamespace, '"e 1"'::regnamespace]::oid[]), 2,
          'drop_schemas: an oid given twice counts once');
SELECT ok(to_regnamespace('"e 1"') IS NULL AND to_regnamespace('"e 2"') IS NULL, 'both schemas are gone');
SELECT throws_ok($$SELECT howdah.drop_schemas(ARRAY[NULL]::oid[])$$, '22023', 'drop_schemas: schemas must not hold NULL', 'drop_schemas: NULL is refused');
SELECT is(howdah.drop_schemas(ARRAY['"drop; s"'::regnamespace]::oid[], true), 1, 'drop_schemas with cascade empties the schema');

SELECT * FROM finish();
ROLLBACK;
