-- advisor code 014: reading the results — bottlenecks(), the ranked list of slow queries with
-- their best finding, and query_detail(), everything stored about one query at a snapshot. Both
-- read only the advisor's tables (SELECT on them is what a reader role needs: docs/advisor.md,
-- "Privileges"); the CLI (`howdah advisor bottlenecks|query`) and HTTP (GET /bottlenecks,
-- GET /queries/{id}) call them.
--
-- Errors: 22023 (invalid_parameter_value) for a bad lim; P0002 (no_data_found) for an unknown
-- snapshot or query id, or when no scan has finished yet.

CREATE FUNCTION howdah_internal.advisor_snapshot(snapshot_id bigint)
RETURNS bigint
LANGUAGE plpgsql STABLE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
-- The snapshot a reader works on: `snapshot_id` when it exists (in any state), the newest done
-- one when NULL.
DECLARE
    sid bigint;
BEGIN
    IF snapshot_id IS NULL THEN
        SELECT s.id INTO sid FROM howdah_advisor.snapshots s WHERE s.state = 'done' ORDER BY s.finished_at DESC, s.id DESC LIMIT 1;
        IF sid IS NULL THEN
            RAISE EXCEPTION USING ERRCODE = 'no_data_found', MESSAGE = 'no advisor scan has finished yet: there is nothing to read',
                HINT = 'Run SELECT howdah_advisor.scan(); (or howdah advisor scan) first.';
        END IF;
        RETURN sid;
    END IF;
    SELECT s.id INTO sid FROM howdah_advisor.snapshots s WHERE s.id = advisor_snapshot.snapshot_id;
    IF sid IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'no_data_found', MESSAGE = format('snapshot %s does not exist', snapshot_id),
            HINT = 'SELECT id, state, finished_at FROM howdah_advisor.snapshots ORDER BY id DESC lists them; prune() deletes old ones.';
    END IF;
    RETURN sid;
END;
$$;
COMMENT ON FUNCTION howdah_internal.advisor_snapshot(bigint) IS 'The snapshot id a reader uses: the given one when it exists, else (NULL) the newest done one. Errors: P0002 unknown snapshot, or no scan finished yet.';

CREATE FUNCTION howdah_internal.advisor_first_sentence(txt text)
RETURNS text
LANGUAGE sql IMMUTABLE SECURITY INVOKER
-- The first sentence of a rationale: up to the first . ! or ? followed by a space or the end
-- (so "12.5 ms" and "public.orders" do not end it); the whole text when there is none. No SET
-- clause: it is inlined into bottlenecks()' query.
RETURN coalesce(pg_catalog.substring(txt, '^(.*?[.!?])(?:\s|$)'), txt);
COMMENT ON FUNCTION howdah_internal.advisor_first_sentence(text) IS 'The first sentence of a text (up to . ! or ? before a space or the end), or the whole text. Errors: none.';

CREATE FUNCTION howdah_advisor.bottlenecks(lim integer DEFAULT 10, snapshot_id bigint DEFAULT NULL)
RETURNS TABLE (rank integer, query_id bigint, fingerprint text, query text, mean_ms double precision, calls bigint,
               total_ms double precision, rec_id bigint, type howdah_advisor.recommendation_type, reason text, ddl text,
               confidence real, improvement_pct double precision, snapshot bigint, family text,
               anomalies text[], risk_level text)
LANGUAGE plpgsql STABLE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
-- The queries of a snapshot (NULL: the newest done one) that have findings, one row each with
-- its best finding (the recommendation of lowest rank that lists it), in the order of those
-- findings' ranks, then by the query's total time; at most `lim` rows. reason is the finding
-- rationale's first sentence; improvement_pct the newest successful simulation of that finding
-- on that query (NULL when none); then the snapshot (its id), the query's family label, its anomaly
-- tags and the finding's risk level, so that a list needs no query_detail per row.
DECLARE
    sid bigint;
