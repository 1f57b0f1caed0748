-- advisor code 013: anomaly tags — queries that stand out in their family (family_slow,
-- family_mad), against their own history (regression), or whose tables have backends waiting
-- on locks while the scan runs (contention). Thresholds are settings (custom GUCs):
-- howdah_advisor.family_slow_factor (2), howdah_advisor.mad_threshold (3),
-- howdah_advisor.regression_factor (2).
--
-- Errors: 22023 (invalid_parameter_value) for a NULL snapshot id or a bad setting (names it);
-- P0002 (no_data_found) for an unknown snapshot.

CREATE FUNCTION howdah_internal.advisor_query_relids(sid bigint, names text[])
RETURNS oid[]
LANGUAGE plpgsql STABLE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
-- The tables of snapshot `sid` that relation names as a query wrote them (queries.tables:
-- orders, public.orders, "Orders") may mean: a qualified name its one table, an unqualified
-- name every table of that name whatever its schema (the query's search_path is not known).
DECLARE
    nm text;
    parts text[];
    found oid[] := '{}'::oid[];
BEGIN
    FOREACH nm IN ARRAY coalesce(names, '{}'::text[]) LOOP
        BEGIN
            parts := parse_ident(nm, false);
        EXCEPTION WHEN invalid_parameter_value THEN
            parts := ARRAY[nm];
        END;
        found := found || ARRAY(
            SELECT t.relid FROM howdah_advisor.tables t
             WHERE t.snapshot_id = sid
               AND t.table_name = parts[cardinality(parts)]
               AND (cardinality(parts) = 1 OR t.schema_name = parts[cardinality(parts) - 1]));
    END LOOP;
    RETURN ARRAY(SELECT DISTINCT r FROM unnest(found) AS r ORDER BY r);
END;
$$;
COMMENT ON FUNCTION howdah_internal.advisor_query_relids(bigint, text[]) IS 'The relids of a snapshot''s tables that a query''s relation names (as written) may mean; an unqualified name matches the table of that name in every schema. Errors: none.';

CREATE FUNCTION howdah_advisor.detect_anomalies(snapshot_id bigint)
RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
#variable_conflict use_column
-- Tags the queries of snapshot `snapshot_id` (replacing its tags) and returns how many tags it
-- wrote. Every tag's detail carries the numbers behind it:
--   family_slow  metrics.mean_ms > family_slow_factor × its family's median (family of 2 or
--                more, median above 0);
--   family_mad   mean_ms - median > mad_threshold × the family's MAD (median absolute deviation,
--                not scaled); only above the median, only for families of 3 or more with MAD > 0;
--   regression   the query's mean over the interval since its previous snapshot (differences
--                of the cumulative calls and total_ms; its mean since the pg_stat_statements
--                reset when the counters were reset in between) > regression_factor × its
--                history's mean (every earlier interval, weighted by calls);
--   contention   a backend of this database is waiting for a lock (pg_locks not granted) on
--                one of the query's tables right now — the relation it waits for (or a row or
--                page of it), or, when it waits for a transaction (a row another one locked),
--                the relations it holds locks on.
-- Family tags need cluster() to have run for the snapshot.
DECLARE
    sid bigint := detect_anomalies.snapshot_id;
    started timestamptz := clock_timestamp();
    slow_factor double precision;
    mad_thr double precision;
    reg_factor double precision;
    counts jsonb;
    total integer;
