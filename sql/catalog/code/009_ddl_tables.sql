-- catalog code 009: tables added from JSON column and constraint definitions, patched (name,
-- comment, column changes) and dropped.
--
-- Each change runs as its own statement (howdah_internal.catalog_run in 007), and an error is re-raised
-- with its SQLSTATE and a label naming the change ("alter_columns change 2 (column "price"):
-- ..."). A call is one transaction: when one change fails, none is kept.

CREATE FUNCTION howdah.add_table(sch oid, name text, columns jsonb DEFAULT NULL, constraints jsonb DEFAULT NULL,
                                 description text DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
-- Creates table `name` in schema `sch` with `columns` (JSON array of column definitions;
-- NULL means one column: id bigint identity primary key), `constraints` (JSON array) and a
-- comment; returns it as get_table does.
DECLARE
    nsp name := howdah_internal.catalog_visible_schema(sch);
    what text := format('add_table %I.%I', nsp, howdah_internal.catalog_check_name(name, 'add_table'));
    tab regclass;
BEGIN
    EXECUTE format('CREATE TABLE %I.%I ()', nsp, name);
    tab := format('%I.%I', nsp, name)::regclass;
    PERFORM howdah_internal.catalog_add_columns(tab,
        coalesce(columns, '[{"name": "id", "type": "bigint", "identity": true, "primary_key": true}]'),
        what || ' columns');
    IF constraints IS NOT NULL THEN
        PERFORM howdah_internal.catalog_add_constraints(tab, constraints, what || ' constraints');
    END IF;
    IF description IS NOT NULL THEN
        EXECUTE format('COMMENT ON TABLE %s IS %L', tab, description);
    END IF;
    RETURN howdah_internal.catalog_table_json(tab, true);
END;
$$;
COMMENT ON FUNCTION howdah.add_table(oid, text, jsonb, jsonb, text) IS 'Creates a table from JSON column and constraint definitions; returns it as get_table() does. Columns: [{name, type, type_options, not_null, default, default_expr, identity, primary_key, description}], default one identity primary key "id". Errors: 3F000 unknown schema, 22023 bad definition (names the key and column), 42704 unknown type, 42622 a table, column or constraint name over 63 bytes, 42703 a constraint names an unknown column, 42P01 unknown referent table, 42P07 table exists, 42701 a column given twice, 42501 no CREATE on the schema, and any other error of a column or constraint keeps its SQLSTATE, labelled with it.';

CREATE FUNCTION howdah.patch_table(tab oid, patch jsonb)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
-- Applies {"name", "description", "columns": [changes as alter_columns takes]} to a table and
-- returns it as get_table does. Keys left out are left alone.
DECLARE
    rel regclass := howdah_internal.catalog_visible_table(tab);
    what text := format('patch_table %s', rel);
    new_name text;
BEGIN
    PERFORM howdah_internal.catalog_require_table_owner(rel, 'change it');
    PERFORM howdah_internal.catalog_check_keys(patch, ARRAY['name', 'description', 'columns'], what);
    new_name := howdah_internal.catalog_json_text(patch, 'name', what);
    IF patch ? 'columns' THEN
        PERFORM howdah_internal.catalog_alter_columns(rel, patch -> 'columns', what || ' columns');
    END IF;
    IF patch ? 'description' THEN
        EXECUTE format('COMMENT ON TABLE %s IS %L', rel, howdah_internal.catalog_json_text(patch, 'description', what));
    END IF;
    IF new_name IS NOT NULL THEN
        PERFORM howdah_internal.catalog_run(format('ALTER TABLE %s RENAME TO %I', rel, howdah_internal.catalog_check_name(new_name, what)),
                                    format('%s, rename to %I', what, new_name));
    END IF;
    RETURN howdah_internal.catalog_table_json(tab, true);
END;
$$;
COMMENT ON FUNCTION howdah.patch_table(oid, jsonb) IS 'Renames, re-comments and changes the columns of a table from {"name", "description", "columns"}; returns it as get_table() does. Errors: 42P01 unknown table, 42501 not an owner of the table (checked before patch is read), 22023 bad patch (names the key), 42703 unknown column, 42704 unknown type, 42622 new name over 63 bytes, 42P07 new name taken, and any error of a column change, labelled with the change.';

CREATE FUNCTION howdah.drop_tables(tables oid[], "cascade" boolean DEFAULT false)
RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
-- Drops the tables, views, materialized views and foreign tables `tables` (an oid given twice
-- counts once), all or none, and returns how many were dropped: one DROP statement per kind of
-- relation (PostgreSQL sorts out the dependencies among the relations of one statement). Without
-- cascade, a statement refused because something depends on its relations (2BP01) is tried
-- again after the others, in case what depends on them is in the list too; objects depending on
-- them that are not in the list make the call fail, naming them.
DECLARE
    stmts text[];
    refused text[];
    stmt text;
    err_msg text;
    err_detail text;
    err_hint text;
    missing oid;
BEGIN
    IF array_position(drop_tables.tables, NULL) IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value', MESSAGE = 'drop_tables: tables must not hold NULL';
    END IF;
    -- One query finds the first oid that is no table the catalog API may touch; catalog_visible_table reports it.
    SELECT u.t INTO missing
      FROM (SELECT DISTINCT t FROM unnest(drop_tables.tables) t) u
     WHERE NOT EXISTS (SELECT FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                        WHERE c.oid = u.t AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
                          AND NOT howdah_internal.catalog_is_hidden_schema(n.nspname))
     ORDER BY u.t LIMIT 1;
    IF missing IS NOT NULL THEN
        PERFORM howdah_internal.catalog_visible_table(missing);
    END IF;
    SELECT array_agg(format('DROP %s %s %s', k.keyword, k.names, CASE WHEN "cascade" THEN 'CASCADE' ELSE 'RESTRICT' END)
                     ORDER BY array_position(ARRAY['VIEW', 'MATERIALIZED VIEW', 'FOREIGN TABLE', 'TABLE'], k.keyword)) INTO stmts
      FROM (SELECT CASE c.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW' WHEN 'f' THEN 'FOREIGN TABLE'
                                  ELSE 'TABLE' END AS keyword,
                   string_agg(c.oid::regclass::text, ', ' ORDER BY c.oid::regclass::text) AS names
              FROM (SELECT DISTINCT t FROM unnest(drop_tables.tables) t) u
              JOIN pg_class c ON c.oid = u.t
             GROUP BY 1) k;
    WHILE cardinality(stmts) > 0 LOOP
        refused := '{}';
        FOREACH stmt IN ARRAY stmts LOOP
            BEGIN
                PERFORM howdah_internal.catalog_run(stmt, 'drop_tables');
            EXCEPTION WHEN dependent_objects_still_exist THEN
                refused := refused || stmt;
                GET STACKED DIAGNOSTICS err_msg = MESSAGE_TEXT, err_detail = PG_EXCEPTION_DETAIL, err_hint = PG_EXCEPTION_HINT;
            END;
        END LOOP;
        IF cardinality(refused) = cardinality(stmts) THEN
            RAISE EXCEPTION USING ERRCODE = 'dependent_objects_still_exist', MESSAGE = err_msg, DETAIL = err_detail, HINT = err_hint;
        END IF;
        stmts := refused;
    END LOOP;
    RETURN (SELECT count(DISTINCT t) FROM unnest(drop_tables.tables) t);
END;
$$;
COMMENT ON FUNCTION howdah.drop_tables(oid[], boolean) IS 'Drops tables, views, materialized views and foreign tables by oid, all or none: drop_tables(tables, cascade = false) returns how many were dropped. Without cascade, dependencies among the listed relations are fine; anything else depending on them refuses the call. Errors: 42P01 unknown table, 22023 a NULL oid, 2BP01 dependents without cascade (names them), 42501 not the owner.';
