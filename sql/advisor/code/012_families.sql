-- advisor code 012: query families — the queries of a snapshot clustered by what they are made
-- of (their feature tokens, code 003), in set-based SQL so that a DBA can run and read every step
-- from psql:
--
-- 1. advisor_tfidf: one TF-IDF vector per query as rows (query, token, weight), unit length;
-- 2. cosine similarities between queries by a join on the token;
-- 3. spherical k-means (cosine), seeded farthest-first (deterministic: no random numbers), run
--    for every k in [k_min, k_max]; the k with the best mean silhouette wins;
-- 4. each family labelled in words from its members' dominant tokens (advisor_family_label).
--
-- Errors: 22023 (invalid_parameter_value) naming the argument; P0002 (no_data_found) for an
-- unknown snapshot.

CREATE FUNCTION howdah_internal.advisor_tfidf(sid bigint, lim integer DEFAULT 1000)
RETURNS TABLE (pos integer, query_id bigint, token text, weight double precision)
LANGUAGE sql STABLE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
-- The TF-IDF vector of every query of snapshot `sid` (its metrics rows), one row per distinct
-- token. pos numbers the queries 1..n by metrics rank. tf = 1 + ln(count in the query), idf =
-- 1 + ln((1 + n) / (1 + queries with the token)) (smoothed: a token every query has still
-- counts), weight = tf * idf scaled so that each vector has length 1 (a dot product is then the
-- cosine). A query without tokens counts as the one token verb:<its verb>. Only the first `lim`
-- queries by rank (clustering costs n² in time and memory).
WITH q AS (
    SELECT r.* FROM (
        SELECT row_number() OVER (ORDER BY m.rank, m.query_id)::integer AS pos, m.query_id,
               CASE WHEN cardinality(qq.tokens) > 0 THEN qq.tokens ELSE ARRAY['verb:' || qq.verb::text] END AS toks
          FROM howdah_advisor.metrics m
          JOIN howdah_advisor.queries qq ON qq.id = m.query_id
         WHERE m.snapshot_id = sid) r
     WHERE r.pos <= lim),
tf AS (
    SELECT q.pos, q.query_id, u.t, 1 + ln(count(*)::double precision) AS tf
      FROM q CROSS JOIN LATERAL unnest(q.toks) AS u(t)
     GROUP BY q.pos, q.query_id, u.t),
df AS (
    SELECT tf.t, count(*)::double precision AS df, (SELECT count(*) FROM q)::double precision AS n
      FROM tf GROUP BY tf.t),
w AS (
    SELECT tf.pos, tf.query_id, tf.t, tf.tf * (1 + ln((1 + df.n) / (1 + df.df))) AS w
      FROM tf JOIN df ON df.t = tf.t)
SELECT w.pos, w.query_id, w.t, w.w / sqrt(sum(w.w * w.w) OVER (PARTITION BY w.pos))
  FROM w
 ORDER BY w.pos, w.t;
$$;
COMMENT ON FUNCTION howdah_internal.advisor_tfidf(bigint, integer) IS 'The TF-IDF vector of each of the first lim queries of a snapshot (by metrics rank) as rows (pos, query_id, token, weight), unit length, pos = 1..n by rank. Errors: none.';

