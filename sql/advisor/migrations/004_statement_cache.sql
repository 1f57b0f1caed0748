-- advisor migration 004: what ingest learned about a pg_stat_statements text, kept so that the
-- next scan does not tokenize it again. A pg_stat_statements entry keeps the first text it saw,
-- so the same text comes back scan after scan; lexing, normalizing and classifying it in
-- PL/pgSQL was most of ingest's time. Rows are keyed by the text's md5 and whether the entry was
-- nested, and carry the hash of the code that computed them: rows of other code, or older than a
-- day, are computed again.

CREATE TABLE howdah_advisor.statement_cache (
    text_md5    text        NOT NULL,
    toplevel    boolean     NOT NULL,
    code_hash   text        NOT NULL,
    checked_at  timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
    skip        text,
    fingerprint text,
    norm_sql    text,
    verb        text,
    tables      text[],
    tokens      text[],
    PRIMARY KEY (text_md5, toplevel)
);
COMMENT ON TABLE howdah_advisor.statement_cache IS 'Ingest''s analysis of a pg_stat_statements text (md5 of the text, nested or top level): why it is skipped (utility, howdah, catalog, no_relation, unresolved) or its fingerprint, normalized text, verb, tables and feature tokens. code_hash is the hash of the advisor''s code that computed it; rows of other code or older than a day are recomputed.';
COMMENT ON COLUMN howdah_advisor.statement_cache.skip IS 'The reason ingest skips the text, or NULL when it is kept (exclude patterns are applied on every scan, not cached).';

---- create above / drop below ----

DROP TABLE howdah_advisor.statement_cache;
