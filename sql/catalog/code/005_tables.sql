-- catalog code 005: tables and columns, described in one call per API request, with the
-- display metadata of 004.
--
-- Errors: 42P01 (undefined_table) for an unknown table oid, 3F000 for an unknown schema oid,
-- naming the oid.

CREATE FUNCTION howdah_internal.catalog_column_rows(tabs oid[])
RETURNS TABLE (attrelid oid, columns json, first_text smallint)
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
-- The columns of many tables in one set-based query: per table, its columns as a JSON array and
-- its first text-like column (for the default preview). A UI asks for a whole schema at once,
-- so this is the hot path of get_schema_table_details; the choices below are measured on
-- 1,000 tables × 20 columns (make bench):
--  * json, not jsonb, while building: nested jsonb_agg re-encodes every level and was 3× slower
--    than building json and converting the finished document once (catalog_tables_json);
--  * column privileges are asked per column only when the table-level privilege is missing;
--  * comments come from a join to pg_description, not col_description() per column.
BEGIN ATOMIC
    SELECT a.attrelid,
           json_agg(json_build_object(
               'attnum', a.attnum,
               'name', a.attname,
               'type', format_type(a.atttypid, NULL),
               'type_display', format_type(a.atttypid, a.atttypmod),
               'type_options', CASE WHEN a.atttypmod < 0 AND t.typcategory <> 'A' AND t.typtype <> 'e' THEN '{}'::json
                   ELSE json_strip_nulls(json_build_object(
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
                       (SELECT json_agg(e.enumlabel ORDER BY e.enumsortorder) FROM pg_enum e WHERE e.enumtypid = t.oid) END)) END,
               'nullable', NOT a.attnotnull,
               'default', pg_get_expr(d.adbin, d.adrelid),
               'identity', a.attidentity <> '',
               'primary_key', coalesce(a.attnum = ANY (pk.conkey), false),
               'description', ds.description,
               'current_role_priv', to_json(array_remove(ARRAY[
                   CASE WHEN tp.sel OR has_column_privilege(a.attrelid, a.attnum, 'SELECT') THEN 'SELECT' END,
                   CASE WHEN tp.ins OR has_column_privilege(a.attrelid, a.attnum, 'INSERT') THEN 'INSERT' END,
                   CASE WHEN tp.upd OR has_column_privilege(a.attrelid, a.attnum, 'UPDATE') THEN 'UPDATE' END,
                   CASE WHEN tp.ref OR has_column_privilege(a.attrelid, a.attnum, 'REFERENCES') THEN 'REFERENCES' END], NULL)),
               -- NULL when none, or when the caller may not read the column (row policies of
               -- catalog_column_metadata, see code/004_metadata.sql).
               'display_options', m.display_options
           ) ORDER BY a.attnum),
           min(a.attnum) FILTER (WHERE t.typcategory = 'S')
      FROM unnest(tabs) AS r(oid)
     CROSS JOIN LATERAL (SELECT has_table_privilege(r.oid, 'SELECT') AS sel, has_table_privilege(r.oid, 'INSERT') AS ins,
                                has_table_privilege(r.oid, 'UPDATE') AS upd, has_table_privilege(r.oid, 'REFERENCES') AS ref) tp
      JOIN pg_attribute a ON a.attrelid = r.oid
      JOIN pg_type t ON t.oid = a.atttypid
      LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
      LEFT JOIN pg_description ds ON ds.objoid = a.attrelid AND ds.classoid = 'pg_class'::regclass AND ds.objsubid = a.attnum
      LEFT JOIN pg_constraint pk ON pk.conrelid = a.attrelid AND pk.contype = 'p'
      LEFT JOIN howdah_internal.catalog_column_metadata m ON m.table_oid = a.attrelid AND m.attnum = a.attnum
     WHERE a.attnum > 0 AND NOT a.attisdropped
     GROUP BY a.attrelid;
END;
COMMENT ON FUNCTION howdah_internal.catalog_column_rows(oid[]) IS 'The columns of many tables at once, as JSON per table, with the first text-like column.';

