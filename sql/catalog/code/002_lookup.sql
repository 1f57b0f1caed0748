-- catalog code 002: finding what the caller names — schemas and tables by oid, columns by attnum
-- or name, types by name or oid — among the objects the catalog API may touch (system and
-- howdah schemas are hidden).
--
-- Errors: 3F000 (invalid_schema_name) unknown schema oid; 42P01 (undefined_table) unknown table
-- oid; 42703 (undefined_column) unknown column; 42704 (undefined_object) unknown type; 22023 a
-- reference of the wrong JSON type. Each names what it looked for.

CREATE FUNCTION howdah_internal.catalog_is_hidden_schema(nspname name)
RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN nspname IN ('pg_catalog', 'information_schema', 'pg_toast')
    OR nspname LIKE 'pg\_temp\_%' OR nspname LIKE 'pg\_toast\_temp\_%'
    OR nspname LIKE 'howdah%';
COMMENT ON FUNCTION howdah_internal.catalog_is_hidden_schema(name) IS 'True for system schemas and howdah''s own, which the catalog API never lists or changes.';

CREATE FUNCTION howdah_internal.catalog_visible_schema(sch oid)
RETURNS name
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
-- Returns the name of schema `sch`, raising 3F000 when it does not exist or is hidden.
DECLARE
    nsp name;
BEGIN
    SELECT n.nspname INTO nsp FROM pg_namespace n WHERE n.oid = sch;
    IF nsp IS NULL OR howdah_internal.catalog_is_hidden_schema(nsp) THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_schema_name',
            MESSAGE = format('schema with oid %s does not exist', sch),
            HINT = 'list_schemas() gives the oids of the schemas you can use';
    END IF;
    RETURN nsp;
END;
$$;
COMMENT ON FUNCTION howdah_internal.catalog_visible_schema(oid) IS 'The name of a schema the catalog API may touch, or error 3F000.';

CREATE FUNCTION howdah_internal.catalog_visible_table(tab oid)
RETURNS regclass
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
-- The table, view or other relation `tab` as a regclass, raising 42P01 when it does not exist,
-- is not a table-like relation, or lives in a hidden schema.
DECLARE
    rel regclass;
BEGIN
    SELECT c.oid::regclass INTO rel
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE c.oid = tab AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
       AND NOT howdah_internal.catalog_is_hidden_schema(n.nspname);
    IF rel IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'undefined_table',
            MESSAGE = format('table with oid %s does not exist', tab),
            HINT = 'list_tables(schema oid) gives the oids of the tables in a schema';
    END IF;
    RETURN rel;
END;
$$;
COMMENT ON FUNCTION howdah_internal.catalog_visible_table(oid) IS 'A table the catalog API may touch, or error 42P01.';

CREATE FUNCTION howdah_internal.catalog_resolve_column(tab regclass, col jsonb, what text,
                                              OUT col_num smallint, OUT col_name name, OUT col_type oid)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
