-- advisor migration 002: what the scan records about the schema — one row per user table and
-- per index at each snapshot, with the sizes, counters and shapes the rules and the risk
-- estimates read. Counters are PostgreSQL's cumulative statistics as read at captured_at.

CREATE TABLE howdah_advisor.tables (
    snapshot_id         bigint           NOT NULL REFERENCES howdah_advisor.snapshots (id) ON DELETE CASCADE,
    captured_at         timestamptz      NOT NULL DEFAULT pg_catalog.clock_timestamp(),
    write_rate_since    timestamptz,
    last_analyzed       timestamptz,
    rows_est            double precision,
    write_rate          double precision,
    table_bytes         bigint,
    total_bytes         bigint,
    n_tup_ins           bigint           NOT NULL DEFAULT 0,
    n_tup_upd           bigint           NOT NULL DEFAULT 0,
    n_tup_del           bigint           NOT NULL DEFAULT 0,
    n_live_tup          bigint           NOT NULL DEFAULT 0,
    n_dead_tup          bigint           NOT NULL DEFAULT 0,
    n_mod_since_analyze bigint           NOT NULL DEFAULT 0,
    seq_scan            bigint           NOT NULL DEFAULT 0,
    seq_tup_read        bigint           NOT NULL DEFAULT 0,
    idx_scan            bigint,
    relid               oid              NOT NULL,
    name                text             NOT NULL,
    schema_name         text             NOT NULL,
    table_name          text             NOT NULL,
    PRIMARY KEY (snapshot_id, relid)
);
COMMENT ON TABLE howdah_advisor.tables IS 'Every user table at a snapshot: size, estimated rows, write rate and scan counters (pg_class, pg_stat_user_tables).';
COMMENT ON COLUMN howdah_advisor.tables.name IS 'The table as regclass text at capture time: schema-qualified, quoted where needed.';
COMMENT ON COLUMN howdah_advisor.tables.rows_est IS 'pg_class.reltuples; NULL when the table was never vacuumed or analyzed.';
COMMENT ON COLUMN howdah_advisor.tables.write_rate IS 'Rows inserted, updated and deleted per second between write_rate_since and captured_at; NULL when there is no window (first snapshot and statistics never reset, or counters reset since).';
COMMENT ON COLUMN howdah_advisor.tables.write_rate_since IS 'Start of the write_rate window: the previous snapshot that saw the table, else the database''s statistics reset.';
COMMENT ON COLUMN howdah_advisor.tables.table_bytes IS 'pg_table_size: heap, TOAST, free space and visibility maps; NULL when the size could not be read (a lock held too long: see the snapshot''s errors).';
COMMENT ON COLUMN howdah_advisor.tables.total_bytes IS 'pg_total_relation_size: table_bytes plus every index.';
COMMENT ON COLUMN howdah_advisor.tables.last_analyzed IS 'The later of last_analyze and last_autoanalyze.';

CREATE TABLE howdah_advisor.indexes (
    snapshot_id      bigint      NOT NULL REFERENCES howdah_advisor.snapshots (id) ON DELETE CASCADE,
    captured_at      timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
    bytes            bigint,
    scan_count       bigint      NOT NULL DEFAULT 0,
    tup_read         bigint      NOT NULL DEFAULT 0,
    tup_fetch        bigint      NOT NULL DEFAULT 0,
    indexrelid       oid         NOT NULL,
    table_relid      oid         NOT NULL,
    is_unique        boolean     NOT NULL,
    is_primary       boolean     NOT NULL,
    is_valid         boolean     NOT NULL,
    backs_constraint boolean     NOT NULL,
    name             text        NOT NULL,
    table_name       text        NOT NULL,
    method           text        NOT NULL,
    columns          text[]      NOT NULL,
    covers_columns   text[]      NOT NULL DEFAULT '{}',
    predicate        text,
    definition       text        NOT NULL,
    PRIMARY KEY (snapshot_id, indexrelid)
);
COMMENT ON TABLE howdah_advisor.indexes IS 'Every index on a user table at a snapshot: its shape, size and use (pg_index, pg_stat_user_indexes).';
COMMENT ON COLUMN howdah_advisor.indexes.columns IS 'The key columns in order; an expression key is its text, such as lower(email).';
COMMENT ON COLUMN howdah_advisor.indexes.covers_columns IS 'The INCLUDE columns (stored, not searchable).';
COMMENT ON COLUMN howdah_advisor.indexes.scan_count IS 'pg_stat_user_indexes.idx_scan: scans since the statistics reset (the snapshot''s stats_reset_at).';
COMMENT ON COLUMN howdah_advisor.indexes.backs_constraint IS 'The index enforces a primary key, unique or exclusion constraint: dropping it means dropping the constraint.';
COMMENT ON COLUMN howdah_advisor.indexes.predicate IS 'The WHERE of a partial index.';
COMMENT ON COLUMN howdah_advisor.indexes.bytes IS 'pg_relation_size of the index; NULL when it could not be read (see the snapshot''s errors).';

-- The indexes of one table at a snapshot (risk: existing index count; redundancy checks).
CREATE INDEX indexes_table_idx ON howdah_advisor.indexes (snapshot_id, table_relid);

---- create above / drop below ----

DROP TABLE howdah_advisor.indexes;
DROP TABLE howdah_advisor.tables;
