-- advisor code 005: scan(), which runs the pipeline's stages in order into one new snapshot, and
-- prune(), which keeps the newest snapshots.
--
-- Errors: 22023 (invalid_parameter_value) naming the parameter; 55000
-- (object_not_in_prerequisite_state) when pg_stat_statements is missing or not preloaded.

CREATE FUNCTION howdah_advisor.prune(keep integer DEFAULT 20)
RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
-- Deletes every finished snapshot but the newest `keep` (with everything that names it, through
-- the foreign keys), then the queries no remaining snapshot mentions. Returns the number of
-- snapshots deleted. Running snapshots are never deleted.
DECLARE
    deleted integer;
BEGIN
    IF keep IS NULL OR keep < 1 THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value', MESSAGE = format('keep must be 1 or more, not %s', coalesce(keep::text, 'NULL'));
    END IF;
    DELETE FROM howdah_advisor.snapshots s
     WHERE s.state <> 'running'
       AND s.id NOT IN (SELECT k.id FROM howdah_advisor.snapshots k ORDER BY k.id DESC LIMIT prune.keep);
    GET DIAGNOSTICS deleted = ROW_COUNT;
    IF deleted > 0 THEN
        DELETE FROM howdah_advisor.queries q
         WHERE NOT EXISTS (SELECT FROM howdah_advisor.metrics m WHERE m.query_id = q.id);
    END IF;
    RETURN deleted;
END;
$$;
COMMENT ON FUNCTION howdah_advisor.prune(integer) IS 'Keeps the newest keep snapshots (default 20): deletes the older finished ones with their metrics, plans, findings and simulations, and the queries no remaining snapshot mentions. Returns the number of snapshots deleted. Errors: 22023 keep below 1.';

CREATE FUNCTION howdah_internal.advisor_quiet_pgss()
RETURNS text
LANGUAGE plpgsql VOLATILE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
-- Stops pg_stat_statements from recording this session's nested statements until the end of the
-- transaction or until the caller restores the returned value (set_config(..., true)): with
-- track = all, the advisor's own statements would otherwise become entries that later scans read
-- (and crowd pg_stat_statements.max). Only a superuser, or a role granted SET on the parameter,
-- may change it; for others (and when it already is top or none) it returns NULL and changes
-- nothing: ingest then recognizes the advisor's statements by their text.
DECLARE
    old text := current_setting('pg_stat_statements.track', true);
BEGIN
    IF old IS DISTINCT FROM 'all' THEN
        RETURN NULL;
    END IF;
    PERFORM set_config('pg_stat_statements.track', 'top', true);
    RETURN old;
EXCEPTION WHEN insufficient_privilege THEN
    RETURN NULL;
END;
$$;
COMMENT ON FUNCTION howdah_internal.advisor_quiet_pgss() IS 'Sets pg_stat_statements.track from all to top for the rest of the transaction when the role may, so the advisor''s own nested statements are not recorded; returns the old value to restore, or NULL when nothing changed. Errors: none.';

CREATE FUNCTION howdah_advisor.scan(
    top_n integer DEFAULT 100,
    min_calls bigint DEFAULT 1,
    min_mean_ms double precision DEFAULT 0,
    exclude text[] DEFAULT '{}',
    step_timeout interval DEFAULT '30 seconds',
    lock_timeout interval DEFAULT '1 second',
    keep integer DEFAULT 20,
    top_k integer DEFAULT 20,
    run boolean DEFAULT false,
    search_path text DEFAULT NULL,
    k_min integer DEFAULT 8,
    k_max integer DEFAULT 12)
RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
#variable_conflict use_column
-- Makes a snapshot and runs the stages into it in order, each reporting progress as a NOTICE:
-- ingest (statements, tables, indexes), plans (capture_plans: top_k, run), recommend, prove
-- (advisor_prove, when hypopg is installed), families (cluster: k_min, k_max), anomalies
-- (detect_anomalies). A stage that fails as a whole is recorded in the snapshot's errors, the
-- stages after it are skipped and the snapshot ends as failed; statements that fail inside a
-- stage are recorded by the stage. A bad argument or setting (22023) is the caller's to fix: it is
-- raised, and nothing is kept. Then prune(keep) (NULL keeps everything), and a notification on
-- channel howdah_advisor with the snapshot's id. Returns the snapshot's id.
-- jit is off for the scan and in each stage (called alone too): the stages' queries over the
-- advisor's small tables look expensive to the planner, and JIT compiling one of them took 25 s
-- for 10 ms of work (advisor_rule_rewrite, the sixth scan on a fresh database).
DECLARE
    sid bigint;
    stage text;
    t0 timestamptz;
    failed boolean := false;
    code text;
    msg text;
    track text;
