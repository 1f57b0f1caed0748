-- core 001: the schemas, the installer's bookkeeping tables and the bookkeeping functions it calls.
-- The installer creates howdah_internal itself before this runs (tern keeps its version tables
-- there), so this file only adds to it. The bookkeeping functions live here, not in code/,
-- because the installer calls them around every module's code, core's own included.

CREATE SCHEMA howdah;
COMMENT ON SCHEMA howdah IS 'howdah public API: core and catalog functions.';
GRANT USAGE ON SCHEMA howdah TO PUBLIC;

-- Public functions are SECURITY INVOKER and call private helpers here, so every role may use the
-- schema; its tables grant nothing, and bookkeeping functions are revoked below.
GRANT USAGE ON SCHEMA howdah_internal TO PUBLIC;

CREATE TABLE howdah_internal.modules (
    name          text        NOT NULL,
    schema_name   text        NOT NULL,
    version       integer     NOT NULL,
    code_checksum text,
    release       text,
    installed_at  timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (name, schema_name)
);
COMMENT ON TABLE howdah_internal.modules IS 'One row per installed module instance: the schema it lives in, its migration version, the checksum of its code and the howdah release that installed that code.';

CREATE TABLE howdah_internal.history (
    id          bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    module      text        NOT NULL,
    schema_name text        NOT NULL,
    version     integer     NOT NULL,
    direction   text        NOT NULL CHECK (direction IN ('up', 'down', 'code')),
    description text        NOT NULL,
    checksum    text        NOT NULL,
    applied_at  timestamptz NOT NULL DEFAULT now(),
    applied_by  text        NOT NULL DEFAULT current_user
);
COMMENT ON TABLE howdah_internal.history IS 'Every migration step applied or reverted and every (re)creation of a module''s code, in order; written in the same transaction as the change.';
CREATE INDEX history_module_idx ON howdah_internal.history (module, version);

CREATE TABLE howdah_internal.objects (
    module      text NOT NULL,
    schema_name text NOT NULL,
    source      text NOT NULL CHECK (source IN ('migration', 'code')),
    kind        text NOT NULL,
    identity    text NOT NULL,
    fingerprint text NOT NULL,
    acl         text,
    owner       text NOT NULL,
    PRIMARY KEY (kind, identity)
);
COMMENT ON TABLE howdah_internal.objects IS 'Every object a module made (functions, relations, types, triggers, policies, schemas), whether by a migration or by its code, with an md5 of its definition, its privileges and its owner; howdah verify compares them with the live catalog, and the installer drops the code objects before it recreates a module''s code.';

