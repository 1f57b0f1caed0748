-- advisor code 015: ask(), grounded questions and answers. No language model: a question is
-- matched to one of four intents by keywords, and the answer is made of fixed sentence templates
-- filled with facts read from the advisor's tables. Every sentence ends with citation markers
-- [n] pointing into `citations` ({kind, ref, text}: what table row it rests on and the facts it
-- quotes). A question that matches no intent gets intent 'unknown' and the list of questions it
-- can answer. Intents and keywords (case-insensitive, whole words, tried in this order):
--
--   what_changed  changed, change(s), since, regress..., differ..., diff, compare...
--   show_impact   impact, simulat..., gain, benefit, faster, speedup, prove
--   what_index    index..., indices, recommend..., suggest..., advice, advise, fix..., add, create
--   why_slow      slow..., why, bottleneck..., expensive, latency, time
--
-- A query is named by the query_id argument, else in the question as "query 12", "query #12",
-- "id 12", "#12", or its 32-hex fingerprint.
--
-- Errors: 22023 (invalid_parameter_value) for an empty or overlong question; P0002 (no_data_found)
-- for an unknown query, or when no scan has finished yet.

CREATE FUNCTION howdah_internal.advisor_num(x double precision)
RETURNS text
LANGUAGE sql IMMUTABLE SECURITY INVOKER
-- A number as answers print it: whole from 100 up, else at most two decimals; n/a for NULL.
-- No SET clause: inlined.
RETURN CASE WHEN x IS NULL THEN 'n/a'
            WHEN x = 'Infinity'::double precision OR x = '-Infinity'::double precision OR x = 'NaN'::double precision THEN x::text
            WHEN abs(x) >= 100 THEN pg_catalog.round(x::numeric)::text
            ELSE pg_catalog.trim_scale(pg_catalog.round(x::numeric, 2))::text END;
COMMENT ON FUNCTION howdah_internal.advisor_num(double precision) IS 'A number as ask() prints it: whole from 100 up, else at most two decimals, n/a for NULL. Errors: none.';

CREATE FUNCTION howdah_internal.advisor_cite(INOUT cites jsonb, kind text, ref text, body text, OUT marker text)
LANGUAGE plpgsql IMMUTABLE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
-- Adds the citation {kind, ref, text} to `cites` unless one with the same ref is there, and
-- returns the marker [n] of its (1-based) position.
DECLARE
    n bigint;
BEGIN
    SELECT o.i INTO n FROM jsonb_array_elements(cites) WITH ORDINALITY AS o(c, i) WHERE o.c ->> 'ref' = ref;
    IF n IS NULL THEN
        cites := cites || jsonb_build_array(jsonb_build_object('kind', kind, 'ref', ref, 'text', body));
        n := jsonb_array_length(cites);
    END IF;
    marker := format('[%s]', n);
END;
$$;
COMMENT ON FUNCTION howdah_internal.advisor_cite(jsonb, text, text, text) IS 'Appends a citation {kind, ref, text} to an array unless its ref is there and returns the array with the marker [n] to write after a sentence. Errors: none.';

CREATE FUNCTION howdah_internal.advisor_cite_snapshot(INOUT cites jsonb, sid bigint, OUT marker text)
LANGUAGE plpgsql STABLE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
-- Cites a snapshot: when it finished and what it holds.
DECLARE
    s howdah_advisor.snapshots;
    c record;
BEGIN
    SELECT * INTO s FROM howdah_advisor.snapshots x WHERE x.id = sid;
    c := howdah_internal.advisor_cite(cites, 'snapshot', format('snapshot:%s', sid),
            format('snapshot %s, %s, started at %s, finished at %s: %s queries, %s findings', sid, s.state, s.started_at,
                   coalesce(s.finished_at::text, 'not yet'),
                   (SELECT count(*) FROM howdah_advisor.metrics m WHERE m.snapshot_id = sid),
                   (SELECT count(*) FROM howdah_advisor.recommendations r WHERE r.snapshot_id = sid)));
    cites := c.cites;
    marker := c.marker;
END;
$$;
COMMENT ON FUNCTION howdah_internal.advisor_cite_snapshot(jsonb, bigint) IS 'Cites a snapshot (state, times, query and finding counts) for ask(). Errors: none.';

CREATE FUNCTION howdah_internal.advisor_cite_metrics(INOUT cites jsonb, sid bigint, qid bigint, OUT marker text)
LANGUAGE plpgsql STABLE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
-- Cites a query's metrics at a snapshot (marker NULL when the snapshot did not capture it).
DECLARE
    m howdah_advisor.metrics;
    c record;
BEGIN
    SELECT * INTO m FROM howdah_advisor.metrics x WHERE x.snapshot_id = sid AND x.query_id = qid;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    c := howdah_internal.advisor_cite(cites, 'metrics', format('metrics:%s/%s', sid, qid),
            format('query %s at snapshot %s, captured at %s: mean_ms %s, calls %s, total_ms %s, rank %s', qid, sid, m.captured_at,
                   howdah_internal.advisor_num(m.mean_ms), m.calls, howdah_internal.advisor_num(m.total_ms), m.rank));
    cites := c.cites;
    marker := c.marker;
END;
$$;
COMMENT ON FUNCTION howdah_internal.advisor_cite_metrics(jsonb, bigint, bigint) IS 'Cites a query''s metrics at a snapshot (mean_ms, calls, total_ms, rank) for ask(); NULL marker when there are none. Errors: none.';

CREATE FUNCTION howdah_internal.advisor_cite_rec(INOUT cites jsonb, rid bigint, OUT marker text)
LANGUAGE plpgsql STABLE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
-- Cites a recommendation: rank, type, confidence, DDL and the rationale's first sentence.
DECLARE
    r howdah_advisor.recommendations;
    c record;
