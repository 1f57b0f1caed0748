-- catalog migration 002: the composite types that JSON column and constraint definitions are
-- validated into before any DDL runs (code/006_definitions.sql reads and renders them).

CREATE TYPE howdah.col_def AS (
    name text,
    type regtype,
    typmod integer,
    not_null boolean,
    default_value text,
    default_expr text,
    identity boolean,
    primary_key boolean,
    description text
);
COMMENT ON TYPE howdah.col_def IS 'A validated column definition: the JSON {name, type, type_options, not_null, default, default_expr, identity, primary_key, description} after howdah_internal.catalog_to_col_def.';

CREATE TYPE howdah.con_def AS (
    name text,
    kind text,
    columns smallint[],
    referent regclass,
    referent_columns smallint[],
    on_delete text,
    on_update text,
    "deferrable" boolean
);
COMMENT ON TYPE howdah.con_def IS 'A validated constraint definition: the JSON {name, type, columns, referent_table, referent_columns, on_delete, on_update, deferrable} after howdah_internal.catalog_to_con_def.';

---- create above / drop below ----

DROP TYPE howdah.con_def;
DROP TYPE howdah.col_def;
