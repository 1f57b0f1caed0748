-- catalog code 005: tables and columns, described in one call per API request, with the
-- display metadata of 004.
--
-- Errors: 42P01 (undefined_table) for an unknown table oid, 3F000 for an unknown schema oid,
-- naming the oid.

CREATE FUNCTION howdah_internal.catalog_tables_doc(tabs oid[], with_columns boolean)
RETURNS json
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
-- Planned for each call with `tabs` known: one table gets index lookups, a schema of thousands
-- gets hash joins (a generic plan guesses 10 tables and walks the catalog by index per column).
SET plan_cache_mode = force_custom_plan
-- Compiling this one-off statement (its cost passes jit_above_cost from ~1,000 tables on) takes
-- longer than running it.
SET jit = off
AS $$
-- The tables `tabs` as the catalog API shows them, ordered by name, with their columns, column
-- order and preview settings when `with_columns` (the keys are null otherwise). One statement,
-- the hot path of get_schema_table_details; what it does is measured on 1,000 tables × 20
-- columns (make bench, docs/catalog.md):
--  * json, never jsonb: converting the finished 6 MB document to jsonb, and printing it, cost
--    more than building it;
--  * the current role's privileges are asked once per table; a column's equal its table's
--    unless the column has an ACL of its own (attacl), and only then is it asked per column
--    (has_column_privilege is the table's privilege OR the column's, and a NULL attacl grants
--    nothing);
--  * comments, defaults and keys come from joins, not per-row lookups;
--  * columns are written from a template (format), not with json_build_object;
--  * PL/pgSQL, not SQL: a SQL function hands its result on through a tuplestore, which spills
--    a document this size to disk.
BEGIN
    RETURN (
    WITH tab AS MATERIALIZED (
        SELECT p.*,
               -- The privileges its columns get from the table, for columns without an ACL.
               to_json(array_remove(ARRAY[CASE WHEN p.sel THEN 'SELECT' END, CASE WHEN p.ins THEN 'INSERT' END,
                                          CASE WHEN p.upd THEN 'UPDATE' END, CASE WHEN p.ref THEN 'REFERENCES' END], NULL))::text AS col_priv
          FROM (SELECT c.oid, c.relname, c.relnamespace, c.relkind, c.relowner, c.reltuples, pk.conkey AS pk,
                       has_table_privilege(c.oid, 'SELECT') AS sel, has_table_privilege(c.oid, 'INSERT') AS ins,
                       has_table_privilege(c.oid, 'UPDATE') AS upd, has_table_privilege(c.oid, 'REFERENCES') AS ref
                  FROM pg_class c
                  LEFT JOIN pg_constraint pk ON pk.conrelid = c.oid AND pk.contype = 'p'
                 WHERE c.oid = ANY (tabs)
                OFFSET 0) p
    ), col AS (
        -- Each column as JSON text from a template: json_build_object looks up the type of each
        -- of its 24 arguments (the keys too) on every call, 20,000 calls here. Every value is
        -- JSON already (to_json for strings, 'null' for NULL); the columns of a table are
        -- checked as json once, below.
        SELECT a.attrelid,
               string_agg(format('{"attnum":%s,"name":%s,"type":%s,"type_display":%s,"type_options":%s,"nullable":%s,'
                                 '"default":%s,"identity":%s,"primary_key":%s,"description":%s,"current_role_priv":%s,'
                                 '"display_options":%s}',
                   a.attnum::text,
                   to_json(a.attname)::text,
                   to_json(format_type(a.atttypid, NULL))::text,
                   to_json(format_type(a.atttypid, a.atttypmod))::text,
                   CASE WHEN a.atttypmod < 0 AND t.typcategory <> 'A' AND t.typtype <> 'e' THEN '{}'
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
                           (SELECT json_agg(e.enumlabel ORDER BY e.enumsortorder) FROM pg_enum e WHERE e.enumtypid = t.oid) END))::text END,
                   (NOT a.attnotnull)::text,
                   coalesce(to_json(pg_get_expr(d.adbin, d.adrelid))::text, 'null'),
                   (a.attidentity <> '')::text,
                   coalesce(a.attnum = ANY (tab.pk), false)::text,
                   coalesce(to_json(ds.description)::text, 'null'),
                   CASE WHEN a.attacl IS NULL THEN tab.col_priv ELSE to_json(array_remove(ARRAY[
                       CASE WHEN tab.sel OR has_column_privilege(a.attrelid, a.attnum, 'SELECT') THEN 'SELECT' END,
                       CASE WHEN tab.ins OR has_column_privilege(a.attrelid, a.attnum, 'INSERT') THEN 'INSERT' END,
                       CASE WHEN tab.upd OR has_column_privilege(a.attrelid, a.attnum, 'UPDATE') THEN 'UPDATE' END,
                       CASE WHEN tab.ref OR has_column_privilege(a.attrelid, a.attnum, 'REFERENCES') THEN 'REFERENCES' END], NULL))::text END,
                   coalesce(m.display_options::text, 'null')), ',' ORDER BY a.attnum) AS columns,
               min(a.attnum) FILTER (WHERE t.typcategory = 'S') AS first_text
          FROM tab
          JOIN pg_attribute a ON a.attrelid = tab.oid
          JOIN pg_type t ON t.oid = a.atttypid
          LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
          LEFT JOIN pg_description ds ON ds.objoid = a.attrelid AND ds.classoid = 'pg_class'::regclass AND ds.objsubid = a.attnum
          LEFT JOIN howdah_internal.catalog_column_metadata m ON m.table_oid = a.attrelid AND m.attnum = a.attnum
         WHERE with_columns AND a.attnum > 0 AND NOT a.attisdropped
         GROUP BY a.attrelid
    )
    SELECT coalesce(json_agg(json_build_object(
               'oid', tab.oid::bigint,
               'name', tab.relname,
               'schema_oid', tab.relnamespace::bigint,
               'description', ds.description,
               'kind', CASE tab.relkind WHEN 'r' THEN 'table' WHEN 'p' THEN 'partitioned table' WHEN 'v' THEN 'view'
                                        WHEN 'm' THEN 'materialized view' WHEN 'f' THEN 'foreign table' END,
               'owner', tab.relowner::regrole,
               'estimated_rows', CASE WHEN tab.reltuples >= 0 THEN tab.reltuples::bigint END,
               'has_dependents', EXISTS (
                   SELECT FROM pg_depend dep
                    WHERE dep.refclassid = 'pg_class'::regclass AND dep.refobjid = tab.oid AND dep.deptype = 'n'
                      AND NOT (dep.classid = 'pg_constraint'::regclass
                               AND EXISTS (SELECT FROM pg_constraint k WHERE k.oid = dep.objid AND k.conrelid = tab.oid))),
               'current_role_priv', to_json(array_remove(ARRAY[
                   CASE WHEN tab.sel THEN 'SELECT' END,
                   CASE WHEN tab.ins THEN 'INSERT' END,
                   CASE WHEN tab.upd THEN 'UPDATE' END,
                   CASE WHEN has_table_privilege(tab.oid, 'DELETE') THEN 'DELETE' END,
                   CASE WHEN has_table_privilege(tab.oid, 'TRUNCATE') THEN 'TRUNCATE' END,
                   CASE WHEN tab.ref THEN 'REFERENCES' END,
                   CASE WHEN has_table_privilege(tab.oid, 'TRIGGER') THEN 'TRIGGER' END], NULL)),
               'current_role_owns', pg_has_role(tab.relowner, 'USAGE'),
               'columns', CASE WHEN with_columns THEN coalesce(('[' || col.columns || ']')::json, '[]') END,
               -- The table's column_order metadata (attnums), NULL when not set.
               'column_order', meta.j -> 'column_order',
               -- How to show one row of this table where another links to it: the template set
               -- with set_table_metadata, else the first text-like column, else the primary key
               -- columns.
               'preview_settings', CASE WHEN with_columns THEN coalesce(
                   CASE WHEN meta.j ->> 'preview_template' IS NOT NULL
                        THEN json_build_object('customized', true, 'template', meta.j -> 'preview_template') END,
                   json_build_object('customized', false, 'template', coalesce(
                       '{' || col.first_text || '}',
                       (SELECT string_agg('{' || k.attnum || '}', ' ' ORDER BY k.ord)
                          FROM unnest(tab.pk) WITH ORDINALITY AS k(attnum, ord))))) END
           ) ORDER BY tab.relname), '[]')
      FROM tab
      LEFT JOIN pg_description ds ON ds.objoid = tab.oid AND ds.classoid = 'pg_class'::regclass AND ds.objsubid = 0
      LEFT JOIN col ON col.attrelid = tab.oid
      -- Only tables with metadata pay for the staleness checks of table_meta_json.
      LEFT JOIN howdah_internal.catalog_table_metadata tm ON with_columns AND tm.table_oid = tab.oid
     CROSS JOIN LATERAL (SELECT CASE WHEN tm.table_oid IS NOT NULL THEN howdah_internal.catalog_table_meta_json(tab.oid) END) AS meta(j));