BEGIN
    SELECT * INTO r FROM howdah_advisor.recommendations x WHERE x.id = rid;
    c := howdah_internal.advisor_cite(cites, 'recommendation', format('recommendation:%s', rid),
            format('recommendation %s of snapshot %s: %s, rank %s, confidence %s, queries %s, ddl %s; %s', rid, r.snapshot_id, r.type,
                   coalesce(r.rank::text, 'n/a'), howdah_internal.advisor_num(r.confidence), r.query_ids::text,
                   coalesce(r.ddl, 'none (a rewrite)'), howdah_internal.advisor_first_sentence(r.rationale)));
    cites := c.cites;
    marker := c.marker;
END;
$$;
COMMENT ON FUNCTION howdah_internal.advisor_cite_rec(jsonb, bigint) IS 'Cites a recommendation (rank, type, confidence, queries, DDL, first sentence of its rationale) for ask(). Errors: none.';

CREATE FUNCTION howdah_internal.advisor_cite_sim(INOUT cites jsonb, sim jsonb, OUT marker text)
LANGUAGE plpgsql IMMUTABLE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
-- Cites a simulation given as a simulations row in JSON.
DECLARE
    c record;
BEGIN
    c := howdah_internal.advisor_cite(cites, 'simulation', format('simulation:%s', sim ->> 'id'),
            format('simulation %s (%s, ran at %s) of recommendation %s on query %s: before_cost %s, after_cost %s, improvement_pct %s, gain %s%s',
                   sim ->> 'id', sim ->> 'mode', sim ->> 'ran_at', coalesce(sim ->> 'rec_id', 'n/a'), sim ->> 'query_id',
                   howdah_internal.advisor_num((sim ->> 'before_cost')::double precision),
                   howdah_internal.advisor_num((sim ->> 'after_cost')::double precision),
                   howdah_internal.advisor_num((sim ->> 'improvement_pct')::double precision), coalesce(sim ->> 'gain', 'n/a'),
                   CASE WHEN sim ->> 'error' IS NOT NULL THEN ', error ' || (sim ->> 'error') ELSE '' END));
    cites := c.cites;
    marker := c.marker;
END;
$$;
COMMENT ON FUNCTION howdah_internal.advisor_cite_sim(jsonb, jsonb) IS 'Cites a simulation (costs, improvement, gain, error) for ask(). Errors: none.';

CREATE FUNCTION howdah_internal.advisor_ask_why_slow(sid bigint, qid bigint)
RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
-- "Why is query X slow": its metrics, what its plan shows (sequential scans, large nested loops,
-- estimate skew, sorts, correlated subplans), its anomaly tags and family, and its first finding.
-- With qid NULL: the top bottleneck of the snapshot. Returns {answer, citations, query_id}.
DECLARE
    cites jsonb := '[]'::jsonb;
    out text[] := '{}'::text[];
    c record;
    m howdah_advisor.metrics;
    q howdah_advisor.queries;
    p howdah_advisor.plans;
    f record;
    e jsonb;
    i integer;
    pref text;
    nrec integer;
    rid bigint;
