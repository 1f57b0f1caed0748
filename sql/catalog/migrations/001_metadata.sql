-- catalog migration 001: the display metadata tables — a table's preview template and column
-- order, and per-column display options — in howdah_internal, keyed by table oid and attnum.
-- They are granted to PUBLIC with row-level security forced on: the policies that decide who
-- may read and write which rows are code, in code/004_metadata.sql, whose header explains the
-- rule.

CREATE TABLE howdah_internal.catalog_table_metadata (
    table_oid        oid         PRIMARY KEY,
    preview_template text        CHECK (preview_template <> ''),
    column_order     smallint[],
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE howdah_internal.catalog_table_metadata IS 'Per-table display metadata (preview template, column order), keyed by the table''s oid; written through howdah.set_table_metadata.';

CREATE TABLE howdah_internal.catalog_column_metadata (
    table_oid       oid         NOT NULL,
    attnum          smallint    NOT NULL CHECK (attnum > 0),
    display_options jsonb       NOT NULL CHECK (jsonb_typeof(display_options) = 'object'),
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (table_oid, attnum)
);
COMMENT ON TABLE howdah_internal.catalog_column_metadata IS 'Per-column display options (a JSON object chosen by the UI), keyed by table oid and attnum; written through howdah.set_column_metadata.';

GRANT SELECT, INSERT, UPDATE, DELETE ON howdah_internal.catalog_table_metadata, howdah_internal.catalog_column_metadata TO PUBLIC;
ALTER TABLE howdah_internal.catalog_table_metadata ENABLE ROW LEVEL SECURITY;
ALTER TABLE howdah_internal.catalog_table_metadata FORCE ROW LEVEL SECURITY;
ALTER TABLE howdah_internal.catalog_column_metadata ENABLE ROW LEVEL SECURITY;
ALTER TABLE howdah_internal.catalog_column_metadata FORCE ROW LEVEL SECURITY;

---- create above / drop below ----

DROP TABLE howdah_internal.catalog_column_metadata;
DROP TABLE howdah_internal.catalog_table_metadata;
