-- advisor code 005: scan(), which runs the pipeline's stages in order into one new snapshot, and
-- prune(), which keeps the newest snapshots. Later stages (plan facts, rules, families,
-- anomalies) are appended to scan() as they come.
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

CREATE FUNCTION howdah_advisor.scan(
    top_n integer DEFAULT 100,
    min_calls bigint DEFAULT 1,
    min_mean_ms double precision DEFAULT 0,
    exclude text[] DEFAULT '{}',
    step_timeout interval DEFAULT '30 seconds',
    lock_timeout interval DEFAULT '1 second',
    keep integer DEFAULT 20)
RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
-- Makes a snapshot and runs the stages into it in order, each reporting progress as a NOTICE:
-- ingest (statements, tables, indexes); later stages will follow it here. A stage that fails as a
-- whole is recorded in the snapshot's errors and the snapshot ends as failed; statements that
-- fail inside a stage are recorded by the stage. Then prune(keep) (NULL keeps everything).
-- Returns the snapshot's id.
DECLARE
    sid bigint;
    t0 timestamptz;
    failed boolean := false;
    code text;
    msg text;
BEGIN
    IF keep IS NOT NULL AND keep < 1 THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value', MESSAGE = format('keep must be 1 or more (or NULL), not %s', keep);
    END IF;
    -- Nothing to scan without pg_stat_statements: say so before making a snapshot.
    PERFORM howdah_internal.advisor_require_pgss();
    INSERT INTO howdah_advisor.snapshots AS s (settings)
    VALUES (jsonb_build_object('top_n', top_n, 'min_calls', min_calls, 'min_mean_ms', min_mean_ms, 'exclude', to_jsonb(exclude),
                               'step_timeout', step_timeout::text, 'lock_timeout', lock_timeout::text, 'keep', keep))
    RETURNING s.id INTO sid;
    RAISE NOTICE 'advisor scan %: ingest', sid;

    -- Stage 1: ingest. Bad arguments are the caller's to fix: they are raised, not recorded.
    t0 := clock_timestamp();
    BEGIN
        PERFORM howdah_advisor.ingest(snapshot_id => sid, top_n => scan.top_n, min_calls => scan.min_calls,
                                      min_mean_ms => scan.min_mean_ms, exclude => scan.exclude,
                                      step_timeout => scan.step_timeout, lock_timeout => scan.lock_timeout);
    EXCEPTION
        WHEN invalid_parameter_value THEN
            RAISE;
        WHEN OTHERS THEN
            GET STACKED DIAGNOSTICS code = RETURNED_SQLSTATE, msg = MESSAGE_TEXT;
            failed := true;
            UPDATE howdah_advisor.snapshots s
               SET errors = s.errors || jsonb_build_object('stage', 'ingest', 'sqlstate', code, 'message', msg)
             WHERE s.id = sid;
            RAISE NOTICE 'advisor scan %: ingest failed after % ms: % (%)', sid,
                round(extract(epoch FROM clock_timestamp() - t0)::numeric * 1000), msg, code;
    END;

    -- Later stages go here, each in a block like the one above, skipped when ingest failed.

    UPDATE howdah_advisor.snapshots s
       SET state = CASE WHEN failed THEN 'failed' ELSE 'done' END::howdah_advisor.snapshot_state,
           finished_at = clock_timestamp()
     WHERE s.id = sid;
    IF keep IS NOT NULL THEN
        PERFORM howdah_advisor.prune(keep => scan.keep);
    END IF;
    RAISE NOTICE 'advisor scan %: %', sid, CASE WHEN failed THEN 'failed: see its errors' ELSE 'done' END;
    -- Readers' caches (howdah serve) drop what they hold when the scan commits.
    PERFORM pg_notify('howdah_advisor', sid::text);
    RETURN sid;
END;
$$;
COMMENT ON FUNCTION howdah_advisor.scan(integer, bigint, double precision, text[], interval, interval, integer) IS
'Runs the advisor''s stages in order into a new snapshot and returns its id: today ingest (see ingest() for top_n, min_calls, min_mean_ms, exclude, step_timeout, lock_timeout), then prune(keep) (NULL keeps every snapshot). Progress comes as NOTICEs; a stage that fails is recorded in the snapshot''s errors and the snapshot ends failed. Bound the whole call with statement_timeout. '
'Errors: 22023 bad argument (names it); 55000 pg_stat_statements missing or not preloaded.';