BEGIN
    IF qid IS NULL THEN
        SELECT b.query_id INTO qid FROM howdah_advisor.bottlenecks(lim => 1, snapshot_id => sid) b;
        IF qid IS NULL THEN
            SELECT x.query_id INTO qid FROM howdah_advisor.metrics x WHERE x.snapshot_id = sid ORDER BY x.rank LIMIT 1;
        END IF;
        c := howdah_internal.advisor_cite_snapshot(cites, sid);
        cites := c.cites;
        IF qid IS NULL THEN
            RETURN jsonb_build_object('answer', format('Snapshot %s captured no query, so none is slow in it %s.', sid, c.marker), 'citations', cites);
        END IF;
        out := out || format('You named no query: this is the top bottleneck of snapshot %s, query %s %s.', sid, qid, c.marker);
    END IF;
    SELECT * INTO q FROM howdah_advisor.queries x WHERE x.id = qid;
    SELECT * INTO m FROM howdah_advisor.metrics x WHERE x.query_id = qid AND x.snapshot_id <= sid ORDER BY x.snapshot_id DESC LIMIT 1;
    IF m.query_id IS NULL THEN
        c := howdah_internal.advisor_cite_snapshot(cites, sid);
        cites := c.cites;
        out := out || format('Query %s was not captured by snapshot %s or any before it, so the advisor has no timing for it %s.', qid, sid, c.marker);
    ELSE
        c := howdah_internal.advisor_cite_metrics(cites, m.snapshot_id, qid);
        cites := c.cites;
        out := out || format('Query %s (%s) ran %s times at %s ms on average, %s ms in all: rank %s by total time in snapshot %s %s.',
                             qid, left(q.norm_sql, 80) || CASE WHEN length(q.norm_sql) > 80 THEN '…' ELSE '' END, m.calls,
                             howdah_internal.advisor_num(m.mean_ms), howdah_internal.advisor_num(m.total_ms), m.rank, m.snapshot_id, c.marker);
    END IF;

    -- The plan: an analyzed one says most, then the generic one, then an estimate.
    SELECT * INTO p FROM howdah_advisor.plans x WHERE x.snapshot_id = sid AND x.query_id = qid
     ORDER BY CASE x.kind WHEN 'analyze' THEN 0 WHEN 'generic' THEN 1 ELSE 2 END LIMIT 1;
    IF p.query_id IS NULL THEN
        c := howdah_internal.advisor_cite_snapshot(cites, sid);
        cites := c.cites;
        out := out || format('No plan was captured for it in snapshot %s (plans are captured for the top queries of a scan) %s.', sid, c.marker);
    ELSIF p.error IS NOT NULL THEN
        pref := format('plan:%s/%s/%s', sid, qid, p.kind);
        c := howdah_internal.advisor_cite(cites, 'plan', pref, format('plan (%s) at %s: error %s', p.kind, p.captured_at, p.error));
        cites := c.cites;
        out := out || format('Its plan could not be captured at %s: %s %s.', p.captured_at, p.error, c.marker);
    ELSE
        pref := format('plan:%s/%s/%s', sid, qid, p.kind);
        c := howdah_internal.advisor_cite(cites, 'plan', pref,
                format('plan captured at %s (%s): had_seq_scan = %s, total_cost %s, est_rows %s%s', p.captured_at, p.kind,
                       coalesce(p.had_seq_scan::text, 'n/a'), howdah_internal.advisor_num(p.total_cost), howdah_internal.advisor_num(p.est_rows),
                       CASE WHEN p.act_rows IS NOT NULL THEN ', act_rows ' || howdah_internal.advisor_num(p.act_rows) ELSE '' END));
        cites := c.cites;
        out := out || format('Its %s plan (captured at %s) costs %s and %s %s.', p.kind, p.captured_at, howdah_internal.advisor_num(p.total_cost),
                             CASE WHEN p.had_seq_scan THEN 'reads at least one table with a sequential scan' ELSE 'uses no sequential scan' END, c.marker);
        i := 0;
        FOR e IN SELECT x FROM jsonb_array_elements(coalesce(p.facts -> 'seq_scans', '[]')) x LIMIT 3 LOOP
            c := howdah_internal.advisor_cite(cites, 'plan', format('%s#seq_scans/%s', pref, i),
                    format('plan captured at %s: Seq Scan on %s, rows %s, filter %s, rows_removed %s', p.captured_at, e ->> 'table',
                           coalesce(e ->> 'rows', 'n/a'), coalesce(e ->> 'filter', 'none'), coalesce(e ->> 'rows_removed', 'n/a')));
            cites := c.cites;
            out := out || CASE WHEN e ->> 'filter' IS NULL
                               THEN format('It reads all of %s (about %s rows) %s.', e ->> 'table', coalesce(e ->> 'rows', '?'), c.marker)
                               ELSE format('It reads every row of %s to keep those matching %s (about %s rows) %s.', e ->> 'table', e ->> 'filter',
                                           coalesce(e ->> 'rows', '?'), c.marker) END;
            i := i + 1;
        END LOOP;
        i := 0;
        FOR e IN SELECT x FROM jsonb_array_elements(coalesce(p.facts -> 'joins', '[]')) x LOOP
            IF e ->> 'node' = 'Nested Loop' AND coalesce((e ->> 'inner_rows')::double precision, 0) >= 1000 THEN
                c := howdah_internal.advisor_cite(cites, 'plan', format('%s#joins/%s', pref, i),
                        format('plan captured at %s: Nested Loop, outer_rows %s, inner_rows %s, inner_table %s', p.captured_at,
                               coalesce(e ->> 'outer_rows', 'n/a'), e ->> 'inner_rows', coalesce(e ->> 'inner_table', 'n/a')));
                cites := c.cites;
                out := out || format('A nested loop reads about %s rows of %s on its inner side %s.', e ->> 'inner_rows',
                                     coalesce(e ->> 'inner_table', 'a subplan'), c.marker);
            END IF;
            i := i + 1;
        END LOOP;
        IF coalesce((p.facts ->> 'max_skew')::double precision, 0) >= 4 THEN
            c := howdah_internal.advisor_cite(cites, 'plan', pref || '#max_skew',
                    format('plan captured at %s: max_skew %s', p.captured_at, howdah_internal.advisor_num((p.facts ->> 'max_skew')::double precision)));
            cites := c.cites;
            out := out || format('The planner''s row estimates are off by up to %s times, so it may choose a bad plan %s.',
                                 howdah_internal.advisor_num((p.facts ->> 'max_skew')::double precision), c.marker);
        END IF;
        e := p.facts -> 'sorts' -> 0;
        IF e IS NOT NULL THEN
            c := howdah_internal.advisor_cite(cites, 'plan', pref || '#sorts/0',
                    format('plan captured at %s: Sort by %s, rows %s', p.captured_at, e -> 'keys', coalesce(e ->> 'rows', 'n/a')));
            cites := c.cites;
            out := out || format('It sorts about %s rows by %s %s.', coalesce(e ->> 'rows', '?'),
                                 (SELECT string_agg(k, ', ') FROM jsonb_array_elements_text(coalesce(e -> 'keys', '[]')) k), c.marker);
        END IF;
        i := 0;
        FOR e IN SELECT x FROM jsonb_array_elements(coalesce(p.facts -> 'subplans', '[]')) x LOOP
            IF (e ->> 'correlated')::boolean THEN
                c := howdah_internal.advisor_cite(cites, 'plan', format('%s#subplans/%s', pref, i),
                        format('plan captured at %s: %s, correlated = true, hashed = %s, table %s', p.captured_at, e ->> 'name',
                               coalesce(e ->> 'hashed', 'n/a'), coalesce(e ->> 'table', 'n/a')));
                cites := c.cites;
                out := out || format('It runs a correlated subquery%s once per outer row %s.',
                                     coalesce(' on ' || (e ->> 'table'), ''), c.marker);
            END IF;
            i := i + 1;
        END LOOP;
    END IF;

    FOR f IN SELECT a.id, a.kind, a.detail, a.detected_at FROM howdah_advisor.anomalies a
              WHERE a.snapshot_id = sid AND a.query_id = qid ORDER BY a.kind LOOP
        c := howdah_internal.advisor_cite(cites, 'anomaly', format('anomaly:%s', f.id),
                format('anomaly %s at %s: %s %s', f.id, f.detected_at, f.kind, f.detail::text));
        cites := c.cites;
        out := out || format('It is tagged %s: %s %s.', f.kind,
                             CASE f.kind WHEN 'family_slow' THEN 'its mean is over twice its family''s median'
                                         WHEN 'family_mad' THEN 'its mean is beyond 3 median absolute deviations of its family'
                                         WHEN 'regression' THEN 'its mean more than doubled against its own history'
                                         ELSE 'its tables waited on locks during the scan' END, c.marker);
    END LOOP;
    SELECT fa.id, fa.label, fa.size INTO f FROM howdah_advisor.query_families qf JOIN howdah_advisor.families fa ON fa.id = qf.family_id
     WHERE qf.snapshot_id = sid AND qf.query_id = qid;
    IF f.id IS NOT NULL THEN
        c := howdah_internal.advisor_cite(cites, 'family', format('family:%s', f.id), format('family %s of snapshot %s: label %s, size %s', f.id, sid, f.label, f.size));
        cites := c.cites;
        out := out || format('It belongs to the family %s (%s queries) %s.', f.label, f.size, c.marker);
    END IF;

    SELECT count(*), (array_agg(r.id ORDER BY r.rank NULLS LAST, r.type, r.id))[1] INTO nrec, rid
      FROM howdah_advisor.recommendations r WHERE r.snapshot_id = sid AND r.query_ids @> ARRAY[qid];
    IF rid IS NULL THEN
        c := howdah_internal.advisor_cite_snapshot(cites, sid);
        cites := c.cites;
        out := out || format('The advisor has no finding for it in snapshot %s: no rule matched its facts %s.', sid, c.marker);
    ELSE
        c := howdah_internal.advisor_cite_rec(cites, rid);
        cites := c.cites;
        SELECT * INTO f FROM howdah_advisor.recommendations r WHERE r.id = rid;
        out := out || format('The advisor''s first finding for it (of %s) is %s, rank %s: %s %s.', nrec, f.type, coalesce(f.rank::text, 'n/a'),
                             rtrim(howdah_internal.advisor_first_sentence(f.rationale), '.!?'), c.marker);
    END IF;
    RETURN jsonb_build_object('answer', array_to_string(out, ' '), 'citations', cites, 'query_id', qid);