CREATE FUNCTION howdah_internal.catalog_columns_json(tab oid)
RETURNS jsonb
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
RETURN coalesce((SELECT r.columns FROM howdah_internal.catalog_column_rows(ARRAY[tab]) r)::jsonb, '[]');
COMMENT ON FUNCTION howdah_internal.catalog_columns_json(oid) IS 'The columns of a table with types, type options, defaults, keys, comments, display options and the current role''s column privileges.';

CREATE FUNCTION howdah_internal.catalog_tables_json(tabs oid[], with_columns boolean)
RETURNS jsonb
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
-- The tables `tabs` as the catalog API shows them, ordered by name, with their columns, column
-- order and preview settings when asked; one set-based query, built as json and converted to
-- jsonb once (see catalog_column_rows).
BEGIN ATOMIC
    SELECT CASE WHEN with_columns THEN doc
                ELSE (SELECT coalesce(jsonb_agg(e - ARRAY['columns', 'column_order', 'preview_settings'] ORDER BY i), '[]')
                        FROM jsonb_array_elements(doc) WITH ORDINALITY AS x(e, i)) END
      FROM (
    SELECT coalesce(json_agg(json_build_object(
               'oid', c.oid::bigint,
               'name', c.relname,
               'schema_oid', c.relnamespace::bigint,
               'description', ds.description,
               'kind', CASE c.relkind WHEN 'r' THEN 'table' WHEN 'p' THEN 'partitioned table' WHEN 'v' THEN 'view'
                                      WHEN 'm' THEN 'materialized view' WHEN 'f' THEN 'foreign table' END,
               'owner', c.relowner::regrole,
               'estimated_rows', CASE WHEN c.reltuples >= 0 THEN c.reltuples::bigint END,
               'has_dependents', EXISTS (
                   SELECT FROM pg_depend dep
                    WHERE dep.refclassid = 'pg_class'::regclass AND dep.refobjid = c.oid AND dep.deptype = 'n'
                      AND NOT (dep.classid = 'pg_constraint'::regclass
                               AND EXISTS (SELECT FROM pg_constraint k WHERE k.oid = dep.objid AND k.conrelid = c.oid))),
               'current_role_priv', to_json(array_remove(ARRAY[
                   CASE WHEN has_table_privilege(c.oid, 'SELECT') THEN 'SELECT' END,
                   CASE WHEN has_table_privilege(c.oid, 'INSERT') THEN 'INSERT' END,
                   CASE WHEN has_table_privilege(c.oid, 'UPDATE') THEN 'UPDATE' END,
                   CASE WHEN has_table_privilege(c.oid, 'DELETE') THEN 'DELETE' END,
                   CASE WHEN has_table_privilege(c.oid, 'TRUNCATE') THEN 'TRUNCATE' END,
                   CASE WHEN has_table_privilege(c.oid, 'REFERENCES') THEN 'REFERENCES' END,
                   CASE WHEN has_table_privilege(c.oid, 'TRIGGER') THEN 'TRIGGER' END], NULL)),
               'current_role_owns', pg_has_role(c.relowner, 'USAGE'),
               'columns', CASE WHEN with_columns THEN coalesce(col.columns, '[]') END,
               -- The table's column_order metadata (attnums), NULL when not set.
               'column_order', meta.j -> 'column_order',
               -- How to show one row of this table where another links to it: the template set
               -- with set_table_metadata, else the first text-like column, else the primary key
               -- columns.
               'preview_settings', CASE WHEN with_columns THEN coalesce(
                   CASE WHEN meta.j ->> 'preview_template' IS NOT NULL
                        THEN jsonb_build_object('customized', true, 'template', meta.j -> 'preview_template') END,
                   jsonb_build_object('customized', false, 'template', coalesce(
                       '{' || col.first_text || '}',
                       (SELECT string_agg('{' || k.attnum || '}', ' ' ORDER BY k.ord)
                          FROM pg_constraint p, unnest(p.conkey) WITH ORDINALITY AS k(attnum, ord)
                         WHERE p.conrelid = c.oid AND p.contype = 'p')))) END
           ) ORDER BY c.relname)::jsonb, '[]') AS doc
      FROM pg_class c
      LEFT JOIN pg_description ds ON ds.objoid = c.oid AND ds.classoid = 'pg_class'::regclass AND ds.objsubid = 0
      LEFT JOIN howdah_internal.catalog_column_rows(CASE WHEN with_columns THEN tabs END) col ON col.attrelid = c.oid
      -- Only tables with metadata pay for the staleness checks of table_meta_json.
      LEFT JOIN howdah_internal.catalog_table_metadata tm ON with_columns AND tm.table_oid = c.oid
     CROSS JOIN LATERAL (SELECT CASE WHEN tm.table_oid IS NOT NULL THEN howdah_internal.catalog_table_meta_json(c.oid) END) AS meta(j)
     WHERE c.oid = ANY (tabs)) AS built(doc);
