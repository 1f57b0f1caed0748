-- cluster() groups a snapshot's queries into families: clearly different shapes (3 tables ×
-- lookup / join / insert) end in separate families with labels in words, literal variants are
-- one query and so one member, k stays in [k_min, k_max] when there are enough queries, two runs
-- give the same families, and bad arguments are 22023 / P0002 and change nothing.
BEGIN;
SELECT plan(25);

-- Adds a statement to a snapshot as ingest would (a queries row by fingerprint, a metrics row).
CREATE FUNCTION pg_temp.addq(sid bigint, sql text, mean double precision DEFAULT 1) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    a record;
    qid bigint;
BEGIN
    a := howdah_advisor.analyze_query(sql);
    INSERT INTO howdah_advisor.queries (verb, fingerprint, raw_sql, norm_sql, tables, tokens)
    VALUES (a.verb, a.fingerprint, sql, a.norm_sql, a.tables, a.tokens)
    ON CONFLICT (fingerprint) DO UPDATE SET last_seen = excluded.last_seen
    RETURNING id INTO qid;
    INSERT INTO howdah_advisor.metrics (snapshot_id, query_id, calls, rows, total_ms, mean_ms, shared_blks_hit, shared_blks_read, rank)
    VALUES (sid, qid, 10, 10, mean * 10, mean, 0, 0,
            (SELECT coalesce(max(m.rank), 0) + 1 FROM howdah_advisor.metrics m WHERE m.snapshot_id = sid))
    ON CONFLICT (snapshot_id, query_id) DO UPDATE SET calls = howdah_advisor.metrics.calls + 10;
    RETURN qid;
END $$;

CREATE TEMP TABLE snaps (name text PRIMARY KEY, id bigint);
WITH s AS (INSERT INTO howdah_advisor.snapshots DEFAULT VALUES RETURNING id) INSERT INTO snaps SELECT 'shapes', id FROM s;

-- Nine shapes, two variants each (other columns, an ORDER BY or a LIMIT), one literal variant.
CREATE TEMP TABLE work (shape text, sql text, qid bigint);
INSERT INTO work (shape, sql) VALUES
    ('orders_by_id', 'SELECT * FROM fam.orders WHERE id = 1'),
    ('orders_by_id', 'SELECT id, total FROM fam.orders WHERE id = 1'),
    ('orders_by_id', 'select id, total from fam.orders where id = 42'),
    ('users_like_email', 'SELECT * FROM fam.users WHERE email LIKE ''a%'''),
    ('users_like_email', 'SELECT id FROM fam.users WHERE email LIKE ''a%'' ORDER BY id'),
    ('products_by_sku', 'SELECT * FROM fam.products WHERE sku = 1'),
    ('products_by_sku', 'SELECT name FROM fam.products WHERE sku = 1 LIMIT 1'),
    ('orders_join_users_2col', 'SELECT o.id FROM fam.orders o JOIN fam.users u ON u.id = o.user_id WHERE o.status = 1 AND u.country = 2'),
    ('orders_join_users_2col', 'SELECT o.id, u.email FROM fam.orders o JOIN fam.users u ON u.id = o.user_id WHERE o.status = 1 AND u.country = 2 ORDER BY o.id'),
    ('products_join_categories_by_name', 'SELECT p.name FROM fam.products p JOIN fam.categories c ON c.id = p.category_id WHERE c.name = 1'),
    ('products_join_categories_by_name', 'SELECT p.name, c.name FROM fam.products p JOIN fam.categories c ON c.id = p.category_id WHERE c.name = 1 LIMIT 10'),
    ('events_join_sessions_by_user_id', 'SELECT e.id FROM fam.events e JOIN fam.sessions s ON s.id = e.session_id WHERE s.user_id = 1'),
    ('events_join_sessions_by_user_id', 'SELECT count(*) FROM fam.events e JOIN fam.sessions s ON s.id = e.session_id WHERE s.user_id = 1'),
    ('orders_insert', 'INSERT INTO fam.orders (user_id, total) VALUES (1, 2)'),
    ('orders_insert', 'INSERT INTO fam.orders (user_id, total, status) VALUES (1, 2, 3)'),
    ('users_insert', 'INSERT INTO fam.users (email) VALUES (1)'),
    ('users_insert', 'INSERT INTO fam.users (email, name) VALUES (1, 2) RETURNING id'),
    ('events_insert', 'INSERT INTO fam.events (kind, payload) VALUES (1, 2)'),
    ('events_insert', 'INSERT INTO fam.events (kind, payload, ts) VALUES (1, 2, now())');