CREATE FUNCTION howdah_internal.fingerprints(schemas text[])
RETURNS TABLE (kind text, identity text, fingerprint text, acl text, owner text)
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    -- Functions and procedures: the full definition as pg_dump would print it.
    SELECT 'function', p.oid::regprocedure::text, md5(pg_get_functiondef(p.oid)), p.proacl::text, p.proowner::regrole::text
      FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
     WHERE n.nspname = ANY (schemas) AND p.prokind IN ('f', 'p')
    UNION ALL
    -- Tables, views, sequences: kind, columns, constraints, indexes and view text.
    SELECT 'relation', c.oid::regclass::text,
           md5(concat_ws('|', c.relkind, c.relrowsecurity, c.relforcerowsecurity,
               (SELECT string_agg(concat_ws(':', a.attname, format_type(a.atttypid, a.atttypmod),
                                            a.attnotnull, pg_get_expr(d.adbin, d.adrelid)), ',' ORDER BY a.attnum)
                  FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
                 WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped),
               (SELECT string_agg(pg_get_constraintdef(k.oid), ',' ORDER BY k.conname)
                  FROM pg_constraint k WHERE k.conrelid = c.oid),
               (SELECT string_agg(pg_get_indexdef(i.indexrelid), ',' ORDER BY i.indexrelid::regclass::text)
                  FROM pg_index i WHERE i.indrelid = c.oid),
               CASE WHEN c.relkind IN ('v', 'm') THEN pg_get_viewdef(c.oid) END)),
           c.relacl::text, c.relowner::regrole::text
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
                  FROM pg_constraint k WHERE k.contypid = t.oid))),
           t.typacl::text, t.typowner::regrole::text
      FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
     WHERE n.nspname = ANY (schemas)
       AND (t.typtype IN ('e', 'd')
            OR (t.typtype = 'c' AND (SELECT c.relkind FROM pg_class c WHERE c.oid = t.typrelid) = 'c'))
    UNION ALL
    -- Triggers (not the internal ones of foreign keys) on tables in the schemas.
    SELECT 'trigger', format('%I on %s', g.tgname, g.tgrelid::regclass), md5(pg_get_triggerdef(g.oid)),
           NULL, c.relowner::regrole::text
      FROM pg_trigger g JOIN pg_class c ON c.oid = g.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = ANY (schemas) AND NOT g.tgisinternal
    UNION ALL
    -- Row-level security policies on tables in the schemas.
    SELECT 'policy', format('%I on %s', y.polname, y.polrelid::regclass),
           md5(concat_ws('|', y.polcmd, y.polpermissive, y.polroles::regrole[]::text,
                         pg_get_expr(y.polqual, y.polrelid), pg_get_expr(y.polwithcheck, y.polrelid))),
           NULL, c.relowner::regrole::text
      FROM pg_policy y JOIN pg_class c ON c.oid = y.polrelid JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = ANY (schemas)
    UNION ALL
    -- The schemas themselves, for their privileges and owner.
    SELECT 'schema', quote_ident(n.nspname), md5(n.nspname), n.nspacl::text, n.nspowner::regrole::text
      FROM pg_namespace n
     WHERE n.nspname = ANY (schemas);
END;
COMMENT ON FUNCTION howdah_internal.fingerprints(text[]) IS 'The functions, relations, types, triggers, policies and schemas in the given schemas, each with an md5 of its definition, its privileges (aclitem[] as text) and its owner.';

CREATE FUNCTION howdah_internal.acl_changes(kind text, was text, now text, owner text)
RETURNS TABLE (granted text[], revoked text[])
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    -- The privileges (as aclitem text, grantee=privileges/grantor) in `now` but not in `was`, and
    -- the reverse. A NULL ACL means the object's default privileges.
    WITH d(acl_kind) AS (
        SELECT CASE kind WHEN 'function' THEN 'f' WHEN 'type' THEN 'T' WHEN 'schema' THEN 'n' ELSE 'r' END::"char"),
    w AS (SELECT a::text AS item FROM d, unnest(coalesce(was::aclitem[], acldefault(d.acl_kind, to_regrole(owner)))) a),
    n AS (SELECT a::text AS item FROM d, unnest(coalesce(now::aclitem[], acldefault(d.acl_kind, to_regrole(owner)))) a)
    SELECT coalesce((SELECT array_agg(item ORDER BY item) FROM (SELECT item FROM n EXCEPT SELECT item FROM w) x), '{}'),
           coalesce((SELECT array_agg(item ORDER BY item) FROM (SELECT item FROM w EXCEPT SELECT item FROM n) x), '{}');
END;
COMMENT ON FUNCTION howdah_internal.acl_changes(text, text, text, text) IS 'For howdah verify: the privileges granted and revoked between two ACLs of an object.';

CREATE FUNCTION howdah_internal.record_step(
    module text, schema_name text, version integer, direction text, description text, checksum text,
    schemas text[])
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
-- Called by the installer (and the extension scripts) at the end of every migration step, in
-- the step's own transaction: appends to history, moves the module's version, and refreshes the
-- fingerprints of the objects the module owns in `schemas`. Objects that no other module owns
-- are attributed to this one, as made by a migration.
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

    INSERT INTO howdah_internal.objects AS o (module, schema_name, source, kind, identity, fingerprint, acl, owner)
    SELECT record_step.module, record_step.schema_name, 'migration', f.kind, f.identity, f.fingerprint, f.acl, f.owner
      FROM howdah_internal.fingerprints(schemas) f
    ON CONFLICT (kind, identity) DO UPDATE SET fingerprint = excluded.fingerprint, acl = excluded.acl, owner = excluded.owner
     WHERE o.module = excluded.module AND o.schema_name = excluded.schema_name;
