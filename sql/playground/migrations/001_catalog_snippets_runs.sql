-- playground migration 001 (schema version 1): the storage of a Beam Playground deployment.
-- One instance per schema ({{.Schema}}); two instances are two deployments (the original's
-- Datastore namespaces). Version 1 keeps a snippet's files inline, as a jsonb array in
-- snippets.files; version 2 (steps 002-004) moves them into their own table.
--
-- Values of the original's enums are CHECKs on text columns, so that JSON input and the Go
-- client need no casts and a new value is a one-line migration.

CREATE SCHEMA {{.Schema}};
COMMENT ON SCHEMA {{.Schema}} IS 'howdah playground: SDKs, examples, snippets, precompiled outputs, the catalog cache and pipeline runs of one Beam Playground deployment (docs/playground.md).';
REVOKE ALL ON SCHEMA {{.Schema}} FROM PUBLIC;

-- The data's own schema versions (the original's Version entities, PutSchemaVersion).
CREATE TABLE {{.Schema}}.schema_versions (
    version     text        PRIMARY KEY CHECK (version <> ''),
    description text        NOT NULL DEFAULT '',
    recorded_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE {{.Schema}}.sdks (
    id              text PRIMARY KEY CHECK (id ~ '^SDK_[A-Z][A-Z0-9_]*$'),
    default_example text
);

CREATE TABLE {{.Schema}}.snippets (
    id               text        PRIMARY KEY CHECK (id ~ '^[0-9a-f]{32}$'),
    sdk              text        NOT NULL REFERENCES {{.Schema}}.sdks (id),
    created          timestamptz NOT NULL DEFAULT now(),
    last_visited     timestamptz NOT NULL DEFAULT now(),
    visit_count      bigint      NOT NULL DEFAULT 0 CHECK (visit_count >= 0),
    number_of_files  integer     NOT NULL DEFAULT 0 CHECK (number_of_files >= 0),
    owner_id         text,
    pipeline_options text        NOT NULL DEFAULT '',
    origin           text        NOT NULL DEFAULT 'user' CHECK (origin IN ('playground', 'tour', 'user', 'tour_user')),
    complexity       text        CHECK (complexity IN ('basic', 'medium', 'advanced')),
    persistence_key  text        CHECK (persistence_key <> ''),
    schema_version   text,
    files            jsonb       NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(files) = 'array')
);
CREATE INDEX snippets_persistence_key_idx ON {{.Schema}}.snippets (persistence_key) WHERE persistence_key IS NOT NULL;
CREATE INDEX snippets_last_visited_idx ON {{.Schema}}.snippets (last_visited) WHERE origin IN ('user', 'tour_user');

CREATE TABLE {{.Schema}}.examples (
    id             text    PRIMARY KEY,
    sdk            text    NOT NULL REFERENCES {{.Schema}}.sdks (id),
    name           text    NOT NULL CHECK (name <> ''),
    snippet        text    REFERENCES {{.Schema}}.snippets (id),
    description    text    NOT NULL DEFAULT '',
    tags           text[]  NOT NULL DEFAULT '{}',
    categories     text[]  NOT NULL DEFAULT '{}',
    path           text    NOT NULL DEFAULT '',
    type           text    NOT NULL DEFAULT 'example' CHECK (type IN ('example', 'kata', 'unit_test')),
    origin         text    NOT NULL DEFAULT 'playground' CHECK (origin IN ('playground', 'tour')),
    url_vcs        text,
    url_notebook   text,
    always_run     boolean NOT NULL DEFAULT false,
    schema_version text,
    -- The original's key: <SDK>_<name>.
    CONSTRAINT examples_id_is_sdk_name CHECK (id = sdk || '_' || name)
);
CREATE INDEX examples_snippet_idx ON {{.Schema}}.examples (snippet);

ALTER TABLE {{.Schema}}.sdks ADD CONSTRAINT sdks_default_example_fkey
    FOREIGN KEY (default_example) REFERENCES {{.Schema}}.examples (id) ON DELETE SET NULL DEFERRABLE INITIALLY DEFERRED;

CREATE TABLE {{.Schema}}.datasets (
    id   text PRIMARY KEY CHECK (id <> ''),
    path text NOT NULL
);

