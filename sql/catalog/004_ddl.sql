-- catalog 004: tables, columns and constraints changed from JSON.
--
-- Every JSON input is first turned into a composite type (howdah.col_def, howdah.con_def) by a
-- validating reader, so an unknown key, a wrong JSON type, an unknown SQL type or a missing field
-- is refused before any DDL runs. Each change then runs as its own statement, and an error is
-- re-raised with its SQLSTATE and a label naming the change ("alter_columns change 2 (column
-- "price"): ..."). A call is one transaction: when one change fails, none is kept.
--
-- SQL expressions are never taken from JSON: defaults are literal values cast to the column's
-- type, or one of a fixed list of functions (default_expr); CHECK constraints are left to psql.

CREATE TYPE howdah.col_def AS (
    name text,
    type regtype,
    typmod integer,
    not_null boolean,
    default_value text,
    default_expr text,
    identity boolean,
    primary_key boolean,
    description text
);
COMMENT ON TYPE howdah.col_def IS 'A validated column definition: the JSON {name, type, type_options, not_null, default, default_expr, identity, primary_key, description} after howdah_internal.to_col_def.';

CREATE TYPE howdah.con_def AS (
    name text,
    kind text,
    columns smallint[],
    referent regclass,
    referent_columns smallint[],
    on_delete text,
    on_update text,
    "deferrable" boolean
);
COMMENT ON TYPE howdah.con_def IS 'A validated constraint definition: the JSON {name, type, columns, referent_table, referent_columns, on_delete, on_update, deferrable} after howdah_internal.to_con_def.';

CREATE FUNCTION howdah_internal.resolve_column(tab regclass, col jsonb, what text,
                                              OUT col_num smallint, OUT col_name name, OUT col_type oid)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
-- Resolves a column reference of table `tab`: a JSON number is an attnum, a JSON string a
-- column name. Returns its attnum, name and type. `what` names the input in messages.
BEGIN
    CASE jsonb_typeof(col)
    WHEN 'number' THEN
        col_num := howdah_internal.json_int_value(col, 1, 32767, format('%s (a column attnum)', what));
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
COMMENT ON FUNCTION howdah_internal.resolve_column(regclass, jsonb, text) IS 'Resolves a column given by attnum (JSON number) or name (JSON string) to its attnum, name and type. Errors: 42703 unknown column (naming it and the table), 22023 neither a number nor a string.';

CREATE FUNCTION howdah_internal.column_ref(tab regclass, ref jsonb, what text)
RETURNS smallint
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
RETURN (howdah_internal.resolve_column(tab, ref, what)).col_num;
COMMENT ON FUNCTION howdah_internal.column_ref(regclass, jsonb, text) IS 'The attnum of a column given by attnum or name. Errors: as resolve_column.';

CREATE FUNCTION howdah_internal.column_name(tab regclass, attnum smallint)
RETURNS name
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
RETURN (SELECT a.attname FROM pg_attribute a WHERE a.attrelid = tab AND a.attnum = column_name.attnum);
COMMENT ON FUNCTION howdah_internal.column_name(regclass, smallint) IS 'The current name of a column (NULL when there is none).';

CREATE FUNCTION howdah_internal.column_list(tab regclass, attnums smallint[])
RETURNS text
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
RETURN (SELECT string_agg(quote_ident(howdah_internal.column_name(tab, n)), ', ' ORDER BY o)
          FROM unnest(attnums) WITH ORDINALITY AS u(n, o));
COMMENT ON FUNCTION howdah_internal.column_list(regclass, smallint[]) IS 'Quoted column names for attnums, comma-separated, ready for DDL.';

CREATE FUNCTION howdah_internal.resolve_type(ref jsonb, what text)
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
         WHERE p.oid = howdah_internal.json_int_value(ref, 1, 4294967295, format('%s: key ''type'' (a type oid)', what))::oid;
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
COMMENT ON FUNCTION howdah_internal.resolve_type(jsonb, text) IS 'Resolves a type given by name or oid for a column definition, 42704/22023 naming it otherwise.';

CREATE FUNCTION howdah_internal.typmod_of(typ regtype, opts jsonb, what text)
RETURNS integer
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
-- The type modifier that type_options {length | precision, scale | fields, precision} describe
-- for `typ` (or its element type for arrays), encoded as PostgreSQL stores it in atttypmod, so
-- format_type(typ, typmod) writes the canonical type; -1 when there are no options. The
-- encodings are the inverse of the decoding in howdah_internal.columns_json.
DECLARE
    base name;
    allowed text[];
    prec bigint;
    scale bigint;
    fields text;
    range_mask integer;
