-- catalog code 006: JSON column and constraint definitions. Every definition is first turned
-- into a composite type (howdah.col_def, howdah.con_def) by a validating reader, so an unknown
-- key, a wrong JSON type, an unknown SQL type or a missing field is refused before any DDL runs;
-- a validated definition is then rendered as the clause of a DDL statement.
--
-- SQL expressions are never taken from JSON: defaults are literal values cast to the column's
-- type, or one of a fixed list of functions (default_expr); CHECK constraints are left to psql.
--
-- Errors: 22023 (invalid_parameter_value) naming the key and the column or constraint; 42704
-- unknown type; 42703 unknown column; 42622 a name over 63 bytes.

CREATE FUNCTION howdah_internal.catalog_typmod_of(typ regtype, opts jsonb, what text)
RETURNS integer
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
-- The type modifier that type_options {length | precision, scale | fields, precision} describe
-- for `typ` (or its element type for arrays), encoded as PostgreSQL stores it in atttypmod, so
-- format_type(typ, typmod) writes the canonical type; -1 when there are no options. The
-- encodings are the inverse of the decoding in howdah_internal.catalog_columns_json.
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
    PERFORM howdah_internal.catalog_check_keys(opts, allowed, what || ' type_options');
    CASE
    WHEN base = 'numeric' THEN
        prec := howdah_internal.catalog_json_int(opts, 'precision', 1, 1000, what || ' type_options');
        scale := howdah_internal.catalog_json_int(opts, 'scale', 0, 1000, what || ' type_options');
        IF prec IS NULL OR scale > prec THEN
            RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
                MESSAGE = format('%s: numeric needs a precision, and a scale no larger than it', what);
        END IF;
        RETURN ((prec << 16) | coalesce(scale, 0)) + 4;
    WHEN base IN ('varchar', 'bpchar') THEN
        RETURN howdah_internal.catalog_json_int(opts, 'length', 1, 10485760, what || ' type_options') + 4;
    WHEN base IN ('bit', 'varbit') THEN
        RETURN howdah_internal.catalog_json_int(opts, 'length', 1, 83886080, what || ' type_options');
    WHEN base = 'interval' THEN
        fields := lower(howdah_internal.catalog_json_text(opts, 'fields', what || ' type_options'));
        prec := howdah_internal.catalog_json_int(opts, 'precision', 0, 6, what || ' type_options');
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
        RETURN howdah_internal.catalog_json_int(opts, 'precision', 0, 6, what || ' type_options');
    END CASE;
END;
$$;
COMMENT ON FUNCTION howdah_internal.catalog_typmod_of(regtype, jsonb, text) IS 'Encodes type_options as a type modifier (atttypmod) for a type, 22023 naming bad options.';

CREATE FUNCTION howdah_internal.catalog_default_sql(expr text, what text)
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
COMMENT ON FUNCTION howdah_internal.catalog_default_sql(text, text) IS 'Maps a default_expr name to its SQL from a fixed list.';

CREATE FUNCTION howdah_internal.catalog_default_literal(v jsonb, typ regtype)
RETURNS text
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
-- The text a JSON default is cast from: a string as is, other values as JSON text; json and
-- jsonb columns always take the JSON text, so "abc" becomes the JSON string "abc".
RETURN CASE WHEN jsonb_typeof(v) = 'string' AND typ NOT IN ('json'::regtype, 'jsonb'::regtype) THEN v #>> '{}'
            ELSE v::text END;
COMMENT ON FUNCTION howdah_internal.catalog_default_literal(jsonb, regtype) IS 'The literal text of a JSON default value for a column type.';

CREATE FUNCTION howdah_internal.catalog_to_col_def(j jsonb, what text)
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
    PERFORM howdah_internal.catalog_check_keys(j, ARRAY['name', 'type', 'type_options', 'not_null', 'default',
        'default_expr', 'identity', 'primary_key', 'description'], what);
    c.name := howdah_internal.catalog_check_name(howdah_internal.catalog_json_text(j, 'name', what), what);
    label := format('%s (column %s)', what, quote_ident(c.name));
    IF j -> 'type' IS NULL OR j -> 'type' = 'null' THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value', MESSAGE = format('%s: key ''type'' is required', label);
    END IF;
    c.type := howdah_internal.catalog_resolve_type(j -> 'type', label);
    c.typmod := howdah_internal.catalog_typmod_of(c.type, howdah_internal.catalog_json_get(j, 'type_options', 'object', label), label);
    c.not_null := coalesce(howdah_internal.catalog_json_get(j, 'not_null', 'boolean', label)::boolean, false);
    c.identity := coalesce(howdah_internal.catalog_json_get(j, 'identity', 'boolean', label)::boolean, false);
    c.primary_key := coalesce(howdah_internal.catalog_json_get(j, 'primary_key', 'boolean', label)::boolean, false);
    c.description := howdah_internal.catalog_json_text(j, 'description', label);
    IF jsonb_typeof(j -> 'default') <> 'null' THEN
        c.default_value := howdah_internal.catalog_default_literal(j -> 'default', c.type);
    END IF;
    IF howdah_internal.catalog_json_text(j, 'default_expr', label) IS NOT NULL THEN
        c.default_expr := howdah_internal.catalog_default_sql(j ->> 'default_expr', label);
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
COMMENT ON FUNCTION howdah_internal.catalog_to_col_def(jsonb, text) IS 'Validates a JSON column definition into howdah.col_def (22023/42704/42622 naming the key and column).';

