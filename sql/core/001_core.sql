-- core 001: the schemas, the bookkeeping tables of the installer and howdah.version().
-- The installer creates howdah_internal itself before this runs (tern keeps its version
-- tables there), so this file only adds to it.

CREATE SCHEMA howdah;
COMMENT ON SCHEMA howdah IS 'howdah public API: core and catalog functions.';
GRANT USAGE ON SCHEMA howdah TO PUBLIC;

-- Public functions are SECURITY INVOKER and call private helpers here, so every role may use the
-- schema; its tables grant nothing, and bookkeeping functions are revoked below.
GRANT USAGE ON SCHEMA howdah_internal TO PUBLIC;

CREATE TABLE howdah_internal.modules (
    name         text        NOT NULL,
    schema_name  text        NOT NULL,
    version      integer     NOT NULL,
    installed_at timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (name, schema_name)
);
COMMENT ON TABLE howdah_internal.modules IS 'One row per installed module instance: the schema it lives in and its migration version.';

CREATE TABLE howdah_internal.history (
    id          bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    module      text        NOT NULL,
    schema_name text        NOT NULL,
    version     integer     NOT NULL,
    direction   text        NOT NULL CHECK (direction IN ('up', 'down')),
    description text        NOT NULL,
    checksum    text        NOT NULL,
    applied_at  timestamptz NOT NULL DEFAULT now(),
    applied_by  text        NOT NULL DEFAULT current_user
);
COMMENT ON TABLE howdah_internal.history IS 'Every migration step applied or reverted, in order; written in the same transaction as the step.';
CREATE INDEX history_module_idx ON howdah_internal.history (module, version);

CREATE TABLE howdah_internal.objects (
    module      text NOT NULL,
    schema_name text NOT NULL,
    kind        text NOT NULL,
    identity    text NOT NULL,
    fingerprint text NOT NULL,
    PRIMARY KEY (kind, identity)
);
COMMENT ON TABLE howdah_internal.objects IS 'The functions, relations and types each module created, with an md5 of their definition; howdah verify compares them with the live catalog.';

CREATE FUNCTION howdah_internal.fingerprints(schemas text[])
RETURNS TABLE (kind text, identity text, fingerprint text)
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    -- Functions and procedures: the full definition as pg_dump would print it.
    SELECT 'function', p.oid::regprocedure::text, md5(pg_get_functiondef(p.oid))
      FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
     WHERE n.nspname = ANY (schemas) AND p.prokind IN ('f', 'p')
    UNION ALL
    -- Tables, views, sequences: kind, columns, constraints and view text.
    SELECT 'relation', c.oid::regclass::text,
           md5(concat_ws('|', c.relkind,
               (SELECT string_agg(concat_ws(':', a.attname, format_type(a.atttypid, a.atttypmod),
                                            a.attnotnull, pg_get_expr(d.adbin, d.adrelid)), ',' ORDER BY a.attnum)
                  FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
                 WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped),
               (SELECT string_agg(pg_get_constraintdef(k.oid), ',' ORDER BY k.conname)
                  FROM pg_constraint k WHERE k.conrelid = c.oid),
               (SELECT string_agg(pg_get_indexdef(i.indexrelid), ',' ORDER BY i.indexrelid::regclass::text)
                  FROM pg_index i WHERE i.indrelid = c.oid),
               CASE WHEN c.relkind IN ('v', 'm') THEN pg_get_viewdef(c.oid) END))
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = ANY (schemas) AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
       AND NOT (n.nspname = 'howdah_internal' AND c.relname LIKE 'version\_%')
    UNION ALL
    -- Enums, domains and free-standing composite types.
    SELECT 'type', t.oid::regtype::text,
           md5(concat_ws('|', t.typtype,
               (SELECT string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder) FROM pg_enum e WHERE e.enumtypid = t.oid),
               (SELECT string_agg(concat_ws(':', a.attname, format_type(a.atttypid, a.atttypmod)), ',' ORDER BY a.attnum)
                  FROM pg_attribute a WHERE a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped),
               CASE WHEN t.typtype = 'd' THEN format_type(t.typbasetype, t.typtypmod) END,
               (SELECT string_agg(pg_get_constraintdef(k.oid), ',' ORDER BY k.conname)
                  FROM pg_constraint k WHERE k.contypid = t.oid)))
      FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
     WHERE n.nspname = ANY (schemas)
       AND (t.typtype IN ('e', 'd')
            OR (t.typtype = 'c' AND (SELECT c.relkind FROM pg_class c WHERE c.oid = t.typrelid) = 'c'));
