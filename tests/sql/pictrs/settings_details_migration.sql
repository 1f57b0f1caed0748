-- SettingsRepo, DetailsRepo and StoreMigrationRepo: set, read back, replace, remove; bad input
-- refused with nothing written.
BEGIN;
SELECT plan(21);

SELECT lives_ok($$SELECT pictrs.set_setting('version', '\x0102'::bytea)$$, 'set_setting');
SELECT is(pictrs.get_setting('version'), '\x0102'::bytea, 'get_setting reads it back');
SELECT pictrs.set_setting('version', '\x03'::bytea);
SELECT is(pictrs.get_setting('version'), '\x03'::bytea, 'a second set replaces it');
SELECT throws_ok($$SELECT pictrs.set_setting('version', NULL)$$, '22023', 'value must not be null (remove_setting removes a setting)', 'a null value is refused');
SELECT throws_ok($$SELECT pictrs.set_setting('', '\x00')$$, '22023', 'key must be a non-empty string', 'an empty key is refused');
SELECT is(pictrs.get_setting('version'), '\x03'::bytea, 'and nothing changed');
SELECT ok(pictrs.remove_setting('version') AND NOT pictrs.remove_setting('version'), 'remove_setting: true, then false');
SELECT is(pictrs.get_setting('version'), NULL, 'a removed setting is NULL');

SELECT lives_ok($$SELECT pictrs.relate_details('files/a', '{"width": 640, "height": 480, "format": "png"}')$$, 'relate_details');
SELECT is(pictrs.details('files/a') ->> 'width', '640', 'details reads it back');
SELECT pictrs.relate_details('files/a', '{"width": 1}');
SELECT is(pictrs.details('files/a'), '{"width": 1}'::jsonb, 'a second relate replaces it');
SELECT throws_ok($$SELECT pictrs.relate_details('files/a', '[1]')$$, '22023', 'details must be a JSON object, got array', 'details that are not an object are refused');
SELECT is(pictrs.details('files/a'), '{"width": 1}'::jsonb, 'and nothing changed');
SELECT ok(pictrs.cleanup_details('files/a') AND NOT pictrs.cleanup_details('files/a'), 'cleanup_details: true, then false');
SELECT is(pictrs.details('files/a'), NULL, 'details of an unknown identifier are NULL');

SELECT ok(NOT pictrs.is_continuing_migration(), 'no migration at first');
SELECT pictrs.mark_migrated('files/a', 's3/a');
SELECT pictrs.mark_migrated('files/a', 's3/a-again');
SELECT ok(pictrs.is_continuing_migration() AND pictrs.is_migrated('files/a') AND NOT pictrs.is_migrated('files/b'),
          'mark_migrated: a migration continues, the file is migrated, another is not');
SELECT is((SELECT new_identifier FROM pictrs.store_migrations WHERE old_identifier = 'files/a'), 's3/a', 'a second mark keeps the first');
SELECT throws_ok($$SELECT pictrs.mark_migrated('files/b', '')$$, '22023', 'new_identifier must be a non-empty string', 'an empty identifier is refused');
SELECT is(pictrs.clear_migrations(), 1::bigint, 'clear_migrations counts what it forgot');
SELECT ok(NOT pictrs.is_continuing_migration(), 'and no migration continues');

SELECT * FROM finish();
ROLLBACK;
