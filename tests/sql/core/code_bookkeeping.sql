-- record_code attributes what a module's code made; drop_code removes exactly that, in whatever
-- order the objects depend on each other, and refuses when something outside depends on it.
BEGIN;
SELECT plan(10);

CREATE SCHEMA tapcode;
CREATE TABLE tapcode.t (id int);
SELECT howdah_internal.record_step('tapcode', 'tapcode', 1, 'up', '001_t.sql', 'abc', ARRAY['tapcode', 'howdah_internal']);

-- Code whose objects depend on each other: b() on a(), a view on b(), a trigger on c().
CREATE FUNCTION tapcode.a() RETURNS int LANGUAGE sql RETURN 1;
CREATE FUNCTION tapcode.b() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT tapcode.a() + 1; END;
CREATE VIEW tapcode.v AS SELECT tapcode.b() AS n;
CREATE FUNCTION tapcode.c() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
CREATE TRIGGER t_c BEFORE INSERT ON tapcode.t FOR EACH ROW EXECUTE FUNCTION tapcode.c();
SELECT lives_ok($$SELECT howdah_internal.record_code('tapcode', 'tapcode', 'sum1', '9.9.9', ARRAY['tapcode', 'howdah_internal'])$$,
                'record the code');
SELECT set_eq($$SELECT source || ' ' || kind || ' ' || identity FROM howdah_internal.objects WHERE module = 'tapcode'$$,
              ARRAY['migration relation tapcode.t', 'migration schema tapcode',
                    'code function tapcode.a()', 'code function tapcode.b()', 'code function tapcode.c()',
                    'code relation tapcode.v', 'code trigger t_c on tapcode.t'],
              'code objects are told apart from migration objects');
SELECT is((SELECT code_checksum || ' ' || release FROM howdah_internal.modules WHERE name = 'tapcode'), 'sum1 9.9.9',
          'the code checksum and release are recorded');

-- Something outside the code depends on it: the drop is refused and changes nothing.
CREATE VIEW public.tap_outside AS SELECT tapcode.a() AS n;
SELECT throws_ok($$SELECT howdah_internal.drop_code('tapcode', 'tapcode')$$, '2BP01', NULL,
                 'a dependent object outside the code stops the drop');
SELECT ok(to_regprocedure('tapcode.b()') IS NOT NULL AND to_regclass('tapcode.v') IS NOT NULL, 'the refused drop changed nothing');
DROP VIEW public.tap_outside;

SELECT lives_ok($$SELECT howdah_internal.drop_code('tapcode', 'tapcode')$$, 'drop the code');
SELECT ok(to_regprocedure('tapcode.a()') IS NULL AND to_regprocedure('tapcode.b()') IS NULL AND to_regclass('tapcode.v') IS NULL
          AND NOT EXISTS (SELECT FROM pg_trigger WHERE tgname = 't_c') AND to_regclass('tapcode.t') IS NOT NULL,
          'every code object is gone, the table stays');

-- Code may not make tables.
CREATE TABLE tapcode.cache (k text);
SELECT throws_ok($$SELECT howdah_internal.record_code('tapcode', 'tapcode', 'sum2', '9.9.9', ARRAY['tapcode', 'howdah_internal'])$$,
                 '42P17', 'the code of module tapcode created tapcode.cache', 'code that makes a table is refused');

-- Code of a module with no migrations applied is refused, and nothing of it is recorded.
CREATE SCHEMA tapnone;
CREATE FUNCTION tapnone.f() RETURNS int LANGUAGE sql RETURN 1;
SELECT throws_ok($$SELECT howdah_internal.record_code('tapnone', 'tapnone', 'sum3', '9.9.9', ARRAY['tapnone', 'howdah_internal'])$$,
                 '55000', 'module tapnone is not installed in schema tapnone: apply its migrations before its code',
                 'code of a module that is not installed is refused');
SELECT ok(NOT EXISTS (SELECT FROM howdah_internal.objects WHERE module = 'tapnone'), 'and none of its objects is recorded');

SELECT * FROM finish();
ROLLBACK;