BEGIN
    IF keep IS NOT NULL AND keep < 1 THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value', MESSAGE = format('keep must be 1 or more (or NULL), not %s', keep);
    END IF;
    IF k_min IS NULL OR k_min < 1 OR k_max IS NULL OR k_max < k_min OR k_max > 1000 THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = format('k_min must be 1 or more and k_max between k_min and 1000, not k_min %s, k_max %s',
                             coalesce(k_min::text, 'NULL'), coalesce(k_max::text, 'NULL'));
    END IF;
    -- Nothing to scan without pg_stat_statements: say so before making a snapshot.
    PERFORM howdah_internal.advisor_require_pgss();
    -- The scan's own statements are no workload: keep them out of pg_stat_statements when allowed.
    track := howdah_internal.advisor_quiet_pgss();
    INSERT INTO howdah_advisor.snapshots AS s (settings)
    VALUES (jsonb_build_object('top_n', top_n, 'min_calls', min_calls, 'min_mean_ms', min_mean_ms, 'exclude', to_jsonb(exclude),
                               'step_timeout', step_timeout::text, 'lock_timeout', lock_timeout::text, 'keep', keep,
                               'top_k', top_k, 'run', run, 'k_min', k_min, 'k_max', k_max,
                               -- pg_stat_statements keeps no path: plans and simulations use this one.
                               'search_path', coalesce(scan.search_path,
                                   (SELECT g.reset_val FROM pg_catalog.pg_settings g WHERE g.name = 'search_path'))))
    RETURNING s.id INTO sid;

    FOREACH stage IN ARRAY ARRAY['ingest', 'plans', 'recommend', 'prove', 'families', 'anomalies'] LOOP
        EXIT WHEN failed;
        -- Proving needs hypothetical indexes; without hypopg the findings keep their estimates.
        CONTINUE WHEN stage = 'prove' AND howdah_internal.advisor_extension_schema('hypopg') IS NULL;
        RAISE NOTICE 'advisor scan %: %', sid, stage;
        t0 := clock_timestamp();
        BEGIN
            CASE stage
            WHEN 'ingest' THEN
                PERFORM howdah_advisor.ingest(snapshot_id => sid, top_n => scan.top_n, min_calls => scan.min_calls,
                                              min_mean_ms => scan.min_mean_ms, exclude => scan.exclude,
                                              step_timeout => scan.step_timeout, lock_timeout => scan.lock_timeout);
            WHEN 'plans' THEN
                PERFORM howdah_advisor.capture_plans(snapshot_id => sid, top_k => scan.top_k, run => scan.run,
                                                     step_timeout => scan.step_timeout);
            WHEN 'recommend' THEN
                PERFORM howdah_advisor.recommend(snapshot_id => sid);
            WHEN 'prove' THEN
                PERFORM howdah_internal.advisor_prove(sid);
            WHEN 'families' THEN
                PERFORM howdah_advisor.cluster(snapshot_id => sid, k_min => scan.k_min, k_max => scan.k_max);
            WHEN 'anomalies' THEN
                PERFORM howdah_advisor.detect_anomalies(snapshot_id => sid);
            END CASE;
        EXCEPTION
            WHEN invalid_parameter_value THEN
                RAISE;
            WHEN OTHERS THEN
                GET STACKED DIAGNOSTICS code = RETURNED_SQLSTATE, msg = MESSAGE_TEXT;
                failed := true;
                UPDATE howdah_advisor.snapshots s
                   SET errors = s.errors || jsonb_build_object('stage', stage, 'sqlstate', code, 'message', msg)
                 WHERE s.id = sid;
                RAISE NOTICE 'advisor scan %: % failed after % ms: % (%)', sid, stage,
                    round(extract(epoch FROM clock_timestamp() - t0)::numeric * 1000), msg, code;
        END;
    END LOOP;

    UPDATE howdah_advisor.snapshots s
       SET state = CASE WHEN failed THEN 'failed' ELSE 'done' END::howdah_advisor.snapshot_state,
           finished_at = clock_timestamp()
     WHERE s.id = sid;
    IF keep IS NOT NULL THEN
        PERFORM howdah_advisor.prune(keep => scan.keep);
    END IF;
    IF track IS NOT NULL THEN
        PERFORM set_config('pg_stat_statements.track', track, true);
    END IF;
    RAISE NOTICE 'advisor scan %: %', sid, CASE WHEN failed THEN 'failed: see its errors' ELSE 'done' END;
    -- Readers' caches (howdah serve) drop what they hold when the scan commits.
    PERFORM pg_notify('howdah_advisor', sid::text);
    RETURN sid;
END;
$$;
COMMENT ON FUNCTION howdah_advisor.scan(integer, bigint, double precision, text[], interval, interval, integer, integer, boolean, text, integer, integer) IS
'Runs the advisor''s stages in order into a new snapshot and returns its id: ingest (see ingest() for top_n, min_calls, min_mean_ms, exclude, step_timeout, lock_timeout), plans (capture_plans: top_k, run; unqualified names resolve through search_path, default the session''s default path), recommend, prove (advisor_prove: simulates the index findings when hypopg is installed), families (cluster: k_min, k_max), anomalies (detect_anomalies), then prune(keep) (NULL keeps every snapshot), and NOTIFY howdah_advisor with the id. '
'Progress comes as NOTICEs; a stage that fails is recorded in the snapshot''s errors and the snapshot ends failed. Bound the whole call with statement_timeout. '
'Errors: 22023 bad argument or setting (names it); 55000 pg_stat_statements missing or not preloaded.';
