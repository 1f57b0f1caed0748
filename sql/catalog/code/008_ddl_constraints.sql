-- catalog code 008: constraints listed, added from JSON (primary key, unique, foreign key) and
-- dropped.
--
-- Each change runs as its own statement (howdah_internal.catalog_run in 007), and an error is re-raised
-- with its SQLSTATE and a label naming the change ("alter_columns change 2 (column "price"):
-- ..."). A call is one transaction: when one change fails, none is kept. Ownership of the table
-- is checked before the input is read (42501).

CREATE FUNCTION howdah_internal.catalog_add_constraints(tab regclass, constraints jsonb, what text)
RETURNS oid[]
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
-- Validates every constraint, then adds each with its own statement; returns the new oids in
-- input order.
DECLARE
    defs howdah.con_def[];
    before oid[];
    added oid[] := '{}'::oid[];
BEGIN
    PERFORM howdah_internal.catalog_require_table_owner(tab, 'add constraints');
    IF jsonb_typeof(constraints) IS DISTINCT FROM 'array' THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = format('%s must be a JSON array, got %s', what, coalesce(jsonb_typeof(constraints), 'null'));
    END IF;
    SELECT coalesce(array_agg(howdah_internal.catalog_to_con_def(tab, x, format('%s[%s]', what, o - 1)) ORDER BY o), '{}') INTO defs
      FROM jsonb_array_elements(constraints) WITH ORDINALITY AS e(x, o);
    FOR i IN 1 .. coalesce(array_length(defs, 1), 0) LOOP
        SELECT array_agg(k.oid) INTO before FROM pg_constraint k WHERE k.conrelid = tab;
        PERFORM howdah_internal.catalog_run(format('ALTER TABLE %s ADD %s', tab, howdah_internal.catalog_con_def_sql(tab, defs[i])),
                                    format('%s[%s]', what, i - 1));
        -- The one constraint the statement made; NOT IN over the earlier ones is hashed.
        added := added || (SELECT k.oid FROM pg_constraint k
                            WHERE k.conrelid = tab AND k.oid NOT IN (SELECT unnest(coalesce(before, '{}'))) LIMIT 1);
    END LOOP;
    RETURN added;
END;
$$;
COMMENT ON FUNCTION howdah_internal.catalog_add_constraints(regclass, jsonb, text) IS 'Adds constraints from JSON to a table, naming the failing one in errors.';

CREATE FUNCTION howdah_internal.catalog_fk_action(code "char")
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE code WHEN 'a' THEN 'no action' WHEN 'r' THEN 'restrict' WHEN 'c' THEN 'cascade'
                 WHEN 'n' THEN 'set null' WHEN 'd' THEN 'set default' END;
COMMENT ON FUNCTION howdah_internal.catalog_fk_action("char") IS 'The name of a foreign key action code of pg_constraint.';

CREATE FUNCTION howdah.list_constraints(tab oid)
RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
-- The constraints of a table: [{oid, name, type, columns, referent_table_oid, referent_columns,
-- on_delete, on_update, deferrable, definition}].
DECLARE
    rel regclass := howdah_internal.catalog_visible_table(tab);
BEGIN
    RETURN (SELECT coalesce(jsonb_agg(jsonb_build_object(
                'oid', k.oid::bigint,
                'name', k.conname,
                'type', CASE k.contype WHEN 'p' THEN 'primary_key' WHEN 'u' THEN 'unique' WHEN 'f' THEN 'foreign_key'
                                       WHEN 'c' THEN 'check' WHEN 'x' THEN 'exclusion' WHEN 't' THEN 'trigger' END,
                'columns', to_jsonb(k.conkey),
                'referent_table_oid', nullif(k.confrelid, 0)::bigint,
                'referent_columns', to_jsonb(k.confkey),
                'on_delete', CASE WHEN k.contype = 'f' THEN howdah_internal.catalog_fk_action(k.confdeltype) END,
                'on_update', CASE WHEN k.contype = 'f' THEN howdah_internal.catalog_fk_action(k.confupdtype) END,
                'deferrable', k.condeferrable,
                'definition', pg_get_constraintdef(k.oid)) ORDER BY k.conname), '[]')
              FROM pg_constraint k WHERE k.conrelid = rel);
END;
$$;
COMMENT ON FUNCTION howdah.list_constraints(oid) IS 'The constraints of a table: [{oid, name, type (primary_key, unique, foreign_key, check, exclusion), columns (attnums), referent_table_oid, referent_columns, on_delete, on_update, deferrable, definition}]. Errors: 42P01 unknown table.';

CREATE FUNCTION howdah.add_constraints(tab oid, constraints jsonb)
RETURNS oid[]
LANGUAGE plpgsql VOLATILE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
-- Adds [{name, type, columns, referent_table, referent_columns, on_delete, on_update,
-- deferrable}] and returns the new constraint oids in input order. All or none.
BEGIN
    RETURN howdah_internal.catalog_add_constraints(howdah_internal.catalog_visible_table(tab), constraints, 'add_constraints constraints');
END;
$$;
COMMENT ON FUNCTION howdah.add_constraints(oid, jsonb) IS 'Adds primary key, unique and foreign key constraints from [{name, type, columns, referent_table, referent_columns, on_delete, on_update, deferrable}]; returns their oids. Errors: 42P01 unknown table or referent table, 42501 not an owner of the table (checked before constraints is read) or no REFERENCES on the referent, 42703 unknown column, 22023 bad definition, 42622 name over 63 bytes, 42710 or 42P07 name taken, 42P16 a second primary key, 42830 referent columns without a unique key, 23505/23503 existing rows violate it — each labelled with the constraint.';

CREATE FUNCTION howdah.drop_constraints(tab oid, constraints oid[], "cascade" boolean DEFAULT false)
RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
-- Drops the constraints of table `tab` with these oids (an oid given twice counts once) in one
-- ALTER TABLE, foreign keys first, and returns how many were dropped. Without cascade, a key
-- that a foreign key of another table needs makes the drop fail (2BP01 naming it).
DECLARE
    rel regclass := howdah_internal.catalog_visible_table(tab);
    missing oid;
    clauses text;
BEGIN
    PERFORM howdah_internal.catalog_require_table_owner(rel, 'drop its constraints');
    IF array_position(drop_constraints.constraints, NULL) IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value', MESSAGE = 'drop_constraints: constraints must not hold NULL';
    END IF;
    SELECT u.c INTO missing
      FROM (SELECT DISTINCT c FROM unnest(drop_constraints.constraints) c) u
     WHERE NOT EXISTS (SELECT FROM pg_constraint k WHERE k.oid = u.c AND k.conrelid = rel)
     ORDER BY u.c
     LIMIT 1;
    IF missing IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'undefined_object',
            MESSAGE = format('constraint with oid %s does not exist on table %s', missing, rel),
            HINT = 'list_constraints(table oid) gives the oids';
    END IF;
    SELECT string_agg(format('DROP CONSTRAINT %I %s', k.conname, CASE WHEN "cascade" THEN 'CASCADE' ELSE 'RESTRICT' END),
                      ', ' ORDER BY k.contype <> 'f', k.conname) INTO clauses
      FROM (SELECT DISTINCT c FROM unnest(drop_constraints.constraints) c) u
      JOIN pg_constraint k ON k.oid = u.c AND k.conrelid = rel;
    IF clauses IS NULL THEN
        RETURN 0;
    END IF;
    PERFORM howdah_internal.catalog_run(format('ALTER TABLE %s ', rel) || clauses, 'drop_constraints');
    RETURN (SELECT count(DISTINCT c) FROM unnest(drop_constraints.constraints) c);
END;
$$;
COMMENT ON FUNCTION howdah.drop_constraints(oid, oid[], boolean) IS 'Drops constraints of a table by oid in one statement, all or none: drop_constraints(tab, constraints, cascade = false) returns how many were dropped. Errors: 42P01 unknown table, 42501 not an owner of the table (checked before constraints is read), 42704 a constraint that is not one of the table''s, 22023 a NULL oid, 2BP01 dependents without cascade (a key a foreign key of another table needs).';
