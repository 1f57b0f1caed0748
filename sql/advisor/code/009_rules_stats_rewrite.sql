-- advisor code 009: the rules that read plans — stats (the planner's row estimates are off: ANALYZE,
-- SET STATISTICS, CREATE STATISTICS) and rewrite (a query shape no index fixes: correlated
-- subquery, OR defeating an index, NOT IN over a nullable column, a function hiding an indexed
-- column) — and the helpers every rule of this file and of 010 shares. recommend() calls each
-- howdah_internal.advisor_rule_* function by name; the helpers here are named otherwise so that it
-- never mistakes one for a rule.
--
-- Errors: 22023 (invalid_parameter_value) for a NULL snapshot id or a bad setting (names it);
-- P0002 (no_data_found) for an unknown snapshot.

CREATE FUNCTION howdah_internal.advisor_snapshot_for_rules(sid bigint)
RETURNS howdah_advisor.snapshots
LANGUAGE plpgsql STABLE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
-- The snapshot a rule works on, or 22023 (NULL) / P0002 (no such snapshot). Any state: rules run
-- inside scan() (running) and again through recommend() on a finished snapshot.
DECLARE
    snap howdah_advisor.snapshots;
BEGIN
    IF sid IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value', MESSAGE = 'sid (the snapshot id) must not be NULL',
            HINT = 'Pass the id scan() returned, or SELECT max(id) FROM howdah_advisor.snapshots.';
    END IF;
    SELECT s.* INTO snap FROM howdah_advisor.snapshots s WHERE s.id = sid;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'no_data_found', MESSAGE = format('no snapshot %s', sid),
            HINT = 'SELECT id, state FROM howdah_advisor.snapshots lists the snapshots there are.';
    END IF;
    RETURN snap;
END;
$$;
COMMENT ON FUNCTION howdah_internal.advisor_snapshot_for_rules(bigint) IS 'The snapshot a rule works on. Errors: 22023 NULL id, P0002 unknown snapshot.';

CREATE FUNCTION howdah_internal.advisor_setting_number(setting text, fallback double precision, lo double precision)
RETURNS double precision
LANGUAGE plpgsql STABLE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
-- The custom setting howdah_advisor.<setting> as a number, `fallback` when unset or empty; 22023
-- naming the setting when it is not a number or is below `lo`. Sizes may carry a unit ('1MB'),
-- read by pg_size_bytes.
DECLARE
    raw text := nullif(btrim(current_setting('howdah_advisor.' || setting, true)), '');
    v double precision;
BEGIN
    IF raw IS NULL THEN
        RETURN fallback;
    END IF;
    BEGIN
        v := CASE WHEN raw ~ '^[+-]?[0-9]*\.?[0-9]+([eE][+-]?[0-9]+)?$' THEN raw::double precision
                  ELSE pg_size_bytes(raw)::double precision END;
    EXCEPTION WHEN invalid_parameter_value OR invalid_text_representation OR numeric_value_out_of_range THEN
        v := NULL;
    END;
    IF v IS NULL OR v = 'NaN' OR v < lo THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = format('setting howdah_advisor.%s must be a number of at least %s, not %L', setting, lo, raw),
            HINT = format('SET howdah_advisor.%s = %s (its default), or RESET it.', setting, fallback);
    END IF;
    RETURN v;
END;
$$;
COMMENT ON FUNCTION howdah_internal.advisor_setting_number(text, double precision, double precision) IS 'A howdah_advisor.* setting as a number (sizes may carry a unit), or the fallback when unset. Errors: 22023 not a number or below the minimum (names the setting).';

CREATE FUNCTION howdah_internal.advisor_duration_text(d interval)
RETURNS text
LANGUAGE sql IMMUTABLE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
-- A duration in words, rounded down: "3 days", "5 hours", "12 minutes".
RETURN CASE WHEN d IS NULL THEN 'an unknown time'
            WHEN d >= interval '2 days' THEN floor(extract(epoch FROM d) / 86400)::text || ' days'
            WHEN d >= interval '2 hours' THEN floor(extract(epoch FROM d) / 3600)::text || ' hours'
            ELSE greatest(floor(extract(epoch FROM d) / 60), 0)::text || ' minutes' END;
COMMENT ON FUNCTION howdah_internal.advisor_duration_text(interval) IS 'A duration in words (days, hours or minutes, rounded down). Errors: none.';