END;
$$;
COMMENT ON FUNCTION howdah_internal.catalog_tables_doc(oid[], boolean) IS 'Tables as the catalog API shows them, ordered by name, as one json array, with columns and preview settings when asked.';

CREATE FUNCTION howdah_internal.catalog_tables_json(tabs oid[], with_columns boolean)
RETURNS jsonb
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
-- catalog_tables_doc as jsonb, for the calls that return a few tables; without columns, the
-- keys that only describe columns are left out.
RETURN (SELECT CASE WHEN with_columns THEN d
                    ELSE (SELECT coalesce(jsonb_agg(e - ARRAY['columns', 'column_order', 'preview_settings'] ORDER BY i), '[]')
                            FROM jsonb_array_elements(d) WITH ORDINALITY AS x(e, i)) END
          FROM (SELECT howdah_internal.catalog_tables_doc(tabs, with_columns)::jsonb) AS doc(d));
COMMENT ON FUNCTION howdah_internal.catalog_tables_json(oid[], boolean) IS 'Tables as the catalog API shows them, as jsonb, with columns and preview settings when asked.';

CREATE FUNCTION howdah_internal.catalog_columns_json(tab oid)
RETURNS jsonb
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
RETURN coalesce((howdah_internal.catalog_tables_doc(ARRAY[tab], true) -> 0 -> 'columns')::jsonb, '[]');
COMMENT ON FUNCTION howdah_internal.catalog_columns_json(oid) IS 'The columns of a table with types, type options, defaults, keys, comments, display options and the current role''s column privileges.';