BEGIN
    IF opts IS NULL OR opts = '{}' THEN
        RETURN -1;
    END IF;
    SELECT CASE WHEN t.typcategory = 'A' AND t.typelem <> 0 THEN e.typname ELSE t.typname END INTO base
      FROM pg_type t LEFT JOIN pg_type e ON e.oid = t.typelem
     WHERE t.oid = typ;
    allowed := CASE
        WHEN base = 'numeric' THEN ARRAY['precision', 'scale']
        WHEN base IN ('varchar', 'bpchar', 'bit', 'varbit') THEN ARRAY['length']
        WHEN base IN ('timestamp', 'timestamptz', 'time', 'timetz') THEN ARRAY['precision']
        WHEN base = 'interval' THEN ARRAY['fields', 'precision']
        ELSE '{}' END;
    IF allowed = '{}' THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = format('%s: type %s takes no type_options', what, typ);
    END IF;
    PERFORM howdah_internal.check_keys(opts, allowed, what || ' type_options');
    CASE
    WHEN base = 'numeric' THEN
        prec := howdah_internal.json_int(opts, 'precision', 1, 1000, what || ' type_options');
        scale := howdah_internal.json_int(opts, 'scale', 0, 1000, what || ' type_options');
        IF prec IS NULL OR scale > prec THEN
            RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
                MESSAGE = format('%s: numeric needs a precision, and a scale no larger than it', what);
        END IF;
        RETURN ((prec << 16) | coalesce(scale, 0)) + 4;
    WHEN base IN ('varchar', 'bpchar') THEN
        RETURN howdah_internal.json_int(opts, 'length', 1, 10485760, what || ' type_options') + 4;
    WHEN base IN ('bit', 'varbit') THEN
        RETURN howdah_internal.json_int(opts, 'length', 1, 83886080, what || ' type_options');
    WHEN base = 'interval' THEN
        fields := lower(howdah_internal.json_text(opts, 'fields', what || ' type_options'));
        prec := howdah_internal.json_int(opts, 'precision', 0, 6, what || ' type_options');
        -- Field bits as in PostgreSQL's datetime.h (YEAR 4, MONTH 2, DAY 8, HOUR 1024,
        -- MINUTE 2048, SECOND 4096); 32767 is "all fields".
        range_mask := CASE fields
            WHEN 'year' THEN 4 WHEN 'month' THEN 2 WHEN 'day' THEN 8 WHEN 'hour' THEN 1024
            WHEN 'minute' THEN 2048 WHEN 'second' THEN 4096 WHEN 'year to month' THEN 6
            WHEN 'day to hour' THEN 1032 WHEN 'day to minute' THEN 3080 WHEN 'day to second' THEN 7176
            WHEN 'hour to minute' THEN 3072 WHEN 'hour to second' THEN 7168 WHEN 'minute to second' THEN 6144 END;
        IF fields IS NULL THEN
            range_mask := 32767;
        ELSIF range_mask IS NULL THEN
            RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
                MESSAGE = format('%s: %L is not an interval fields phrase', what, fields),
                HINT = 'use year, month, day, hour, minute, second, or "<a> to <b>" such as "day to second"';
        END IF;
        IF prec IS NOT NULL AND range_mask & 4096 = 0 THEN
            RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
                MESSAGE = format('%s: interval precision applies only when the fields include second', what);
        END IF;
        RETURN (range_mask << 16) | coalesce(prec, 65535)::integer;
    ELSE
        RETURN howdah_internal.json_int(opts, 'precision', 0, 6, what || ' type_options');
    END CASE;
END;
$$;
COMMENT ON FUNCTION howdah_internal.typmod_of(regtype, jsonb, text) IS 'Encodes type_options as a type modifier (atttypmod) for a type, 22023 naming bad options.';

CREATE FUNCTION howdah_internal.default_sql(expr text, what text)
RETURNS text
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
-- The SQL of an allowed default_expr name; 22023 for anything else (SQL is never taken from JSON).
DECLARE
    known CONSTANT jsonb := '{"now": "now()", "current_timestamp": "CURRENT_TIMESTAMP",
        "current_date": "CURRENT_DATE", "current_time": "CURRENT_TIME", "localtimestamp": "LOCALTIMESTAMP",
        "clock_timestamp": "clock_timestamp()", "statement_timestamp": "statement_timestamp()",
        "gen_random_uuid": "gen_random_uuid()", "current_user": "CURRENT_USER", "random": "random()"}'::jsonb;
    sql text := known ->> regexp_replace(lower(btrim(expr)), '\(\)$', '');
BEGIN
    IF sql IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = format('%s: default_expr %L is not one of the allowed functions', what, expr),
            HINT = 'allowed: ' || (SELECT string_agg(k, ', ' ORDER BY k) FROM jsonb_object_keys(known) k)
                   || '; for a constant use "default"';
    END IF;
    RETURN sql;
END;
$$;
COMMENT ON FUNCTION howdah_internal.default_sql(text, text) IS 'Maps a default_expr name to its SQL from a fixed list.';

