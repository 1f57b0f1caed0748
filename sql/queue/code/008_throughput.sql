-- queue code 008: throughput — the jobs that finished per queue and minute, for dashboards.
--
-- Errors: 22023 (invalid_parameter_value) for minutes outside 1..1440.

CREATE FUNCTION howdah_queue.throughput(minutes integer DEFAULT 15)
RETURNS TABLE (queue text, minute timestamptz, completed bigint, failed bigint)
LANGUAGE plpgsql STABLE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
-- One row per queue and minute in which jobs finished, over the current minute and the
-- `minutes` - 1 before it (1..1440), oldest first: how many completed, and how many failed for
-- good (out of attempts). A retried job counts again when it finishes again. Reads the final
-- jobs through jobs_finalized_idx.
BEGIN
    PERFORM howdah_internal.queue_bad_parameter(CASE
        WHEN throughput.minutes IS NULL OR throughput.minutes NOT BETWEEN 1 AND 1440 THEN
            format('minutes must be from 1 to 1440, got %s', coalesce(throughput.minutes::text, 'null'))
    END);
    RETURN QUERY
    SELECT j.queue, date_trunc('minute', j.finalized_at),
           count(*) FILTER (WHERE j.state = 'completed'), count(*) FILTER (WHERE j.state = 'failed')
      FROM howdah_queue.jobs j
     WHERE j.state IN ('completed', 'failed')
       AND j.finalized_at >= date_trunc('minute', now()) - make_interval(mins => throughput.minutes - 1)
     GROUP BY 1, 2
     ORDER BY 1, 2;
END;
$$;
COMMENT ON FUNCTION howdah_queue.throughput(integer) IS
'Jobs finished per queue and minute: throughput(minutes = 15) returns (queue, minute, completed, failed) for the minutes with any, over the current minute and the minutes - 1 before it, oldest first; failed counts jobs out of attempts. '
'Errors: 22023 for minutes outside 1..1440.';
