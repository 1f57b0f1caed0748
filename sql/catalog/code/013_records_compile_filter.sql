-- catalog code 013: a JSON filter tree compiled into a SQL condition over alias r: values become
-- typed literals of the column's type, identifiers are quoted, operators are the type's own
-- (012). When a value does not convert, the error is raised again naming the input, column and
-- table, with the conversion's SQLSTATE (22P02, 22003, 22008, 23514 ...).
--
-- Errors: 22023 bad shape, key, op or value (naming the path in the input and the column); 42703
-- unknown column.

CREATE FUNCTION howdah_internal.catalog_like_pattern(value text, prefix text, suffix text)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
-- `value` with LIKE's wildcards and escape character escaped, between prefix and suffix.
RETURN prefix || replace(replace(replace(value, '\', '\\'), '%', '\%'), '_', '\_') || suffix;
COMMENT ON FUNCTION howdah_internal.catalog_like_pattern(text, text, text) IS 'A LIKE pattern matching `value` literally, with prefix and suffix (''%'' or '''') around it. Errors: none.';

CREATE FUNCTION howdah_internal.catalog_text_sql(col_name name, col_type oid)
RETURNS text
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
-- Text-like columns are matched as they are (so their indexes can serve); others by their text form.
RETURN CASE WHEN (SELECT y.typcategory FROM pg_type y WHERE y.oid = col_type) = 'S'
            THEN format('r.%I', col_name) ELSE format('r.%I::text', col_name) END;
COMMENT ON FUNCTION howdah_internal.catalog_text_sql(name, oid) IS 'SQL for a column of alias r as text: the column itself when text-like, else its text form. Errors: none.';

CREATE FUNCTION howdah_internal.catalog_value_sql(tab regclass, col_name name, col_type oid, value jsonb, what text)
RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
-- SQL for a JSON value converted to the type of column `col_name` by PostgreSQL: a typed literal
-- ('5'::integer) for a scalar, so the planner sees a constant; the JSON text for json/jsonb
-- columns; jsonb_populate_record, evaluated once, for a JSON array (array column) or object
-- (composite column). Raises 22023 for JSON null and for an array/object given to another type.
DECLARE
    base oid := howdah_internal.catalog_base_type(col_type);
    kind text := jsonb_typeof(value);
BEGIN
    IF kind IS NULL OR kind = 'null' THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = format('%s: a value is required for column "%s" of table %s', what, col_name, tab),
            HINT = 'compare with NULL through the ops is_null and is_not_null';
    END IF;
    IF base IN ('json'::regtype, 'jsonb'::regtype) THEN
        RETURN format('%L::%s', value::text, format_type(col_type, -1));
    END IF;
    IF kind IN ('string', 'number', 'boolean') THEN
        RETURN format('%L::%s', value #>> '{}', format_type(col_type, -1));
    END IF;
    IF (kind = 'array' AND EXISTS (SELECT FROM pg_type y WHERE y.oid = base AND y.typcategory = 'A'))
       OR (kind = 'object' AND EXISTS (SELECT FROM pg_type y WHERE y.oid = base AND y.typtype = 'c')) THEN
        RETURN format('(SELECT (jsonb_populate_record(NULL::%s, %L::jsonb)).%I)', tab, jsonb_build_object(col_name, value), col_name);
    END IF;
    RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
        MESSAGE = format('%s: column "%s" of table %s has type %s; a JSON %s does not convert to it',
                         what, col_name, tab, format_type(col_type, -1), kind),
        HINT = 'give a JSON string, number or boolean';
END;
$$;
COMMENT ON FUNCTION howdah_internal.catalog_value_sql(regclass, name, oid, jsonb, text) IS 'SQL for a JSON value converted to a column''s type by PostgreSQL (typed literal, or jsonb_populate_record for arrays and composites). Errors: 22023 JSON null, or an array/object for a scalar type.';

CREATE FUNCTION howdah_internal.catalog_raise_for_column(tab regclass, col_name name, what text,
                                                 err_state text, err_msg text, err_detail text, err_hint text)
RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
-- Raises a caught error again with the input (`what`), column and table named in the message,
-- keeping its SQLSTATE, detail and hint.
DECLARE
    msg text := format('%s: column "%s" of table %s: %s', what, col_name, tab, err_msg);
BEGIN
    IF err_detail <> '' AND err_hint <> '' THEN
        RAISE EXCEPTION USING ERRCODE = err_state, MESSAGE = msg, DETAIL = err_detail, HINT = err_hint;
    ELSIF err_detail <> '' THEN
        RAISE EXCEPTION USING ERRCODE = err_state, MESSAGE = msg, DETAIL = err_detail;
    ELSIF err_hint <> '' THEN
        RAISE EXCEPTION USING ERRCODE = err_state, MESSAGE = msg, HINT = err_hint;
    ELSE
        RAISE EXCEPTION USING ERRCODE = err_state, MESSAGE = msg;
    END IF;
END;
$$;
COMMENT ON FUNCTION howdah_internal.catalog_raise_for_column(regclass, name, text, text, text, text, text) IS 'Re-raises a caught error naming the input, column and table. Errors: always the given SQLSTATE.';

CREATE FUNCTION howdah_internal.catalog_check_value(tab regclass, col_name name, col_type oid, value jsonb, what text, as_literal boolean)
RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
-- Converts one JSON value to the type of column `col_name` of `tab` as the statements do — as a
-- typed literal of the unmodified type (filters), or through jsonb_populate_record (records,
-- ids, and array/object filter values) — and when that fails raises the error again naming the
-- input, column and table. Reads no table.
DECLARE
    err_state text;
    err_msg text;
    err_detail text;
    err_hint text;
BEGIN
    IF as_literal AND jsonb_typeof(value) IN ('string', 'number', 'boolean')
       OR howdah_internal.catalog_base_type(col_type) IN ('json'::regtype, 'jsonb'::regtype) THEN
        EXECUTE format('SELECT $1::%s', format_type(col_type, -1))
          USING CASE WHEN howdah_internal.catalog_base_type(col_type) IN ('json'::regtype, 'jsonb'::regtype) THEN value::text ELSE value #>> '{}' END;
    ELSE
        EXECUTE format('SELECT (jsonb_populate_record(NULL::%s, $1)).%I', tab, col_name) USING jsonb_build_object(col_name, value);
    END IF;
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS err_state = RETURNED_SQLSTATE, err_msg = MESSAGE_TEXT,
                            err_detail = PG_EXCEPTION_DETAIL, err_hint = PG_EXCEPTION_HINT;
    PERFORM howdah_internal.catalog_raise_for_column(tab, col_name, what, err_state, err_msg, err_detail, err_hint);
END;
$$;
COMMENT ON FUNCTION howdah_internal.catalog_check_value(regclass, name, oid, jsonb, text, boolean) IS 'Checks that a JSON value converts to a column''s type. Errors: the conversion''s SQLSTATE (22P02, 22003, 22001, 22008, 23514 ...) with the input, column and table in the message.';

CREATE FUNCTION howdah_internal.catalog_filter_sql(tab regclass, filter jsonb, what text, checked boolean DEFAULT false)
RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
-- Compiles a filter expression tree over table `tab` (alias r) into a boolean SQL expression:
--   {"and": [f, ...]}, {"or": [f, ...]}, {"not": f}, or a condition
--   {"column": attnum|name, "op": op, "value": v}.
-- `what` is the path of `filter` in the input, for messages. With `checked`, each value is also
-- converted on its own so that a failure names its column; list_records does that only after
-- its statement failed.
DECLARE
    node text;
    parts text[] := '{}'::text[];
    c record;
    op text;
    v jsonb;
    ref text;
    vals text[] := '{}'::text[];
    cond text;
BEGIN
    PERFORM howdah_internal.catalog_check_keys(filter, ARRAY['and', 'or', 'not', 'column', 'op', 'value'], what);
    IF (filter ? 'and')::int + (filter ? 'or')::int + (filter ? 'not')::int + (filter ? 'column' OR filter ? 'op' OR filter ? 'value')::int <> 1 THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = format('%s must have exactly one of the keys "and", "or", "not", or be a condition {"column", "op", "value"}', what),
            HINT = format('table %s', tab);
    END IF;

    IF filter ? 'and' OR filter ? 'or' THEN
        node := CASE WHEN filter ? 'and' THEN 'and' ELSE 'or' END;
        IF jsonb_typeof(filter -> node) <> 'array' THEN
            RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
                MESSAGE = format('%s.%s must be a JSON array of filters, got %s', what, node, jsonb_typeof(filter -> node));
        END IF;
        FOR i IN 0 .. jsonb_array_length(filter -> node) - 1 LOOP
            parts := parts || howdah_internal.catalog_filter_sql(tab, filter -> node -> i, format('%s.%s[%s]', what, node, i), checked);
        END LOOP;
        IF cardinality(parts) = 0 THEN
            RETURN CASE node WHEN 'and' THEN 'true' ELSE 'false' END;
        END IF;
        RETURN '(' || array_to_string(parts, CASE node WHEN 'and' THEN ' AND ' ELSE ' OR ' END) || ')';
    END IF;
    IF filter ? 'not' THEN
        RETURN format('(NOT %s)', howdah_internal.catalog_filter_sql(tab, filter -> 'not', what || '.not', checked));
    END IF;

    -- A condition.
    IF NOT filter ? 'column' OR NOT filter ? 'op' THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = format('%s: a condition needs the keys "column" and "op"', what),
            HINT = format('table %s', tab);
    END IF;
    SELECT * INTO c FROM howdah_internal.catalog_resolve_column(tab, filter -> 'column', what || '.column');
    op := howdah_internal.catalog_json_text(filter, 'op', what);
    v := filter -> 'value';
    ref := format('r.%I', c.col_name);
    IF op IS NULL OR op NOT IN ('=', '<>', '<', '>', '<=', '>=', 'is_null', 'is_not_null', 'contains', 'starts_with',
                                'icontains', 'istarts_with', 'iequal', 'in') THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = format('%s: unknown op %s (column "%s" of table %s)', what, coalesce(quote_literal(op), 'null'), c.col_name, tab),
            HINT = 'ops: =, <>, <, >, <=, >=, is_null, is_not_null, contains, starts_with, icontains, istarts_with, iequal, in';
    END IF;
    IF op IN ('is_null', 'is_not_null') THEN
        IF v IS NOT NULL THEN
            RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
                MESSAGE = format('%s: op %s takes no "value" (column "%s" of table %s)', what, op, c.col_name, tab);
        END IF;
    ELSIF v IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = format('%s: op %s needs a "value" (column "%s" of table %s)', what, op, c.col_name, tab);
    END IF;

    -- The comparison ops use the column type's own operators (see catalog_compare_sql); a type without
    -- one is refused here rather than by the statement. The placeholder stands for the value.
    IF op IN ('=', '<>', '<', '>', '<=', '>=', 'in')
       AND howdah_internal.catalog_compare_sql(c.col_type, CASE op WHEN 'in' THEN '=' ELSE op END, ref, '$') IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = format('%s: op %s does not apply to column "%s" of table %s, of type %s', what, op, c.col_name, tab, format_type(c.col_type, NULL)),
            HINT = 'compare its text form with contains, starts_with or iequal';
    END IF;

    CASE op
    WHEN '=', '<>', '<', '>', '<=', '>=' THEN
        IF checked THEN
            PERFORM howdah_internal.catalog_check_value(tab, c.col_name, c.col_type, v, what || '.value', true);
        END IF;
        vals := ARRAY[howdah_internal.catalog_value_sql(tab, c.col_name, c.col_type, v, what || '.value')];
        cond := howdah_internal.catalog_compare_sql(c.col_type, op, ref, vals[1]);
    WHEN 'is_null' THEN
        cond := format('%s IS NULL', ref);
    WHEN 'is_not_null' THEN
        cond := format('%s IS NOT NULL', ref);
    WHEN 'contains', 'starts_with', 'icontains', 'istarts_with', 'iequal' THEN
        IF jsonb_typeof(v) NOT IN ('string', 'number', 'boolean') THEN
            RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
                MESSAGE = format('%s.value: op %s needs a JSON string, got %s (column "%s" of table %s)',
                                 what, op, jsonb_typeof(v), c.col_name, tab);
        END IF;
        cond := CASE op
            WHEN 'contains' THEN format('%s LIKE %L', howdah_internal.catalog_text_sql(c.col_name, c.col_type), howdah_internal.catalog_like_pattern(v #>> '{}', '%', '%'))
            WHEN 'icontains' THEN format('%s ILIKE %L', howdah_internal.catalog_text_sql(c.col_name, c.col_type), howdah_internal.catalog_like_pattern(v #>> '{}', '%', '%'))
            WHEN 'starts_with' THEN format('%s LIKE %L', howdah_internal.catalog_text_sql(c.col_name, c.col_type), howdah_internal.catalog_like_pattern(v #>> '{}', '', '%'))
            WHEN 'istarts_with' THEN format('%s ILIKE %L', howdah_internal.catalog_text_sql(c.col_name, c.col_type), howdah_internal.catalog_like_pattern(v #>> '{}', '', '%'))
            ELSE format('lower(%s) = lower(%L)', howdah_internal.catalog_text_sql(c.col_name, c.col_type), v #>> '{}') END;
    WHEN 'in' THEN
        IF jsonb_typeof(v) <> 'array' THEN
            RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
                MESSAGE = format('%s.value: op in needs a JSON array, got %s (column "%s" of table %s)', what, jsonb_typeof(v), c.col_name, tab);
        END IF;
        FOR i IN 0 .. jsonb_array_length(v) - 1 LOOP
            IF checked AND jsonb_typeof(v -> i) <> 'null' THEN
                PERFORM howdah_internal.catalog_check_value(tab, c.col_name, c.col_type, v -> i, format('%s.value[%s]', what, i), true);
            END IF;
            vals := vals || howdah_internal.catalog_value_sql(tab, c.col_name, c.col_type, v -> i, format('%s.value[%s]', what, i));
        END LOOP;
        IF cardinality(vals) = 0 THEN
            cond := 'false';
        ELSIF (SELECT y.typarray <> 0 AND y.typcategory <> 'A' FROM pg_type y WHERE y.oid = howdah_internal.catalog_base_type(c.col_type)) THEN
            -- col = ANY (ARRAY[...]), as PostgreSQL turns IN (...) into, with the type's own =.
            cond := howdah_internal.catalog_compare_sql(c.col_type, '= ANY', ref, 'ARRAY[' || array_to_string(vals, ', ') || ']');
        ELSE
            -- Values that are arrays themselves would make ARRAY[...] multi-dimensional.
            cond := '(' || array_to_string(ARRAY(SELECT howdah_internal.catalog_compare_sql(c.col_type, '=', ref, x) FROM unnest(vals) AS x), ' OR ') || ')';
        END IF;
    END CASE;
    RETURN cond;
END;
$$;
COMMENT ON FUNCTION howdah_internal.catalog_filter_sql(regclass, jsonb, text, boolean) IS 'Compiles a JSON filter tree into SQL over alias r (values as typed literals, identifiers quoted). Errors: 22023 bad shape, key, op or value, or an op the column type lacks (naming the path and column), 42703 unknown column; with checked, a value''s conversion error (22P02, 22003 ...) naming its column.';
