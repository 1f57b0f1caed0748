-- The eviction and paging queries read their indexes, in order, without sorting the table:
-- older_variants walks variants_accessed_idx, older_aliases proxies_accessed_idx, hashes_page the
-- primary key of hashes. 20,000 variants, 2,000 proxies, statistics gathered, generic plans (as
-- PL/pgSQL caches them), the same queries as the functions'.
BEGIN;
SELECT plan(6);

INSERT INTO pictrs.hashes (hash, identifier) SELECT 'h' || g, 'f' || g FROM generate_series(1, 2000) g;
INSERT INTO pictrs.variants (hash, variant, identifier, accessed)
SELECT 'h' || (g % 2000 + 1), 'v' || g, 'fv' || g, now() - make_interval(secs => g) FROM generate_series(1, 20000) g;
INSERT INTO pictrs.aliases (alias, hash, delete_token) SELECT 'a' || g, 'h' || g, 't' FROM generate_series(1, 2000) g;
INSERT INTO pictrs.proxies (url, alias, accessed) SELECT 'u' || g, 'a' || g, now() - make_interval(secs => g) FROM generate_series(1, 2000) g;
ANALYZE pictrs.hashes, pictrs.variants, pictrs.aliases, pictrs.proxies;
SET LOCAL plan_cache_mode = force_generic_plan;

CREATE TEMP TABLE plans (name text PRIMARY KEY, p json);
DO $$
DECLARE
    p json;
BEGIN
    PREPARE ov(timestamptz, int) AS
        SELECT v.hash, v.variant FROM pictrs.variants v WHERE v.accessed < $1 ORDER BY v.accessed, v.hash, v.variant LIMIT $2;
    EXECUTE 'EXPLAIN (FORMAT JSON) EXECUTE ov(now() - interval ''1 hour'', 100)' INTO p;
    INSERT INTO plans VALUES ('older_variants', p);
    PREPARE oa(timestamptz, int) AS
        SELECT p.alias FROM pictrs.proxies p WHERE p.accessed < $1 ORDER BY p.accessed, p.alias LIMIT $2;
    EXECUTE 'EXPLAIN (FORMAT JSON) EXECUTE oa(now() - interval ''1 minute'', 100)' INTO p;
    INSERT INTO plans VALUES ('older_aliases', p);
    PREPARE hp(text, int) AS
        SELECT h.hash FROM pictrs.hashes h WHERE $1 IS NULL OR h.hash > $1 ORDER BY h.hash LIMIT $2;
    EXECUTE 'EXPLAIN (FORMAT JSON) EXECUTE hp(''h500'', 1000)' INTO p;
    INSERT INTO plans VALUES ('hashes_page', p);
    DEALLOCATE ov;
    DEALLOCATE oa;
    DEALLOCATE hp;
END
$$;
SELECT is((SELECT p -> 0 -> 'Plan' -> 'Plans' -> 0 ->> 'Index Name' FROM plans WHERE name = 'older_variants'), 'variants_accessed_idx',
          'older_variants: Limit over a scan of variants_accessed_idx');
SELECT ok((SELECT p::text NOT LIKE '%Seq Scan%' AND p::text NOT LIKE '%"Sort"%' FROM plans WHERE name = 'older_variants'), 'with no Seq Scan and no Sort');
SELECT is((SELECT p -> 0 -> 'Plan' -> 'Plans' -> 0 ->> 'Index Name' FROM plans WHERE name = 'older_aliases'), 'proxies_accessed_idx',
          'older_aliases: Limit over a scan of proxies_accessed_idx');
SELECT ok((SELECT p::text NOT LIKE '%Seq Scan%' AND p::text NOT LIKE '%"Sort"%' FROM plans WHERE name = 'older_aliases'), 'with no Seq Scan and no Sort');
SELECT is((SELECT p -> 0 -> 'Plan' -> 'Plans' -> 0 ->> 'Index Name' FROM plans WHERE name = 'hashes_page'), 'hashes_pkey',
          'hashes_page: Limit over a scan of the primary key');
SELECT ok((SELECT p::text NOT LIKE '%"Sort"%' FROM plans WHERE name = 'hashes_page'), 'with no Sort');

SELECT * FROM finish();
ROLLBACK;