CREATE FUNCTION howdah_internal.catalog_table_json(tab oid, with_columns boolean)
RETURNS jsonb
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
RETURN howdah_internal.catalog_tables_json(ARRAY[tab], with_columns) -> 0;
COMMENT ON FUNCTION howdah_internal.catalog_table_json(oid, boolean) IS 'One table as the catalog API shows it, with its columns and preview settings when asked.';

CREATE FUNCTION howdah_internal.catalog_schema_tables(sch oid)
RETURNS oid[]
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
-- The table-like relations of schema `sch` (partitions are shown through their parent); 3F000
-- for an unknown schema.
BEGIN
    PERFORM howdah_internal.catalog_visible_schema(sch);
    RETURN ARRAY(SELECT c.oid FROM pg_class c
                  WHERE c.relnamespace = sch AND c.relkind IN ('r', 'p', 'v', 'm', 'f') AND NOT c.relispartition);
END;
$$;
COMMENT ON FUNCTION howdah_internal.catalog_schema_tables(oid) IS 'The oids of the tables of a schema that list_tables and get_schema_table_details show, or error 3F000.';

CREATE FUNCTION howdah.list_tables(sch oid)
RETURNS jsonb
LANGUAGE sql STABLE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
RETURN howdah_internal.catalog_tables_json(howdah_internal.catalog_schema_tables(sch), false);
COMMENT ON FUNCTION howdah.list_tables(oid) IS 'The tables of a schema: [{oid, name, schema_oid, description, kind, owner, estimated_rows, has_dependents, current_role_priv, current_role_owns}]. Errors: 3F000 unknown schema.';

CREATE FUNCTION howdah.get_schema_table_details(sch oid)
RETURNS json
LANGUAGE plpgsql STABLE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
-- Everything a UI needs to draw a schema, in one round trip. json rather than jsonb: the
-- document is large (6 MB for 1,000 tables of 20 columns) and only passed on, and jsonb would
-- more than double the time (docs/catalog.md). PL/pgSQL, not SQL: a SQL function would hand
-- the document on through a tuplestore, which spills it to disk.
BEGIN
    RETURN howdah_internal.catalog_tables_doc(howdah_internal.catalog_schema_tables(sch), true);
END;
$$;
COMMENT ON FUNCTION howdah.get_schema_table_details(oid) IS 'Every table of a schema with its columns (attnum, name, type, type_options, nullable, default, primary_key, description, current_role_priv, display_options), column_order and preview_settings {customized, template}, in one call, as json (not jsonb: cast it to use jsonb operators). Errors: 3F000 unknown schema.';

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
