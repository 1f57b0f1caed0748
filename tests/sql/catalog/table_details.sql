-- get_schema_table_details / get_table / list_tables / list_columns describe tables, columns,
-- type options, keys, dependents and privileges, with hostile names.
BEGIN;
SELECT plan(25);

CREATE SCHEMA "shop; drop";
CREATE TYPE "shop; drop".mood AS ENUM ('happy', 'sad');
CREATE TABLE "shop; drop"."Cust""omers" (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    "näme" varchar(40) NOT NULL,
    balance numeric(12, 2) DEFAULT 0,
    seen timestamptz(3),
    span interval day to second(2),
    tags text[],
    mood "shop; drop".mood
);
COMMENT ON TABLE "shop; drop"."Cust""omers" IS 'who ''buys''';
COMMENT ON COLUMN "shop; drop"."Cust""omers"."näme" IS 'full name';
CREATE TABLE "shop; drop".orders (id int PRIMARY KEY, customer bigint REFERENCES "shop; drop"."Cust""omers");
CREATE VIEW "shop; drop".big AS SELECT id FROM "shop; drop".orders WHERE id > 100;

CREATE TEMP TABLE d AS SELECT howdah.get_schema_table_details('"shop; drop"'::regnamespace)::jsonb AS v;
CREATE TEMP TABLE c AS SELECT t AS tab FROM d, jsonb_array_elements(d.v) t WHERE t ->> 'name' = 'Cust"omers';
CREATE TEMP TABLE col AS SELECT x ->> 'name' AS name, x AS j FROM c, jsonb_array_elements(c.tab -> 'columns') x;

SELECT is(pg_typeof(howdah.get_schema_table_details('"shop; drop"'::regnamespace)), 'json'::regtype,
          'get_schema_table_details returns json (the large document is not converted to jsonb)');
SELECT is((SELECT jsonb_agg(t - 'estimated_rows' ORDER BY t ->> 'name') FROM d, jsonb_array_elements(d.v) t),
          (SELECT jsonb_agg(howdah.get_table((t ->> 'oid')::oid) - 'estimated_rows' ORDER BY t ->> 'name') FROM d, jsonb_array_elements(d.v) t),
          'each table as get_table shows it');
SELECT is((SELECT jsonb_agg(t ->> 'name' ORDER BY t ->> 'name') FROM d, jsonb_array_elements(d.v) t),
          '["Cust\"omers", "big", "orders"]'::jsonb, 'every table and view of the schema');
SELECT is((SELECT tab ->> 'description' FROM c), 'who ''buys''', 'table comment');
SELECT is((SELECT tab ->> 'kind' FROM c), 'table', 'kind');
SELECT is((SELECT (tab ->> 'has_dependents')::boolean FROM c), true, 'referenced by orders: has dependents');
SELECT is((SELECT t ->> 'kind' FROM d, jsonb_array_elements(d.v) t WHERE t ->> 'name' = 'big'), 'view', 'the view is a view');
SELECT is((SELECT jsonb_array_length(tab -> 'columns') FROM c), 7, 'seven columns');
SELECT is((SELECT j -> 'type_options' FROM col WHERE name = 'näme'), '{"length": 40}', 'varchar length');
SELECT is((SELECT j -> 'type_options' FROM col WHERE name = 'balance'), '{"precision": 12, "scale": 2}', 'numeric precision and scale');
SELECT is((SELECT j -> 'type_options' FROM col WHERE name = 'seen'), '{"precision": 3}', 'timestamptz precision');
SELECT is((SELECT j -> 'type_options' FROM col WHERE name = 'span'), '{"fields": "day to second", "precision": 2}', 'interval fields and precision');
SELECT is((SELECT j -> 'type_options' FROM col WHERE name = 'tags'), '{"item_type": "text"}', 'array item type');
SELECT is((SELECT j -> 'type_options' FROM col WHERE name = 'mood'), '{"enum_values": ["happy", "sad"]}', 'enum values');
SELECT is((SELECT (j ->> 'primary_key')::boolean AND (j ->> 'identity')::boolean FROM col WHERE name = 'id'), true, 'identity primary key');
SELECT is((SELECT j ->> 'description' FROM col WHERE name = 'näme'), 'full name', 'column comment');
SELECT is((SELECT j ->> 'default' FROM col WHERE name = 'balance'), '0', 'column default');
SELECT is((SELECT tab -> 'preview_settings' ->> 'template' FROM c), '{2}', 'preview: the first text-like column');
SELECT is(howdah.get_table('"shop; drop".orders'::regclass) -> 'preview_settings' ->> 'template', '{1}', 'preview falls back to the key');
SELECT is(howdah.list_columns('"shop; drop".orders'::regclass), howdah.get_table('"shop; drop".orders'::regclass) -> 'columns', 'list_columns = get_table columns');
CREATE SCHEMA "empty; s";
SELECT is(howdah.get_schema_table_details('"empty; s"'::regnamespace)::jsonb, '[]', 'a schema without tables: []');
CREATE TABLE "empty; s".nothing ();
SELECT is(howdah.get_schema_table_details('"empty; s"'::regnamespace)::jsonb -> 0 -> 'columns', '[]', 'a table without columns: columns []');
SELECT throws_ok($$SELECT howdah.get_table(4294967295)$$, '42P01', 'table with oid 4294967295 does not exist', 'unknown table oid');
SELECT throws_ok($$SELECT howdah.list_tables(4294967295)$$, '3F000', 'schema with oid 4294967295 does not exist', 'list_tables: unknown schema oid');

-- A role with SELECT on one column only sees its privileges per column.
CREATE ROLE howdah_test_clerk NOLOGIN;
GRANT USAGE ON SCHEMA "shop; drop" TO howdah_test_clerk;
GRANT SELECT ("näme") ON "shop; drop"."Cust""omers" TO howdah_test_clerk;
SET LOCAL ROLE howdah_test_clerk;
CREATE TEMP TABLE clerk AS SELECT howdah.get_table('"shop; drop"."Cust""omers"'::regclass) AS t;
RESET ROLE;
SELECT is((SELECT jsonb_object_agg(x ->> 'name', x -> 'current_role_priv') FROM clerk, jsonb_array_elements(clerk.t -> 'columns') x
            WHERE x ->> 'name' IN ('id', 'näme')) || (SELECT jsonb_build_object('table', t -> 'current_role_priv') FROM clerk),
          '{"id": [], "näme": ["SELECT"], "table": []}', 'column and table privileges are the role''s own');

SELECT * FROM finish();
ROLLBACK;