CREATE TABLE {{.Schema}}.snippet_datasets (
    snippet  text  NOT NULL REFERENCES {{.Schema}}.snippets (id) ON DELETE CASCADE,
    dataset  text  NOT NULL REFERENCES {{.Schema}}.datasets (id),
    emulator text  NOT NULL DEFAULT 'kafka' CHECK (emulator IN ('kafka')),
    config   jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(config) = 'object'),
    PRIMARY KEY (snippet, dataset)
);
CREATE INDEX snippet_datasets_dataset_idx ON {{.Schema}}.snippet_datasets (dataset);

-- Precompiled objects; the original's key <example>_<KIND>.
CREATE TABLE {{.Schema}}.precompiled (
    example text NOT NULL REFERENCES {{.Schema}}.examples (id) ON DELETE CASCADE,
    kind    text NOT NULL CHECK (kind IN ('OUTPUT', 'LOG', 'GRAPH')),
    content text NOT NULL,
    id      text GENERATED ALWAYS AS (example || '_' || kind) STORED UNIQUE,
    PRIMARY KEY (example, kind)
);

-- The catalog as catalog() serves it: one row, rebuilt by statement-level triggers on sdks,
-- examples and precompiled (code/002), never by a read.
CREATE TABLE {{.Schema}}.catalog_cache (
    singleton  boolean     PRIMARY KEY DEFAULT true CHECK (singleton),
    -- json, not jsonb: catalog() returns the stored text as it is (converting several MB of
    -- jsonb to text on every read cost more than the read).
    catalog    json        NOT NULL DEFAULT '[]',
    rebuilt_at timestamptz NOT NULL DEFAULT now()
);
-- No row until the first rebuild: an instance without examples holds no data (uninstall needs no --force).

-- Pipeline runs: what the original kept in Redis under the pipeline id.
CREATE TABLE {{.Schema}}.runs (
    id         uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    created    timestamptz NOT NULL DEFAULT now(),
    updated    timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL DEFAULT now() + interval '1 hour',
    cancelled  boolean     NOT NULL DEFAULT false,
    sdk        text        REFERENCES {{.Schema}}.sdks (id),
    snippet    text        REFERENCES {{.Schema}}.snippets (id) ON DELETE SET NULL,
    code       text,
    status     text        NOT NULL DEFAULT 'validating' CHECK (status IN (
                   'validating', 'validation_error', 'preparing', 'preparation_error', 'compiling',
                   'compile_error', 'executing', 'finished', 'run_error', 'error', 'run_timeout', 'cancelled')),
    -- The Cache's other sub-keys (GetValue/SetValue): key → JSON value.
    vals       jsonb       NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(vals) = 'object')
);
CREATE INDEX runs_expires_at_idx ON {{.Schema}}.runs (expires_at);
CREATE INDEX runs_snippet_idx ON {{.Schema}}.runs (snippet);

-- Output of a run, one row per append; the index a reader passes is the chunk number.
CREATE TABLE {{.Schema}}.run_output (
    run   uuid    NOT NULL REFERENCES {{.Schema}}.runs (id) ON DELETE CASCADE,
    stage text    NOT NULL CHECK (stage IN ('run_output', 'run_error', 'validation_output',
                                            'preparation_output', 'compile_output', 'logs', 'graph')),
    seq   integer NOT NULL CHECK (seq >= 0),
    chunk text    NOT NULL,
    PRIMARY KEY (run, stage, seq)
);

-- Expired runs are removed by prune_runs(), which a queue schedule enqueues every minute; the
-- job's payload names the instance (a worker of queue 'playground' calls prune_runs there).
SELECT howdah_queue.schedule('playground.{{.Schema}}.prune_runs', 'playground', every => '1 minute',
                             payload => jsonb_build_object('schema', '{{.Schema}}', 'call', 'prune_runs'),
                             max_attempts => 1);

---- create above / drop below ----

SELECT howdah_queue.unschedule('playground.{{.Schema}}.prune_runs');
DROP TABLE {{.Schema}}.run_output;
DROP TABLE {{.Schema}}.runs;
DROP TABLE {{.Schema}}.catalog_cache;
DROP TABLE {{.Schema}}.precompiled;
DROP TABLE {{.Schema}}.snippet_datasets;
DROP TABLE {{.Schema}}.datasets;
ALTER TABLE {{.Schema}}.sdks DROP CONSTRAINT sdks_default_example_fkey;
DROP TABLE {{.Schema}}.examples;
DROP TABLE {{.Schema}}.snippets;
DROP TABLE {{.Schema}}.sdks;
DROP TABLE {{.Schema}}.schema_versions;
DROP SCHEMA {{.Schema}};