END;
$$;
COMMENT ON FUNCTION howdah_internal.record_step(text, text, integer, text, text, text, text[]) IS 'Bookkeeping run by the installer at the end of each migration step.';
REVOKE EXECUTE ON FUNCTION howdah_internal.record_step(text, text, integer, text, text, text, text[]) FROM PUBLIC;

CREATE FUNCTION howdah_internal.drop_code(module text, schema_name text)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
-- Drops every object the module instance's code made (recorded with source 'code'), so that the
-- installer can run pending migrations and then create the code anew. Never with CASCADE: an
-- object that depends on the code and is not part of it (a user's view over a howdah function, a
-- column default) must stop the drop, not vanish. Code objects may depend on each other in any
-- order, so a DROP refused for a dependency is retried after the others; when a pass drops
-- nothing, what is left is held by objects outside the code, and the error names them.
DECLARE
    pending  text[];
    refused  text[];
    dropped  boolean;
    reasons  text[];
    reason   text;
    stmt     text;
BEGIN
    pending := ARRAY(
        SELECT s.statement
          FROM howdah_internal.objects o
          CROSS JOIN LATERAL (
                SELECT 1, format('DROP TRIGGER IF EXISTS %I ON %s', g.tgname, g.tgrelid::regclass)
                  FROM pg_trigger g
                 WHERE o.kind = 'trigger' AND NOT g.tgisinternal AND format('%I on %s', g.tgname, g.tgrelid::regclass) = o.identity
                UNION ALL
                SELECT 2, format('DROP POLICY IF EXISTS %I ON %s', y.polname, y.polrelid::regclass)
                  FROM pg_policy y
                 WHERE o.kind = 'policy' AND format('%I on %s', y.polname, y.polrelid::regclass) = o.identity
                UNION ALL
                SELECT 3, format(CASE c.relkind WHEN 'm' THEN 'DROP MATERIALIZED VIEW IF EXISTS %s' ELSE 'DROP VIEW IF EXISTS %s' END,
                                 c.oid::regclass)
                  FROM pg_class c
                 WHERE o.kind = 'relation' AND c.oid = to_regclass(o.identity) AND c.relkind IN ('v', 'm')
                UNION ALL
                SELECT 4, format(CASE p.prokind WHEN 'p' THEN 'DROP PROCEDURE IF EXISTS %s' ELSE 'DROP FUNCTION IF EXISTS %s' END,
                                 p.oid::regprocedure)
                  FROM pg_proc p
                 WHERE o.kind = 'function' AND p.oid = to_regprocedure(o.identity)
                UNION ALL
                SELECT 5, format('DROP TYPE IF EXISTS %s', t.oid::regtype)
                  FROM pg_type t
                 WHERE o.kind = 'type' AND t.oid = to_regtype(o.identity)
               ) AS s(rank, statement)
         WHERE o.module = drop_code.module AND o.schema_name = drop_code.schema_name AND o.source = 'code'
         ORDER BY s.rank, o.identity);

    WHILE cardinality(pending) > 0 LOOP
        refused := '{}';
        reasons := '{}';
        dropped := false;
        FOREACH stmt IN ARRAY pending LOOP
            BEGIN
                EXECUTE stmt;
                dropped := true;
            EXCEPTION WHEN dependent_objects_still_exist THEN
                GET STACKED DIAGNOSTICS reason = PG_EXCEPTION_DETAIL;
                refused := refused || stmt;
                reasons := reasons || reason;
            END;
        END LOOP;
        IF NOT dropped THEN
            RAISE EXCEPTION USING ERRCODE = 'dependent_objects_still_exist',
                MESSAGE = format('cannot drop the code of module %s (schema %s) to recreate it: objects outside it depend on it',
                                 drop_code.module, drop_code.schema_name),
                DETAIL = array_to_string(ARRAY(SELECT DISTINCT unnest(reasons) ORDER BY 1), E'\n'),
                HINT = 'howdah drops and recreates a module''s code on every upgrade. Drop the objects that depend on it and recreate them afterwards; objects made by a howdah migration must never depend on code.';
        END IF;
        pending := refused;
    END LOOP;

    DELETE FROM howdah_internal.objects o
     WHERE o.module = drop_code.module AND o.schema_name = drop_code.schema_name AND o.source = 'code';