BEGIN
    IF lim IS NULL OR lim < 1 OR lim > 1000 THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = format('lim must be from 1 to 1000, not %s', coalesce(lim::text, 'NULL'));
    END IF;
    sid := howdah_internal.advisor_snapshot(bottlenecks.snapshot_id);
    RETURN QUERY
    WITH best AS (
        SELECT DISTINCT ON (qid) qid, r.id, r.type, r.rationale, r.ddl, r.confidence, r.rank AS rrank, r.benefit_total_ms,
               r.risk ->> 'level' AS rlevel
          FROM howdah_advisor.recommendations r
         CROSS JOIN LATERAL unnest(r.query_ids) AS qid
         WHERE r.snapshot_id = sid
         ORDER BY qid, r.rank NULLS LAST, r.type, r.benefit_total_ms DESC NULLS LAST, r.id
    ), listed AS (
        SELECT b.*, q.fingerprint AS fp, q.norm_sql, m.mean_ms AS mmean, m.calls AS mcalls, m.total_ms AS mtotal
          FROM best b
          JOIN howdah_advisor.queries q ON q.id = b.qid
          LEFT JOIN howdah_advisor.metrics m ON m.snapshot_id = sid AND m.query_id = b.qid
         ORDER BY b.rrank NULLS LAST, b.type, m.total_ms DESC NULLS LAST, b.qid
         LIMIT lim
    )
    SELECT (row_number() OVER (ORDER BY l.rrank NULLS LAST, l.type, l.mtotal DESC NULLS LAST, l.qid))::integer,
           l.qid, l.fp, l.norm_sql, l.mmean, l.mcalls, l.mtotal, l.id, l.type,
           howdah_internal.advisor_first_sentence(l.rationale), l.ddl, l.confidence,
           (SELECT s.improvement_pct FROM howdah_advisor.simulations s
             WHERE s.rec_id = l.id AND s.query_id = l.qid AND s.error IS NULL
             ORDER BY s.ran_at DESC, s.id DESC LIMIT 1),
           sid,
           (SELECT f.label FROM howdah_advisor.query_families qf JOIN howdah_advisor.families f ON f.id = qf.family_id
             WHERE qf.snapshot_id = sid AND qf.query_id = l.qid),
           coalesce((SELECT array_agg(a.kind::text ORDER BY a.kind) FROM howdah_advisor.anomalies a
                      WHERE a.snapshot_id = sid AND a.query_id = l.qid), '{}'),
           l.rlevel
      FROM listed l
     ORDER BY 1;
END;
$$;
COMMENT ON FUNCTION howdah_advisor.bottlenecks(integer, bigint) IS
'The slow queries of a snapshot that have findings (snapshot_id NULL: the newest done scan), one row per query with its best finding, in the findings'' rank order: rank, query_id, fingerprint, query (normalized), mean_ms, calls, total_ms, rec_id, type, reason (the rationale''s first sentence), ddl, confidence, improvement_pct (the newest simulation of that finding on that query, NULL when none), snapshot (its id), family (label), anomalies (tags), risk_level (the finding''s). At most lim rows (1 to 1000). '
'Errors: 22023 lim out of range; P0002 unknown snapshot, or no scan finished yet.';

