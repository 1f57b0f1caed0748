-- advisor migration 001: the schema, the extensions it reads, the closed sets as enums, and the
-- tables of the workload side — snapshots, queries, metrics, plans. Every stored fact carries
-- the snapshot it came from and a time (docs/advisor.md draws the tables).
--
-- Extensions. pg_stat_statements is required: it is created here when the database lacks it
-- (the installer's preflight has checked that the server preloads it and that this role may
-- create it). hypopg is optional (simulations only): created when the server has it and this
-- role may, otherwise a NOTICE says how to add it later. Both go where CREATE EXTENSION puts
-- them by default (the first schema of the search_path, usually public), where DBAs and other
-- tools expect them; the code finds them wherever they are. The down part leaves them: they are
-- the server's, and other tools read them (DROP EXTENSION them yourself if you want them gone).

CREATE SCHEMA howdah_advisor;
COMMENT ON SCHEMA howdah_advisor IS 'howdah advisor: pg_stat_statements snapshots, plan facts, ranked recommendations, simulations, families and anomalies. No privileges are granted by default (query texts can hold data); docs/advisor.md lists the GRANT lines for readers and scanners.';
REVOKE ALL ON SCHEMA howdah_advisor FROM PUBLIC;

CREATE EXTENSION IF NOT EXISTS pg_stat_statements;

DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_catalog.pg_extension WHERE extname = 'hypopg') THEN
        RETURN;
    ELSIF NOT EXISTS (SELECT FROM pg_catalog.pg_available_extensions WHERE name = 'hypopg') THEN
        RAISE NOTICE 'hypopg is not available on this server: the advisor works without it, but simulate() needs it'
            USING HINT = format('Install the Debian package postgresql-%s-hypopg (or your platform''s hypopg), then run CREATE EXTENSION hypopg as a superuser.',
                                pg_catalog.current_setting('server_version_num')::int / 10000);
    ELSIF NOT (SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user) THEN
        RAISE NOTICE 'hypopg is available but role % may not create it: simulate() needs it', current_user
            USING HINT = 'As a superuser, run CREATE EXTENSION hypopg in this database.';
    ELSE
        CREATE EXTENSION hypopg;
    END IF;
END
$$;

-- ---- closed sets ----------------------------------------------------------------------------

CREATE TYPE howdah_advisor.snapshot_state AS ENUM ('running', 'done', 'failed');
COMMENT ON TYPE howdah_advisor.snapshot_state IS 'A snapshot is running while scan() fills it, done when every stage ran (some statements may have recorded errors), failed when a stage could not run at all.';

CREATE TYPE howdah_advisor.query_verb AS ENUM ('select', 'insert', 'update', 'delete', 'merge', 'utility');
COMMENT ON TYPE howdah_advisor.query_verb IS 'What a statement does, after its WITH clause: select (also VALUES and TABLE), insert, update, delete, merge, or utility (everything else: ingest skips those).';

CREATE TYPE howdah_advisor.explain_kind AS ENUM ('generic', 'estimate', 'analyze');
COMMENT ON TYPE howdah_advisor.explain_kind IS 'How a plan was captured: generic (a parameterised statement planned with force_generic_plan or EXPLAIN (GENERIC_PLAN)), estimate (EXPLAIN of a statement without parameters), analyze (EXPLAIN ANALYZE in a rolled-back transaction).';

-- The order is the ranking order of findings: ORDER BY type puts the most confident kind first.
CREATE TYPE howdah_advisor.recommendation_type AS ENUM
    ('missing_index', 'composite_index', 'stats', 'rewrite', 'redundant_index', 'unused_index');
COMMENT ON TYPE howdah_advisor.recommendation_type IS 'The kinds of finding, in ranking order (most confident first): missing_index, composite_index, stats (ANALYZE / SET STATISTICS / CREATE STATISTICS), rewrite, redundant_index, unused_index.';

CREATE TYPE howdah_advisor.simulation_mode AS ENUM ('hypopg', 'real');
COMMENT ON TYPE howdah_advisor.simulation_mode IS 'hypopg: hypothetical indexes, EXPLAIN only; real: the index built in a sandbox schema, EXPLAIN ANALYZE, rolled back.';

CREATE TYPE howdah_advisor.anomaly_kind AS ENUM ('family_slow', 'family_mad', 'regression', 'contention');
COMMENT ON TYPE howdah_advisor.anomaly_kind IS 'family_slow: mean over 2x its family''s median; family_mad: beyond 3 median absolute deviations of its family; regression: mean over 2x its own history; contention: its tables waited on locks during the scan.';

-- ---- snapshots --------------------------------------------------------------------------------