END;
$$;
COMMENT ON FUNCTION howdah_internal.advisor_ask_why_slow(bigint, bigint) IS 'ask()''s answer to "why is query X slow" at a snapshot, as {answer, citations, query_id}. Errors: none of its own.';

CREATE FUNCTION howdah_internal.advisor_ask_index(sid bigint, qid bigint)
RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
-- "What index should I add": for a query, its index findings (else its other findings) with
-- their newest simulation on it; overall (qid NULL), the snapshot's first five index findings.
DECLARE
    cites jsonb := '[]'::jsonb;
    out text[] := '{}'::text[];
    c record;
    r record;
    sim jsonb;
    n integer := 0;
    pl howdah_advisor.plans;
BEGIN
    IF qid IS NULL THEN
        FOR r IN SELECT x.* FROM howdah_advisor.recommendations x
                  WHERE x.snapshot_id = sid AND x.type IN ('missing_index', 'composite_index')
                  ORDER BY x.rank NULLS LAST, x.type, x.benefit_total_ms DESC NULLS LAST, x.id LIMIT 5 LOOP
            c := howdah_internal.advisor_cite_rec(cites, r.id);
            cites := c.cites;
            n := n + 1;
            out := out || format('%s %s: it serves %s (%s), would save an estimated %s ms in all, rank %s, confidence %s %s.',
                                 CASE WHEN n = 1 THEN 'First, add' ELSE 'Then' END, r.ddl,
                                 CASE WHEN cardinality(r.query_ids) = 1 THEN 'one query' ELSE cardinality(r.query_ids) || ' queries' END,
                                 (SELECT string_agg('query ' || x, ', ') FROM unnest(r.query_ids[1:5]) x),
                                 howdah_internal.advisor_num(r.benefit_total_ms), coalesce(r.rank::text, 'n/a'),
                                 howdah_internal.advisor_num(r.confidence), c.marker);
        END LOOP;
        IF n = 0 THEN
            c := howdah_internal.advisor_cite_snapshot(cites, sid);
            cites := c.cites;
            out := out || format('Snapshot %s recommends no index: no rule found a query an index would serve %s.', sid, c.marker);
        END IF;
        RETURN jsonb_build_object('answer', array_to_string(out, ' '), 'citations', cites);
    END IF;

    FOR r IN SELECT x.* FROM howdah_advisor.recommendations x
              WHERE x.snapshot_id = sid AND x.query_ids @> ARRAY[qid]
              ORDER BY (x.type IN ('missing_index', 'composite_index')) DESC, x.rank NULLS LAST, x.type, x.id LIMIT 3 LOOP
        IF n = 0 AND r.type NOT IN ('missing_index', 'composite_index') THEN
            c := howdah_internal.advisor_cite_snapshot(cites, sid);
            cites := c.cites;
            out := out || format('No index is recommended for query %s in snapshot %s %s.', qid, sid, c.marker);
        END IF;
        c := howdah_internal.advisor_cite_rec(cites, r.id);
        cites := c.cites;
        n := n + 1;
        out := out || CASE WHEN r.ddl IS NULL
                           THEN format('%s %s (rank %s, confidence %s): %s %s.', CASE WHEN n = 1 THEN 'The advisor suggests a' ELSE 'It also suggests a' END,
                                       r.type, coalesce(r.rank::text, 'n/a'), howdah_internal.advisor_num(r.confidence),
                                       rtrim(howdah_internal.advisor_first_sentence(r.rationale), '.!?'), c.marker)
                           ELSE format('%s %s (%s, rank %s, confidence %s): %s %s.', CASE WHEN n = 1 THEN 'Run' ELSE 'Also consider' END,
                                       r.ddl, r.type, coalesce(r.rank::text, 'n/a'), howdah_internal.advisor_num(r.confidence),
                                       rtrim(howdah_internal.advisor_first_sentence(r.rationale), '.!?'), c.marker) END;
        SELECT to_jsonb(s) INTO sim FROM howdah_advisor.simulations s
         WHERE s.rec_id = r.id AND s.query_id = qid AND s.error IS NULL ORDER BY s.ran_at DESC, s.id DESC LIMIT 1;
        IF sim IS NOT NULL THEN
            c := howdah_internal.advisor_cite_sim(cites, sim);
            cites := c.cites;
            out := out || format('Simulated on query %s: its cost goes from %s to %s (%s %%) %s.', qid,
                                 howdah_internal.advisor_num((sim ->> 'before_cost')::double precision),
                                 howdah_internal.advisor_num((sim ->> 'after_cost')::double precision),
                                 '−' || howdah_internal.advisor_num((sim ->> 'improvement_pct')::double precision), c.marker);
        END IF;
    END LOOP;
    IF n = 0 THEN
        c := howdah_internal.advisor_cite_snapshot(cites, sid);
        cites := c.cites;
        out := out || format('No index is recommended for query %s in snapshot %s: no rule found one that would serve it %s.', qid, sid, c.marker);
        SELECT * INTO pl FROM howdah_advisor.plans x WHERE x.snapshot_id = sid AND x.query_id = qid AND x.error IS NULL
         ORDER BY CASE x.kind WHEN 'analyze' THEN 0 WHEN 'generic' THEN 1 ELSE 2 END LIMIT 1;
        IF pl.query_id IS NOT NULL AND NOT coalesce(pl.had_seq_scan, true) THEN
            c := howdah_internal.advisor_cite(cites, 'plan', format('plan:%s/%s/%s', sid, qid, pl.kind),
                    format('plan captured at %s (%s): had_seq_scan = false, total_cost %s', pl.captured_at, pl.kind, howdah_internal.advisor_num(pl.total_cost)));
            cites := c.cites;
            out := out || format('Its plan already uses no sequential scan %s.', c.marker);
        END IF;
    END IF;
    RETURN jsonb_build_object('answer', array_to_string(out, ' '), 'citations', cites, 'query_id', qid);