CREATE FUNCTION howdah_advisor.query_detail(query_id bigint, snapshot_id bigint DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
-- Everything stored about one query as of a snapshot (NULL: the newest done one), as one JSON
-- object: the query, its metrics at the snapshot and its history (newest first), its plans with
-- their facts, its family, anomaly tags, the findings that list it and their simulations.
DECLARE
    sid bigint;
    q howdah_advisor.queries;
BEGIN
    IF query_id IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value', MESSAGE = 'query_id is NULL: pass the id of a query (bottlenecks() lists them)';
    END IF;
    sid := howdah_internal.advisor_snapshot(query_detail.snapshot_id);
    SELECT * INTO q FROM howdah_advisor.queries x WHERE x.id = query_detail.query_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'no_data_found', MESSAGE = format('query %s does not exist', query_id),
            HINT = 'howdah_advisor.bottlenecks() and the table howdah_advisor.queries list the ids; prune() deletes queries no snapshot mentions.';
    END IF;
    RETURN jsonb_build_object(
        'snapshot_id', sid,
        'query', jsonb_build_object('id', q.id, 'fingerprint', q.fingerprint, 'verb', q.verb, 'query', q.norm_sql,
                                    'raw_sql', q.raw_sql, 'tables', to_jsonb(q.tables), 'first_seen', q.first_seen, 'last_seen', q.last_seen),
        'metrics', (SELECT jsonb_build_object('captured_at', m.captured_at, 'calls', m.calls, 'rows', m.rows, 'total_ms', m.total_ms,
                                              'mean_ms', m.mean_ms, 'min_ms', m.min_ms, 'max_ms', m.max_ms,
                                              'shared_blks_hit', m.shared_blks_hit, 'shared_blks_read', m.shared_blks_read,
                                              'temp_blks_written', m.temp_blks_written, 'rank', m.rank, 'toplevel', m.toplevel)
                      FROM howdah_advisor.metrics m WHERE m.snapshot_id = sid AND m.query_id = q.id),
        'history', coalesce((SELECT jsonb_agg(jsonb_build_object('snapshot_id', m.snapshot_id, 'captured_at', m.captured_at,
                                                                 'calls', m.calls, 'mean_ms', m.mean_ms, 'total_ms', m.total_ms, 'rank', m.rank)
                                              ORDER BY m.snapshot_id DESC)
                               FROM howdah_advisor.metrics m WHERE m.query_id = q.id AND m.snapshot_id <= sid), '[]'),
        'plans', coalesce((SELECT jsonb_agg(jsonb_build_object('kind', p.kind, 'captured_at', p.captured_at, 'total_cost', p.total_cost,
                                                               'est_rows', p.est_rows, 'act_rows', p.act_rows, 'had_seq_scan', p.had_seq_scan,
                                                               'buffers_present', p.buffers_present, 'facts', p.facts, 'error', p.error,
                                                               'plan', p.plan_json)
                                            ORDER BY p.kind)
                             FROM howdah_advisor.plans p WHERE p.snapshot_id = sid AND p.query_id = q.id), '[]'),
        'family', (SELECT jsonb_build_object('id', f.id, 'label', f.label, 'size', f.size, 'tokens', to_jsonb(f.tokens),
                                             'similarity', qf.similarity)
                     FROM howdah_advisor.query_families qf JOIN howdah_advisor.families f ON f.id = qf.family_id
                    WHERE qf.snapshot_id = sid AND qf.query_id = q.id),
        'anomalies', coalesce((SELECT jsonb_agg(jsonb_build_object('id', a.id, 'kind', a.kind, 'detail', a.detail, 'detected_at', a.detected_at)
                                                ORDER BY a.kind)
                                 FROM howdah_advisor.anomalies a WHERE a.snapshot_id = sid AND a.query_id = q.id), '[]'),
        'recommendations', coalesce((SELECT jsonb_agg(jsonb_build_object('id', r.id, 'rank', r.rank, 'type', r.type, 'key', r.key,
                                                                         'table', r.table_name, 'index', r.index_name, 'columns', to_jsonb(r.columns),
                                                                         'ddl', r.ddl, 'reason', howdah_internal.advisor_first_sentence(r.rationale),
                                                                         'rationale', r.rationale, 'confidence', r.confidence,
                                                                         'benefit_ms', r.benefit_ms, 'benefit_total_ms', r.benefit_total_ms,
                                                                         'risk', r.risk, 'evidence', r.evidence, 'query_ids', to_jsonb(r.query_ids))
                                                      ORDER BY r.rank NULLS LAST, r.type, r.id)
                                       FROM howdah_advisor.recommendations r WHERE r.snapshot_id = sid AND r.query_ids @> ARRAY[q.id]), '[]'),
        'simulations', coalesce((SELECT jsonb_agg(jsonb_build_object('id', s.id, 'rec_id', s.rec_id, 'set_id', s.set_id, 'mode', s.mode,
                                                                     'ran_at', s.ran_at, 'before_cost', s.before_cost, 'after_cost', s.after_cost,
                                                                     'before_ms', s.before_ms, 'after_ms', s.after_ms,
                                                                     'improvement_pct', s.improvement_pct, 'gain', s.gain,
                                                                     'plan_changes', to_jsonb(s.plan_changes), 'error', s.error)
                                                  ORDER BY s.ran_at DESC, s.id DESC)
                                   FROM howdah_advisor.simulations s WHERE s.snapshot_id = sid AND s.query_id = q.id), '[]'));
END;
$$;
COMMENT ON FUNCTION howdah_advisor.query_detail(bigint, bigint) IS
'Everything stored about one query as of a snapshot (snapshot_id NULL: the newest done scan), as JSON: snapshot_id, query (id, fingerprint, verb, query, raw_sql, tables, first/last seen), metrics at the snapshot (NULL when it did not capture the query), history (metrics of every snapshot up to it, newest first), plans (kind, cost, rows, had_seq_scan, facts, error, plan), family, anomalies, recommendations that list the query (rank order, with reason, DDL, rationale, risk, evidence) and simulations of the query at the snapshot (newest first). '
'Errors: 22023 query_id NULL; P0002 unknown query or snapshot, or no scan finished yet.';