CREATE FUNCTION howdah_internal.advisor_kmeans_step(vi integer[], vt text[], vw double precision[], asg integer[])
RETURNS TABLE (pos integer, best integer, best_sim double precision, own_sim double precision)
LANGUAGE plpgsql IMMUTABLE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
SET plan_cache_mode = force_generic_plan
AS $$
-- One step of spherical k-means. The vectors are (vi, vt, vw) as parallel arrays (position,
-- token, weight); asg[pos] is each query's cluster. The centre of a cluster is the sum of its
-- members' vectors; a query's similarity to it is the cosine (dot product over the centre's
-- length), rounded to 12 digits so that float noise cannot break ties. Returns, for each
-- query, the nearest centre (ties: the lower cluster number) and its similarity, and the
-- similarity to its own cluster's centre. PL/pgSQL with a generic plan: the plan is made once
-- per session, not at each of the dozens of calls of a clustering run.
BEGIN
    RETURN QUERY
    WITH v AS (SELECT x.i, x.t, x.w FROM unnest(vi, vt, vw) AS x(i, t, w)),
    a AS (SELECT x.c, x.i::integer AS i FROM unnest(asg) WITH ORDINALITY AS x(c, i)),
    cen AS (SELECT a.c, v.t, sum(v.w) AS w FROM v JOIN a ON a.i = v.i GROUP BY a.c, v.t),
    len AS (SELECT cen.c, sqrt(sum(cen.w * cen.w)) AS len FROM cen GROUP BY cen.c),
    s AS (
        SELECT v.i, cen.c, round((sum(v.w * cen.w) / min(len.len))::numeric, 12)::double precision AS s
          FROM v JOIN cen ON cen.t = v.t JOIN len ON len.c = cen.c
         GROUP BY v.i, cen.c),
    b AS (SELECT DISTINCT ON (s.i) s.i, s.c, s.s FROM s ORDER BY s.i, s.s DESC, s.c)
    SELECT a.i, b.c, b.s, coalesce(o.s, 0)
      FROM a
      JOIN b ON b.i = a.i
      LEFT JOIN s o ON o.i = a.i AND o.c = a.c
     ORDER BY a.i;
END;
$$;
COMMENT ON FUNCTION howdah_internal.advisor_kmeans_step(integer[], text[], double precision[], integer[]) IS 'One spherical k-means step over vectors given as parallel arrays: each query''s nearest centre and its cosine, and its cosine to its own centre. Errors: none.';

CREATE FUNCTION howdah_internal.advisor_silhouette(sim double precision[], n integer, asg integer[])
RETURNS TABLE (pos integer, silhouette double precision)
LANGUAGE plpgsql IMMUTABLE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
SET plan_cache_mode = force_generic_plan
AS $$
-- The silhouette of each query under assignment asg (asg[pos] = cluster), with the distance
-- 1 - cosine read from the n×n similarity matrix sim (row-major). s = (b - a) / max(a, b),
-- a = mean distance to the other members of its cluster, b = the smallest mean distance to
-- another cluster's members; 0 for a query alone in its cluster, or when there is one cluster.
BEGIN
    RETURN QUERY
    WITH a AS (SELECT x.c, x.i::integer AS i FROM unnest(asg) WITH ORDINALITY AS x(c, i)),
    sz AS (SELECT a.c, count(*) AS m FROM a GROUP BY a.c),
    d AS (
        SELECT p.i, p.c AS own, q.c, avg(1 - sim[(p.i - 1) * n + q.i]) AS md
          FROM a p JOIN a q ON q.i <> p.i
         GROUP BY p.i, p.c, q.c),
    ab AS (
        SELECT d.i, min(d.md) FILTER (WHERE d.c = d.own) AS a, min(d.md) FILTER (WHERE d.c <> d.own) AS b
          FROM d GROUP BY d.i)
    SELECT p.i,
           CASE WHEN sz.m = 1 OR ab.b IS NULL THEN 0
                ELSE coalesce((ab.b - ab.a) / nullif(greatest(ab.a, ab.b), 0), 0) END
      FROM a p
      JOIN sz ON sz.c = p.c
      LEFT JOIN ab ON ab.i = p.i
     ORDER BY p.i;
END;
$$;
COMMENT ON FUNCTION howdah_internal.advisor_silhouette(double precision[], integer, integer[]) IS 'The silhouette of each query under a cluster assignment, distances 1 - cosine from a row-major similarity matrix; 0 for a query alone in its cluster. Errors: none.';

