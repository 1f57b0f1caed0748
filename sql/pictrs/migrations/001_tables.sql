-- pictrs migration 001: the tables of an image server's repository (pict-rs), in the instance's
-- schema {{.Schema}} (an app module: the schema is chosen at install time, and two instances in
-- one database share nothing but the queue module, where their queues are named
-- pictrs.<schema>.<queue>). The functions are code: sql/pictrs/code/*.sql, one file per trait.
--
-- Types: pict-rs encodes hashes, identifiers (paths in a store), aliases, tokens and variants as
-- text, so text they are, without length limits of our own; times are timestamptz; details and
-- upload results are JSON documents pict-rs reads back whole, so jsonb; settings are bytes.

DO $$
BEGIN
    -- complete_upload notifies channel <schema>_upload; a channel name longer than 63 bytes
    -- would be refused by pg_notify, so refuse such a schema now rather than on the first upload.
    IF pg_catalog.octet_length('{{.Schema}}') > 56 THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = pg_catalog.format('schema name %L is too long for module pictrs: use at most 56 bytes', '{{.Schema}}'),
            HINT = 'the upload channel is <schema>_upload, and channel names have at most 63 bytes';
    END IF;
END
$$;

CREATE SCHEMA {{.Schema}};
COMMENT ON SCHEMA {{.Schema}} IS 'pictrs: the repository of an image server (pict-rs) — hashes, variants, aliases, details, proxies, access times, store migration, uploads and jobs. docs/pictrs.md maps every pict-rs repository method to its function.';
REVOKE ALL ON SCHEMA {{.Schema}} FROM PUBLIC;

-- One row per original file, by content hash.
CREATE TABLE {{.Schema}}.hashes (
    hash              text        PRIMARY KEY,
    created_at        timestamptz NOT NULL DEFAULT now(),
    identifier        text        NOT NULL,
    motion_identifier text,
    blurhash          text
);
COMMENT ON TABLE {{.Schema}}.hashes IS 'Original files by content hash: where the file is (identifier), its motion (animated preview) file and blurhash.';

-- Generated files (thumbnails, crops) of a hash. accessed is NULL while no access is tracked.
CREATE TABLE {{.Schema}}.variants (
    hash       text        NOT NULL REFERENCES {{.Schema}}.hashes ON DELETE CASCADE,
    variant    text        NOT NULL,
    identifier text        NOT NULL,
    accessed   timestamptz,
    PRIMARY KEY (hash, variant)
);
COMMENT ON TABLE {{.Schema}}.variants IS 'Generated files of a hash, one per variant (the processing path); accessed is the last access tracked, NULL when none is.';
-- older_variants: oldest accessed first.
CREATE INDEX variants_accessed_idx ON {{.Schema}}.variants (accessed, hash, variant) WHERE accessed IS NOT NULL;

-- What users see: an alias of a hash, with the token that deletes it.
CREATE TABLE {{.Schema}}.aliases (
    alias        text NOT NULL PRIMARY KEY,
    hash         text NOT NULL REFERENCES {{.Schema}}.hashes ON DELETE CASCADE,
    delete_token text NOT NULL
);
COMMENT ON TABLE {{.Schema}}.aliases IS 'Names users see for a hash, each with the token that deletes it.';
-- aliases_for_hash, and the cascade from hashes.
CREATE INDEX aliases_hash_idx ON {{.Schema}}.aliases (hash);

CREATE TABLE {{.Schema}}.settings (
    key   text  PRIMARY KEY,
    value bytea NOT NULL
);
COMMENT ON TABLE {{.Schema}}.settings IS 'The server''s own key-value settings (bytes).';

CREATE TABLE {{.Schema}}.details (
    identifier text  PRIMARY KEY,
    details    jsonb NOT NULL
);
COMMENT ON TABLE {{.Schema}}.details IS 'What is known of a stored file (dimensions, format, frames...), by identifier.';

CREATE TABLE {{.Schema}}.store_migrations (
    old_identifier text PRIMARY KEY,
    new_identifier text NOT NULL
);
COMMENT ON TABLE {{.Schema}}.store_migrations IS 'Files already copied by a running store migration (old store identifier → new), so that a restarted migration continues.';

-- Remote URLs served through an alias; accessed drives the eviction of cold proxied media.
CREATE TABLE {{.Schema}}.proxies (
    url      text NOT NULL PRIMARY KEY,
    alias    text NOT NULL REFERENCES {{.Schema}}.aliases ON DELETE CASCADE,
    accessed timestamptz
);
COMMENT ON TABLE {{.Schema}}.proxies IS 'Proxied remote URLs and the alias their media is stored under; accessed is the last access tracked, NULL when none is.';
-- remove_relation, alias_accessed, and the cascade from aliases.
CREATE INDEX proxies_alias_idx ON {{.Schema}}.proxies (alias);
-- older_aliases: oldest accessed first.
CREATE INDEX proxies_accessed_idx ON {{.Schema}}.proxies (accessed, alias) WHERE accessed IS NOT NULL;

CREATE TABLE {{.Schema}}.uploads (
    id         uuid        PRIMARY KEY DEFAULT pg_catalog.gen_random_uuid(),
    created_at timestamptz NOT NULL DEFAULT now(),
    result     jsonb
);
COMMENT ON TABLE {{.Schema}}.uploads IS 'Uploads being processed; result is NULL until complete_upload, and the row goes when claim_upload takes it.';

---- create above / drop below ----

DROP TABLE {{.Schema}}.uploads;
DROP TABLE {{.Schema}}.proxies;
DROP TABLE {{.Schema}}.store_migrations;
DROP TABLE {{.Schema}}.details;
DROP TABLE {{.Schema}}.settings;
DROP TABLE {{.Schema}}.aliases;
DROP TABLE {{.Schema}}.variants;
DROP TABLE {{.Schema}}.hashes;
DROP SCHEMA {{.Schema}};