BEGIN
    IF sid IS NULL THEN
        PERFORM howdah_internal.advisor_require_snapshot(sid);   -- 22023, before the settings
    END IF;
    slow_factor := howdah_internal.advisor_setting('family_slow_factor', 2, 1);
    mad_thr := howdah_internal.advisor_setting('mad_threshold', 3, 0, lo_included => false);
    reg_factor := howdah_internal.advisor_setting('regression_factor', 2, 1);
    -- Locked: two runs for one snapshot at once would collide on anomalies_once.
    PERFORM howdah_internal.advisor_require_snapshot(sid, lock => true);

    DELETE FROM howdah_advisor.anomalies a WHERE a.snapshot_id = sid;

    -- family_slow and family_mad: each member against its family's median and MAD.
    WITH fm AS (
        SELECT qf.query_id, qf.family_id, f.label, m.mean_ms
          FROM howdah_advisor.query_families qf
          JOIN howdah_advisor.families f ON f.id = qf.family_id
          JOIN howdah_advisor.metrics m ON m.snapshot_id = qf.snapshot_id AND m.query_id = qf.query_id
         WHERE qf.snapshot_id = sid),
    med AS (
        SELECT fm.family_id, count(*)::integer AS members,
               percentile_cont(0.5) WITHIN GROUP (ORDER BY fm.mean_ms) AS median
          FROM fm GROUP BY fm.family_id),
    mad AS (
        SELECT fm.family_id, percentile_cont(0.5) WITHIN GROUP (ORDER BY abs(fm.mean_ms - med.median)) AS mad
          FROM fm JOIN med ON med.family_id = fm.family_id GROUP BY fm.family_id),
    tagged AS (
        SELECT fm.query_id, k.kind, fm.family_id, fm.label, fm.mean_ms, med.median, mad.mad, med.members
          FROM fm
          JOIN med ON med.family_id = fm.family_id
          JOIN mad ON mad.family_id = fm.family_id
         CROSS JOIN LATERAL (
               SELECT 'family_slow'::howdah_advisor.anomaly_kind AS kind
                WHERE med.members >= 2 AND med.median > 0 AND fm.mean_ms > slow_factor * med.median
               UNION ALL
               SELECT 'family_mad'
                WHERE med.members >= 3 AND mad.mad > 0 AND fm.mean_ms - med.median > mad_thr * mad.mad) k)
    INSERT INTO howdah_advisor.anomalies (snapshot_id, query_id, kind, detail)
    SELECT sid, t.query_id, t.kind,
           jsonb_build_object('family_id', t.family_id, 'family', t.label, 'members', t.members,
                              'mean_ms', t.mean_ms, 'median_ms', t.median, 'mad_ms', t.mad)
           || CASE WHEN t.kind = 'family_slow'
                   THEN jsonb_build_object('factor', slow_factor, 'ratio', round((t.mean_ms / t.median)::numeric, 3))
                   ELSE jsonb_build_object('threshold', mad_thr, 'mads', round(((t.mean_ms - t.median) / t.mad)::numeric, 3)) END
      FROM tagged t;

    -- regression: the interval since the previous snapshot against everything before it.
    WITH h AS (
        SELECT m.query_id, m.snapshot_id, m.calls, m.total_ms, m.mean_ms, s.pgss_reset_at,
               lag(m.snapshot_id) OVER w AS prev_snapshot, lag(m.calls) OVER w AS prev_calls,
               lag(m.total_ms) OVER w AS prev_total, lag(s.pgss_reset_at) OVER w AS prev_reset
          FROM howdah_advisor.metrics m
          JOIN howdah_advisor.snapshots s ON s.id = m.snapshot_id
         WHERE m.snapshot_id <= sid
           AND m.query_id IN (SELECT c.query_id FROM howdah_advisor.metrics c WHERE c.snapshot_id = sid)
        WINDOW w AS (PARTITION BY m.query_id ORDER BY m.snapshot_id)),
    iv AS (
        -- What each snapshot adds: the difference from the previous one, or, first seen or
        -- after a reset (reset time changed, a counter went down), its counters since the reset.
        SELECT h.*, x.same_epoch,
               CASE WHEN x.same_epoch THEN h.calls - h.prev_calls ELSE h.calls END AS d_calls,
               CASE WHEN x.same_epoch THEN h.total_ms - h.prev_total ELSE h.total_ms END AS d_total
          FROM h
         CROSS JOIN LATERAL (SELECT h.prev_snapshot IS NOT NULL AND h.prev_reset IS NOT DISTINCT FROM h.pgss_reset_at
                                    AND h.calls >= h.prev_calls AND h.total_ms >= h.prev_total AS same_epoch) x),
    cur AS (
        SELECT iv.query_id, iv.d_calls, iv.d_total, iv.mean_ms, iv.prev_snapshot, iv.same_epoch,
               hist.calls AS h_calls, hist.total AS h_total, hist.snapshots AS h_snapshots
          FROM iv
         CROSS JOIN LATERAL (SELECT sum(e.d_calls) AS calls, sum(e.d_total) AS total, count(*) AS snapshots
                               FROM iv e WHERE e.query_id = iv.query_id AND e.snapshot_id < sid) hist
         WHERE iv.snapshot_id = sid AND iv.d_calls > 0 AND hist.calls > 0 AND hist.total > 0)
    INSERT INTO howdah_advisor.anomalies (snapshot_id, query_id, kind, detail)
    SELECT sid, c.query_id, 'regression',
           jsonb_build_object('mean_ms', c.d_total / c.d_calls, 'calls', c.d_calls,
                              'method', CASE WHEN c.same_epoch THEN 'interval' ELSE 'since_reset' END,
                              'previous_snapshot', c.prev_snapshot, 'cumulative_mean_ms', c.mean_ms,
                              'history_mean_ms', c.h_total / c.h_calls, 'history_calls', c.h_calls,
                              'history_snapshots', c.h_snapshots, 'factor', reg_factor,
                              'ratio', round(((c.d_total / c.d_calls) / (c.h_total / c.h_calls))::numeric, 3))
      FROM cur c
     WHERE c.d_total / c.d_calls > reg_factor * (c.h_total / c.h_calls);

    -- contention: backends of this database waiting for a lock now, and the tables involved.
    WITH waiting AS (
        SELECT l.pid, l.locktype FROM pg_locks l
         WHERE NOT l.granted AND l.pid IS DISTINCT FROM pg_backend_pid()),
    rel AS (
        -- The relations waiters ask for (a table, a page or a row of it), and those held by
        -- waiters that wait for a transaction (a row locked by another one): not those held by
        -- a backend that waits for an advisory lock or anything else unrelated to its tables.
        SELECT l.relation, l.pid, l.mode, l.granted, l.locktype
          FROM pg_locks l
         WHERE l.relation IS NOT NULL
           AND l.database = (SELECT d.oid FROM pg_database d WHERE d.datname = current_database())
           AND ((NOT l.granted AND l.pid IN (SELECT w.pid FROM waiting w))
                OR (l.granted AND l.pid IN (SELECT w.pid FROM waiting w WHERE w.locktype = 'transactionid')))),
    q AS (
        SELECT m.query_id, howdah_internal.advisor_query_relids(sid, qq.tables) AS relids
          FROM howdah_advisor.metrics m JOIN howdah_advisor.queries qq ON qq.id = m.query_id
         WHERE m.snapshot_id = sid)
    INSERT INTO howdah_advisor.anomalies (snapshot_id, query_id, kind, detail)
    SELECT sid, q.query_id, 'contention',
           jsonb_build_object('observed_at', clock_timestamp(),
                              'tables', jsonb_agg(DISTINCT t.name),
                              'waiting_pids', count(DISTINCT r.pid),
                              'pids', jsonb_agg(DISTINCT r.pid),
                              'blocking_pids', (SELECT jsonb_agg(DISTINCT b.b) FROM unnest(array_agg(DISTINCT r.pid)) AS p(pid)
                                                 CROSS JOIN LATERAL unnest(pg_blocking_pids(p.pid)) AS b(b)),
                              'modes', jsonb_agg(DISTINCT r.mode),
                              'waits', jsonb_agg(DISTINCT CASE WHEN r.granted THEN 'holds it, waiting for a transaction'
                                                                 WHEN r.locktype = 'relation' THEN 'waits for the table'
                                                                 ELSE 'waits for a row' END))
      FROM q
      JOIN rel r ON r.relation = ANY (q.relids)
      JOIN howdah_advisor.tables t ON t.snapshot_id = sid AND t.relid = r.relation
     GROUP BY q.query_id;

    SELECT coalesce(jsonb_object_agg(g.kind, g.n), '{}'), coalesce(sum(g.n), 0)::integer
      INTO counts, total
      FROM (SELECT a.kind::text AS kind, count(*) AS n FROM howdah_advisor.anomalies a WHERE a.snapshot_id = sid GROUP BY a.kind) g;
    UPDATE howdah_advisor.snapshots s
       SET stats = s.stats || jsonb_build_object('anomalies', counts || jsonb_build_object(
               'ms', round(extract(epoch FROM clock_timestamp() - started)::numeric * 1000, 1)))
     WHERE s.id = sid;
    RETURN total;
END;
$$;
COMMENT ON FUNCTION howdah_advisor.detect_anomalies(bigint) IS
'Tags the queries of a snapshot (replacing its tags) and returns how many tags it wrote: family_slow (mean over howdah_advisor.family_slow_factor, default 2, times its family''s median), family_mad (over howdah_advisor.mad_threshold, default 3, MADs above the median; families of 3 or more with MAD above 0), regression (its mean since the previous snapshot, from the differences of the cumulative counters, over howdah_advisor.regression_factor, default 2, times its history''s mean), contention (backends waiting for a lock on one of its tables now). Each tag''s detail holds the numbers behind it. Run cluster() first for the family tags. '
'Errors: 22023 snapshot_id NULL or a bad setting (names it); P0002 unknown snapshot.';
