-- ProxyRepo and the access repos: relate_url answers 'ok' or 'conflict'; access is tracked from
-- relate_url and relate_variant_identifier; older_* return the cold ones oldest first, through
-- the partial indexes; remove_*_access stops tracking; bad input refused.
BEGIN;
SELECT plan(22);

SELECT pictrs.create_hash('h1', 'files/h1');
SELECT pictrs.create_alias('a1', 'h1', 't');
SELECT pictrs.create_alias('a2', 'h1', 't');
SELECT is(pictrs.relate_url('https://x/1', 'a1'), 'ok', 'relate_url: ok');
SELECT is(pictrs.relate_url('https://x/1', 'a2'), 'conflict', 'a related URL again: conflict');
SELECT is(pictrs.related('https://x/1'), 'a1', 'related returns the first alias');
SELECT throws_ok($$SELECT pictrs.relate_url('https://x/2', 'nope')$$, 'P0002', 'no alias ''nope''', 'an unknown alias is named');
SELECT throws_ok($$SELECT pictrs.relate_url('', 'a1')$$, '22023', 'url must be a non-empty string', 'an empty url is refused');
SELECT is((SELECT count(*) FROM pictrs.proxies), 1::bigint, 'and nothing was written');
SELECT pictrs.relate_url('https://x/2', 'a2');
SELECT pictrs.relate_url('https://x/3', 'a2');

-- Access times, set by hand to be ordered.
UPDATE pictrs.proxies SET accessed = now() - interval '3 days' WHERE url = 'https://x/1';
UPDATE pictrs.proxies SET accessed = now() - interval '2 days' WHERE alias = 'a2';
SELECT results_eq($$SELECT * FROM pictrs.older_aliases(now() - interval '1 day')$$, $$VALUES ('a1'), ('a2'), ('a2')$$,
                  'older_aliases: the cold ones, oldest first');
SELECT ok(pictrs.alias_accessed('a1'), 'alias_accessed');
SELECT results_eq($$SELECT * FROM pictrs.older_aliases(now() - interval '1 day', 1)$$, $$VALUES ('a2')$$, 'an accessed alias is no longer cold; n limits');
SELECT ok(NOT pictrs.alias_accessed('nope'), 'alias_accessed of an alias that is not proxied: false');
SELECT ok(pictrs.remove_alias_access('a2') AND NOT pictrs.remove_alias_access('a2'), 'remove_alias_access: true, then false');
SELECT is((SELECT count(*) FROM pictrs.older_aliases(now() + interval '1 day')), 1::bigint, 'an alias without tracked access is never offered');
SELECT throws_ok($$SELECT * FROM pictrs.older_aliases(NULL)$$, '22023', 'before must not be null', 'older_aliases needs a time');
SELECT is(pictrs.remove_relation('a2'), 2, 'remove_relation forgets every URL of the alias');
SELECT is(pictrs.hash_for_alias('a2'), 'h1', 'and keeps the alias');

SELECT pictrs.relate_variant_identifier('h1', 'v' || i, 'files/v' || i) FROM generate_series(1, 3) i;
SELECT ok(pictrs.contains_variant('h1', 'v1') AND NOT pictrs.contains_variant('h1', 'nope'), 'contains_variant: a related variant is tracked');
UPDATE pictrs.variants SET accessed = now() - make_interval(days => 10 - substr(variant, 2)::int);
SELECT results_eq($$SELECT * FROM pictrs.older_variants(now() - interval '1 hour')$$,
                  $$VALUES ('h1', 'v1'), ('h1', 'v2'), ('h1', 'v3')$$, 'older_variants: oldest first');
SELECT ok(pictrs.variant_accessed('h1', 'v1') AND NOT pictrs.variant_accessed('h1', 'nope'), 'variant_accessed: true, false for an unknown variant');
SELECT results_eq($$SELECT * FROM pictrs.older_variants(now() - interval '1 hour', 1)$$, $$VALUES ('h1', 'v2')$$, 'an accessed variant is no longer cold');
SELECT ok(pictrs.remove_variant_access('h1', 'v2'), 'remove_variant_access');
SELECT ok(NOT pictrs.contains_variant('h1', 'v2'), 'stops tracking the variant''s access');
SELECT throws_ok($$SELECT * FROM pictrs.older_variants(now(), 10001)$$, '22023', 'n must be from 1 to 10000, got 10001', 'n is checked');

SELECT * FROM finish();
ROLLBACK;
