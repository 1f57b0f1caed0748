-- patch_record: sets the given columns of one record and returns it; unknown ids are P0002;
-- values that do not convert are refused naming the column, leaving the record as it was.
BEGIN;
SELECT plan(12);

CREATE TABLE public.rec_patch (id int PRIMARY KEY, name text NOT NULL, qty int DEFAULT 0, note text);
INSERT INTO public.rec_patch VALUES (1, 'Ann', 3, 'x'), (2, 'Bob', 5, NULL);
CREATE TABLE public.rec_patch2 (a text, b int, v text, PRIMARY KEY (a, b));
INSERT INTO public.rec_patch2 VALUES ('p', 1, 'one'), ('p', 2, 'two');

SELECT is(howdah.patch_record('public.rec_patch'::regclass, '1', '{"qty": 4, "4": null}'),
          '{"1": 1, "2": "Ann", "3": 4, "4": null}', 'by name and attnum; returns the updated record');
SELECT is((SELECT to_jsonb(r) FROM public.rec_patch r WHERE id = 2), '{"id": 2, "name": "Bob", "qty": 5, "note": null}', 'other records untouched');
SELECT is(howdah.patch_record('public.rec_patch'::regclass, '2', '{}'), '{"1": 2, "2": "Bob", "3": 5, "4": null}', 'an empty patch returns the record');
SELECT is(howdah.patch_record('public.rec_patch'::regclass, '{"id": 2}', '{"id": 20, "name": "Bo''b; --"}'),
          '{"1": 20, "2": "Bo''b; --", "3": 5, "4": null}', 'the key itself can change; hostile value stored verbatim');
SELECT is(howdah.patch_record('public.rec_patch2'::regclass, '{"a": "p", "2": 2}', '{"v": "deux"}') -> '3', '"deux"', 'a composite key');

SELECT throws_ok($$SELECT howdah.patch_record('public.rec_patch'::regclass, '2', '{"qty": 1}')$$, 'P0002',
                 'record 2 not found in table public.rec_patch', 'an unknown id (the key moved to 20)');
SELECT throws_ok($$SELECT howdah.patch_record('public.rec_patch'::regclass, '1', '{"name": "Zed", "qty": "lots"}')$$, '22P02',
                 'rec: column "qty" of table public.rec_patch: invalid input syntax for type integer: "lots"', 'a value that does not convert');
SELECT throws_ok($$SELECT howdah.patch_record('public.rec_patch'::regclass, '"one"', '{"qty": 1}')$$, '22P02',
                 'id: column "id" of table public.rec_patch: invalid input syntax for type integer: "one"', 'an id that does not convert');
SELECT throws_ok($$SELECT howdah.patch_record('public.rec_patch'::regclass, '1', '{"name": null}')$$, '23502', NULL, 'not null is PostgreSQL''s');
SELECT throws_ok($$SELECT howdah.patch_record('public.rec_patch'::regclass, '1', '{"nope": 1}')$$, '42703',
                 'rec key ''nope'': column "nope" of table public.rec_patch does not exist', 'an unknown column');
SELECT throws_ok($$SELECT howdah.patch_record('public.rec_patch'::regclass, '1', '"x"')$$, '22023',
                 'rec must be a JSON object keyed by column attnum or name, got string', 'a patch that is no object');
SELECT is((SELECT jsonb_agg(to_jsonb(r) ORDER BY id) FROM public.rec_patch r),
          '[{"id": 1, "name": "Ann", "qty": 4, "note": null}, {"id": 20, "name": "Bo''b; --", "qty": 5, "note": null}]',
          'the refused patches changed nothing');

SELECT * FROM finish();
ROLLBACK;