UPDATE work SET qid = pg_temp.addq((SELECT id FROM snaps WHERE name = 'shapes'), sql);

CREATE TEMP VIEW got AS
SELECT f.snapshot_id, f.id AS family_id, f.label, f.size, f.tokens, f.details, qf.query_id, qf.similarity
  FROM howdah_advisor.families f JOIN howdah_advisor.query_families qf ON qf.family_id = f.id;

SELECT is(howdah_advisor.cluster((SELECT id FROM snaps WHERE name = 'shapes')), 9, 'nine shapes, nine families');
SELECT is((SELECT (details ->> 'k')::int FROM howdah_advisor.families WHERE snapshot_id = (SELECT id FROM snaps WHERE name = 'shapes') LIMIT 1),
          9, 'k = 9 is chosen by the data, within [8, 12]');
SELECT ok((SELECT bool_and(details ->> 'how_k' LIKE 'best mean silhouette%' AND jsonb_array_length(details -> 'candidates') = 5)
             FROM howdah_advisor.families WHERE snapshot_id = (SELECT id FROM snaps WHERE name = 'shapes')),
          'details say how k was chosen and list the silhouette of every k tried');
SELECT is(ARRAY(SELECT label FROM howdah_advisor.families WHERE snapshot_id = (SELECT id FROM snaps WHERE name = 'shapes') ORDER BY label),
          ARRAY(SELECT DISTINCT shape FROM work ORDER BY shape),
          'labels in words: table, verb, join and predicate shape');
SELECT is((SELECT count(*)::int FROM (SELECT w.shape FROM work w JOIN got g ON g.query_id = w.qid GROUP BY w.shape HAVING count(DISTINCT g.label) <> 1) x),
          0, 'the variants of a shape share one family');
SELECT is((SELECT count(*)::int FROM work w JOIN got g ON g.query_id = w.qid WHERE g.label <> w.shape), 0,
          'each shape''s family carries its label');
SELECT is((SELECT count(*)::int FROM got g WHERE g.query_id = (SELECT qid FROM work WHERE sql LIKE '%where id = 42')), 1,
          'literal variants are one query, one family member');
SELECT is((SELECT size FROM howdah_advisor.families WHERE snapshot_id = (SELECT id FROM snaps WHERE name = 'shapes') AND label = 'orders_by_id'),
          2, 'a family''s size counts queries, not statements');
SELECT ok((SELECT bool_and(similarity > 0 AND similarity <= 1.000001) FROM got WHERE snapshot_id = (SELECT id FROM snaps WHERE name = 'shapes')),
          'every member has its similarity to the centre');
SELECT is((SELECT tokens[1:2] FROM howdah_advisor.families WHERE snapshot_id = (SELECT id FROM snaps WHERE name = 'shapes') AND label = 'orders_insert'),
          '{table:orders,verb:insert}'::text[], 'the dominant tokens come strongest first');
SELECT ok((SELECT bool_and(details ? 'median_ms' AND details ? 'mad_ms' AND details ? 'silhouette' AND details ->> 'method' LIKE 'tf-idf%')
             FROM howdah_advisor.families WHERE snapshot_id = (SELECT id FROM snaps WHERE name = 'shapes')),
          'details carry the method, the silhouette, and the median and MAD of mean_ms');

-- Deterministic: a second run replaces the families with the same ones.
CREATE TEMP TABLE first_run AS SELECT query_id, label, similarity FROM got WHERE snapshot_id = (SELECT id FROM snaps WHERE name = 'shapes');
SELECT is(howdah_advisor.cluster((SELECT id FROM snaps WHERE name = 'shapes')), 9, 'a second run writes nine families again');
SELECT is((SELECT count(*)::int FROM howdah_advisor.families WHERE snapshot_id = (SELECT id FROM snaps WHERE name = 'shapes')), 9,
          'and replaces the first run''s');
SELECT is(ARRAY(SELECT row(query_id, label, similarity)::text FROM got WHERE snapshot_id = (SELECT id FROM snaps WHERE name = 'shapes') ORDER BY query_id),
          ARRAY(SELECT row(query_id, label, similarity)::text FROM first_run ORDER BY query_id),
          'with the same assignment, labels and similarities');

