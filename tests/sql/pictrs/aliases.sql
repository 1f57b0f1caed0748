-- AliasRepo: create_alias answers 'ok' or 'conflict'; delete tokens, hash lookup, aliases of a
-- hash; cleanup_alias removes the alias and its proxy but keeps the hash; deleting a hash
-- cascades to its aliases. Bad input: its SQLSTATE, nothing written.
BEGIN;
SELECT plan(16);

SELECT pictrs.create_hash('h1', 'files/h1');
SELECT pictrs.create_hash('h2', 'files/h2');
SELECT is(pictrs.create_alias('cat.png', 'h1', 'tok1'), 'ok', 'create_alias: ok');
SELECT is(pictrs.create_alias('cat.png', 'h2', 'tok2'), 'conflict', 'a taken alias: conflict');
SELECT is(pictrs.hash_for_alias('cat.png'), 'h1', 'and it still names the first hash');
SELECT is(pictrs.delete_token('cat.png'), 'tok1', 'with the first token');
SELECT is(pictrs.create_alias('dog.png', 'h1', 'tok3'), 'ok', 'a second alias of the hash');
SELECT throws_ok($$SELECT pictrs.create_alias('x.png', 'nope', 't')$$, 'P0002', 'no hash ''nope''', 'an alias of an unknown hash names it');
SELECT throws_ok($$SELECT pictrs.create_alias('x.png', 'h1', '')$$, '22023', 'delete_token must be a non-empty string', 'an empty token is refused');
SELECT throws_ok($$SELECT pictrs.create_alias(NULL, 'h1', 't')$$, '22023', 'alias must be a non-empty string', 'a null alias is refused');
SELECT is(pictrs.hash_for_alias('x.png'), NULL, 'and nothing was written');
SELECT results_eq($$SELECT * FROM pictrs.aliases_for_hash('h1')$$, $$VALUES ('cat.png'), ('dog.png')$$, 'aliases_for_hash lists them in order');
SELECT is(pictrs.delete_token('nope'), NULL, 'no token for an unknown alias');

SELECT pictrs.relate_url('https://example.com/dog', 'dog.png');
SELECT is(pictrs.cleanup_alias('dog.png'), 'h1', 'cleanup_alias returns the hash the alias named');
SELECT ok(pictrs.related('https://example.com/dog') IS NULL AND pictrs.identifier('h1') = 'files/h1',
          'its proxy relation went with it, the hash stays');
SELECT is(pictrs.cleanup_alias('dog.png'), NULL, 'a second cleanup: NULL');

SELECT pictrs.create_alias('bird.png', 'h2', 'tok4');
DELETE FROM pictrs.hashes WHERE hash = 'h2';
SELECT is(pictrs.hash_for_alias('bird.png'), NULL, 'deleting a hash cascades to its aliases');
SELECT results_eq($$SELECT * FROM pictrs.aliases_for_hash('h1')$$, $$VALUES ('cat.png')$$, 'other aliases stay');

SELECT * FROM finish();
ROLLBACK;
