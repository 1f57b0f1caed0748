-- HashRepo: create_hash answers 'created' or 'exists'; identifiers, motion identifiers and
-- blurhashes; variants with 'ok' or 'conflict'; keyset pages; cleanup_hash removes everything
-- that hangs off a hash and returns each identifier once. Bad input: its SQLSTATE, nothing written.
BEGIN;
SELECT plan(38);

SELECT is(pictrs.size(), 0::bigint, 'no hash at first');
SELECT is(pictrs.create_hash('h1', 'files/h1'), 'created', 'create_hash: created');
SELECT is(pictrs.create_hash('h1', 'files/other'), 'exists', 'a second create_hash of the hash: exists');
SELECT is(pictrs.identifier('h1'), 'files/h1', 'and the first identifier stays');
SELECT is(pictrs.identifier('nope'), NULL, 'identifier of an unknown hash is NULL');
SELECT throws_ok($$SELECT pictrs.create_hash('', 'x')$$, '22023', 'hash must be a non-empty string', 'an empty hash is refused');
SELECT throws_ok($$SELECT pictrs.create_hash('h2', NULL)$$, '22023', 'identifier must be a non-empty string', 'a null identifier is refused');
SELECT is(pictrs.size(), 1::bigint, 'and nothing was written');

SELECT lives_ok($$SELECT pictrs.update_identifier('h1', 'object/h1')$$, 'update_identifier');
SELECT is(pictrs.identifier('h1'), 'object/h1', 'moves the hash to the new file');
SELECT throws_ok($$SELECT pictrs.update_identifier('nope', 'x')$$, 'P0002', 'no hash ''nope''', 'update_identifier of an unknown hash names it');

SELECT is(pictrs.motion_identifier('h1'), NULL, 'no motion file at first');
SELECT lives_ok($$SELECT pictrs.relate_motion_identifier('h1', 'motion/h1')$$, 'relate_motion_identifier');
SELECT is(pictrs.motion_identifier('h1'), 'motion/h1', 'motion_identifier reads it back');
SELECT throws_ok($$SELECT pictrs.relate_motion_identifier('nope', 'x')$$, 'P0002', 'no hash ''nope''', 'an unknown hash is named');
SELECT lives_ok($$SELECT pictrs.relate_blurhash('h1', 'LEHV6nWB2yk8')$$, 'relate_blurhash');
SELECT is(pictrs.blurhash('h1'), 'LEHV6nWB2yk8', 'blurhash reads it back');
SELECT throws_ok($$SELECT pictrs.relate_blurhash('h1', '')$$, '22023', 'blurhash must be a non-empty string', 'an empty blurhash is refused');
SELECT is(pictrs.blurhash('h1'), 'LEHV6nWB2yk8', 'and the blurhash is unchanged');

SELECT is(pictrs.relate_variant_identifier('h1', 'thumb/100', 'files/h1-100'), 'ok', 'relate_variant_identifier: ok');
SELECT is(pictrs.relate_variant_identifier('h1', 'thumb/100', 'files/h1-100-b'), 'conflict', 'the same variant again: conflict');
SELECT is(pictrs.variant_identifier('h1', 'thumb/100'), 'files/h1-100', 'and the first file stays');
SELECT is(pictrs.relate_variant_identifier('h1', 'crop/5', 'files/h1-crop'), 'ok', 'another variant');
SELECT throws_ok($$SELECT pictrs.relate_variant_identifier('nope', 'v', 'x')$$, 'P0002', 'no hash ''nope''', 'a variant of an unknown hash names it');
SELECT throws_ok($$SELECT pictrs.relate_variant_identifier('h1', NULL, 'x')$$, '22023', 'variant must be a non-empty string', 'a null variant is refused');
SELECT results_eq($$SELECT * FROM pictrs.variants('h1')$$,
                  $$VALUES ('crop/5', 'files/h1-crop'), ('thumb/100', 'files/h1-100')$$, 'variants lists them by variant');
SELECT ok(pictrs.remove_variant('h1', 'crop/5') AND NOT pictrs.remove_variant('h1', 'crop/5'), 'remove_variant: true, then false');
SELECT is(pictrs.variant_identifier('h1', 'crop/5'), NULL, 'the removed variant is gone');

-- Keyset pages.
SELECT pictrs.create_hash('h' || i, 'files/h' || i) FROM generate_series(2, 25) i;
SELECT results_eq($$SELECT * FROM pictrs.hashes_page(n => 3)$$, $$VALUES ('h1'), ('h10'), ('h11')$$, 'the first page, in hash order');
SELECT results_eq($$SELECT * FROM pictrs.hashes_page('h11', 3)$$, $$VALUES ('h12'), ('h13'), ('h14')$$, 'the next page starts after the last hash');
SELECT is((SELECT count(*) FROM pictrs.hashes_page('h9')), 0::bigint, 'after the last hash: an empty page');
SELECT throws_ok($$SELECT * FROM pictrs.hashes_page(n => 0)$$, '22023', 'n must be from 1 to 10000, got 0', 'n is checked');
SELECT is(pictrs.size(), 25::bigint, 'size counts every hash');

-- cleanup_hash: variants, aliases, proxies go; every identifier once, shared ones included.
SELECT pictrs.relate_variant_identifier('h2', 'v1', 'files/shared');
SELECT pictrs.relate_variant_identifier('h2', 'v2', 'files/shared');
SELECT pictrs.relate_motion_identifier('h2', 'motion/h2');
SELECT pictrs.create_alias('a2', 'h2', 'tok');
SELECT pictrs.relate_url('https://example.com/a.png', 'a2');
SELECT results_eq($$SELECT * FROM pictrs.cleanup_hash('h2') ORDER BY 1$$,
                  $$VALUES ('files/h2'), ('files/shared'), ('motion/h2')$$, 'cleanup_hash returns every identifier once');
SELECT ok(NOT EXISTS (SELECT FROM pictrs.variants WHERE hash = 'h2') AND NOT EXISTS (SELECT FROM pictrs.aliases WHERE hash = 'h2')
          AND NOT EXISTS (SELECT FROM pictrs.proxies WHERE alias = 'a2') AND pictrs.identifier('h2') IS NULL,
          'the hash, its variants, aliases and proxies are gone');
SELECT is((SELECT count(*) FROM pictrs.cleanup_hash('h2')), 0::bigint, 'a second cleanup returns nothing');
SELECT is(pictrs.variant_identifier('h1', 'thumb/100'), 'files/h1-100', 'other hashes keep their variants');
SELECT is(pictrs.size(), 24::bigint, 'one hash less');

SELECT * FROM finish();
ROLLBACK;
