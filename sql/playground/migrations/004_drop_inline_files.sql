-- playground migration 004 (schema version 2, last part): the inline files of version 1 are
-- in the files table now (step 003); the column goes.

ALTER TABLE {{.Schema}}.snippets DROP COLUMN files;

---- create above / drop below ----

ALTER TABLE {{.Schema}}.snippets ADD COLUMN files jsonb CHECK (jsonb_typeof(files) = 'array');