CREATE TABLE howdah_advisor.snapshots (
    id             bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    started_at     timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
    finished_at    timestamptz,
    pgss_reset_at  timestamptz,
    stats_reset_at timestamptz,
    pgss_dealloc   bigint,
    state          howdah_advisor.snapshot_state NOT NULL DEFAULT 'running',
    created_by     text        NOT NULL DEFAULT current_user,
    settings       jsonb       NOT NULL DEFAULT '{}',
    stats          jsonb       NOT NULL DEFAULT '{}',
    errors         jsonb       NOT NULL DEFAULT '[]',
    CONSTRAINT snapshots_finished CHECK ((state = 'running') = (finished_at IS NULL)),
    CONSTRAINT snapshots_errors_array CHECK (jsonb_typeof(errors) = 'array')
);
COMMENT ON TABLE howdah_advisor.snapshots IS 'One row per scan: every other advisor row names the snapshot it came from. prune() keeps the newest ones.';
COMMENT ON COLUMN howdah_advisor.snapshots.pgss_reset_at IS 'When pg_stat_statements was last reset (pg_stat_statements_info.stats_reset): the metrics of this snapshot count from then.';
COMMENT ON COLUMN howdah_advisor.snapshots.stats_reset_at IS 'When this database''s statistics were last reset (pg_stat_database.stats_reset): index scan counts count from then; NULL when never reset.';
COMMENT ON COLUMN howdah_advisor.snapshots.pgss_dealloc IS 'Entries pg_stat_statements evicted since its reset (pg_stat_statements_info.dealloc); many means pg_stat_statements.max is too small and rare statements are missing.';
COMMENT ON COLUMN howdah_advisor.snapshots.settings IS 'The arguments the scan ran with (top_n, min_calls, min_mean_ms, exclude, timeouts, ...).';
COMMENT ON COLUMN howdah_advisor.snapshots.stats IS 'What each stage counted and how long it took: {"ingest": {"seen": n, "ingested": n, "excluded": {reason: n}, "ms": t}, ...}.';
COMMENT ON COLUMN howdah_advisor.snapshots.errors IS 'What failed without stopping the scan: one {"stage", "sqlstate", "message", "queryid"?, "query"?, "object"?} object per failure, in order.';

CREATE INDEX snapshots_finished_idx ON howdah_advisor.snapshots (finished_at DESC) WHERE state = 'done';

-- ---- queries and their metrics ---------------------------------------------------------------

CREATE TABLE howdah_advisor.queries (
    id             bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    first_seen     timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
    last_seen      timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
    first_snapshot bigint      REFERENCES howdah_advisor.snapshots (id) ON DELETE SET NULL,
    last_snapshot  bigint      REFERENCES howdah_advisor.snapshots (id) ON DELETE SET NULL,
    verb           howdah_advisor.query_verb NOT NULL,
    fingerprint    text        NOT NULL UNIQUE,
    raw_sql        text        NOT NULL,
    norm_sql       text        NOT NULL,
    tables         text[]      NOT NULL DEFAULT '{}',
    tokens         text[]      NOT NULL DEFAULT '{}',
    CONSTRAINT queries_fingerprint_md5 CHECK (fingerprint ~ '^[0-9a-f]{32}$'),
    CONSTRAINT queries_seen CHECK (first_seen <= last_seen)
);
COMMENT ON TABLE howdah_advisor.queries IS 'One row per logical query: statements that differ only in literals, parameters, comments, whitespace or case share a fingerprint and a row, across snapshots.';
COMMENT ON COLUMN howdah_advisor.queries.fingerprint IS 'md5 of norm_sql.';
COMMENT ON COLUMN howdah_advisor.queries.raw_sql IS 'The statement as pg_stat_statements showed it when first seen ($n placeholders, comments kept).';
COMMENT ON COLUMN howdah_advisor.queries.norm_sql IS 'The normalized text: literals and parameters as ?, IN lists and VALUES rows collapsed, comments dropped, whitespace folded, case folded outside quoted identifiers.';
COMMENT ON COLUMN howdah_advisor.queries.tables IS 'The relations the statement names (as written, lower case unless quoted), in order of first mention.';
COMMENT ON COLUMN howdah_advisor.queries.tokens IS 'The feature tokens in statement order (verb:, table:, join:, pred:, joincond:, func:, clause:, op: ...), the input of TF-IDF clustering.';

CREATE INDEX queries_last_snapshot_idx ON howdah_advisor.queries (last_snapshot);
CREATE INDEX queries_first_snapshot_idx ON howdah_advisor.queries (first_snapshot);

