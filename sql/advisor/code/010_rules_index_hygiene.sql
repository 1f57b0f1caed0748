-- advisor code 010: index hygiene — indexes to drop. redundant_index: another index on the same
-- table serves every query it serves (a duplicate, or an index whose keys are a leading prefix of
-- another's); unused_index: a large index no scan used since the statistics were reset. Both
-- read the snapshot's indexes rows (ingest) and pg_index for what the rows do not carry
-- (operator classes, collations, sort options, replica identity); an index dropped since the
-- snapshot gets no finding. Both never name a primary key, an index backing a constraint or a
-- replica identity; a unique index only when it duplicates another unique one.
-- An index both redundant and unused is one finding, redundant: both rules write the key
-- drop:<index>, redundant_index overwrites an unused_index row and unused_index leaves a
-- redundant_index row alone, so the order they run in does not matter.
--
-- Errors: 22023 (invalid_parameter_value) for a NULL snapshot id or a bad setting (names it);
-- P0002 (no_data_found) for an unknown snapshot.

CREATE FUNCTION howdah_internal.advisor_stats_window(snap howdah_advisor.snapshots)
RETURNS text
LANGUAGE sql STABLE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
-- The window the index scan counters of a snapshot cover, in words.
RETURN CASE WHEN snap.stats_reset_at IS NOT NULL
            THEN format('since the statistics were reset %s ago (%s)',
                        howdah_internal.advisor_duration_text(snap.started_at - snap.stats_reset_at),
                        to_char(snap.stats_reset_at, 'YYYY-MM-DD HH24:MI TZ'))
            ELSE format('since the statistics began (never reset; the server has been up %s)',
                        howdah_internal.advisor_duration_text(snap.started_at - pg_postmaster_start_time())) END;
COMMENT ON FUNCTION howdah_internal.advisor_stats_window(howdah_advisor.snapshots) IS 'The window a snapshot''s index scan counts cover, in words. Errors: none.';

CREATE FUNCTION howdah_internal.advisor_rule_redundant_index(sid bigint)
RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
-- Writes a redundant_index finding (DROP INDEX CONCURRENTLY) into snapshot `sid` for each valid
-- index that another valid index of the same table and method makes useless:
--  * an exact duplicate: same key columns or expressions, operator classes, collations, sort
--    options, INCLUDE columns and predicate. Of a group of duplicates the one kept is the one
--    backing a constraint, else the primary key, else a unique one, else the most scanned, else
--    the oldest (lowest oid); a unique index is dropped only for another unique one;
--  * a btree leading prefix: its keys (with the same operator classes, collations and sort
--    options) are the first keys of a longer btree index, neither has a predicate, its INCLUDE
--    columns are in the longer one, and it is not unique (a unique index enforces something the
--    longer one does not).
-- Returns the number of findings written.
DECLARE
    snap howdah_advisor.snapshots := howdah_internal.advisor_require_snapshot(sid, 'sid (the snapshot id)');
    win text := howdah_internal.advisor_stats_window(snap);
    n integer;
BEGIN
    WITH ix AS (
        SELECT x.*, pi.indclass::oid[] AS opclasses, pi.indcollation::oid[] AS collations, pi.indoption::int2[] AS options,
               pi.indisreplident, format('%I.%I', ns.nspname, c.relname) AS qname
          FROM howdah_advisor.indexes x
          JOIN pg_index pi ON pi.indexrelid = x.indexrelid AND pi.indrelid = x.table_relid
          JOIN pg_class c ON c.oid = x.indexrelid
          JOIN pg_namespace ns ON ns.oid = c.relnamespace
         WHERE x.snapshot_id = sid AND x.is_valid AND pi.indisvalid),
    pairs AS (
        -- i is dropped, j serves its queries.
        SELECT DISTINCT ON (i.indexrelid) i.indexrelid, j.indexrelid AS by_relid,
               (i.columns = j.columns) AS duplicate, i.name, i.qname, i.table_relid, i.table_name, i.columns, i.covers_columns,
               i.bytes, i.scan_count, i.is_unique, j.name AS by_name, j.columns AS by_columns, j.bytes AS by_bytes,
               j.scan_count AS by_scans, j.is_unique AS by_unique, j.is_primary AS by_primary, j.backs_constraint AS by_constraint
          FROM ix i
          JOIN ix j ON j.table_relid = i.table_relid AND j.indexrelid <> i.indexrelid AND j.method = i.method
         WHERE NOT i.is_primary AND NOT i.backs_constraint AND NOT i.indisreplident
           AND cardinality(i.columns) <= cardinality(j.columns)
           AND j.columns[1:cardinality(i.columns)] = i.columns
           -- The same operator class, collation and sort option at every key position of i.
           AND NOT EXISTS (SELECT FROM generate_series(1, cardinality(i.columns)) k
                            WHERE i.opclasses[array_lower(i.opclasses, 1) + k - 1] <> j.opclasses[array_lower(j.opclasses, 1) + k - 1]
                               OR i.collations[array_lower(i.collations, 1) + k - 1] <> j.collations[array_lower(j.collations, 1) + k - 1]
                               OR i.options[array_lower(i.options, 1) + k - 1] <> j.options[array_lower(j.options, 1) + k - 1])
           AND (
                -- An exact duplicate, i ranked after j among the duplicates.
                (i.columns = j.columns AND i.covers_columns = j.covers_columns AND i.predicate IS NOT DISTINCT FROM j.predicate
                 AND (NOT i.is_unique OR j.is_unique)
                 AND (j.backs_constraint, j.is_primary, j.is_unique, j.scan_count, -(j.indexrelid::bigint))
                   > (i.backs_constraint, i.is_primary, i.is_unique, i.scan_count, -(i.indexrelid::bigint)))
             OR
                -- A leading prefix of a longer btree index.
                (i.method = 'btree' AND cardinality(i.columns) < cardinality(j.columns) AND NOT i.is_unique
                 AND i.predicate IS NULL AND j.predicate IS NULL
                 AND i.covers_columns <@ (j.columns || j.covers_columns)))
         -- One finding per dropped index, naming the cover that is never dropped itself: the
         -- longest, and of equal ones the duplicate kept.
         ORDER BY i.indexrelid, cardinality(j.columns) DESC,
                  (j.backs_constraint, j.is_primary, j.is_unique, j.scan_count, -(j.indexrelid::bigint)) DESC),
    shaped AS (
        SELECT p.*,
               (SELECT count(*) FROM howdah_advisor.indexes y WHERE y.snapshot_id = sid AND y.table_relid = p.table_relid) AS index_count,
               t.table_bytes, t.write_rate
          FROM pairs p
          LEFT JOIN howdah_advisor.tables t ON t.snapshot_id = sid AND t.relid = p.table_relid)
    INSERT INTO howdah_advisor.recommendations AS r
           (snapshot_id, confidence, table_relid, index_relid, type, key, table_name, index_name, columns, ddl, rationale, risk, evidence)
    SELECT sid,
           CASE WHEN s.duplicate THEN 0.95 WHEN s.scan_count = 0 THEN 0.9 ELSE 0.75 END,
           s.table_relid, s.indexrelid, 'redundant_index', 'drop:' || s.name, s.table_name, s.name, s.columns,
           'DROP INDEX CONCURRENTLY ' || s.qname,
           CASE WHEN s.duplicate THEN
               format('%s is an exact duplicate of %s on %s (same method, keys (%s), operator classes, INCLUDE columns and predicate): %s serves every scan it serves. ',
                      s.name, s.by_name, s.table_name, array_to_string(s.columns, ', '), s.by_name)
           ELSE
               format('%s (%s) is a leading prefix of %s (%s) on %s: every query that can use it can use %s instead, reading a somewhat larger index. ',
                      s.name, array_to_string(s.columns, ', '), s.by_name, array_to_string(s.by_columns, ', '), s.table_name, s.by_name)
           END
           || format('Dropping it frees %s (%s takes %s) and one index to update on every write. It was scanned %s times %s; %s %s times%s.',
                     coalesce(pg_size_pretty(s.bytes), 'an unknown size'), s.by_name, coalesce(pg_size_pretty(s.by_bytes), 'an unknown size'),
                     s.scan_count, win, s.by_name, s.by_scans,
                     CASE WHEN s.scan_count > 0 THEN format(': its queries will use %s instead', s.by_name) ELSE '' END),
           jsonb_build_object('level', 'low', 'index_count', s.index_count, 'table_bytes', s.table_bytes, 'write_rate', s.write_rate,
                              'lock', 'DROP INDEX CONCURRENTLY blocks neither reads nor writes, waits for the transactions using the index, and cannot run inside a transaction block',
                              'notes', jsonb_build_array('Scans on replicas are not counted here: check pg_stat_user_indexes on each standby before dropping.')),
           jsonb_build_object('duplicate', s.duplicate, 'stats_reset_at', snap.stats_reset_at,
                              'index', jsonb_build_object('name', s.name, 'columns', s.columns, 'include', s.covers_columns, 'bytes', s.bytes,
                                                          'scan_count', s.scan_count, 'unique', s.is_unique),
                              'covered_by', jsonb_build_object('name', s.by_name, 'columns', s.by_columns, 'bytes', s.by_bytes,
                                                               'scan_count', s.by_scans, 'unique', s.by_unique, 'primary', s.by_primary,
                                                               'constraint', s.by_constraint))
      FROM shaped s
    ON CONFLICT (snapshot_id, key) DO UPDATE
       SET confidence = excluded.confidence, type = excluded.type, table_relid = excluded.table_relid,
           index_relid = excluded.index_relid, table_name = excluded.table_name, index_name = excluded.index_name,
           columns = excluded.columns, ddl = excluded.ddl, rationale = excluded.rationale, risk = excluded.risk,
           evidence = excluded.evidence,
           query_ids = ARRAY(SELECT DISTINCT u FROM unnest(r.query_ids || excluded.query_ids) u ORDER BY u);
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END;
$$;
COMMENT ON FUNCTION howdah_internal.advisor_rule_redundant_index(bigint) IS
'Rule redundant_index: for each valid index that is an exact duplicate of another, or (btree, no predicate, not unique) a leading prefix of a longer index with the same operator classes, collations and sort options, writes DROP INDEX CONCURRENTLY into snapshot sid, naming the covering index, both sizes and scan counts. Never a primary key, constraint or replica identity index; a unique index only as the duplicate of another unique one. Returns the number of findings. '
'Errors: 22023 NULL sid; P0002 unknown snapshot.';

CREATE FUNCTION howdah_internal.advisor_rule_unused_index(sid bigint)
RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
-- Writes an unused_index finding (DROP INDEX CONCURRENTLY) into snapshot `sid` for each valid
-- index with no scan since the statistics were reset, at least howdah_advisor.unused_index_min_bytes
-- large (default 1MB), that is not unique, primary, constraint-backing or a replica identity.
-- The window: from the statistics reset (snapshots.stats_reset_at) or, when it is unknown (never
-- reset), from the server's start — and no finding at all then when the server started less than
-- a day before the snapshot (a crash loses the counters, so a young server says little). An index
-- that an earlier snapshot did not have (its table recorded without it) counts only from that
-- snapshot. Confidence: 0.2 under a day, 0.5 under a week, 0.7 from a week on.
-- Returns the number of findings written.
DECLARE
    snap howdah_advisor.snapshots := howdah_internal.advisor_require_snapshot(sid, 'sid (the snapshot id)');
    min_bytes double precision := howdah_internal.advisor_setting('unused_index_min_bytes', 1048576, 0, sizes => true);
    since timestamptz := coalesce(snap.stats_reset_at, pg_postmaster_start_time());
    n integer;
BEGIN
    IF snap.stats_reset_at IS NULL AND snap.started_at - since < interval '1 day' THEN
        RETURN 0;
    END IF;
    WITH cand AS (
        SELECT x.*, format('%I.%I', ns.nspname, c.relname) AS qname,
               greatest(since, (SELECT max(ps.started_at)
                                  FROM howdah_advisor.tables pt JOIN howdah_advisor.snapshots ps ON ps.id = pt.snapshot_id
                                 WHERE pt.snapshot_id < sid AND pt.relid = x.table_relid
                                   AND NOT EXISTS (SELECT FROM howdah_advisor.indexes py
                                                    WHERE py.snapshot_id = pt.snapshot_id AND py.indexrelid = x.indexrelid))) AS counted_from,
               (SELECT count(*) FROM howdah_advisor.indexes y WHERE y.snapshot_id = sid AND y.table_relid = x.table_relid) AS index_count,
               t.table_bytes, t.write_rate
          FROM howdah_advisor.indexes x
          JOIN pg_index pi ON pi.indexrelid = x.indexrelid AND pi.indrelid = x.table_relid
          JOIN pg_class c ON c.oid = x.indexrelid
          JOIN pg_namespace ns ON ns.oid = c.relnamespace
          LEFT JOIN howdah_advisor.tables t ON t.snapshot_id = sid AND t.relid = x.table_relid
         WHERE x.snapshot_id = sid AND x.is_valid AND pi.indisvalid AND x.scan_count = 0
           AND NOT x.is_unique AND NOT x.is_primary AND NOT x.backs_constraint AND NOT pi.indisreplident
           AND x.bytes >= min_bytes),
    shaped AS (
        SELECT c.*, snap.started_at - c.counted_from AS win,
               CASE WHEN snap.started_at - c.counted_from < interval '1 day' THEN 0.2
                    WHEN snap.started_at - c.counted_from < interval '7 days' THEN 0.5 ELSE 0.7 END AS conf
          FROM cand c)
    INSERT INTO howdah_advisor.recommendations AS r
           (snapshot_id, confidence, table_relid, index_relid, type, key, table_name, index_name, columns, ddl, rationale, risk, evidence)
    SELECT sid, s.conf, s.table_relid, s.indexrelid, 'unused_index', 'drop:' || s.name, s.table_name, s.name, s.columns,
           'DROP INDEX CONCURRENTLY ' || s.qname,
           format('%s on %s (%s) was not scanned once in %s (%s); it takes %s, and every insert and every update of its columns on %s maintains it.',
                  s.name, s.table_name, array_to_string(s.columns, ', '), howdah_internal.advisor_duration_text(s.win),
                  CASE WHEN s.counted_from > since THEN format('since %s, when a scan first saw it', to_char(s.counted_from, 'YYYY-MM-DD HH24:MI TZ'))
                       ELSE howdah_internal.advisor_stats_window(snap) END,
                  pg_size_pretty(s.bytes), s.table_name)
           || CASE WHEN s.conf < 0.5 THEN ' That window is short: scan again later before dropping it.' ELSE '' END,
           jsonb_build_object('level', CASE WHEN s.conf < 0.5 THEN 'high' ELSE 'medium' END,
                              'index_count', s.index_count, 'table_bytes', s.table_bytes, 'write_rate', s.write_rate,
                              'lock', 'DROP INDEX CONCURRENTLY blocks neither reads nor writes, waits for the transactions using the index, and cannot run inside a transaction block',
                              'notes', jsonb_build_array(
                                  'A query that runs rarely (a month-end report, a yearly job) may need it and was not seen in this window.',
                                  'Scans on replicas are not counted here: check pg_stat_user_indexes on each standby before dropping.')),
           jsonb_build_object('stats_reset_at', snap.stats_reset_at, 'counted_from', s.counted_from,
                              'window_seconds', round(extract(epoch FROM s.win)), 'min_bytes', min_bytes,
                              'index', jsonb_build_object('name', s.name, 'columns', s.columns, 'include', s.covers_columns,
                                                          'bytes', s.bytes, 'scan_count', s.scan_count, 'predicate', s.predicate))
      FROM shaped s
    ON CONFLICT (snapshot_id, key) DO NOTHING;
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END;
$$;
COMMENT ON FUNCTION howdah_internal.advisor_rule_unused_index(bigint) IS
'Rule unused_index: for each valid index with no scan since the statistics reset, at least howdah_advisor.unused_index_min_bytes (default 1MB) large, not unique, primary, constraint-backing or replica identity, writes DROP INDEX CONCURRENTLY into snapshot sid, saying how long the window was (confidence 0.2 under a day, 0.5 under a week, 0.7 beyond; nothing when the reset time is unknown and the server is up less than a day). A redundant_index finding of the same index wins. Returns the number of findings. '
'Errors: 22023 NULL sid or bad unused_index_min_bytes; P0002 unknown snapshot.';
