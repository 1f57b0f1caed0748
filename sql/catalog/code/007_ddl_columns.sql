-- catalog code 007: columns added, changed and dropped from JSON (definitions read by 006).
--
-- Each change runs as its own statement (howdah_internal.catalog_run, below), and an error is re-raised
-- with its SQLSTATE and a label naming the change ("alter_columns change 2 (column "price"):
-- ..."). A call is one transaction: when one change fails, none is kept.
--
-- Ownership of the table is checked before the input is read (42501), so a role that may not
-- alter the table pays nothing for a long list; no list is built by copying it once per element.

CREATE FUNCTION howdah_internal.catalog_run(stmt text, label text)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
-- Executes one DDL statement; an error is re-raised with its SQLSTATE, detail and hint and
-- with `label` (the change that failed) in front of its message.
DECLARE
    state text;
    msg text;
    detail text;
    hint text;
BEGIN
    -- Callers build every statement with format('%I', '%L') and regclass.
    PERFORM 'PRAGMA:DISABLE:SECURITY_WARNINGS';
    EXECUTE stmt;
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, msg = MESSAGE_TEXT,
                            detail = PG_EXCEPTION_DETAIL, hint = PG_EXCEPTION_HINT;
    RAISE EXCEPTION USING ERRCODE = state, MESSAGE = label || ': ' || msg,
        DETAIL = coalesce(nullif(detail, ''), 'statement: ' || stmt), HINT = coalesce(nullif(hint, ''), 'nothing was changed');
END;
$$;
COMMENT ON FUNCTION howdah_internal.catalog_run(text, text) IS 'Runs one DDL statement, naming the change in any error.';

CREATE FUNCTION howdah_internal.catalog_add_columns(tab regclass, columns jsonb, what text)
RETURNS smallint[]
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
-- Validates every column, then adds each with its own statement (comments and a primary key
-- over the columns marked primary_key follow); returns the new attnums in input order.
DECLARE
    defs howdah.col_def[];
    d howdah.col_def;
    attnums smallint[] := '{}'::smallint[];
    pk smallint[] := '{}'::smallint[];
    i integer := 0;
BEGIN
    PERFORM howdah_internal.catalog_require_table_owner(tab, 'add columns');
    IF jsonb_typeof(columns) IS DISTINCT FROM 'array' OR jsonb_array_length(columns) = 0 THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = format('%s must be a non-empty JSON array of column definitions', what);
    END IF;
    -- A table has at most 1600 columns: refuse a longer list before validating it.
    IF jsonb_array_length(columns) + (SELECT count(*) FROM pg_attribute a WHERE a.attrelid = tab AND a.attnum > 0) > 1600 THEN
        RAISE EXCEPTION USING ERRCODE = 'too_many_columns',
            MESSAGE = format('%s: table %s would have more than 1600 columns (%s given)', what, tab, jsonb_array_length(columns)),
            HINT = 'dropped columns count too until the table is rewritten (VACUUM FULL does not help; CREATE TABLE AS does)';
    END IF;
    SELECT array_agg(howdah_internal.catalog_to_col_def(x, format('%s[%s]', what, o - 1)) ORDER BY o) INTO defs
      FROM jsonb_array_elements(columns) WITH ORDINALITY AS e(x, o);
    FOREACH d IN ARRAY defs LOOP
        PERFORM howdah_internal.catalog_run(format('ALTER TABLE %s ADD COLUMN %s', tab, howdah_internal.catalog_col_def_sql(d)),
                                    format('%s[%s] (column %s)', what, i, quote_ident(d.name)));
        attnums := attnums || (SELECT a.attnum FROM pg_attribute a WHERE a.attrelid = tab AND a.attname = d.name);
        IF d.description IS NOT NULL THEN
            EXECUTE format('COMMENT ON COLUMN %s.%I IS %L', tab, d.name, d.description);
        END IF;
        IF d.primary_key THEN
            pk := pk || attnums[i + 1];
        END IF;
        i := i + 1;
    END LOOP;
    IF pk <> '{}' THEN
        PERFORM howdah_internal.catalog_run(format('ALTER TABLE %s ADD PRIMARY KEY (%s)', tab, howdah_internal.catalog_column_list(tab, pk)),
                                    format('%s: primary key', what));
    END IF;
    RETURN attnums;
END;
$$;
COMMENT ON FUNCTION howdah_internal.catalog_add_columns(regclass, jsonb, text) IS 'Adds columns from JSON to a table, naming the failing one in errors.';

CREATE FUNCTION howdah_internal.catalog_alter_columns(tab regclass, changes jsonb, what text)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
-- Validates every change, then applies them in order, one statement per change of type,
-- default, not null, comment, drop and name (renames last). Columns are tracked by attnum, so
-- a rename earlier in the list does not confuse a later change.
DECLARE
    ch jsonb;
    label text;
    col smallint;
    cname name;
    typ regtype;
    tm integer;
    i integer := 0;
    plan jsonb[] := '{}'::jsonb[];   -- array_append on a PL/pgSQL array works in place
BEGIN
    PERFORM howdah_internal.catalog_require_table_owner(tab, 'alter its columns');
    IF jsonb_typeof(changes) IS DISTINCT FROM 'array' THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = format('%s must be a JSON array of changes, got %s', what, coalesce(jsonb_typeof(changes), 'null'));
    END IF;
    -- Validate everything first: nothing runs when any change is malformed.
    FOR ch IN SELECT x FROM jsonb_array_elements(changes) x LOOP
        label := format('%s change %s', what, i);
        PERFORM howdah_internal.catalog_check_keys(ch, ARRAY['column', 'name', 'type', 'type_options', 'default',
            'default_expr', 'not_null', 'description', 'drop'], label);
        col := howdah_internal.catalog_column_ref(tab, ch -> 'column', label);
        label := format('%s (column %s)', label, quote_ident(howdah_internal.catalog_column_name(tab, col)));
        typ := NULL;
        tm := -1;
        IF ch ? 'type' THEN
            typ := howdah_internal.catalog_resolve_type(ch -> 'type', label);
            tm := howdah_internal.catalog_typmod_of(typ, howdah_internal.catalog_json_get(ch, 'type_options', 'object', label), label);
        ELSIF ch ? 'type_options' THEN
            RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
                MESSAGE = format('%s: type_options needs type', label);
        END IF;
        IF coalesce(howdah_internal.catalog_json_get(ch, 'drop', 'boolean', label)::boolean, false) AND
           (SELECT count(*) FROM jsonb_object_keys(ch)) > 2 THEN
            RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
                MESSAGE = format('%s: a change that drops a column can do nothing else', label);
        END IF;
        IF ch ? 'default' AND ch ? 'default_expr' THEN
            RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
                MESSAGE = format('%s: give default or default_expr, not both', label);
        END IF;
        -- The change as given, with its values validated and resolved (type oid, typmod, default SQL).
        plan := array_append(plan, ch || jsonb_strip_nulls(jsonb_build_object(
            'label', label, 'attnum', col, 'type', typ::oid, 'typmod', tm,
            'default_expr', CASE WHEN howdah_internal.catalog_json_text(ch, 'default_expr', label) IS NOT NULL
                                 THEN howdah_internal.catalog_default_sql(ch ->> 'default_expr', label) END,
            'name', CASE WHEN ch ? 'name' THEN howdah_internal.catalog_check_name(howdah_internal.catalog_json_text(ch, 'name', label), label) END,
            'not_null', howdah_internal.catalog_json_get(ch, 'not_null', 'boolean', label),
            'description', howdah_internal.catalog_json_text(ch, 'description', label))));
        i := i + 1;
    END LOOP;

    FOREACH ch IN ARRAY plan LOOP
        label := ch ->> 'label';
        col := (ch ->> 'attnum')::smallint;
        -- The name now: an earlier change may have renamed the column (renames run last).
        cname := howdah_internal.catalog_column_name(tab, col);
        IF (ch ->> 'drop')::boolean THEN
            PERFORM howdah_internal.catalog_run(format('ALTER TABLE %s DROP COLUMN %I', tab, cname), label || ', drop');
            CONTINUE;
        END IF;
        IF ch ->> 'type' IS NOT NULL THEN
            typ := (ch ->> 'type')::oid::regtype;
            tm := (ch ->> 'typmod')::integer;
            -- A change that also sets the default drops the old one first, so an old default
            -- that does not cast to the new type is no obstacle.
            PERFORM howdah_internal.catalog_run(format('ALTER TABLE %1$s %4$s ALTER COLUMN %2$I TYPE %3$s USING %2$I::%3$s',
                                               tab, cname, format_type(typ, tm),
                                               CASE WHEN ch ?| ARRAY['default', 'default_expr']
                                                    THEN format('ALTER COLUMN %I DROP DEFAULT,', cname) END),
                                        format('%s, set type %s', label, format_type(typ, tm)));
        END IF;
        IF ch ? 'default' AND jsonb_typeof(ch -> 'default') = 'null' THEN
            PERFORM howdah_internal.catalog_run(format('ALTER TABLE %s ALTER COLUMN %I DROP DEFAULT', tab, cname),
                                        label || ', drop default');
        ELSIF ch ? 'default' THEN
            SELECT a.atttypid, a.atttypmod INTO typ, tm FROM pg_attribute a WHERE a.attrelid = tab AND a.attnum = col;
            PERFORM howdah_internal.catalog_run(format('ALTER TABLE %s ALTER COLUMN %I SET DEFAULT %L::%s', tab,
                                               cname,
                                               howdah_internal.catalog_default_literal(ch -> 'default', typ), format_type(typ, tm)),
                                        label || ', set default');
        ELSIF ch ->> 'default_expr' IS NOT NULL THEN
            PERFORM howdah_internal.catalog_run(format('ALTER TABLE %s ALTER COLUMN %I SET DEFAULT %s', tab,
                                               cname, ch ->> 'default_expr'),
                                        label || ', set default');
        END IF;
        IF ch ->> 'not_null' IS NOT NULL THEN
            PERFORM howdah_internal.catalog_run(format('ALTER TABLE %s ALTER COLUMN %I %s NOT NULL', tab, cname,
                                               CASE WHEN (ch ->> 'not_null')::boolean THEN 'SET' ELSE 'DROP' END),
                                        label || CASE WHEN (ch ->> 'not_null')::boolean THEN ', set not null' ELSE ', drop not null' END);
        END IF;
        IF ch ? 'description' THEN
            EXECUTE format('COMMENT ON COLUMN %s.%I IS %L', tab, cname, ch ->> 'description');
        END IF;
        IF ch ->> 'name' IS NOT NULL AND ch ->> 'name' <> cname THEN
            PERFORM howdah_internal.catalog_run(format('ALTER TABLE %s RENAME COLUMN %I TO %I', tab, cname, ch ->> 'name'),
                                        format('%s, rename to %s', label, quote_ident(ch ->> 'name')));
        END IF;
    END LOOP;
END;
$$;
COMMENT ON FUNCTION howdah_internal.catalog_alter_columns(regclass, jsonb, text) IS 'Applies column changes from JSON, one statement per change, naming the failing one in errors.';

CREATE FUNCTION howdah.add_columns(tab oid, columns jsonb)
RETURNS smallint[]
LANGUAGE plpgsql VOLATILE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
-- Adds columns from a JSON array of column definitions (as add_table takes) and returns their
-- attnums in input order. All or none.
BEGIN
    RETURN howdah_internal.catalog_add_columns(howdah_internal.catalog_visible_table(tab), columns, 'add_columns columns');
END;
$$;
COMMENT ON FUNCTION howdah.add_columns(oid, jsonb) IS 'Adds columns [{name, type, type_options, not_null, default, default_expr, identity, primary_key, description}] and returns their attnums. Errors: 42P01 unknown table, 42501 not an owner of the table (checked before columns is read), 22023 bad definition (names the key and column), 42704 unknown type, 42622 name over 63 bytes, 42701 column exists, 54011 more than 1600 columns, and any other error of an ADD COLUMN keeps its SQLSTATE, labelled with the column (22P02 a default that does not convert, 42P16 a second primary key).';

CREATE FUNCTION howdah.alter_columns(tab oid, changes jsonb)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
-- Applies [{column, name, type, type_options, default, default_expr, not_null, description,
-- drop}] and returns the columns as list_columns does. All or none.
DECLARE
    rel regclass := howdah_internal.catalog_visible_table(tab);
BEGIN
    PERFORM howdah_internal.catalog_alter_columns(rel, changes, 'alter_columns');
    RETURN howdah_internal.catalog_columns_json(rel);
END;
$$;
COMMENT ON FUNCTION howdah.alter_columns(oid, jsonb) IS 'Changes columns from [{column (attnum or name), name, type, type_options, default, default_expr, not_null, description, drop}]: one statement per change, retyping with USING column::type; returns the columns. Errors: 42P01 unknown table, 42501 not an owner of the table (checked before changes is read), 42703 unknown column, 22023 bad change, 42704 unknown type, 42622 new name over 63 bytes, and any error of a statement, labelled with the change (e.g. 22P02 when values do not convert, 42701 a new name taken).';

CREATE FUNCTION howdah.drop_columns(tab oid, attnums smallint[], "cascade" boolean DEFAULT false)
RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
-- Drops the columns with these attnums (an attnum given twice counts once) in one statement and
-- returns how many were dropped. Without cascade, objects that depend on a column (a view, a
-- foreign key of another table) make the drop fail (2BP01 naming them).
DECLARE
    rel regclass := howdah_internal.catalog_visible_table(tab);
    clauses text;
    bad smallint;
    bad_found boolean;
BEGIN
    PERFORM howdah_internal.catalog_require_table_owner(rel, 'drop its columns');
    -- One join resolves the attnums; the first that is no column is reported by catalog_column_ref.
    SELECT u.n, true INTO bad, bad_found
      FROM (SELECT DISTINCT n FROM unnest(attnums) n) u
      LEFT JOIN pg_attribute a ON a.attrelid = rel AND a.attnum = u.n AND a.attnum > 0 AND NOT a.attisdropped
     WHERE a.attnum IS NULL
     ORDER BY u.n NULLS FIRST LIMIT 1;
    IF bad_found THEN
        PERFORM howdah_internal.catalog_column_ref(rel, to_jsonb(bad), 'drop_columns');
    END IF;
    SELECT string_agg(format('DROP COLUMN %I %s', a.attname, CASE WHEN "cascade" THEN 'CASCADE' ELSE 'RESTRICT' END), ', ' ORDER BY a.attnum)
      INTO clauses
      FROM (SELECT DISTINCT n FROM unnest(attnums) n) u
      JOIN pg_attribute a ON a.attrelid = rel AND a.attnum = u.n;
    IF clauses IS NULL THEN
        RETURN 0;
    END IF;
    PERFORM howdah_internal.catalog_run(format('ALTER TABLE %s ', rel) || clauses, 'drop_columns');
    RETURN (SELECT count(DISTINCT n) FROM unnest(attnums) n);
END;
$$;
COMMENT ON FUNCTION howdah.drop_columns(oid, smallint[], boolean) IS 'Drops columns by attnum in one statement, all or none: drop_columns(tab, attnums, cascade = false) returns how many were dropped. Errors: 42P01 unknown table, 42501 not an owner of the table (checked before attnums is read), 42703 unknown attnum, 22023 an attnum below 1 or NULL, 2BP01 dependents without cascade.';
