-- catalog code 003: schemas — list, describe, add, patch, drop. Each call is one function
-- returning jsonb; the database's own privileges decide what the caller may see and do.
--
-- Errors: 22023 (invalid_parameter_value) for bad JSON input, naming the key; 3F000
-- (invalid_schema_name) for an unknown schema oid; 42501 from PostgreSQL itself when the role
-- lacks a privilege.

CREATE FUNCTION howdah_internal.catalog_schema_json(sch oid)
RETURNS jsonb
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    SELECT jsonb_build_object(
               'oid', n.oid::bigint,
               'name', n.nspname,
               'description', obj_description(n.oid, 'pg_namespace'),
               'owner_oid', n.nspowner::bigint,
               'owner', n.nspowner::regrole,
               'current_role_owns', pg_has_role(n.nspowner, 'USAGE'),
               'current_role_priv', to_jsonb(array_remove(ARRAY[
                   CASE WHEN has_schema_privilege(n.oid, 'USAGE') THEN 'USAGE' END,
                   CASE WHEN has_schema_privilege(n.oid, 'CREATE') THEN 'CREATE' END], NULL)),
               'table_count', (SELECT count(*) FROM pg_class c
                                WHERE c.relnamespace = n.oid AND c.relkind IN ('r', 'p', 'v', 'm', 'f')))
      FROM pg_namespace n
     WHERE n.oid = sch AND NOT howdah_internal.catalog_is_hidden_schema(n.nspname);
END;
COMMENT ON FUNCTION howdah_internal.catalog_schema_json(oid) IS 'One schema as the catalog API shows it; NULL for unknown or hidden schemas.';

CREATE FUNCTION howdah.list_schemas()
RETURNS jsonb
LANGUAGE sql STABLE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    SELECT coalesce(jsonb_agg(howdah_internal.catalog_schema_json(n.oid) ORDER BY n.nspname), '[]')
      FROM pg_namespace n
     WHERE NOT howdah_internal.catalog_is_hidden_schema(n.nspname);
END;
COMMENT ON FUNCTION howdah.list_schemas() IS 'Every schema except system and howdah schemas, with the current role''s privileges: [{oid, name, description, owner_oid, owner, current_role_owns, current_role_priv, table_count}]. Errors: none.';

CREATE FUNCTION howdah.get_schema(sch oid)
RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
-- One schema, as list_schemas shows it; 3F000 when the oid is unknown or hidden.
BEGIN
    PERFORM howdah_internal.catalog_visible_schema(sch);
    RETURN howdah_internal.catalog_schema_json(sch);
END;
$$;
COMMENT ON FUNCTION howdah.get_schema(oid) IS 'One schema by oid, as list_schemas() shows it. Errors: 3F000 unknown schema.';

