-- catalog 003: tables and columns, described in one call per API request.
--
-- Errors: 42P01 (undefined_table) for an unknown table oid, naming the oid.

CREATE FUNCTION howdah_internal.visible_table(tab oid)
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
       AND NOT howdah_internal.is_hidden_schema(n.nspname);
    IF rel IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'undefined_table',
            MESSAGE = format('table with oid %s does not exist', tab),
            HINT = 'list_tables(schema oid) gives the oids of the tables in a schema';
    END IF;
    RETURN rel;
END;
$$;
COMMENT ON FUNCTION howdah_internal.visible_table(oid) IS 'A table the catalog API may touch, or error 42P01.';

CREATE FUNCTION howdah_internal.columns_json(tab oid)
RETURNS jsonb
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    SELECT coalesce(jsonb_agg(jsonb_build_object(
               'attnum', a.attnum,
               'name', a.attname,
               'type', format_type(a.atttypid, NULL),
               'type_display', format_type(a.atttypid, a.atttypmod),
               'type_options', jsonb_strip_nulls(jsonb_build_object(
                   'precision', CASE
                       WHEN t.typname = 'numeric' AND a.atttypmod >= 4 THEN ((a.atttypmod - 4) >> 16) & 65535
                       WHEN t.typname IN ('timestamp', 'timestamptz', 'time', 'timetz') AND a.atttypmod >= 0 THEN a.atttypmod
                       WHEN t.typname = 'interval' AND a.atttypmod >= 0 AND (a.atttypmod & 65535) <> 65535 THEN a.atttypmod & 65535 END,
                   'scale', CASE WHEN t.typname = 'numeric' AND a.atttypmod >= 4 THEN (a.atttypmod - 4) & 65535 END,
                   'length', CASE
                       WHEN t.typname IN ('varchar', 'bpchar') AND a.atttypmod >= 4 THEN a.atttypmod - 4
                       WHEN t.typname IN ('bit', 'varbit') AND a.atttypmod >= 0 THEN a.atttypmod END,
                   'fields', CASE WHEN t.typname = 'interval' AND a.atttypmod >= 0
                                  THEN nullif(substring(format_type(a.atttypid, a.atttypmod) FROM '^interval ([a-z ]+?)(\(|$)'), '') END,
                   'item_type', CASE WHEN t.typcategory = 'A' THEN format_type(t.typelem, NULL) END,
                   'enum_values', CASE WHEN t.typtype = 'e' THEN
                       (SELECT jsonb_agg(e.enumlabel ORDER BY e.enumsortorder) FROM pg_enum e WHERE e.enumtypid = t.oid) END)),
               'nullable', NOT a.attnotnull,
               'default', pg_get_expr(d.adbin, d.adrelid),
               'identity', a.attidentity <> '',
               'primary_key', EXISTS (SELECT FROM pg_constraint k
                                       WHERE k.conrelid = a.attrelid AND k.contype = 'p' AND a.attnum = ANY (k.conkey)),
               'description', col_description(a.attrelid, a.attnum),
               'current_role_priv', to_jsonb(array_remove(ARRAY[
                   CASE WHEN has_column_privilege(a.attrelid, a.attnum, 'SELECT') THEN 'SELECT' END,
                   CASE WHEN has_column_privilege(a.attrelid, a.attnum, 'INSERT') THEN 'INSERT' END,
                   CASE WHEN has_column_privilege(a.attrelid, a.attnum, 'UPDATE') THEN 'UPDATE' END,
                   CASE WHEN has_column_privilege(a.attrelid, a.attnum, 'REFERENCES') THEN 'REFERENCES' END], NULL)),
               -- NULL when none, or when the caller may not read the column (row policies of
               -- column_metadata, see 002_metadata.sql).
               'display_options', m.display_options
           ) ORDER BY a.attnum), '[]')
      FROM pg_attribute a
      JOIN pg_type t ON t.oid = a.atttypid
      LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
      LEFT JOIN howdah_internal.column_metadata m ON m.table_oid = a.attrelid AND m.attnum = a.attnum
     WHERE a.attrelid = tab AND a.attnum > 0 AND NOT a.attisdropped;
END;
COMMENT ON FUNCTION howdah_internal.columns_json(oid) IS 'The columns of a table with types, type options, defaults, keys, comments and the current role''s column privileges.';