CREATE FUNCTION howdah_internal.catalog_col_def_sql(c howdah.col_def)
RETURNS text
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
-- The column clause of CREATE TABLE / ADD COLUMN. format_type quotes what needs quoting;
-- defaults are literals (%L) cast to the type, or SQL from catalog_default_sql's fixed list.
RETURN format('%I %s', c.name, format_type(c.type, c.typmod))
    || CASE WHEN c.not_null THEN ' NOT NULL' ELSE '' END
    || CASE WHEN c.identity THEN ' GENERATED BY DEFAULT AS IDENTITY'
            WHEN c.default_value IS NOT NULL THEN format(' DEFAULT %L::%s', c.default_value, format_type(c.type, c.typmod))
            WHEN c.default_expr IS NOT NULL THEN ' DEFAULT ' || c.default_expr
            ELSE '' END;
COMMENT ON FUNCTION howdah_internal.catalog_col_def_sql(howdah.col_def) IS 'Renders a validated column definition as DDL.';

CREATE FUNCTION howdah_internal.catalog_to_con_def(tab regclass, j jsonb, what text)
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
    PERFORM howdah_internal.catalog_check_keys(j, ARRAY['name', 'type', 'columns', 'referent_table',
        'referent_columns', 'on_delete', 'on_update', 'deferrable'], what);
    c.name := howdah_internal.catalog_json_text(j, 'name', what);
    IF c.name IS NOT NULL THEN
        PERFORM howdah_internal.catalog_check_name(c.name, what);
        what := format('%s (constraint %s)', what, quote_ident(c.name));
    END IF;
    c.kind := howdah_internal.catalog_json_text(j, 'type', what);
    IF c.kind IS NULL OR c.kind NOT IN ('primary_key', 'unique', 'foreign_key') THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = format('%s: key ''type'' must be primary_key, unique or foreign_key, got %s', what, coalesce(j ->> 'type', 'nothing')),
            HINT = CASE WHEN j ->> 'type' IN ('check', 'exclusion') THEN 'constraints with SQL expressions are not taken from JSON; add them with psql' END;
    END IF;
    cols := howdah_internal.catalog_json_get(j, 'columns', 'array', what);
    IF cols IS NULL OR jsonb_array_length(cols) = 0 THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value', MESSAGE = format('%s: key ''columns'' needs at least one column', what);
    END IF;
    SELECT array_agg(howdah_internal.catalog_column_ref(tab, x, what) ORDER BY o) INTO c.columns
      FROM jsonb_array_elements(cols) WITH ORDINALITY AS e(x, o);
    c."deferrable" := coalesce(howdah_internal.catalog_json_get(j, 'deferrable', 'boolean', what)::boolean, false);
    IF c.kind <> 'foreign_key' THEN
        IF j ?| ARRAY['referent_table', 'referent_columns', 'on_delete', 'on_update'] THEN
            RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
                MESSAGE = format('%s: referent_table, referent_columns, on_delete and on_update apply to foreign_key only', what);
        END IF;
        RETURN c;
    END IF;
    c.referent := howdah_internal.catalog_visible_table(howdah_internal.catalog_json_int(j, 'referent_table', 1, 4294967295, what)::oid);
    cols := howdah_internal.catalog_json_get(j, 'referent_columns', 'array', what);
    IF cols IS NULL THEN
        SELECT k.conkey INTO c.referent_columns FROM pg_constraint k WHERE k.conrelid = c.referent AND k.contype = 'p';
        IF c.referent_columns IS NULL THEN
            RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
                MESSAGE = format('%s: %s has no primary key; give referent_columns', what, c.referent);
        END IF;
    ELSE
        SELECT array_agg(howdah_internal.catalog_column_ref(c.referent, x, what) ORDER BY o) INTO c.referent_columns
          FROM jsonb_array_elements(cols) WITH ORDINALITY AS e(x, o);
    END IF;
    c.on_delete := lower(coalesce(howdah_internal.catalog_json_text(j, 'on_delete', what), 'no action'));
    c.on_update := lower(coalesce(howdah_internal.catalog_json_text(j, 'on_update', what), 'no action'));
    IF NOT (c.on_delete = ANY (actions) AND c.on_update = ANY (actions)) THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = format('%s: on_delete and on_update must be one of %s', what, array_to_string(actions, ', '));
    END IF;
    RETURN c;
END;
$$;
COMMENT ON FUNCTION howdah_internal.catalog_to_con_def(regclass, jsonb, text) IS 'Validates a JSON constraint definition into howdah.con_def (22023/42703 naming the key and column).';

CREATE FUNCTION howdah_internal.catalog_con_def_sql(tab regclass, c howdah.con_def)
RETURNS text
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
-- The table constraint clause of a validated definition; actions come from a fixed list.
RETURN CASE WHEN c.name IS NOT NULL THEN format('CONSTRAINT %I ', c.name) ELSE '' END
    || CASE c.kind WHEN 'primary_key' THEN 'PRIMARY KEY' WHEN 'unique' THEN 'UNIQUE' ELSE 'FOREIGN KEY' END
    || ' (' || howdah_internal.catalog_column_list(tab, c.columns) || ')'
    || CASE WHEN c.kind = 'foreign_key' THEN
           format(' REFERENCES %s (%s) ON DELETE %s ON UPDATE %s', c.referent,
                  howdah_internal.catalog_column_list(c.referent, c.referent_columns), upper(c.on_delete), upper(c.on_update))
       ELSE '' END
    || CASE WHEN c."deferrable" THEN ' DEFERRABLE' ELSE '' END;
COMMENT ON FUNCTION howdah_internal.catalog_con_def_sql(regclass, howdah.con_def) IS 'Renders a validated constraint definition as DDL.';
