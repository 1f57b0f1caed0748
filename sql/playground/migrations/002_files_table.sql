-- playground migration 002 (schema version 2, first part): a snippet's files get their own
-- table, keyed <snippet>_<n> as in the original. Step 003 (Go, installer/playground.go) moves
-- every v1 snippet's inline files here and recomputes number_of_files and is_main; step 004
-- drops the inline column.

CREATE TABLE {{.Schema}}.files (
    snippet      text    NOT NULL REFERENCES {{.Schema}}.snippets (id) ON DELETE CASCADE,
    ordinal      integer NOT NULL CHECK (ordinal >= 0),
    context_line integer NOT NULL DEFAULT 0 CHECK (context_line >= 0),
    is_main      boolean NOT NULL DEFAULT false,
    name         text    NOT NULL CHECK (name <> ''),
    content      text    NOT NULL,
    id           text    GENERATED ALWAYS AS (snippet || '_' || ordinal) STORED UNIQUE,
    PRIMARY KEY (snippet, ordinal),
    CONSTRAINT files_name_unique UNIQUE (snippet, name)
);
-- At most one main file per snippet, whoever writes.
CREATE UNIQUE INDEX files_one_main_idx ON {{.Schema}}.files (snippet) WHERE is_main;

ALTER TABLE {{.Schema}}.snippets ALTER COLUMN files DROP NOT NULL;

---- create above / drop below ----

DROP TABLE {{.Schema}}.files;