CREATE FUNCTION howdah_internal.default_literal(v jsonb, typ regtype)
RETURNS text
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
-- The text a JSON default is cast from: a string as is, other values as JSON text; json and
-- jsonb columns always take the JSON text, so "abc" becomes the JSON string "abc".
RETURN CASE WHEN jsonb_typeof(v) = 'string' AND typ NOT IN ('json'::regtype, 'jsonb'::regtype) THEN v #>> '{}'
            ELSE v::text END;
COMMENT ON FUNCTION howdah_internal.default_literal(jsonb, regtype) IS 'The literal text of a JSON default value for a column type.';


CREATE FUNCTION howdah_internal.to_col_def(j jsonb, what text)
RETURNS howdah.col_def
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
-- Validates one JSON column definition and returns it as howdah.col_def. `what` names the
-- input in errors; the column's name is added to it once known.
DECLARE
    c howdah.col_def;
    label text;
BEGIN
    PERFORM howdah_internal.check_keys(j, ARRAY['name', 'type', 'type_options', 'not_null', 'default',
        'default_expr', 'identity', 'primary_key', 'description'], what);
    c.name := howdah_internal.check_name(howdah_internal.json_text(j, 'name', what), what);
    label := format('%s (column %s)', what, quote_ident(c.name));
    IF j -> 'type' IS NULL OR j -> 'type' = 'null' THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value', MESSAGE = format('%s: key ''type'' is required', label);
    END IF;
    c.type := howdah_internal.resolve_type(j -> 'type', label);
    c.typmod := howdah_internal.typmod_of(c.type, howdah_internal.json_get(j, 'type_options', 'object', label), label);
    c.not_null := coalesce(howdah_internal.json_get(j, 'not_null', 'boolean', label)::boolean, false);
    c.identity := coalesce(howdah_internal.json_get(j, 'identity', 'boolean', label)::boolean, false);
    c.primary_key := coalesce(howdah_internal.json_get(j, 'primary_key', 'boolean', label)::boolean, false);
    c.description := howdah_internal.json_text(j, 'description', label);
    IF jsonb_typeof(j -> 'default') <> 'null' THEN
        c.default_value := howdah_internal.default_literal(j -> 'default', c.type);
    END IF;
    IF howdah_internal.json_text(j, 'default_expr', label) IS NOT NULL THEN
        c.default_expr := howdah_internal.default_sql(j ->> 'default_expr', label);
    END IF;
    IF num_nonnulls(c.default_value, c.default_expr, nullif(c.identity, false)) > 1 THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = format('%s: give at most one of default, default_expr and identity', label);
    END IF;
    IF c.identity AND c.type NOT IN ('smallint'::regtype, 'integer'::regtype, 'bigint'::regtype) THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = format('%s: identity needs smallint, integer or bigint, not %s', label, c.type);
    END IF;
    RETURN c;
END;
$$;
COMMENT ON FUNCTION howdah_internal.to_col_def(jsonb, text) IS 'Validates a JSON column definition into howdah.col_def (22023/42704/42622 naming the key and column).';

CREATE FUNCTION howdah_internal.col_def_sql(c howdah.col_def)
RETURNS text
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
-- The column clause of CREATE TABLE / ADD COLUMN. format_type quotes what needs quoting;
-- defaults are literals (%L) cast to the type, or SQL from default_sql's fixed list.
RETURN format('%I %s', c.name, format_type(c.type, c.typmod))
    || CASE WHEN c.not_null THEN ' NOT NULL' ELSE '' END
    || CASE WHEN c.identity THEN ' GENERATED BY DEFAULT AS IDENTITY'
            WHEN c.default_value IS NOT NULL THEN format(' DEFAULT %L::%s', c.default_value, format_type(c.type, c.typmod))
            WHEN c.default_expr IS NOT NULL THEN ' DEFAULT ' || c.default_expr
            ELSE '' END;
COMMENT ON FUNCTION howdah_internal.col_def_sql(howdah.col_def) IS 'Renders a validated column definition as DDL.';

CREATE FUNCTION howdah_internal.run(stmt text, label text)
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
COMMENT ON FUNCTION howdah_internal.run(text, text) IS 'Runs one DDL statement, naming the change in any error.';

CREATE FUNCTION howdah_internal.to_con_def(tab regclass, j jsonb, what text)
RETURNS howdah.con_def
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
-- Validates one JSON constraint definition on `tab`: {name, type: primary_key | unique |
-- foreign_key, columns, referent_table (oid), referent_columns (default: its primary key),
-- on_delete, on_update, deferrable}.
DECLARE
    c howdah.con_def;
    cols jsonb;
    actions CONSTANT text[] := ARRAY['no action', 'restrict', 'cascade', 'set null', 'set default'];
