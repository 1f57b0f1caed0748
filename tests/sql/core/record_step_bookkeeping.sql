-- record_step keeps history, module versions and object fingerprints in step with migrations.
BEGIN;
SELECT plan(9);

CREATE SCHEMA tapmod;
CREATE TABLE tapmod.t (id int);
CREATE FUNCTION tapmod.f() RETURNS int LANGUAGE sql RETURN 1;

SELECT lives_ok($$SELECT howdah_internal.record_step('tapmod', 'tapmod', 1, 'up', '001_t.sql', 'abc', ARRAY['tapmod', 'howdah_internal'])$$,
                'record a first step');
SELECT is((SELECT version FROM howdah_internal.modules WHERE name = 'tapmod'), 1, 'the module is at version 1');
SELECT set_eq($$SELECT kind || ' ' || identity FROM howdah_internal.objects WHERE module = 'tapmod'$$,
              ARRAY['relation tapmod.t', 'function tapmod.f()', 'schema tapmod'],
              'the new table, function and schema belong to the module, core objects do not');
SELECT is((SELECT count(*)::int FROM howdah_internal.history WHERE module = 'tapmod' AND direction = 'up'), 1, 'one history row');

-- A later step changes the function and drops the table.
CREATE OR REPLACE FUNCTION tapmod.f() RETURNS int LANGUAGE sql RETURN 2;
DROP TABLE tapmod.t;
CREATE TEMP TABLE old_fp AS SELECT fingerprint FROM howdah_internal.objects WHERE identity = 'tapmod.f()';
SELECT howdah_internal.record_step('tapmod', 'tapmod', 2, 'up', '002_t.sql', 'def', ARRAY['tapmod', 'howdah_internal']);
SELECT set_eq($$SELECT identity FROM howdah_internal.objects WHERE module = 'tapmod'$$, ARRAY['tapmod.f()', 'tapmod'],
              'a dropped object leaves the record');
SELECT isnt((SELECT fingerprint FROM howdah_internal.objects WHERE identity = 'tapmod.f()'),
            (SELECT fingerprint FROM old_fp), 'the changed function has a new fingerprint');
SELECT is((SELECT fingerprint FROM howdah_internal.fingerprints(ARRAY['tapmod']) WHERE identity = 'tapmod.f()'),
          (SELECT fingerprint FROM howdah_internal.objects WHERE identity = 'tapmod.f()'), 'a changed definition is re-fingerprinted');

-- Reverting to version 0 forgets the module but keeps the history.
SELECT howdah_internal.record_step('tapmod', 'tapmod', 0, 'down', '001_t.sql', 'abc', ARRAY['tapmod', 'howdah_internal']);
SELECT is((SELECT count(*)::int FROM howdah_internal.modules WHERE name = 'tapmod') + (SELECT count(*)::int FROM howdah_internal.objects WHERE module = 'tapmod'),
          0, 'version 0 removes the module and its objects');
SELECT is((SELECT string_agg(direction, ',' ORDER BY id) FROM howdah_internal.history WHERE module = 'tapmod'), 'up,up,down', 'history keeps every step');

SELECT * FROM finish();
ROLLBACK;