END;
$$;
COMMENT ON FUNCTION howdah_internal.advisor_ask_index(bigint, bigint) IS 'ask()''s answer to "what index should I add" (for a query, or overall when qid is NULL), as {answer, citations, query_id}. Errors: none of its own.';

CREATE FUNCTION howdah_internal.advisor_ask_impact(sid bigint, qid bigint)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
-- "Show impact": simulates the best index finding of the query (qid NULL: the snapshot's best
-- index finding on its query with the most total time) with howdah_advisor.simulate when that
-- function is installed and the caller may run it, else cites the newest stored simulation.
DECLARE
    cites jsonb := '[]'::jsonb;
    out text[] := '{}'::text[];
    c record;
    rid bigint;
    sim jsonb;
    why text;
    code text;
    msg text;
    fn regproc := to_regproc('howdah_advisor.simulate');
BEGIN
    SELECT r.id INTO rid FROM howdah_advisor.recommendations r
     WHERE r.snapshot_id = sid AND r.type IN ('missing_index', 'composite_index') AND (qid IS NULL OR r.query_ids @> ARRAY[qid])
     ORDER BY r.rank NULLS LAST, r.type, r.benefit_total_ms DESC NULLS LAST, r.id LIMIT 1;
    IF rid IS NULL THEN
        c := howdah_internal.advisor_cite_snapshot(cites, sid);
        cites := c.cites;
        RETURN jsonb_build_object('answer', format('Snapshot %s has no index finding%s to simulate %s.', sid,
                                                   coalesce(' for query ' || qid, ''), c.marker),
                                  'citations', cites, 'query_id', qid);
    END IF;
    IF qid IS NULL THEN
        SELECT x INTO qid FROM howdah_advisor.recommendations r CROSS JOIN LATERAL unnest(r.query_ids) x
          LEFT JOIN howdah_advisor.metrics m ON m.snapshot_id = sid AND m.query_id = x
         WHERE r.id = rid ORDER BY m.total_ms DESC NULLS LAST, x LIMIT 1;
    END IF;
    c := howdah_internal.advisor_cite_rec(cites, rid);
    cites := c.cites;
    out := out || format('The best index finding for query %s is recommendation %s: %s %s.', qid, rid,
                         (SELECT r.ddl FROM howdah_advisor.recommendations r WHERE r.id = rid), c.marker);

    IF fn IS NULL THEN
        why := 'simulate() is not installed in this database';
    ELSIF NOT has_function_privilege(fn, 'EXECUTE') THEN
        why := format('role %s may not run simulate() (it needs EXECUTE on howdah_advisor.simulate)', current_user);
    ELSE
        BEGIN
            -- Dynamic, through its regproc: simulate() comes from another code file and may be missing.
            EXECUTE format('SELECT pg_catalog.to_jsonb(s) FROM %s(query_id => $1, rec_id => $2) AS s', fn) INTO sim USING qid, rid;
        EXCEPTION
            WHEN query_canceled THEN
                RAISE;
            WHEN OTHERS THEN
                GET STACKED DIAGNOSTICS code = RETURNED_SQLSTATE, msg = MESSAGE_TEXT;
                why := format('simulate() failed: %s (SQLSTATE %s)', msg, code);
        END;
    END IF;
    IF why IS NOT NULL THEN
        SELECT to_jsonb(s) INTO sim FROM howdah_advisor.simulations s
         WHERE s.rec_id = rid AND s.query_id = qid ORDER BY s.error IS NULL DESC, s.ran_at DESC, s.id DESC LIMIT 1;
        c := howdah_internal.advisor_cite(cites, 'environment', 'environment:simulate', why);
        cites := c.cites;
        out := out || format('No new simulation ran: %s %s.', why, c.marker);
        IF sim IS NULL THEN
            out := out || format('No simulation of recommendation %s on query %s is stored either %s.', rid, qid, c.marker);
            RETURN jsonb_build_object('answer', array_to_string(out, ' '), 'citations', cites, 'query_id', qid, 'rec_id', rid);
        END IF;
    END IF;
    c := howdah_internal.advisor_cite_sim(cites, sim);
    cites := c.cites;
    IF sim ->> 'error' IS NOT NULL THEN
        out := out || format('%s %s failed: %s %s.', CASE WHEN why IS NULL THEN 'Simulation' ELSE 'The newest stored simulation,' END,
                             sim ->> 'id', sim ->> 'error', c.marker);
    ELSE
        out := out || format('%s %s (%s, %s): the plan''s cost goes from %s to %s, %s %% %s.',
                             CASE WHEN why IS NULL THEN 'Simulation' ELSE 'The newest stored simulation,' END,
                             sim ->> 'id', sim ->> 'mode', sim ->> 'ran_at',
                             howdah_internal.advisor_num((sim ->> 'before_cost')::double precision),
                             howdah_internal.advisor_num((sim ->> 'after_cost')::double precision),
                             '−' || howdah_internal.advisor_num((sim ->> 'improvement_pct')::double precision), c.marker);
        IF sim ->> 'before_ms' IS NOT NULL AND sim ->> 'after_ms' IS NOT NULL THEN
            out := out || format('Estimated time per call: %s ms before, %s ms after (the measured mean scaled by the cost ratio: an estimate) %s.',
                                 howdah_internal.advisor_num((sim ->> 'before_ms')::double precision),
                                 howdah_internal.advisor_num((sim ->> 'after_ms')::double precision), c.marker);
        END IF;
        IF jsonb_array_length(coalesce(sim -> 'plan_changes', '[]')) > 0 THEN
            out := out || format('Plan changes: %s %s.', (SELECT string_agg(x, '; ') FROM jsonb_array_elements_text(sim -> 'plan_changes') x), c.marker);
        END IF;
        IF (sim ->> 'gain')::boolean IS FALSE THEN
            out := out || format('That is under the minimum gain: reported as no gain %s.', c.marker);
        END IF;
    END IF;
    RETURN jsonb_build_object('answer', array_to_string(out, ' '), 'citations', cites, 'query_id', qid, 'rec_id', rid,
                              'simulation_id', (sim ->> 'id')::bigint);