BEGIN
    PERFORM howdah_internal.check_keys(j, ARRAY['name', 'type', 'columns', 'referent_table',
        'referent_columns', 'on_delete', 'on_update', 'deferrable'], what);
    c.name := howdah_internal.json_text(j, 'name', what);
    IF c.name IS NOT NULL THEN
        PERFORM howdah_internal.check_name(c.name, what);
        what := format('%s (constraint %s)', what, quote_ident(c.name));
    END IF;
    c.kind := howdah_internal.json_text(j, 'type', what);
    IF c.kind IS NULL OR c.kind NOT IN ('primary_key', 'unique', 'foreign_key') THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = format('%s: key ''type'' must be primary_key, unique or foreign_key, got %s', what, coalesce(j ->> 'type', 'nothing')),
            HINT = CASE WHEN j ->> 'type' IN ('check', 'exclusion') THEN 'constraints with SQL expressions are not taken from JSON; add them with psql' END;
    END IF;
    cols := howdah_internal.json_get(j, 'columns', 'array', what);
    IF cols IS NULL OR jsonb_array_length(cols) = 0 THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value', MESSAGE = format('%s: key ''columns'' needs at least one column', what);
    END IF;
    SELECT array_agg(howdah_internal.column_ref(tab, x, what) ORDER BY o) INTO c.columns
      FROM jsonb_array_elements(cols) WITH ORDINALITY AS e(x, o);
    c."deferrable" := coalesce(howdah_internal.json_get(j, 'deferrable', 'boolean', what)::boolean, false);
    IF c.kind <> 'foreign_key' THEN
        IF j ?| ARRAY['referent_table', 'referent_columns', 'on_delete', 'on_update'] THEN
            RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
                MESSAGE = format('%s: referent_table, referent_columns, on_delete and on_update apply to foreign_key only', what);
        END IF;
        RETURN c;
    END IF;
    c.referent := howdah_internal.visible_table(howdah_internal.json_int(j, 'referent_table', 1, 4294967295, what)::oid);
    cols := howdah_internal.json_get(j, 'referent_columns', 'array', what);
    IF cols IS NULL THEN
        SELECT k.conkey INTO c.referent_columns FROM pg_constraint k WHERE k.conrelid = c.referent AND k.contype = 'p';
        IF c.referent_columns IS NULL THEN
            RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
                MESSAGE = format('%s: %s has no primary key; give referent_columns', what, c.referent);
        END IF;
    ELSE
        SELECT array_agg(howdah_internal.column_ref(c.referent, x, what) ORDER BY o) INTO c.referent_columns
          FROM jsonb_array_elements(cols) WITH ORDINALITY AS e(x, o);
    END IF;
    c.on_delete := lower(coalesce(howdah_internal.json_text(j, 'on_delete', what), 'no action'));
    c.on_update := lower(coalesce(howdah_internal.json_text(j, 'on_update', what), 'no action'));
    IF NOT (c.on_delete = ANY (actions) AND c.on_update = ANY (actions)) THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = format('%s: on_delete and on_update must be one of %s', what, array_to_string(actions, ', '));
    END IF;
    RETURN c;
END;
$$;
COMMENT ON FUNCTION howdah_internal.to_con_def(regclass, jsonb, text) IS 'Validates a JSON constraint definition into howdah.con_def (22023/42703 naming the key and column).';

CREATE FUNCTION howdah_internal.con_def_sql(tab regclass, c howdah.con_def)
RETURNS text
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
-- The table constraint clause of a validated definition; actions come from a fixed list.
RETURN CASE WHEN c.name IS NOT NULL THEN format('CONSTRAINT %I ', c.name) ELSE '' END
    || CASE c.kind WHEN 'primary_key' THEN 'PRIMARY KEY' WHEN 'unique' THEN 'UNIQUE' ELSE 'FOREIGN KEY' END
    || ' (' || howdah_internal.column_list(tab, c.columns) || ')'
    || CASE WHEN c.kind = 'foreign_key' THEN
           format(' REFERENCES %s (%s) ON DELETE %s ON UPDATE %s', c.referent,
                  howdah_internal.column_list(c.referent, c.referent_columns), upper(c.on_delete), upper(c.on_update))
       ELSE '' END
    || CASE WHEN c."deferrable" THEN ' DEFERRABLE' ELSE '' END;
COMMENT ON FUNCTION howdah_internal.con_def_sql(regclass, howdah.con_def) IS 'Renders a validated constraint definition as DDL.';

CREATE FUNCTION howdah_internal.add_constraints(tab regclass, constraints jsonb, what text)
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
    IF jsonb_typeof(constraints) IS DISTINCT FROM 'array' THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = format('%s must be a JSON array, got %s', what, coalesce(jsonb_typeof(constraints), 'null'));
    END IF;
    SELECT coalesce(array_agg(howdah_internal.to_con_def(tab, x, format('%s[%s]', what, o - 1)) ORDER BY o), '{}') INTO defs
      FROM jsonb_array_elements(constraints) WITH ORDINALITY AS e(x, o);
    FOR i IN 1 .. coalesce(array_length(defs, 1), 0) LOOP
        SELECT array_agg(k.oid) INTO before FROM pg_constraint k WHERE k.conrelid = tab;
        PERFORM howdah_internal.run(format('ALTER TABLE %s ADD %s', tab, howdah_internal.con_def_sql(tab, defs[i])),
                                    format('%s[%s]', what, i - 1));
        added := added || (SELECT k.oid FROM pg_constraint k
                            WHERE k.conrelid = tab AND k.oid <> ALL (coalesce(before, '{}')) LIMIT 1);
    END LOOP;
    RETURN added;