CREATE FUNCTION howdah_internal.advisor_family_label(member_tokens text[], member_verbs text[], weights jsonb)
RETURNS text
LANGUAGE plpgsql IMMUTABLE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
-- A family's label in words, from its members' tokens (member_tokens: each member's tokens
-- joined by a newline, one element per member), their verbs, and the centre's weight of each
-- token (weights: {token: weight}). The rule (docs/advisor.md, "Families and anomalies"):
--   <table>[_<verb>][_join_<table>][_<predicate shape>]   or   <verb>_<n>tables[_join...][_<shape>]
-- table: the members' most frequent first table (FROM, INTO, UPDATE) when it leads in most
-- members, else <verb>_<n>tables (n: how many first tables; no table: <verb>_<first shared
-- function>); verb: the most frequent verb,
-- written unless select (or when nothing follows the table); join: when most members
-- join, with the heaviest other table most members name; predicate shape: from the pred:
-- tokens most members share — one column: like_<col>, <func>_<col>, <col>_key (jsonb),
-- <col>_null, <col>_notnull, range_<col>, in_<col>, by_<col> (equality); several columns: <n>col.
-- "Most members" is at least half of them. The result is lower case, [a-z0-9_] only, at most 60
-- characters; the caller makes it unique.
DECLARE
    size integer := cardinality(member_tokens);
    main text;
    nmain integer;
    ntables integer;
    verb text;
    other text;
    joins boolean;
    shape text;
    ncols integer;
    st text[];              -- the tokens most members have, heaviest first
    label text;