END;
COMMENT ON FUNCTION howdah_internal.fingerprints(text[]) IS 'The functions, relations and types in the given schemas, each with an md5 of its definition.';

CREATE FUNCTION howdah_internal.record_step(
    module text, schema_name text, version integer, direction text, description text, checksum text,
    schemas text[])
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
-- Called by the installer (and the extension bundle) at the end of every migration step, in
-- the step's own transaction: appends to history, moves the module's version, and refreshes the
-- fingerprints of the objects the module owns in `schemas`. Objects that no other module owns
-- are attributed to this one.
BEGIN
    INSERT INTO howdah_internal.history (module, schema_name, version, direction, description, checksum)
    VALUES (record_step.module, record_step.schema_name, record_step.version, record_step.direction,
            record_step.description, record_step.checksum);

    IF record_step.version = 0 THEN
        DELETE FROM howdah_internal.modules m
         WHERE m.name = record_step.module AND m.schema_name = record_step.schema_name;
        DELETE FROM howdah_internal.objects o
         WHERE o.module = record_step.module AND o.schema_name = record_step.schema_name;
        RETURN;
    END IF;

    INSERT INTO howdah_internal.modules AS m (name, schema_name, version)
    VALUES (record_step.module, record_step.schema_name, record_step.version)
    ON CONFLICT (name, schema_name) DO UPDATE SET version = excluded.version, updated_at = now();

    DELETE FROM howdah_internal.objects o
     WHERE o.module = record_step.module AND o.schema_name = record_step.schema_name
       AND NOT EXISTS (SELECT FROM howdah_internal.fingerprints(schemas) f
                        WHERE f.kind = o.kind AND f.identity = o.identity);

    INSERT INTO howdah_internal.objects AS o (module, schema_name, kind, identity, fingerprint)
    SELECT record_step.module, record_step.schema_name, f.kind, f.identity, f.fingerprint
      FROM howdah_internal.fingerprints(schemas) f
    ON CONFLICT (kind, identity) DO UPDATE SET fingerprint = excluded.fingerprint
     WHERE o.module = excluded.module AND o.schema_name = excluded.schema_name;
END;
$$;
COMMENT ON FUNCTION howdah_internal.record_step(text, text, integer, text, text, text, text[]) IS 'Bookkeeping run by the installer at the end of each migration step.';
REVOKE EXECUTE ON FUNCTION howdah_internal.record_step(text, text, integer, text, text, text, text[]) FROM PUBLIC;

CREATE FUNCTION howdah.version()
RETURNS jsonb
LANGUAGE sql STABLE
SECURITY DEFINER -- lets every role read the installed versions without access to howdah_internal
SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    SELECT coalesce(jsonb_agg(jsonb_build_object('module', m.name, 'schema', m.schema_name, 'version', m.version,
                                                 'updated_at', m.updated_at) ORDER BY m.name, m.schema_name),
                    '[]')
      FROM howdah_internal.modules m;
END;
COMMENT ON FUNCTION howdah.version() IS 'The installed howdah modules as a JSON array: [{"module": "core", "schema": "howdah", "version": 1, "updated_at": "..."}, ...]. Errors: none.';

---- create above / drop below ----

DROP FUNCTION howdah.version();
DROP FUNCTION howdah_internal.record_step(text, text, integer, text, text, text, text[]);
DROP FUNCTION howdah_internal.fingerprints(text[]);
DROP TABLE howdah_internal.objects;
DROP TABLE howdah_internal.history;
DROP TABLE howdah_internal.modules;
DROP SCHEMA howdah;
REVOKE USAGE ON SCHEMA howdah_internal FROM PUBLIC;