END;
COMMENT ON FUNCTION howdah_internal.catalog_tables_json(oid[], boolean) IS 'Tables as the catalog API shows them, ordered by name, with columns and preview settings when asked.';

CREATE FUNCTION howdah_internal.catalog_table_json(tab oid, with_columns boolean)
RETURNS jsonb
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
RETURN howdah_internal.catalog_tables_json(ARRAY[tab], with_columns) -> 0;
COMMENT ON FUNCTION howdah_internal.catalog_table_json(oid, boolean) IS 'One table as the catalog API shows it, with its columns and preview settings when asked.';

CREATE FUNCTION howdah_internal.catalog_schema_tables_json(sch oid, with_columns boolean)
RETURNS jsonb
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
-- The table-like relations of schema `sch` (partitions are shown through their parent), as
-- catalog_tables_json shows them; 3F000 for an unknown schema.
BEGIN
    PERFORM howdah_internal.catalog_visible_schema(sch);
    RETURN howdah_internal.catalog_tables_json(ARRAY(
        SELECT c.oid FROM pg_class c
         WHERE c.relnamespace = sch AND c.relkind IN ('r', 'p', 'v', 'm', 'f') AND NOT c.relispartition), with_columns);
END;
$$;
COMMENT ON FUNCTION howdah_internal.catalog_schema_tables_json(oid, boolean) IS 'The tables of a schema for list_tables and get_schema_table_details.';

CREATE FUNCTION howdah.list_tables(sch oid)
RETURNS jsonb
LANGUAGE sql STABLE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
RETURN howdah_internal.catalog_schema_tables_json(sch, false);
COMMENT ON FUNCTION howdah.list_tables(oid) IS 'The tables of a schema: [{oid, name, schema_oid, description, kind, owner, estimated_rows, has_dependents, current_role_priv, current_role_owns}]. Errors: 3F000 unknown schema.';

CREATE FUNCTION howdah.get_schema_table_details(sch oid)
RETURNS jsonb
LANGUAGE sql STABLE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
-- Everything a UI needs to draw a schema, in one round trip.
RETURN howdah_internal.catalog_schema_tables_json(sch, true);
COMMENT ON FUNCTION howdah.get_schema_table_details(oid) IS 'Every table of a schema with its columns (attnum, name, type, type_options, nullable, default, primary_key, description, current_role_priv, display_options), column_order and preview_settings {customized, template}, in one call. Errors: 3F000 unknown schema.';

CREATE FUNCTION howdah.get_table(tab oid)
RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
-- One table with its columns and preview settings.
BEGIN
    RETURN howdah_internal.catalog_table_json(howdah_internal.catalog_visible_table(tab), true);
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
    RETURN howdah_internal.catalog_columns_json(howdah_internal.catalog_visible_table(tab));
END;
$$;
COMMENT ON FUNCTION howdah.list_columns(oid) IS 'The columns of a table, as get_table() shows them. Errors: 42P01 unknown table.';