BEGIN
    -- One row per (member, token, place in the member's statement).
    WITH m AS (SELECT x.toks, x.k FROM unnest(member_tokens) WITH ORDINALITY AS x(toks, k)),
    t AS (SELECT m.k, u.t, u.o FROM m CROSS JOIN LATERAL unnest(string_to_array(m.toks, E'\n')) WITH ORDINALITY AS u(t, o)),
    firsts AS (SELECT DISTINCT ON (t.k) t.k, substr(t.t, 7) AS tab FROM t WHERE t.t LIKE 'table:%' ORDER BY t.k, t.o)
    SELECT g.tab, g.cnt, g.tabs INTO main, nmain, ntables
      FROM (SELECT f.tab, count(*) AS cnt, count(*) OVER () AS tabs FROM firsts f GROUP BY f.tab) g
     ORDER BY g.cnt DESC, g.tab LIMIT 1;
    IF nmain * 2 < size THEN
        main := NULL;                       -- no table leads in most members: say how many do
    END IF;

    SELECT v.v INTO verb FROM unnest(member_verbs) AS v(v) GROUP BY v.v ORDER BY count(*) DESC, v.v LIMIT 1;

    -- The tokens most members have, heaviest first.
    SELECT coalesce(array_agg(g.t ORDER BY g.o), '{}')
      INTO st
      FROM (SELECT u.t, row_number() OVER (ORDER BY coalesce((weights ->> u.t)::double precision, 0) DESC, u.t) AS o
              FROM unnest(member_tokens) AS x(toks)
             CROSS JOIN LATERAL (SELECT DISTINCT y.t FROM unnest(string_to_array(x.toks, E'\n')) AS y(t)) u
             GROUP BY u.t
            HAVING count(*) * 2 >= size) g;

    joins := EXISTS (SELECT FROM unnest(st) AS l(t) WHERE l.t LIKE 'join:%');
    IF joins THEN
        SELECT substr(l.t, 7) INTO other FROM unnest(st) WITH ORDINALITY AS l(t, o)
         WHERE l.t LIKE 'table:%' AND substr(l.t, 7) IS DISTINCT FROM main
         ORDER BY l.o LIMIT 1;
    END IF;

    -- Predicate shapes: (column, shape) of each shared pred: token.
    WITH p AS (
        SELECT l.o AS w, l.t, substr(l.t, 6) AS body FROM unnest(st) WITH ORDINALITY AS l(t, o) WHERE l.t LIKE 'pred:%'),
    c AS (
        SELECT p.w, p.t,
               CASE WHEN p.body ~ '^[^ (]+\([^ )]*\) ' THEN substring(p.body FROM '^[^ (]+\(([^ )]*)\) ')
                    ELSE substring(p.body FROM '^([^ ]+?)(->>|->|#>>|#>)?\?? ') END AS col,
               CASE WHEN p.body ~ '^[^ (]+\([^ )]*\) '
                        THEN substring(p.body FROM '^([^ (]+)\(') || '_' || substring(p.body FROM '^[^ (]+\(([^ )]*)\) ')
                    WHEN p.body ~ '^[^ ]+?(->>|->|#>>|#>)\? ' THEN substring(p.body FROM '^([^ ]+?)(->>|->|#>>|#>)') || '_key'
                    WHEN p.body ~ '^[^ ]+ (not )?(like|ilike|~~\*?|!~~\*?|similar) ' THEN 'like_' || substring(p.body FROM '^([^ ]+) ')
                    WHEN p.body ~ '^[^ ]+ is not null$' THEN substring(p.body FROM '^([^ ]+) ') || '_notnull'
                    WHEN p.body ~ '^[^ ]+ is null$' THEN substring(p.body FROM '^([^ ]+) ') || '_null'
                    WHEN p.body ~ '^[^ ]+ (<|>|<=|>=|between)( |$)' THEN 'range_' || substring(p.body FROM '^([^ ]+) ')
                    WHEN p.body ~ '^[^ ]+ (not )?in ' THEN 'in_' || substring(p.body FROM '^([^ ]+) ')
                    WHEN p.body ~ '^[^ ]+ = ' THEN 'by_' || substring(p.body FROM '^([^ ]+) ')
                    ELSE substring(p.body FROM '^([^ ]+)') END AS shape
          FROM p)
    SELECT count(DISTINCT c.col)::integer,
           (array_agg(c.shape ORDER BY c.w))[1]
      INTO ncols, shape
      FROM c;
    IF ncols > 1 THEN
        shape := ncols || 'col';
    END IF;

    IF main IS NOT NULL THEN
        label := main;
        IF verb <> 'select' OR (NOT joins AND shape IS NULL) THEN
            label := label || '_' || verb;
        END IF;
    ELSE
        label := verb || CASE WHEN ntables > 0 THEN '_' || ntables || 'tables'
                              ELSE coalesce('_' || (SELECT substr(l.t, 6) FROM unnest(st) WITH ORDINALITY AS l(t, o)
                                                     WHERE l.t LIKE 'func:%' ORDER BY l.o LIMIT 1), '') END;
    END IF;
    IF joins THEN
        label := label || '_join' || coalesce('_' || other, '');
    END IF;
    IF shape IS NOT NULL THEN
        label := label || '_' || shape;
    END IF;
    label := btrim(regexp_replace(lower(label), '[^a-z0-9]+', '_', 'g'), '_');
    RETURN coalesce(nullif(rtrim(left(label, 60), '_'), ''), 'family');
END;
$$;
COMMENT ON FUNCTION howdah_internal.advisor_family_label(text[], text[], jsonb) IS 'A family''s label in words (orders_join_users_2col, users_like_email, events_insert) from its members'' tokens and verbs and its centre''s token weights; not yet unique. Errors: none.';

CREATE FUNCTION howdah_advisor.cluster(snapshot_id bigint, k_min integer DEFAULT 8, k_max integer DEFAULT 12)
RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
#variable_conflict use_column
-- Groups the queries of snapshot `snapshot_id` into families and returns how many it wrote
-- (replacing the snapshot's families). Vectors: advisor_tfidf. Seeds: farthest-first — the most
-- central query (highest summed similarity), then again and again the query least similar to
-- every seed so far (ties: the better metrics rank); k-means for k starts from the first k seeds,
-- so every run over the same data gives the same families. k: with D distinct token vectors,
-- when D <= k_min every distinct vector is its own family (k = D); otherwise every k in
-- [k_min, min(k_max, D)] is tried and the best mean silhouette wins (ties: the smaller k).
-- At most the first 1000 queries by total time are clustered (the similarities are n×n).
DECLARE
    sid bigint := cluster.snapshot_id;
    started timestamptz := clock_timestamp();
    n integer;
    d integer;
    vi integer[];
    vt text[];
    vw double precision[];
    vq bigint[];
    qids bigint[];
    sim double precision[];
    seeds integer[] := '{}'::integer[];
    nxt integer;
    klo integer;
    khi integer;
    asg integer[];
    nasg integer[];
    nsim double precision[];
    own double precision[];
    best_k integer;
    best_asg integer[];
    best_own double precision[];
    best_sil double precision;
    best_iters integer;
    sil double precision;
    sils double precision[];
    best_sils double precision[];
    iters integer;
    empty integer;
    moved integer;
    candidates jsonb := '[]'::jsonb;
    how text;
    run jsonb;
    fam record;
    lbl text;
    base text;
    used text[] := '{}'::text[];
    dup integer;
    fid bigint;
    nfam integer := 0;
    max_iters constant integer := 50;
    max_queries constant integer := 1000;   -- the n×n similarities: 8 MB at 1000
    left_out integer;
BEGIN
    IF sid IS NULL THEN
        PERFORM howdah_internal.advisor_require_snapshot(sid);   -- 22023, before the other arguments
    END IF;
    IF k_min IS NULL OR k_min < 1 THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value', MESSAGE = format('k_min must be 1 or more, not %s', coalesce(k_min::text, 'NULL'));
    END IF;
    IF k_max IS NULL OR k_max < k_min THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = format('k_max must be k_min (%s) or more, not %s', k_min, coalesce(k_max::text, 'NULL'));
    END IF;
    IF k_max > 1000 THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value', MESSAGE = format('k_max must be 1000 or less, not %s', k_max);
    END IF;
    -- Locked: two runs for one snapshot at once would collide on families_label.
    PERFORM howdah_internal.advisor_require_snapshot(sid, lock => true);

    DELETE FROM howdah_advisor.families f WHERE f.snapshot_id = sid;

    -- The vectors, as parallel arrays (pos, token, weight) in (pos, token) order.
    SELECT array_agg(v.pos ORDER BY v.pos, v.token), array_agg(v.token ORDER BY v.pos, v.token),
           array_agg(v.weight ORDER BY v.pos, v.token), array_agg(v.query_id ORDER BY v.pos, v.token)
      INTO vi, vt, vw, vq
      FROM howdah_internal.advisor_tfidf(sid, max_queries) v;
    -- n queries, d distinct vectors (weights rounded: the same tokens summed in another order
    -- may differ in the last bits).
    SELECT coalesce(array_agg(x.query_id ORDER BY x.pos), '{}'), count(*)::integer, count(DISTINCT x.sig)::integer
      INTO qids, n, d
      FROM (SELECT v.pos, min(v.query_id) AS query_id, string_agg(v.token || '=' || round(v.weight::numeric, 9), E'\n' ORDER BY v.token) AS sig
              FROM unnest(vi, vt, vw, vq) AS v(pos, token, weight, query_id)
             GROUP BY v.pos) x;
    left_out := (SELECT count(*) FROM howdah_advisor.metrics m WHERE m.snapshot_id = sid) - n;
    IF left_out > 0 THEN
        RAISE NOTICE 'advisor cluster: snapshot %: only the first % queries by total time are clustered, % are left out', sid, max_queries, left_out;
    END IF;
    IF n = 0 THEN
        UPDATE howdah_advisor.snapshots s
           SET stats = s.stats || jsonb_build_object('families', jsonb_build_object('queries', 0, 'families', 0,
                   'ms', round(extract(epoch FROM clock_timestamp() - started)::numeric * 1000, 1)))
         WHERE s.id = sid;
        RETURN 0;
    END IF;

    -- Cosine similarities, an n×n row-major matrix (1 on the diagonal, 0 for no token shared).
    SELECT array_agg(coalesce(s.v, 0) ORDER BY a.i, b.j)
      INTO sim
      FROM generate_series(1, n) AS a(i)
     CROSS JOIN generate_series(1, n) AS b(j)
      LEFT JOIN (SELECT x.i, y.i AS j, least(round(sum(x.w * y.w)::numeric, 12), 1)::double precision AS v
                   FROM unnest(vi, vt, vw) AS x(i, t, w)
                   JOIN unnest(vi, vt, vw) AS y(i, t, w) ON y.t = x.t
                  GROUP BY x.i, y.i) s ON s.i = a.i AND s.j = b.j;

    IF d <= k_min THEN
        klo := d;
        khi := d;
        how := format('%s distinct token vectors, not more than k_min %s: one family each', d, k_min);
    ELSE
        klo := k_min;
        khi := least(k_max, d);
        how := format('best mean silhouette for k in [%s, %s]', klo, khi);
    END IF;

    -- Farthest-first seeds: the most central query, then the least similar to every seed so far.
    SELECT g.i INTO nxt FROM generate_series(1, n) AS g(i)
     ORDER BY (SELECT sum(sim[(g.i - 1) * n + j]) FROM generate_series(1, n) AS j) DESC, g.i
     LIMIT 1;
    seeds := ARRAY[nxt];
    WHILE cardinality(seeds) < khi LOOP
        SELECT g.i INTO nxt FROM generate_series(1, n) AS g(i)
         WHERE g.i <> ALL (seeds)
         ORDER BY (SELECT max(sim[(g.i - 1) * n + c]) FROM unnest(seeds) AS c), g.i
         LIMIT 1;
        seeds := seeds || nxt;
    END LOOP;

    FOR kk IN klo .. khi LOOP
        -- Start: each query joins its most similar seed.
        SELECT array_agg(b.c ORDER BY b.i) INTO asg
          FROM (SELECT DISTINCT ON (g.i) g.i, c.c
                  FROM generate_series(1, n) AS g(i)
                 CROSS JOIN unnest(seeds[1:kk]) WITH ORDINALITY AS c(p, c)
                 ORDER BY g.i, sim[(g.i - 1) * n + c.p] DESC, c.c) b;
        iters := 0;
        LOOP
            iters := iters + 1;
            SELECT array_agg(s.best ORDER BY s.pos), array_agg(s.best_sim ORDER BY s.pos), array_agg(s.own_sim ORDER BY s.pos)
              INTO nasg, nsim, own
              FROM howdah_internal.advisor_kmeans_step(vi, vt, vw, asg) s;
            -- A cluster left empty takes the query farthest from its own centre (in a cluster
            -- of two or more), so that k stays k.
            LOOP
                SELECT c INTO empty FROM generate_series(1, kk) AS c WHERE c <> ALL (nasg) ORDER BY c LIMIT 1;
                EXIT WHEN empty IS NULL;
                SELECT x.i INTO moved
                  FROM unnest(nasg, nsim) WITH ORDINALITY AS x(c, s, i)
                 WHERE (SELECT count(*) FROM unnest(nasg) AS y(c) WHERE y.c = x.c) > 1
                 ORDER BY x.s, x.i DESC
                 LIMIT 1;
                nasg[moved] := empty;
                nsim[moved] := 1;
            END LOOP;
            EXIT WHEN nasg = asg OR iters >= max_iters;
            asg := nasg;
        END LOOP;
        -- own: each query's similarity to its own centre in the final assignment (when the loop
        -- stopped on max_iters, asg moved once more: compute it again).
        IF nasg <> asg THEN
            asg := nasg;
            SELECT array_agg(s.own_sim ORDER BY s.pos) INTO own FROM howdah_internal.advisor_kmeans_step(vi, vt, vw, asg) s;
        END IF;
        SELECT array_agg(s.silhouette ORDER BY s.pos), avg(s.silhouette) INTO sils, sil
          FROM howdah_internal.advisor_silhouette(sim, n, asg) s;
        sil := round(sil::numeric, 9)::double precision;
        candidates := candidates || jsonb_build_object('k', kk, 'silhouette', round(sil::numeric, 4), 'iterations', iters);
        IF best_sil IS NULL OR sil > best_sil THEN
            best_k := kk;
            best_sil := sil;
            best_asg := asg;
            best_own := own;
            best_sils := sils;
            best_iters := iters;
        END IF;
    END LOOP;

    run := jsonb_build_object('method', 'tf-idf, spherical k-means (cosine), farthest-first seeds', 'k', best_k,
                              'k_min', k_min, 'k_max', k_max, 'how_k', how, 'queries', n, 'queries_left_out', left_out, 'distinct_vectors', d,
                              'silhouette', round(best_sil::numeric, 4), 'iterations', best_iters, 'candidates', candidates);

    -- Families, biggest first (ties: the best-ranked member first), each labelled and written.
    FOR fam IN
        WITH a AS (SELECT x.c, x.i::integer AS i, qids[x.i] AS query_id, best_own[x.i] AS own, best_sils[x.i] AS sil
                     FROM unnest(best_asg) WITH ORDINALITY AS x(c, i)),
        sizes AS (SELECT a.c, count(*)::integer AS size, min(a.i) AS first, avg(a.sil) AS sil FROM a GROUP BY a.c),
        cen AS (SELECT a.c, v.t, round((sum(v.w) / min(z.size))::numeric, 6)::double precision AS w
                  FROM a JOIN unnest(vi, vt, vw) AS v(i, t, w) ON v.i = a.i JOIN sizes z ON z.c = a.c
                 GROUP BY a.c, v.t)
        SELECT z.c, z.size, z.sil,
               ARRAY(SELECT cen.t FROM cen WHERE cen.c = z.c ORDER BY cen.w DESC, cen.t LIMIT 8) AS tokens,
               (SELECT jsonb_object_agg(cen.t, cen.w) FROM cen WHERE cen.c = z.c) AS weights,
               ARRAY(SELECT array_to_string(q.tokens, E'\n') FROM a JOIN howdah_advisor.queries q ON q.id = a.query_id
                      WHERE a.c = z.c ORDER BY a.i) AS member_tokens,
               ARRAY(SELECT q.verb::text FROM a JOIN howdah_advisor.queries q ON q.id = a.query_id
                      WHERE a.c = z.c ORDER BY a.i) AS member_verbs,
               (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY m.mean_ms)
                  FROM a JOIN howdah_advisor.metrics m ON m.snapshot_id = sid AND m.query_id = a.query_id
                 WHERE a.c = z.c) AS median_ms
          FROM sizes z
         ORDER BY z.size DESC, z.first
    LOOP
        base := howdah_internal.advisor_family_label(fam.member_tokens, fam.member_verbs, fam.weights);
        lbl := base;
        dup := 1;
        WHILE lbl = ANY (used) LOOP
            dup := dup + 1;
            lbl := base || '_' || dup;
        END LOOP;
        used := used || lbl;
        INSERT INTO howdah_advisor.families AS f (snapshot_id, size, label, tokens, details)
        VALUES (sid, fam.size, lbl, fam.tokens,
                run || jsonb_build_object(
                    'family_silhouette', round(fam.sil::numeric, 4),
                    'median_ms', fam.median_ms,
                    'mad_ms', (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY abs(m.mean_ms - fam.median_ms))
                                 FROM unnest(best_asg) WITH ORDINALITY AS x(c, i)
                                 JOIN howdah_advisor.metrics m ON m.snapshot_id = sid AND m.query_id = qids[x.i]
                                WHERE x.c = fam.c)))
        RETURNING f.id INTO fid;
        INSERT INTO howdah_advisor.query_families (snapshot_id, query_id, family_id, similarity)
        SELECT sid, qids[x.i], fid, best_own[x.i]::real
          FROM unnest(best_asg) WITH ORDINALITY AS x(c, i)
         WHERE x.c = fam.c;
        nfam := nfam + 1;
    END LOOP;

    UPDATE howdah_advisor.snapshots s
       SET stats = s.stats || jsonb_build_object('families', jsonb_build_object('queries', n, 'families', nfam, 'k', best_k,
               'silhouette', round(best_sil::numeric, 4),
               'ms', round(extract(epoch FROM clock_timestamp() - started)::numeric * 1000, 1)))
     WHERE s.id = sid;
    RETURN nfam;
END;
$$;
COMMENT ON FUNCTION howdah_advisor.cluster(bigint, integer, integer) IS
'Groups the queries of a snapshot into families (TF-IDF over their feature tokens, spherical k-means seeded farthest-first, k in [k_min, k_max] chosen by the best mean silhouette; fewer distinct token sets than k_min: one family each; the first 1000 queries by total time at most), labels each in words from its dominant tokens, writes families and query_families (replacing the snapshot''s) and returns how many families it wrote. Deterministic: the same data gives the same families. '
'Errors: 22023 bad argument (snapshot_id NULL, k_min below 1, k_max below k_min or above 1000); P0002 unknown snapshot.';