-- Enough queries: k stays within [k_min, k_max]; other bounds are kept too.
WITH s AS (INSERT INTO howdah_advisor.snapshots DEFAULT VALUES RETURNING id) INSERT INTO snaps SELECT 'many', id FROM s;
SELECT count(pg_temp.addq((SELECT id FROM snaps WHERE name = 'many'), format(
    CASE g % 5 WHEN 0 THEN 'SELECT * FROM fam.%1$s WHERE %2$s = 1'
               WHEN 1 THEN 'SELECT a.* FROM fam.%1$s a JOIN fam.%3$s b ON b.id = a.%3$s_id WHERE b.%2$s = 1 AND a.c%4$s > 2'
               WHEN 2 THEN 'INSERT INTO fam.%1$s (%2$s, c%4$s) VALUES (1, 2)'
               WHEN 3 THEN 'UPDATE fam.%1$s SET %2$s = 1 WHERE id = 2 AND c%4$s IS NULL'
               ELSE 'SELECT count(*) FROM fam.%1$s WHERE lower(%2$s) LIKE ''x'' GROUP BY c%4$s' END,
    (ARRAY['orders', 'users', 'products', 'events', 'sessions', 'items'])[1 + g % 6],
    (ARRAY['email', 'status', 'sku', 'kind'])[1 + (g / 6) % 4],
    (ARRAY['users', 'orders', 'carts'])[1 + (g / 3) % 3],
    g % 7)))
  FROM generate_series(1, 60) g;
SELECT cmp_ok((SELECT count(*)::int FROM howdah_advisor.metrics WHERE snapshot_id = (SELECT id FROM snaps WHERE name = 'many')), '>=', 50,
              'the second workload has dozens of distinct queries');
SELECT ok(howdah_advisor.cluster((SELECT id FROM snaps WHERE name = 'many')) BETWEEN 8 AND 12, 'with the default bounds k is between 8 and 12');
SELECT ok(howdah_advisor.cluster((SELECT id FROM snaps WHERE name = 'many'), k_min => 3, k_max => 5) BETWEEN 3 AND 5, 'k_min => 3, k_max => 5: between 3 and 5');
SELECT is((SELECT count(DISTINCT label)::int - count(*)::int FROM howdah_advisor.families WHERE snapshot_id = (SELECT id FROM snaps WHERE name = 'many')),
          0, 'labels are unique in a snapshot');

-- Fewer distinct token sets than k_min: one family each (two queries with the same tokens share one).
WITH s AS (INSERT INTO howdah_advisor.snapshots DEFAULT VALUES RETURNING id) INSERT INTO snaps SELECT 'few', id FROM s;
SELECT pg_temp.addq((SELECT id FROM snaps WHERE name = 'few'), sql) FROM unnest(ARRAY[
    'SELECT * FROM fam.orders WHERE id = 1', 'SELECT id FROM fam.orders WHERE id = 1',
    'SELECT * FROM fam.users WHERE email LIKE ''a%''', 'INSERT INTO fam.events (kind) VALUES (1)']) sql;
SELECT is(howdah_advisor.cluster((SELECT id FROM snaps WHERE name = 'few')), 3, 'three distinct token sets under k_min: three families');
SELECT is((SELECT details ->> 'how_k' FROM howdah_advisor.families WHERE snapshot_id = (SELECT id FROM snaps WHERE name = 'few') LIMIT 1),
          '3 distinct token vectors, not more than k_min 8: one family each', 'details say why');

-- Bad arguments: clear errors, the families stay.
SELECT throws_ok(format('SELECT howdah_advisor.cluster(%s, k_min => 0)', (SELECT id FROM snaps WHERE name = 'shapes')),
                 '22023', 'k_min must be 1 or more, not 0', 'k_min below 1 is 22023');
SELECT throws_ok(format('SELECT howdah_advisor.cluster(%s, k_min => 5, k_max => 4)', (SELECT id FROM snaps WHERE name = 'shapes')),
                 '22023', 'k_max must be k_min (5) or more, not 4', 'k_min above k_max is 22023');
SELECT throws_ok('SELECT howdah_advisor.cluster(NULL)', '22023', 'snapshot_id must not be NULL', 'a NULL snapshot is 22023');
SELECT throws_ok('SELECT howdah_advisor.cluster(-1)', 'P0002', 'no snapshot -1', 'an unknown snapshot is P0002');
SELECT is(ARRAY(SELECT row(query_id, label, similarity)::text FROM got WHERE snapshot_id = (SELECT id FROM snaps WHERE name = 'shapes') ORDER BY query_id),
          ARRAY(SELECT row(query_id, label, similarity)::text FROM first_run ORDER BY query_id),
          'after the errors the families are as they were');

SELECT * FROM finish();
ROLLBACK;