END;
$$;
COMMENT ON FUNCTION howdah_internal.advisor_ask_impact(bigint, bigint) IS 'ask()''s answer to "show impact": runs howdah_advisor.simulate on the best index finding of the query when it is installed and allowed, else cites the newest stored simulation; {answer, citations, query_id, rec_id, simulation_id}. Errors: none of its own (a failed simulation is part of the answer).';

CREATE FUNCTION howdah_internal.advisor_ask_changes(sid bigint)
RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
-- "What changed since the last scan": between snapshot sid and the done snapshot before it, the
-- queries new and gone, regressions (interval mean over twice the previous mean and 0.5 ms more,
-- or a regression tag) and findings new and gone (by key).
DECLARE
    cites jsonb := '[]'::jsonb;
    out text[] := '{}'::text[];
    c record;
    mk1 text;
    mk0 text;
    s0 bigint;
    r record;
    n integer;
    parts text[];
    same_reset boolean;
BEGIN
    SELECT s.id INTO s0 FROM howdah_advisor.snapshots s
     WHERE s.state = 'done' AND s.id <> sid AND s.finished_at <= (SELECT x.finished_at FROM howdah_advisor.snapshots x WHERE x.id = sid)
     ORDER BY s.finished_at DESC, s.id DESC LIMIT 1;
    c := howdah_internal.advisor_cite_snapshot(cites, sid);
    cites := c.cites;
    IF s0 IS NULL THEN
        RETURN jsonb_build_object('answer', format('Only one scan, snapshot %s, is done: there is nothing to compare it with yet %s.', sid, c.marker),
                                  'citations', cites);
    END IF;
    mk1 := c.marker;
    c := howdah_internal.advisor_cite_snapshot(cites, s0);
    cites := c.cites;
    mk0 := c.marker;
    out := out || format('Comparing snapshot %s with the scan before it, snapshot %s %s%s.', sid, s0, mk1, mk0);
    SELECT a.pgss_reset_at IS NOT DISTINCT FROM b.pgss_reset_at INTO same_reset
      FROM howdah_advisor.snapshots a, howdah_advisor.snapshots b WHERE a.id = sid AND b.id = s0;

    -- Queries captured by one snapshot and not the other.
    FOR r IN SELECT 'new' AS what, sid AS s, ARRAY(SELECT m.query_id FROM howdah_advisor.metrics m
                                                     WHERE m.snapshot_id = sid AND NOT EXISTS (SELECT FROM howdah_advisor.metrics o WHERE o.snapshot_id = s0 AND o.query_id = m.query_id)
                                                     ORDER BY m.total_ms DESC, m.query_id) AS ids
             UNION ALL
             SELECT 'gone', s0, ARRAY(SELECT m.query_id FROM howdah_advisor.metrics m
                                       WHERE m.snapshot_id = s0 AND NOT EXISTS (SELECT FROM howdah_advisor.metrics o WHERE o.snapshot_id = sid AND o.query_id = m.query_id)
                                       ORDER BY m.total_ms DESC, m.query_id) LOOP
        n := cardinality(r.ids);
        IF n = 0 THEN
            out := out || format('No query is %s %s%s.', CASE r.what WHEN 'new' THEN 'new' ELSE 'gone' END, mk1, mk0);
            CONTINUE;
        END IF;
        parts := '{}'::text[];
        FOR i IN 1 .. least(n, 3) LOOP
            c := howdah_internal.advisor_cite_metrics(cites, r.s, r.ids[i]);
            cites := c.cites;
            parts := parts || format('query %s (%s ms in all) %s', r.ids[i],
                                     (SELECT howdah_internal.advisor_num(m.total_ms) FROM howdah_advisor.metrics m WHERE m.snapshot_id = r.s AND m.query_id = r.ids[i]), c.marker);
        END LOOP;
        out := out || format('%s %s: %s.', CASE WHEN n = 1 THEN '1 query is' ELSE n || ' queries are' END,
                             CASE r.what WHEN 'new' THEN format('new in snapshot %s', sid) ELSE format('gone since snapshot %s', s0) END,
                             array_to_string(parts, ', ') || CASE WHEN n > 3 THEN format(' and %s more', n - 3) ELSE '' END);
    END LOOP;

    -- Regressions: the mean of the calls between the snapshots (when pg_stat_statements was not
    -- reset in between) against the earlier mean, and the tags detect_anomalies() wrote.
    n := 0;
    FOR r IN SELECT m1.query_id, m0.mean_ms AS before_ms,
                    CASE WHEN same_reset AND m1.calls > m0.calls THEN (m1.total_ms - m0.total_ms) / (m1.calls - m0.calls) ELSE m1.mean_ms END AS after_ms
               FROM howdah_advisor.metrics m1 JOIN howdah_advisor.metrics m0 ON m0.snapshot_id = s0 AND m0.query_id = m1.query_id
              WHERE m1.snapshot_id = sid
                AND ((CASE WHEN same_reset AND m1.calls > m0.calls THEN (m1.total_ms - m0.total_ms) / (m1.calls - m0.calls) ELSE m1.mean_ms END
                      > 2 * m0.mean_ms + 0.5)
                     OR EXISTS (SELECT FROM howdah_advisor.anomalies a WHERE a.snapshot_id = sid AND a.query_id = m1.query_id AND a.kind = 'regression'))
              ORDER BY 3 / greatest(m0.mean_ms, 1e-9) DESC, m1.query_id LOOP
        n := n + 1;
        IF n > 3 THEN
            CONTINUE;
        END IF;
        c := howdah_internal.advisor_cite_metrics(cites, sid, r.query_id);
        cites := c.cites;
        parts := ARRAY[c.marker];
        c := howdah_internal.advisor_cite_metrics(cites, s0, r.query_id);
        cites := c.cites;
        out := out || format('Query %s got slower: %s ms per call %s, against %s ms before %s%s.', r.query_id,
                             howdah_internal.advisor_num(r.after_ms),
                             CASE WHEN same_reset THEN format('over the calls since snapshot %s', s0) ELSE format('at snapshot %s', sid) END,
                             howdah_internal.advisor_num(r.before_ms), parts[1], c.marker);
    END LOOP;
    IF n = 0 THEN
        out := out || format('No query captured by both snapshots got more than twice slower %s%s.', mk1, mk0);
    ELSIF n > 3 THEN
        out := out || format('%s more queries got slower %s%s.', n - 3, mk1, mk0);
    END IF;

    -- Findings by key.
    FOR r IN SELECT 'new' AS what, ARRAY(SELECT x.id FROM howdah_advisor.recommendations x WHERE x.snapshot_id = sid
                                          AND NOT EXISTS (SELECT FROM howdah_advisor.recommendations o WHERE o.snapshot_id = s0 AND o.key = x.key)
                                          ORDER BY x.rank NULLS LAST, x.id) AS ids
             UNION ALL
             SELECT 'gone', ARRAY(SELECT x.id FROM howdah_advisor.recommendations x WHERE x.snapshot_id = s0
                                   AND NOT EXISTS (SELECT FROM howdah_advisor.recommendations o WHERE o.snapshot_id = sid AND o.key = x.key)
                                   ORDER BY x.rank NULLS LAST, x.id) LOOP
        n := cardinality(r.ids);
        IF n = 0 THEN
            out := out || format('No finding is %s %s%s.', CASE r.what WHEN 'new' THEN 'new' ELSE 'gone' END, mk1, mk0);
            CONTINUE;
        END IF;
        parts := '{}'::text[];
        FOR i IN 1 .. least(n, 3) LOOP
            c := howdah_internal.advisor_cite_rec(cites, r.ids[i]);
            cites := c.cites;
            parts := parts || (SELECT format('%s %s %s', x.type, x.key, c.marker) FROM howdah_advisor.recommendations x WHERE x.id = r.ids[i]);
        END LOOP;
        out := out || format('%s %s: %s.', CASE WHEN n = 1 THEN '1 finding is' ELSE n || ' findings are' END,
                             CASE r.what WHEN 'new' THEN 'new' ELSE format('gone (fixed, or no longer found) since snapshot %s', s0) END,
                             array_to_string(parts, ', ') || CASE WHEN n > 3 THEN format(' and %s more', n - 3) ELSE '' END);
    END LOOP;
    RETURN jsonb_build_object('answer', array_to_string(out, ' '), 'citations', cites, 'previous_snapshot_id', s0);