END;
$$;
COMMENT ON FUNCTION howdah_internal.drop_code(text, text) IS 'Drops the objects a module instance''s code made, refusing (2BP01, naming them) when other objects depend on them. Run by the installer before it recreates code.';
REVOKE EXECUTE ON FUNCTION howdah_internal.drop_code(text, text) FROM PUBLIC;

CREATE FUNCTION howdah_internal.record_code(module text, schema_name text, checksum text, release text, schemas text[])
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
-- Called by the installer (and the extension scripts) after it has run a module instance's code
-- files: every object in `schemas` that no module owns yet was made by this code. Code must not
-- make tables or sequences (they would lose their rows on the next upgrade). Records the code's
-- checksum and the release that installed it, and one history row.
DECLARE
    data_objects text;
BEGIN
    SELECT string_agg(f.identity, ', ' ORDER BY f.identity)
      INTO data_objects
      FROM howdah_internal.fingerprints(schemas) f
      JOIN pg_class c ON c.oid = to_regclass(f.identity)
     WHERE f.kind = 'relation' AND c.relkind NOT IN ('v', 'm')
       AND NOT EXISTS (SELECT FROM howdah_internal.objects o WHERE o.kind = f.kind AND o.identity = f.identity);
    IF data_objects IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_object_definition',
            MESSAGE = format('the code of module %s created %s', record_code.module, data_objects),
            HINT = 'Code is dropped and recreated on every upgrade: tables and sequences belong in migrations.';
    END IF;

    INSERT INTO howdah_internal.objects AS o (module, schema_name, source, kind, identity, fingerprint, acl, owner)
    SELECT record_code.module, record_code.schema_name, 'code', f.kind, f.identity, f.fingerprint, f.acl, f.owner
      FROM howdah_internal.fingerprints(schemas) f
    ON CONFLICT (kind, identity) DO UPDATE SET fingerprint = excluded.fingerprint, acl = excluded.acl, owner = excluded.owner
     WHERE o.module = excluded.module AND o.schema_name = excluded.schema_name AND o.source = 'code';

    UPDATE howdah_internal.modules m
       SET code_checksum = record_code.checksum, release = record_code.release, updated_at = now()
     WHERE m.name = record_code.module AND m.schema_name = record_code.schema_name;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'object_not_in_prerequisite_state',
            MESSAGE = format('module %s is not installed in schema %s: apply its migrations before its code', record_code.module, record_code.schema_name);
    END IF;

    INSERT INTO howdah_internal.history (module, schema_name, version, direction, description, checksum)
    SELECT m.name, m.schema_name, m.version, 'code', 'code', record_code.checksum
      FROM howdah_internal.modules m
     WHERE m.name = record_code.module AND m.schema_name = record_code.schema_name;
END;
$$;
COMMENT ON FUNCTION howdah_internal.record_code(text, text, text, text, text[]) IS 'Bookkeeping run by the installer after it has (re)created a module instance''s code.';
REVOKE EXECUTE ON FUNCTION howdah_internal.record_code(text, text, text, text, text[]) FROM PUBLIC;

---- create above / drop below ----

DROP FUNCTION howdah_internal.record_code(text, text, text, text, text[]);
DROP FUNCTION howdah_internal.drop_code(text, text);
DROP FUNCTION howdah_internal.record_step(text, text, integer, text, text, text, text[]);
DROP FUNCTION howdah_internal.acl_changes(text, text, text, text);
DROP FUNCTION howdah_internal.fingerprints(text[]);
DROP TABLE howdah_internal.objects;
DROP TABLE howdah_internal.history;
DROP TABLE howdah_internal.modules;
DROP SCHEMA howdah;
REVOKE USAGE ON SCHEMA howdah_internal FROM PUBLIC;