CREATE FUNCTION howdah.add_schema(name text, owner regrole DEFAULT NULL, description text DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
-- Creates schema `name` (owned by `owner`, default the current role) with an optional comment
-- and returns it as get_schema does. Needs CREATE on the database.
DECLARE
    sch oid;
BEGIN
    -- Blank and over 63 bytes first: PostgreSQL would truncate a longer name silently.
    PERFORM howdah_internal.catalog_check_name(add_schema.name, 'add_schema');
    IF howdah_internal.catalog_is_hidden_schema(add_schema.name::name) THEN
        RAISE EXCEPTION USING ERRCODE = 'reserved_name',
            MESSAGE = format('schema name %L is reserved (system or howdah schema)', add_schema.name);
    END IF;
    IF owner IS NULL THEN
        EXECUTE format('CREATE SCHEMA %I', add_schema.name);
    ELSE
        EXECUTE format('CREATE SCHEMA %I AUTHORIZATION %I', add_schema.name,
                       (SELECT r.rolname FROM pg_roles r WHERE r.oid = owner));
    END IF;
    SELECT n.oid INTO sch FROM pg_namespace n WHERE n.nspname = add_schema.name;
    IF description IS NOT NULL THEN
        EXECUTE format('COMMENT ON SCHEMA %I IS %L', add_schema.name, description);
    END IF;
    RETURN howdah_internal.catalog_schema_json(sch);
END;
$$;
COMMENT ON FUNCTION howdah.add_schema(text, regrole, text) IS 'Creates a schema and returns it as get_schema() does. Errors: 22023 blank name, 42622 name over 63 bytes (bytes, not characters), 42939 reserved name (system or howdah*), 42P06 exists, 42501 no CREATE on the database (or not a member of the owner role).';

CREATE FUNCTION howdah.patch_schema(sch oid, patch jsonb)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
-- Applies {"name": new name, "description": comment or null, "owner": role name} to a schema
-- and returns it. Keys left out are left alone; the patch is checked before anything changes.
DECLARE
    nsp name := howdah_internal.catalog_visible_schema(sch);
    new_name text;
    new_owner text;
    new_comment text;
BEGIN
    PERFORM howdah_internal.catalog_check_keys(patch, ARRAY['name', 'description', 'owner'], 'patch_schema patch');
    new_name := howdah_internal.catalog_json_text(patch, 'name', 'patch_schema patch');
    new_owner := howdah_internal.catalog_json_text(patch, 'owner', 'patch_schema patch');
    new_comment := howdah_internal.catalog_json_text(patch, 'description', 'patch_schema patch');
    IF patch ? 'name' THEN
        PERFORM howdah_internal.catalog_check_name(new_name, 'patch_schema patch');
        IF howdah_internal.catalog_is_hidden_schema(new_name::name) THEN
            RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
                MESSAGE = format('patch_schema patch: %L is not a usable schema name (system or howdah schema)', new_name);
        END IF;
    END IF;
    IF patch ? 'description' THEN
        EXECUTE format('COMMENT ON SCHEMA %I IS %L', nsp, new_comment);
    END IF;
    IF new_owner IS NOT NULL THEN
        EXECUTE format('ALTER SCHEMA %I OWNER TO %I', nsp, new_owner);
    END IF;
    IF new_name IS NOT NULL AND new_name <> nsp THEN
        EXECUTE format('ALTER SCHEMA %I RENAME TO %I', nsp, new_name);
    END IF;
    RETURN howdah_internal.catalog_schema_json(sch);
END;
$$;
COMMENT ON FUNCTION howdah.patch_schema(oid, jsonb) IS 'Renames, re-comments or re-owns a schema from {"name", "description", "owner"}; returns it; a refused patch changes nothing. Errors: 3F000 unknown schema, 22023 bad patch (names the key; blank or reserved new name), 42622 new name over 63 bytes, 42P06 new name taken, 42704 unknown owner role, 42501 not the owner.';

CREATE FUNCTION howdah.drop_schemas(schemas oid[], "cascade" boolean DEFAULT false)
RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
-- Drops the schemas `schemas` (an oid given twice counts once), all or none, in one DROP
-- statement, and returns how many were dropped. Without cascade a schema that holds objects is
-- refused (2BP01, naming what depends on it).
DECLARE
    missing oid;
    names text;
BEGIN
    IF array_position(drop_schemas.schemas, NULL) IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value', MESSAGE = 'drop_schemas: schemas must not hold NULL';
    END IF;
    -- One join resolves the oids; the first unknown or hidden one is reported by catalog_visible_schema.
    SELECT u.s INTO missing
      FROM (SELECT DISTINCT s FROM unnest(drop_schemas.schemas) s) u
      LEFT JOIN pg_namespace n ON n.oid = u.s AND NOT howdah_internal.catalog_is_hidden_schema(n.nspname)
     WHERE n.oid IS NULL
     ORDER BY u.s LIMIT 1;
    IF missing IS NOT NULL THEN
        PERFORM howdah_internal.catalog_visible_schema(missing);
    END IF;
    SELECT string_agg(format('%I', n.nspname), ', ' ORDER BY n.nspname) INTO names
      FROM (SELECT DISTINCT s FROM unnest(drop_schemas.schemas) s) u JOIN pg_namespace n ON n.oid = u.s;
    IF names IS NOT NULL THEN
        -- `names` is a list of %I-quoted schema names from pg_namespace.
        PERFORM 'PRAGMA:DISABLE:SECURITY_WARNINGS';
        EXECUTE format('DROP SCHEMA %s %s', names, CASE WHEN "cascade" THEN 'CASCADE' ELSE 'RESTRICT' END);
    END IF;
    RETURN (SELECT count(DISTINCT s) FROM unnest(drop_schemas.schemas) s);
END;
$$;
COMMENT ON FUNCTION howdah.drop_schemas(oid[], boolean) IS 'Drops schemas by oid, all or none: drop_schemas(schemas, cascade = false) returns how many were dropped. Errors: 3F000 unknown schema, 22023 a NULL oid, 2BP01 not empty without cascade, 42501 not the owner.';