END;
$$;
COMMENT ON FUNCTION howdah_internal.advisor_ask_changes(bigint) IS 'ask()''s answer to "what changed since the last scan" (queries new and gone, regressions, findings new and gone between a snapshot and the done one before it), as {answer, citations, previous_snapshot_id}. Errors: none of its own.';

CREATE FUNCTION howdah_internal.advisor_ask_questions()
RETURNS jsonb
LANGUAGE sql IMMUTABLE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
-- The questions ask() answers, as it lists them.
RETURN '["why is query <id> slow? (name it by id or fingerprint; without one: the top bottleneck)",
         "what index should I add? (overall, or for query <id>)",
         "show the impact of the index for query <id> (runs simulate() when it is installed)",
         "what changed since the last scan?"]'::jsonb;
COMMENT ON FUNCTION howdah_internal.advisor_ask_questions() IS 'The questions ask() can answer, as a JSON array of strings. Errors: none.';

CREATE FUNCTION howdah_advisor.ask(question text, query_id bigint DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
-- Answers a question about the newest done scan from stored facts only: {intent, answer,
-- citations [{kind, ref, text}], can_answer, snapshot_id, query_id, ...}. The intent comes from
-- keywords (the file's header lists them); query_id, else a query named in the question, says
-- which query. Each sentence of the answer ends with the markers [n] of its citations.
DECLARE
    qtext text := btrim(question);
    intent text;
    qid bigint := ask.query_id;
    fp text[];
    idm text[];
    sid bigint;
    res jsonb;
BEGIN
    IF qtext IS NULL OR qtext = '' THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value', MESSAGE = 'question is empty: ask one of the questions can_answer lists',
            HINT = 'For example: SELECT howdah_advisor.ask(''why is query 12 slow?'');';
    ELSIF length(qtext) > 2000 THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value', MESSAGE = format('question is %s characters long: ask in at most 2000', length(qtext));
    END IF;
    intent := CASE
        WHEN qtext ~* '\m(chang(e|ed|es)|since|regress\w*|differ\w*|diff|compare\w*)\M' THEN 'what_changed'
        WHEN qtext ~* '\m(impact|simulat\w*|gain|benefit|faster|speedup|prove)\M' THEN 'show_impact'
        WHEN qtext ~* '\m(index\w*|indices|recommend\w*|suggest\w*|advice|advise|fix\w*|add|create)\M' THEN 'what_index'
        WHEN qtext ~* '\m(slow\w*|why|bottleneck\w*|expensive|latency|time)\M' THEN 'why_slow'
        ELSE 'unknown' END;
    IF intent = 'unknown' THEN
        RETURN jsonb_build_object('intent', intent,
            'answer', 'I answer only from the advisor''s stored facts, and only these questions: '
                      || (SELECT string_agg(x, '; ') FROM jsonb_array_elements_text(howdah_internal.advisor_ask_questions()) x),
            'citations', '[]'::jsonb, 'can_answer', howdah_internal.advisor_ask_questions());
    END IF;

    -- The query: the argument, else "query 12" / "#12" / "id 12", else a fingerprint.
    IF qid IS NULL THEN
        idm := regexp_match(qtext, '(?:\mquery|\mid|#)\s*(?:id\s*)?#?\s*(\d{1,18})\M', 'i');
        IF idm IS NOT NULL THEN
            qid := idm[1]::bigint;
        ELSE
            fp := regexp_match(lower(qtext), '\m([0-9a-f]{32})\M');
            IF fp IS NOT NULL THEN
                SELECT q.id INTO qid FROM howdah_advisor.queries q WHERE q.fingerprint = fp[1];
                IF qid IS NULL THEN
                    RAISE EXCEPTION USING ERRCODE = 'no_data_found', MESSAGE = format('no query has the fingerprint %s', fp[1]),
                        HINT = 'howdah_advisor.bottlenecks() lists the queries with their fingerprints.';
                END IF;
            END IF;
        END IF;
    END IF;
    IF qid IS NOT NULL AND NOT EXISTS (SELECT FROM howdah_advisor.queries q WHERE q.id = qid) THEN
        RAISE EXCEPTION USING ERRCODE = 'no_data_found', MESSAGE = format('query %s does not exist', qid),
            HINT = 'howdah_advisor.bottlenecks() lists the queries with findings; howdah_advisor.queries all of them.';
    END IF;
    sid := howdah_internal.advisor_snapshot(NULL);
    res := CASE intent
        WHEN 'why_slow' THEN howdah_internal.advisor_ask_why_slow(sid, qid)
        WHEN 'what_index' THEN howdah_internal.advisor_ask_index(sid, qid)
        WHEN 'show_impact' THEN howdah_internal.advisor_ask_impact(sid, qid)
        ELSE howdah_internal.advisor_ask_changes(sid) END;
    RETURN jsonb_build_object('intent', intent, 'snapshot_id', sid, 'query_id', coalesce(res -> 'query_id', to_jsonb(qid)),
                              'can_answer', howdah_internal.advisor_ask_questions()) || res;
END;
$$;
COMMENT ON FUNCTION howdah_advisor.ask(text, bigint) IS
'Answers a question about the newest done scan from stored facts only (no language model): {intent, answer, citations [{kind, ref, text}], can_answer, snapshot_id, query_id}; each sentence of answer ends with the markers [n] of the citations it rests on. Intents by keyword: why_slow, what_index, show_impact (runs simulate() when it is installed), what_changed; anything else gets intent unknown and the list of questions it can answer. The query is query_id, else one named in the question ("query 12", "#12", a fingerprint). '
'Errors: 22023 empty or overlong question; P0002 unknown query, or no scan finished yet.';