END;
$$;
COMMENT ON FUNCTION howdah_internal.add_constraints(regclass, jsonb, text) IS 'Adds constraints from JSON to a table, naming the failing one in errors.';

CREATE FUNCTION howdah_internal.add_columns(tab regclass, columns jsonb, what text)
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
    IF jsonb_typeof(columns) IS DISTINCT FROM 'array' OR jsonb_array_length(columns) = 0 THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = format('%s must be a non-empty JSON array of column definitions', what);
    END IF;
    SELECT array_agg(howdah_internal.to_col_def(x, format('%s[%s]', what, o - 1)) ORDER BY o) INTO defs
      FROM jsonb_array_elements(columns) WITH ORDINALITY AS e(x, o);
    FOREACH d IN ARRAY defs LOOP
        PERFORM howdah_internal.run(format('ALTER TABLE %s ADD COLUMN %s', tab, howdah_internal.col_def_sql(d)),
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
        PERFORM howdah_internal.run(format('ALTER TABLE %s ADD PRIMARY KEY (%s)', tab, howdah_internal.column_list(tab, pk)),
                                    format('%s: primary key', what));
    END IF;
    RETURN attnums;
END;
$$;
COMMENT ON FUNCTION howdah_internal.add_columns(regclass, jsonb, text) IS 'Adds columns from JSON to a table, naming the failing one in errors.';

CREATE FUNCTION howdah_internal.alter_columns(tab regclass, changes jsonb, what text)
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
    plan jsonb := '[]'::jsonb;
BEGIN
    IF jsonb_typeof(changes) IS DISTINCT FROM 'array' THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = format('%s must be a JSON array of changes, got %s', what, coalesce(jsonb_typeof(changes), 'null'));
    END IF;
    -- Validate everything first: nothing runs when any change is malformed.
    FOR ch IN SELECT x FROM jsonb_array_elements(changes) x LOOP
        label := format('%s change %s', what, i);
        PERFORM howdah_internal.check_keys(ch, ARRAY['column', 'name', 'type', 'type_options', 'default',
            'default_expr', 'not_null', 'description', 'drop'], label);
        col := howdah_internal.column_ref(tab, ch -> 'column', label);
        label := format('%s (column %s)', label, quote_ident(howdah_internal.column_name(tab, col)));
        typ := NULL;
        tm := -1;
        IF ch ? 'type' THEN
            typ := howdah_internal.resolve_type(ch -> 'type', label);
            tm := howdah_internal.typmod_of(typ, howdah_internal.json_get(ch, 'type_options', 'object', label), label);
        ELSIF ch ? 'type_options' THEN
            RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
                MESSAGE = format('%s: type_options needs type', label);
        END IF;
        IF coalesce(howdah_internal.json_get(ch, 'drop', 'boolean', label)::boolean, false) AND
           (SELECT count(*) FROM jsonb_object_keys(ch)) > 2 THEN
            RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
                MESSAGE = format('%s: a change that drops a column can do nothing else', label);
        END IF;
        IF ch ? 'default' AND ch ? 'default_expr' THEN
            RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
                MESSAGE = format('%s: give default or default_expr, not both', label);
        END IF;
        -- The change as given, with its values validated and resolved (type oid, typmod, default SQL).
        plan := plan || jsonb_build_array(ch || jsonb_strip_nulls(jsonb_build_object(
            'label', label, 'attnum', col, 'type', typ::oid, 'typmod', tm,
            'default_expr', CASE WHEN howdah_internal.json_text(ch, 'default_expr', label) IS NOT NULL
                                 THEN howdah_internal.default_sql(ch ->> 'default_expr', label) END,
            'name', CASE WHEN ch ? 'name' THEN howdah_internal.check_name(howdah_internal.json_text(ch, 'name', label), label) END,
            'not_null', howdah_internal.json_get(ch, 'not_null', 'boolean', label),
            'description', howdah_internal.json_text(ch, 'description', label))));
        i := i + 1;
    END LOOP;

    FOR ch IN SELECT x FROM jsonb_array_elements(plan) x LOOP
        label := ch ->> 'label';
        col := (ch ->> 'attnum')::smallint;
        -- The name now: an earlier change may have renamed the column (renames run last).
        cname := howdah_internal.column_name(tab, col);
        IF (ch ->> 'drop')::boolean THEN
            PERFORM howdah_internal.run(format('ALTER TABLE %s DROP COLUMN %I', tab, cname), label || ', drop');
            CONTINUE;
        END IF;
        IF ch ->> 'type' IS NOT NULL THEN
            typ := (ch ->> 'type')::oid::regtype;
            tm := (ch ->> 'typmod')::integer;
            -- A change that also sets the default drops the old one first, so an old default
            -- that does not cast to the new type is no obstacle.
            PERFORM howdah_internal.run(format('ALTER TABLE %1$s %4$s ALTER COLUMN %2$I TYPE %3$s USING %2$I::%3$s',
                                               tab, cname, format_type(typ, tm),
                                               CASE WHEN ch ?| ARRAY['default', 'default_expr']
                                                    THEN format('ALTER COLUMN %I DROP DEFAULT,', cname) END),
                                        format('%s, set type %s', label, format_type(typ, tm)));
        END IF;
        IF ch ? 'default' AND jsonb_typeof(ch -> 'default') = 'null' THEN
            PERFORM howdah_internal.run(format('ALTER TABLE %s ALTER COLUMN %I DROP DEFAULT', tab, cname),
                                        label || ', drop default');
        ELSIF ch ? 'default' THEN
            SELECT a.atttypid, a.atttypmod INTO typ, tm FROM pg_attribute a WHERE a.attrelid = tab AND a.attnum = col;
            PERFORM howdah_internal.run(format('ALTER TABLE %s ALTER COLUMN %I SET DEFAULT %L::%s', tab,
                                               cname,
                                               howdah_internal.default_literal(ch -> 'default', typ), format_type(typ, tm)),
                                        label || ', set default');
        ELSIF ch ->> 'default_expr' IS NOT NULL THEN
            PERFORM howdah_internal.run(format('ALTER TABLE %s ALTER COLUMN %I SET DEFAULT %s', tab,
                                               cname, ch ->> 'default_expr'),
                                        label || ', set default');
        END IF;
        IF ch ->> 'not_null' IS NOT NULL THEN
            PERFORM howdah_internal.run(format('ALTER TABLE %s ALTER COLUMN %I %s NOT NULL', tab, cname,
                                               CASE WHEN (ch ->> 'not_null')::boolean THEN 'SET' ELSE 'DROP' END),
                                        label || CASE WHEN (ch ->> 'not_null')::boolean THEN ', set not null' ELSE ', drop not null' END);
        END IF;
        IF ch ? 'description' THEN
            EXECUTE format('COMMENT ON COLUMN %s.%I IS %L', tab, cname, ch ->> 'description');
        END IF;
        IF ch ->> 'name' IS NOT NULL AND ch ->> 'name' <> cname THEN
            PERFORM howdah_internal.run(format('ALTER TABLE %s RENAME COLUMN %I TO %I', tab, cname, ch ->> 'name'),
                                        format('%s, rename to %s', label, quote_ident(ch ->> 'name')));
        END IF;
    END LOOP;
END;
$$;
COMMENT ON FUNCTION howdah_internal.alter_columns(regclass, jsonb, text) IS 'Applies column changes from JSON, one statement per change, naming the failing one in errors.';

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
    nsp name := howdah_internal.visible_schema(sch);
    what text := format('add_table %I.%I', nsp, howdah_internal.check_name(name, 'add_table'));
    tab regclass;
BEGIN
    EXECUTE format('CREATE TABLE %I.%I ()', nsp, name);
    tab := format('%I.%I', nsp, name)::regclass;
    PERFORM howdah_internal.add_columns(tab,
        coalesce(columns, '[{"name": "id", "type": "bigint", "identity": true, "primary_key": true}]'),
        what || ' columns');
    IF constraints IS NOT NULL THEN
        PERFORM howdah_internal.add_constraints(tab, constraints, what || ' constraints');
    END IF;
    IF description IS NOT NULL THEN
        EXECUTE format('COMMENT ON TABLE %s IS %L', tab, description);
    END IF;
    RETURN howdah_internal.table_json(tab, true);
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
    rel regclass := howdah_internal.visible_table(tab);
    what text := format('patch_table %s', rel);
    new_name text;
BEGIN
    PERFORM howdah_internal.check_keys(patch, ARRAY['name', 'description', 'columns'], what);
    new_name := howdah_internal.json_text(patch, 'name', what);
    IF patch ? 'columns' THEN
        PERFORM howdah_internal.alter_columns(rel, patch -> 'columns', what || ' columns');
    END IF;
    IF patch ? 'description' THEN
        EXECUTE format('COMMENT ON TABLE %s IS %L', rel, howdah_internal.json_text(patch, 'description', what));
    END IF;
    IF new_name IS NOT NULL THEN
        PERFORM howdah_internal.run(format('ALTER TABLE %s RENAME TO %I', rel, howdah_internal.check_name(new_name, what)),
                                    format('%s, rename to %I', what, new_name));
    END IF;
    RETURN howdah_internal.table_json(tab, true);
END;
$$;
COMMENT ON FUNCTION howdah.patch_table(oid, jsonb) IS 'Renames, re-comments and changes the columns of a table from {"name", "description", "columns"}; returns it as get_table() does. Errors: 42P01 unknown table, 22023 bad patch (names the key), 42703 unknown column, 42704 unknown type, 42622 new name over 63 bytes, 42P07 new name taken, 42501 not the owner, and any error of a column change, labelled with the change.';

CREATE FUNCTION howdah.drop_table(tab oid, "cascade" boolean DEFAULT false)
RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
-- Drops a table, view, materialized view or foreign table. Without cascade, objects that
-- depend on it make the drop fail (2BP01 naming them).
DECLARE
    rel regclass := howdah_internal.visible_table(tab);
BEGIN
    EXECUTE format('DROP %s %s %s',
                   CASE (SELECT c.relkind FROM pg_class c WHERE c.oid = rel)
                       WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW' WHEN 'f' THEN 'FOREIGN TABLE' ELSE 'TABLE' END,
                   rel, CASE WHEN "cascade" THEN 'CASCADE' ELSE 'RESTRICT' END);
END;
$$;
COMMENT ON FUNCTION howdah.drop_table(oid, boolean) IS 'Drops a table (or view, materialized view, foreign table). Errors: 42P01 unknown table, 2BP01 dependents without cascade, 42501 not the owner.';

CREATE FUNCTION howdah.add_columns(tab oid, columns jsonb)
RETURNS smallint[]
LANGUAGE plpgsql VOLATILE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
-- Adds columns from a JSON array of column definitions (as add_table takes) and returns their
-- attnums in input order. All or none.
BEGIN
    RETURN howdah_internal.add_columns(howdah_internal.visible_table(tab), columns, 'add_columns columns');
END;
$$;
COMMENT ON FUNCTION howdah.add_columns(oid, jsonb) IS 'Adds columns [{name, type, type_options, not_null, default, default_expr, identity, primary_key, description}] and returns their attnums. Errors: 42P01 unknown table, 22023 bad definition (names the key and column), 42704 unknown type, 42622 name over 63 bytes, 42701 column exists, 42501 not the owner, and any other error of an ADD COLUMN keeps its SQLSTATE, labelled with the column (22P02 a default that does not convert, 42P16 a second primary key).';

CREATE FUNCTION howdah.alter_columns(tab oid, changes jsonb)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
-- Applies [{column, name, type, type_options, default, default_expr, not_null, description,
-- drop}] and returns the columns as list_columns does. All or none.
DECLARE
    rel regclass := howdah_internal.visible_table(tab);
BEGIN
    PERFORM howdah_internal.alter_columns(rel, changes, 'alter_columns');
    RETURN howdah_internal.columns_json(rel);
END;
$$;
COMMENT ON FUNCTION howdah.alter_columns(oid, jsonb) IS 'Changes columns from [{column (attnum or name), name, type, type_options, default, default_expr, not_null, description, drop}]: one statement per change, retyping with USING column::type; returns the columns. Errors: 42P01 unknown table, 42703 unknown column, 22023 bad change, 42704 unknown type, 42622 new name over 63 bytes, 42501 not the owner, and any error of a statement, labelled with the change (e.g. 22P02 when values do not convert, 42701 a new name taken).';

CREATE FUNCTION howdah.drop_columns(tab oid, attnums smallint[])
RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
-- Drops the columns with these attnums in one statement and returns how many were dropped.
DECLARE
    rel regclass := howdah_internal.visible_table(tab);
    clauses text;
BEGIN
    SELECT string_agg(format('DROP COLUMN %I', howdah_internal.column_name(rel,
                          howdah_internal.column_ref(rel, to_jsonb(n), 'drop_columns'))), ', ')
      INTO clauses
      FROM (SELECT DISTINCT n FROM unnest(attnums) n) u;
    IF clauses IS NULL THEN
        RETURN 0;
    END IF;
    PERFORM howdah_internal.run(format('ALTER TABLE %s ', rel) || clauses, 'drop_columns');
    RETURN (SELECT count(DISTINCT n) FROM unnest(attnums) n);
END;
$$;
COMMENT ON FUNCTION howdah.drop_columns(oid, smallint[]) IS 'Drops columns by attnum, all or none; returns the count. Errors: 42P01 unknown table, 42703 unknown attnum, 22023 an attnum below 1 or NULL, 2BP01 dependents, 42501 not the owner.';

CREATE FUNCTION howdah_internal.fk_action(code "char")
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE code WHEN 'a' THEN 'no action' WHEN 'r' THEN 'restrict' WHEN 'c' THEN 'cascade'
                 WHEN 'n' THEN 'set null' WHEN 'd' THEN 'set default' END;
COMMENT ON FUNCTION howdah_internal.fk_action("char") IS 'The name of a foreign key action code of pg_constraint.';

CREATE FUNCTION howdah.list_constraints(tab oid)
RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
-- The constraints of a table: [{oid, name, type, columns, referent_table_oid, referent_columns,
-- on_delete, on_update, deferrable, definition}].
DECLARE
    rel regclass := howdah_internal.visible_table(tab);
BEGIN
    RETURN (SELECT coalesce(jsonb_agg(jsonb_build_object(
                'oid', k.oid::bigint,
                'name', k.conname,
                'type', CASE k.contype WHEN 'p' THEN 'primary_key' WHEN 'u' THEN 'unique' WHEN 'f' THEN 'foreign_key'
                                       WHEN 'c' THEN 'check' WHEN 'x' THEN 'exclusion' WHEN 't' THEN 'trigger' END,
                'columns', to_jsonb(k.conkey),
                'referent_table_oid', nullif(k.confrelid, 0)::bigint,
                'referent_columns', to_jsonb(k.confkey),
                'on_delete', CASE WHEN k.contype = 'f' THEN howdah_internal.fk_action(k.confdeltype) END,
                'on_update', CASE WHEN k.contype = 'f' THEN howdah_internal.fk_action(k.confupdtype) END,
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
    RETURN howdah_internal.add_constraints(howdah_internal.visible_table(tab), constraints, 'add_constraints constraints');
END;
$$;
COMMENT ON FUNCTION howdah.add_constraints(oid, jsonb) IS 'Adds primary key, unique and foreign key constraints from [{name, type, columns, referent_table, referent_columns, on_delete, on_update, deferrable}]; returns their oids. Errors: 42P01 unknown table or referent table, 42703 unknown column, 22023 bad definition, 42622 name over 63 bytes, 42710 or 42P07 name taken, 42P16 a second primary key, 42830 referent columns without a unique key, 23505/23503 existing rows violate it, 42501 not the owner — each labelled with the constraint.';

CREATE FUNCTION howdah.drop_constraint(tab oid, con oid)
RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
-- Drops one constraint of a table by oid.
DECLARE
    rel regclass := howdah_internal.visible_table(tab);
    conname name;
BEGIN
    SELECT k.conname INTO conname FROM pg_constraint k WHERE k.oid = con AND k.conrelid = rel;
    IF conname IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'undefined_object',
            MESSAGE = format('constraint with oid %s does not exist on table %s', con, rel),
            HINT = 'list_constraints(table oid) gives the oids';
    END IF;
    EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I', rel, conname);
END;
$$;
COMMENT ON FUNCTION howdah.drop_constraint(oid, oid) IS 'Drops a constraint by oid. Errors: 42P01 unknown table, 42704 unknown constraint, 2BP01 dependents (a key a foreign key needs), 42501 not the owner.';

---- create above / drop below ----

DROP FUNCTION howdah.drop_constraint(oid, oid);
DROP FUNCTION howdah.add_constraints(oid, jsonb);
DROP FUNCTION howdah.list_constraints(oid);
DROP FUNCTION howdah_internal.fk_action("char");
DROP FUNCTION howdah.drop_columns(oid, smallint[]);
DROP FUNCTION howdah.alter_columns(oid, jsonb);
DROP FUNCTION howdah.add_columns(oid, jsonb);
DROP FUNCTION howdah.drop_table(oid, boolean);
DROP FUNCTION howdah.patch_table(oid, jsonb);
DROP FUNCTION howdah.add_table(oid, text, jsonb, jsonb, text);
DROP FUNCTION howdah_internal.alter_columns(regclass, jsonb, text);
DROP FUNCTION howdah_internal.add_columns(regclass, jsonb, text);
DROP FUNCTION howdah_internal.add_constraints(regclass, jsonb, text);
DROP FUNCTION howdah_internal.con_def_sql(regclass, howdah.con_def);
DROP FUNCTION howdah_internal.to_con_def(regclass, jsonb, text);
DROP FUNCTION howdah_internal.run(text, text);
DROP FUNCTION howdah_internal.col_def_sql(howdah.col_def);
DROP FUNCTION howdah_internal.to_col_def(jsonb, text);
DROP FUNCTION howdah_internal.default_literal(jsonb, regtype);
DROP FUNCTION howdah_internal.default_sql(text, text);
DROP FUNCTION howdah_internal.typmod_of(regtype, jsonb, text);
DROP FUNCTION howdah_internal.resolve_type(jsonb, text);
DROP FUNCTION howdah_internal.column_list(regclass, smallint[]);
DROP FUNCTION howdah_internal.column_name(regclass, smallint);
DROP FUNCTION howdah_internal.column_ref(regclass, jsonb, text);
DROP FUNCTION howdah_internal.resolve_column(regclass, jsonb, text);
DROP TYPE howdah.con_def;
DROP TYPE howdah.col_def;