-- Counters are pg_stat_statements' (cumulative since pgss_reset_at), summed over the entries that
-- share the query's fingerprint; the interval between two snapshots is their difference.
CREATE TABLE howdah_advisor.metrics (
    snapshot_id      bigint           NOT NULL REFERENCES howdah_advisor.snapshots (id) ON DELETE CASCADE,
    query_id         bigint           NOT NULL REFERENCES howdah_advisor.queries (id) ON DELETE CASCADE,
    captured_at      timestamptz      NOT NULL DEFAULT pg_catalog.clock_timestamp(),
    calls            bigint           NOT NULL,
    rows             bigint           NOT NULL,
    total_ms         double precision NOT NULL,
    mean_ms          double precision NOT NULL,
    min_ms           double precision,
    max_ms           double precision,
    shared_blks_hit  bigint           NOT NULL,
    shared_blks_read bigint           NOT NULL,
    temp_blks_written bigint          NOT NULL DEFAULT 0,
    rank             integer          NOT NULL,
    toplevel         boolean          NOT NULL DEFAULT true,
    queryids         bigint[]         NOT NULL DEFAULT '{}',
    PRIMARY KEY (snapshot_id, query_id),
    CONSTRAINT metrics_rank UNIQUE (snapshot_id, rank),
    CONSTRAINT metrics_counts CHECK (calls > 0 AND rows >= 0 AND total_ms >= 0 AND mean_ms >= 0 AND rank >= 1)
);
COMMENT ON TABLE howdah_advisor.metrics IS 'What pg_stat_statements said about each ingested query at a snapshot, ranked by total time (rank 1 = the most time).';
COMMENT ON COLUMN howdah_advisor.metrics.mean_ms IS 'total_ms / calls over the entries merged into the query.';
COMMENT ON COLUMN howdah_advisor.metrics.toplevel IS 'false when every merged entry ran inside a function (pg_stat_statements.track = all).';
COMMENT ON COLUMN howdah_advisor.metrics.queryids IS 'The pg_stat_statements queryids merged into this row (one per role, top level or not, literal shape such as IN-list length).';

-- Query detail: a query's history, newest first.
CREATE INDEX metrics_query_idx ON howdah_advisor.metrics (query_id, snapshot_id DESC);

-- ---- plans ------------------------------------------------------------------------------------

CREATE TABLE howdah_advisor.plans (
    snapshot_id     bigint           NOT NULL REFERENCES howdah_advisor.snapshots (id) ON DELETE CASCADE,
    query_id        bigint           NOT NULL REFERENCES howdah_advisor.queries (id) ON DELETE CASCADE,
    captured_at     timestamptz      NOT NULL DEFAULT pg_catalog.clock_timestamp(),
    total_cost      double precision,
    est_rows        double precision,
    act_rows        double precision,
    kind            howdah_advisor.explain_kind NOT NULL,
    had_seq_scan    boolean,
    buffers_present boolean          NOT NULL DEFAULT false,
    plan_json       jsonb,
    facts           jsonb            NOT NULL DEFAULT '{}',
    error           text,
    PRIMARY KEY (snapshot_id, query_id, kind),
    CONSTRAINT plans_plan_or_error CHECK ((plan_json IS NULL) <> (error IS NULL)),
    CONSTRAINT plans_actual_only_analyzed CHECK (kind = 'analyze' OR act_rows IS NULL)
);
COMMENT ON TABLE howdah_advisor.plans IS 'The plan captured for a query at a snapshot, with the facts read from it; a statement that could not be planned has its error instead of a plan.';
COMMENT ON COLUMN howdah_advisor.plans.total_cost IS 'The root node''s total cost: the baseline simulations compare against.';
COMMENT ON COLUMN howdah_advisor.plans.est_rows IS 'The root node''s estimated rows.';
COMMENT ON COLUMN howdah_advisor.plans.act_rows IS 'The root node''s actual rows (per loop); only for EXPLAIN ANALYZE.';
COMMENT ON COLUMN howdah_advisor.plans.facts IS 'Facts read from the plan: seq scans (table, rows removed by filter), join types, estimate skew, filter / index-cond / join-cond / sort-key columns and expressions, sorts without an index, nested loops with a large inner side.';
COMMENT ON COLUMN howdah_advisor.plans.error IS 'Why no plan was captured (SQLSTATE and message), for example a dropped table.';

CREATE INDEX plans_query_idx ON howdah_advisor.plans (query_id, snapshot_id DESC);

---- create above / drop below ----

DROP TABLE howdah_advisor.plans;
DROP TABLE howdah_advisor.metrics;
DROP TABLE howdah_advisor.queries;
DROP TABLE howdah_advisor.snapshots;
DROP TYPE howdah_advisor.anomaly_kind;
DROP TYPE howdah_advisor.simulation_mode;
DROP TYPE howdah_advisor.recommendation_type;
DROP TYPE howdah_advisor.explain_kind;
DROP TYPE howdah_advisor.query_verb;
DROP TYPE howdah_advisor.snapshot_state;
-- pg_stat_statements and hypopg stay: see the header.
DROP SCHEMA howdah_advisor;