-- Resolves a column reference of table `tab`: a JSON number is an attnum, a JSON string a
-- column name. Returns its attnum, name and type. `what` names the input in messages.
BEGIN
    CASE jsonb_typeof(col)
    WHEN 'number' THEN
        col_num := howdah_internal.catalog_json_int_value(col, 1, 32767, format('%s (a column attnum)', what));
        SELECT a.attnum, a.attname, a.atttypid INTO col_num, col_name, col_type
          FROM pg_attribute a
         WHERE a.attrelid = tab AND a.attnum = col_num AND a.attnum > 0 AND NOT a.attisdropped;
        IF col_num IS NULL THEN
            RAISE EXCEPTION USING ERRCODE = 'undefined_column',
                MESSAGE = format('%s: column %s of table %s does not exist', what, col, tab),
                HINT = 'list_columns(table oid) gives the attnums and names of the columns';
        END IF;
    WHEN 'string' THEN
        SELECT a.attnum, a.attname, a.atttypid INTO col_num, col_name, col_type
          FROM pg_attribute a
         WHERE a.attrelid = tab AND a.attname = col #>> '{}' AND a.attnum > 0 AND NOT a.attisdropped;
        IF col_num IS NULL THEN
            RAISE EXCEPTION USING ERRCODE = 'undefined_column',
                MESSAGE = format('%s: column "%s" of table %s does not exist', what, col #>> '{}', tab),
                HINT = 'list_columns(table oid) gives the attnums and names of the columns';
        END IF;
    ELSE
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = format('%s must be a column attnum (JSON number) or name (JSON string), got %s',
                             what, coalesce(jsonb_typeof(col), 'nothing')),
            HINT = format('table %s', tab);
    END CASE;
END;
$$;
COMMENT ON FUNCTION howdah_internal.catalog_resolve_column(regclass, jsonb, text) IS 'Resolves a column given by attnum (JSON number) or name (JSON string) to its attnum, name and type. Errors: 42703 unknown column (naming it and the table), 22023 neither a number nor a string.';

CREATE FUNCTION howdah_internal.catalog_column_ref(tab regclass, ref jsonb, what text)
RETURNS smallint
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
RETURN (howdah_internal.catalog_resolve_column(tab, ref, what)).col_num;
COMMENT ON FUNCTION howdah_internal.catalog_column_ref(regclass, jsonb, text) IS 'The attnum of a column given by attnum or name. Errors: as resolve_column.';

CREATE FUNCTION howdah_internal.catalog_column_name(tab regclass, attnum smallint)
RETURNS name
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
RETURN (SELECT a.attname FROM pg_attribute a WHERE a.attrelid = tab AND a.attnum = catalog_column_name.attnum);
COMMENT ON FUNCTION howdah_internal.catalog_column_name(regclass, smallint) IS 'The current name of a column (NULL when there is none).';

CREATE FUNCTION howdah_internal.catalog_column_list(tab regclass, attnums smallint[])
RETURNS text
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
RETURN (SELECT string_agg(quote_ident(howdah_internal.catalog_column_name(tab, n)), ', ' ORDER BY o)
          FROM unnest(attnums) WITH ORDINALITY AS u(n, o));
COMMENT ON FUNCTION howdah_internal.catalog_column_list(regclass, smallint[]) IS 'Quoted column names for attnums, comma-separated, ready for DDL.';

CREATE FUNCTION howdah_internal.catalog_resolve_type(ref jsonb, what text)
RETURNS regtype
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
-- The type named by `ref`: a string as format_type writes it (schema-qualified outside
-- pg_catalog, modifiers not included) or a type oid. 42704 when there is no such type, 22023
-- for modifiers in the name, pseudo-types and other JSON.
DECLARE
    s text := ref #>> '{}';
    t regtype;
BEGIN
    CASE jsonb_typeof(ref)
    WHEN 'string' THEN
        IF s ~ '[()]' THEN
            RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
                MESSAGE = format('%s: type %L has modifiers in its name', what, s),
                HINT = 'name the type alone and give {"length"}, {"precision", "scale"} or {"fields"} in type_options';
        END IF;
        BEGIN
            t := to_regtype(s);
        EXCEPTION WHEN OTHERS THEN
            t := NULL;  -- not even a type name: reported below like an unknown type
        END;
    WHEN 'number' THEN
        SELECT p.oid::regtype INTO t FROM pg_type p
         WHERE p.oid = howdah_internal.catalog_json_int_value(ref, 1, 4294967295, format('%s: key ''type'' (a type oid)', what))::oid;
    ELSE
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = format('%s: key ''type'' must be a type name (string) or oid (number), got %s', what, coalesce(jsonb_typeof(ref), 'nothing'));
    END CASE;
    IF t IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'undefined_object',
            MESSAGE = format('%s: type %L does not exist', what, s),
            HINT = 'use a name as format_type() writes it (integer, text, numeric, timestamp with time zone, text[]); types outside pg_catalog need their schema; for serial use "identity": true';
    END IF;
    IF (SELECT p.typtype = 'p' OR NOT p.typisdefined FROM pg_type p WHERE p.oid = t) THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = format('%s: %s is a pseudo-type and cannot be a column type', what, t);
    END IF;
    RETURN t;
END;
$$;
COMMENT ON FUNCTION howdah_internal.catalog_resolve_type(jsonb, text) IS 'Resolves a type given by name or oid for a column definition, 42704/22023 naming it otherwise.';