CREATE FUNCTION howdah_internal.table_json(tab oid, with_columns boolean)
RETURNS jsonb
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    SELECT jsonb_build_object(
               'oid', c.oid::bigint,
               'name', c.relname,
               'schema_oid', c.relnamespace::bigint,
               'description', obj_description(c.oid, 'pg_class'),
               'kind', CASE c.relkind WHEN 'r' THEN 'table' WHEN 'p' THEN 'partitioned table' WHEN 'v' THEN 'view'
                                      WHEN 'm' THEN 'materialized view' WHEN 'f' THEN 'foreign table' END,
               'owner', c.relowner::regrole,
               'estimated_rows', CASE WHEN c.reltuples >= 0 THEN c.reltuples::bigint END,
               'has_dependents', EXISTS (
                   SELECT FROM pg_depend dep
                    WHERE dep.refclassid = 'pg_class'::regclass AND dep.refobjid = c.oid AND dep.deptype = 'n'
                      AND NOT (dep.classid = 'pg_constraint'::regclass
                               AND EXISTS (SELECT FROM pg_constraint k WHERE k.oid = dep.objid AND k.conrelid = c.oid))),
               'current_role_priv', to_jsonb(array_remove(ARRAY[
                   CASE WHEN has_table_privilege(c.oid, 'SELECT') THEN 'SELECT' END,
                   CASE WHEN has_table_privilege(c.oid, 'INSERT') THEN 'INSERT' END,
                   CASE WHEN has_table_privilege(c.oid, 'UPDATE') THEN 'UPDATE' END,
                   CASE WHEN has_table_privilege(c.oid, 'DELETE') THEN 'DELETE' END,
                   CASE WHEN has_table_privilege(c.oid, 'TRUNCATE') THEN 'TRUNCATE' END,
                   CASE WHEN has_table_privilege(c.oid, 'REFERENCES') THEN 'REFERENCES' END,
                   CASE WHEN has_table_privilege(c.oid, 'TRIGGER') THEN 'TRIGGER' END], NULL)),
               'current_role_owns', pg_has_role(c.relowner, 'USAGE'))
           || CASE WHEN with_columns THEN jsonb_build_object(
               'columns', howdah_internal.columns_json(c.oid),
               -- The table's column_order metadata (attnums), NULL when not set.
               'column_order', meta.j -> 'column_order',
               -- How to show one row of this table where another links to it: the template set
               -- with set_table_metadata, else the first text-like column, else the primary key
               -- columns.
               'preview_settings', coalesce(
                   CASE WHEN meta.j ->> 'preview_template' IS NOT NULL
                        THEN jsonb_build_object('customized', true, 'template', meta.j -> 'preview_template') END,
                   jsonb_build_object('customized', false, 'template', coalesce(
                   (SELECT '{' || a.attnum || '}' FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
                     WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped AND t.typcategory = 'S'
                     ORDER BY a.attnum LIMIT 1),
                   (SELECT string_agg('{' || k.attnum || '}', ' ' ORDER BY k.ord)
                      FROM pg_constraint p, unnest(p.conkey) WITH ORDINALITY AS k(attnum, ord)
                     WHERE p.conrelid = c.oid AND p.contype = 'p')))))
              ELSE '{}' END
      FROM pg_class c
      CROSS JOIN LATERAL (SELECT CASE WHEN with_columns THEN howdah_internal.table_meta_json(c.oid) END) AS meta(j)
     WHERE c.oid = tab;
END;
COMMENT ON FUNCTION howdah_internal.table_json(oid, boolean) IS 'One table as the catalog API shows it, with its columns and preview settings when asked.';

CREATE FUNCTION howdah_internal.schema_tables_json(sch oid, with_columns boolean)
RETURNS jsonb
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
-- The table-like relations of schema `sch` (partitions are shown through their parent), each as
-- table_json shows it; 3F000 for an unknown schema.
BEGIN
    PERFORM howdah_internal.visible_schema(sch);
    RETURN (SELECT coalesce(jsonb_agg(howdah_internal.table_json(c.oid, with_columns) ORDER BY c.relname), '[]')
              FROM pg_class c
             WHERE c.relnamespace = sch AND c.relkind IN ('r', 'p', 'v', 'm', 'f') AND NOT c.relispartition);
END;
$$;
COMMENT ON FUNCTION howdah_internal.schema_tables_json(oid, boolean) IS 'The tables of a schema for list_tables and get_schema_table_details.';

CREATE FUNCTION howdah.list_tables(sch oid)
RETURNS jsonb
LANGUAGE sql STABLE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
RETURN howdah_internal.schema_tables_json(sch, false);
COMMENT ON FUNCTION howdah.list_tables(oid) IS 'The tables of a schema: [{oid, name, schema_oid, description, kind, owner, estimated_rows, has_dependents, current_role_priv, current_role_owns}]. Errors: 3F000 unknown schema.';

CREATE FUNCTION howdah.get_schema_table_details(sch oid)
RETURNS jsonb
LANGUAGE sql STABLE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
-- Everything a UI needs to draw a schema, in one round trip.
RETURN howdah_internal.schema_tables_json(sch, true);
COMMENT ON FUNCTION howdah.get_schema_table_details(oid) IS 'Every table of a schema with its columns (attnum, name, type, type_options, nullable, default, primary_key, description, current_role_priv, display_options), column_order and preview_settings {customized, template}, in one call. Errors: 3F000 unknown schema.';

CREATE FUNCTION howdah.get_table(tab oid)
RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
-- One table with its columns and preview settings.
BEGIN
    RETURN howdah_internal.table_json(howdah_internal.visible_table(tab), true);
END;
$$;
COMMENT ON FUNCTION howdah.get_table(oid) IS 'One table as get_schema_table_details() shows it. Errors: 42P01 unknown table.';

CREATE FUNCTION howdah.list_columns(tab oid)
RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
-- The columns of one table, as get_table shows them.
BEGIN
    RETURN howdah_internal.columns_json(howdah_internal.visible_table(tab));
END;
$$;
COMMENT ON FUNCTION howdah.list_columns(oid) IS 'The columns of a table, as get_table() shows them. Errors: 42P01 unknown table.';

---- create above / drop below ----

DROP FUNCTION howdah.list_columns(oid);
DROP FUNCTION howdah.get_table(oid);
DROP FUNCTION howdah.get_schema_table_details(oid);
DROP FUNCTION howdah.list_tables(oid);
DROP FUNCTION howdah_internal.schema_tables_json(oid, boolean);
DROP FUNCTION howdah_internal.table_json(oid, boolean);
DROP FUNCTION howdah_internal.columns_json(oid);
DROP FUNCTION howdah_internal.visible_table(oid);
