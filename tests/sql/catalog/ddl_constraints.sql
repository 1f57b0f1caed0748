-- list_constraints / add_constraints / drop_constraints over hostile names.
BEGIN;
SELECT plan(12);

CREATE SCHEMA "con; s";
CREATE TABLE "con; s"."Pa""rent" ("kéy" int PRIMARY KEY, code text);
CREATE TABLE "con; s"."child table" (id int, "parent ref" int, code text, CHECK (id > 0));
INSERT INTO "con; s"."Pa""rent" VALUES (1, 'a');
INSERT INTO "con; s"."child table" VALUES (1, 1, 'x'), (2, 1, 'x');
CREATE TEMP TABLE ids AS SELECT '"con; s"."Pa""rent"'::regclass::oid AS parent, '"con; s"."child table"'::regclass::oid AS child;

CREATE TEMP TABLE added AS SELECT howdah.add_constraints((SELECT child FROM ids), jsonb_build_array(
    '{"name": "child pk; --", "type": "primary_key", "columns": ["id"]}'::jsonb,
    jsonb_build_object('type', 'foreign_key', 'columns', '["parent ref"]'::jsonb, 'referent_table', (SELECT parent::bigint FROM ids),
                       'on_delete', 'cascade', 'deferrable', true))) AS oids;
SELECT is((SELECT cardinality(oids) FROM added), 2, 'two constraints added, two oids');
CREATE TEMP TABLE cons AS SELECT j ->> 'name' AS name, j FROM jsonb_array_elements(howdah.list_constraints((SELECT child FROM ids))) j;
SELECT is((SELECT jsonb_agg(j ->> 'type' ORDER BY name) FROM cons), '["primary_key", "check", "foreign_key"]',
          'list_constraints names their types, the existing check included');
SELECT is((SELECT j - 'oid' - 'name' - 'definition' - 'referent_table_oid' FROM cons WHERE j ->> 'type' = 'foreign_key'),
          '{"type": "foreign_key", "columns": [2], "referent_columns": [1], "on_delete": "cascade", "on_update": "no action", "deferrable": true}',
          'the foreign key, referencing the parent''s primary key by default');
SELECT is((SELECT (j ->> 'referent_table_oid')::oid FROM cons WHERE j ->> 'type' = 'foreign_key'), (SELECT parent FROM ids), 'referent table oid');
SELECT is((SELECT (j ->> 'oid')::oid FROM cons WHERE name = 'child pk; --'), (SELECT oids[1] FROM added), 'returned oids are in input order');

SELECT throws_ok($$SELECT howdah.add_constraints((SELECT child FROM ids), '[{"type": "unique", "columns": ["code"]}]')$$,
                 '23505', NULL, 'existing duplicates refuse a unique constraint');
SELECT throws_ok($$SELECT howdah.add_constraints((SELECT child FROM ids), '[{"type": "unique", "columns": ["id"], "name": "ok"}, {"type": "unique", "columns": ["code"]}]')$$,
                 '23505', NULL, 'the second fails …');
SELECT is((SELECT count(*)::int FROM pg_constraint WHERE conname = 'ok'), 0, '… and the first is not kept');
SELECT throws_ok($$SELECT howdah.add_constraints((SELECT child FROM ids), '[{"type": "check", "columns": ["id"]}]')$$,
                 '22023', 'add_constraints constraints[0]: key ''type'' must be primary_key, unique or foreign_key, got check', 'no SQL expressions from JSON');
SELECT throws_ok($$SELECT howdah.add_constraints((SELECT child FROM ids), '[{"type": "unique", "columns": ["id"], "on_delete": "cascade"}]')$$,
                 '22023', 'add_constraints constraints[0]: referent_table, referent_columns, on_delete and on_update apply to foreign_key only', 'actions only on foreign keys');

SELECT is(howdah.drop_constraints((SELECT child FROM ids), (SELECT oids[2:2] FROM added)), 1, 'drop_constraints');
SELECT throws_ok(format('SELECT howdah.drop_constraints(%s, ARRAY[%s]::oid[])', (SELECT parent FROM ids), (SELECT oids[1] FROM added)),
                 '42704', format('constraint with oid %s does not exist on table "con; s"."Pa""rent"', (SELECT oids[1] FROM added)),
                 'a constraint of another table is unknown here');

SELECT * FROM finish();
ROLLBACK;
